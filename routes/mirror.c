/*
 * mirror.c - the engine's copy of the kernel objects it cares about: its own
 * nexthops and routes, nexthop ids used by others in its id range, links,
 * addresses and its own policy rules.
 *
 * Threading: plain data; callers serialise (engine mutex).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

void rt_mirror_init(struct rt_mirror *m)
{
    memset(m, 0, sizeof(*m));
    rt_rtable_init(&m->routes);
    rt_rtable_init(&m->fallback);
    rt_rtable_init(&m->bypass);
}

void rt_mirror_free(struct rt_mirror *m)
{
    free(m->nh);
    free(m->foreign);
    free(m->links);
    free(m->addrs);
    free(m->rules);
    rt_rtable_free(&m->routes);
    rt_rtable_free(&m->fallback);
    rt_rtable_free(&m->bypass);
    memset(m, 0, sizeof(*m));
}

static int reserve(void **v, size_t *cap, size_t n, size_t elem)
{
    void *nv;
    size_t ncap;
    if (n < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    nv = realloc(*v, ncap * elem);
    if (!nv)
        return -ENOMEM;
    *v = nv;
    *cap = ncap;
    return 0;
}

struct rt_nh *rt_mirror_nh(const struct rt_mirror *m, uint32_t id)
{
    for (size_t i = 0; i < m->n_nh; i++)
        if (m->nh[i].id == id)
            return &m->nh[i];
    return NULL;
}

int rt_mirror_nh_put(struct rt_mirror *m, const struct rt_nh *nh)
{
    struct rt_nh *cur = rt_mirror_nh(m, nh->id);
    if (cur) {
        *cur = *nh;
        return 0;
    }
    if (reserve((void **)&m->nh, &m->cap_nh, m->n_nh, sizeof(*m->nh)) < 0)
        return -ENOMEM;
    m->nh[m->n_nh++] = *nh;
    rt_mirror_foreign_del(m, nh->id);
    return 0;
}

bool rt_mirror_nh_del(struct rt_mirror *m, uint32_t id)
{
    struct rt_nh *cur = rt_mirror_nh(m, id);
    if (!cur)
        return false;
    *cur = m->nh[--m->n_nh];
    /* the kernel drops a deleted nexthop from every group holding it */
    for (size_t i = 0; i < m->n_nh; i++) {
        struct rt_nh *g = &m->nh[i];
        if (g->kind != RT_NH_GROUP)
            continue;
        for (size_t k = 0; k < g->n_members; k++) {
            if (g->members[k].id == id) {
                memmove(&g->members[k], &g->members[k + 1],
                        (g->n_members - k - 1) * sizeof(g->members[0]));
                g->n_members--;
                break;
            }
        }
    }
    return true;
}

bool rt_mirror_is_foreign(const struct rt_mirror *m, uint32_t id)
{
    for (size_t i = 0; i < m->n_foreign; i++)
        if (m->foreign[i] == id)
            return true;
    return false;
}

int rt_mirror_foreign_add(struct rt_mirror *m, uint32_t id)
{
    if (rt_mirror_is_foreign(m, id))
        return 0;
    if (reserve((void **)&m->foreign, &m->cap_foreign, m->n_foreign, sizeof(uint32_t)) < 0)
        return -ENOMEM;
    m->foreign[m->n_foreign++] = id;
    return 0;
}

void rt_mirror_foreign_del(struct rt_mirror *m, uint32_t id)
{
    for (size_t i = 0; i < m->n_foreign; i++) {
        if (m->foreign[i] == id) {
            m->foreign[i] = m->foreign[--m->n_foreign];
            return;
        }
    }
}

const struct rt_link *rt_mirror_link_by_name(const struct rt_mirror *m, const char *name)
{
    for (size_t i = 0; i < m->n_links; i++)
        if (!strcmp(m->links[i].name, name))
            return &m->links[i];
    return NULL;
}

const struct rt_link *rt_mirror_link_by_index(const struct rt_mirror *m, int ifindex)
{
    for (size_t i = 0; i < m->n_links; i++)
        if (m->links[i].ifindex == ifindex)
            return &m->links[i];
    return NULL;
}

int rt_mirror_link_put(struct rt_mirror *m, int ifindex, unsigned flags, const char *name)
{
    struct rt_link *l = (struct rt_link *)rt_mirror_link_by_index(m, ifindex);
    if (!l) {
        if (reserve((void **)&m->links, &m->cap_links, m->n_links, sizeof(*m->links)) < 0)
            return -ENOMEM;
        l = &m->links[m->n_links++];
        l->ifindex = ifindex;
    }
    l->flags = flags;
    snprintf(l->name, sizeof(l->name), "%s", name);
    return 0;
}

void rt_mirror_link_del(struct rt_mirror *m, int ifindex)
{
    for (size_t i = 0; i < m->n_links; i++) {
        if (m->links[i].ifindex == ifindex) {
            m->links[i] = m->links[--m->n_links];
            break;
        }
    }
    for (size_t i = 0; i < m->n_addrs;) {
        if (m->addrs[i].ifindex == ifindex)
            m->addrs[i] = m->addrs[--m->n_addrs];
        else
            i++;
    }
}

