/*
 * target.c - the state-changing entry points: desired-state apply (with
 * per-site validation against the kernel and rollback of sites the kernel
 * refused), path health, withdrawal, and the path usability computation
 * that produces PATH_DOWN / PATH_UP events.
 *
 * Threading: public functions take the engine mutex (rt_lock) and deliver
 * callbacks after releasing it (rt_unlock_dispatch).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#define RT_REPAIR_AFTER_FAILURE_MS 1000

static struct rt_tsite *find_site(struct rt_tsite *sites, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(sites[i].spec.name, name))
            return &sites[i];
    return NULL;
}

struct rt_tsite *rt_find_site(struct routes_engine *eng, const char *name)
{
    return name ? find_site(eng->sites, eng->n_sites, name) : NULL;
}

static void path_state(const struct routes_engine *eng, const struct rt_tsite *s, size_t p,
                       bool *valid, int *oif, char *why, size_t len)
{
    const struct rt_path *path = &s->spec.paths[p];
    const struct rt_link *l = rt_mirror_link_by_name(&eng->m, path->dev);
    *valid = false;
    *oif = l ? l->ifindex : 0;
    if (!l) {
        snprintf(why, len, "interface %s does not exist", path->dev);
        return;
    }
    if (!(l->flags & IFF_UP)) {
        snprintf(why, len, "interface %s is down", path->dev);
        return;
    }
    if (!(l->flags & IFF_LOWER_UP)) {
        snprintf(why, len, "interface %s has no carrier", path->dev);
        return;
    }
    for (int f = 0; f < RT_NFAM; f++)
        if (path->has_gw[f] && !rt_gw_usable(&eng->m, l, rt_fam_af(f), path->gw[f], why, len))
            return;
    *valid = true;
    snprintf(why, len, "interface %s is up", path->dev);
}

/* A gateway of the path that the kernel's neighbour table has as FAILED
 * (neigh.c): why into buf, true when there is one. */
static bool nbr_down(const struct routes_engine *eng, const struct rt_tsite *site, size_t p,
                     char *why, size_t len)
{
    const struct rt_path *path = &site->spec.paths[p];
    for (int f = 0; f < RT_NFAM; f++) {
        char gw[INET6_ADDRSTRLEN];
        if (!path->has_gw[f] || !rt_nbr_failed(eng, site->oif[p], rt_fam_af(f), path->gw[f]))
            continue;
        rt_addr_format(rt_fam_af(f), path->gw[f], gw, sizeof(gw));
        snprintf(why, len, "next hop %s on %s is FAILED in the neighbour table (no answer to %s)",
                 gw, path->dev, f == RT_FAM_V4 ? "ARP" : "neighbour solicitations");
        return true;
    }
    return false;
}

/* Whether path p of a site is up as the engine sees it (link, gateway,
 * neighbour) and by the health verdict; the cause and why when not. */
static bool path_up(const struct routes_engine *eng, struct rt_tsite *site, size_t p,
                    enum routes_path_cause *cause, char *why, size_t len)
{
    bool valid;
    path_state(eng, site, p, &valid, &site->oif[p], why, len);
    site->valid[p] = valid;
    *cause = ROUTES_CAUSE_LINK;
    if (!valid)
        return false;
    *cause = ROUTES_CAUSE_NEIGHBOUR;
    if (nbr_down(eng, site, p, why, len))
        return false;
    *cause = ROUTES_CAUSE_HEALTH;
    if (!site->health[p]) {
        snprintf(why, len, "health check reports the path down");
        return false;
    }
    return true;
}

