/*
 * health_conf: applies a configuration on the health thread, all or
 * nothing. A path of the same site and name whose probe settings are
 * unchanged is kept as it is (its BFD session keeps running: no flap on
 * reload; changed BFD intervals go through a poll sequence); a path with
 * changed probe settings gets new probes (its link, neighbour, SA, admin
 * and application checks observations are carried over); removed paths are freed (BFD sends
 * AdminDown). Any probe that cannot be made leaves everything as it was.
 *
 * Threading: every function runs on the health thread (health.c's on_wake,
 * or before the loop runs nothing at all).
 */
#define _GNU_SOURCE
#include "health_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* strdup of an optional string; *ok false when it fails */
static char *dup_opt(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;

    if (s && !d)
        *ok = false;
    return d;
}

static void cfg_free(struct health_path_cfg *c)
{
    free((char *)c->name);
    free((char *)c->bfd.remote);
    free((char *)c->bfd.local);
    free((char *)c->bfd.dev);
    free((char *)c->echo.target);
    free((char *)c->echo.source);
    free((char *)c->echo.dev);
    free((char *)c->sm.sa_name);
    free((char *)c->sm.next_hop);
    memset(c, 0, sizeof(*c));
}

static bool cfg_copy(struct health_path_cfg *d, const struct health_path_cfg *s)
{
    bool ok = true;

    *d = *s;
    d->name = dup_opt(s->name, &ok);
    d->bfd.remote = dup_opt(s->bfd.remote, &ok);
    d->bfd.local = dup_opt(s->bfd.local, &ok);
    d->bfd.dev = dup_opt(s->bfd.dev, &ok);
    d->echo.target = dup_opt(s->echo.target, &ok);
    d->echo.source = dup_opt(s->echo.source, &ok);
    d->echo.dev = dup_opt(s->echo.dev, &ok);
    d->sm.sa_name = dup_opt(s->sm.sa_name, &ok);
    d->sm.next_hop = dup_opt(s->sm.next_hop, &ok);
    d->sm.app_down = s->app_down || s->sm.app_down;
    d->app_down = d->sm.app_down;
    if (!ok)
        cfg_free(d);
    return ok;
}

/* the same BFD endpoint (intervals may differ: a poll sequence changes them) */
static bool bfd_same(const struct health_path_cfg *a, const struct health_path_cfg *b)
{
    if (a->bfd_on != b->bfd_on)
        return false;
    return !a->bfd_on || (str_eq(a->bfd.remote, b->bfd.remote) &&
                          str_eq(a->bfd.local, b->bfd.local) && str_eq(a->bfd.dev, b->bfd.dev) &&
                          a->bfd.mark == b->bfd.mark && a->bfd.multihop == b->bfd.multihop &&
                          a->bfd.min_ttl == b->bfd.min_ttl && a->bfd.passive == b->bfd.passive);
}

static bool echo_same(const struct health_path_cfg *a, const struct health_path_cfg *b)
{
    const struct echo_config *x = &a->echo, *y = &b->echo;

    if (a->echo_on != b->echo_on)
        return false;
    return !a->echo_on ||
           (x->kind == y->kind && str_eq(x->target, y->target) && str_eq(x->source, y->source) &&
            str_eq(x->dev, y->dev) && x->mark == y->mark && x->port == y->port &&
            x->interval_ms == y->interval_ms && x->timeout_ms == y->timeout_ms &&
            x->window == y->window && x->size == y->size);
}

void hpath_free(struct hpath *p)
{
    if (!p)
        return;
    p->site = NULL; /* callbacks while the probes go only record */
    if (p->bfd)
        bfd_session_free(p->bfd);
    if (p->echo)
        echo_probe_free(p->echo);
    cfg_free(&p->cfg);
    free(p->app_reason);
    free(p);
}

static void bfd_log(int level, const char *msg, void *ctx)
{
    hlog(ctx, level, "bfd: %s", msg);
}

/* the path's BFD session, labelled "site S path P": its log lines name the
 * path, and two paths' sessions that the peer could not tell apart are
 * refused (the label is copied by the session) */
static struct bfd_session *bfd_labelled(struct health *h, const char *site, struct hpath *p,
                                        char *why, size_t len)
{
    struct bfd_session_config cfg = p->cfg.bfd;
    char *label = NULL;
    struct bfd_session *s;

    if (asprintf(&label, "site %s path %s", site, p->cfg.name) < 0)
        return snprintf(why, len, "out of memory"), NULL;
    cfg.label = label;
    s = bfd_session_new(h->bfd, &cfg, heval_bfd_cb, p, why, len);
    free(label);
    return s;
}

