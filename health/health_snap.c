/*
 * health_snap: the published state. The health thread builds a new copy
 * after every change (outside any lock) and swaps it in under slock; a
 * reader copies it under slock. A copy that cannot be made (out of memory)
 * leaves the previous one published and is logged.
 *
 * Threading: hsnap_publish* on the health thread; hsnap_has with slock held
 * (any thread); health_snapshot and health_snapshot_free in any thread.
 */
#define _GNU_SOURCE
#include "health_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void site_snap_free(struct health_site_snap *s)
{
    for (size_t j = 0; j < s->n_paths; j++) {
        free(s->paths[j].name);
        free(s->paths[j].reason);
        free(s->paths[j].app_reason);
    }
    free(s->paths);
    for (size_t j = 0; s->history && j < s->n_history; j++)
        free(s->history[j].text);
    free(s->history);
    free(s->name);
}

void health_snapshot_free(struct health_snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_sites; i++)
        site_snap_free(&s->sites[i]);
    free(s->sites);
    memset(s, 0, sizeof(*s));
}

static bool path_snap(struct health_path_snap *o, const struct hpath *p, const struct hsite *s,
                      hl_time_t now)
{
    bool eligible = hl_sm_eligible(&p->sm, &p->cfg.sm, now);

    *o = (struct health_path_snap){.priority = p->cfg.priority,
                                   .weight = p->cfg.weight,
                                   .state = p->sm.state,
                                   .since = p->sm.since,
                                   .eligible = eligible,
                                   .active = (s->choice.active >> p->idx) & 1u,
                                   .admin_down = p->obs.admin_down,
                                   .penalty = hl_sm_penalty(&p->sm, &p->cfg.sm, now),
                                   .flaps = p->sm.flaps,
                                   .link = p->obs.link,
                                   .neigh_failed = p->obs.neigh_failed,
                                   .sa_up = p->obs.sa_up,
                                   .bfd_on = p->cfg.bfd_on,
                                   .echo_on = p->cfg.echo_on,
                                   .bfd = p->bfd_st,
                                   .echo = p->obs.echo,
                                   .dpd_requests = p->dpd_requests,
                                   .app_ok = p->obs.app_ok};
    if (p->sm.good && !eligible)
        o->eligible_at = p->sm.eligible_at;
    o->name = strdup(p->cfg.name);
    o->reason = strdup(p->sm.reason);
    if (p->obs.app_ok == 0 && p->app_reason && !(o->app_reason = strdup(p->app_reason)))
        return false;
    return o->name && o->reason;
}

/* the site's decisions, oldest first (strings of their own size) */
static bool history_snap(struct health_site_snap *o, const struct hsite *s)
{
    size_t n = s->hist ? hl_history_count(s->hist) : 0;

    o->history = calloc(n + 1, sizeof(*o->history));
    if (!o->history)
        return false;
    o->history_lost = s->hist ? hl_history_lost(s->hist) : 0;
    for (; o->n_history < n; o->n_history++) {
        struct health_event *e = &o->history[o->n_history];
        const char *t = hl_history_nth(s->hist, o->n_history, &e->at, &e->wall);
        if (!t || !(e->text = strdup(t)))
            return !t;
    }
    return true;
}

static bool site_snap(struct health_site_snap *o, const struct hsite *s, hl_time_t now)
{
    memset(o, 0, sizeof(*o));
    o->keep_last = s->keep_last;
    o->kept_last = s->choice.kept_last;
    o->pinned = s->pinned;
    o->name = strdup(s->name);
    o->paths = calloc(s->n_paths + 1, sizeof(*o->paths));
    if (!o->name || !o->paths || !history_snap(o, s))
        return false;
    for (; o->n_paths < s->n_paths; o->n_paths++)
        if (!path_snap(&o->paths[o->n_paths], s->paths[o->n_paths], s, now)) {
            o->n_paths++; /* freed with the rest */
            return false;
        }
    return true;
}

static bool build(struct health *h, struct health_snapshot *out)
{
    struct timespec wall;

    memset(out, 0, sizeof(*out));
    out->now = health_now();
    clock_gettime(CLOCK_REALTIME, &wall);
    out->wall = wall.tv_sec;
    out->sites = calloc(h->n_sites + 1, sizeof(*out->sites));
    if (!out->sites)
        return false;
    for (; out->n_sites < h->n_sites; out->n_sites++)
        if (!site_snap(&out->sites[out->n_sites], h->sites[out->n_sites], out->now)) {
            out->n_sites++;
            return false;
        }
    return true;
}

