/*
 * path_sm: the state machine of one path (see path_sm.h, docs/health.md).
 * path_classify.c says what an observation means; this file turns verdicts
 * into states with the hold-down, the min good time, the startup grace and
 * RFC 2439-style dampening. Pure: time is an argument, no allocation.
 *
 * Threading: none; the caller serialises (the health thread).
 */
#include "path_priv.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *state_names[HL_PATH_STATE_MAX] = {
    [HL_PATH_INIT] = "init",
    [HL_PATH_UP] = "up",
    [HL_PATH_DEGRADED] = "degraded",
    [HL_PATH_DOWN] = "down",
    [HL_PATH_SUPPRESSED] = "suppressed",
    [HL_PATH_ADMIN_DOWN] = "admin-down",
};

const char *hl_path_state_name(enum hl_path_state s)
{
    return ((int)s >= 0 && s < HL_PATH_STATE_MAX) ? state_names[s] : "unknown";
}

static bool usable(enum hl_path_state s)
{
    return s == HL_PATH_UP || s == HL_PATH_DEGRADED;
}

static bool damp_valid(const struct hl_path_config *cfg)
{
    return cfg->damp_enabled && cfg->damp_half_life_ms > 0 && cfg->damp_reuse > 0;
}

void hl_sm_init(struct hl_path_sm *sm, hl_time_t now)
{
    memset(sm, 0, sizeof(*sm));
    sm->state = HL_PATH_INIT;
    sm->underlying = HL_PATH_INIT;
    sm->since = now;
    sm->started = now;
    sm->penalty_at = now;
    snprintf(sm->cause, sizeof(sm->cause), "starting: no verdict yet");
    snprintf(sm->reason, sizeof(sm->reason), "%s", sm->cause);
}

double hl_sm_penalty(const struct hl_path_sm *sm, const struct hl_path_config *cfg, hl_time_t now)
{
    if (!damp_valid(cfg) || sm->penalty <= 0)
        return 0;
    double age = now > sm->penalty_at ? (double)(now - sm->penalty_at) : 0;
    return sm->penalty * exp2(-age / cfg->damp_half_life_ms);
}

/* The penalty's RFC 2439 ceiling: it decays below reuse within max suppress. */
static double penalty_ceiling(const struct hl_path_config *cfg)
{
    return cfg->damp_reuse * exp2((double)cfg->damp_max_suppress_ms / cfg->damp_half_life_ms);
}

/* First ms at which the penalty is below reuse, never after max suppress. */
static hl_time_t release_time(const struct hl_path_sm *sm, const struct hl_path_config *cfg)
{
    hl_time_t cap = sm->penalty_at + cfg->damp_max_suppress_ms;
    if (sm->penalty < cfg->damp_reuse)
        return sm->penalty_at;
    double dt = cfg->damp_half_life_ms * log2(sm->penalty / cfg->damp_reuse);
    hl_time_t t = sm->penalty_at + (hl_time_t)floor(dt) + 1;
    return t < cap ? t : cap;
}

/* A fall from up or degraded to down: a flap, penalised. */
static void flap(struct hl_path_sm *sm, const struct hl_path_config *cfg, hl_time_t now)
{
    sm->flaps++;
    if (!damp_valid(cfg))
        return;
    double p = hl_sm_penalty(sm, cfg, now) + cfg->damp_penalty;
    double ceiling = penalty_ceiling(cfg);
    sm->penalty = p < ceiling ? p : ceiling;
    sm->penalty_at = now;
    if (!sm->suppressed && sm->penalty >= cfg->damp_suppress) {
        sm->suppressed = true;
        sm->suppressed_at = now;
    }
    if (sm->suppressed)
        sm->reuse_at = release_time(sm, cfg);
}

static void transition(struct hl_path_sm *sm, const struct hl_path_config *cfg,
                       enum hl_path_state to, hl_time_t now)
{
    enum hl_path_state from = sm->underlying;
    if (to == from)
        return;
    if (usable(from) && to == HL_PATH_DOWN)
        flap(sm, cfg, now);
    if (!usable(from) && usable(to)) {
        sm->good = true;
        sm->good_since = now;
        /* failback waits; a path's first good run since start does not */
        sm->eligible_at = sm->was_usable ? now + cfg->min_good_ms : now;
        sm->was_usable = true;
    }
    if (!usable(to))
        sm->good = false;
    sm->underlying = to;
}

static void set_cause(struct hl_path_sm *sm, const char *prefix, const struct hl_verdict *v,
                      unsigned extra_key)
{
    struct hl_text t;
    hl_text_init(&t, sm->cause, sizeof(sm->cause));
    hl_text_add(&t, "%s%s", prefix, v->text);
    sm->key = v->key | extra_key;
}

static void soft(struct hl_path_sm *sm, const struct hl_path_config *cfg,
                 const struct hl_verdict *v, hl_time_t now)
{
    if (sm->underlying == HL_PATH_DOWN) {
        sm->holding = false;
        set_cause(sm, "", v, 0);
        return;
    }
    if (!sm->holding) {
        sm->holding = true;
        sm->bad_since = now;
    }
    if (hl_elapsed(now, sm->bad_since) >= cfg->hold_down_ms) {
        sm->holding = false;
        transition(sm, cfg, HL_PATH_DOWN, now);
        set_cause(sm, "", v, 0);
        return;
    }
    if (sm->underlying != HL_PATH_INIT)
        transition(sm, cfg, v->degrading ? HL_PATH_DEGRADED : HL_PATH_UP, now);
    set_cause(sm, "hold-down: ", v, HL_K_HOLD);
}

