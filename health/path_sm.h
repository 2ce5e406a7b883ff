/*
 * path_sm: the state machine of one path (pure: no sockets, threads or
 * clocks; time is an argument). docs/health.md has the diagram.
 *
 *  - link down, neighbour FAILED, BFD leaving Up, SA down: down at once;
 *  - echo loss at or above down_loss_pct: down after hold_down_ms;
 *  - an SLA threshold (loss, RTT, jitter) breached: degraded;
 *  - a path that recovers must stay good for min_good_ms before it is
 *    eligible to carry traffic again (hl_sm_eligible);
 *  - every fall from a usable state adds the dampening penalty, which decays
 *    with half_life_ms; at or above suppress the path is suppressed until the
 *    penalty decays below reuse (never longer than max_suppress_ms);
 *  - admin-down wins over everything.
 *
 * Threading: none; the caller serialises (the health thread).
 */
#ifndef TUNNELD_PATH_SM_H
#define TUNNELD_PATH_SM_H

#include <stdbool.h>
#include <stddef.h>

#include "health_types.h"

struct hl_path_config {
    double sla_loss_pct;    /* degraded at or above; 0: none */
    uint32_t sla_rtt_ms;    /* degraded above; 0: none */
    uint32_t sla_jitter_ms; /* degraded above; 0: none */
    double down_loss_pct;   /* down (after hold-down) at or above */
    uint32_t hold_down_ms;
    uint32_t min_good_ms;
    bool damp_enabled;
    uint32_t damp_penalty, damp_suppress, damp_reuse;
    uint32_t damp_half_life_ms, damp_max_suppress_ms;
};

struct hl_path_sm {
    enum hl_path_state state;
    char reason[192];   /* why it is in this state, plain words */
    hl_time_t since;    /* when it entered the state */
    hl_time_t good_since; /* start of the current good run (0: not good) */
    hl_time_t bad_since;  /* start of the current hold-down (0: none) */
    double penalty;       /* dampening penalty at penalty_at */
    hl_time_t penalty_at;
    hl_time_t suppressed_at;
    enum hl_path_state underlying; /* what the path would be without suppression */
    uint32_t flaps;
};

void hl_sm_init(struct hl_path_sm *sm, hl_time_t now);
/* Feeds one observation; true when state, reason or eligibility changed. */
bool hl_sm_step(struct hl_path_sm *sm, const struct hl_path_config *cfg, const struct hl_obs *obs,
                hl_time_t now);
/* May the path carry traffic now (up or degraded, good time served)? */
bool hl_sm_eligible(const struct hl_path_sm *sm, const struct hl_path_config *cfg, hl_time_t now);
/* The next time hl_sm_step must run even without a new observation
 * (hold-down end, good time served, penalty below reuse), 0 for none. */
hl_time_t hl_sm_next_deadline(const struct hl_path_sm *sm, const struct hl_path_config *cfg,
                              hl_time_t now);
double hl_sm_penalty(const struct hl_path_sm *sm, const struct hl_path_config *cfg, hl_time_t now);
const char *hl_path_state_name(enum hl_path_state s); /* "up", "degraded", ..., "admin-down" */

#endif
