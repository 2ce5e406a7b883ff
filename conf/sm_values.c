/* sm_values: see sm_values.h (threading there). */
#include "sm_values.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static bool all_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool sm_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    unsigned long long v;
    char *end;

    if (!s || !all_digits(s, strlen(s)))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool sm_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1", "enabled"};
    static const char *const no[] = {"no", "false", "off", "0", "disabled"};

    for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
            *out = !strcmp(s, yes[i]);
            return true;
        }
    }
    return false;
}

bool sm_parse_duration_ms(const char *s, uint64_t *ms)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    size_t n = 0;
    uint64_t v;

    if (!s)
        return false;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    if (!n || n > 12)
        return false; /* at most 12 digits: no overflow below */
    v = strtoull(s, NULL, 10);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!strcmp(s + n, units[i].unit)) {
            *ms = v * units[i].ms;
            return true;
        }
    }
    return false;
}

bool sm_parse_percent(const char *s, double *pct)
{
    size_t n = s ? strlen(s) : 0, whole, frac = 0;
    const char *dot;

    if (n && s[n - 1] == '%')
        n--;
    dot = s ? memchr(s, '.', n) : NULL;
    whole = dot ? (size_t)(dot - s) : n;
    if (dot)
        frac = n - whole - 1;
    if (!all_digits(s, whole) || whole > 3 || (dot && (frac < 1 || frac > 2)) ||
        (dot && !all_digits(dot + 1, frac)))
        return false;
    *pct = strtod(s, NULL);
    return *pct <= 100.0;
}

int sm_addr_family(const char *s)
{
    unsigned char buf[16];

    if (!s)
        return 0;
    if (inet_pton(AF_INET, s, buf) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, buf) == 1)
        return AF_INET6;
    return 0;
}

/* no bit set past the first plen of addr (len bytes) */
static bool host_bits_clear(const unsigned char *addr, size_t len, unsigned plen)
{
    for (size_t i = 0; i < len; i++) {
        unsigned keep = plen >= 8 * (i + 1) ? 8 : (plen > 8 * i ? plen - 8 * (unsigned)i : 0);
        unsigned char mask = keep ? (unsigned char)(0xff << (8 - keep)) : 0;
        if (addr[i] & (unsigned char)~mask)
            return false;
    }
    return true;
}

bool sm_prefix_valid(const char *s, int *family)
{
    char buf[INET6_ADDRSTRLEN + 1];
    const char *slash = s ? strchr(s, '/') : NULL;
    size_t alen = slash ? (size_t)(slash - s) : (s ? strlen(s) : 0);
    unsigned char addr[16];
    uint64_t plen;

    if (!s || !alen || alen >= sizeof(buf))
        return false;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    *family = sm_addr_family(buf);
    if (!*family || inet_pton(*family, buf, addr) != 1)
        return false;
    if (!slash)
        return true;
    if (!sm_parse_uint(slash + 1, 0, *family == AF_INET ? 32 : 128, &plen))
        return false;
    return host_bits_clear(addr, *family == AF_INET ? 4 : 16, (unsigned)plen);
}

const char *sm_quote(const char *in, sm_quoted_t *q)
{
    size_t len = in ? strlen(in) : 0, o = 0;

    for (size_t i = 0; i < len && i < SM_QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            q->s[o++] = (char)c;
        else
            o += (size_t)snprintf(q->s + o, sizeof(q->s) - o, "\\x%02x", c);
    }
    if (len > SM_QUOTE_MAX)
        snprintf(q->s + o, sizeof(q->s) - o, "...(%zu bytes)", len);
    else
        q->s[o] = '\0';
    return q->s;
}
