/*
 * neigh.c - the kernel's neighbour state of the paths' gateways. A gateway
 * whose neighbour entry on the path's interface is FAILED (it stopped
 * answering ARP or neighbour solicitations while the link stays up) makes
 * its path unusable at once; the entry confirmed again (REACHABLE,
 * PERMANENT, NOARP) makes it usable. The engine keeps the
 * FAILED gateways in a list of its own: the kernel forgets a FAILED entry
 * after a while (garbage collection), which says nothing about the next
 * hop. A path carrying no traffic resolves nothing, so once a second the
 * engine asks the kernel to resolve each FAILED gateway again (RTM_NEWNEIGH
 * with NTF_USE: the kernel's own ARP/ND, a few packets to that gateway
 * only); a pinned probe through the path (probe.c) does the same.
 *
 * The table read at an apply (the engine's start, a reload) is no history:
 * a gateway whose entry says nothing there (STALE, NONE, or no entry) is
 * asked to resolve once (NTF_USE), so that a next hop that does not answer
 * ARP/ND is found FAILED (its notification) with no traffic through it. A
 * FAILED entry turns STALE whenever the next hop's own ARP request or
 * neighbour solicitation arrives (it sends but does not hear us): read as
 * such at start, that gateway would otherwise stay in service unverified.
 *
 * Threading: runs with the engine mutex held (monitor, apply, the event
 * loop entry points).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "internal.h"

#define RT_NUDGE_MS 1000

static struct nla_policy neigh_policy[NDA_MAX + 1] = {
    [NDA_DST] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
};

/* 1 parsed, 0 not a neighbour of ours to look at, <0 malformed */
int rt_parse_neigh(struct nlmsghdr *hdr, struct rt_nbr *n, uint16_t *state)
{
    struct nlattr *tb[NDA_MAX + 1];
    struct ndmsg *ndm;

    if (hdr->nlmsg_type != RTM_NEWNEIGH && hdr->nlmsg_type != RTM_DELNEIGH)
        return 0;
    if (nlmsg_parse(hdr, sizeof(*ndm), tb, NDA_MAX, neigh_policy) < 0)
        return -EINVAL;
    ndm = nlmsg_data(hdr);
    if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
        return 0;
    if (!tb[NDA_DST] || (size_t)nla_len(tb[NDA_DST]) != rt_addr_len(ndm->ndm_family))
        return 0;
    memset(n, 0, sizeof(*n));
    n->ifindex = ndm->ndm_ifindex;
    n->family = ndm->ndm_family;
    memcpy(n->addr, nla_data(tb[NDA_DST]), rt_addr_len(n->family));
    *state = ndm->ndm_state;
    return 1;
}

static bool nbr_eq(const struct rt_nbr *a, int ifindex, int family, const uint8_t *addr)
{
    return a->ifindex == ifindex && a->family == family &&
           !memcmp(a->addr, addr, rt_addr_len(family));
}

/* Whether (ifindex, family, addr) is the gateway of a path of a site. */
static bool is_gateway(const struct routes_engine *eng, const struct rt_nbr *n)
{
    int f = rt_fam_index(n->family);
    for (size_t s = 0; f >= 0 && s < eng->n_sites; s++) {
        const struct rt_tsite *site = &eng->sites[s];
        for (size_t p = 0; p < site->spec.n_paths; p++) {
            const struct rt_path *path = &site->spec.paths[p];
            const struct rt_link *l;
            if (!path->has_gw[f] || memcmp(path->gw[f], n->addr, rt_addr_len(n->family)))
                continue;
            l = rt_mirror_link_by_name(&eng->m, path->dev);
            if (l && l->ifindex == n->ifindex)
                return true;
        }
    }
    return false;
}

bool rt_nbr_failed(const struct routes_engine *eng, int ifindex, int family, const uint8_t *addr)
{
    for (size_t i = 0; i < eng->n_nbr; i++)
        if (nbr_eq(&eng->nbr[i], ifindex, family, addr))
            return true;
    return false;
}

