/*
 * shadow.c - policy rules of others that take traffic before the engine's
 * own rules see it. The kernel walks the rules by priority and, among
 * rules of the same priority, in the order they were added: a rule made
 * before tunneld's at the same priority, or an earlier rule that matches
 * every packet, decides first for what it can route.
 *
 * A rule of another protocol is a candidate when it is at the priority of
 * one of the engine's rules (and is not a lookup of the engine's own table),
 * or when it comes earlier and matches every packet (no selector). A
 * candidate shadows the engine when it drops (blackhole, unreachable,
 * prohibit), jumps past the engine's rule (goto), looks up the main or
 * default table (the system's: a default route may be there now or come
 * later), or looks up a table with a route overlapping one of the sites'
 * prefixes (charon's table 220, with routes for the sites' subnets, at 220).
 *
 *  - a shadowing rule at the engine's priority: refused by routes_open()
 *    and routes_precheck() (and a problem while running);
 *  - a shadowing rule consulted earlier: a problem (routes_get_problems())
 *    and a warning in the log.
 *
 * The tables of the candidates are watched (but main and default): a route
 * notification in one of them makes the engine check again, 200 ms after
 * the first of a burst, without a repair.
 *
 * Threading: runs with the engine mutex held (or on the private engine of
 * routes_precheck()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "internal.h"

struct cand {
    struct rt_rule_info ri;
    uint32_t ours; /* the priority of the engine's rule it competes with */
    bool same;     /* at that priority (else earlier) */
};

struct cands {
    struct routes_engine *eng;
    struct cand *v;
    size_t n, cap;
};

/* the sites' prefixes a rule's table is checked against */
struct pfxs {
    const struct rt_prefix *v;
    size_t n;
};

/* "IPv4 rule 1160 from all lookup 254 (protocol 4)" and the like */
static void describe(const struct rt_rule_info *ri, char *buf, size_t len)
{
    static const char *const drops[] = {[FR_ACT_BLACKHOLE] = "blackhole",
                                        [FR_ACT_UNREACHABLE] = "unreachable",
                                        [FR_ACT_PROHIBIT] = "prohibit"};
    char base[160], *lookup;

    rt_rule_describe(&ri->r, base, sizeof(base));
    if (ri->action == FR_ACT_TO_TBL) {
        snprintf(buf, len, "%s%s (protocol %u)", base, ri->narrowed ? " (with selectors)" : "",
                 ri->protocol);
        return;
    }
    /* the description ends in "lookup <table>": say the action instead */
    lookup = strstr(base, " lookup ");
    if (lookup)
        *lookup = '\0';
    if (ri->action == FR_ACT_GOTO)
        snprintf(buf, len, "%s goto %u (protocol %u)", base, ri->goto_target, ri->protocol);
    else if (ri->action < sizeof(drops) / sizeof(drops[0]) && drops[ri->action])
        snprintf(buf, len, "%s %s (protocol %u)", base, drops[ri->action], ri->protocol);
    else
        snprintf(buf, len, "%s action %u (protocol %u)", base, ri->action, ri->protocol);
}

/* An earlier rule that matches every packet and hands it elsewhere. */
static bool takes_everything(const struct rt_rule_info *ri, uint32_t ours, uint32_t table)
{
    if (ri->narrowed || ri->r.priority >= ours)
        return false;
    switch (ri->action) {
    case FR_ACT_TO_TBL:
        return ri->r.table != RT_TABLE_LOCAL && ri->r.table != table;
    case FR_ACT_GOTO:
        return ri->goto_target > ours;
    case FR_ACT_BLACKHOLE:
    case FR_ACT_UNREACHABLE:
    case FR_ACT_PROHIBIT:
        return true;
    default:
        return false;
    }
}

static int cand_push(struct cands *c, const struct rt_rule_info *ri, uint32_t ours, bool same)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct cand *n = realloc(c->v, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        c->v = n;
        c->cap = cap;
    }
    c->v[c->n++] = (struct cand){.ri = *ri, .ours = ours, .same = same};
    return 0;
}

