/*
 * posture_prefix: strict CIDR parsing, the normal form nftables takes for
 * an interval set (no prefix covered by another), and address ranges to
 * compare a set read back from the kernel with the configuration.
 *
 * Threading: pure functions on the caller's values; no state.
 */
#ifndef TUNNELD_POSTURE_PREFIX_H
#define TUNNELD_POSTURE_PREFIX_H

#include <stdbool.h>
#include <stddef.h>

/* "ffff:...:ffff/128" and "a-b" ranges of two IPv6 addresses, with the NUL */
#define PP_TEXT_MAX (2 * 46 + 2)

struct pp_prefix {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned len;
};

/* an interval [lo, hi] of one family (addresses in network byte order) */
struct pp_range {
    int family;
    unsigned char lo[16], hi[16];
};

/* "addr/len" or a bare address (a host prefix); digits only after '/',
 * no host bit set past len. false with why ("host bits set (expected
 * 100.64.1.0/24)", "prefix length 33 is over 32", ...) */
bool pp_parse(const char *s, struct pp_prefix *out, char *why, size_t whylen);
/* canonical text, buf of PP_TEXT_MAX */
void pp_format(const struct pp_prefix *p, char *buf, size_t len);
/* sorts (IPv4 first), removes duplicates and prefixes inside another: the
 * set nftables accepts without "conflicting intervals"; returns the count */
size_t pp_normalize(struct pp_prefix *v, size_t n);

void pp_to_range(const struct pp_prefix *p, struct pp_range *r);
/* sorts and merges overlapping and adjacent ranges; returns the count */
size_t pp_merge(struct pp_range *v, size_t n);
/* "a/len" when the range is a prefix, else "lo-hi"; buf of PP_TEXT_MAX */
void pp_range_format(const struct pp_range *r, char *buf, size_t len);
bool pp_range_equal(const struct pp_range *a, const struct pp_range *b);

#endif
