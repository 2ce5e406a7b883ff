/*
 * sync.c - full dumps into the mirror (at open, after a notification
 * overflow, after the kernel flushed nexthops silently), the check that the
 * table and protocol number belong to nobody else, and policy rule
 * reconciliation.
 *
 * Threading: runs with the engine mutex held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "internal.h"

#define RT_DUMP_RETRIES 5

static int dump_retry(struct routes_engine *eng, struct nl_msg *(*mk)(void *), void *arg,
                      rt_dump_fn cb, void *ctx, void (*reset)(void *), void *rctx)
{
    int rc = -EINTR;
    for (int i = 0; i < RT_DUMP_RETRIES && rc == -EINTR; i++) {
        struct nl_msg *req = mk(arg);
        if (!req)
            return -ENOMEM;
        if (reset)
            reset(rctx);
        rc = rt_nl_dump(&eng->nl, req, cb, ctx);
    }
    return rc;
}

/* ---- links and addresses ------------------------------------------------- */

static int on_link(void *ctx, struct nlmsghdr *hdr)
{
    struct rt_mirror *m = ctx;
    char name[IF_NAMESIZE];
    int ifindex;
    unsigned flags;
    if (rt_parse_link(hdr, &ifindex, &flags, name) == 1)
        return rt_mirror_link_put(m, ifindex, flags, name);
    return 0;
}

static int on_addr(void *ctx, struct nlmsghdr *hdr)
{
    struct rt_mirror *m = ctx;
    struct rt_addr a;
    if (rt_parse_addr(hdr, &a) == 1)
        return rt_mirror_addr_put(m, &a);
    return 0;
}

static struct nl_msg *mk_link(void *arg)
{
    (void)arg;
    return rt_msg_link_dump();
}

static struct nl_msg *mk_addr(void *arg)
{
    (void)arg;
    return rt_msg_addr_dump();
}

static void reset_links(void *ctx)
{
    struct rt_mirror *m = ctx;
    m->n_links = 0;
}

static void reset_addrs(void *ctx)
{
    struct rt_mirror *m = ctx;
    m->n_addrs = 0;
}

int rt_sync_links(struct routes_engine *eng)
{
    int rc = dump_retry(eng, mk_link, NULL, on_link, &eng->m, reset_links, &eng->m);
    if (rc == 0)
        rc = dump_retry(eng, mk_addr, NULL, on_addr, &eng->m, reset_addrs, &eng->m);
    return rc;
}

/* ---- owned nexthops and routes ------------------------------------------ */

static int on_nh(void *ctx, struct nlmsghdr *hdr)
{
    struct routes_engine *eng = ctx;
    struct rt_nh nh;
    if (rt_parse_nh(hdr, &nh) != 1)
        return 0;
    if (nh.protocol == eng->opts.protocol)
        return rt_mirror_nh_put(&eng->m, &nh);
    if (nh.id >= eng->opts.nh_id_base)
        return rt_mirror_foreign_add(&eng->m, nh.id);
    return 0;
}

static int on_route(void *ctx, struct nlmsghdr *hdr)
{
    struct routes_engine *eng = ctx;
    struct rt_route_msg r;
    if (rt_parse_route(hdr, &r) != 1)
        return 0;
    if (r.table != eng->opts.table || r.protocol != eng->opts.protocol)
        return 0;
    if (r.type == RTN_THROW)
        return rt_rtable_set(&eng->m.bypass, &r.dst, 0);
    if (rt_route_is_fallback(&r))
        return rt_rtable_set(&eng->m.fallback, &r.dst, r.has_nhid ? r.nhid : 0);
    return rt_rtable_set(&eng->m.routes, &r.dst, r.has_nhid ? r.nhid : 0);
}

static struct nl_msg *mk_nh(void *arg)
{
    (void)arg;
    return rt_msg_nh_dump();
}

struct route_dump_arg {
    struct routes_engine *eng;
    int family;
};

