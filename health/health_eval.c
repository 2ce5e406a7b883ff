/*
 * health_eval: from an observation to a decision. Every observation of a
 * path (a queued message, a BFD state change, an echo sample) steps that
 * path's state machine and then its site's decision; one ev_timer fires at
 * the earliest deadline of any state machine (hold-down end, good time
 * served, penalty decayed) or DPD retry. A decision is handed to
 * on_decision when the site's active set, ranking or usable paths change.
 *
 * Application checks (issue 10): health_observe_app's verdict is kept in
 * the path's observation (obs.app_ok, and app_reason for a fault) until the
 * next one; the state machine turns a fault into degraded or, with
 * app_down, down after the hold-down.
 *
 * IKE liveness: a VPN path's observation carries sa_up (0 whenever its
 * CHILD_SA is not installed: the state machine takes it down whatever the
 * probes say). With dpd_on_failure, when the path's probes fail (BFD left
 * Up, echo loss at or above down_loss_pct, or 3 echo probes lost in a row)
 * while its SA is up, on_dpd is called at once and again at most once per
 * detect period (BFD's negotiated detection time, or three echo intervals,
 * whichever is longer).
 *
 * Threading: every function runs on the health thread.
 */
#define _GNU_SOURCE
#include "health_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DPD_ECHO_LOSSES 3 /* echo probes lost in a row that count as failing */

static struct hsite *site_by_name(struct health *h, const char *name)
{
    for (size_t i = 0; i < h->n_sites; i++)
        if (strcmp(h->sites[i]->name, name) == 0)
            return h->sites[i];
    return NULL;
}

static int path_index(const struct hsite *s, const char *name)
{
    for (size_t i = 0; name && i < s->n_paths; i++)
        if (strcmp(s->paths[i]->cfg.name, name) == 0)
            return (int)i;
    return -1;
}

static bool probes_failing(const struct hpath *p)
{
    const struct hl_obs *o = &p->obs;

    if (p->cfg.bfd_on && o->bfd_was_up && o->bfd != HL_BFD_UP)
        return true;
    return p->cfg.echo_on && ((o->echo.valid && o->echo.loss_pct >= p->cfg.sm.down_loss_pct) ||
                              o->echo.lost_in_row >= DPD_ECHO_LOSSES);
}

/* ms between two DPD requests of a path */
static hl_time_t dpd_period(const struct hpath *p)
{
    hl_time_t ms = 0;

    if (p->cfg.bfd_on)
        ms = p->bfd_st.detect_time_us
                 ? p->bfd_st.detect_time_us / 1000
                 : (hl_time_t)p->cfg.bfd.min_rx_us * p->cfg.bfd.multiplier / 1000;
    if (p->cfg.echo_on && (hl_time_t)p->cfg.echo.interval_ms * DPD_ECHO_LOSSES > ms)
        ms = (hl_time_t)p->cfg.echo.interval_ms * DPD_ECHO_LOSSES;
    return ms ? ms : 1000;
}

static bool dpd_wanted(const struct hpath *p)
{
    return p->cfg.sa_bound && p->cfg.dpd_on_failure && p->obs.sa_up == 1 && !p->obs.admin_down &&
           probes_failing(p);
}

static void dpd_check(struct health *h, struct hpath *p, hl_time_t now)
{
    if (!dpd_wanted(p) || (p->last_dpd && now - p->last_dpd < dpd_period(p)))
        return;
    p->last_dpd = now;
    p->dpd_requests++;
    hlog(h, 1, "site '%s' path '%s': probes fail while the SA is up: DPD requested", p->site->name,
         p->cfg.name);
    if (h->cb.on_dpd)
        h->cb.on_dpd(p->site->name, p->cfg.name, h->cb.ctx);
}

static void step(struct health *h, struct hpath *p, hl_time_t now)
{
    enum hl_path_state was = p->sm.state;

    p->obs.app_reason = p->app_reason;
    bool stepped = hl_sm_step(&p->sm, &p->cfg.sm, &p->obs, now);

    h->changed = h->changed || stepped;
    if (stepped && p->sm.state != was)
        hlog(h, 1, "site '%s' path '%s': %s -> %s (%s)", p->site->name, p->cfg.name,
             hl_path_state_name(was), hl_path_state_name(p->sm.state), p->sm.reason);
    dpd_check(h, p, now);
}