/* a path with its own probes; NULL with err naming site, path and probe */
static struct hpath *hpath_new(struct health *h, const char *site, const struct health_path_cfg *c,
                               char *err, size_t errlen)
{
    struct hpath *p = calloc(1, sizeof(*p));
    char why[256] = "out of memory";

    if (!p || !cfg_copy(&p->cfg, c)) {
        free(p);
        snprintf(err, errlen, "site '%s' path '%s': out of memory", site, c->name);
        return NULL;
    }
    p->h = h;
    p->obs = (struct hl_obs){.link = -1,
                             .neigh_failed = c->nexthop ? 0 : -1,
                             .sa_up = c->sa_bound ? 0 : -1,
                             .bfd = HL_BFD_OFF,
                             .echo_on = c->echo_on,
                             .app_ok = -1};
    p->bfd_st.state = HL_BFD_OFF;
    hl_sm_init(&p->sm, health_now());
    if (c->bfd_on) {
        if (!h->bfd)
            h->bfd = bfd_ctx_new(h->loop, bfd_log, h);
        p->obs.bfd = HL_BFD_DOWN;
        p->bfd = h->bfd ? bfd_labelled(h, site, p, why, sizeof(why)) : NULL;
        if (!p->bfd) {
            snprintf(err, errlen, "site '%s' path '%s': bfd: %s", site, c->name, why);
            hpath_free(p);
            return NULL;
        }
        bfd_session_status(p->bfd, &p->bfd_st);
    }
    if (c->echo_on) {
        p->echo = echo_probe_new(h->loop, &p->cfg.echo, heval_echo_cb, p, why, sizeof(why));
        if (!p->echo) {
            snprintf(err, errlen, "site '%s' path '%s': echo: %s", site, c->name, why);
            hpath_free(p);
            return NULL;
        }
    }
    return p;
}

static struct hsite *find_site(struct hsite **sites, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (sites[i] && strcmp(sites[i]->name, name) == 0)
            return sites[i];
    return NULL;
}

static struct hpath *find_path(const struct hsite *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_paths; i++)
        if (s->paths[i] && strcmp(s->paths[i]->cfg.name, name) == 0)
            return s->paths[i];
    return NULL;
}

/* names present, unique, path counts within the decision's limit */
static bool cfg_check(const struct health_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_sites; i++) {
        const struct health_site_cfg *s = &cfg->sites[i];
        if (!s->name) {
            snprintf(err, errlen, "a site without a name");
            return false;
        }
        if (s->n_paths > HL_MAX_PATHS) {
            snprintf(err, errlen, "site '%s': %zu paths, at most %d", s->name, s->n_paths,
                     HL_MAX_PATHS);
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->sites[j].name, s->name) == 0) {
                snprintf(err, errlen, "site '%s': configured twice", s->name);
                return false;
            }
        for (size_t k = 0; k < s->n_paths; k++) {
            if (!s->paths[k].name) {
                snprintf(err, errlen, "site '%s': a path without a name", s->name);
                return false;
            }
            for (size_t j = 0; j < k; j++)
                if (strcmp(s->paths[j].name, s->paths[k].name) == 0) {
                    snprintf(err, errlen, "site '%s' path '%s': configured twice", s->name,
                             s->paths[k].name);
                    return false;
                }
        }
    }
    return true;
}

bool health_check_config(const struct health_config *cfg, char *err, size_t errlen)
{
    char why[256];

    if (!cfg_check(cfg, err, errlen))
        return false;
    for (size_t i = 0; i < cfg->n_sites; i++)
        for (size_t j = 0; j < cfg->sites[i].n_paths; j++) {
            const struct health_path_cfg *p = &cfg->sites[i].paths[j];
            if (p->echo_on && echo_config_check(&p->echo, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "site '%s' path '%s': echo: %s", cfg->sites[i].name, p->name,
                         why);
                return false;
            }
        }
    return true;
}

static void site_free(struct hsite *s, bool paths_too)
{
    if (!s)
        return;
    for (size_t i = 0; paths_too && i < s->n_paths; i++)
        hpath_free(s->paths[i]);
    if (s->hist)
        hl_history_free(s->hist);
    free(s->paths);
    free(s->name);
    free(s);
}

