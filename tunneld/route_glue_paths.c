/*
 * route_glue_paths: the "paths" document (docs/schema/paths.schema.json,
 * `tunnelctl paths`): health's snapshot (state and why, BFD, echo,
 * dampening, decisions) with what the model says of each path (type,
 * routing, provider, interface, probes) and the SA table's state of each
 * VPN path's CHILD_SA, rendered by output/paths_json.c.
 *
 * Threading: the control server's thread. health_snapshot and the SA
 * table's snapshot are copies; the model is read under the glue's lock,
 * held while the document is rendered (the rows borrow its strings).
 */
#define _GNU_SOURCE /* asprintf */
#include "route_glue_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths_json.h"

/* what the rows borrow and what they are made of, freed after the render */
typedef struct {
    struct paths_doc doc;
    struct health_snapshot snap;
    sa_ike_rec_t *rows;
    size_t n_rows;
    char **owned; /* strings made here ("<conn>.<child>", problems) */
    size_t n_owned, cap_owned;
    rg_checks_rows_t *chk; /* issue 10: check results and posture */
} pctx_t;

static const char *own(pctx_t *c, char *s)
{
    if (!s)
        return NULL;
    if (c->n_owned == c->cap_owned) {
        size_t cap = c->cap_owned ? 2 * c->cap_owned : 16;
        char **o = realloc(c->owned, cap * sizeof(*o));
        if (!o) {
            free(s);
            return NULL;
        }
        c->owned = o;
        c->cap_owned = cap;
    }
    c->owned[c->n_owned++] = s;
    return s;
}

/* monotonic ms of the snapshot as wall seconds; 0 stays 0 (never) */
static int64_t wall_of(const pctx_t *c, hl_time_t t)
{
    if (!t)
        return 0;
    return c->snap.wall - (int64_t)((c->snap.now - (t < c->snap.now ? t : c->snap.now)) / 1000);
}

static void fill_bfd(pctx_t *c, const struct health_path_snap *s, const struct sm_path *m,
                     struct paths_bfd *b)
{
    b->configured = s->bfd_on && m;
    if (!b->configured)
        return;
    b->remote = m->bfd.remote;
    b->multihop = m->bfd.multihop;
    b->state = s->bfd.state == HL_BFD_OFF ? HL_BFD_DOWN : s->bfd.state;
    b->local_diag = s->bfd.local_diag;
    b->remote_diag = s->bfd.remote_diag;
    b->local_disc = s->bfd.local_disc;
    b->remote_disc = s->bfd.remote_disc;
    b->tx_interval_us = s->bfd.tx_interval_us;
    b->rx_interval_us = s->bfd.rx_interval_us;
    b->detect_time_us = s->bfd.detect_time_us;
    b->remote_multiplier = s->bfd.remote_multiplier;
    b->last_change = wall_of(c, s->bfd.last_change);
    b->min_ttl = s->bfd.min_ttl; /* the session's own: 0 before it exists (not rendered) */
    b->rx_dropped = s->bfd.rx_dropped;
    b->has_rx_dropped = true;
}

static void fill_echo(const struct health_path_snap *s, const struct sm_path *m,
                      struct paths_echo *e)
{
    e->configured = s->echo_on && m && m->echo.type != SM_ECHO_NONE;
    if (!e->configured)
        return;
    e->type = m->echo.type == SM_ECHO_UDP ? PATHS_ECHO_UDP : PATHS_ECHO_ICMP;
    e->target = m->echo.target;
    e->valid = s->echo.valid;
    e->loss_pct = s->echo.loss_pct;
    e->rtt_avg_ms = s->echo.rtt_avg_ms;
    e->jitter_ms = s->echo.jitter_ms;
    e->samples = s->echo.sent;
    e->received = s->echo.received;
    e->lost_in_row = s->echo.lost_in_row;
}

static void fill_sa(pctx_t *c, const struct sm_path *m, struct paths_sa *sa)
{
    char *name = NULL;

    if (!m || !m->conn)
        return;
    if (asprintf(&name, "%s.%s", m->conn, m->child) < 0)
        name = NULL;
    sa->child = own(c, name);
    const sa_child_rec_t *row = rg_child_row(c->rows, c->n_rows, m->conn, m->child);
    sa->has_state = row != NULL;
    sa->state = row ? row->state : SA_STATE_DOWN;
}

static enum paths_type type_of(const struct sm_path *m)
{
    if (!m)
        return PATHS_TYPE_OTHER;
    return m->type == SM_PATH_EXPRESSROUTE ? PATHS_TYPE_EXPRESSROUTE
           : m->type == SM_PATH_VPN        ? PATHS_TYPE_VPN
                                           : PATHS_TYPE_OTHER;
}

static enum paths_routing routing_of(const struct sm_path *m)
{
    if (!m || m->type != SM_PATH_EXPRESSROUTE)
        return PATHS_ROUTING_NONE;
    return m->routing == SM_ER_CUSTOMER_MANAGED    ? PATHS_ROUTING_CUSTOMER_MANAGED
           : m->routing == SM_ER_EXCHANGE_PROVIDER ? PATHS_ROUTING_EXCHANGE_PROVIDER
                                                   : PATHS_ROUTING_NONE;
}

static const struct sm_path *model_path(const struct sm_site *ms, const char *name)
{
    for (size_t i = 0; ms && i < ms->n_paths; i++)
        if (strcmp(ms->paths[i].name, name) == 0)
            return &ms->paths[i];
    return NULL;
}

