/*
 * prefix.c - IPv4/IPv6 prefixes: parsing, formatting, containment, hashing.
 *
 * Threading: pure functions on caller data; callable from any thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

int rt_fam_index(int family)
{
    if (family == AF_INET)
        return RT_FAM_V4;
    if (family == AF_INET6)
        return RT_FAM_V6;
    return -1;
}

int rt_fam_af(int idx)
{
    return idx == RT_FAM_V4 ? AF_INET : AF_INET6;
}

size_t rt_addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

int rt_addr_parse(int family, const char *s, uint8_t out[16])
{
    memset(out, 0, 16);
    return inet_pton(family, s, out) == 1 ? 0 : -EINVAL;
}

void rt_addr_format(int family, const uint8_t *addr, char *buf, size_t len)
{
    if (!inet_ntop(family, addr, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

static bool host_bits_clear(int family, const uint8_t *addr, unsigned plen)
{
    size_t alen = rt_addr_len(family);
    for (size_t i = 0; i < alen; i++) {
        unsigned bit0 = (unsigned)i * 8;
        uint8_t mask;
        if (bit0 + 8 <= plen)
            continue;
        mask = bit0 >= plen ? 0xff : (uint8_t)(0xff >> (plen - bit0));
        if (addr[i] & mask)
            return false;
    }
    return true;
}

static void clear_host_bits(int family, uint8_t *addr, unsigned plen)
{
    size_t alen = rt_addr_len(family);
    for (size_t i = 0; i < alen; i++) {
        unsigned bit0 = (unsigned)i * 8;
        if (bit0 + 8 <= plen)
            continue;
        addr[i] &= bit0 >= plen ? 0 : (uint8_t)(0xff << (8 - (plen - bit0)));
    }
}

int rt_prefix_make(int family, const void *addr, unsigned plen, struct rt_prefix *p, char *err,
                   size_t errlen)
{
    char a[INET6_ADDRSTRLEN], fixed[INET6_ADDRSTRLEN];
    if (family != AF_INET && family != AF_INET6) {
        snprintf(err, errlen, "address family %d is neither IPv4 nor IPv6", family);
        return -EINVAL;
    }
    if (plen > rt_addr_len(family) * 8) {
        snprintf(err, errlen, "prefix length /%u is longer than %zu bits", plen,
                 rt_addr_len(family) * 8);
        return -EINVAL;
    }
    memset(p, 0, sizeof(*p));
    p->family = (uint8_t)family;
    p->plen = (uint8_t)plen;
    memcpy(p->addr, addr, rt_addr_len(family));
    if (!host_bits_clear(family, p->addr, plen)) {
        uint8_t copy[16];
        memcpy(copy, p->addr, 16);
        clear_host_bits(family, copy, plen);
        rt_addr_format(family, p->addr, a, sizeof(a));
        rt_addr_format(family, copy, fixed, sizeof(fixed));
        snprintf(err, errlen, "prefix %s/%u has host bits set (expected %s/%u)", a, plen, fixed,
                 plen);
        return -EINVAL;
    }
    return 0;
}

int rt_prefix_parse(const char *s, struct rt_prefix *p, char *err, size_t errlen)
{
    char buf[INET6_ADDRSTRLEN + 8], shown[RT_ESCAPED_MAX];
    uint8_t addr[16];
    char *slash, *end;
    unsigned long plen;
    int family;

    if (!s || strlen(s) >= sizeof(buf)) {
        snprintf(err, errlen, "'%s' is not a prefix (expected address/length)",
                 rt_name_escape(s, shown, sizeof(shown)));
        return -EINVAL;
    }
    strcpy(buf, s);
    slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    family = strchr(buf, ':') ? AF_INET6 : AF_INET;
    if (rt_addr_parse(family, buf, addr) < 0) {
        snprintf(err, errlen, "'%s' is not a prefix (expected address/length)",
                 rt_name_escape(s, shown, sizeof(shown)));
        return -EINVAL;
    }
    if (slash) {
        errno = 0;
        plen = strtoul(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || plen > rt_addr_len(family) * 8) {
            snprintf(err, errlen, "'%s' has an invalid prefix length (expected 0..%zu)",
                     rt_name_escape(s, shown, sizeof(shown)), rt_addr_len(family) * 8);
            return -EINVAL;
        }
    } else {
        plen = rt_addr_len(family) * 8;
    }
    return rt_prefix_make(family, addr, (unsigned)plen, p, err, errlen);
}

void rt_prefix_format(const struct rt_prefix *p, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN];
    rt_addr_format(p->family, p->addr, a, sizeof(a));
    snprintf(buf, len, "%s/%u", a, p->plen);
}

int rt_prefix_cmp(const struct rt_prefix *a, const struct rt_prefix *b)
{
    int c;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    c = memcmp(a->addr, b->addr, rt_addr_len(a->family));
    if (c)
        return c;
    if (a->plen != b->plen)
        return a->plen < b->plen ? -1 : 1;
    return 0;
}

bool rt_prefix_eq(const struct rt_prefix *a, const struct rt_prefix *b)
{
    return a->family == b->family && a->plen == b->plen && !memcmp(a->addr, b->addr, 16);
}

bool rt_addr_in_subnet(int family, const uint8_t *addr, const uint8_t *net, unsigned plen)
{
    unsigned full = plen / 8, rest = plen % 8;
    if (memcmp(addr, net, full))
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((addr[full] & mask) != (net[full] & mask))
            return false;
    }
    (void)family;
    return true;
}

bool rt_prefix_contains(const struct rt_prefix *outer, const struct rt_prefix *inner)
{
    if (outer->family != inner->family || outer->plen > inner->plen)
        return false;
    return rt_addr_in_subnet(outer->family, inner->addr, outer->addr, outer->plen);
}

uint64_t rt_prefix_hash(const struct rt_prefix *p)
{
    uint64_t a, b, h;
    memcpy(&a, p->addr, 8);
    memcpy(&b, p->addr + 8, 8);
    h = a * 0x9e3779b97f4a7c15ull;
    h ^= (b + ((uint64_t)p->plen << 8 | p->family)) * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}
