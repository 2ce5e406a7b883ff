/*
 * apply.c - executes a plan: phase by phase, each phase as batched
 * requests; every acknowledgement updates the mirror, every refusal is
 * mapped back to the site, path or prefix that caused it and fails that site
 * (its later requests are not sent). The caller (engine.c) rolls failed
 * sites back.
 *
 * Threading: runs with the engine mutex held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "internal.h"

#define RT_ERRORS_PER_SITE 3

struct exec {
    struct routes_engine *eng;
    struct rt_plan *plan;
    struct rt_oplist *list;
    size_t *sel; /* indices into list->ops sent in this phase */
    bool *acked; /* per entry of sel: an acknowledgement (or error) arrived */
    struct routes_result *res;
    unsigned *site_errors; /* per site, to cap the error list */
    unsigned shared_errors;
};

static struct nl_msg *build_op(void *ctx, size_t i)
{
    struct exec *x = ctx;
    const struct rt_op *op = &x->list->ops[x->sel[i]];
    const struct routes_options *o = &x->eng->opts;
    switch (op->kind) {
    case RT_OP_NH_ADD:
    case RT_OP_GRP_ADD:
        return rt_msg_nh_new(&x->plan->nh[op->nh], o->protocol, NLM_F_CREATE | NLM_F_EXCL);
    case RT_OP_GRP_REPLACE:
        return rt_msg_nh_new(&x->plan->nh[op->nh], o->protocol, NLM_F_CREATE | NLM_F_REPLACE);
    case RT_OP_ROUTE_SET:
        /* replace only a route the mirror holds as ours: a prefix that is
         * not is created exclusively, so a foreign route is never overwritten */
        return rt_msg_route_set(&op->pfx, o->table, o->protocol, op->nhid,
                                rt_rtable_get(&x->eng->m.routes, &op->pfx) != NULL);
    case RT_OP_ROUTE_DEL:
        return rt_msg_route_del(&op->pfx, o->table, o->protocol, op->nhid);
    case RT_OP_FB_SET:
        return rt_msg_fallback_set(&op->pfx, o->table, o->protocol, op->nhid,
                                   rt_rtable_get(&x->eng->m.fallback, &op->pfx) != NULL);
    case RT_OP_FB_DEL:
        return rt_msg_fallback_del(&op->pfx, o->table, o->protocol);
    case RT_OP_BYPASS_SET:
        return rt_msg_bypass_set(&op->pfx, o->table, o->protocol,
                                 rt_rtable_get(&x->eng->m.bypass, &op->pfx) != NULL);
    case RT_OP_BYPASS_DEL:
        return rt_msg_bypass_del(&op->pfx, o->table, o->protocol);
    default:
        return rt_msg_nh_del(op->nhid);
    }
}

static void fail_site(struct exec *x, size_t s, const char *path, const struct rt_prefix *pfx,
                      int err, const char *what, const char *extack)
{
    struct rt_tsite *site = &x->eng->sites[s];
    site->failed = true;
    if (x->site_errors[s]++ >= RT_ERRORS_PER_SITE)
        return;
    rt_result_add(
        x->res, site->spec.name, path, pfx, err, "site '%s'%s%s%s%s: %s: %s%s%s%s", site->spec.name,
        path ? " path '" : "", path ? path : "", path ? "'" : "",
        x->site_errors[s] == RT_ERRORS_PER_SITE ? " (further errors of this site omitted)" : "",
        what, rt_strerror(err), extack ? " (" : "", extack ? extack : "", extack ? ")" : "");
}

