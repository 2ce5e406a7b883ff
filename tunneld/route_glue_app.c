/*
 * route_glue_app: the route glue's side of issue 10's application checks
 * and posture (app_glue.h): checked with everything else before a start or
 * reload changes anything, applied after path health, undone with it. A
 * path's verdict goes to path health as an observation.
 *
 * Threading: rg_app_check/rg_app_up/rg_app_stop on tunneld's main thread;
 * rg_app_observe on the checks thread (hlock held only for the hand-over,
 * which never waits).
 */
#include "route_glue_int.h"

#include <stdio.h>

#include "app_glue.h"

static void rg_app_observe(void *ctx, const char *site, const char *path, bool ok,
                           const char *reason)
{
    route_glue_t *g = ctx;

    pthread_mutex_lock(&g->hlock);
    if (g->health)
        health_observe_app(g->health, site, path, ok, reason);
    pthread_mutex_unlock(&g->hlock);
}

bool rg_app_check(const struct sm_model *m, const char *file, const char *swanctl, char *err,
                  size_t errlen)
{
    return app_glue_check(m, file, swanctl, err, errlen);
}

bool rg_app_up(route_glue_t *g, const struct sm_model *m, const char *file, const char *swanctl,
               char *err, size_t errlen)
{
    if (!g->app && !(g->app = app_glue_new(rg_app_observe, g))) {
        snprintf(err, errlen, "%s: tunneld.checks: out of memory", file);
        return false;
    }
    return app_glue_apply(g->app, m, file, swanctl, err, errlen);
}

void rg_app_stop(route_glue_t *g, bool flush)
{
    app_glue_stop(g->app, flush);
    g->app = NULL;
}