void rt_paths_refresh(struct routes_engine *eng)
{
    for (size_t s = 0; s < eng->n_sites; s++) {
        struct rt_tsite *site = &eng->sites[s];
        for (size_t p = 0; p < site->spec.n_paths; p++) {
            const struct rt_path *path = &site->spec.paths[p];
            enum routes_path_cause cause;
            char why[320];
            bool up = path_up(eng, site, p, &cause, why, sizeof(why));
            /* a ranking is the caller's choice among paths that are up:
             * it decides what carries traffic, never what is reported */
            site->usable[p] = up && (!site->ranked || site->rank_ok[p]);
            if (up == site->reported_up[p])
                continue;
            site->reported_up[p] = up;
            if (up) {
                cause = (enum routes_path_cause)site->down_cause[p];
                if (cause == ROUTES_CAUSE_NEIGHBOUR)
                    snprintf(why, sizeof(why), "next hop answers again (neighbour entry usable)");
            } else {
                site->down_cause[p] = (uint8_t)cause;
            }
            rt_log(eng, up ? ROUTES_LOG_INFO : ROUTES_LOG_WARN, "site '%s' path '%s' %s: %s",
                   site->spec.name, path->name, up ? "up" : "down", why);
            rt_path_event(eng, up ? ROUTES_EVENT_PATH_UP : ROUTES_EVENT_PATH_DOWN, cause,
                          site->spec.name, path->name, path->dev, "%s", why);
        }
    }
}

/* Checks that need the kernel: a gateway is a neighbour's address on one
 * of its interface's connected subnets (gateway.c; when the link is up: a
 * down or missing link just makes the path unusable until it is up). */
bool rt_site_kernel_ok(struct routes_engine *eng, const struct rt_site *s,
                       struct routes_result *res)
{
    bool ok = true;
    for (size_t p = 0; p < s->n_paths; p++) {
        const struct rt_path *path = &s->paths[p];
        const struct rt_link *l = rt_mirror_link_by_name(&eng->m, path->dev);
        /* a missing interface (not made yet, e.g. a tunnel device) makes
         * the path unusable, like a down link: the site fails closed and
         * the path is applied when the link appears */
        if (!l || !rt_link_usable(l))
            continue;
        for (int f = 0; f < RT_NFAM; f++) {
            char why[300];
            if (!path->has_gw[f] ||
                rt_gw_usable(&eng->m, l, rt_fam_af(f), path->gw[f], why, sizeof(why)))
                continue;
            rt_result_add(res, s->name, path->name, NULL, -ENETUNREACH,
                          "site '%s' path '%s': %s; site '%s' not applied", s->name, path->name,
                          why, s->name);
            ok = false;
        }
    }
    return ok;
}

/* Snapshot of what the kernel holds for a site this process has no spec
 * for: the owned groups its prefixes point at. Returns 1 when found. */
static int freeze_from_kernel(struct routes_engine *eng, const struct rt_site *spec,
                              struct rt_tsite *t)
{
    bool found = false;
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < spec->n_pfx; i++) {
        int f = rt_fam_index(spec->pfx[i].family);
        const struct rt_rentry *e;
        const struct rt_nh *g;
        if (!t->fid[f]) {
            const struct rt_rentry *fb = rt_rtable_get(&eng->m.fallback, &spec->pfx[i]);
            const struct rt_nh *fg = fb ? rt_mirror_nh(&eng->m, fb->nhid) : NULL;
            if (fg && fg->kind == RT_NH_GROUP) {
                t->fid[f] = fg->id; /* its cover group, kept as it is */
                /* the covers alone are kernel state to keep: the group may
                 * be gone with a link while no tunneld was running */
                found = true;
            }
        }
        if (t->frozen_grp[f].id)
            continue;
        e = rt_rtable_get(&eng->m.routes, &spec->pfx[i]);
        g = e ? rt_mirror_nh(&eng->m, e->nhid) : NULL;
        if (!g || g->kind != RT_NH_GROUP)
            continue;
        t->frozen_grp[f] = *g;
        t->gid[f] = g->id;
        for (size_t k = 0; k < g->n_members; k++) {
            const struct rt_nh *mn = rt_mirror_nh(&eng->m, g->members[k].id);
            if (mn)
                t->frozen_members[f][k] = *mn;
        }
        found = true;
    }
    if (!found)
        return 0;
    t->spec.name = strdup(spec->name);
    if (!t->spec.name)
        return -ENOMEM;
    t->frozen = true;
    return 1;
}

