/*
 * probe.c - probe pinning: a probe of a path leaves through that path even
 * while the site's traffic uses another. Every path with probe targets
 * (routes_state_add_probe) gets a slot k: packets marked probe_mark_base +
 * k are looked up (one policy rule per family at probe_rule_priority,
 * before the engine's own rules) in table probe_table_base + k, which holds
 * a route to each target via the path's gateway on its device (or its
 * device, for a tunnel path) and an unreachable default, so that a probe
 * of a path that cannot carry it fails instead of taking another path. The
 * target routes exist while the path's interface is up and its gateway a
 * neighbour's address (they do not follow the health verdicts, rankings or
 * the neighbour table: a probe is how a path's recovery is seen). A path
 * keeps its slot across applies; a new one takes the lowest free slot.
 *
 * Threading: runs with the engine mutex held (rt_converge and its callers);
 * routes_path_probe_mark() takes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "internal.h"

int rt_probe_check_options(const struct routes_options *o, char *err, size_t errlen)
{
    uint64_t tlast = (uint64_t)o->probe_table_base + ROUTES_MAX_PROBE_PATHS - 1;
    uint64_t mlast = (uint64_t)o->probe_mark_base + ROUTES_MAX_PROBE_PATHS - 1;

    if (!o->probe_table_base || tlast > UINT32_MAX ||
        (o->probe_table_base <= 255 && tlast >= 252) ||
        (o->table >= o->probe_table_base && o->table <= tlast)) {
        snprintf(err, errlen,
                 "probe_table_base %u: the probe tables %u..%llu must not include table 0, "
                 "252..255 or the engine's table %u (expected e.g. %u)",
                 o->probe_table_base, o->probe_table_base, (unsigned long long)tlast, o->table,
                 ROUTES_DEFAULT_PROBE_TABLE_BASE);
        return -EINVAL;
    }
    if (!o->probe_mark_base || mlast > UINT32_MAX) {
        snprintf(err, errlen,
                 "probe_mark_base 0x%x: the probe marks must be above 0 and end before "
                 "0xffffffff (expected e.g. 0x%x)",
                 o->probe_mark_base, ROUTES_DEFAULT_PROBE_MARK_BASE);
        return -EINVAL;
    }
    for (size_t i = 0; i < o->n_rules; i++) {
        if (o->rules[i].priority <= o->probe_rule_priority) {
            snprintf(err, errlen,
                     "probe_rule_priority %u must come before every rule of the engine, but "
                     "rules[%zu] has priority %u (expected a probe_rule_priority below %u)",
                     o->probe_rule_priority, i, o->rules[i].priority, o->rules[i].priority);
            return -EINVAL;
        }
    }
    return 0;
}

/* A probe rule as the engine makes them (slot k: mark base + k, table
 * base + k, at probe_rule_priority). */
static bool is_probe_rule(const struct routes_options *o, const struct rt_rule *r)
{
    uint32_t k = r->fwmark - o->probe_mark_base;
    return r->has_fwmark && r->fwmask == 0xffffffffu && r->fwmark >= o->probe_mark_base &&
           k < ROUTES_MAX_PROBE_PATHS && r->table == o->probe_table_base + k &&
           r->priority == o->probe_rule_priority && !r->src_len;
}