/* FAILED: listed; usable again: off the list. true when the list changed. */
static bool nbr_set(struct routes_engine *eng, const struct rt_nbr *n, bool failed)
{
    for (size_t i = 0; i < eng->n_nbr; i++) {
        if (!nbr_eq(&eng->nbr[i], n->ifindex, n->family, n->addr))
            continue;
        if (failed)
            return false;
        eng->nbr[i] = eng->nbr[--eng->n_nbr];
        return true;
    }
    if (!failed)
        return false;
    if (eng->n_nbr == eng->cap_nbr) {
        size_t cap = eng->cap_nbr ? eng->cap_nbr * 2 : 4;
        struct rt_nbr *v = realloc(eng->nbr, cap * sizeof(*v));
        if (!v) {
            rt_log(eng, ROUTES_LOG_ERROR, "out of memory: a FAILED next hop is not recorded");
            return false;
        }
        eng->nbr = v;
        eng->cap_nbr = cap;
    }
    eng->nbr[eng->n_nbr++] = *n;
    if (!eng->nudge_due_ms)
        eng->nudge_due_ms = rt_now_ms() + RT_NUDGE_MS;
    return true;
}

/* Entries that are no gateway of a path any more (a path or a link gone). */
static void nbr_prune(struct routes_engine *eng)
{
    for (size_t i = 0; i < eng->n_nbr;) {
        if (is_gateway(eng, &eng->nbr[i]))
            i++;
        else
            eng->nbr[i] = eng->nbr[--eng->n_nbr];
    }
    if (!eng->n_nbr)
        eng->nudge_due_ms = 0;
}

/* What a state tells: 1 FAILED, 0 answering, -1 nothing new. Only a
 * confirmed entry clears a FAILED one: a STALE entry may come from an ARP
 * request the next hop sent while it does not hear ours (one-way loss);
 * the next resolution (DELAY, PROBE) confirms it or fails again. */
static int state_says(uint16_t state)
{
    if (state & NUD_FAILED)
        return 1;
    if (state & (NUD_REACHABLE | NUD_PERMANENT | NUD_NOARP))
        return 0;
    return -1;
}

void rt_neigh_notify(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    struct rt_nbr n;
    uint16_t state;
    int says;

    if (rt_parse_neigh(hdr, &n, &state) != 1 || !is_gateway(eng, &n))
        return;
    /* a deleted entry (garbage collected, or flushed with its link) says
     * nothing of the next hop: what was seen last holds */
    says = hdr->nlmsg_type == RTM_DELNEIGH ? -1 : state_says(state);
    if (says < 0 || !nbr_set(eng, &n, says == 1))
        return;
    rt_paths_refresh(eng);
    rt_schedule_repair(eng, 0);
}

/* ---- resolving gateways (FAILED ones again, unverified ones at an apply) -- */

struct nudge {
    struct routes_engine *eng;
    struct rt_nbr *v;
    size_t n;
};

/* An entry whose state says nothing and starts no resolution of its own:
 * STALE (also what the next hop's own request leaves) or NONE. */
static bool unverified(uint16_t state)
{
    return !(state & ~(NUD_STALE | NUD_NONE));
}

/* x->v = the gateways of the paths over usable links, each once: those
 * the dump does not find settled or resolving are asked to resolve. */
static int gateways_to_verify(struct routes_engine *eng, struct nudge *x)
{
    size_t cap = 0;

    x->n = 0;
    for (size_t s = 0; s < eng->n_sites; s++)
        cap += eng->sites[s].spec.n_paths * RT_NFAM;
    free(x->v);
    x->v = malloc((cap ? cap : 1) * sizeof(*x->v));
    if (!x->v)
        return -ENOMEM;
    for (size_t s = 0; s < eng->n_sites; s++) {
        for (size_t p = 0; p < eng->sites[s].spec.n_paths; p++) {
            const struct rt_path *path = &eng->sites[s].spec.paths[p];
            const struct rt_link *l = rt_mirror_link_by_name(&eng->m, path->dev);
            for (int f = 0; f < RT_NFAM && rt_link_usable(l); f++) {
                struct rt_nbr n = {.ifindex = l->ifindex, .family = (uint8_t)rt_fam_af(f)};
                bool dup = false;
                if (!path->has_gw[f])
                    continue;
                memcpy(n.addr, path->gw[f], rt_addr_len(n.family));
                for (size_t i = 0; i < x->n && !dup; i++)
                    dup = nbr_eq(&x->v[i], n.ifindex, n.family, n.addr);
                if (!dup)
                    x->v[x->n++] = n;
            }
        }
    }
    return 0;
}