static int tsite_from(struct rt_tsite *t, const struct rt_site *spec, const struct rt_tsite *old)
{
    memset(t, 0, sizeof(*t));
    if (rt_site_copy(&t->spec, spec) < 0)
        return -ENOMEM;
    for (size_t p = 0; p < ROUTES_MAX_PATHS; p++) {
        t->health[p] = true;
        t->reported_up[p] = true;
    }
    if (!old)
        return 0;
    memcpy(t->gid, old->gid, sizeof(t->gid));
    memcpy(t->fid, old->fid, sizeof(t->fid));
    /* a ranked site stays ranked: its paths keep their rank, a new path
     * has none (carries nothing) until the next ranking */
    t->ranked = old->ranked;
    for (size_t p = 0; p < t->spec.n_paths; p++) {
        int o = rt_site_find_path(&old->spec, t->spec.paths[p].name);
        if (o < 0)
            continue;
        t->health[p] = old->health[o];
        t->reported_up[p] = old->reported_up[o];
        t->down_cause[p] = old->down_cause[o];
        t->rank_ok[p] = old->rank_ok[o];
        t->rank[p] = old->rank[o];
        t->pslot[p] = old->pslot[o]; /* the same probe mark and table */
    }
    return 0;
}

static int tsite_clone(struct rt_tsite *t, const struct rt_tsite *old)
{
    *t = *old;
    return rt_site_copy(&t->spec, &old->spec);
}

static void free_sites(struct rt_tsite *sites, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rt_site_clear(&sites[i].spec);
    free(sites);
}

/* Puts the previous version of every failed site back (or drops a failed
 * new site) and converges again. */
static void rollback(struct routes_engine *eng, struct rt_tsite *prev, size_t n_prev,
                     struct rt_tsite *snap, size_t n_snap, struct routes_result *res)
{
    struct routes_result rb = {0};
    size_t k = 0;
    int rc;
    for (size_t s = 0; s < eng->n_sites; s++) {
        struct rt_tsite *cur = &eng->sites[s];
        struct rt_tsite *old;
        if (!cur->failed) {
            eng->sites[k++] = *cur;
            continue;
        }
        old = find_site(prev, n_prev, cur->spec.name);
        if (!old)
            old = find_site(snap, n_snap, cur->spec.name);
        rt_log(eng, ROUTES_LOG_WARN, "site '%s': restoring its previous state", cur->spec.name);
        rt_site_clear(&cur->spec);
        if (old && tsite_clone(&eng->sites[k], old) == 0)
            k++;
    }
    eng->n_sites = k;
    rt_paths_refresh(eng);
    eng->restoring = true;
    rc = rt_converge(eng, false, &rb);
    eng->restoring = false;
    if (rc != 0) {
        for (size_t i = 0; i < rb.n_errors; i++) {
            char msg[sizeof(rb.errors[i].message) + 64];
            size_t room = sizeof(rb.errors[i].message) - 1;
            snprintf(msg, sizeof(msg), "restoring the previous state: %s", rb.errors[i].message);
            snprintf(rb.errors[i].message, sizeof(rb.errors[i].message), "%.*s", (int)room, msg);
        }
        rt_schedule_repair(eng, 1000);
    }
    rt_result_merge(res, &rb);
}

/* One apply in the making. */
struct apply {
    struct routes_engine *eng;
    const struct routes_state *st;
    struct routes_result *res;
    bool *rejected;        /* per site of st: failed validation */
    struct rt_tsite *next; /* the sites the engine maintains next */
    struct rt_tsite *snap; /* sites adopted from the kernel, as found */
    size_t n_next, n_snap, n_rejected, n_failed;
};

static int apply_oom(struct apply *a)
{
    rt_result_add(a->res, NULL, NULL, NULL, -ENOMEM, "out of memory");
    return -ENOMEM;
}

