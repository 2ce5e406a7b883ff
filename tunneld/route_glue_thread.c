/*
 * route_glue_thread: the binding thread ("route glue"). It polls the route
 * engine's netlink fd and an eventfd, and on each wake:
 *  - reads the SA table and hands every bound path's CHILD_SA state that
 *    changed to health (health_observe_sa);
 *  - applies health's pending decisions to the engine (the latest per site,
 *    as the site's ranking: one nexthop-group request per family per move);
 *  - turns health's DPD requests into jobs on charon's processor
 *    (health_dpd.h).
 * The engine's path events (link up/down, a next hop's neighbour entry
 * FAILED or back; from whichever thread made the engine call) are handed to
 * health as observations.
 *
 * Threading: run() and everything it calls on the glue thread; rg_wake from
 * any thread (charon's workers: one eventfd write, never blocks);
 * rg_on_decision and rg_on_dpd on the health thread (copy, enqueue, wake:
 * never netlink, never charon); rg_event on the thread of the engine call.
 */
#define _GNU_SOURCE
#include "route_glue_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <library.h>

#include "health_dpd.h"

const sa_child_rec_t *rg_child_row(const sa_ike_rec_t *rows, size_t n, const char *conn,
                                   const char *child)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].name, conn) != 0)
            continue;
        for (size_t j = 0; j < rows[i].n_children; j++)
            if (strcmp(rows[i].children[j].name, child) == 0)
                return &rows[i].children[j];
    }
    return NULL;
}

/* the state of conn.child in the table: 1 installed, 0 otherwise */
int rg_child_up(const sa_ike_rec_t *rows, size_t n, const route_path_conf_t *p)
{
    const sa_child_rec_t *c = rg_child_row(rows, n, p->conn, p->child);

    return c && (c->state == SA_STATE_ESTABLISHED || c->state == SA_STATE_REKEYING);
}

