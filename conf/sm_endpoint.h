/*
 * sm_endpoint: the syntax of a sensor group's endpoints (issue 10), pure
 * and allocation-free so that the endpoints file's format can be fuzzed on
 * its own (fuzz/fuzz_endpoints.c):
 *  - an endpoint is `host:port`, an IPv6 literal as `[addr]:port`; the port
 *    (1..65535) is required;
 *  - host is an IPv4 or IPv6 literal, or a DNS name: at most SM_HOST_MAX
 *    bytes, labels of 1..63 letters, digits and '-' (not first or last in
 *    a label), separated by single dots, no trailing dot, a last label that
 *    is not all digits; never a wildcard (`*`: Defender for IoT lists
 *    specific endpoints);
 *  - the endpoints file: one endpoint a line; a UTF-8 byte order mark at
 *    the start, blank lines, `#` comments (to the end of the line), spaces,
 *    tabs and CRLF line ends are ignored. The first line with text may be
 *    a header (the portal's list has one): it is skipped when it is not an
 *    endpoint and not meant as one, i.e. it does not end in `:` and digits
 *    and is not a host name with a dot nor an address literal (so a
 *    mistyped first endpoint such as `blob.core.windows.net:0`,
 *    `bad_host:443` or `blob.core.windows.net` is an error, not a header).
 *    Every other line that is not an endpoint is an error naming its line.
 *    A NUL byte anywhere is an error.
 *
 * Threading: no state; any thread.
 */
#ifndef TUNNELD_SM_ENDPOINT_H
#define TUNNELD_SM_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SM_HOST_MAX  253 /* bytes of a DNS name (RFC 1035 without the root's dot) */
#define SM_LABEL_MAX 63

struct sm_endpoint_text {
    char host[SM_HOST_MAX + 1]; /* brackets of an IPv6 literal removed */
    uint16_t port;
};

/* whether s is a DNS name by the rules above; false with *why (static text) */
bool sm_dns_name_valid(const char *s, size_t len, const char **why);
/* one endpoint of len bytes (no surrounding blanks); false with *why (static text) */
bool sm_endpoint_parse(const char *s, size_t len, struct sm_endpoint_text *out, const char **why);

/* called for each endpoint of a file; false stops the scan (*why set by the callee) */
typedef bool (*sm_endpoint_cb)(void *ctx, const struct sm_endpoint_text *ep, size_t line,
                               const char **why);

struct sm_scan_error {
    size_t line;      /* 1-based; 0: the whole file (a NUL byte) */
    const char *why;  /* static text */
    const char *text; /* the offending line, trimmed, NUL-terminated inside buf; NULL none */
};

/*
 * Scans the text of an endpoints file (buf of len bytes, changed in place:
 * line ends become NULs; buf[len] must be writable). True when every line
 * is blank, a comment, the header or an endpoint (cb called for each);
 * *header the header's line number, 0 none. False with *e set otherwise.
 */
bool sm_endpoints_scan(char *buf, size_t len, sm_endpoint_cb cb, void *ctx, size_t *header,
                       struct sm_scan_error *e);

/* a line of a list file (endpoints, prefixes) without its '#' comment and
 * surrounding blanks (space, tab, CR), in place; "" when nothing is left */
char *sm_line_trim(char *line);

#endif
