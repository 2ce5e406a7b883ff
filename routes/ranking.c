/*
 * ranking.c - the caller's per-site decision (routes_set_site_ranking):
 * which paths may carry a site and in which order. The health engine
 * decides; the engine keeps its own fast reactions (a link or a next hop
 * going away takes a path out at once) and picks, among the ranked paths
 * that are up, those with the lowest rank (ECMP by weight on a tie).
 *
 * Threading: the public function takes the engine mutex (rt_lock) and
 * delivers callbacks after releasing it (rt_unlock_dispatch).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Every entry names a path of the site, once; the first problem into res. */
static bool ranking_valid(const struct rt_tsite *s, const char *site,
                          const struct routes_path_rank *ranks, size_t n, int *idx,
                          struct routes_result *res)
{
    char shown[RT_ESCAPED_MAX];

    if (n > s->spec.n_paths) {
        rt_result_add(res, site, NULL, NULL, -EINVAL,
                      "site '%s': a ranking of %zu paths, but the site has %zu (expected each "
                      "path of the site at most once)",
                      site, n, s->spec.n_paths);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = ranks[i].path;
        idx[i] = name ? rt_site_find_path(&s->spec, name) : -1;
        if (idx[i] < 0) {
            rt_result_add(res, site, NULL, NULL, -ENOENT,
                          "site '%s' has no path '%s' (expected a path of the applied state in "
                          "its ranking)",
                          site, rt_name_escape(name ? name : "(null)", shown, sizeof(shown)));
            return false;
        }
        for (size_t k = 0; k < i; k++) {
            if (idx[k] == idx[i]) {
                rt_result_add(res, site, name, NULL, -EINVAL,
                              "site '%s': path '%s' is ranked twice (expected each path once)",
                              site, name);
                return false;
            }
        }
    }
    return true;
}

/* The ranking into the site; true when it differs from the one it had. */
static bool ranking_take(struct rt_tsite *s, const struct routes_path_rank *ranks, size_t n,
                         const int *idx, bool clear)
{
    bool ok[ROUTES_MAX_PATHS] = {false};
    unsigned rank[ROUTES_MAX_PATHS] = {0};
    bool changed = s->ranked != !clear;

    for (size_t i = 0; i < n; i++) {
        ok[idx[i]] = ranks[i].usable;
        rank[idx[i]] = ranks[i].rank;
    }
    for (size_t p = 0; p < s->spec.n_paths; p++) {
        if (clear) {
            ok[p] = false;
            rank[p] = 0;
        }
        changed |= ok[p] != s->rank_ok[p] || (ok[p] && rank[p] != s->rank[p]);
        s->rank_ok[p] = ok[p];
        s->rank[p] = rank[p];
    }
    s->ranked = !clear;
    return changed;
}

int routes_set_site_ranking(struct routes_engine *eng, const char *site,
                            const struct routes_path_rank *ranks, size_t n,
                            struct routes_result *res_out)
{
    struct routes_result local = {0}, *res = res_out ? res_out : &local;
    char shown[RT_ESCAPED_MAX];
    int idx[ROUTES_MAX_PATHS];
    struct rt_tsite *s;
    int rc = -1;

    memset(res, 0, sizeof(*res));
    rt_lock(eng);
    s = rt_find_site(eng, site);
    if (!s || s->frozen) {
        rt_result_add(res, NULL, NULL, NULL, -ENOENT,
                      "no site '%s' (expected a site of the applied state)",
                      rt_name_escape(site ? site : "(null)", shown, sizeof(shown)));
        goto out;
    }
    if ((n && !ranks) || !ranking_valid(s, site, ranks, n, idx, res))
        goto out;
    rc = 0;
    if (ranking_take(s, ranks, n, idx, !ranks))
        rc = rt_reselect(eng, site, NULL, res);
out:
    rt_unlock_dispatch(eng);
    routes_result_free(&local);
    return rc ? -1 : 0;
}