void rg_wake(void *ctx)
{
    route_glue_t *g = ctx;
    uint64_t one = 1;

    /* eventfd is non-blocking: an overflowing counter just stays signalled */
    if (write(g->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return;
}

/* hands health the CHILD_SA state of every bound path that changed */
void rg_sync_sa(route_glue_t *g)
{
    sa_ike_rec_t *rows;
    size_t n = sa_table_snapshot(g->table, &rows);

    if (!rows) {
        /* no copy of the table (out of memory): keep every verdict, the next change retries */
        DBG1(DBG_CFG, "health: the SA table could not be read (out of memory): SA states kept");
        return;
    }
    pthread_mutex_lock(&g->lock);
    pthread_mutex_lock(&g->hlock);
    for (size_t i = 0; g->health && i < g->n_paths; i++) {
        const route_path_conf_t *p = &g->paths[i];
        if (!p->conn)
            continue;
        int up = rg_child_up(rows, n, p);
        if (up == g->up[i])
            continue;
        if (health_observe_sa(g->health, p->site, p->path, up) == 0) {
            DBG1(DBG_CFG, "health: site '%s' path '%s': CHILD_SA %s.%s is %s", p->site, p->path,
                 p->conn, p->child, up ? "up" : "not up");
            g->up[i] = up;
        }
    }
    pthread_mutex_unlock(&g->hlock);
    pthread_mutex_unlock(&g->lock);
    sa_table_snapshot_free(rows, n);
}

static void decision_free(rg_decision_t *d)
{
    for (size_t i = 0; d->paths && i < d->n_paths; i++)
        free(d->paths[i]);
    free(d->paths);
    free(d->site);
    free(d);
}

static void dpd_free(rg_dpd_t *d)
{
    free(d->site);
    free(d->path);
    free(d);
}

void rg_pending_free(route_glue_t *g)
{
    while (g->decisions) {
        rg_decision_t *next = g->decisions->next;
        decision_free(g->decisions);
        g->decisions = next;
    }
    while (g->dpds) {
        rg_dpd_t *next = g->dpds->next;
        dpd_free(g->dpds);
        g->dpds = next;
    }
}

static rg_decision_t *decision_copy(const struct health_decision *hd)
{
    rg_decision_t *d = calloc(1, sizeof(*d));

    if (!d || !(d->site = strdup(hd->site)) ||
        !(d->paths = calloc(hd->n_paths + 1, sizeof(*d->paths)))) {
        if (d)
            decision_free(d);
        return NULL;
    }
    d->choice = *hd->choice;
    for (; d->n_paths < hd->n_paths; d->n_paths++)
        if (!(d->paths[d->n_paths] = strdup(hd->paths[d->n_paths]))) {
            decision_free(d);
            return NULL;
        }
    return d;
}

/* health thread: the latest decision of a site replaces one not applied yet */
static void rg_on_decision(const struct health_decision *hd, void *ctx)
{
    route_glue_t *g = ctx;
    rg_decision_t *d = decision_copy(hd);

    if (!d) {
        DBG1(DBG_CFG, "health: site '%s': out of memory: decision not applied", hd->site);
        return;
    }
    pthread_mutex_lock(&g->lock);
    rg_decision_t **pp = &g->decisions;
    while (*pp && strcmp((*pp)->site, d->site) != 0)
        pp = &(*pp)->next;
    if (*pp) {
        d->next = (*pp)->next;
        decision_free(*pp);
    }
    *pp = d;
    pthread_mutex_unlock(&g->lock);
    rg_wake(g);
}

/* health thread */
static void rg_on_dpd(const char *site, const char *path, void *ctx)
{
    route_glue_t *g = ctx;
    rg_dpd_t *d = calloc(1, sizeof(*d));

    if (!d || !(d->site = strdup(site)) || !(d->path = strdup(path))) {
        if (d)
            dpd_free(d);
        DBG1(DBG_CFG, "health: site '%s' path '%s': out of memory: DPD not requested", site, path);
        return;
    }
    pthread_mutex_lock(&g->lock);
    bool pending = false;
    for (const rg_dpd_t *o = g->dpds; o && !pending; o = o->next)
        pending = strcmp(o->site, site) == 0 && strcmp(o->path, path) == 0;
    if (!pending) { /* one request per path waits at most */
        d->next = g->dpds;
        g->dpds = d;
    }
    pthread_mutex_unlock(&g->lock);
    if (pending)
        dpd_free(d);
    else
        rg_wake(g);
}

static void rg_health_log(int level, const char *msg, void *ctx)
{
    (void)ctx;
    if (level <= 1)
        DBG1(DBG_CFG, "health: %s", msg);
    else
        DBG2(DBG_CFG, "health: %s", msg);
}

/* the health thread as a strongSwan thread: its logging (DBG) knows it */
static void *rg_spawn(void *(*fn)(void *), void *arg)
{
    return thread_create(fn, arg);
}

static void rg_join(void *handle)
{
    thread_t *t = handle;

    t->join(t);
}

const struct health_callbacks rg_health_callbacks = {.on_decision = rg_on_decision,
                                                     .on_dpd = rg_on_dpd,
                                                     .log = rg_health_log,
                                                     .spawn = rg_spawn,
                                                     .join = rg_join};

/*
 * One decision to the engine as the site's ranking: the active paths rank
 * first (so the engine carries the site on exactly them), then the other
 * usable paths in health's order, so that a link loss moves the site at
 * once to the next one before health decides again. One request per family
 * when the carrying set changes, none otherwise.
 */
static void apply_decision(route_glue_t *g, const rg_decision_t *d)
{
    struct routes_path_rank ranks[HL_MAX_PATHS];
    struct routes_result res = {0};
    size_t n = d->n_paths < HL_MAX_PATHS ? d->n_paths : HL_MAX_PATHS;

    for (size_t i = 0; i < n; i++) {
        bool active = d->choice.active & (1u << i);
        ranks[i] = (struct routes_path_rank){.path = d->paths[i],
                                             .usable = active || d->choice.usable[i],
                                             .rank = active ? 0 : d->choice.rank[i] + 1};
    }
    if (routes_set_site_ranking(g->eng, d->site, ranks, n, &res) != 0)
        DBG1(DBG_CFG, "health: site '%s': the route engine refused the decision: %s", d->site,
             res.n_errors ? res.errors[0].message : "unknown error");
    else if (res.messages)
        DBG1(DBG_CFG, "health: site '%s': applied (%llu netlink request(s))", d->site,
             (unsigned long long)res.messages);
    routes_result_free(&res);
}

/* the connection of a bound path, malloc'd, NULL when not bound */
static char *conn_of(route_glue_t *g, const char *site, const char *path)
{
    char *conn = NULL;

    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_paths; i++)
        if (g->paths[i].conn && strcmp(g->paths[i].site, site) == 0 &&
            strcmp(g->paths[i].path, path) == 0)
            conn = strdup(g->paths[i].conn);
    pthread_mutex_unlock(&g->lock);
    return conn;
}

static void apply_pending(route_glue_t *g)
{
    pthread_mutex_lock(&g->lock);
    rg_decision_t *ds = g->hold ? NULL : g->decisions;
    rg_dpd_t *dpds = g->dpds;
    if (!g->hold)
        g->decisions = NULL;
    g->dpds = NULL;
    pthread_mutex_unlock(&g->lock);
    while (ds) {
        rg_decision_t *next = ds->next;
        apply_decision(g, ds);
        decision_free(ds);
        ds = next;
    }
    while (dpds) {
        rg_dpd_t *next = dpds->next;
        char *conn = conn_of(g, dpds->site, dpds->path);
        if (conn)
            health_dpd_request(conn, dpds->site, dpds->path);
        free(conn);
        dpd_free(dpds);
        dpds = next;
    }
}

void rg_event(const struct routes_event *ev, void *ctx)
{
    route_glue_t *g = ctx;
    bool up = ev->type == ROUTES_EVENT_PATH_UP;

    DBG1(DBG_CFG, "routes: %s site '%s' path '%s' (%s): %s", routes_event_name(ev->type),
         ev->site ? ev->site : "-", ev->path ? ev->path : "-", ev->ifname ? ev->ifname : "-",
         ev->detail ? ev->detail : "");
    if (!g || !ev->site || !ev->path ||
        (ev->type != ROUTES_EVENT_PATH_UP && ev->type != ROUTES_EVENT_PATH_DOWN))
        return;
    /* the engine's own observations; a verdict of ours (health) is not one */
    pthread_mutex_lock(&g->hlock);
    if (g->health && ev->cause == ROUTES_CAUSE_LINK)
        health_observe_link(g->health, ev->site, ev->path, up);
    else if (g->health && ev->cause == ROUTES_CAUSE_NEIGHBOUR)
        health_observe_neigh(g->health, ev->site, ev->path, !up);
    pthread_mutex_unlock(&g->hlock);
}

static void *run(void *arg)
{
    route_glue_t *g = arg;
    uint64_t v;

    for (;;) {
        struct pollfd fds[3] = {
            {.fd = routes_get_fd(g->eng), .events = POLLIN},
            {.fd = g->wake, .events = POLLIN},
            {.fd = g->stop, .events = POLLIN},
        };
        int r = poll(fds, 3, routes_timeout_ms(g->eng));
        if (r < 0 && errno != EINTR)
            break;
        if (fds[2].revents)
            break;
        if (fds[1].revents && read(g->wake, &v, sizeof(v)) > 0) {
            rg_sync_sa(g);
            apply_pending(g);
        }
        routes_process_events(g->eng);
    }
    return NULL;
}

bool rg_thread_start(route_glue_t *g, char *err, size_t errlen)
{
    g->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    g->stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g->wake >= 0 && g->stop >= 0)
        g->thread = thread_create(run, g);
    if (g->thread)
        return true;
    snprintf(err, errlen, "%s: cannot start the route glue thread: %s", RG_NS, strerror(errno));
    if (g->wake >= 0)
        close(g->wake);
    if (g->stop >= 0)
        close(g->stop);
    return false;
}

void rg_thread_stop(route_glue_t *g)
{
    uint64_t one = 1;

    if (write(g->stop, &one, sizeof(one)) < 0)
        DBG1(DBG_CFG, "routes: cannot stop the route glue thread: %s", strerror(errno));
    g->thread->join(g->thread);
    g->thread = NULL;
    close(g->wake);
    close(g->stop);
}
