/* route_peers: see route_peers.h (threading there). */
#include "route_peers.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static size_t addr_len(int family)
{
    return family == AF_INET ? 4 : 16;
}

/* charon's host_create_from_string: 1 an address, 0 any (family set), -1 not one */
static int strict_host(const char *s, int want_family, int *family, uint8_t addr[16])
{
    memset(addr, 0, 16);
    if (!strcmp(s, "%any")) {
        *family = want_family ? want_family : AF_INET;
        return 0;
    }
    if ((!want_family || want_family == AF_INET) && (!strcmp(s, "%any4") || !strcmp(s, "0.0.0.0")))
        return *family = AF_INET, 0;
    if ((!want_family || want_family == AF_INET6) && (!strcmp(s, "%any6") || !strcmp(s, "::")))
        return *family = AF_INET6, 0;
    if (want_family == AF_INET && strchr(s, ':'))
        return -1;
    *family = want_family ? want_family : strchr(s, '.') ? AF_INET : AF_INET6;
    return inet_pton(*family, s, addr) == 1 ? 1 : -1;
}

/* what the resolver makes of a literal without asking DNS: 1, or -1 */
static int numeric_host(const char *s, int *family, uint8_t addr[16])
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    int rc = -1;

    memset(addr, 0, 16);
    if (getaddrinfo(s, NULL, &hints, &res) != 0 || !res)
        return -1;
    if (res->ai_family == AF_INET) {
        memcpy(addr, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
        *family = AF_INET;
        rc = 1;
    } else if (res->ai_family == AF_INET6) {
        memcpy(addr, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
        *family = AF_INET6;
        rc = 1;
    }
    freeaddrinfo(res);
    return rc;
}

/* from/to of addr with the bits after the first `bits` cleared/set */
static void span_of_subnet(peer_span_t *sp, int family, const uint8_t *addr, unsigned bits)
{
    size_t len = addr_len(family);

    sp->family = family;
    memset(sp->from, 0, 16);
    memset(sp->to, 0, 16);
    for (size_t i = 0; i < len; i++) {
        unsigned bit0 = (unsigned)i * 8;
        uint8_t mask = bit0 + 8 <= bits ? 0xff
                       : bit0 >= bits   ? 0
                                        : (uint8_t)(0xff << (8 - (bits - bit0)));
        sp->from[i] = addr[i] & mask;
        sp->to[i] = (uint8_t)(addr[i] | (uint8_t)~mask);
    }
}

static void add_host(peer_addr_t *out, int family, const uint8_t *addr)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    out->kind = PEER_HOST;
    span_of_subnet(&out->span[0], family, addr, (unsigned)addr_len(family) * 8);
    out->n_span = 1;
    if (family == AF_INET6 && !memcmp(addr, mapped, sizeof(mapped))) {
        span_of_subnet(&out->span[1], AF_INET, addr + 12, 32);
        out->n_span = 2;
    }
}

/* "a/bits" as ike_cfg's make_subnet reads it; false when it is not one */
static bool parse_subnet(const char *entry, peer_addr_t *out)
{
    const char *slash = strchr(entry, '/');
    char buf[64];
    uint8_t addr[16];
    int family, host;
    long bits;

    if (!slash || (size_t)(slash - entry) >= sizeof(buf))
        return false;
    memcpy(buf, entry, (size_t)(slash - entry));
    buf[slash - entry] = '\0';
    host = strict_host(buf, 0, &family, addr);
    if (host < 0)
        return false;
    /* atoi(), then charon's uint8_t netbits, at most the address length */
    bits = strtol(slash + 1, NULL, 10);
    bits = (long)(uint8_t)bits;
    if ((size_t)bits > addr_len(family) * 8)
        bits = (long)addr_len(family) * 8;
    out->bits = (unsigned)bits;
    if (!bits) {
        out->kind = PEER_ANY;
        return true;
    }
    out->kind = PEER_SUBNET;
    span_of_subnet(&out->span[0], family, addr, (unsigned)bits);
    out->n_span = 1;
    return true;
}

/* "a-b" as host_create_from_range reads it; false when it is not one */
static bool parse_range(const char *entry, peer_addr_t *out)
{
    const char *sep = strchr(entry, '-'), *to_s;
    uint8_t from[16], to[16];
    int family, ffam;
    char *from_s;
    bool ok;

    if (!sep)
        return false;
    for (to_s = sep + 1; *to_s == ' '; to_s++)
        ;
    if (strict_host(to_s, 0, &family, to) < 0)
        return false;
    while (sep > entry && sep[-1] == ' ')
        sep--;
    from_s = strndup(entry, (size_t)(sep - entry));
    ok = from_s && strict_host(from_s, family, &ffam, from) >= 0;
    free(from_s);
    if (!ok)
        return false;
    out->span[0].family = family;
    memcpy(out->span[0].from, from, 16);
    memcpy(out->span[0].to, to, 16);
    out->kind = memcmp(from, to, addr_len(family)) > 0 ? PEER_EMPTY : PEER_RANGE;
    out->n_span = out->kind == PEER_RANGE;
    return true;
}

void route_peer_parse(const char *entry, peer_addr_t *out)
{
    uint8_t addr[16];
    int family, host;

    memset(out, 0, sizeof(*out));
    if (parse_subnet(entry, out) || parse_range(entry, out))
        return;
    host = strict_host(entry, 0, &family, addr);
    if (host < 0)
        host = numeric_host(entry, &family, addr);
    if (host < 0)
        out->kind = PEER_NAME;
    else if (host == 0 ||
             !memcmp(addr, (const uint8_t[16]){0}, addr_len(family))) /* the resolver's 0.0.0.0 */
        out->kind = PEER_ANY;
    else
        add_host(out, family, addr);
}

