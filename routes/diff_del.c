/*
 * diff_del.c - the deletions of a plan (diff.c builds the rest): owned
 * groups no site uses any more (deleting one takes its routes along),
 * routes, covers and single nexthops no site wants. Each deletion belongs
 * to the site whose object it was, so that a site that fails keeps it.
 *
 * Threading: pure computation over the data given; the caller serialises.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct dctx {
    struct rt_plan *plan;
    const struct rt_tsite *sites;
    size_t n_sites;
    struct rt_mirror *m;
    uint32_t epoch;
};

/* The site whose planned or committed group (cover group: cover) is id,
 * -1 if none: the owner of a deletion, so that a site that fails keeps what
 * it had. */
static int32_t id_owner(const struct rt_tsite *sites, size_t n_sites, const struct rt_plan *plan,
                        uint32_t id, bool cover)
{
    for (size_t s = 0; id && s < n_sites; s++)
        for (int f = 0; f < RT_NFAM; f++)
            if ((cover ? plan->fid[s][f] : plan->gid[s][f]) == id ||
                (cover ? sites[s].fid[f] : sites[s].gid[f]) == id)
                return (int32_t)s;
    return -1;
}

/* The site a group that is not planned any more belonged to: the one that
 * committed its id, else the one with a prefix pointing at it; -1 if none. */
static int32_t group_owner(const struct rt_tsite *sites, size_t n_sites, struct rt_mirror *m,
                           uint32_t id)
{
    for (size_t s = 0; s < n_sites; s++)
        for (int f = 0; f < RT_NFAM; f++)
            if (sites[s].gid[f] == id || sites[s].fid[f] == id)
                return (int32_t)s;
    for (size_t s = 0; s < n_sites; s++) {
        for (size_t i = 0; i < sites[s].spec.n_pfx; i++) {
            const struct rt_rentry *e = rt_rtable_get(&m->routes, &sites[s].spec.pfx[i]);
            const struct rt_rentry *fb = rt_rtable_get(&m->fallback, &sites[s].spec.pfx[i]);
            if ((e && e->nhid == id) || (fb && fb->nhid == id))
                return (int32_t)s;
        }
    }
    return -1;
}

/* owned groups no site uses any more: deleting one removes its routes. A
 * group that was a site's (committed or adopted) is that site's deletion,
 * so that the site keeps it when it fails. */
static int delete_groups(const struct dctx *d)
{
    const struct rt_mirror *m = d->m;

    for (size_t i = 0; i < m->n_nh; i++) {
        int rc;
        if (m->nh[i].kind != RT_NH_GROUP || rt_gid_planned(d->plan, m->nh[i].id))
            continue;
        rc = rt_plan_push(
            d->plan, RT_PH_GROUP_DEL,
            &(struct rt_op){.kind = RT_OP_GRP_DEL,
                            .site = group_owner(d->sites, d->n_sites, d->m, m->nh[i].id),
                            .path = -1,
                            .nhid = m->nh[i].id});
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* the entry is not marked as staying, nor goes with a group being deleted */
static bool unwanted(const struct dctx *d, const struct rt_rentry *e)
{
    const struct rt_nh *nh;

    if (!e->used || e->mark == d->epoch)
        return false;
    nh = e->nhid ? rt_mirror_nh(d->m, e->nhid) : NULL;
    return !(nh && nh->kind == RT_NH_GROUP && !rt_gid_planned(d->plan, e->nhid));
}

/* routes no site wants any more (and not removed with their group) */
static int delete_routes(const struct dctx *d)
{
    const struct rt_rtable *t = &d->m->routes;

    for (size_t i = 0; i < t->cap; i++) {
        const struct rt_rentry *e = &t->slots[i];
        int rc;
        if (!unwanted(d, e))
            continue;
        rc = rt_plan_push(
            d->plan, RT_PH_ROUTE_DEL,
            &(struct rt_op){.kind = RT_OP_ROUTE_DEL,
                            .site = id_owner(d->sites, d->n_sites, d->plan, e->nhid, false),
                            .path = -1,
                            .nhid = e->nhid,
                            .pfx = e->key});
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* covers no site wants any more (all of them when fail_closed was turned
 * off; those of a cover group being deleted go with it). The deletion
 * belongs to the site whose cover group the cover points at (or whose group
 * the prefix's route points at), so a failing site keeps it and a
 * rolled-back site loses the one it just added. */
static int delete_covers(const struct dctx *d)
{
    const struct rt_rtable *t = &d->m->fallback;

    for (size_t i = 0; i < t->cap; i++) {
        const struct rt_rentry *e = &t->slots[i], *route;
        int32_t owner;
        int rc;
        if (!unwanted(d, e))
            continue;
        owner = id_owner(d->sites, d->n_sites, d->plan, e->nhid, true);
        route = owner < 0 ? rt_rtable_get(&d->m->routes, &e->key) : NULL;
        if (route)
            owner = id_owner(d->sites, d->n_sites, d->plan, route->nhid, false);
        rc = rt_plan_push(
            d->plan, RT_PH_ROUTE_DEL,
            &(struct rt_op){.kind = RT_OP_FB_DEL, .site = owner, .path = -1, .pfx = e->key});
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* single nexthops the plan does not use; none while a frozen site's
 * standby nexthops are unknown */
static int delete_nexthops(const struct dctx *d, const uint32_t *keep, size_t n_keep)
{
    const struct rt_mirror *m = d->m;

    for (size_t s = 0; s < d->n_sites; s++)
        if (d->sites[s].frozen)
            return 0;
    for (size_t i = 0; i < m->n_nh; i++) {
        bool used = false;
        int rc;
        if (m->nh[i].kind == RT_NH_GROUP)
            continue;
        for (size_t k = 0; k < n_keep && !used; k++)
            used = keep[k] == m->nh[i].id;
        if (used)
            continue;
        rc = rt_plan_push(
            d->plan, RT_PH_NH_DEL,
            &(struct rt_op){.kind = RT_OP_NH_DEL, .site = -1, .path = -1, .nhid = m->nh[i].id});
        if (rc < 0)
            return rc;
    }
    return 0;
}

int rt_plan_deletions(struct rt_plan *plan, const struct rt_tsite *sites, size_t n_sites,
                      struct rt_mirror *m, uint32_t epoch, const uint32_t *keep, size_t n_keep)
{
    struct dctx d = {.plan = plan, .sites = sites, .n_sites = n_sites, .m = m, .epoch = epoch};
    int rc = delete_groups(&d);

    if (rc == 0)
        rc = delete_routes(&d);
    if (rc == 0)
        rc = delete_covers(&d);
    if (rc == 0)
        rc = delete_nexthops(&d, keep, n_keep);
    return rc;
}
