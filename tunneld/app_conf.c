/* app_conf: see app_conf.h */
#include "app_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t count_items(const struct sm_model *m, size_t *groups, size_t *subnets)
{
    size_t n = 0;

    *groups = *subnets = 0;
    for (size_t s = 0; s < m->n_sites; s++) {
        const struct sm_site *site = &m->sites[s];
        for (size_t g = 0; g < site->n_groups; g++) {
            n += site->groups[g].n_endpoints * site->n_paths;
            *subnets += site->groups[g].n_subnets;
        }
        *groups += site->n_groups;
    }
    return n;
}

static void tls_policy(const struct sm_tls *t, struct checks_tls_policy *p)
{
    checks_tls_defaults(p);
    p->min_version = t->min_version;
    p->min_bits = t->min_bits;
    p->require_aes = t->require_aes;
    p->ca_file = t->ca_file;
    p->warn_days = t->warn_days;
}

static bool proxy_of(const char *ns, const struct sm_site *s, const struct sm_group *g,
                     const char *file, const proxy_secrets_t *sec, struct checks_proxy *px,
                     char *err, size_t errlen)
{
    *px = (struct checks_proxy){.host = g->proxy_host,
                                .port = g->proxy_port,
                                .via = (const char *const *)g->via,
                                .n_via = g->n_via,
                                .auth = g->auth ? g->auth : CHECKS_AUTH_ANY};
    if (!g->credentials)
        return true;
    const proxy_secret_t *ps = sec ? proxy_secrets_find(sec, g->credentials) : NULL;
    if (!ps) {
        snprintf(err, errlen,
                 "%s: %s.%s.sensors.%s.credentials: no secret proxy-%s in the connections "
                 "file's secrets section",
                 file, ns, s->name, g->name, g->credentials);
        return false;
    }
    px->user = ps->user;
    px->password = ps->password;
    return true;
}

static bool group_items(const char *ns, const struct sm_site *s, const struct sm_group *g,
                        const char *file, const proxy_secrets_t *sec, struct checks_item *it,
                        size_t *n, char *err, size_t errlen)
{
    struct checks_item base = {.site = s->name, .group = g->name, .legacy = g->legacy};

    base.use_proxy = g->method == SM_METHOD_PROXY;
    if (base.use_proxy && !proxy_of(ns, s, g, file, sec, &base.proxy, err, errlen))
        return false;
    tls_policy(&g->tls, &base.tls);
    for (size_t p = 0; p < s->n_paths; p++) {
        const struct sm_path *path = &s->paths[p];
        for (size_t e = 0; e < g->n_endpoints; e++) {
            struct checks_item *c = &it[(*n)++];
            *c = base;
            c->path = path->name;
            c->host = g->endpoints[e].host;
            c->port = g->endpoints[e].port;
            c->pin.mark = path->probe_mark;
            c->pin.dev = path->probe_mark ? NULL : path->dev;
            c->pin.source = g->source;
        }
    }
    return true;
}

static void timing(const struct sm_checks *k, struct checks_config *c)
{
    checks_config_defaults(c);
    c->interval_ms = k->interval_ms;
    c->jitter_pct = k->jitter_pct;
    c->concurrency = k->concurrency;
    c->connect_ms = k->connect_ms;
    c->proxy_ms = k->proxy_ms;
    c->tls_ms = k->tls_ms;
}

static void posture_lists(const struct sm_model *m, app_conf_t *out)
{
    size_t na = 0, ns = 0;

    for (size_t s = 0; s < m->n_sites; s++) {
        const struct sm_site *site = &m->sites[s];
        if (!site->n_groups)
            continue;
        for (size_t i = 0; i < site->n_prefixes; i++)
            out->azure[na++] = site->prefixes[i];
        for (size_t g = 0; g < site->n_groups; g++)
            for (size_t i = 0; i < site->groups[g].n_subnets; i++)
                out->sensors[ns++] = site->groups[g].subnets[i];
    }
    out->posture = (struct posture_config){.enforce = m->posture.enforce,
                                           .table = m->posture.table,
                                           .azure = out->azure,
                                           .n_azure = na,
                                           .sensors = out->sensors,
                                           .n_sensors = ns};
}

static size_t count_prefixes(const struct sm_model *m)
{
    size_t n = 0;
    for (size_t s = 0; s < m->n_sites; s++)
        n += m->sites[s].n_prefixes;
    return n;
}

bool app_conf_build(const struct sm_model *m, const char *file, const proxy_secrets_t *sec,
                    app_conf_t *out, char *err, size_t errlen)
{
    size_t n_items, n_subnets, n = 0;

    memset(out, 0, sizeof(*out));
    n_items = count_items(m, &out->n_groups, &n_subnets);
    out->items = calloc(n_items ? n_items : 1, sizeof(*out->items));
    out->azure = calloc(count_prefixes(m) + 1, sizeof(*out->azure));
    out->sensors = calloc(n_subnets + 1, sizeof(*out->sensors));
    if (!out->items || !out->azure || !out->sensors) {
        snprintf(err, errlen, "%s: %s: out of memory", file, sm_model_section(m));
        app_conf_free(out);
        return false;
    }
    for (size_t s = 0; s < m->n_sites; s++) {
        const struct sm_site *site = &m->sites[s];
        for (size_t g = 0; g < site->n_groups; g++)
            if (!group_items(sm_model_section(m), site, &site->groups[g], file, sec, out->items, &n,
                             err, errlen)) {
                app_conf_free(out);
                return false;
            }
    }
    timing(&m->checks, &out->checks);
    out->checks.items = out->items;
    out->checks.n_items = n;
    posture_lists(m, out);
    return true;
}

void app_conf_free(app_conf_t *c)
{
    free(c->items);
    free(c->azure);
    free(c->sensors);
    memset(c, 0, sizeof(*c));
}
