/*
 * route_peers: one entry of a connection's remote_addrs read the way charon
 * reads it (libcharon's ike_cfg: a subnet "a/bits", else a range "a-b",
 * else a host resolved when needed), turned into the address ranges that
 * the peer may use, so that tunneld can keep every VPN peer's own address
 * out of its routing table:
 *
 *  - a subnet: host_create_from_string of the part before '/' (inet_pton,
 *    '%any', '%any4', '%any6', '0.0.0.0', '::'), bits as atoi() and cut to
 *    8 bits, at most 32 or 128; host bits cleared (charon's
 *    traffic_selector_create_from_subnet does the same);
 *  - a range: both ends as host_create_from_string, the first in the
 *    family of the second;
 *  - a host: host_create_from_string, else the resolver: every literal form
 *    getaddrinfo() accepts without DNS (AI_NUMERICHOST: "198.51.100.02",
 *    "0xc6.0x33.0x64.2", "3325256706", "fe80::1%eth0", ...); anything else
 *    is a DNS name, which tunneld cannot check (no DNS lookup is made).
 *
 * An IPv4-mapped IPv6 address (::ffff:198.51.100.2) also stands for its IPv4
 * address: a dual-stack socket sends to it over IPv4.
 *
 * Threading: no state; any thread (getaddrinfo with AI_NUMERICHOST never
 * blocks on the network).
 */
#ifndef TUNNELD_ROUTE_PEERS_H
#define TUNNELD_ROUTE_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PEER_HOST,   /* one address (two for an IPv4-mapped IPv6 address) */
    PEER_SUBNET, /* a subnet with at least one network bit */
    PEER_RANGE,  /* from-to, from <= to */
    PEER_ANY,    /* %any, 0.0.0.0, ::, a /0 subnet: any peer */
    PEER_EMPTY,  /* a range whose first address is above its last */
    PEER_NAME,   /* a DNS name (or something that is nothing else) */
} peer_kind_t;

/* an inclusive range of addresses of one family */
typedef struct {
    int family; /* AF_INET or AF_INET6 */
    uint8_t from[16], to[16];
} peer_span_t;

typedef struct {
    peer_kind_t kind;
    peer_span_t span[2]; /* HOST, SUBNET, RANGE: what the entry covers */
    size_t n_span;       /* 2 for an IPv4-mapped address, else 1 (0: ANY, EMPTY, NAME) */
    unsigned bits;       /* SUBNET: network bits */
} peer_addr_t;

/* Reads one remote_addrs entry (as conf_info split it). */
void route_peer_parse(const char *entry, peer_addr_t *out);

/* Whether the span overlaps the prefix addr/plen of the same family. */
bool route_peer_overlaps(const peer_span_t *span, int family, const uint8_t *addr, unsigned plen);

/* An address as text (inet_ntop). */
void route_peer_addr_text(int family, const uint8_t *addr, char *buf, size_t len);

/*
 * The span as prefixes: calls add(ctx, "a/len") for each CIDR block that
 * together cover it exactly (at most 2 x 128 of them); stops at the first
 * add that returns false and returns false.
 */
bool route_peer_cidrs(const peer_span_t *span, bool (*add)(void *ctx, const char *cidr), void *ctx);

/* One span of a remote_addrs entry, with where it comes from. */
typedef struct {
    peer_span_t span;
    peer_kind_t kind;  /* of the entry: PEER_HOST, PEER_SUBNET or PEER_RANGE */
    const char *conn;  /* the connection's name (borrowed) */
    const char *entry; /* the entry as written (borrowed) */
} peer_ref_t;

/* Every span of every entry, read once and sorted, so that each site prefix
 * is checked in O(log n). The strings are borrowed from the caller's
 * connection list, which must outlive the index. */
typedef struct {
    peer_ref_t *refs;      /* by family, then first address */
    uint8_t (*max_to)[16]; /* the highest last address of refs[0..i] of refs[i]'s family */
    size_t n;
} peer_index_t;

/* adds the spans of one entry of connection conn; false when out of memory */
bool route_peer_index_add(peer_index_t *ix, const char *conn, const char *entry);
/* sorts what was added; false when out of memory */
bool route_peer_index_done(peer_index_t *ix);
/* a span that overlaps the prefix addr/plen, or NULL */
const peer_ref_t *route_peer_index_find(const peer_index_t *ix, int family, const uint8_t *addr,
                                        unsigned plen);
void route_peer_index_free(peer_index_t *ix);

#endif