static bool addr_eq(const struct rt_addr *a, const struct rt_addr *b)
{
    return a->ifindex == b->ifindex && a->family == b->family && a->plen == b->plen &&
           !memcmp(a->addr, b->addr, 16);
}

int rt_mirror_addr_put(struct rt_mirror *m, const struct rt_addr *a)
{
    for (size_t i = 0; i < m->n_addrs; i++)
        if (addr_eq(&m->addrs[i], a))
            return 0;
    if (reserve((void **)&m->addrs, &m->cap_addrs, m->n_addrs, sizeof(*m->addrs)) < 0)
        return -ENOMEM;
    m->addrs[m->n_addrs++] = *a;
    return 0;
}

void rt_mirror_addr_del(struct rt_mirror *m, const struct rt_addr *a)
{
    for (size_t i = 0; i < m->n_addrs; i++) {
        if (addr_eq(&m->addrs[i], a)) {
            m->addrs[i] = m->addrs[--m->n_addrs];
            return;
        }
    }
}

bool rt_mirror_gw_connected(const struct rt_mirror *m, int ifindex, int family, const uint8_t *gw,
                            char *subnets, size_t len)
{
    size_t used = 0;
    bool found = false;
    if (subnets && len)
        subnets[0] = '\0';
    if (family == AF_INET6 && gw[0] == 0xfe && (gw[1] & 0xc0) == 0x80)
        return true; /* link-local: on-link by definition */
    for (size_t i = 0; i < m->n_addrs; i++) {
        const struct rt_addr *a = &m->addrs[i];
        struct rt_prefix p;
        char txt[64];
        if (a->ifindex != ifindex || a->family != family)
            continue;
        if (rt_addr_in_subnet(family, gw, a->addr, a->plen))
            found = true;
        if (subnets && used + 2 < len) {
            memset(&p, 0, sizeof(p));
            p.family = a->family;
            p.plen = a->plen;
            /* the connected subnet, host bits cleared */
            for (unsigned b = 0; b < rt_addr_len(family); b++) {
                unsigned bit0 = b * 8;
                uint8_t mask = bit0 + 8 <= a->plen ? 0xff
                               : bit0 >= a->plen   ? 0
                                                   : (uint8_t)(0xff << (8 - (a->plen - bit0)));
                p.addr[b] = a->addr[b] & mask;
            }
            rt_prefix_format(&p, txt, sizeof(txt));
            used += (size_t)snprintf(subnets + used, len - used, "%s%s", used ? ", " : "", txt);
            if (used >= len)
                used = len - 1;
        }
    }
    if (subnets && len && !subnets[0])
        snprintf(subnets, len, "none");
    return found;
}

bool rt_nh_same_target(const struct rt_nh *a, const struct rt_nh *b)
{
    if (a->kind != b->kind || a->family != b->family)
        return false;
    switch (a->kind) {
    case RT_NH_GW:
        return a->oif == b->oif && !memcmp(a->gw, b->gw, rt_addr_len(a->family));
    case RT_NH_DEV:
        return a->oif == b->oif;
    case RT_NH_BLACKHOLE:
        return true;
    default:
        return rt_nh_same_members(a, b);
    }
}

bool rt_nh_same_members(const struct rt_nh *a, const struct rt_nh *b)
{
    if (a->kind != RT_NH_GROUP || b->kind != RT_NH_GROUP || a->n_members != b->n_members)
        return false;
    /* members are kept sorted by id */
    for (size_t i = 0; i < a->n_members; i++)
        if (a->members[i].id != b->members[i].id || a->members[i].weight != b->members[i].weight)
            return false;
    return true;
}

void rt_nh_describe(const struct rt_nh *nh, const struct rt_mirror *m, char *buf, size_t len)
{
    const struct rt_link *l = m ? rt_mirror_link_by_index(m, (int)nh->oif) : NULL;
    char gw[INET6_ADDRSTRLEN], dev[IF_NAMESIZE + 8];
    size_t used;
    if (l)
        snprintf(dev, sizeof(dev), "%s", l->name);
    else
        snprintf(dev, sizeof(dev), "ifindex %u", nh->oif);
    switch (nh->kind) {
    case RT_NH_GW:
        rt_addr_format(nh->family, nh->gw, gw, sizeof(gw));
        snprintf(buf, len, "nexthop %u via %s dev %s", nh->id, gw, dev);
        break;
    case RT_NH_DEV:
        snprintf(buf, len, "nexthop %u dev %s (%s)", nh->id, dev,
                 nh->family == AF_INET ? "IPv4" : "IPv6");
        break;
    case RT_NH_BLACKHOLE:
        snprintf(buf, len, "nexthop %u blackhole (%s)", nh->id,
                 nh->family == AF_INET ? "IPv4" : "IPv6");
        break;
    default:
        used = (size_t)snprintf(buf, len, "group %u [", nh->id);
        for (size_t i = 0; i < nh->n_members && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, "%s%u/%u", i ? " " : "",
                                     nh->members[i].id, nh->members[i].weight);
        if (used < len)
            snprintf(buf + used, len - used, "]");
        break;
    }
}

bool rt_link_usable(const struct rt_link *l)
{
    /* the kernel refuses nexthops on a link that is down or has no carrier */
    return l && (l->flags & IFF_UP) && (l->flags & IFF_LOWER_UP);
}