/* The state's own validation, then against the kernel: rejected sites. */
static int reject_invalid(struct apply *a)
{
    const struct routes_state *st = a->st;
    struct rt_issue *issues = NULL;
    long n = rt_state_validate(st, &issues);

    if (n < 0)
        return apply_oom(a);
    for (long i = 0; i < n; i++) {
        const struct rt_issue *is = &issues[i];
        const struct rt_site *s = &st->sites[is->site];
        a->rejected[is->site] = true;
        rt_result_add(a->res, s->name, is->path >= 0 ? s->paths[is->path].name : NULL,
                      is->has_prefix ? &is->prefix : NULL, -EINVAL, "%s", is->message);
    }
    free(issues);
    for (size_t i = 0; i < st->n_sites; i++)
        if (!a->rejected[i] && !rt_site_kernel_ok(a->eng, &st->sites[i], a->res))
            a->rejected[i] = true;
    for (size_t i = 0; i < st->n_sites; i++)
        a->n_rejected += a->rejected[i];
    return 0;
}

/* Site i of the state as the engine maintains it next: the new spec, or,
 * when rejected, what it had (known to this process, or adopted from the
 * kernel and kept as it is there: "frozen"). */
static int next_site(struct apply *a, size_t i)
{
    struct routes_engine *eng = a->eng;
    const struct rt_site *spec = &a->st->sites[i];
    struct rt_tsite *old = find_site(eng->sites, eng->n_sites, spec->name);
    const struct rt_tsite *frozen = NULL, *keep;
    int r = 0;

    /* a site adopted from the kernel but unknown to this process: its
     * kernel state is what a failure must preserve */
    if (!old) {
        r = freeze_from_kernel(eng, spec, &a->snap[a->n_snap]);
        if (r > 0)
            frozen = &a->snap[a->n_snap++];
    }
    if (r < 0)
        return r;
    if (!a->rejected[i]) {
        r = tsite_from(&a->next[a->n_next], spec, old);
    } else {
        keep = old ? old : frozen;
        if (!keep)
            return 0;
        r = tsite_clone(&a->next[a->n_next], keep);
    }
    if (r == 0)
        a->n_next++;
    return r;
}

/* The peers' throw routes of the state become the engine's. */
static int take_bypass(struct routes_engine *eng, const struct routes_state *st)
{
    struct rt_prefix *b = NULL;

    if (st->n_bypass) {
        b = malloc(st->n_bypass * sizeof(*b));
        if (!b)
            return -ENOMEM;
        memcpy(b, st->bypass, st->n_bypass * sizeof(*b));
    }
    free(eng->bypass);
    eng->bypass = b;
    eng->n_bypass = st->n_bypass;
    return 0;
}

/* The next sites replace the engine's and the kernel follows; failed sites
 * are put back as they were. */
static int converge_next(struct apply *a)
{
    struct routes_engine *eng = a->eng;
    struct rt_tsite *prev = eng->sites;
    size_t n_prev = eng->n_sites;
    int rc, slots;

    eng->sites = a->next;
    eng->n_sites = a->n_next;
    a->next = NULL;
    /* probe slots (a path left without one is an error of the apply); the
     * paths' oif first (is_gateway), then the neighbour table */
    slots = rt_probe_assign(eng, a->res);
    rt_paths_refresh(eng);
    if (rt_sync_neigh(eng) < 0)
        rt_log(eng, ROUTES_LOG_WARN,
               "cannot dump the neighbour table: FAILED next hops are "
               "noticed by their next notification");
    rt_paths_refresh(eng);
    rc = rt_converge(eng, false, a->res);
    if (rc == 0 && slots < 0)
        rc = -1;
    /* rules of others against the sites as they are now */
    rt_shadow_recheck(eng);
    if (rc == 0) {
        struct routes_result none = {0};
        rt_problems_set(&eng->pass_problems, &none); /* everything converged */
    } else {
        for (size_t s = 0; s < eng->n_sites; s++)
            a->n_failed += eng->sites[s].failed;
        if (a->n_failed)
            rollback(eng, prev, n_prev, a->snap, a->n_snap, a->res);
        if (rc < -1) {
            eng->resync_needed = true;
            rt_schedule_repair(eng, 0);
        }
    }
    free_sites(prev, n_prev);
    return rc;
}