static void fill_path(pctx_t *c, const struct health_path_snap *s, const struct sm_path *m,
                      struct paths_path *p)
{
    *p = (struct paths_path){.name = s->name,
                             .type = type_of(m),
                             .routing = routing_of(m),
                             .provider = m ? m->provider : NULL,
                             .dev = m ? m->dev : "",
                             .priority = s->priority,
                             .weight = s->weight,
                             .state = s->state,
                             .reason = s->reason,
                             .eligible = s->eligible,
                             .active = s->active,
                             .since = wall_of(c, s->since),
                             .good_remaining_ms = s->good_remaining_ms,
                             .penalty = s->penalty,
                             .flaps = s->flaps,
                             .carrier = s->link < 0 ? PATHS_NULL
                                        : s->link   ? PATHS_TRUE
                                                    : PATHS_FALSE,
                             .next_hop = s->neigh_failed < 0 ? PATHS_NH_NONE
                                         : s->neigh_failed   ? PATHS_NH_FAILED
                                                             : PATHS_NH_OK,
                             .probe_mark = m ? m->probe_mark : 0};
    fill_bfd(c, s, m, &p->bfd);
    fill_echo(s, m, &p->echo);
    fill_sa(c, m, &p->sa);
    rg_checks_path(s, p);
}

static bool fill_site(pctx_t *c, const struct health_site_snap *s, const struct sm_site *ms,
                      struct paths_site *o)
{
    o->name = s->name;
    o->fail_mode = s->keep_last ? PATHS_FAIL_KEEP_LAST : PATHS_FAIL_CLOSED;
    o->pinned = s->pinned >= 0 && (size_t)s->pinned < s->n_paths ? s->paths[s->pinned].name : NULL;
    o->paths = calloc(s->n_paths + 1, sizeof(*o->paths));
    o->active = calloc(s->n_paths + 1, sizeof(*o->active));
    o->events = calloc(s->n_history + 1, sizeof(*o->events));
    if (!o->paths || !o->active || !o->events)
        return false;
    if (c->chk && !rg_checks_site(c->chk, ms, o))
        return false;
    for (size_t j = 0; j < s->n_paths; j++, o->n_paths++) {
        fill_path(c, &s->paths[j], model_path(ms, s->paths[j].name), &o->paths[j]);
        if (s->paths[j].active)
            o->active[o->n_active++] = s->paths[j].name;
    }
    for (; o->n_events < s->n_history; o->n_events++)
        o->events[o->n_events] = (struct paths_event){.time = s->history[o->n_events].wall,
                                                      .text = s->history[o->n_events].text};
    return true;
}

/* the glue's problems and the decisions a site's history could not keep */
static bool fill_problems(pctx_t *c, route_glue_t *g)
{
    size_t n = g ? g->n_problems : 1;

    for (size_t i = 0; i < c->snap.n_sites; i++)
        n += c->snap.sites[i].history_lost > 0;
    c->doc.problems = calloc(n + 1, sizeof(*c->doc.problems));
    if (!c->doc.problems)
        return false;
    if (!g) {
        const char *sp = rg_start_problem_lock();
        if (sp)
            c->doc.problems[c->doc.n_problems++] = own(c, strdup(sp));
        rg_start_problem_unlock();
        return true;
    }
    for (size_t i = 0; i < g->n_problems; i++)
        c->doc.problems[c->doc.n_problems++] = g->problems[i];
    for (size_t i = 0; i < c->snap.n_sites; i++) {
        char *s = NULL;
        if (c->snap.sites[i].history_lost &&
            asprintf(&s, "site '%s': %llu decision(s) not kept in the history (out of memory)",
                     c->snap.sites[i].name, (unsigned long long)c->snap.sites[i].history_lost) >= 0)
            c->doc.problems[c->doc.n_problems++] = own(c, s);
    }
    return true;
}

static void pctx_free(pctx_t *c)
{
    rg_checks_rows_free(c->chk, &c->doc);
    for (size_t i = 0; i < c->doc.n_sites; i++) {
        free(c->doc.sites[i].paths);
        free(c->doc.sites[i].active);
        free(c->doc.sites[i].events);
    }
    free(c->doc.sites);
    free(c->doc.problems);
    for (size_t i = 0; i < c->n_owned; i++)
        free(c->owned[i]);
    free(c->owned);
    health_snapshot_free(&c->snap);
    if (c->rows)
        sa_table_snapshot_free(c->rows, c->n_rows);
}

/* the document, with the glue's lock held (g not NULL) */
static json_object *render_locked(pctx_t *c, route_glue_t *g)
{
    c->doc.sites = calloc(c->snap.n_sites + 1, sizeof(*c->doc.sites));
    if (!c->doc.sites || !fill_problems(c, g))
        return NULL;
    for (; c->doc.n_sites < c->snap.n_sites; c->doc.n_sites++) {
        const struct health_site_snap *s = &c->snap.sites[c->doc.n_sites];
        if (!fill_site(c, s, g ? sm_model_site(&g->model, s->name) : NULL,
                       &c->doc.sites[c->doc.n_sites])) {
            c->doc.n_sites++;
            return NULL;
        }
    }
    return paths_json_render(&c->doc);
}

json_object *route_glue_paths(route_glue_t *g)
{
    pctx_t c = {0};
    json_object *doc = NULL;

    if (g && health_snapshot(g->health, &c.snap) != 0)
        return NULL; /* out of memory: "not available now" */
    if (g && g->table) {
        c.n_rows = sa_table_snapshot(g->table, &c.rows);
        if (!c.rows) {
            health_snapshot_free(&c.snap);
            return NULL;
        }
    }
    if (!(c.chk = rg_checks_rows(g, &c.doc))) {
        pctx_free(&c);
        return NULL;
    }
    if (g)
        pthread_mutex_lock(&g->lock);
    doc = render_locked(&c, g);
    if (g)
        pthread_mutex_unlock(&g->lock);
    pctx_free(&c);
    return doc;
}
