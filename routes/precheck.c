/*
 * precheck.c - routes_precheck(): the checks of routes_open() and of a
 * state's validation, read-only (for tunneld -n): options, the table and
 * protocol not held by another engine, the table and the protocol number
 * used by nothing else, and the state on its own and against the links,
 * addresses and rules the kernel has now. Nothing is changed: only dumps
 * are sent, on a socket of its own. routes_check(): the state's checks on a
 * running engine (a reload checked before anything is applied).
 *
 * Threading: uses a private engine structure; any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The state's own issues, then its checks against the kernel as the
 * mirror has it, then rules of others at the engine's priorities that take
 * traffic of its prefixes: every problem into res; 0 or -EINVAL. */
static int check_state(struct routes_engine *eng, const struct routes_state *st,
                       struct routes_result *res)
{
    struct rt_issue *issues = NULL;
    long n = rt_state_validate(st, &issues);
    struct rt_prefix *pfx;
    size_t n_pfx;
    char err[384];

    if (n < 0) {
        rt_result_add(res, NULL, NULL, NULL, -ENOMEM, "out of memory");
        return -ENOMEM;
    }
    for (long i = 0; i < n; i++) {
        const struct rt_site *s = &st->sites[issues[i].site];
        rt_result_add(res, s->name, issues[i].path >= 0 ? s->paths[issues[i].path].name : NULL,
                      issues[i].has_prefix ? &issues[i].prefix : NULL, -EINVAL, "%s",
                      issues[i].message);
    }
    free(issues);
    for (size_t i = 0; i < st->n_sites; i++)
        rt_site_kernel_ok(eng, &st->sites[i], res);
    pfx = rt_state_prefixes(st, &n_pfx);
    if (rt_rules_shadow_check(eng, pfx, n_pfx, NULL, err, sizeof(err)) < 0)
        rt_result_add(res, NULL, NULL, NULL, -EEXIST, "%s", err);
    free(pfx);
    return res->n_errors ? -EINVAL : 0;
}

int routes_check(struct routes_engine *eng, const struct routes_state *st,
                 struct routes_result *res)
{
    int rc;

    memset(res, 0, sizeof(*res));
    rt_lock(eng);
    rt_monitor_drain(eng);
    rc = rt_refresh_mirror(eng);
    if (rc < 0)
        rt_result_add(res, NULL, NULL, NULL, rc, "cannot read the kernel state: %s",
                      rt_strerror(rc));
    else
        rc = check_state(eng, st, res);
    rt_unlock_dispatch(eng);
    return rc < 0 ? -1 : 0;
}

int routes_precheck(const struct routes_options *opts, const struct routes_state *st, char *err,
                    size_t errlen)
{
    struct routes_engine *eng = calloc(1, sizeof(*eng));
    int rc;

    if (!eng) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rt_mirror_init(&eng->m);
    eng->opts = *opts;
    eng->opts.rules = NULL;
    eng->opts.n_rules = 0;
    if (opts->n_rules && !(eng->want_rules = calloc(opts->n_rules, sizeof(*eng->want_rules)))) {
        snprintf(err, errlen, "out of memory");
        free(eng);
        return -1;
    }
    eng->n_want_rules = opts->n_rules;
    eng->n_base_rules = opts->n_rules;
    rc = rt_check_options(opts, eng->want_rules, err, errlen);
    if (rc == 0)
        rc = rt_lock_check(opts, err, errlen);
    if (rc == 0)
        rc = rt_nl_open(&eng->nl, err, errlen);
    if (rc == 0) {
        rc = rt_sync_links(eng);
        if (rc < 0)
            snprintf(err, errlen, "cannot dump links and addresses: %s", rt_strerror(rc));
    }
    if (rc == 0)
        rc = rt_check_conflicts(eng, err, errlen);
    if (rc == 0 && !st)
        rc = rt_rules_shadow_check(eng, NULL, 0, NULL, err, errlen);
    if (rc == 0 && st) {
        struct routes_result res = {0};
        rc = check_state(eng, st, &res);
        if (rc < 0)
            snprintf(err, errlen, "%s", res.n_errors ? res.errors[0].message : "invalid state");
        routes_result_free(&res);
    }
    rt_nl_close(&eng->nl);
    rt_mirror_free(&eng->m);
    free(eng->want_rules);
    free(eng->pk);
    free(eng->shadow_tables);
    free(eng->logq);
    free(eng->evq);
    free(eng);
    return rc < 0 ? -1 : 0;
}