static void describe_op(struct exec *x, const struct rt_op *op, const char *pre, char *buf,
                        size_t len)
{
    char p[64];
    switch (op->kind) {
    case RT_OP_NH_ADD:
    case RT_OP_GRP_ADD:
    case RT_OP_GRP_REPLACE: {
        char d[200];
        rt_nh_describe(&x->plan->nh[op->nh], &x->eng->m, d, sizeof(d));
        snprintf(buf, len, "%s %s %s", pre,
                 op->kind == RT_OP_GRP_REPLACE ? "replacing" : "creating", d);
        break;
    }
    case RT_OP_ROUTE_SET:
        rt_prefix_format(&op->pfx, p, sizeof(p));
        snprintf(buf, len, "%s route %s table %u nexthop group %u", pre, p, x->eng->opts.table,
                 op->nhid);
        break;
    case RT_OP_ROUTE_DEL:
        rt_prefix_format(&op->pfx, p, sizeof(p));
        snprintf(buf, len, "%s deleting route %s table %u", pre, p, x->eng->opts.table);
        break;
    case RT_OP_FB_SET:
    case RT_OP_FB_DEL:
        rt_prefix_format(&op->pfx, p, sizeof(p));
        if (op->kind == RT_OP_FB_SET)
            snprintf(buf, len, "%s cover route %s table %u metric %u cover group %u", pre, p,
                     x->eng->opts.table, ROUTES_FALLBACK_METRIC, op->nhid);
        else
            snprintf(buf, len, "%s deleting cover route %s table %u metric %u", pre, p,
                     x->eng->opts.table, ROUTES_FALLBACK_METRIC);
        break;
    case RT_OP_BYPASS_SET:
    case RT_OP_BYPASS_DEL:
        rt_prefix_format(&op->pfx, p, sizeof(p));
        snprintf(buf, len, "%s %s throw route %s table %u (a VPN peer's address)", pre,
                 op->kind == RT_OP_BYPASS_SET ? "adding" : "deleting", p, x->eng->opts.table);
        break;
    default:
        snprintf(buf, len, "%s deleting nexthop %u", pre, op->nhid);
        break;
    }
}

/* EEXIST on an exclusive route creation: the table holds a route for the
 * prefix that is not ours (another protocol). It is left alone; the site
 * fails and is rolled back. */
static void collision(struct exec *x, const struct rt_op *op)
{
    struct rt_tsite *site = &x->eng->sites[op->site];
    uint32_t table = x->eng->opts.table;
    char p[64];
    site->failed = true;
    /* or our own route the mirror missed: the next pass re-reads the kernel */
    x->eng->resync_needed = true;
    if (x->site_errors[op->site]++ >= RT_ERRORS_PER_SITE)
        return;
    rt_prefix_format(&op->pfx, p, sizeof(p));
    rt_result_add(x->res, site->spec.name, NULL, &op->pfx, -EEXIST,
                  "site '%s' prefix %s collides with a route in table %u not made by tunneld "
                  "(another protocol), left untouched (expected no other route for the site's "
                  "prefixes in table %u); site '%s' not applied",
                  site->spec.name, p, table, table, site->spec.name);
}

static void on_failure(struct exec *x, const struct rt_op *op, int err, const char *extack,
                       bool unsent)
{
    char what[300];
    if ((op->kind == RT_OP_ROUTE_SET || op->kind == RT_OP_FB_SET) && err == -EEXIST &&
        op->site >= 0 && !unsent) {
        collision(x, op);
        return;
    }
    describe_op(x, op, rt_nl_failure_prefix(extack, unsent), what, sizeof(what));
    extack = rt_nl_kernel_extack(extack);
    if (op->kind == RT_OP_NH_ADD) {
        /* a shared nexthop: every site whose group needs it fails */
        bool any = false;
        for (size_t s = 0; s < x->plan->n_sites; s++) {
            for (int f = 0; f < RT_NFAM; f++) {
                int32_t g = x->plan->grp[s][f];
                if (g < 0)
                    continue;
                for (size_t k = 0; k < x->plan->nh[g].n_members; k++) {
                    if (x->plan->nh[g].members[k].id != op->nhid || x->eng->sites[s].failed)
                        continue;
                    const char *path = op->site == (int32_t)s && op->path >= 0
                                           ? x->eng->sites[s].spec.paths[op->path].name
                                           : NULL;
                    fail_site(x, s, path, NULL, err, what, extack);
                    any = true;
                }
            }
        }
        if (any)
            return;
        /* in no group (a standby path's nexthop): it fails its own site */
        if (op->site >= 0) {
            const char *path =
                op->path >= 0 ? x->eng->sites[op->site].spec.paths[op->path].name : NULL;
            fail_site(x, (size_t)op->site, path, NULL, err, what, extack);
            return;
        }
    } else if (op->site >= 0) {
        bool has_pfx = op->kind == RT_OP_ROUTE_SET || op->kind == RT_OP_ROUTE_DEL ||
                       op->kind == RT_OP_FB_SET || op->kind == RT_OP_FB_DEL;
        fail_site(x, (size_t)op->site, NULL, has_pfx ? &op->pfx : NULL, err, what, extack);
        return;
    }
    if (x->shared_errors++ < RT_ERRORS_PER_SITE)
        rt_result_add(x->res, NULL, NULL,
                      op->kind == RT_OP_ROUTE_DEL || op->kind == RT_OP_FB_DEL ||
                              op->kind == RT_OP_BYPASS_SET || op->kind == RT_OP_BYPASS_DEL
                          ? &op->pfx
                          : NULL,
                      err, "%s: %s%s%s%s", what, rt_strerror(err), extack ? " (" : "",
                      extack ? extack : "", extack ? ")" : "");
}