bool route_peer_overlaps(const peer_span_t *span, int family, const uint8_t *addr, unsigned plen)
{
    peer_span_t pfx;
    size_t len = addr_len(family);

    if (span->family != family)
        return false;
    span_of_subnet(&pfx, family, addr, plen);
    return memcmp(pfx.from, span->to, len) <= 0 && memcmp(span->from, pfx.to, len) <= 0;
}

void route_peer_addr_text(int family, const uint8_t *addr, char *buf, size_t len)
{
    if (!inet_ntop(family, addr, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

/* the low k bits of a (len bytes) are all zero / all one */
static bool low_bits(const uint8_t *a, size_t len, unsigned k, uint8_t want)
{
    for (size_t i = len; k && i-- > 0;) {
        unsigned n = k < 8 ? k : 8;
        uint8_t mask = (uint8_t)((1u << n) - 1);
        if ((a[i] & mask) != (want & mask))
            return false;
        k -= n;
    }
    return true;
}

/* a with its low k bits set (into out) */
static void set_low_bits(const uint8_t *a, size_t len, unsigned k, uint8_t *out)
{
    memcpy(out, a, len);
    for (size_t i = len; k && i-- > 0;) {
        unsigned n = k < 8 ? k : 8;
        out[i] |= (uint8_t)((1u << n) - 1);
        k -= n;
    }
}

/* a += 1; false when it wrapped */
static bool increment(uint8_t *a, size_t len)
{
    for (size_t i = len; i-- > 0;)
        if (++a[i])
            return true;
    return false;
}

bool route_peer_cidrs(const peer_span_t *span, bool (*add)(void *ctx, const char *cidr), void *ctx)
{
    size_t len = addr_len(span->family);
    unsigned width = (unsigned)len * 8;
    uint8_t cur[16] = {0}, last[16] = {0};

    memcpy(cur, span->from, len);
    /* at most two blocks per bit length: bounded by 2 x width + 1 rounds */
    for (unsigned round = 0; round <= 2 * width + 1; round++) {
        char text[64], cidr[80];
        unsigned k = width;
        /* the largest aligned block from cur that ends at or before to */
        for (; k > 0; k--) {
            set_low_bits(cur, len, k, last);
            if (low_bits(cur, len, k, 0) && memcmp(last, span->to, len) <= 0)
                break;
        }
        set_low_bits(cur, len, k, last);
        route_peer_addr_text(span->family, cur, text, sizeof(text));
        snprintf(cidr, sizeof(cidr), "%s/%u", text, width - k);
        if (!add(ctx, cidr))
            return false;
        if (!memcmp(last, span->to, len) || !increment(last, len))
            return true;
        memcpy(cur, last, len);
    }
    return true;
}

bool route_peer_index_add(peer_index_t *ix, const char *conn, const char *entry)
{
    peer_addr_t pa;
    peer_ref_t *grown;

    route_peer_parse(entry, &pa);
    if (!pa.n_span)
        return true;
    grown = realloc(ix->refs, (ix->n + pa.n_span) * sizeof(*grown));
    if (!grown)
        return false;
    ix->refs = grown;
    for (size_t i = 0; i < pa.n_span; i++)
        ix->refs[ix->n++] =
            (peer_ref_t){.span = pa.span[i], .kind = pa.kind, .conn = conn, .entry = entry};
    return true;
}

static int ref_cmp(const void *a, const void *b)
{
    const peer_ref_t *x = a, *y = b;

    if (x->span.family != y->span.family)
        return x->span.family < y->span.family ? -1 : 1;
    return memcmp(x->span.from, y->span.from, 16);
}

bool route_peer_index_done(peer_index_t *ix)
{
    if (!ix->n)
        return true;
    qsort(ix->refs, ix->n, sizeof(*ix->refs), ref_cmp);
    ix->max_to = malloc(ix->n * sizeof(*ix->max_to));
    if (!ix->max_to)
        return false;
    for (size_t i = 0; i < ix->n; i++) {
        const uint8_t *to = ix->refs[i].span.to;
        bool same = i && ix->refs[i - 1].span.family == ix->refs[i].span.family;
        memcpy(ix->max_to[i],
               same && memcmp(ix->max_to[i - 1], to, 16) > 0 ? ix->max_to[i - 1] : to, 16);
    }
    return true;
}

const peer_ref_t *route_peer_index_find(const peer_index_t *ix, int family, const uint8_t *addr,
                                        unsigned plen)
{
    peer_span_t pfx;
    size_t lo = 0, hi = ix->n, len = addr_len(family);

    span_of_subnet(&pfx, family, addr, plen);
    /* the refs of the family whose first address is at most the prefix's last */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const peer_span_t *m = &ix->refs[mid].span;
        if (m->family < family || (m->family == family && memcmp(m->from, pfx.to, 16) <= 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo || ix->refs[lo - 1].span.family != family ||
        memcmp(ix->max_to[lo - 1], pfx.from, len) < 0)
        return NULL; /* none of them reaches the prefix */
    for (size_t i = lo; i-- > 0 && ix->refs[i].span.family == family;)
        if (memcmp(ix->refs[i].span.to, pfx.from, len) >= 0)
            return &ix->refs[i];
    return NULL;
}

void route_peer_index_free(peer_index_t *ix)
{
    free(ix->refs);
    free(ix->max_to);
    memset(ix, 0, sizeof(*ix));
}