static void announce_decision(struct health *h, struct hsite *s, const char *reason)
{
    const char *names[HL_MAX_PATHS];
    struct health_decision d = {.site = s->name,
                                .paths = names,
                                .n_paths = s->n_paths,
                                .choice = &s->choice,
                                .reason = reason};

    for (size_t i = 0; i < s->n_paths; i++)
        names[i] = s->paths[i]->cfg.name;
    if (h->cb.on_decision)
        h->cb.on_decision(&d, h->cb.ctx);
}

void heval_site(struct health *h, struct hsite *s, bool announce)
{
    struct hl_decide_path in[HL_MAX_PATHS];
    struct hl_choice out;
    char reason[HL_EVENT_TEXT_MAX] = "";
    hl_time_t now = health_now();

    memset(&out, 0, sizeof(out));
    for (size_t i = 0; i < s->n_paths; i++) {
        const struct hpath *p = s->paths[i];
        in[i] = (struct hl_decide_path){.name = p->cfg.name,
                                        .priority = p->cfg.priority,
                                        .weight = p->cfg.weight,
                                        .state = p->sm.state,
                                        .eligible = hl_sm_eligible(&p->sm, &p->cfg.sm, now),
                                        .link_up = p->obs.link != 0,
                                        .loss_pct = p->obs.echo.valid ? p->obs.echo.loss_pct : 0,
                                        .rtt_ms = p->obs.echo.valid ? p->obs.echo.rtt_avg_ms : 0,
                                        .reason = p->sm.reason,
                                        .app_fault = p->obs.app_ok == 0};
    }
    struct hl_decide_in din = {.site = s->name,
                               .paths = in,
                               .n_paths = s->n_paths,
                               .keep_last = s->keep_last,
                               .pinned = s->pinned,
                               .prev = s->have_choice ? &s->choice : NULL,
                               .now = now};
    bool moved = hl_decide(&din, &out, reason, sizeof(reason));
    bool changed = moved || !s->have_choice || memcmp(&out, &s->choice, sizeof(out)) != 0;
    s->choice = out;
    s->have_choice = true;
    h->changed = h->changed || changed;
    if (moved && reason[0]) {
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        hl_history_add(s->hist, now, wall.tv_sec, reason);
        hlog(h, 1, "%s", reason);
    }
    if (changed || announce)
        announce_decision(h, s, moved ? reason : "");
}

void heval_path(struct health *h, struct hpath *p)
{
    if (!p->site)
        return; /* being made or freed */
    step(h, p, health_now());
    heval_site(h, p->site, false);
}

void heval_all(struct health *h, bool announce)
{
    hl_time_t now = health_now();

    for (size_t i = 0; i < h->n_sites; i++) {
        for (size_t j = 0; j < h->sites[i]->n_paths; j++)
            step(h, h->sites[i]->paths[j], now);
        heval_site(h, h->sites[i], announce);
    }
}

/* the application checks' verdict (the message's reason taken over) */
static void app_verdict(struct health *h, struct hpath *p, struct hmsg *m)
{
    int was = p->obs.app_ok;

    free(p->app_reason);
    p->app_reason = m->value ? NULL : m->text;
    if (!m->value)
        m->text = NULL;
    p->obs.app_ok = m->value;
    if (was != p->obs.app_ok)
        hlog(h, 1, "site '%s' path '%s': application checks %s%s%s", p->site->name, p->cfg.name,
             m->value ? "pass" : "report a path fault: ", m->value ? "" : p->app_reason,
             m->value && was == 0 ? " again" : "");
}

