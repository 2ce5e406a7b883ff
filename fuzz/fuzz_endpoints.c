/*
 * fuzz_endpoints: arbitrary bytes as a sensor group's endpoints file
 * (conf/sm_endpoint: the portal's "Download endpoint details" list). Each
 * input must not crash, leak or trip ASan/UBSan, and (abort() otherwise):
 *  - accepted: every endpoint has a host of 1..253 bytes (a DNS name of
 *    letters, digits, '-' and dots, or an address literal) and a port
 *    1..65535; printed back as host:port (brackets for IPv6) it parses to
 *    the same endpoint; lines are reported in increasing order, after the
 *    header if there is one; the number of endpoints is the number of
 *    lines with text but the header;
 *  - refused: the reason is printable ASCII; it names a line (1-based)
 *    unless the file has a NUL byte, and the offending text has no line
 *    end.
 *
 * Threading: single-threaded.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sm_endpoint.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_endpoints: %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* how many inputs were accepted and refused (replay's summary) */
size_t fuzz_endpoints_accepted, fuzz_endpoints_refused;

typedef struct {
    size_t n, last_line;
} seen_t;

static void check_printable(const char *s)
{
    for (; *s; s++)
        CHECK((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f);
}

static bool on_endpoint(void *ctx, const struct sm_endpoint_text *ep, size_t line, const char **why)
{
    seen_t *seen = ctx;
    struct sm_endpoint_text again;
    unsigned char addr[16];
    char text[SM_HOST_MAX + 16];
    const char *w = NULL;
    size_t n = strlen(ep->host);
    bool v6 = inet_pton(AF_INET6, ep->host, addr) == 1;

    (void)why;
    CHECK(n >= 1 && n <= SM_HOST_MAX);
    CHECK(ep->port >= 1);
    CHECK(line > seen->last_line);
    CHECK(v6 || strspn(ep->host,
                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n);
    snprintf(text, sizeof(text), v6 ? "[%s]:%u" : "%s:%u", ep->host, ep->port);
    CHECK(sm_endpoint_parse(text, strlen(text), &again, &w));
    CHECK(!strcmp(again.host, ep->host) && again.port == ep->port);
    seen->last_line = line;
    seen->n++;
    return true;
}

/* lines with text (after comments and blanks), as the scanner counts them */
static size_t text_lines(const uint8_t *data, size_t size)
{
    size_t n = 0, i = 0;

    if (size >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
        i = 3;
    while (i < size) {
        bool text = false, comment = false;
        for (; i < size && data[i] != '\n'; i++) {
            comment = comment || data[i] == '#';
            if (!comment && data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
                text = true;
        }
        n += text;
        i++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    struct sm_scan_error e;
    seen_t seen = {0};
    size_t header;

    CHECK(buf);
    memcpy(buf, data, size);
    if (sm_endpoints_scan(buf, size, on_endpoint, &seen, &header, &e)) {
        fuzz_endpoints_accepted++;
        CHECK(seen.n + (header ? 1 : 0) == text_lines(data, size));
        CHECK(!header || header < seen.last_line || !seen.n);
    } else {
        fuzz_endpoints_refused++;
        CHECK(e.why);
        check_printable(e.why);
        CHECK(e.line > 0 || memchr(data, 0, size));
        CHECK(!e.text || !strchr(e.text, '\n'));
        CHECK(!e.text || (e.text >= buf && e.text <= buf + size));
    }
    free(buf);
    return 0;
}
