/* health_model: see health_model.h */
#define _GNU_SOURCE
#include "health_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sm_config(const struct sm_path *p, const char *sa_name, struct hl_path_config *c)
{
    hl_path_config_defaults(c);
    c->sla_loss_pct = p->sla.loss_pct;
    c->sla_rtt_ms = p->sla.rtt_ms;
    c->sla_jitter_ms = p->sla.jitter_ms;
    c->down_loss_pct = p->sla.down_loss_pct;
    c->hold_down_ms = p->hold_down_ms;
    c->min_good_ms = p->min_good_ms;
    c->damp_enabled = p->damp.enabled;
    c->damp_penalty = p->damp.penalty;
    c->damp_suppress = p->damp.suppress;
    c->damp_reuse = p->damp.reuse;
    c->damp_half_life_ms = p->damp.half_life_ms;
    c->damp_max_suppress_ms = p->damp.max_suppress_ms;
    c->sa_name = sa_name;
    c->next_hop = p->gw4 ? p->gw4 : p->gw6;
}

static void probes(const struct sm_path *p, struct health_path_cfg *c)
{
    c->bfd_on = p->bfd.enabled;
    c->bfd = (struct bfd_session_config){.remote = p->bfd.remote,
                                         .local = p->bfd.local,
                                         .multihop = p->bfd.multihop,
                                         .min_ttl = p->bfd.min_ttl,
                                         .min_tx_us = p->bfd.min_tx_us,
                                         .min_rx_us = p->bfd.min_rx_us,
                                         .multiplier = p->bfd.multiplier};
    /* single hop: the interface, always; multihop: the probe table when there is one */
    if (!p->bfd.multihop || !p->probe_mark)
        c->bfd.dev = p->dev;
    else
        c->bfd.mark = p->probe_mark;
    c->echo_on = p->echo.type != SM_ECHO_NONE;
    c->echo = (struct echo_config){.kind = p->echo.type == SM_ECHO_UDP ? ECHO_UDP : ECHO_ICMP,
                                   .target = p->echo.target,
                                   .source = p->echo.source,
                                   .port = p->echo.port,
                                   .interval_ms = p->echo.interval_ms,
                                   .timeout_ms = p->echo.timeout_ms,
                                   .window = p->echo.window,
                                   .size = p->echo.size};
    if (p->probe_mark)
        c->echo.mark = p->probe_mark;
    else
        c->echo.dev = p->dev;
}

static bool path_config(const struct sm_model *m, const struct sm_site *s, const struct sm_path *p,
                        char **sa_name, struct health_path_cfg *c, const char *file, char *err,
                        size_t errlen)
{
    char why[256];

    if (p->conn && asprintf(sa_name, "%s.%s", p->conn, p->child) < 0) {
        *sa_name = NULL;
        snprintf(err, errlen, "%s: tunneld.sites.%s.paths.%s: out of memory", file, s->name,
                 p->name);
        return false;
    }
    *c = (struct health_path_cfg){.name = p->name,
                                  .priority = p->priority,
                                  .weight = p->weight,
                                  .sa_bound = p->conn != NULL,
                                  .dpd_on_failure = p->conn && p->dpd_on_failure,
                                  .nexthop = p->gw4 || p->gw6};
    sm_config(p, *sa_name, &c->sm);
    /* tunneld.checks.on_failure = down: a check fault takes the path down */
    c->app_down = m->checks.on_failure == SM_APP_DOWN;
    c->sm.app_down = c->app_down;
    probes(p, c);
    if (hl_path_config_check(&c->sm, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: tunneld.sites.%s.paths.%s: %s", file, s->name, p->name, why);
        return false;
    }
    return true;
}

bool health_model_build(const struct sm_model *m, const char *file, health_model_t *out, char *err,
                        size_t errlen)
{
    size_t n = 0, k = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < m->n_sites; i++)
        n += m->sites[i].n_paths;
    out->sites = calloc(m->n_sites + 1, sizeof(*out->sites));
    out->paths = calloc(n + 1, sizeof(*out->paths));
    out->sa_names = calloc(n + 1, sizeof(*out->sa_names));
    if (!out->sites || !out->paths || !out->sa_names) {
        snprintf(err, errlen, "%s: tunneld.sites: out of memory", file);
        health_model_free(out);
        return false;
    }
    out->n_paths = n;
    for (size_t i = 0; i < m->n_sites; i++) {
        const struct sm_site *s = &m->sites[i];
        out->sites[i] = (struct health_site_cfg){.name = s->name,
                                                 .keep_last = s->fail_mode == SM_FAIL_KEEP_LAST,
                                                 .paths = &out->paths[k],
                                                 .n_paths = s->n_paths};
        for (size_t j = 0; j < s->n_paths; j++, k++)
            if (!path_config(m, s, &s->paths[j], &out->sa_names[k], &out->paths[k], file, err,
                             errlen)) {
                health_model_free(out);
                return false;
            }
    }
    out->cfg.sites = out->sites;
    out->cfg.n_sites = m->n_sites;
    return true;
}

void health_model_free(health_model_t *hm)
{
    for (size_t i = 0; hm->sa_names && i < hm->n_paths; i++)
        free(hm->sa_names[i]);
    free(hm->sa_names);
    free(hm->paths);
    free(hm->sites);
    memset(hm, 0, sizeof(*hm));
}