void heval_msg(struct health *h, struct hmsg *m)
{
    if (m->kind == HM_ANNOUNCE) {
        heval_all(h, true);
        return;
    }
    struct hsite *s = site_by_name(h, m->site);
    int i = s ? path_index(s, m->path) : -1;

    if (!s || (m->kind != HM_RELEASE && i < 0))
        return; /* removed by a reload meanwhile */
    struct hpath *p = i >= 0 ? s->paths[i] : NULL;
    switch (m->kind) {
    case HM_SA:
        p->obs.sa_up = p->cfg.sa_bound ? m->value : -1;
        break;
    case HM_LINK:
        p->obs.link = m->value;
        break;
    case HM_NEIGH:
        p->obs.neigh_failed = p->cfg.nexthop ? m->value : -1;
        break;
    case HM_ADMIN:
        p->obs.admin_down = m->value;
        if (p->bfd)
            bfd_session_set_admin_down(p->bfd, m->value);
        hlog(h, 1, "site '%s' path '%s': admin %s", s->name, p->cfg.name, m->value ? "down" : "up");
        break;
    case HM_PIN:
        s->pinned = i;
        hlog(h, 1, "site '%s': pinned to path '%s'", s->name, p->cfg.name);
        break;
    case HM_RELEASE:
        s->pinned = -1;
        hlog(h, 1, "site '%s': released", s->name);
        break;
    case HM_APP:
        app_verdict(h, p, m);
        break;
    case HM_ANNOUNCE:
        break;
    }
    if (p)
        step(h, p, health_now());
    heval_site(h, s, false);
}

void heval_bfd_cb(struct bfd_session *bs, const struct hl_bfd_status *st, void *ctx)
{
    struct hpath *p = ctx;

    (void)bs;
    if (p->obs.bfd == HL_BFD_UP && st->state != HL_BFD_UP)
        p->obs.bfd_diag = st->local_diag;
    p->bfd_st = *st;
    p->obs.bfd = st->state;
    if (st->state == HL_BFD_UP)
        p->obs.bfd_was_up = true;
    if (!p->site)
        return;
    heval_path(p->h, p);
    heval_arm(p->h);
    hsnap_publish(p->h);
}

void heval_echo_cb(struct echo_probe *e, const struct hl_echo_stats *st, void *ctx)
{
    struct hpath *p = ctx;

    (void)e;
    p->obs.echo = *st;
    if (!p->site)
        return;
    heval_path(p->h, p);
    heval_arm(p->h);
    hsnap_publish(p->h);
}

/* the earliest time anything must be looked at again, 0 none */
static hl_time_t next_deadline(struct health *h, hl_time_t now)
{
    hl_time_t next = 0;

    for (size_t i = 0; i < h->n_sites; i++)
        for (size_t j = 0; j < h->sites[i]->n_paths; j++) {
            const struct hpath *p = h->sites[i]->paths[j];
            hl_time_t t = hl_sm_next_deadline(&p->sm, &p->cfg.sm, now);
            if (dpd_wanted(p) && p->last_dpd) {
                hl_time_t d = p->last_dpd + dpd_period(p);
                t = t && t < d ? t : d;
            }
            if (t && (!next || t < next))
                next = t;
        }
    return next;
}

/* a dampening penalty decays: the status shows it again every HSNAP_REFRESH_MS */
static void arm_refresh(struct health *h, hl_time_t now)
{
    for (size_t i = 0; i < h->n_sites; i++)
        for (size_t j = 0; j < h->sites[i]->n_paths; j++) {
            const struct hpath *p = h->sites[i]->paths[j];
            if (hl_sm_penalty(&p->sm, &p->cfg.sm, now) < 0.5)
                continue;
            if (!ev_is_active(&h->publish)) {
                ev_timer_set(&h->publish, HSNAP_REFRESH_MS / 1000., 0.);
                ev_timer_start(h->loop, &h->publish);
            }
            return;
        }
}

void heval_arm(struct health *h)
{
    hl_time_t now = health_now(), next = next_deadline(h, now);

    arm_refresh(h, now);
    double after = next > now ? (double)(next - now + 1) / 1000. : 0.001;

    /*
     * A timer already due sooner stays: a deadline that has just passed may
     * not have been stepped yet (next_deadline only sees future ones); an
     * early wake-up only steps every path once more.
     */
    if (ev_is_active(&h->deadline)) {
        if (!next || ev_timer_remaining(h->loop, &h->deadline) <= after)
            return;
        ev_timer_stop(h->loop, &h->deadline);
    }
    if (!next)
        return;
    /* +1 ms: the state machine compares with >=, the loop may wake a little early */
    ev_timer_set(&h->deadline, after, 0.);
    ev_timer_start(h->loop, &h->deadline);
}

void heval_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct health *h = w->data;

    (void)loop;
    (void)revents;
    heval_all(h, false);
    heval_arm(h);
    hsnap_publish(h);
}
