/*
 * route_glue_checks: issue 10's rows of the "paths" document: the sensor
 * groups of each site (from the model), the last round of the application
 * checks (the check engine's snapshot), each path's application verdict
 * (health's snapshot) and the outbound-only posture as the kernel has it
 * now.
 *
 * Threading: the control server's thread, with the glue's lock held by
 * route_glue_paths.c (the model's strings are borrowed for one render).
 */
#define _GNU_SOURCE /* asprintf */
#include "route_glue_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths_json.h"

_Static_assert((int)PATHS_V_FAIL == (int)CHECKS_FAIL && (int)PATHS_V_WARN == (int)CHECKS_WARN,
               "paths_verdict follows checks_verdict");
_Static_assert((int)PATHS_PH_POLICY == (int)CHECKS_PH_POLICY &&
                   (int)PATHS_PH_DNS == (int)CHECKS_PH_DNS,
               "paths_phase follows checks_phase");
_Static_assert((int)PATHS_FAULT_SERVICE == (int)CHECKS_FAULT_SERVICE,
               "paths_fault follows checks_fault");

struct rg_checks_rows {
    struct checks_snapshot snap;
    char reason[POSTURE_REASON_MAX];
    char **owned; /* "host:port" strings made here */
    size_t n_owned, cap_owned;
};

static const char *own(rg_checks_rows_t *r, char *s)
{
    if (!s)
        return NULL;
    if (r->n_owned == r->cap_owned) {
        size_t cap = r->cap_owned ? 2 * r->cap_owned : 16;
        char **o = realloc(r->owned, cap * sizeof(*o));
        if (!o) {
            free(s);
            return NULL;
        }
        r->owned = o;
        r->cap_owned = cap;
    }
    r->owned[r->n_owned++] = s;
    return s;
}

/* "host:port", "[v6]:port"; NULL when out of memory */
static const char *endpoint(rg_checks_rows_t *r, const char *host, unsigned port)
{
    char *s = NULL;
    bool v6 = strchr(host, ':') != NULL;

    if (asprintf(&s, v6 ? "[%s]:%u" : "%s:%u", host, port) < 0)
        return NULL;
    return own(r, s);
}

static enum paths_posture_state posture_row(enum posture_state s)
{
    return s == POSTURE_ENFORCED       ? PATHS_POSTURE_ENFORCED
           : s == POSTURE_NOT_ENFORCED ? PATHS_POSTURE_NOT_ENFORCED
                                       : PATHS_POSTURE_OFF;
}

rg_checks_rows_t *rg_checks_rows(route_glue_t *g, struct paths_doc *doc)
{
    rg_checks_rows_t *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    if (g && app_glue_snapshot(g->app, &r->snap) != 0) {
        free(r);
        return NULL;
    }
    enum posture_state ps =
        g ? app_glue_posture(g->app, r->reason, sizeof(r->reason)) : POSTURE_OFF;
    doc->posture.state = posture_row(ps);
    doc->posture.reason = ps == POSTURE_NOT_ENFORCED ? r->reason : NULL;
    doc->checks_rounds = r->snap.rounds;
    doc->checks_last_round = r->snap.last_round;
    return r;
}

static bool fill_group(rg_checks_rows_t *r, const struct sm_group *m, struct paths_group *o)
{
    *o = (struct paths_group){.name = m->name,
                              .legacy = m->legacy,
                              .via = (const char **)m->via,
                              .n_via = m->n_via,
                              .subnets = (const char **)m->subnets,
                              .n_subnets = m->n_subnets};
    if (m->method == SM_METHOD_PROXY && !(o->proxy = endpoint(r, m->proxy_host, m->proxy_port)))
        return false;
    return true;
}

static int64_t ms_or_null(uint32_t v)
{
    return v == UINT32_MAX ? -1 : (int64_t)v;
}

static bool fill_check(rg_checks_rows_t *r, const struct checks_row *c, struct paths_check *o)
{
    const struct checks_result *x = &c->r;

    *o = (struct paths_check){.group = c->group,
                              .path = c->path,
                              .endpoint = endpoint(r, c->host, c->port),
                              .verdict = (enum paths_verdict)x->verdict,
                              .phase = (enum paths_phase)x->phase,
                              .fault = (enum paths_fault)x->fault,
                              .reason = x->reason,
                              .at = x->at,
                              .connect_ms = ms_or_null(x->connect_ms),
                              .proxy_ms = ms_or_null(x->proxy_ms),
                              .tls_ms = ms_or_null(x->tls_ms),
                              .proxy_status = x->proxy_status,
                              .proxy_line = x->proxy_line,
                              .proxy_hop = x->proxy_hop,
                              .proxy_error = x->proxy_error,
                              .tls_version = x->tls_version,
                              .cipher = x->cipher,
                              .cipher_bits = x->cipher_bits,
                              .cert_subject = x->cert_subject,
                              .cert_issuer = x->cert_issuer,
                              .cert_not_after = x->cert_not_after};
    return o->endpoint != NULL;
}

bool rg_checks_site(rg_checks_rows_t *r, const struct sm_site *m, struct paths_site *o)
{
    size_t n = 0;

    if (!m || !m->n_groups)
        return true;
    for (size_t i = 0; i < r->snap.n_rows; i++)
        n += strcmp(r->snap.rows[i].site, m->name) == 0;
    o->groups = calloc(m->n_groups, sizeof(*o->groups));
    o->checks = calloc(n + 1, sizeof(*o->checks));
    if (!o->groups || !o->checks)
        return false;
    for (; o->n_groups < m->n_groups; o->n_groups++)
        if (!fill_group(r, &m->groups[o->n_groups], &o->groups[o->n_groups]))
            return false;
    for (size_t i = 0; i < r->snap.n_rows; i++)
        if (strcmp(r->snap.rows[i].site, m->name) == 0 &&
            !fill_check(r, &r->snap.rows[i], &o->checks[o->n_checks++]))
            return false;
    return true;
}

void rg_checks_path(const struct health_path_snap *s, struct paths_path *o)
{
    o->app_ok = s->app_ok < 0 ? PATHS_NULL : s->app_ok ? PATHS_TRUE : PATHS_FALSE;
    o->app_reason = s->app_ok == 0 ? s->app_reason : NULL;
}

void rg_checks_rows_free(rg_checks_rows_t *r, struct paths_doc *doc)
{
    for (size_t i = 0; doc && i < doc->n_sites; i++) {
        free(doc->sites[i].groups);
        free(doc->sites[i].checks);
    }
    if (!r)
        return;
    checks_snapshot_free(&r->snap);
    for (size_t i = 0; i < r->n_owned; i++)
        free(r->owned[i]);
    free(r->owned);
    free(r);
}