static void apply_summary(struct apply *a)
{
    struct routes_result *res = a->res;

    res->sites_failed = (uint32_t)(a->n_rejected + a->n_failed);
    res->sites_applied = (uint32_t)(a->st->n_sites - a->n_rejected - a->n_failed);
    rt_log(a->eng, res->sites_failed ? ROUTES_LOG_WARN : ROUTES_LOG_INFO,
           "apply: %u site(s) applied, %u failed; %llu request(s): %u route(s) set, %u deleted, "
           "%u nexthop(s) added, %u group(s) changed, %u nexthop(s) deleted",
           res->sites_applied, res->sites_failed, (unsigned long long)res->messages,
           res->routes_set, res->routes_deleted, res->nexthops_added, res->groups_changed,
           res->nexthops_deleted);
}

/* Everything of one apply, under the engine mutex: 0 or a negative errno
 * (the errors are in a->res). */
static int apply_locked(struct apply *a)
{
    struct routes_engine *eng = a->eng;
    size_t n = a->st->n_sites + 1;
    int rc = rt_refresh_mirror(eng);

    if (rc < 0) {
        rt_result_add(a->res, NULL, NULL, NULL, rc, "cannot read the kernel state: %s",
                      rt_strerror(rc));
        return rc;
    }
    if (!eng->rules_active || eng->rules_dirty) {
        eng->rules_active = true;
        eng->rules_dirty = false;
        if (rt_rules_reconcile(eng, false, a->res) < 0)
            eng->rules_dirty = true;
    }
    a->rejected = calloc(n, sizeof(bool));
    a->next = calloc(n, sizeof(*a->next));
    a->snap = calloc(n, sizeof(*a->snap));
    if (!a->rejected || !a->next || !a->snap)
        return apply_oom(a);
    rc = reject_invalid(a);
    for (size_t i = 0; rc == 0 && i < a->st->n_sites; i++)
        rc = next_site(a, i);
    if (rc == 0)
        rc = take_bypass(eng, a->st);
    if (rc < 0)
        return apply_oom(a);
    rc = converge_next(a);
    apply_summary(a);
    return rc;
}

int routes_apply(struct routes_engine *eng, const struct routes_state *st,
                 struct routes_result *res_out)
{
    struct routes_result local = {0}, *res = res_out ? res_out : &local;
    struct apply a = {.eng = eng, .st = st, .res = res};
    int rc;

    memset(res, 0, sizeof(*res));
    rt_lock(eng);
    rt_monitor_drain(eng);
    rc = apply_locked(&a);
    rc = (rc < 0 || res->n_errors) ? -1 : 0;
    if (rc == 0)
        rt_snapshot_free(&eng->found); /* applied: no way back to what open found */
    free(a.rejected);
    if (a.next)
        free_sites(a.next, a.n_next);
    if (a.snap) {
        for (size_t i = 0; i < a.n_snap; i++)
            rt_site_clear(&a.snap[i].spec);
        free(a.snap);
    }
    rt_unlock_dispatch(eng);
    routes_result_free(&local);
    return rc;
}

int routes_set_path_health(struct routes_engine *eng, const char *site, const char *path, bool up,
                           struct routes_result *res_out)
{
    struct routes_result local = {0}, *res = res_out ? res_out : &local;
    struct rt_tsite *s;
    int p, rc = 0;

    memset(res, 0, sizeof(*res));
    rt_lock(eng);
    s = find_site(eng->sites, eng->n_sites, site);
    p = s ? rt_site_find_path(&s->spec, path) : -1;
    if (p < 0) {
        rt_result_add(res, site, path, NULL, -ENOENT,
                      "site '%s' has no path '%s' (expected a site and path of the applied "
                      "state)",
                      site, path);
        rc = -1;
        goto out;
    }
    if (s->health[p] == up)
        goto out;
    s->health[p] = up;
    rc = rt_reselect(eng, site, path, res);
out:
    rt_unlock_dispatch(eng);
    routes_result_free(&local);
    return rc ? -1 : 0;
}