/* A group or cover group the kernel took; a cover group that now carries
 * the site (its group was dropped with a link) is said so. */
static void group_acked(struct exec *x, const struct rt_op *op)
{
    struct rt_mirror *m = &x->eng->m;
    const struct rt_nh *g = &x->plan->nh[op->nh];
    const struct rt_nh *first = g->n_members ? rt_mirror_nh(m, g->members[0].id) : NULL;
    /* read before the put, which may move the mirror's array */
    bool carries = first && first->kind != RT_NH_BLACKHOLE;
    int f;

    rt_mirror_nh_put(m, g);
    x->res->groups_changed++;
    if (x->list != &x->plan->ph[RT_PH_COVER] || !carries)
        return;
    f = x->plan->fid[op->site][RT_FAM_V6] == op->nhid ? RT_FAM_V6 : RT_FAM_V4;
    rt_log(x->eng, ROUTES_LOG_WARN,
           "site '%s' %s: the kernel dropped group %u; cover group %u carries the site on "
           "its next path while the group and its routes are rebuilt",
           x->eng->sites[op->site].spec.name, f == RT_FAM_V6 ? "IPv6" : "IPv4",
           x->plan->gid[op->site][f], op->nhid);
}

/* a route of ours set (table: routes, covers or throw routes) */
static void route_acked(struct exec *x, struct rt_rtable *t, const struct rt_op *op, uint32_t nhid)
{
    if (rt_rtable_set(t, &op->pfx, nhid) < 0)
        x->eng->resync_needed = true;
    x->res->routes_set++;
}

static void route_deleted(struct exec *x, struct rt_rtable *t, const struct rt_op *op)
{
    rt_rtable_del(t, &op->pfx);
    x->res->routes_deleted++;
}

/* What the kernel acknowledged goes into the mirror. */
static void record(struct exec *x, const struct rt_op *op)
{
    struct rt_mirror *m = &x->eng->m;

    switch (op->kind) {
    case RT_OP_NH_ADD:
        rt_mirror_nh_put(m, &x->plan->nh[op->nh]);
        x->res->nexthops_added++;
        break;
    case RT_OP_GRP_ADD:
    case RT_OP_GRP_REPLACE:
        group_acked(x, op);
        break;
    case RT_OP_ROUTE_SET:
        route_acked(x, &m->routes, op, op->nhid);
        break;
    case RT_OP_FB_SET:
        route_acked(x, &m->fallback, op, op->nhid);
        break;
    case RT_OP_BYPASS_SET:
        route_acked(x, &m->bypass, op, 0);
        break;
    case RT_OP_ROUTE_DEL:
        route_deleted(x, &m->routes, op);
        break;
    case RT_OP_FB_DEL:
        route_deleted(x, &m->fallback, op);
        break;
    case RT_OP_BYPASS_DEL:
        route_deleted(x, &m->bypass, op);
        break;
    case RT_OP_GRP_DEL:
        /* the kernel removed every route using the group */
        rt_rtable_del_nhid(&m->routes, op->nhid);
        rt_rtable_del_nhid(&m->fallback, op->nhid);
        rt_mirror_nh_del(m, op->nhid);
        x->res->nexthops_deleted++;
        break;
    case RT_OP_NH_DEL:
        rt_mirror_nh_del(m, op->nhid);
        x->res->nexthops_deleted++;
        break;
    }
}