static struct nl_msg *mk_route(void *arg)
{
    struct route_dump_arg *a = arg;
    return rt_msg_route_dump(a->family, a->eng->opts.table, a->eng->opts.protocol);
}

static void reset_nh(void *ctx)
{
    struct rt_mirror *m = ctx;
    m->n_nh = 0;
    m->n_foreign = 0;
}

static void reset_routes(void *ctx)
{
    /* both families share the table: only the first dump clears it */
    struct route_dump_arg *a = ctx;
    if (a->family == AF_INET) {
        rt_rtable_clear(&a->eng->m.routes);
        rt_rtable_clear(&a->eng->m.fallback);
        rt_rtable_clear(&a->eng->m.bypass);
    }
}

int rt_sync_nexthops(struct routes_engine *eng)
{
    uint32_t *groups = NULL;
    size_t n = 0;
    int rc;
    for (size_t i = 0; i < eng->m.n_nh; i++)
        n += eng->m.nh[i].kind == RT_NH_GROUP;
    if (n && !(groups = malloc(n * sizeof(*groups))))
        return -ENOMEM;
    n = 0;
    for (size_t i = 0; i < eng->m.n_nh; i++)
        if (eng->m.nh[i].kind == RT_NH_GROUP)
            groups[n++] = eng->m.nh[i].id;
    rc = dump_retry(eng, mk_nh, NULL, on_nh, eng, reset_nh, &eng->m);
    /* a route cannot outlive its nexthop: the kernel removed the routes
     * and covers of every owned group that is gone */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (rt_mirror_nh(&eng->m, groups[i]))
            continue;
        rt_rtable_del_nhid(&eng->m.routes, groups[i]);
        rt_rtable_del_nhid(&eng->m.fallback, groups[i]);
    }
    free(groups);
    return rc;
}

int rt_sync_owned(struct routes_engine *eng)
{
    int rc = dump_retry(eng, mk_nh, NULL, on_nh, eng, reset_nh, &eng->m);
    if (rc < 0)
        return rc;
    for (int f = 0; f < RT_NFAM; f++) {
        struct route_dump_arg a = {.eng = eng, .family = rt_fam_af(f)};
        rc = dump_retry(eng, mk_route, &a, on_route, eng, reset_routes, &a);
        if (rc == -ENOENT)
            rc = 0; /* the table does not exist yet */
        if (rc < 0)
            return rc;
    }
    rc = rt_probe_sync(eng);
    if (rc < 0)
        return rc;
    eng->probe_resync = false;
    eng->stats.resyncs++;
    return 0;
}

/* ---- conflicts ------------------------------------------------------------ */

struct conflict {
    struct routes_engine *eng;
    size_t foreign_in_table, ours_elsewhere;
    struct rt_route_msg first_foreign, first_elsewhere;
};

static int on_conflict_route(void *ctx, struct nlmsghdr *hdr)
{
    struct conflict *c = ctx;
    struct rt_route_msg r;
    if (rt_parse_route(hdr, &r) != 1)
        return 0;
    if (r.table == c->eng->opts.table && r.protocol != c->eng->opts.protocol) {
        if (!c->foreign_in_table++)
            c->first_foreign = r;
    } else if (r.table != c->eng->opts.table && r.protocol == c->eng->opts.protocol) {
        if (rt_probe_table(&c->eng->opts, r.table))
            return rt_probe_adopt(c->eng, hdr); /* a probe route of a previous run */
        if (!c->ours_elsewhere++)
            c->first_elsewhere = r;
    }
    return 0;
}

struct conflict_arg {
    struct routes_engine *eng;
    int family;
    bool by_table;
};

static struct nl_msg *mk_conflict(void *arg)
{
    struct conflict_arg *a = arg;
    return rt_msg_route_dump(a->family, a->by_table ? a->eng->opts.table : 0,
                             a->by_table ? 0 : a->eng->opts.protocol);
}

