/* sm_endpoint: see sm_endpoint.h (threading there). */
#include "sm_endpoint.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

static bool is_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* one label of n bytes (n >= 1) */
static bool label_ok(const char *s, size_t n, const char **why)
{
    if (n > SM_LABEL_MAX)
        return *why = "a label is longer than 63 bytes", false;
    if (s[0] == '-' || s[n - 1] == '-')
        return *why = "a label starts or ends with '-'", false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-')
            return *why = "a DNS name has only letters, digits, '-' and dots", false;
    return true;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

bool sm_dns_name_valid(const char *s, size_t len, const char **why)
{
    size_t start = 0;

    if (!len)
        return *why = "the host is empty", false;
    if (memchr(s, '*', len))
        return *why = "a wildcard is not an endpoint (Defender for IoT lists specific endpoints)",
               false;
    if (len > SM_HOST_MAX)
        return *why = "a DNS name is longer than 253 bytes", false;
    if (s[len - 1] == '.')
        return *why = "a DNS name ends with a dot (expected it without the root's dot)", false;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.')
            continue;
        if (i == start)
            return *why = "a DNS name has an empty label (two dots, or a dot first)", false;
        if (!label_ok(s + start, i - start, why))
            return false;
        if (i == len && all_digits(s + start, i - start))
            return *why = "not an IPv4 address, and a DNS name's last label is not all digits",
                   false;
        start = i + 1;
    }
    return true;
}

/* "1".."65535", no sign, no leading zero */
static bool port_ok(const char *s, size_t n, uint16_t *port, const char **why)
{
    unsigned long v = 0;

    if (!n)
        return *why = "the port is missing (expected host:port, port 1..65535)", false;
    if (!all_digits(s, n) || n > 5 || s[0] == '0')
        return *why = "the port is not a number from 1 to 65535", false;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned long)(s[i] - '0');
    if (v > 65535)
        return *why = "the port is not a number from 1 to 65535", false;
    *port = (uint16_t)v;
    return true;
}

/* an address literal of family af, n bytes */
static bool literal(const char *s, size_t n, int af, char *out)
{
    unsigned char buf[16];

    if (n > SM_HOST_MAX)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return inet_pton(af, out, buf) == 1;
}

static bool bracketed(const char *s, size_t len, struct sm_endpoint_text *out, const char **why)
{
    const char *close = memchr(s, ']', len);
    size_t n = close ? (size_t)(close - s) - 1 : 0;

    if (!close)
        return *why = "a '[' without ']' (expected [IPv6 address]:port)", false;
    if (!literal(s + 1, n, AF_INET6, out->host))
        return *why = "not an IPv6 address between '[' and ']'", false;
    if ((size_t)(close - s) + 1 == len || close[1] != ':')
        return *why = "the port is missing (expected [IPv6 address]:port)", false;
    return port_ok(close + 2, len - (size_t)(close - s) - 2, &out->port, why);
}

bool sm_endpoint_parse(const char *s, size_t len, struct sm_endpoint_text *out, const char **why)
{
    const char *colon = NULL;
    size_t hlen;

    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return *why = "a blank, control or non-ASCII byte in an endpoint", false;
    if (len && s[0] == '[')
        return bracketed(s, len, out, why);
    for (size_t i = 0; i < len; i++)
        if (s[i] == ':') {
            if (colon)
                return *why = "an IPv6 address needs brackets (expected [address]:port)", false;
            colon = s + i;
        }
    if (!colon)
        return *why = "the port is missing (expected host:port, port 1..65535)", false;
    hlen = (size_t)(colon - s);
    if (!port_ok(colon + 1, len - hlen - 1, &out->port, why))
        return false;
    if (literal(s, hlen, AF_INET, out->host))
        return true;
    if (!sm_dns_name_valid(s, hlen, why))
        return false;
    memcpy(out->host, s, hlen);
    out->host[hlen] = '\0';
    return true;
}

char *sm_line_trim(char *line)
{
    char *hash = strchr(line, '#'), *end;

    if (hash)
        *hash = '\0';
    while (*line == ' ' || *line == '\t' || *line == '\r')
        line++;
    end = line + strlen(line);
    while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return line;
}

/* a line meant as an endpoint: it ends in ':' and digits, or is a host
 * name with a dot, or an address, without a port */
static bool looks_like_endpoint(const char *s)
{
    size_t n = strlen(s), d = n;
    char host[SM_HOST_MAX + 1];
    const char *why;

    while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
        d--;
    if (d < n && d > 0 && s[d - 1] == ':')
        return true;
    return (strchr(s, '.') && sm_dns_name_valid(s, n, &why)) || literal(s, n, AF_INET, host) ||
           literal(s, n, AF_INET6, host);
}

bool sm_endpoints_scan(char *buf, size_t len, sm_endpoint_cb cb, void *ctx, size_t *header,
                       struct sm_scan_error *e)
{
    static const char bom[] = "\xef\xbb\xbf";
    struct sm_endpoint_text ep;
    size_t lineno = 0;
    bool first = true;
    char *next;

    *header = 0;
    memset(e, 0, sizeof(*e));
    if (memchr(buf, '\0', len))
        return e->why = "contains a NUL byte (expected text)", false;
    buf[len] = '\0';
    if (len >= 3 && !memcmp(buf, bom, 3))
        buf += 3;
    for (char *line = buf; line; line = next) {
        char *tok;

        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        tok = sm_line_trim(line);
        if (!*tok)
            continue;
        e->line = lineno;
        e->text = tok;
        if (!sm_endpoint_parse(tok, strlen(tok), &ep, &e->why)) {
            if (!first || looks_like_endpoint(tok))
                return false;
            *header = lineno;
        } else if (!cb(ctx, &ep, lineno, &e->why)) {
            return false;
        }
        first = false;
    }
    memset(e, 0, sizeof(*e));
    return true;
}
