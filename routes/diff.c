/*
 * diff.c - the planner: from the sites the engine must maintain and the
 * mirror of what the kernel holds, compute the requests to send, grouped in
 * phases (nexthops, groups, routes, route deletions, group deletions,
 * nexthop deletions). An unchanged state yields no request at all.
 *
 * Group ids: a site keeps the group id it was given; after a restart it
 * adopts the owned group its prefixes already point at; otherwise a free id
 * is taken from nh_id_base upwards. Single nexthops are shared by content
 * (family, interface, gateway), so adoption needs no stored ids.
 *
 * Threading: pure computation over the data given; the caller serialises.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#define RT_ID_SEARCH_LIMIT (1u << 24)

struct pctx {
    struct rt_plan *plan;
    const struct rt_plan_cfg *cfg;
    const struct rt_tsite *sites;
    size_t n_sites;
    struct rt_mirror *m;
    uint32_t next_id;
    uint32_t base;
    uint32_t *keep; /* single nexthops the plan uses (members and standby) */
    size_t n_keep, cap_keep;
};

static int keep_id(struct pctx *c, uint32_t id)
{
    for (size_t i = 0; i < c->n_keep; i++)
        if (c->keep[i] == id)
            return 0;
    if (c->n_keep == c->cap_keep) {
        size_t cap = c->cap_keep ? c->cap_keep * 2 : 16;
        uint32_t *n = realloc(c->keep, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        c->keep = n;
        c->cap_keep = cap;
    }
    c->keep[c->n_keep++] = id;
    return 0;
}

int rt_plan_push(struct rt_plan *plan, enum rt_phase ph, const struct rt_op *op)
{
    struct rt_oplist *l = &plan->ph[ph];
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct rt_op *n = realloc(l->ops, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        l->ops = n;
        l->cap = cap;
    }
    l->ops[l->n++] = *op;
    plan->n_ops++;
    return 0;
}

static int nh_push(struct rt_plan *plan, const struct rt_nh *nh)
{
    if (plan->n_nh == plan->cap_nh) {
        size_t cap = plan->cap_nh ? plan->cap_nh * 2 : 16;
        struct rt_nh *n = realloc(plan->nh, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        plan->nh = n;
        plan->cap_nh = cap;
    }
    plan->nh[plan->n_nh] = *nh;
    return (int)plan->n_nh++;
}

static bool id_claimed(const struct pctx *c, uint32_t id)
{
    for (size_t s = 0; s < c->n_sites; s++)
        for (int f = 0; f < RT_NFAM; f++)
            if (c->plan->gid[s][f] == id || c->sites[s].gid[f] == id || c->plan->fid[s][f] == id ||
                c->sites[s].fid[f] == id)
                return true;
    for (size_t i = 0; i < c->plan->n_nh; i++)
        if (c->plan->nh[i].id == id)
            return true;
    return false;
}

static uint32_t alloc_id(struct pctx *c)
{
    for (uint32_t tries = 0; tries < RT_ID_SEARCH_LIMIT; tries++) {
        uint32_t id = c->next_id++;
        if (id < c->base)
            id = c->next_id = c->base; /* wrapped */
        if (id == 0 || rt_mirror_nh(c->m, id) || rt_mirror_is_foreign(c->m, id) ||
            id_claimed(c, id))
            continue;
        return id;
    }
    return 0;
}

/* the order of a path: the caller's rank for a ranked site, else its
 * configured priority (lower first) */
static unsigned path_order(const struct rt_tsite *s, size_t p)
{
    return s->ranked ? s->rank[p] : s->spec.paths[p].priority;
}

size_t rt_select_members(const struct rt_tsite *s, int fam, int *paths)
{
    unsigned best = ~0u;
    bool any = false;
    size_t n = 0;
    for (size_t p = 0; p < s->spec.n_paths; p++)
        if (s->usable[p] && rt_path_carries(&s->spec.paths[p], fam) &&
            (!any || path_order(s, p) < best)) {
            best = path_order(s, p);
            any = true;
        }
    for (size_t p = 0; p < s->spec.n_paths && any; p++)
        if (s->usable[p] && rt_path_carries(&s->spec.paths[p], fam) && path_order(s, p) == best)
            paths[n++] = (int)p;
    return n;
}

/* Returns the id of a single nexthop with this target, planning its
 * creation when neither the kernel nor the plan has one. */
static int single_id(struct pctx *c, const struct rt_nh *want, int site, int path, uint32_t *id)
{
    struct rt_op op = {.kind = RT_OP_NH_ADD, .site = site, .path = path};
    struct rt_nh nh = *want;
    int idx;

    for (size_t i = 0; i < c->m->n_nh; i++) {
        if (rt_nh_same_target(&c->m->nh[i], want)) {
            *id = c->m->nh[i].id;
            return keep_id(c, *id);
        }
    }
    for (size_t i = 0; i < c->plan->n_nh; i++) {
        if (c->plan->nh[i].kind != RT_NH_GROUP && rt_nh_same_target(&c->plan->nh[i], want)) {
            *id = c->plan->nh[i].id;
            return 0;
        }
    }
    nh.id = alloc_id(c);
    if (!nh.id)
        return -ENOSPC;
    idx = nh_push(c->plan, &nh);
    if (idx < 0)
        return idx;
    op.nh = (uint32_t)idx;
    op.nhid = nh.id;
    *id = nh.id;
    if (keep_id(c, nh.id) < 0)
        return -ENOMEM;
    return rt_plan_push(c->plan, RT_PH_NH, &op);
}

static int member_cmp(const void *a, const void *b)
{
    const struct rt_member *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* the single nexthop path p of a site stands for in family f */
static struct rt_nh path_target(const struct rt_tsite *site, size_t p, int f)
{
    const struct rt_path *path = &site->spec.paths[p];
    struct rt_nh want = {.family = (uint8_t)rt_fam_af(f), .oif = (uint32_t)site->oif[p]};

    want.kind = path->has_gw[f] ? RT_NH_GW : RT_NH_DEV;
    if (path->has_gw[f])
        memcpy(want.gw, path->gw[f], 16);
    return want;
}

/* The members of site s's group for family f: its best usable paths
 * (weights added where two paths share a target), or the blackhole. k gets
 * the number of usable paths selected. */
static int group_members(struct pctx *c, size_t s, int f, struct rt_nh *grp, size_t *k)
{
    const struct rt_tsite *site = &c->sites[s];
    int paths[ROUTES_MAX_PATHS], rc;
    size_t n = 0;

    *k = rt_select_members(site, f, paths);
    if (!*k) {
        /* no usable path: fail closed instead of falling through to other tables */
        struct rt_nh bh = {.kind = RT_NH_BLACKHOLE, .family = (uint8_t)rt_fam_af(f)};
        rc = single_id(c, &bh, -1, -1, &grp->members[0].id);
        if (rc < 0)
            return rc;
        grp->members[0].weight = 1;
        n = 1;
    }
    for (size_t i = 0; i < *k; i++) {
        const struct rt_path *p = &site->spec.paths[paths[i]];
        struct rt_nh want = path_target(site, (size_t)paths[i], f);
        uint32_t id;
        bool merged = false;
        rc = single_id(c, &want, (int)s, paths[i], &id);
        if (rc < 0)
            return rc;
        /* two paths with the same target share one member */
        for (size_t j = 0; j < n; j++) {
            if (grp->members[j].id == id) {
                unsigned w = grp->members[j].weight + p->weight;
                grp->members[j].weight = (uint16_t)(w > 256 ? 256 : w);
                merged = true;
            }
        }
        if (!merged) {
            grp->members[n].id = id;
            grp->members[n].weight = (uint16_t)p->weight;
            n++;
        }
    }
    grp->n_members = (uint8_t)n;
    qsort(grp->members, n, sizeof(grp->members[0]), member_cmp);
    return 0;
}

/* keep standby nexthops (other valid paths, the blackhole) in the kernel
 * so that a later switch is a single group replacement */
static int keep_standbys(struct pctx *c, size_t s, int f, bool blackhole)
{
    const struct rt_tsite *site = &c->sites[s];
    uint32_t id;
    int rc;

    for (size_t p = 0; p < site->spec.n_paths; p++) {
        struct rt_nh want;
        if (!site->valid[p] || !rt_path_carries(&site->spec.paths[p], f))
            continue;
        want = path_target(site, p, f);
        rc = single_id(c, &want, (int)s, (int)p, &id);
        if (rc < 0)
            return rc;
    }
    if (blackhole) {
        struct rt_nh bh = {.kind = RT_NH_BLACKHOLE, .family = (uint8_t)rt_fam_af(f)};
        return single_id(c, &bh, -1, -1, &id);
    }
    return 0;
}

static int plan_group(struct pctx *c, size_t s, int f)
{
    struct rt_nh grp = {.id = c->plan->gid[s][f], .kind = RT_NH_GROUP, .family = AF_UNSPEC};
    const struct rt_nh *cur;
    size_t k;
    int idx, rc;

    rc = group_members(c, s, f, &grp, &k);
    if (rc == 0)
        rc = keep_standbys(c, s, f, k > 0);
    if (rc < 0)
        return rc;
    idx = nh_push(c->plan, &grp);
    if (idx < 0)
        return idx;
    c->plan->grp[s][f] = idx;
    cur = rt_mirror_nh(c->m, grp.id);
    if (cur && rt_nh_same_members(cur, &grp))
        return 0;
    return rt_plan_push(c->plan, RT_PH_GROUP,
                        &(struct rt_op){.kind = cur ? RT_OP_GRP_REPLACE : RT_OP_GRP_ADD,
                                        .site = (int32_t)s,
                                        .path = -1,
                                        .nh = (uint32_t)idx,
                                        .nhid = grp.id});
}

/* The cover group of a site and family: the group its cover routes (one
 * per prefix, at ROUTES_FALLBACK_METRIC) point at. It holds the blackhole
 * nexthop, so that a prefix whose group route the kernel dropped is not
 * routed by the main table. When the kernel has dropped the site's group
 * (the last member's interface went down) and the covers are there, it
 * takes the site's new selection first (phase COVER): one request moves the
 * site while its group and routes are rebuilt (GROUP, ROUTE); then it goes
 * back to the blackhole in the same pass (COVER_RESET), so that it does not
 * share the fate of the new path's link for longer than the rebuild. A site
 * that fails before the reset keeps the cover group carrying it. */
static int plan_cover(struct pctx *c, size_t s, int f)
{
    struct rt_plan *plan = c->plan;
    struct rt_nh bhg = {.id = plan->fid[s][f], .kind = RT_NH_GROUP, .family = AF_UNSPEC};
    const struct rt_nh *cur = rt_mirror_nh(c->m, bhg.id);
    const struct rt_nh *grp = rt_mirror_nh(c->m, plan->gid[s][f]);
    struct rt_nh bh = {.kind = RT_NH_BLACKHOLE, .family = (uint8_t)rt_fam_af(f)};
    int idx, rc;

    rc = single_id(c, &bh, -1, -1, &bhg.members[0].id);
    if (rc < 0)
        return rc;
    bhg.members[0].weight = 1;
    bhg.n_members = 1;
    if (cur && cur->kind == RT_NH_GROUP && !grp && plan->grp[s][f] >= 0 &&
        !rt_nh_same_members(&plan->nh[plan->grp[s][f]], &bhg)) {
        struct rt_nh carry = plan->nh[plan->grp[s][f]];
        carry.id = bhg.id;
        idx = nh_push(plan, &carry);
        if (idx < 0)
            return idx;
        if (!rt_nh_same_members(cur, &carry)) {
            rc = rt_plan_push(plan, RT_PH_COVER,
                              &(struct rt_op){.kind = RT_OP_GRP_REPLACE,
                                              .site = (int32_t)s,
                                              .path = -1,
                                              .nh = (uint32_t)idx,
                                              .nhid = carry.id});
            if (rc < 0)
                return rc;
        }
        idx = nh_push(plan, &bhg);
        if (idx < 0)
            return idx;
        return rt_plan_push(plan, RT_PH_COVER_RESET,
                            &(struct rt_op){.kind = RT_OP_GRP_REPLACE,
                                            .site = (int32_t)s,
                                            .path = -1,
                                            .nh = (uint32_t)idx,
                                            .nhid = bhg.id});
    }
    idx = nh_push(plan, &bhg);
    if (idx < 0)
        return idx;
    if (cur && rt_nh_same_members(cur, &bhg))
        return 0;
    return rt_plan_push(plan, RT_PH_COVER,
                        &(struct rt_op){.kind = cur ? RT_OP_GRP_REPLACE : RT_OP_GRP_ADD,
                                        .site = (int32_t)s,
                                        .path = -1,
                                        .nh = (uint32_t)idx,
                                        .nhid = bhg.id});
}

static int plan_frozen(struct pctx *c, size_t s)
{
    const struct rt_tsite *site = &c->sites[s];
    for (int f = 0; f < RT_NFAM; f++) {
        const struct rt_nh *g = &site->frozen_grp[f];
        const struct rt_nh *cur;
        int idx, rc;
        if (!g->id)
            continue;
        for (size_t k = 0; k < g->n_members; k++) {
            const struct rt_nh *mn = &site->frozen_members[f][k];
            bool planned = false;
            if (keep_id(c, mn->id) < 0)
                return -ENOMEM;
            for (size_t i = 0; i < c->plan->n_nh; i++)
                planned |= c->plan->nh[i].id == mn->id;
            if (rt_mirror_nh(c->m, mn->id) || planned)
                continue;
            idx = nh_push(c->plan, mn);
            if (idx < 0)
                return idx;
            rc = rt_plan_push(c->plan, RT_PH_NH,
                              &(struct rt_op){.kind = RT_OP_NH_ADD,
                                              .site = (int32_t)s,
                                              .path = -1,
                                              .nh = (uint32_t)idx,
                                              .nhid = mn->id});
            if (rc < 0)
                return rc;
        }
        idx = nh_push(c->plan, g);
        if (idx < 0)
            return idx;
        c->plan->grp[s][f] = idx;
        cur = rt_mirror_nh(c->m, g->id);
        if (cur && rt_nh_same_members(cur, g))
            continue;
        rc = rt_plan_push(c->plan, RT_PH_GROUP,
                          &(struct rt_op){.kind = cur ? RT_OP_GRP_REPLACE : RT_OP_GRP_ADD,
                                          .site = (int32_t)s,
                                          .path = -1,
                                          .nh = (uint32_t)idx,
                                          .nhid = g->id});
        if (rc < 0)
            return rc;
    }
    return 0;
}

bool rt_gid_planned(const struct rt_plan *plan, uint32_t id)
{
    for (size_t s = 0; s < plan->n_sites; s++)
        for (int f = 0; f < RT_NFAM; f++)
            if (plan->gid[s][f] == id || plan->fid[s][f] == id)
                return true;
    return false;
}

/* 1. committed ids that still name an owned group, or nothing, are kept */
static void keep_committed_ids(struct pctx *c)
{
    struct rt_plan *plan = c->plan;

    for (size_t s = 0; s < c->n_sites; s++) {
        for (int f = 0; f < RT_NFAM; f++) {
            uint32_t gid = c->sites[s].gid[f];
            const struct rt_nh *nh = gid ? rt_mirror_nh(c->m, gid) : NULL;
            uint32_t fid = c->sites[s].fid[f];
            const struct rt_nh *fnh = fid ? rt_mirror_nh(c->m, fid) : NULL;
            if (c->sites[s].frozen) {
                plan->gid[s][f] = c->sites[s].frozen_grp[f].id;
                plan->fid[s][f] = fid; /* kept as the kernel holds it */
                continue;
            }
            if (c->cfg->fail_closed && c->sites[s].spec.n_fam[f] &&
                !((fnh && fnh->kind != RT_NH_GROUP) || rt_mirror_is_foreign(c->m, fid)))
                plan->fid[s][f] = fid;
            if (!c->sites[s].spec.n_fam[f])
                continue;
            if (gid && ((nh && nh->kind != RT_NH_GROUP) || rt_mirror_is_foreign(c->m, gid)))
                gid = 0;
            plan->gid[s][f] = gid;
        }
    }
}

/* 2. and 3.: a site without an id for a family adopts the owned group its
 * prefixes' routes (cover: their covers) point at (restart) */
static void adopt_ids(struct pctx *c, bool cover)
{
    struct rt_plan *plan = c->plan;
    const struct rt_rtable *t = cover ? &c->m->fallback : &c->m->routes;

    for (size_t s = 0; s < c->n_sites; s++) {
        const struct rt_site *spec = &c->sites[s].spec;
        uint32_t(*ids)[RT_NFAM] = cover ? plan->fid : plan->gid;
        if ((cover && c->sites[s].frozen) || ((!spec->n_fam[RT_FAM_V4] || ids[s][RT_FAM_V4]) &&
                                              (!spec->n_fam[RT_FAM_V6] || ids[s][RT_FAM_V6])))
            continue; /* nothing to adopt */
        for (size_t i = 0; i < spec->n_pfx; i++) {
            int f = rt_fam_index(spec->pfx[i].family);
            const struct rt_rentry *e;
            const struct rt_nh *nh;
            if (ids[s][f])
                continue;
            e = rt_rtable_get(t, &spec->pfx[i]);
            nh = e ? rt_mirror_nh(c->m, e->nhid) : NULL;
            if (nh && nh->kind == RT_NH_GROUP && !rt_gid_planned(plan, e->nhid))
                ids[s][f] = e->nhid;
        }
    }
}

static void assign_gids(struct pctx *c)
{
    keep_committed_ids(c);
    adopt_ids(c, false);
    if (c->cfg->fail_closed)
        adopt_ids(c, true);
}

/* The peers' throw routes: the missing ones first of all (phase BYPASS),
 * the ones no longer wanted with the route deletions. Marks what stays. */
static int plan_bypass(struct rt_plan *plan, struct rt_mirror *m, const struct rt_plan_cfg *cfg,
                       uint32_t epoch)
{
    int rc;
    for (size_t i = 0; i < cfg->n_bypass; i++) {
        struct rt_rentry *e = rt_rtable_get(&m->bypass, &cfg->bypass[i]);
        if (e) {
            e->mark = epoch;
            continue;
        }
        rc = rt_plan_push(
            plan, RT_PH_BYPASS,
            &(struct rt_op){
                .kind = RT_OP_BYPASS_SET, .site = -1, .path = -1, .pfx = cfg->bypass[i]});
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < m->bypass.cap; i++) {
        const struct rt_rentry *e = &m->bypass.slots[i];
        if (!e->used || e->mark == epoch)
            continue;
        rc = rt_plan_push(
            plan, RT_PH_ROUTE_DEL,
            &(struct rt_op){.kind = RT_OP_BYPASS_DEL, .site = -1, .path = -1, .pfx = e->key});
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Every site's groups (and cover groups) and the nexthops they need. */
static int plan_groups(struct pctx *c)
{
    struct rt_plan *plan = c->plan;
    int rc;

    for (size_t s = 0; s < c->n_sites; s++) {
        if (c->sites[s].frozen) {
            rc = plan_frozen(c, s);
            if (rc < 0)
                return rc;
            continue;
        }
        for (int f = 0; f < RT_NFAM; f++) {
            if (!c->sites[s].spec.n_fam[f])
                continue;
            if (!plan->gid[s][f] && !(plan->gid[s][f] = alloc_id(c)))
                return -ENOSPC;
            rc = plan_group(c, s, f);
            if (rc < 0)
                return rc;
            if (!c->cfg->fail_closed)
                continue;
            if (!plan->fid[s][f] && !(plan->fid[s][f] = alloc_id(c)))
                return -ENOSPC;
            rc = plan_cover(c, s, f);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* The cover (first) and the group route of one prefix of site s: set when
 * missing or pointing elsewhere; what stays is marked. */
static int plan_prefix(struct pctx *c, size_t s, const struct rt_prefix *pfx, uint32_t epoch)
{
    const struct rt_tsite *site = &c->sites[s];
    int f = rt_fam_index(pfx->family);
    uint32_t gid = c->plan->gid[s][f], fid = c->plan->fid[s][f];
    struct rt_rentry *e = rt_rtable_get(&c->m->routes, pfx);
    struct rt_rentry *fb = rt_rtable_get(&c->m->fallback, pfx);
    int rc;

    /* the cover goes in before the group route */
    if (fb && (site->frozen || (fid && fb->nhid == fid))) {
        fb->mark = epoch;
    } else if (fid && !site->frozen) {
        if (fb)
            fb->mark = epoch; /* re-pointed, not deleted */
        rc = rt_plan_push(
            c->plan, RT_PH_ROUTE,
            &(struct rt_op){
                .kind = RT_OP_FB_SET, .site = (int32_t)s, .path = -1, .nhid = fid, .pfx = *pfx});
        if (rc < 0)
            return rc;
    }
    if (e) {
        e->mark = epoch;
        if (e->nhid == gid)
            return 0;
    }
    return rt_plan_push(
        c->plan, RT_PH_ROUTE,
        &(struct rt_op){
            .kind = RT_OP_ROUTE_SET, .site = (int32_t)s, .path = -1, .nhid = gid, .pfx = *pfx});
}

/* The routes of frozen sites stay as they are, and so do the covers of
 * the prefixes those routes name. */
static void mark_frozen(struct pctx *c, uint32_t epoch)
{
    struct rt_mirror *m = c->m;
    const struct rt_plan *plan = c->plan;

    for (size_t s = 0; s < c->n_sites; s++) {
        const uint32_t *gid = plan->gid[s], *fid = plan->fid[s];
        if (!c->sites[s].frozen)
            continue;
        for (size_t i = 0; i < m->routes.cap; i++) {
            struct rt_rentry *e = &m->routes.slots[i];
            if (e->used && e->nhid && (e->nhid == gid[RT_FAM_V4] || e->nhid == gid[RT_FAM_V6]))
                e->mark = epoch;
        }
        for (size_t i = 0; i < m->fallback.cap; i++) {
            struct rt_rentry *fb = &m->fallback.slots[i];
            const struct rt_rentry *e = fb->used ? rt_rtable_get(&m->routes, &fb->key) : NULL;
            if ((e && e->nhid && (e->nhid == gid[RT_FAM_V4] || e->nhid == gid[RT_FAM_V6])) ||
                (fb->used && fb->nhid &&
                 (fb->nhid == fid[RT_FAM_V4] || fb->nhid == fid[RT_FAM_V6])))
                fb->mark = epoch;
        }
    }
}

/* Routes to add or re-point (marking what stays), then what goes. */
static int plan_routes(struct pctx *c)
{
    uint32_t epoch = ++c->m->epoch;
    int rc = plan_bypass(c->plan, c->m, c->cfg, epoch);

    for (size_t s = 0; s < c->n_sites && rc == 0; s++)
        for (size_t i = 0; i < c->sites[s].spec.n_pfx && rc == 0; i++)
            rc = plan_prefix(c, s, &c->sites[s].spec.pfx[i], epoch);
    if (rc < 0)
        return rc;
    mark_frozen(c, epoch);
    return rt_plan_deletions(c->plan, c->sites, c->n_sites, c->m, epoch, c->keep, c->n_keep);
}

static int plan_build(struct pctx *c)
{
    struct rt_plan *plan = c->plan;
    size_t n = c->n_sites;
    int rc;

    plan->n_sites = n;
    if (n) {
        plan->gid = calloc(n, sizeof(*plan->gid));
        plan->fid = calloc(n, sizeof(*plan->fid));
        plan->grp = malloc(n * sizeof(*plan->grp));
        if (!plan->gid || !plan->fid || !plan->grp)
            return -ENOMEM;
        memset(plan->grp, 0xff, n * sizeof(*plan->grp));
    }
    assign_gids(c);
    rc = plan_groups(c);
    if (rc < 0 || c->cfg->groups_only)
        return rc;
    return plan_routes(c);
}

int rt_plan_build(struct rt_plan *plan, const struct rt_tsite *sites, size_t n_sites,
                  struct rt_mirror *m, const struct rt_plan_cfg *cfg)
{
    struct pctx c = {.plan = plan,
                     .cfg = cfg,
                     .sites = sites,
                     .n_sites = n_sites,
                     .m = m,
                     .next_id = cfg->nh_id_base,
                     .base = cfg->nh_id_base};
    int rc;

    memset(plan, 0, sizeof(*plan));
    rc = plan_build(&c);
    free(c.keep);
    return rc;
}

void rt_plan_free(struct rt_plan *plan)
{
    for (int p = 0; p < RT_NPHASES; p++)
        free(plan->ph[p].ops);
    free(plan->nh);
    free(plan->gid);
    free(plan->fid);
    free(plan->grp);
    memset(plan, 0, sizeof(*plan));
}