int rt_reselect(struct routes_engine *eng, const char *site, const char *path,
                struct routes_result *res)
{
    int rc;

    rt_monitor_drain(eng);
    rc = rt_refresh_mirror(eng);
    if (rc == 0) {
        /* with the mirror current and every group in place, a verdict
         * touches groups only: skip the walk over the prefixes */
        bool groups_only = !eng->repair_due_ms;
        for (size_t i = 0; i < eng->n_sites && groups_only; i++)
            for (int f = 0; f < RT_NFAM; f++)
                if (eng->sites[i].spec.n_fam[f] &&
                    (!eng->sites[i].gid[f] || !rt_mirror_nh(&eng->m, eng->sites[i].gid[f]) ||
                     (eng->opts.fail_closed &&
                      (!eng->sites[i].fid[f] || !rt_mirror_nh(&eng->m, eng->sites[i].fid[f])))))
                    groups_only = false;
        rc = rt_converge(eng, groups_only, res);
    }
    if (rc < 0 && !res->n_errors)
        rt_result_add(res, site, path, NULL, rc, "site '%s'%s%s%s: %s", site, path ? " path '" : "",
                      path ? path : "", path ? "'" : "", rt_strerror(rc));
    if (rc != 0) {
        /* standing until a repair succeeds */
        rt_problems_set(&eng->pass_problems, res);
        rt_schedule_repair(eng, RT_REPAIR_AFTER_FAILURE_MS);
    }
    return rc ? -1 : 0;
}

int routes_path_usable(struct routes_engine *eng, const char *site, const char *path)
{
    struct rt_tsite *s;
    int p, r = -1;
    rt_lock(eng);
    s = find_site(eng->sites, eng->n_sites, site);
    p = s ? rt_site_find_path(&s->spec, path) : -1;
    if (p >= 0)
        r = s->usable[p] ? 1 : 0;
    rt_unlock_dispatch(eng);
    return r;
}

enum routes_link_state routes_path_link_state(struct routes_engine *eng, const char *site,
                                              const char *path)
{
    enum routes_link_state r = ROUTES_LINK_UNKNOWN;
    struct rt_tsite *s;
    char why[320];
    int p;

    rt_lock(eng);
    s = find_site(eng->sites, eng->n_sites, site);
    p = s ? rt_site_find_path(&s->spec, path) : -1;
    /* valid[] is what the last refresh of the paths (every apply and
     * mirror change) found; the neighbour table is the mirror's */
    if (p >= 0)
        r = !s->valid[p]                                    ? ROUTES_LINK_DOWN
            : nbr_down(eng, s, (size_t)p, why, sizeof(why)) ? ROUTES_LINK_NEIGH_FAILED
                                                            : ROUTES_LINK_UP;
    rt_unlock_dispatch(eng);
    return r;
}

int routes_withdraw_all(struct routes_engine *eng)
{
    struct routes_result res = {0};
    int rc;
    rt_lock(eng);
    free_sites(eng->sites, eng->n_sites);
    eng->sites = NULL;
    eng->n_sites = 0;
    free(eng->bypass);
    eng->bypass = NULL;
    eng->n_bypass = 0;
    rt_monitor_drain(eng);
    rc = rt_refresh_mirror(eng);
    if (rc == 0)
        rc = rt_converge(eng, false, &res);
    eng->rules_active = false;
    if (rt_rules_reconcile(eng, true, &res) < 0 && rc == 0)
        rc = -1;
    for (size_t i = 0; i < res.n_errors; i++)
        rt_log(eng, ROUTES_LOG_ERROR, "withdraw: %s", res.errors[i].message);
    rt_log(eng, ROUTES_LOG_INFO,
           "withdrew everything owned: %u group(s)/nexthop(s) and %u route(s) deleted "
           "(%llu requests)",
           res.nexthops_deleted, res.routes_deleted, (unsigned long long)res.messages);
    routes_result_free(&res);
    rt_unlock_dispatch(eng);
    return rc ? -1 : 0;
}
