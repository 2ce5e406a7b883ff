/*
 * revert.c - what routes_open() found in the kernel (the owned nexthops,
 * routes, covers, throw routes and rules it adopted), kept until the first
 * apply succeeds, and routes_abandon(): a start that is refused after the
 * engine opened (its first apply failed) puts the kernel back to exactly
 * that -- what it adopted stays, what it added goes.
 *
 * The way back is one plan against the mirror, re-read from the kernel:
 * nexthops and groups of the snapshot that are missing or differ are made
 * (again), routes and covers point where they pointed, throw routes come
 * back; then everything owned that the snapshot does not have is deleted,
 * routes before groups before nexthops; the probe routes as found; then
 * the rules.
 *
 * Threading: runs with the engine mutex held (routes_abandon takes it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int copy_table(struct rt_rtable *dst, const struct rt_rtable *src)
{
    memset(dst, 0, sizeof(*dst));
    if (!src->cap)
        return 0;
    dst->slots = malloc(src->cap * sizeof(*dst->slots));
    if (!dst->slots)
        return -ENOMEM;
    memcpy(dst->slots, src->slots, src->cap * sizeof(*dst->slots));
    dst->cap = src->cap;
    dst->count = src->count;
    return 0;
}

void rt_snapshot_free(struct rt_snapshot *s)
{
    free(s->nh);
    rt_rtable_free(&s->routes);
    rt_rtable_free(&s->fallback);
    rt_rtable_free(&s->bypass);
    free(s->rules);
    free(s->pk);
    memset(s, 0, sizeof(*s));
}

int rt_snapshot_take(struct routes_engine *eng)
{
    struct rt_snapshot *s = &eng->found;
    const struct rt_mirror *m = &eng->m;

    rt_snapshot_free(s);
    s->nh = m->n_nh ? malloc(m->n_nh * sizeof(*s->nh)) : NULL;
    s->rules = m->n_rules ? malloc(m->n_rules * sizeof(*s->rules)) : NULL;
    s->pk = eng->n_pk ? malloc(eng->n_pk * sizeof(*s->pk)) : NULL;
    if ((m->n_nh && !s->nh) || (m->n_rules && !s->rules) || (eng->n_pk && !s->pk) ||
        copy_table(&s->routes, &m->routes) < 0 || copy_table(&s->fallback, &m->fallback) < 0 ||
        copy_table(&s->bypass, &m->bypass) < 0) {
        rt_snapshot_free(s);
        return -ENOMEM;
    }
    if (m->n_nh)
        memcpy(s->nh, m->nh, m->n_nh * sizeof(*s->nh));
    if (m->n_rules)
        memcpy(s->rules, m->rules, m->n_rules * sizeof(*s->rules));
    if (eng->n_pk)
        memcpy(s->pk, eng->pk, eng->n_pk * sizeof(*s->pk));
    s->n_nh = m->n_nh;
    s->n_rules = m->n_rules;
    s->n_pk = eng->n_pk;
    s->taken = true;
    return 0;
}

static const struct rt_nh *snap_nh(const struct rt_snapshot *s, uint32_t id)
{
    for (size_t i = 0; i < s->n_nh; i++)
        if (s->nh[i].id == id)
            return &s->nh[i];
    return NULL;
}

static int push(struct rt_plan *plan, enum rt_phase ph, struct rt_op op)
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
    op.site = -1;
    op.path = -1;
    l->ops[l->n++] = op;
    plan->n_ops++;
    return 0;
}

/* a nexthop of the snapshot made (again): its content goes into plan->nh */
static int push_nh(struct rt_plan *plan, enum rt_phase ph, uint8_t kind, const struct rt_nh *nh)
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
    return push(plan, ph,
                (struct rt_op){.kind = kind, .nh = (uint32_t)plan->n_nh++, .nhid = nh->id});
}

/* the snapshot's nexthops (singles first, then groups) as they were */
static int plan_nexthops(struct rt_plan *plan, const struct rt_mirror *m,
                         const struct rt_snapshot *s)
{
    int rc = 0;

    for (size_t i = 0; i < s->n_nh && rc == 0; i++) {
        const struct rt_nh *want = &s->nh[i], *cur = rt_mirror_nh(m, want->id);
        bool group = want->kind == RT_NH_GROUP;
        if (cur && (group ? rt_nh_same_members(cur, want) : rt_nh_same_target(cur, want)))
            continue;
        rc = push_nh(plan, group ? RT_PH_GROUP : RT_PH_NH,
                     cur     ? RT_OP_GRP_REPLACE
                     : group ? RT_OP_GRP_ADD
                             : RT_OP_NH_ADD,
                     want);
    }
    return rc;
}

/* routes of one kind as the snapshot had them, the others deleted */
static int plan_routes(struct rt_plan *plan, const struct rt_rtable *cur,
                       const struct rt_rtable *want, uint8_t set, uint8_t del)
{
    int rc = 0;

    for (size_t i = 0; i < want->cap && rc == 0; i++) {
        const struct rt_rentry *w = &want->slots[i], *c;
        if (!w->used)
            continue;
        c = rt_rtable_get(cur, &w->key);
        if (!c || c->nhid != w->nhid)
            rc = push(plan, RT_PH_ROUTE,
                      (struct rt_op){.kind = set, .nhid = w->nhid, .pfx = w->key});
    }
    for (size_t i = 0; i < cur->cap && rc == 0; i++) {
        const struct rt_rentry *c = &cur->slots[i];
        if (c->used && !rt_rtable_get(want, &c->key))
            rc = push(plan, RT_PH_ROUTE_DEL,
                      (struct rt_op){.kind = del, .nhid = c->nhid, .pfx = c->key});
    }
    return rc;
}