/*
 * A path whose probes changed keeps its verdict, dampening penalty, flaps
 * and min-good time: only the probes are new. A path with a verdict gets a
 * new grace for its new probes (a BFD session that never comes up is down
 * when it ends, as at start); a path still in init keeps its own grace, so
 * reloads never extend it.
 */
static void carry_sm(struct hl_path_sm *to, const struct hl_path_sm *from, hl_time_t now)
{
    *to = *from;
    if (to->underlying != HL_PATH_INIT)
        to->started = now;
}

/*
 * The path of the new configuration: the old one when its probes are the
 * same (marked kept in *keep, nothing changed yet), else a new one.
 */
static struct hpath *plan_path(struct health *h, const struct hsite *old,
                               const struct health_site_cfg *sc, const struct health_path_cfg *pc,
                               bool *keep, char *err, size_t errlen)
{
    struct hpath *o = find_path(old, pc->name);

    *keep = o && bfd_same(&o->cfg, pc) && echo_same(&o->cfg, pc);
    if (*keep)
        return o;
    struct hpath *p = hpath_new(h, sc->name, pc, err, errlen);
    if (p && o) {
        /* what others observed stays true for the path's new probes */
        p->obs.link = o->obs.link;
        p->obs.neigh_failed = pc->nexthop ? (o->obs.neigh_failed > 0) : -1;
        p->obs.sa_up = pc->sa_bound ? (o->obs.sa_up > 0) : -1;
        p->obs.admin_down = o->obs.admin_down;
        p->obs.app_ok = o->obs.app_ok;
        if (o->app_reason && !(p->app_reason = strdup(o->app_reason))) {
            snprintf(err, errlen, "site '%s' path '%s': out of memory", sc->name, pc->name);
            hpath_free(p);
            return NULL;
        }
        carry_sm(&p->sm, &o->sm, health_now());
    }
    return p;
}

/* the new site's paths (kept[i] says which are old ones); false: err set */
static struct hsite *plan_site(struct health *h, const struct health_site_cfg *sc,
                               struct hsite **old_sites, size_t n_old, bool *kept, char *err,
                               size_t errlen)
{
    struct hsite *s = calloc(1, sizeof(*s)), *old = find_site(old_sites, n_old, sc->name);

    if (!s || !(s->name = strdup(sc->name)) ||
        !(s->paths = calloc(sc->n_paths + 1, sizeof(*s->paths)))) {
        snprintf(err, errlen, "site '%s': out of memory", sc->name);
        site_free(s, false);
        return NULL;
    }
    s->keep_last = sc->keep_last;
    s->pinned = -1;
    for (size_t i = 0; i < sc->n_paths; i++, s->n_paths++) {
        s->paths[i] = plan_path(h, old, sc, &sc->paths[i], &kept[i], err, errlen);
        if (!s->paths[i])
            break;
    }
    if (s->n_paths == sc->n_paths)
        return s;
    for (size_t i = 0; i < s->n_paths; i++)
        if (!kept[i])
            hpath_free(s->paths[i]);
    s->n_paths = 0;
    site_free(s, false);
    return NULL;
}

static void swap_str(const char **a, const char **b)
{
    const char *t = *a;

    *a = *b;
    *b = t;
}

/* the running probes may point at their configuration's strings (equal to
 * the new ones: bfd_same, echo_same): those stay */
static void swap_probe_strings(struct health_path_cfg *a, struct health_path_cfg *b)
{
    swap_str(&a->bfd.remote, &b->bfd.remote);
    swap_str(&a->bfd.local, &b->bfd.local);
    swap_str(&a->bfd.dev, &b->bfd.dev);
    swap_str(&a->echo.target, &b->echo.target);
    swap_str(&a->echo.source, &b->echo.source);
    swap_str(&a->echo.dev, &b->echo.dev);
}

