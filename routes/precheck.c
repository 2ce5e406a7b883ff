/*
 * precheck.c - routes_precheck(): the checks of routes_open() and of a
 * state's validation, read-only (for tunneld -n): options, the table and the
 * protocol number used by nothing else, and the state on its own and
 * against the links and addresses the kernel has now. Nothing is changed:
 * only dumps are sent, on a socket of its own.
 *
 * Threading: uses a private engine structure; any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The state's own issues, then its checks against the kernel: the first
 * problem goes to err. */
static int check_state(struct routes_engine *eng, const struct routes_state *st, char *err,
                       size_t errlen)
{
    struct routes_result res = {0};
    struct rt_issue *issues = NULL;
    long n = rt_state_validate(st, &issues);
    int rc = 0;

    if (n < 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (n > 0) {
        snprintf(err, errlen, "%s", issues[0].message);
        free(issues);
        return -EINVAL;
    }
    free(issues);
    for (size_t i = 0; i < st->n_sites && rc == 0; i++) {
        if (rt_site_kernel_ok(eng, &st->sites[i], &res))
            continue;
        snprintf(err, errlen, "%s", res.n_errors ? res.errors[0].message : "invalid site");
        rc = -EINVAL;
    }
    routes_result_free(&res);
    return rc;
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
    if (rc == 0) {
        size_t n = 0;
        struct rt_prefix *pfx = st ? rt_state_prefixes(st, &n) : NULL;
        rc = rt_rules_shadow_check(eng, pfx, n, NULL, err, errlen);
        free(pfx);
    }
    if (rc == 0 && st)
        rc = check_state(eng, st, err, errlen);
    rt_nl_close(&eng->nl);
    rt_mirror_free(&eng->m);
    free(eng->want_rules);
    free(eng->shadow_tables);
    free(eng->logq);
    free(eng->evq);
    free(eng);
    return rc < 0 ? -1 : 0;
}