/* owned nexthops the snapshot does not have: groups, then singles */
static int plan_deletions(struct rt_plan *plan, const struct rt_mirror *m,
                          const struct rt_snapshot *s)
{
    int rc = 0;

    for (size_t i = 0; i < m->n_nh && rc == 0; i++) {
        const struct rt_nh *nh = &m->nh[i];
        if (snap_nh(s, nh->id))
            continue;
        rc = push(plan, nh->kind == RT_NH_GROUP ? RT_PH_GROUP_DEL : RT_PH_NH_DEL,
                  (struct rt_op){.kind = nh->kind == RT_NH_GROUP ? RT_OP_GRP_DEL : RT_OP_NH_DEL,
                                 .nhid = nh->id});
    }
    return rc;
}

static int plan_back(struct rt_plan *plan, const struct rt_mirror *m, const struct rt_snapshot *s)
{
    int rc;

    memset(plan, 0, sizeof(*plan));
    rc = plan_nexthops(plan, m, s);
    if (rc == 0)
        rc = plan_routes(plan, &m->bypass, &s->bypass, RT_OP_BYPASS_SET, RT_OP_BYPASS_DEL);
    if (rc == 0)
        rc = plan_routes(plan, &m->fallback, &s->fallback, RT_OP_FB_SET, RT_OP_FB_DEL);
    if (rc == 0)
        rc = plan_routes(plan, &m->routes, &s->routes, RT_OP_ROUTE_SET, RT_OP_ROUTE_DEL);
    if (rc == 0)
        rc = plan_deletions(plan, m, s);
    return rc;
}

int rt_snapshot_rules_back(struct routes_engine *eng, struct routes_result *res)
{
    struct rt_snapshot *s = &eng->found;

    free(eng->want_rules);
    eng->want_rules = s->rules;
    eng->n_want_rules = s->n_rules;
    eng->n_base_rules = s->n_rules;
    s->rules = NULL;
    s->n_rules = 0;
    return rt_rules_reconcile(eng, false, res);
}

static void drop_sites(struct routes_engine *eng)
{
    for (size_t s = 0; s < eng->n_sites; s++)
        rt_site_clear(&eng->sites[s].spec);
    free(eng->sites);
    eng->sites = NULL;
    eng->n_sites = 0;
    free(eng->bypass);
    eng->bypass = NULL;
    eng->n_bypass = 0;
}

static int go_back(struct routes_engine *eng, struct routes_result *res)
{
    struct rt_plan plan;
    int rc;

    drop_sites(eng);
    rt_monitor_drain(eng);
    rc = rt_sync_owned(eng); /* exactly what the kernel holds now */
    if (rc < 0) {
        rt_result_add(res, NULL, NULL, NULL, rc, "cannot read the kernel state: %s",
                      rt_strerror(rc));
        return rc;
    }
    rc = plan_back(&plan, &eng->m, &eng->found);
    if (rc == 0)
        rc = rt_execute(eng, &plan, res);
    else
        rt_result_add(res, NULL, NULL, NULL, rc, "cannot plan the way back: %s", rt_strerror(rc));
    if (rt_probe_restore(eng, eng->found.pk, eng->found.n_pk, res) < 0 && rc == 0)
        rc = -1;
    rt_plan_free(&plan);
    if (rt_snapshot_rules_back(eng, res) < 0 && rc == 0)
        rc = -1;
    return rc < 0 || res->n_errors ? -1 : 0;
}

int routes_abandon(struct routes_engine *eng)
{
    struct routes_result res = {0};
    int rc = -1;

    rt_lock(eng);
    /* what stays is what was found: nothing to withdraw at close */
    eng->opts.flush_on_exit = false;
    if (!eng->found.taken)
        rt_log(eng, ROUTES_LOG_ERROR,
               "abandon: what the engine found at open is not known any more (an apply "
               "succeeded since): the kernel is left as it is");
    else
        rc = go_back(eng, &res);
    for (size_t i = 0; i < res.n_errors; i++)
        rt_log(eng, ROUTES_LOG_ERROR, "abandon: %s", res.errors[i].message);
    if (eng->found.taken)
        rt_log(eng, rc ? ROUTES_LOG_ERROR : ROUTES_LOG_WARN,
               "abandon: %s what was found at open (%u route(s) set, %u deleted, %u "
               "nexthop(s) added, %u deleted; %llu requests)",
               rc ? "could not fully restore" : "restored", res.routes_set, res.routes_deleted,
               res.nexthops_added + res.groups_changed, res.nexthops_deleted,
               (unsigned long long)res.messages);
    rt_snapshot_free(&eng->found);
    routes_result_free(&res);
    rt_unlock_dispatch(eng);
    return rc;
}