static void on_ack(void *ctx, size_t i, int err, const char *extack)
{
    struct exec *x = ctx;
    const struct rt_op *op = &x->list->ops[x->sel[i]];
    bool deletion = op->kind == RT_OP_ROUTE_DEL || op->kind == RT_OP_FB_DEL ||
                    op->kind == RT_OP_GRP_DEL || op->kind == RT_OP_NH_DEL ||
                    op->kind == RT_OP_BYPASS_DEL;

    x->acked[i] = true;
    /* already gone is what a deletion wanted */
    if (err && !(deletion && (err == -ENOENT || err == -ESRCH))) {
        if (err == -ENOBUFS || err == -ETIMEDOUT || err == -EIO)
            x->eng->resync_needed = true; /* outcome unknown: ask the kernel */
        on_failure(x, op, err, extack, false);
        return;
    }
    record(x, op);
}

static void on_idle(void *ctx)
{
    struct exec *x = ctx;
    rt_monitor_drain(x->eng);
}

/* A nexthop still in an owned group (of a site that failed) must stay. */
static bool nh_still_used(const struct rt_mirror *m, uint32_t id)
{
    for (size_t i = 0; i < m->n_nh; i++) {
        if (m->nh[i].kind != RT_NH_GROUP)
            continue;
        for (size_t k = 0; k < m->nh[i].n_members; k++)
            if (m->nh[i].members[k].id == id)
                return true;
    }
    return false;
}

/* Deletions no site owns wait for a clean pass: while a site failed in
 * this pass, is frozen (its previous objects are not all known) or is being
 * restored, such an object may still be what a site had before. */
static bool shared_deletions_deferred(const struct routes_engine *eng)
{
    if (eng->restoring)
        return true;
    for (size_t s = 0; s < eng->n_sites; s++)
        if (eng->sites[s].failed || eng->sites[s].frozen)
            return true;
    return false;
}

/* The batch of phase ph stopped at rc: the requests of that phase that got
 * no acknowledgement and every request of the later phases were never sent
 * (or their outcome is unknown). Each site with such a request fails, as do
 * the sites whose group needs an unsent shared nexthop. Site-less deletions
 * are left to the next pass. */
static void fail_unsent(struct exec *x, int ph, size_t n_sel, int rc)
{
    struct routes_engine *eng = x->eng;
    size_t before = 0, after = 0;
    for (size_t s = 0; s < eng->n_sites; s++)
        before += eng->sites[s].failed;
    /* without a selection (allocation failure) nothing of phase ph went out */
    for (size_t i = 0; i < (x->sel ? n_sel : x->plan->ph[ph].n); i++) {
        const struct rt_op *op = &x->plan->ph[ph].ops[x->sel ? x->sel[i] : i];
        if ((x->sel && x->acked[i]) || (op->site < 0 && op->kind != RT_OP_NH_ADD) ||
            (op->site >= 0 && eng->sites[op->site].failed))
            continue;
        on_failure(x, op, rc, NULL, true);
    }
    for (int p = ph + 1; p < RT_NPHASES; p++) {
        struct rt_oplist *l = &x->plan->ph[p];
        for (size_t i = 0; i < l->n; i++) {
            const struct rt_op *op = &l->ops[i];
            if (op->site >= 0 && !eng->sites[op->site].failed)
                on_failure(x, op, rc, NULL, true);
        }
    }
    for (size_t s = 0; s < eng->n_sites; s++)
        after += eng->sites[s].failed;
    rt_log(eng, ROUTES_LOG_ERROR,
           "requests not sent or unacknowledged (%s): %zu more site(s) not applied",
           rt_strerror(rc), after - before);
}

/* The requests of phase ph to send: not those of failed sites, nor shared
 * deletions while they wait, nor a nexthop a group still uses. */