static void verified(struct nudge *x, const struct rt_nbr *n)
{
    for (size_t i = 0; i < x->n; i++) {
        if (nbr_eq(&x->v[i], n->ifindex, n->family, n->addr)) {
            x->v[i] = x->v[--x->n];
            return;
        }
    }
}

static int on_dump(void *ctx, struct nlmsghdr *hdr)
{
    struct nudge *x = ctx;
    struct rt_nbr n;
    uint16_t state;
    int says;
    if (rt_parse_neigh(hdr, &n, &state) != 1 || !is_gateway(x->eng, &n))
        return 0;
    says = state_says(state);
    if (says >= 0)
        nbr_set(x->eng, &n, says == 1);
    if (!unverified(state))
        verified(x, &n);
    return 0;
}

static struct nl_msg *build_nudge(void *ctx, size_t i);
static void ack_nudge(void *ctx, size_t i, int err, const char *extack);

int rt_sync_neigh(struct routes_engine *eng)
{
    struct nudge x = {.eng = eng};
    bool any = false;
    int rc = -EINTR;

    nbr_prune(eng);
    for (size_t s = 0; s < eng->n_sites && !any; s++)
        for (size_t p = 0; p < eng->sites[s].spec.n_paths; p++)
            any |= eng->sites[s].spec.paths[p].has_gw[0] || eng->sites[s].spec.paths[p].has_gw[1];
    for (int i = 0; any && i < 5 && rc == -EINTR; i++) {
        struct nl_msg *req;
        struct ndmsg ndm = {.ndm_family = AF_UNSPEC};
        rc = gateways_to_verify(eng, &x);
        if (rc < 0)
            break;
        req = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_DUMP);
        if (!req || nlmsg_append(req, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0) {
            nlmsg_free(req);
            rc = -ENOMEM;
            break;
        }
        rc = rt_nl_dump(&eng->nl, req, on_dump, &x);
    }
    if (!any)
        rc = 0;
    if (rc == 0 && x.n) {
        char a[64];
        for (size_t i = 0; i < x.n; i++) {
            rt_addr_format(x.v[i].family, x.v[i].addr, a, sizeof(a));
            rt_log(eng, ROUTES_LOG_DEBUG,
                   "next hop %s: its neighbour entry says nothing (STALE or none): asking the "
                   "kernel to resolve it",
                   a);
        }
        if (rt_nl_batch(&eng->nl, x.n, build_nudge, ack_nudge, NULL, &x) < 0)
            rt_nl_discard(&eng->nl);
    }
    free(x.v);
    return rc;
}

static struct nl_msg *build_nudge(void *ctx, size_t i)
{
    struct nudge *x = ctx;
    const struct rt_nbr *n = &x->v[i];
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_CREATE);
    struct ndmsg ndm = {.ndm_family = n->family,
                        .ndm_ifindex = n->ifindex,
                        .ndm_state = NUD_NONE,
                        .ndm_flags = NTF_USE};
    if (msg && (nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) < 0 ||
                nla_put(msg, NDA_DST, (int)rt_addr_len(n->family), n->addr) < 0)) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

static void ack_nudge(void *ctx, size_t i, int err, const char *extack)
{
    struct nudge *x = ctx;
    char a[64];
    (void)extack;
    if (!err)
        return;
    rt_addr_format(x->v[i].family, x->v[i].addr, a, sizeof(a));
    rt_log(x->eng, ROUTES_LOG_DEBUG, "asking the kernel to resolve next hop %s again: %s", a,
           rt_strerror(err));
}

void rt_neigh_nudge(struct routes_engine *eng)
{
    struct nudge x = {.eng = eng};

    if (!eng->nudge_due_ms || rt_now_ms() < eng->nudge_due_ms)
        return;
    eng->nudge_due_ms = eng->n_nbr ? rt_now_ms() + RT_NUDGE_MS : 0;
    x.v = malloc((eng->n_nbr ? eng->n_nbr : 1) * sizeof(*x.v));
    if (!x.v)
        return;
    /* only over links that are up: a down link says enough */
    for (size_t i = 0; i < eng->n_nbr; i++)
        if (rt_link_usable(rt_mirror_link_by_index(&eng->m, eng->nbr[i].ifindex)))
            x.v[x.n++] = eng->nbr[i];
    if (x.n && rt_nl_batch(&eng->nl, x.n, build_nudge, ack_nudge, NULL, &x) < 0)
        rt_nl_discard(&eng->nl);
    free(x.v);
}
