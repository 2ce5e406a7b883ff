/*
 * check_header: the proxy's answer to CONNECT, one header line at a time
 * (libcurl's header callback hands us whole lines): the status line, Squid's
 * `Via` (first entry: the hop that made the answer) and `X-Squid-Error`.
 * Nothing else of HTTP is read here. Hostile input: any bytes, any length;
 * what is kept is printable ASCII, bounded, cut visibly ("...").
 *
 * Threading: pure functions on the caller's data (any thread).
 */
#include "check_facts.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

char *ch_clean(char *out, size_t outlen, const char *in, size_t inlen)
{
    size_t o = 0;

    if (!outlen)
        return out;
    for (size_t i = 0; i < inlen; i++) {
        if (o + 1 >= outlen) {
            if (outlen >= 4) /* cut: say so */
                memcpy(out + outlen - 4, "...", 3), o = outlen - 1;
            break;
        }
        unsigned char ch = (unsigned char)in[i];
        out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    out[o] = '\0';
    return out;
}

static bool is_sp(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* "HTTP/1.1 503 Service Unavailable" */
static bool status_line(struct cf_proxy *p, const char *s, size_t len)
{
    size_t i = 5;

    if (len < 5 || strncmp(s, "HTTP/", 5) != 0)
        return false;
    while (i < len && !is_sp(s[i]))
        i++;
    while (i < len && is_sp(s[i]))
        i++;
    if (i + 3 > len || !isdigit((unsigned char)s[i]) || !isdigit((unsigned char)s[i + 1]) ||
        !isdigit((unsigned char)s[i + 2]) || (i + 3 < len && !is_sp(s[i + 3])))
        return false;
    /* a new answer (after a 407, curl asks again): forget the last one */
    memset(p, 0, sizeof(*p));
    p->status = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    ch_clean(p->line, sizeof(p->line), s, len);
    i += 3;
    while (i < len && is_sp(s[i]))
        i++;
    ch_clean(p->text, sizeof(p->text), s + i, len - i);
    return true;
}

/* value of "Name: value" when the line is that header, else NULL */
static const char *header_value(const char *s, size_t len, const char *name, size_t *vlen)
{
    size_t n = strlen(name), i;

    if (len <= n || strncasecmp(s, name, n) != 0 || s[n] != ':')
        return NULL;
    i = n + 1;
    while (i < len && is_sp(s[i]))
        i++;
    while (len > i && is_sp(s[len - 1]))
        len--;
    *vlen = len - i;
    return s + i;
}

/* Via: [proto/]version SP received-by[:port] [SP (comment)] [, ...]: the
 * first entry's received-by, its port dropped (an IPv6 literal keeps its
 * brackets' content) */
static void via_first(struct cf_proxy *p, const char *v, size_t len)
{
    size_t i = 0, start, end;

    while (i < len && !is_sp(v[i]) && v[i] != ',') /* received-protocol */
        i++;
    while (i < len && is_sp(v[i]))
        i++;
    start = i;
    while (i < len && !is_sp(v[i]) && v[i] != ',' && v[i] != '(')
        i++;
    end = i;
    if (end > start && v[start] == '[') { /* [v6]:port */
        const char *close = memchr(v + start, ']', end - start);
        if (close) {
            start++;
            end = (size_t)(close - v);
        }
    } else {
        const char *colon = memchr(v + start, ':', end - start);
        if (colon && !memchr(colon + 1, ':', end - (size_t)(colon - v) - 1))
            end = (size_t)(colon - v);
    }
    ch_clean(p->via_first, sizeof(p->via_first), v + start, end - start);
}

void ch_line(struct cf_proxy *p, const char *line, size_t len)
{
    const char *v;
    size_t vlen = 0;

    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (status_line(p, line, len))
        return;
    if (!p->status)
        return; /* no answer started: nothing of ours */
    if (len == 0) {
        p->done = true;
        return;
    }
    if ((v = header_value(line, len, "Via", &vlen)) != NULL) {
        if (!p->via_first[0]) /* a repeated Via continues the list: keep the first */
            via_first(p, v, vlen);
    } else if ((v = header_value(line, len, "X-Squid-Error", &vlen)) != NULL) {
        ch_clean(p->error, sizeof(p->error), v, vlen);
    }
}

int ch_hop_index(const char *name, const char *const *via, size_t n_via)
{
    if (!name || !name[0])
        return -1;
    for (size_t i = 0; i < n_via; i++)
        if (via[i] && strcasecmp(via[i], name) == 0)
            return (int)i;
    return -1;
}