/* the plan holds: kept paths take their new settings; the site its history and pin */
static void commit_site(struct health *h, struct hsite *s, const struct health_site_cfg *sc,
                        const bool *kept, struct hsite *old)
{
    bool same_paths = old && old->n_paths == s->n_paths;

    for (size_t i = 0; i < s->n_paths; i++) {
        struct hpath *p = s->paths[i];
        if (kept[i]) {
            struct health_path_cfg c;
            if (cfg_copy(&c, &sc->paths[i])) {
                if (p->bfd && (c.bfd.min_tx_us != p->cfg.bfd.min_tx_us ||
                               c.bfd.min_rx_us != p->cfg.bfd.min_rx_us ||
                               c.bfd.multiplier != p->cfg.bfd.multiplier))
                    bfd_session_set_params(p->bfd, c.bfd.min_tx_us, c.bfd.min_rx_us,
                                           c.bfd.multiplier);
                swap_probe_strings(&c, &p->cfg);
                cfg_free(&p->cfg);
                p->cfg = c;
            } else {
                hlog(h, 0, "site '%s' path '%s': out of memory: previous thresholds kept", s->name,
                     p->cfg.name);
            }
        }
        /* the same names in the same order: a path with new probes is
         * still the path the previous choice names */
        same_paths = same_paths && strcmp(old->paths[i]->cfg.name, p->cfg.name) == 0;
        p->site = s;
        p->idx = i;
        if (old && old->pinned >= 0 && strcmp(old->paths[old->pinned]->cfg.name, p->cfg.name) == 0)
            s->pinned = (int)i;
    }
    if (old) {
        s->hist = old->hist;
        old->hist = NULL;
        if (same_paths) {
            s->choice = old->choice;
            s->have_choice = old->have_choice;
        }
    }
}

/* frees what the previous configuration had and the new one does not use */
static void drop_old(struct hsite **old, size_t n_old, struct hsite **next, size_t n_next)
{
    for (size_t i = 0; i < n_old; i++) {
        struct hsite *o = old[i];
        struct hsite *n = find_site(next, n_next, o->name);
        for (size_t j = 0; j < o->n_paths; j++)
            if (!n || find_path(n, o->paths[j]->cfg.name) != o->paths[j])
                hpath_free(o->paths[j]);
        site_free(o, false);
    }
}

/* undoes a plan that failed: only the new paths are freed */
static void drop_plan(struct hsite **next, size_t n, bool **kept)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < next[i]->n_paths; j++)
            if (!kept[i][j])
                hpath_free(next[i]->paths[j]);
        site_free(next[i], false);
    }
}

static void free_kept(bool **kept, size_t n)
{
    for (size_t i = 0; kept && i < n; i++)
        free(kept[i]);
    free(kept);
}

/* every site planned, or none (err set) */
static bool plan_all(struct health *h, const struct health_config *cfg, struct hsite **next,
                     bool **kept, char *err, size_t errlen)
{
    size_t i;

    for (i = 0; i < cfg->n_sites; i++) {
        const struct health_site_cfg *sc = &cfg->sites[i];
        kept[i] = calloc(sc->n_paths + 1, sizeof(bool));
        next[i] = kept[i] ? plan_site(h, sc, h->sites, h->n_sites, kept[i], err, errlen) : NULL;
        if (!kept[i])
            snprintf(err, errlen, "site '%s': out of memory", sc->name);
        if (!next[i])
            break;
    }
    if (i == cfg->n_sites)
        return true;
    drop_plan(next, i, kept);
    return false;
}

bool hconf_apply(struct health *h, const struct health_config *cfg, char *err, size_t errlen)
{
    struct hsite **next = calloc(cfg->n_sites + 1, sizeof(*next));
    bool **kept = calloc(cfg->n_sites + 1, sizeof(*kept));

    if (!next || !kept) {
        snprintf(err, errlen, "health: out of memory");
        goto refused;
    }
    if (!cfg_check(cfg, err, errlen) || !plan_all(h, cfg, next, kept, err, errlen))
        goto refused;
    for (size_t i = 0; i < cfg->n_sites; i++) {
        struct hsite *old = find_site(h->sites, h->n_sites, next[i]->name);
        commit_site(h, next[i], &cfg->sites[i], kept[i], old);
        if (!next[i]->hist)
            next[i]->hist = hl_history_new(h->cb.history);
    }
    drop_old(h->sites, h->n_sites, next, cfg->n_sites);
    free(h->sites);
    h->sites = next;
    h->n_sites = cfg->n_sites;
    free_kept(kept, cfg->n_sites);
    heval_all(h, true);
    return true;
refused:
    free_kept(kept, cfg->n_sites);
    free(next);
    return false;
}

void hconf_free_all(struct health *h)
{
    drop_old(h->sites, h->n_sites, NULL, 0);
    free(h->sites);
    h->sites = NULL;
    h->n_sites = 0;
    if (h->bfd)
        bfd_ctx_free(h->bfd);
    h->bfd = NULL;
    ev_timer_stop(h->loop, &h->deadline);
    ev_timer_stop(h->loop, &h->publish);
    ev_timer_stop(h->loop, &h->counters);
}