int rt_check_conflicts(struct routes_engine *eng, char *err, size_t errlen)
{
    struct conflict c = {.eng = eng};
    char p[64];
    for (int f = 0; f < RT_NFAM; f++) {
        for (int by_table = 0; by_table < 2; by_table++) {
            struct conflict_arg a = {.eng = eng, .family = rt_fam_af(f), .by_table = by_table};
            int rc = dump_retry(eng, mk_conflict, &a, on_conflict_route, &c, NULL, NULL);
            if (rc < 0 && rc != -ENOENT) {
                snprintf(err, errlen, "cannot dump routes: %s", rt_strerror(rc));
                return rc;
            }
        }
    }
    if (c.foreign_in_table) {
        rt_prefix_format(&c.first_foreign.dst, p, sizeof(p));
        snprintf(err, errlen,
                 "table %u is already used by something else: %zu route(s) not made by tunneld, "
                 "e.g. %s proto %u (expected an empty table or routes of protocol %u; choose "
                 "another table)",
                 eng->opts.table, c.foreign_in_table, p, c.first_foreign.protocol,
                 eng->opts.protocol);
        return -EEXIST;
    }
    if (c.ours_elsewhere) {
        rt_prefix_format(&c.first_elsewhere.dst, p, sizeof(p));
        snprintf(err, errlen,
                 "protocol number %u is already used by something else: %zu route(s) in other "
                 "tables, e.g. %s table %u (expected protocol %u only in table %u; choose "
                 "another protocol)",
                 eng->opts.protocol, c.ours_elsewhere, p, c.first_elsewhere.table,
                 eng->opts.protocol, eng->opts.table);
        return -EEXIST;
    }
    return rt_probe_conflicts(eng, err, errlen);
}

/* ---- rules ---------------------------------------------------------------- */

