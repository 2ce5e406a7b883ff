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

static int op_push(struct rt_plan *plan, enum rt_phase ph, const struct rt_op *op)
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

size_t rt_select_members(const struct rt_tsite *s, int fam, int *paths)
{
    unsigned best = ~0u;
    size_t n = 0;
    for (size_t p = 0; p < s->spec.n_paths; p++)
        if (s->usable[p] && rt_path_carries(&s->spec.paths[p], fam) &&
            s->spec.paths[p].priority < best)
            best = s->spec.paths[p].priority;
    for (size_t p = 0; p < s->spec.n_paths; p++)
        if (s->usable[p] && rt_path_carries(&s->spec.paths[p], fam) &&
            s->spec.paths[p].priority == best)
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
    return op_push(c->plan, RT_PH_NH, &op);
}

static int member_cmp(const void *a, const void *b)
{
    const struct rt_member *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int plan_group(struct pctx *c, size_t s, int f)
{
    const struct rt_tsite *site = &c->sites[s];
    struct rt_nh grp = {.id = c->plan->gid[s][f], .kind = RT_NH_GROUP, .family = AF_UNSPEC};
    int paths[ROUTES_MAX_PATHS];
    size_t k = rt_select_members(site, f, paths);
    const struct rt_nh *cur;
    size_t n = 0;
    int idx, rc;

    if (!k) {
        /* no usable path: fail closed instead of falling through to other tables */
        struct rt_nh bh = {.kind = RT_NH_BLACKHOLE, .family = (uint8_t)rt_fam_af(f)};
        rc = single_id(c, &bh, -1, -1, &grp.members[0].id);
        if (rc < 0)
            return rc;
        grp.members[0].weight = 1;
        n = 1;
    }
    for (size_t i = 0; i < k; i++) {
        const struct rt_path *p = &site->spec.paths[paths[i]];
        struct rt_nh want = {.family = (uint8_t)rt_fam_af(f), .oif = (uint32_t)site->oif[paths[i]]};
        uint32_t id;
        bool merged = false;
        want.kind = p->has_gw[f] ? RT_NH_GW : RT_NH_DEV;
        if (p->has_gw[f])
            memcpy(want.gw, p->gw[f], 16);
        rc = single_id(c, &want, (int)s, paths[i], &id);
        if (rc < 0)
            return rc;
        /* two paths with the same target share one member */
        for (size_t j = 0; j < n; j++) {
            if (grp.members[j].id == id) {
                unsigned w = grp.members[j].weight + p->weight;
                grp.members[j].weight = (uint16_t)(w > 256 ? 256 : w);
                merged = true;
            }
        }
        if (!merged) {
            grp.members[n].id = id;
            grp.members[n].weight = (uint16_t)p->weight;
            n++;
        }
    }
    grp.n_members = (uint8_t)n;
    qsort(grp.members, n, sizeof(grp.members[0]), member_cmp);
    /* keep standby nexthops (other valid paths, blackhole) in the kernel so
     * that a later switch is a single group replacement */
    for (size_t p = 0; p < site->spec.n_paths; p++) {
        const struct rt_path *path = &site->spec.paths[p];
        struct rt_nh want = {.family = (uint8_t)rt_fam_af(f), .oif = (uint32_t)site->oif[p]};
        uint32_t id;
        if (!site->valid[p] || !rt_path_carries(path, f))
            continue;
        want.kind = path->has_gw[f] ? RT_NH_GW : RT_NH_DEV;
        if (path->has_gw[f])
            memcpy(want.gw, path->gw[f], 16);
        rc = single_id(c, &want, (int)s, (int)p, &id);
        if (rc < 0)
            return rc;
    }
    if (k) {
        struct rt_nh bh = {.kind = RT_NH_BLACKHOLE, .family = (uint8_t)rt_fam_af(f)};
        uint32_t id;
        rc = single_id(c, &bh, -1, -1, &id);
        if (rc < 0)
            return rc;
    }
    idx = nh_push(c->plan, &grp);
    if (idx < 0)
        return idx;
    c->plan->grp[s][f] = idx;
    cur = rt_mirror_nh(c->m, grp.id);
    if (cur && rt_nh_same_members(cur, &grp))
        return 0;
    return op_push(c->plan, RT_PH_GROUP,
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
            rc = op_push(plan, RT_PH_COVER,
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
        return op_push(plan, RT_PH_COVER_RESET,
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
    return op_push(plan, RT_PH_COVER,
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
            rc = op_push(c->plan, RT_PH_NH,
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
        rc = op_push(c->plan, RT_PH_GROUP,
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

static bool gid_planned(const struct rt_plan *plan, uint32_t id)
{
    for (size_t s = 0; s < plan->n_sites; s++)
        for (int f = 0; f < RT_NFAM; f++)
            if (plan->gid[s][f] == id || plan->fid[s][f] == id)
                return true;
    return false;
}

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

static void assign_gids(struct pctx *c)
{
    struct rt_plan *plan = c->plan;
    /* 1. keep committed ids that still name an owned group or nothing */
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
    /* 2. adopt the owned group the site's prefixes point at (restart) */
    for (size_t s = 0; s < c->n_sites; s++) {
        const struct rt_site *spec = &c->sites[s].spec;
        if ((!spec->n_fam[RT_FAM_V4] || plan->gid[s][RT_FAM_V4]) &&
            (!spec->n_fam[RT_FAM_V6] || plan->gid[s][RT_FAM_V6]))
            continue; /* nothing to adopt */
        for (size_t i = 0; i < spec->n_pfx; i++) {
            int f = rt_fam_index(spec->pfx[i].family);
            const struct rt_rentry *e;
            const struct rt_nh *nh;
            if (plan->gid[s][f])
                continue;
            e = rt_rtable_get(&c->m->routes, &spec->pfx[i]);
            if (!e)
                continue;
            nh = rt_mirror_nh(c->m, e->nhid);
            if (nh && nh->kind == RT_NH_GROUP && !gid_planned(plan, e->nhid))
                plan->gid[s][f] = e->nhid;
        }
    }
    /* 3. adopt the cover group the site's covers point at */
    for (size_t s = 0; s < c->n_sites && c->cfg->fail_closed; s++) {
        const struct rt_site *spec = &c->sites[s].spec;
        if (c->sites[s].frozen || ((!spec->n_fam[RT_FAM_V4] || plan->fid[s][RT_FAM_V4]) &&
                                   (!spec->n_fam[RT_FAM_V6] || plan->fid[s][RT_FAM_V6])))
            continue; /* nothing to adopt */
        for (size_t i = 0; i < spec->n_pfx; i++) {
            int f = rt_fam_index(spec->pfx[i].family);
            const struct rt_rentry *e;
            const struct rt_nh *nh;
            if (plan->fid[s][f])
                continue;
            e = rt_rtable_get(&c->m->fallback, &spec->pfx[i]);
            nh = e ? rt_mirror_nh(c->m, e->nhid) : NULL;
            if (nh && nh->kind == RT_NH_GROUP && !gid_planned(plan, e->nhid))
                plan->fid[s][f] = e->nhid;
        }
    }
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
        rc = op_push(plan, RT_PH_BYPASS,
                     &(struct rt_op){
                         .kind = RT_OP_BYPASS_SET, .site = -1, .path = -1, .pfx = cfg->bypass[i]});
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < m->bypass.cap; i++) {
        const struct rt_rentry *e = &m->bypass.slots[i];
        if (!e->used || e->mark == epoch)
            continue;
        rc = op_push(
            plan, RT_PH_ROUTE_DEL,
            &(struct rt_op){.kind = RT_OP_BYPASS_DEL, .site = -1, .path = -1, .pfx = e->key});
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int plan_build(struct pctx *c, struct rt_plan *plan, const struct rt_tsite *sites,
                      size_t n_sites, struct rt_mirror *m, const struct rt_plan_cfg *cfg)
{
    uint32_t epoch;
    int rc;

    plan->n_sites = n_sites;
    if (n_sites) {
        plan->gid = calloc(n_sites, sizeof(*plan->gid));
        plan->fid = calloc(n_sites, sizeof(*plan->fid));
        plan->grp = malloc(n_sites * sizeof(*plan->grp));
        if (!plan->gid || !plan->fid || !plan->grp)
            return -ENOMEM;
        memset(plan->grp, 0xff, n_sites * sizeof(*plan->grp));
    }
    assign_gids(c);
    for (size_t s = 0; s < n_sites; s++) {
        if (sites[s].frozen) {
            rc = plan_frozen(c, s);
            if (rc < 0)
                return rc;
            continue;
        }
        for (int f = 0; f < RT_NFAM; f++) {
            if (!sites[s].spec.n_fam[f])
                continue;
            if (!plan->gid[s][f]) {
                plan->gid[s][f] = alloc_id(c);
                if (!plan->gid[s][f])
                    return -ENOSPC;
            }
            rc = plan_group(c, s, f);
            if (rc < 0)
                return rc;
            if (!cfg->fail_closed)
                continue;
            if (!plan->fid[s][f]) {
                plan->fid[s][f] = alloc_id(c);
                if (!plan->fid[s][f])
                    return -ENOSPC;
            }
            rc = plan_cover(c, s, f);
            if (rc < 0)
                return rc;
        }
    }

    if (cfg->groups_only)
        return 0;

    /* routes to add or re-point; marks what stays */
    epoch = ++m->epoch;
    rc = plan_bypass(plan, m, cfg, epoch);
    if (rc < 0)
        return rc;
    for (size_t s = 0; s < n_sites; s++) {
        const struct rt_site *spec = &sites[s].spec;
        for (size_t i = 0; i < spec->n_pfx; i++) {
            uint32_t gid = plan->gid[s][rt_fam_index(spec->pfx[i].family)];
            struct rt_rentry *e = rt_rtable_get(&m->routes, &spec->pfx[i]);
            uint32_t fid = plan->fid[s][rt_fam_index(spec->pfx[i].family)];
            struct rt_rentry *fb = rt_rtable_get(&m->fallback, &spec->pfx[i]);
            /* the cover goes in before the group route */
            if (fb && (sites[s].frozen || (fid && fb->nhid == fid))) {
                fb->mark = epoch;
            } else if (fid && !sites[s].frozen) {
                if (fb)
                    fb->mark = epoch; /* re-pointed, not deleted */
                rc = op_push(plan, RT_PH_ROUTE,
                             &(struct rt_op){.kind = RT_OP_FB_SET,
                                             .site = (int32_t)s,
                                             .path = -1,
                                             .nhid = fid,
                                             .pfx = spec->pfx[i]});
                if (rc < 0)
                    return rc;
            }
            if (e) {
                e->mark = epoch;
                if (e->nhid == gid)
                    continue;
            }
            rc = op_push(plan, RT_PH_ROUTE,
                         &(struct rt_op){.kind = RT_OP_ROUTE_SET,
                                         .site = (int32_t)s,
                                         .path = -1,
                                         .nhid = gid,
                                         .pfx = spec->pfx[i]});
            if (rc < 0)
                return rc;
        }
    }

    /* the routes of frozen sites stay as they are */
    for (size_t s = 0; s < n_sites; s++) {
        if (!sites[s].frozen)
            continue;
        for (size_t i = 0; i < m->routes.cap; i++) {
            struct rt_rentry *e = &m->routes.slots[i];
            if (e->used && e->nhid &&
                (e->nhid == plan->gid[s][RT_FAM_V4] || e->nhid == plan->gid[s][RT_FAM_V6]))
                e->mark = epoch;
        }
        /* and so do the covers of the prefixes those routes name */
        for (size_t i = 0; i < m->fallback.cap; i++) {
            struct rt_rentry *fb = &m->fallback.slots[i];
            const struct rt_rentry *e = fb->used ? rt_rtable_get(&m->routes, &fb->key) : NULL;
            if ((e && e->nhid &&
                 (e->nhid == plan->gid[s][RT_FAM_V4] || e->nhid == plan->gid[s][RT_FAM_V6])) ||
                (fb->used && fb->nhid &&
                 (fb->nhid == plan->fid[s][RT_FAM_V4] || fb->nhid == plan->fid[s][RT_FAM_V6])))
                fb->mark = epoch;
        }
    }

    /* owned groups no site uses any more: deleting one removes its routes.
     * A group that was a site's (committed or adopted) is that site's
     * deletion, so that the site keeps it when it fails. */
    for (size_t i = 0; i < m->n_nh; i++) {
        if (m->nh[i].kind != RT_NH_GROUP || gid_planned(plan, m->nh[i].id))
            continue;
        rc = op_push(plan, RT_PH_GROUP_DEL,
                     &(struct rt_op){.kind = RT_OP_GRP_DEL,
                                     .site = group_owner(sites, n_sites, m, m->nh[i].id),
                                     .path = -1,
                                     .nhid = m->nh[i].id});
        if (rc < 0)
            return rc;
    }
    /* routes no site wants any more (and not removed with their group) */
    for (size_t i = 0; i < m->routes.cap; i++) {
        const struct rt_rentry *e = &m->routes.slots[i];
        const struct rt_nh *nh;
        if (!e->used || e->mark == epoch)
            continue;
        nh = rt_mirror_nh(m, e->nhid);
        if (nh && nh->kind == RT_NH_GROUP && !gid_planned(plan, e->nhid))
            continue;
        rc = op_push(plan, RT_PH_ROUTE_DEL,
                     &(struct rt_op){.kind = RT_OP_ROUTE_DEL,
                                     .site = id_owner(sites, n_sites, plan, e->nhid, false),
                                     .path = -1,
                                     .nhid = e->nhid,
                                     .pfx = e->key});
        if (rc < 0)
            return rc;
    }
    /* covers no site wants any more (all of them when fail_closed was
     * turned off; those of a cover group being deleted go with it). The
     * deletion belongs to the site whose cover group the cover points at
     * (or whose group the prefix's route points at), so a failing site
     * keeps it and a rolled-back site loses the one it just added. */
    for (size_t i = 0; i < m->fallback.cap; i++) {
        const struct rt_rentry *e = &m->fallback.slots[i];
        const struct rt_rentry *route;
        const struct rt_nh *nh;
        int32_t owner;
        if (!e->used || e->mark == epoch)
            continue;
        nh = e->nhid ? rt_mirror_nh(m, e->nhid) : NULL;
        if (nh && nh->kind == RT_NH_GROUP && !gid_planned(plan, e->nhid))
            continue;
        owner = id_owner(sites, n_sites, plan, e->nhid, true);
        route = owner < 0 ? rt_rtable_get(&m->routes, &e->key) : NULL;
        if (route)
            owner = id_owner(sites, n_sites, plan, route->nhid, false);
        rc = op_push(
            plan, RT_PH_ROUTE_DEL,
            &(struct rt_op){.kind = RT_OP_FB_DEL, .site = owner, .path = -1, .pfx = e->key});
        if (rc < 0)
            return rc;
    }
    /* single nexthops the plan does not use; none while a frozen site's
     * standby nexthops are unknown */
    for (size_t s = 0; s < n_sites; s++)
        if (sites[s].frozen)
            return 0;
    for (size_t i = 0; i < m->n_nh; i++) {
        bool used = false;
        if (m->nh[i].kind == RT_NH_GROUP)
            continue;
        for (size_t k = 0; k < c->n_keep && !used; k++)
            used = c->keep[k] == m->nh[i].id;
        if (used)
            continue;
        rc = op_push(
            plan, RT_PH_NH_DEL,
            &(struct rt_op){.kind = RT_OP_NH_DEL, .site = -1, .path = -1, .nhid = m->nh[i].id});
        if (rc < 0)
            return rc;
    }
    return 0;
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
    rc = plan_build(&c, plan, sites, n_sites, m, cfg);
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