static int on_rule(void *ctx, struct nlmsghdr *hdr)
{
    struct cands *c = ctx;
    struct routes_engine *eng = c->eng;
    uint32_t table = eng->opts.table, first = UINT32_MAX;
    struct rt_rule_info ri;

    if (rt_parse_rule_info(hdr, &ri) != 1 || ri.protocol == eng->opts.protocol)
        return 0;
    for (size_t i = 0; i < eng->n_want_rules; i++) {
        const struct rt_rule *w = &eng->want_rules[i];
        if (w->family != ri.r.family)
            continue;
        if (w->priority < first)
            first = w->priority;
        /* the same priority: harmless only when it looks up our table */
        if (w->priority == ri.r.priority &&
            !(ri.action == FR_ACT_TO_TBL && ri.r.table == table && !ri.narrowed))
            return cand_push(c, &ri, w->priority, true);
    }
    if (first != UINT32_MAX && takes_everything(&ri, first, table))
        return cand_push(c, &ri, first, false);
    return 0;
}

struct overlap {
    const struct pfxs *p;
    bool found;
};

static int on_route(void *ctx, struct nlmsghdr *hdr)
{
    struct overlap *o = ctx;
    struct rt_route_msg r;

    if (o->found || rt_parse_route(hdr, &r) != 1 || r.type == RTN_THROW)
        return 0;
    for (size_t i = 0; i < o->p->n && !o->found; i++)
        o->found =
            rt_prefix_contains(&r.dst, &o->p->v[i]) || rt_prefix_contains(&o->p->v[i], &r.dst);
    return 0;
}

/* 1 when the table routes part of the prefixes, 0 when not, <0 errno */
static int table_overlaps(struct routes_engine *eng, int family, uint32_t table,
                          const struct pfxs *p)
{
    struct overlap o = {.p = p};
    int rc = -EINTR;

    for (int i = 0; i < 5 && rc == -EINTR; i++) {
        struct nl_msg *req = rt_msg_route_dump(family, table, 0);
        if (!req)
            return -ENOMEM;
        o.found = false;
        rc = rt_nl_dump(&eng->nl, req, on_route, &o);
    }
    if (rc == -ENOENT)
        return 0; /* no such table (yet) */
    return rc < 0 ? rc : o.found;
}

/* whether the candidate takes traffic meant for the sites: 1, 0, <0 */
static int shadows(struct routes_engine *eng, const struct cand *c, const struct pfxs *p)
{
    if (c->ri.action != FR_ACT_TO_TBL)
        return 1;
    if (c->ri.r.table == RT_TABLE_MAIN || c->ri.r.table == RT_TABLE_DEFAULT)
        return 1;
    return table_overlaps(eng, c->ri.r.family, c->ri.r.table, p);
}

static void report(const struct routes_engine *eng, const struct cand *c,
                   struct routes_result *same, struct routes_result *before)
{
    uint32_t table = eng->opts.table;
    char d[240];

    describe(&c->ri, d, sizeof(d));
    if (c->same)
        rt_result_add(same, NULL, NULL, NULL, -EEXIST,
                      "policy rule priority %u is also held by %s, not made by tunneld: the "
                      "kernel consults the rule added first, so it shadows tunneld's table %u "
                      "(expected no other %s rule at priority %u; remove it or give it another "
                      "priority)",
                      c->ours, d, table, c->ri.r.family == AF_INET ? "IPv4" : "IPv6", c->ours);
    else
        rt_result_add(before, NULL, NULL, NULL, -EEXIST,
                      "%s, not made by tunneld, comes before tunneld's rule %u and takes traffic "
                      "of the sites: tunneld's table %u is consulted only for what it leaves "
                      "(expected tunneld's rule first; remove that rule or move it after "
                      "priority %u)",
                      d, c->ours, table, c->ours);
}

/* the tables of the candidates: a route notification there means "again" */
static void watch_tables(struct routes_engine *eng, const struct cands *c)
{
    uint32_t *t = c->n ? malloc(c->n * sizeof(*t)) : NULL;
    size_t n = 0;

    /* (main and default always count, whatever they hold: not watched) */
    for (size_t i = 0; t && i < c->n; i++)
        if (c->v[i].ri.action == FR_ACT_TO_TBL && c->v[i].ri.r.table != RT_TABLE_MAIN &&
            c->v[i].ri.r.table != RT_TABLE_DEFAULT)
            t[n++] = c->v[i].ri.r.table;
    free(eng->shadow_tables);
    eng->shadow_tables = t;
    eng->n_shadow_tables = t ? n : 0;
}