static size_t select_ops(struct exec *x, int ph)
{
    struct routes_engine *eng = x->eng;
    const struct rt_oplist *l = &x->plan->ph[ph];
    bool keep_shared = ph >= RT_PH_ROUTE_DEL && shared_deletions_deferred(eng);
    size_t n = 0;

    for (size_t i = 0; i < l->n; i++) {
        const struct rt_op *op = &l->ops[i];
        if (op->site >= 0 && eng->sites[op->site].failed)
            continue;
        if (op->site < 0 && keep_shared)
            continue;
        if (op->kind == RT_OP_NH_DEL && nh_still_used(&eng->m, op->nhid))
            continue;
        x->sel[n++] = i;
    }
    return n;
}

/* One phase as one batch; 0 or the transport's negative errno. */
static int run_phase(struct exec *x, int ph)
{
    struct routes_engine *eng = x->eng;
    struct rt_oplist *l = &x->plan->ph[ph];
    size_t n = 0;
    int rc = 0;

    x->list = l;
    x->sel = malloc(l->n * sizeof(size_t));
    x->acked = calloc(l->n, sizeof(bool));
    if (!x->sel || !x->acked) {
        free(x->sel);
        free(x->acked);
        x->sel = NULL;
        x->acked = NULL;
        fail_unsent(x, ph, 0, -ENOMEM);
        return -ENOMEM;
    }
    n = select_ops(x, ph);
    if (n)
        rc = rt_nl_batch(&eng->nl, n, build_op, on_ack, on_idle, x);
    if (rc < 0) {
        /* sites whose requests were not all sent fail (their new group
         * ids are not committed), and what the kernel holds now is only
         * known from a dump: the rollback must plan against it */
        fail_unsent(x, ph, n, rc);
        rt_nl_discard(&eng->nl); /* stale acks must not fill the dump's buffer */
        eng->resync_needed = false;
        if (rt_sync_owned(eng) < 0)
            eng->resync_needed = true;
    }
    free(x->sel);
    free(x->acked);
    x->sel = NULL;
    x->acked = NULL;
    return rc;
}

int rt_execute(struct routes_engine *eng, struct rt_plan *plan, struct routes_result *res)
{
    struct exec x = {.eng = eng, .res = res, .plan = plan};
    uint64_t sent0 = eng->nl.sent;
    int rc = 0;

    x.site_errors = calloc(eng->n_sites ? eng->n_sites : 1, sizeof(unsigned));
    if (!x.site_errors)
        return -ENOMEM;
    for (int ph = 0; ph < RT_NPHASES && rc == 0; ph++)
        if (plan->ph[ph].n)
            rc = run_phase(&x, ph);
    res->messages += eng->nl.sent - sent0;
    free(x.site_errors);
    return rc;
}

int rt_converge(struct routes_engine *eng, bool groups_only, struct routes_result *res)
{
    struct rt_plan_cfg cfg = {.nh_id_base = eng->opts.nh_id_base,
                              .groups_only = groups_only,
                              .fail_closed = eng->opts.fail_closed,
                              .bypass = eng->bypass,
                              .n_bypass = eng->n_bypass};
    struct rt_plan plan;
    int rc;

    for (size_t s = 0; s < eng->n_sites; s++)
        eng->sites[s].failed = false;
    rc = rt_plan_build(&plan, eng->sites, eng->n_sites, &eng->m, &cfg);
    if (rc < 0) {
        rt_result_add(res, NULL, NULL, NULL, rc, "cannot plan the changes: %s%s", rt_strerror(rc),
                      rc == -ENOSPC ? " (no free nexthop id above nh_id_base)" : "");
        rt_plan_free(&plan);
        return rc;
    }
    rc = rt_execute(eng, &plan, res);
    /* the planned group ids of the sites that did not fail are theirs now */
    for (size_t s = 0; s < eng->n_sites; s++) {
        if (eng->sites[s].failed)
            continue;
        memcpy(eng->sites[s].gid, plan.gid[s], sizeof(eng->sites[s].gid));
        memcpy(eng->sites[s].fid, plan.fid[s], sizeof(eng->sites[s].fid));
    }
    rt_plan_free(&plan);
    if (rc < 0)
        return rc;
    /* the probe routes follow the paths' interfaces, not the selection: a
     * move (groups only) leaves them alone */
    if (!groups_only && rt_probe_converge(eng, res) < 0)
        rc = -1;
    for (size_t s = 0; s < eng->n_sites; s++)
        if (eng->sites[s].failed)
            return -1;
    return rc;
}