int rt_probe_adopt_rules(struct routes_engine *eng)
{
    size_t n = 0;
    struct rt_rule *v;

    for (size_t i = 0; i < eng->m.n_rules; i++)
        n += is_probe_rule(&eng->opts, &eng->m.rules[i]);
    if (!n)
        return 0;
    v = realloc(eng->want_rules, (eng->n_want_rules + n) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    eng->want_rules = v;
    for (size_t i = 0; i < eng->m.n_rules; i++)
        if (is_probe_rule(&eng->opts, &eng->m.rules[i]))
            eng->want_rules[eng->n_want_rules++] = eng->m.rules[i];
    return 0;
}

/* ---- slots ----------------------------------------------------------------------- */

int rt_probe_assign(struct routes_engine *eng, struct routes_result *res)
{
    bool used[ROUTES_MAX_PROBE_PATHS] = {false};
    uint32_t next = 0;
    int rc = 0;

    /* paths keep their slot (tsite_from); one seen twice loses it */
    for (size_t s = 0; s < eng->n_sites; s++) {
        struct rt_tsite *t = &eng->sites[s];
        for (size_t p = 0; p < t->spec.n_paths; p++) {
            uint16_t k = t->pslot[p];
            if (!t->spec.paths[p].n_probe || !k || k > ROUTES_MAX_PROBE_PATHS || used[k - 1])
                t->pslot[p] = 0;
            else
                used[k - 1] = true;
        }
    }
    for (size_t s = 0; s < eng->n_sites; s++) {
        struct rt_tsite *t = &eng->sites[s];
        for (size_t p = 0; p < t->spec.n_paths; p++) {
            if (!t->spec.paths[p].n_probe || t->pslot[p])
                continue;
            while (next < ROUTES_MAX_PROBE_PATHS && used[next])
                next++;
            if (next == ROUTES_MAX_PROBE_PATHS) {
                rt_result_add(res, t->spec.name, t->spec.paths[p].name, NULL, -ENOSPC,
                              "site '%s' path '%s': no probe slot left (expected at most %d "
                              "paths with probe targets in all)",
                              t->spec.name, t->spec.paths[p].name, ROUTES_MAX_PROBE_PATHS);
                rc = -1;
                continue;
            }
            used[next] = true;
            t->pslot[p] = (uint16_t)(next + 1);
        }
    }
    return rc;
}

uint32_t routes_path_probe_mark(struct routes_engine *eng, const char *site, const char *path)
{
    struct rt_tsite *s;
    uint32_t mark = 0;
    int p;

    rt_lock(eng);
    s = rt_find_site(eng, site);
    p = s && path ? rt_site_find_path(&s->spec, path) : -1;
    if (p >= 0 && s->pslot[p])
        mark = eng->opts.probe_mark_base + s->pslot[p] - 1u;
    rt_unlock_dispatch(eng);
    return mark;
}

/* ---- what is wanted ---------------------------------------------------------------- */

struct pwant {
    struct rt_proute r;
    int32_t site, path; /* owner, for errors */
};

struct pplan {
    struct routes_engine *eng;
    struct pwant *w;
    size_t n_w, cap_w;
    struct rt_rule *rules;
    size_t n_rules;
    /* requests: adds (want index) then deletions (pk copies) */
    size_t *add;
    size_t n_add;
    struct rt_proute *del;
    size_t n_del;
    bool *replace;
    struct routes_result *res;
    int failed;
};

static int want_push(struct pplan *pl, const struct rt_proute *r, size_t s, size_t p)
{
    if (pl->n_w == pl->cap_w) {
        size_t cap = pl->cap_w ? pl->cap_w * 2 : 32;
        struct pwant *v = realloc(pl->w, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        pl->w = v;
        pl->cap_w = cap;
    }
    pl->w[pl->n_w].r = *r;
    pl->w[pl->n_w].site = (int32_t)s;
    pl->w[pl->n_w].path = (int32_t)p;
    pl->n_w++;
    return 0;
}

/* The routes and the rule of family f of path p of site s. */
static int want_family(struct pplan *pl, const struct rt_tsite *t, size_t s, size_t p, int f)
{
    const struct rt_path *path = &t->spec.paths[p];
    uint32_t slot = t->pslot[p] - 1u, table = pl->eng->opts.probe_table_base + slot;
    struct rt_proute r = {.table = table, .metric = RT_PROBE_COVER_METRIC, .type = RTN_UNREACHABLE};
    struct rt_rule *rule = &pl->rules[pl->n_rules++];
    int rc;

    memset(rule, 0, sizeof(*rule));
    rule->family = (uint8_t)rt_fam_af(f);
    rule->priority = pl->eng->opts.probe_rule_priority;
    rule->table = table;
    rule->has_fwmark = true;
    rule->fwmark = pl->eng->opts.probe_mark_base + slot;
    rule->fwmask = 0xffffffffu;
    r.dst.family = (uint8_t)rt_fam_af(f);
    rc = want_push(pl, &r, s, p);
    for (size_t i = 0; rc == 0 && t->valid[p] && i < path->n_probe; i++) {
        if (rt_fam_index(path->probe[i].family) != f)
            continue;
        memset(&r, 0, sizeof(r));
        r.table = table;
        r.dst = path->probe[i];
        r.metric = RT_PROBE_METRIC;
        r.type = RTN_UNICAST;
        r.oif = (uint32_t)t->oif[p];
        r.has_gw = path->has_gw[f];
        memcpy(r.gw, path->gw[f], 16);
        rc = want_push(pl, &r, s, p);
    }
    return rc;
}

static int want_all(struct pplan *pl)
{
    struct routes_engine *eng = pl->eng;
    int rc = 0;

    pl->rules = calloc(ROUTES_MAX_PROBE_PATHS * RT_NFAM, sizeof(*pl->rules));
    if (!pl->rules)
        return -ENOMEM;
    for (size_t s = 0; rc == 0 && s < eng->n_sites; s++) {
        const struct rt_tsite *t = &eng->sites[s];
        for (size_t p = 0; rc == 0 && p < t->spec.n_paths; p++) {
            bool fam[RT_NFAM] = {false};
            if (!t->pslot[p])
                continue;
            for (size_t i = 0; i < t->spec.paths[p].n_probe; i++)
                fam[rt_fam_index(t->spec.paths[p].probe[i].family)] = true;
            for (int f = 0; rc == 0 && f < RT_NFAM; f++)
                if (fam[f])
                    rc = want_family(pl, t, s, p, f);
        }
    }
    return rc;
}

/* The probe rules become the tail of want_rules; true when they changed. */
static int take_rules(struct pplan *pl, bool *changed)
{
    struct routes_engine *eng = pl->eng;
    size_t have = eng->n_want_rules - eng->n_base_rules;
    struct rt_rule *v;

    *changed = have != pl->n_rules;
    for (size_t i = 0; i < pl->n_rules && !*changed; i++) {
        bool found = false;
        for (size_t k = eng->n_base_rules; k < eng->n_want_rules && !found; k++)
            found = rt_rule_eq(&pl->rules[i], &eng->want_rules[k]);
        *changed = !found;
    }
    if (!*changed)
        return 0;
    v = realloc(eng->want_rules, (eng->n_base_rules + pl->n_rules + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    if (pl->n_rules)
        memcpy(v + eng->n_base_rules, pl->rules, pl->n_rules * sizeof(*v));
    eng->want_rules = v;
    eng->n_want_rules = eng->n_base_rules + pl->n_rules;
    return 0;
}

/* ---- the difference and its requests ---------------------------------------------- */

static ssize_t pk_index(const struct routes_engine *eng, const struct rt_proute *r)
{
    for (size_t i = 0; i < eng->n_pk; i++)
        if (rt_proute_same_key(&eng->pk[i], r))
            return (ssize_t)i;
    return -1;
}

static int diff(struct pplan *pl)
{
    struct routes_engine *eng = pl->eng;

    pl->add = calloc(pl->n_w + 1, sizeof(*pl->add));
    pl->replace = calloc(pl->n_w + 1, sizeof(*pl->replace));
    pl->del = calloc(eng->n_pk + 1, sizeof(*pl->del));
    if (!pl->add || !pl->replace || !pl->del)
        return -ENOMEM;
    for (size_t i = 0; i < pl->n_w; i++) {
        ssize_t k = pk_index(eng, &pl->w[i].r);
        if (k >= 0 && rt_proute_same(&eng->pk[k], &pl->w[i].r))
            continue;
        pl->replace[pl->n_add] = k >= 0;
        pl->add[pl->n_add++] = i;
    }
    for (size_t k = 0; k < eng->n_pk; k++) {
        bool wanted = false;
        for (size_t i = 0; i < pl->n_w && !wanted; i++)
            wanted = rt_proute_same_key(&eng->pk[k], &pl->w[i].r);
        if (!wanted)
            pl->del[pl->n_del++] = eng->pk[k];
    }
    return 0;
}

static struct nl_msg *build_add(void *ctx, size_t i)
{
    struct pplan *pl = ctx;
    return rt_msg_proute(RTM_NEWROUTE, &pl->w[pl->add[i]].r, pl->eng->opts.protocol,
                         NLM_F_CREATE | (pl->replace[i] ? NLM_F_REPLACE : NLM_F_EXCL));
}

static void ack_add(void *ctx, size_t i, int err, const char *extack)
{
    struct pplan *pl = ctx;
    const struct pwant *w = &pl->w[pl->add[i]];
    struct rt_tsite *t = w->site >= 0 ? &pl->eng->sites[w->site] : NULL;
    const char *kx = rt_nl_kernel_extack(extack);
    char desc[160];

    if (!err) {
        ssize_t k = pk_index(pl->eng, &w->r);
        if (k >= 0)
            pl->eng->pk[k] = w->r;
        else if (pl->eng->n_pk < pl->eng->cap_pk)
            pl->eng->pk[pl->eng->n_pk++] = w->r;
        else
            pl->eng->probe_resync = true; /* (no room: read it back) */
        return;
    }
    pl->failed++;
    rt_proute_describe(&w->r, &pl->eng->m, desc, sizeof(desc));
    if (!t) {
        rt_result_add(pl->res, NULL, NULL, &w->r.dst, err, "%s putting back probe route %s: %s",
                      rt_nl_failure_prefix(extack, false), desc, rt_strerror(err));
        return;
    }
    t->failed = true;
    rt_result_add(pl->res, t->spec.name, t->spec.paths[w->path].name, &w->r.dst, err,
                  "site '%s' path '%s': %s probe route %s: %s%s%s%s%s", t->spec.name,
                  t->spec.paths[w->path].name, rt_nl_failure_prefix(extack, false), desc,
                  rt_strerror(err), kx ? " (" : "", kx ? kx : "", kx ? ")" : "",
                  err == -EEXIST ? " (a route of someone else holds it; retried)" : "");
}

static struct nl_msg *build_del(void *ctx, size_t i)
{
    struct pplan *pl = ctx;
    return rt_msg_proute(RTM_DELROUTE, &pl->del[i], pl->eng->opts.protocol, 0);
}

static void ack_del(void *ctx, size_t i, int err, const char *extack)
{
    struct pplan *pl = ctx;
    ssize_t k = pk_index(pl->eng, &pl->del[i]);
    char desc[160];

    if (!err || err == -ENOENT || err == -ESRCH) {
        if (k >= 0)
            pl->eng->pk[k] = pl->eng->pk[--pl->eng->n_pk];
        return;
    }
    pl->failed++;
    rt_proute_describe(&pl->del[i], &pl->eng->m, desc, sizeof(desc));
    rt_result_add(pl->res, NULL, NULL, &pl->del[i].dst, err, "%s deleting probe route %s: %s",
                  rt_nl_failure_prefix(extack, false), desc, rt_strerror(err));
}

static int send_plan(struct pplan *pl, bool rules_changed, bool rules)
{
    struct routes_engine *eng = pl->eng;
    int rc = 0;

    /* room for every add in the mirror, so that acks never allocate */
    if (eng->n_pk + pl->n_add > eng->cap_pk) {
        struct rt_proute *v = realloc(eng->pk, (eng->n_pk + pl->n_add) * sizeof(*v));
        if (!v)
            return -ENOMEM;
        eng->pk = v;
        eng->cap_pk = eng->n_pk + pl->n_add;
    }
    /* targets and unreachable defaults first, then the rules that lead
     * to them, then what is no longer wanted (after its rule is gone) */
    if (pl->n_add) {
        rc = rt_nl_batch(&eng->nl, pl->n_add, build_add, ack_add, NULL, pl);
        pl->res->messages += pl->n_add;
    }
    if (rc == 0 && rules && (rules_changed || eng->rules_dirty) && eng->rules_active) {
        eng->rules_dirty = false;
        if (rt_rules_reconcile(eng, false, pl->res) < 0) {
            eng->rules_dirty = true;
            pl->failed++;
        }
    }
    if (rc == 0 && pl->n_del) {
        rc = rt_nl_batch(&eng->nl, pl->n_del, build_del, ack_del, NULL, pl);
        pl->res->messages += pl->n_del;
    }
    if (rc < 0) {
        rt_nl_discard(&eng->nl);
        eng->probe_resync = true;
        rt_result_add(pl->res, NULL, NULL, NULL, rc, "probe routes: %s", rt_strerror(rc));
    }
    return rc;
}

int rt_probe_converge(struct routes_engine *eng, struct routes_result *res)
{
    struct pplan pl = {.eng = eng, .res = res};
    bool rules_changed = false;
    int rc = want_all(&pl);

    if (rc == 0)
        rc = take_rules(&pl, &rules_changed);
    if (rc == 0)
        rc = diff(&pl);
    if (rc == 0 && (pl.n_add || pl.n_del || rules_changed || eng->rules_dirty))
        rc = send_plan(&pl, rules_changed, true);
    if (rc == -ENOMEM)
        rt_result_add(res, NULL, NULL, NULL, rc, "probe routes: out of memory");
    free(pl.w);
    free(pl.rules);
    free(pl.add);
    free(pl.replace);
    free(pl.del);
    return rc < 0 || pl.failed ? -1 : 0;
}

int rt_probe_restore(struct routes_engine *eng, const struct rt_proute *v, size_t n,
                     struct routes_result *res)
{
    struct pplan pl = {.eng = eng, .res = res};
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = want_push(&pl, &v[i], 0, 0);
    for (size_t i = 0; i < pl.n_w; i++)
        pl.w[i].site = pl.w[i].path = -1;
    if (rc == 0)
        rc = diff(&pl);
    if (rc == 0 && (pl.n_add || pl.n_del))
        rc = send_plan(&pl, false, false); /* (the rules go back on their own) */
    if (rc == -ENOMEM)
        rt_result_add(res, NULL, NULL, NULL, rc, "probe routes: out of memory");
    free(pl.w);
    free(pl.add);
    free(pl.replace);
    free(pl.del);
    return rc < 0 || pl.failed ? -1 : 0;
}