static int dump_candidates(struct routes_engine *eng, struct cands *c)
{
    for (int f = 0; f < RT_NFAM; f++) {
        int rc = -EINTR;
        size_t keep = c->n;
        for (int i = 0; i < 5 && rc == -EINTR; i++) {
            struct nl_msg *req = rt_msg_rule_dump(rt_fam_af(f));
            if (!req)
                return -ENOMEM;
            c->n = keep; /* an interrupted dump: what it found is dropped */
            rc = rt_nl_dump(&eng->nl, req, on_rule, c);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int rt_rules_shadow(struct routes_engine *eng, const struct rt_prefix *pfx, size_t n_pfx,
                    struct routes_result *same, struct routes_result *before)
{
    struct cands c = {.eng = eng};
    struct pfxs p = {.v = pfx, .n = n_pfx};
    int rc = dump_candidates(eng, &c);

    for (size_t i = 0; rc >= 0 && i < c.n; i++) {
        rc = shadows(eng, &c.v[i], &p);
        if (rc > 0)
            report(eng, &c.v[i], same, before);
    }
    if (rc >= 0)
        watch_tables(eng, &c);
    free(c.v);
    return rc < 0 ? rc : 0;
}

int rt_rules_shadow_check(struct routes_engine *eng, const struct rt_prefix *pfx, size_t n_pfx,
                          struct routes_result *before, char *err, size_t errlen)
{
    struct routes_result same = {0}, local = {0};
    int rc = rt_rules_shadow(eng, pfx, n_pfx, &same, before ? before : &local);

    if (rc < 0)
        snprintf(err, errlen, "cannot dump policy rules: %s", rt_strerror(rc));
    else if (same.n_errors) {
        snprintf(err, errlen, "%s", same.errors[0].message);
        rc = -EEXIST;
    }
    routes_result_free(&same);
    routes_result_free(&local);
    return rc;
}

/* every prefix of the engine's sites (malloc'd; NULL with *n 0 when none) */
static struct rt_prefix *engine_prefixes(const struct routes_engine *eng, size_t *n)
{
    struct rt_prefix *v;
    size_t total = 0, k = 0;

    *n = 0;
    for (size_t s = 0; s < eng->n_sites; s++)
        total += eng->sites[s].spec.n_pfx;
    if (!total || !(v = malloc(total * sizeof(*v))))
        return NULL;
    for (size_t s = 0; s < eng->n_sites; s++)
        for (size_t i = 0; i < eng->sites[s].spec.n_pfx; i++)
            v[k++] = eng->sites[s].spec.pfx[i];
    *n = k;
    return v;
}

/* every prefix of a desired state (malloc'd; NULL with *n 0 when none) */
struct rt_prefix *rt_state_prefixes(const struct routes_state *st, size_t *n)
{
    struct rt_prefix *v;
    size_t total = 0, k = 0;

    *n = 0;
    for (size_t s = 0; s < st->n_sites; s++)
        total += st->sites[s].n_pfx;
    if (!total || !(v = malloc(total * sizeof(*v))))
        return NULL;
    for (size_t s = 0; s < st->n_sites; s++)
        for (size_t i = 0; i < st->sites[s].n_pfx; i++)
            v[k++] = st->sites[s].pfx[i];
    *n = k;
    return v;
}

void rt_shadow_recheck(struct routes_engine *eng)
{
    struct routes_result same = {0}, before = {0};
    size_t n;
    struct rt_prefix *pfx = engine_prefixes(eng, &n);

    eng->shadow_due_ms = 0;
    if (rt_rules_shadow(eng, pfx, n, &same, &before) < 0) {
        rt_schedule_shadow(eng); /* tried again */
    } else {
        rt_result_merge(&same, &before);
        for (size_t i = 0; i < same.n_errors; i++) {
            bool known = false;
            for (size_t k = 0; k < eng->rule_problems.n_errors && !known; k++)
                known = !strcmp(eng->rule_problems.errors[k].message, same.errors[i].message);
            if (!known)
                rt_log(eng, ROUTES_LOG_WARN, "%s", same.errors[i].message);
        }
        rt_problems_set(&eng->rule_problems, &same);
    }
    free(pfx);
    routes_result_free(&same);
    routes_result_free(&before);
}

bool rt_table_watched(const struct routes_engine *eng, uint32_t table)
{
    for (size_t i = 0; i < eng->n_shadow_tables; i++)
        if (eng->shadow_tables[i] == table)
            return true;
    return false;
}