static int on_rule(void *ctx, struct nlmsghdr *hdr)
{
    struct routes_engine *eng = ctx;
    struct rt_mirror *m = &eng->m;
    struct rt_rule r;
    uint8_t proto;
    if (rt_parse_rule(hdr, &r, &proto) != 1 || proto != eng->opts.protocol)
        return 0;
    if (m->n_rules == m->cap_rules) {
        size_t cap = m->cap_rules ? m->cap_rules * 2 : 8;
        struct rt_rule *n = realloc(m->rules, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        m->rules = n;
        m->cap_rules = cap;
    }
    m->rules[m->n_rules++] = r;
    return 0;
}

static struct nl_msg *mk_rule(void *arg)
{
    return rt_msg_rule_dump(*(int *)arg);
}

int rt_sync_rules(struct routes_engine *eng)
{
    eng->m.n_rules = 0;
    for (int f = 0; f < RT_NFAM; f++) {
        int family = rt_fam_af(f);
        size_t keep = eng->m.n_rules;
        int rc = -EINTR;
        for (int i = 0; i < RT_DUMP_RETRIES && rc == -EINTR; i++) {
            struct nl_msg *req = mk_rule(&family);
            if (!req)
                return -ENOMEM;
            eng->m.n_rules = keep;
            rc = rt_nl_dump(&eng->nl, req, on_rule, eng);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

struct rule_exec {
    struct routes_engine *eng;
    struct rt_rule *rules;
    int *type;
    bool *acked; /* an acknowledgement (or error) arrived for request i */
    struct routes_result *res;
    int failed;
};

static struct nl_msg *build_rule(void *ctx, size_t i)
{
    struct rule_exec *x = ctx;
    return rt_msg_rule(x->type[i], &x->rules[i], x->eng->opts.protocol,
                       x->type[i] == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0);
}

static void ack_rule(void *ctx, size_t i, int err, const char *extack)
{
    struct rule_exec *x = ctx;
    char d[160];
    x->acked[i] = true;
    if (!err || (x->type[i] == RTM_DELRULE && err == -ENOENT) ||
        (x->type[i] == RTM_NEWRULE && err == -EEXIST))
        return;
    x->failed++;
    rt_rule_describe(&x->rules[i], d, sizeof(d));
    rt_result_add(x->res, NULL, NULL, NULL, err, "%s %s %s: %s%s%s%s",
                  rt_nl_failure_prefix(extack, false),
                  x->type[i] == RTM_NEWRULE ? "adding" : "deleting", d, rt_strerror(err),
                  rt_nl_kernel_extack(extack) ? " (" : "", rt_nl_kernel_extack(extack) ?: "",
                  rt_nl_kernel_extack(extack) ? ")" : "");
}

/* Owned rules not wanted (all of them with remove_all) to delete, wanted
 * ones missing to add: into x, n of them. */
static size_t rules_diff(struct routes_engine *eng, bool remove_all, struct rule_exec *x)
{
    size_t n = 0;

    for (size_t i = 0; i < eng->m.n_rules; i++) {
        bool wanted = false;
        for (size_t k = 0; k < eng->n_want_rules && !remove_all; k++)
            wanted |= rt_rule_eq(&eng->m.rules[i], &eng->want_rules[k]);
        if (!wanted) {
            x->rules[n] = eng->m.rules[i];
            x->type[n++] = RTM_DELRULE;
        }
    }
    for (size_t k = 0; k < eng->n_want_rules && !remove_all; k++) {
        bool present = false;
        for (size_t i = 0; i < eng->m.n_rules; i++)
            present |= rt_rule_eq(&eng->m.rules[i], &eng->want_rules[k]);
        if (!present) {
            x->rules[n] = eng->want_rules[k];
            x->type[n++] = RTM_NEWRULE;
        }
    }
    return n;
}

/* Sends the n changes; 0 or the socket's negative errno (each request
 * that got no acknowledgement is reported; the caller retries the pass). */
static int rules_send(struct routes_engine *eng, struct rule_exec *x, size_t n,
                      struct routes_result *res)
{
    char d[160];
    int rc;

    for (size_t i = 0; i < n; i++) {
        rt_rule_describe(&x->rules[i], d, sizeof(d));
        rt_log(eng, ROUTES_LOG_INFO, "%s %s", x->type[i] == RTM_NEWRULE ? "adding" : "removing", d);
    }
    rc = rt_nl_batch(&eng->nl, n, build_rule, ack_rule, NULL, x);
    if (res)
        res->messages += n;
    if (rc < 0) {
        /* the socket failed: the requests after the failing window were
         * never sent */
        for (size_t i = 0; i < n; i++) {
            if (x->acked[i])
                continue;
            rt_rule_describe(&x->rules[i], d, sizeof(d));
            rt_result_add(res, NULL, NULL, NULL, rc, "request not sent: %s %s: %s",
                          x->type[i] == RTM_NEWRULE ? "adding" : "deleting", d, rt_strerror(rc));
        }
        rt_nl_discard(&eng->nl);
    }
    return rc;
}

int rt_rules_reconcile(struct routes_engine *eng, bool remove_all, struct routes_result *res)
{
    struct rule_exec x = {.eng = eng, .res = res};
    size_t max, n = 0;
    int rc;

    rc = rt_sync_rules(eng);
    if (rc < 0) {
        rt_result_add(res, NULL, NULL, NULL, rc, "cannot dump policy rules: %s", rt_strerror(rc));
        return rc;
    }
    /* Size the buffers from the freshly dumped rule list: it may have grown
     * (rules from a previous run, or foreign rules with our protocol). */
    max = eng->m.n_rules + eng->n_want_rules;
    if (!max)
        return 0;
    x.rules = calloc(max, sizeof(*x.rules));
    x.type = calloc(max, sizeof(*x.type));
    x.acked = calloc(max, sizeof(*x.acked));
    if (x.rules && x.type && x.acked) {
        n = rules_diff(eng, remove_all, &x);
        if (n)
            rc = rules_send(eng, &x, n, res);
    } else {
        rc = -ENOMEM;
    }
    free(x.rules);
    free(x.type);
    free(x.acked);
    if (rc == 0 && x.failed)
        rc = -1;
    if (rc == 0 && n)
        rc = rt_sync_rules(eng);
    return rc < 0 ? rc : (int)n;
}
