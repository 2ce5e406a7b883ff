/*
 * gateway.c - whether a path's next hop can be one on its interface now,
 * from the links and addresses the engine mirrors: it must be on a subnet
 * connected to the interface (IPv6 link-local always is), and be a
 * neighbour's address. The kernel refuses a nexthop via the subnet's
 * broadcast address, via an address of this host on another interface,
 * via an IPv6 address of this host or a multicast one; the subnet's own
 * (network) address, which it takes, is no host either, and a next hop via
 * this host's own address sends the traffic to itself. Each is refused
 * here, with a message, before any request is sent (and by
 * routes_precheck(): tunneld -n).
 *
 * Threading: reads the mirror; runs with the engine mutex held (or on the
 * private engine of routes_precheck()).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

/* addr with the bits after plen cleared (set: ones) into out */
static void subnet_end(int family, const uint8_t *addr, unsigned plen, bool ones, uint8_t *out)
{
    size_t len = rt_addr_len(family);

    memset(out, 0, 16);
    for (size_t i = 0; i < len; i++) {
        unsigned bit0 = (unsigned)i * 8;
        uint8_t mask = bit0 + 8 <= plen ? 0xff
                       : bit0 >= plen   ? 0
                                        : (uint8_t)(0xff << (8 - (plen - bit0)));
        out[i] = (uint8_t)((addr[i] & mask) | (ones ? (uint8_t)~mask : 0));
    }
}

/* The connected IPv4 subnet (of the interface) whose network or broadcast
 * address gw is: true with what in *what and the subnet in net/plen. */
static bool subnet_edge(const struct rt_mirror *m, int ifindex, const uint8_t *gw,
                        const char **what, struct rt_prefix *net)
{
    for (size_t i = 0; i < m->n_addrs; i++) {
        const struct rt_addr *a = &m->addrs[i];
        uint8_t first[16], last[16];
        if (a->ifindex != ifindex || a->family != AF_INET || a->plen > 30)
            continue; /* /31 and /32: every address is a host */
        subnet_end(AF_INET, a->addr, a->plen, false, first);
        subnet_end(AF_INET, a->addr, a->plen, true, last);
        if (memcmp(gw, first, 4) && memcmp(gw, last, 4))
            continue;
        *what = memcmp(gw, first, 4) ? "the broadcast address" : "the network address";
        memset(net, 0, sizeof(*net));
        net->family = AF_INET;
        net->plen = a->plen;
        memcpy(net->addr, first, 4);
        return true;
    }
    return false;
}

/* an address of this host: the interface that has it, or NULL */
static const struct rt_link *own_address(const struct rt_mirror *m, int family, const uint8_t *gw)
{
    for (size_t i = 0; i < m->n_addrs; i++) {
        const struct rt_addr *a = &m->addrs[i];
        if (a->family == family && !memcmp(a->addr, gw, rt_addr_len(family)))
            return rt_mirror_link_by_index(m, a->ifindex);
    }
    return NULL;
}

bool rt_gw_usable(const struct rt_mirror *m, const struct rt_link *l, int family, const uint8_t *gw,
                  char *why, size_t len)
{
    const struct rt_link *own;
    struct rt_prefix net;
    const char *what;
    char g[64], subnets[160], p[64];

    rt_addr_format(family, gw, g, sizeof(g));
    if (family == AF_INET6 && gw[0] == 0xff) {
        snprintf(why, len, "next hop %s is a multicast address (expected a neighbour's address)",
                 g);
        return false;
    }
    if (!rt_mirror_gw_connected(m, l->ifindex, family, gw, subnets, sizeof(subnets))) {
        snprintf(why, len, "next hop %s is not on a subnet connected to %s (expected one of: %s)",
                 g, l->name, subnets);
        return false;
    }
    own = own_address(m, family, gw);
    if (own) {
        snprintf(why, len,
                 "next hop %s is an address of this host (on %s), not a neighbour's (expected "
                 "the address of the router on %s)",
                 g, own->name, l->name);
        return false;
    }
    if (family == AF_INET && subnet_edge(m, l->ifindex, gw, &what, &net)) {
        rt_prefix_format(&net, p, sizeof(p));
        snprintf(why, len,
                 "next hop %s is %s of %s on %s, not a host (expected the address of the router "
                 "on %s)",
                 g, what, p, l->name, l->name);
        return false;
    }
    return true;
}
