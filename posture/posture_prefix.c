/*
 * posture_prefix: strict CIDR parsing and interval arithmetic for the
 * posture's sets (posture_prefix.h).
 *
 * Threading: none; pure functions.
 */
#include "posture_prefix.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

/* clears (set=false) or sets every bit of addr past the first plen */
static void fill_host_bits(unsigned char *addr, size_t alen, unsigned plen, bool set)
{
    for (size_t i = 0; i < alen; i++) {
        unsigned keep = plen >= 8 * (i + 1) ? 8 : (plen > 8 * i ? plen - 8 * (unsigned)i : 0);
        unsigned char mask = (unsigned char)(keep ? 0xff << (8 - keep) : 0);
        addr[i] = set ? (unsigned char)(addr[i] | ~mask) : (unsigned char)(addr[i] & mask);
    }
}

/* the prefix length after '/': decimal digits only, at most max */
static bool parse_len(const char *s, unsigned max, unsigned *out, char *why, size_t whylen)
{
    unsigned v = 0;

    if (!*s) {
        snprintf(why, whylen, "no prefix length after '/'");
        return false;
    }
    if (s[0] == '0' && s[1]) {
        snprintf(why, whylen, "prefix length with a leading zero");
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || p - s > 3) {
            snprintf(why, whylen, "prefix length is not a number of 0 to %u", max);
            return false;
        }
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > max) {
        snprintf(why, whylen, "prefix length %u is over %u", v, max);
        return false;
    }
    *out = v;
    return true;
}

bool pp_parse(const char *s, struct pp_prefix *out, char *why, size_t whylen)
{
    char buf[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);

    *out = (struct pp_prefix){0};
    if (!alen || alen >= sizeof(buf)) {
        snprintf(why, whylen, "not an IPv4 or IPv6 address before '/'");
        return false;
    }
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    out->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(out->family, buf, out->addr) != 1) {
        snprintf(why, whylen, "not an IPv4 or IPv6 address before '/'");
        return false;
    }
    unsigned max = out->family == AF_INET ? 32 : 128;
    out->len = max;
    if (slash && !parse_len(slash + 1, max, &out->len, why, whylen))
        return false;
    struct pp_prefix net = *out;
    fill_host_bits(net.addr, addr_len(net.family), net.len, false);
    if (memcmp(net.addr, out->addr, sizeof(net.addr)) != 0) {
        char txt[PP_TEXT_MAX];
        pp_format(&net, txt, sizeof(txt));
        snprintf(why, whylen, "host bits set (expected %s)", txt);
        return false;
    }
    return true;
}

void pp_format(const struct pp_prefix *p, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];

    if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
        snprintf(a, sizeof(a), "?");
    snprintf(buf, len, "%s/%u", a, p->len);
}

static int cmp_prefix(const void *pa, const void *pb)
{
    const struct pp_prefix *a = pa, *b = pb;

    if (a->family != b->family)
        return a->family == AF_INET ? -1 : 1;
    int c = memcmp(a->addr, b->addr, addr_len(a->family));
    if (c)
        return c;
    return a->len < b->len ? -1 : (a->len > b->len ? 1 : 0);
}

/* outer holds inner (same family, shorter or equal length, same network) */
static bool covers(const struct pp_prefix *outer, const struct pp_prefix *inner)
{
    if (outer->family != inner->family || outer->len > inner->len)
        return false;
    struct pp_prefix net = *inner;
    fill_host_bits(net.addr, addr_len(net.family), outer->len, false);
    return memcmp(net.addr, outer->addr, addr_len(net.family)) == 0;
}

size_t pp_normalize(struct pp_prefix *v, size_t n)
{
    size_t out = 0;

    if (!n)
        return 0;
    /* sorted by address then length: a covering prefix comes right before
     * every prefix it covers */
    qsort(v, n, sizeof(*v), cmp_prefix);
    for (size_t i = 0; i < n; i++) {
        if (out && covers(&v[out - 1], &v[i]))
            continue;
        v[out++] = v[i];
    }
    return out;
}

void pp_to_range(const struct pp_prefix *p, struct pp_range *r)
{
    *r = (struct pp_range){.family = p->family};
    memcpy(r->lo, p->addr, sizeof(r->lo));
    memcpy(r->hi, p->addr, sizeof(r->hi));
    fill_host_bits(r->hi, addr_len(p->family), p->len, true);
}

static int cmp_range(const void *pa, const void *pb)
{
    const struct pp_range *a = pa, *b = pb;

    if (a->family != b->family)
        return a->family == AF_INET ? -1 : 1;
    int c = memcmp(a->lo, b->lo, addr_len(a->family));
    return c ? c : memcmp(a->hi, b->hi, addr_len(a->family));
}

/* a + 1 == b (big-endian numbers of alen bytes); false when a is all ones */
static bool next_to(const unsigned char *a, const unsigned char *b, size_t alen)
{
    unsigned char t[16];

    memcpy(t, a, alen);
    for (size_t i = alen; i-- > 0;) {
        if (++t[i] != 0)
            return memcmp(t, b, alen) == 0;
    }
    return false;
}

size_t pp_merge(struct pp_range *v, size_t n)
{
    size_t out = 0;

    if (!n)
        return 0;
    qsort(v, n, sizeof(*v), cmp_range);
    for (size_t i = 0; i < n; i++) {
        struct pp_range *last = out ? &v[out - 1] : NULL;
        size_t al = addr_len(v[i].family);
        if (last && last->family == v[i].family &&
            (memcmp(v[i].lo, last->hi, al) <= 0 || next_to(last->hi, v[i].lo, al))) {
            if (memcmp(v[i].hi, last->hi, al) > 0)
                memcpy(last->hi, v[i].hi, al);
            continue;
        }
        v[out++] = v[i];
    }
    return out;
}

/* the prefix length of [lo, hi] when it is exactly a prefix; -1 if not */
static int range_plen(const struct pp_range *r)
{
    size_t al = addr_len(r->family);

    for (unsigned len = 0; len <= 8 * al; len++) {
        struct pp_prefix p = {.family = r->family, .len = len};
        memcpy(p.addr, r->lo, al);
        fill_host_bits(p.addr, al, len, false);
        if (memcmp(p.addr, r->lo, al) != 0)
            continue;
        struct pp_range t;
        pp_to_range(&p, &t);
        if (memcmp(t.hi, r->hi, al) == 0)
            return (int)len;
    }
    return -1;
}

void pp_range_format(const struct pp_range *r, char *buf, size_t len)
{
    char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
    int plen = range_plen(r);

    if (!inet_ntop(r->family, r->lo, lo, sizeof(lo)))
        snprintf(lo, sizeof(lo), "?");
    if (plen >= 0) {
        snprintf(buf, len, "%s/%d", lo, plen);
        return;
    }
    if (!inet_ntop(r->family, r->hi, hi, sizeof(hi)))
        snprintf(hi, sizeof(hi), "?");
    snprintf(buf, len, "%s-%s", lo, hi);
}

bool pp_range_equal(const struct pp_range *a, const struct pp_range *b)
{
    return a->family == b->family && cmp_range(a, b) == 0;
}