void hsnap_publish_now(struct health *h)
{
    struct health_snapshot next, old;

    if (!build(h, &next)) {
        health_snapshot_free(&next);
        hlog(h, 0, "health: out of memory: the status shows the previous state");
        return;
    }
    h->changed = false;
    pthread_mutex_lock(&h->slock);
    old = h->pub;
    h->pub = next;
    pthread_mutex_unlock(&h->slock);
    health_snapshot_free(&old);
}

void hsnap_publish_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct health *h = w->data;

    (void)loop;
    (void)revents;
    hsnap_publish_now(h);
    heval_arm(h); /* penalties still decaying: again in HSNAP_REFRESH_MS */
}

void hsnap_publish(struct health *h)
{
    if (h->changed) {
        ev_timer_stop(h->loop, &h->publish);
        hsnap_publish_now(h);
        return;
    }
    if (ev_is_active(&h->publish))
        return;
    ev_timer_set(&h->publish, HSNAP_DELAY_MS / 1000., 0.);
    ev_timer_start(h->loop, &h->publish);
}

bool hsnap_has(struct health *h, const char *site, const char *path)
{
    for (size_t i = 0; i < h->pub.n_sites; i++) {
        const struct health_site_snap *s = &h->pub.sites[i];
        if (strcmp(s->name, site) != 0)
            continue;
        if (!path)
            return true;
        for (size_t j = 0; j < s->n_paths; j++)
            if (strcmp(s->paths[j].name, path) == 0)
                return true;
        return false;
    }
    return false;
}

/* a deep copy of one site (false: out of memory, partly filled) */
static bool site_copy(struct health_site_snap *o, const struct health_site_snap *s, hl_time_t now)
{
    *o = *s;
    o->name = strdup(s->name);
    o->paths = calloc(s->n_paths + 1, sizeof(*o->paths));
    o->history = calloc(s->n_history + 1, sizeof(*o->history));
    o->n_paths = 0;
    o->n_history = 0;
    if (!o->name || !o->paths || !o->history)
        return false;
    for (; o->n_history < s->n_history; o->n_history++) {
        o->history[o->n_history] = s->history[o->n_history];
        if (!(o->history[o->n_history].text = strdup(s->history[o->n_history].text)))
            return false;
    }
    for (; o->n_paths < s->n_paths; o->n_paths++) {
        struct health_path_snap *d = &o->paths[o->n_paths];
        *d = s->paths[o->n_paths];
        d->name = strdup(d->name);
        d->reason = strdup(d->reason);
        d->app_reason = d->app_reason ? strdup(d->app_reason) : NULL;
        d->good_remaining_ms = d->eligible_at > now ? d->eligible_at - now : 0;
        if (!d->name || !d->reason || (s->paths[o->n_paths].app_reason && !d->app_reason)) {
            o->n_paths++;
            return false;
        }
    }
    return true;
}

int health_snapshot(struct health *h, struct health_snapshot *out)
{
    bool ok = true;

    struct timespec wall;

    memset(out, 0, sizeof(*out));
    out->now = health_now();
    clock_gettime(CLOCK_REALTIME, &wall);
    out->wall = wall.tv_sec;
    if (!h)
        return 0;
    pthread_mutex_lock(&h->slock);
    out->sites = calloc(h->pub.n_sites + 1, sizeof(*out->sites));
    ok = out->sites != NULL;
    for (; ok && out->n_sites < h->pub.n_sites; out->n_sites++)
        ok = site_copy(&out->sites[out->n_sites], &h->pub.sites[out->n_sites], out->now);
    pthread_mutex_unlock(&h->slock);
    if (!ok) {
        health_snapshot_free(out);
        return -1;
    }
    return 0;
}

void hsnap_counters_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct health *h = w->data;
    struct hl_bfd_status st;
    bool moved = false;

    (void)loop;
    (void)revents;
    for (size_t i = 0; i < h->n_sites; i++)
        for (size_t j = 0; j < h->sites[i]->n_paths; j++) {
            struct hpath *p = h->sites[i]->paths[j];
            if (!p->bfd)
                continue;
            bfd_session_status(p->bfd, &st);
            if (st.rx_dropped == p->bfd_st.rx_dropped)
                continue;
            p->bfd_st.rx_dropped = st.rx_dropped;
            p->bfd_st.rx_packets = st.rx_packets;
            p->bfd_st.tx_packets = st.tx_packets;
            moved = true;
        }
    if (moved)
        hsnap_publish(h);
}