/* No verdict: init ends with the startup grace, others keep their state
 * (but an application fault makes an up path degraded). */
static void no_verdict(struct hl_path_sm *sm, const struct hl_path_config *cfg,
                       const struct hl_verdict *v, hl_time_t now)
{
    if (sm->underlying == HL_PATH_INIT && hl_elapsed(now, sm->started) >= cfg->startup_grace_ms) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix),
                 "no verdict within the %u ms startup grace: ", cfg->startup_grace_ms);
        transition(sm, cfg, HL_PATH_DOWN, now);
        set_cause(sm, prefix, v, HL_K_GRACE);
    } else if (sm->underlying == HL_PATH_INIT || sm->underlying == HL_PATH_DOWN) {
        set_cause(sm, "", v, 0);
    } else if (v->degrading) {
        /* an application fault while waiting for BFD: usable, degraded */
        transition(sm, cfg, HL_PATH_DEGRADED, now);
        set_cause(sm, "", v, 0);
    }
}

static void apply(struct hl_path_sm *sm, const struct hl_path_config *cfg,
                  const struct hl_verdict *v, hl_time_t now)
{
    switch (v->kind) {
    case HL_V_HARD:
        sm->holding = false;
        transition(sm, cfg, HL_PATH_DOWN, now);
        set_cause(sm, "", v, 0);
        break;
    case HL_V_SOFT:
        soft(sm, cfg, v, now);
        break;
    case HL_V_DEGRADED:
    case HL_V_GOOD:
        sm->holding = false;
        transition(sm, cfg, v->kind == HL_V_GOOD ? HL_PATH_UP : HL_PATH_DEGRADED, now);
        set_cause(sm, "", v, 0);
        break;
    default:
        no_verdict(sm, cfg, v, now);
        break;
    }
}

static void damp_reason(struct hl_path_sm *sm, const struct hl_path_config *cfg, hl_time_t now)
{
    struct hl_text t;
    double p = hl_sm_penalty(sm, cfg, now);
    hl_time_t left = sm->reuse_at > now ? sm->reuse_at - now : 0;
    hl_text_init(&t, sm->reason, sizeof(sm->reason));
    hl_text_add(&t, "dampened: penalty %.0f %s suppress %u", floor(p),
                p >= cfg->damp_suppress ? ">=" : "<", cfg->damp_suppress);
    if (sm->reuse_at == sm->penalty_at + cfg->damp_max_suppress_ms)
        hl_text_add(&t, ", released in ~%llu s (max suppress %u s)",
                    (unsigned long long)((left + 999) / 1000), cfg->damp_max_suppress_ms / 1000);
    else
        hl_text_add(&t, ", reuse below %u in ~%llu s", cfg->damp_reuse,
                    (unsigned long long)((left + 999) / 1000));
}

bool hl_sm_step(struct hl_path_sm *sm, const struct hl_path_config *cfg, const struct hl_obs *obs,
                hl_time_t now)
{
    enum hl_path_state old_state = sm->state;
    unsigned old_key = sm->key;
    struct hl_verdict v;

    hl_classify(sm, cfg, obs, now, &v);
    apply(sm, cfg, &v, now);
    if (sm->suppressed && (!damp_valid(cfg) || now >= sm->reuse_at))
        sm->suppressed = false;

    if (obs->admin_down) {
        sm->state = HL_PATH_ADMIN_DOWN;
        snprintf(sm->reason, sizeof(sm->reason), "admin-down (operator)");
    } else if (sm->suppressed) {
        sm->state = HL_PATH_SUPPRESSED;
        damp_reason(sm, cfg, now);
    } else {
        sm->state = sm->underlying;
        memcpy(sm->reason, sm->cause, sizeof(sm->reason));
    }
    if (sm->state != old_state)
        sm->since = now;

    bool el = hl_sm_eligible(sm, cfg, now);
    bool changed = sm->state != old_state || sm->key != old_key || el != sm->last_eligible;
    sm->last_eligible = el;
    return changed;
}

bool hl_sm_eligible(const struct hl_path_sm *sm, const struct hl_path_config *cfg, hl_time_t now)
{
    switch (sm->state) {
    case HL_PATH_INIT:
        return hl_elapsed(now, sm->started) < cfg->startup_grace_ms;
    case HL_PATH_UP:
    case HL_PATH_DEGRADED:
        return now >= sm->eligible_at;
    default:
        return false;
    }
}

static void earliest(hl_time_t *best, hl_time_t t, hl_time_t now)
{
    if (t > now && (*best == 0 || t < *best))
        *best = t;
}

hl_time_t hl_sm_next_deadline(const struct hl_path_sm *sm, const struct hl_path_config *cfg,
                              hl_time_t now)
{
    hl_time_t best = 0;
    if (sm->holding)
        earliest(&best, sm->bad_since + cfg->hold_down_ms, now);
    if (sm->underlying == HL_PATH_INIT || (sm->key & HL_K_WAIT_BFD))
        earliest(&best, sm->started + cfg->startup_grace_ms, now);
    if (sm->good)
        earliest(&best, sm->eligible_at, now);
    if (sm->suppressed)
        earliest(&best, sm->reuse_at, now);
    return best;
}
