/*
 * path_sm: the state machine of one path (pure: no sockets, threads or
 * clocks; time is an argument). docs/health.md has the diagram.
 *
 *  - link down, neighbour FAILED, BFD leaving Up, SA down: down at once;
 *  - echo loss at or above down_loss_pct: down after hold_down_ms;
 *  - an SLA threshold (loss, RTT, jitter) breached: degraded;
 *  - an application checks fault (issue 10): degraded, or with app_down
 *    down after hold_down_ms (degraded while it runs);
 *  - a path that recovers must stay good for min_good_ms before it is
 *    eligible to carry traffic again (hl_sm_eligible);
 *  - every fall from a usable state adds the dampening penalty, which decays
 *    with half_life_ms; at or above suppress the path is suppressed until the
 *    penalty decays below reuse (never longer than max_suppress_ms);
 *  - admin-down wins over everything;
 *  - init (no verdict yet) may carry traffic during a bounded startup grace,
 *    so that a restart does not blackhole sites while BFD comes up; without
 *    a verdict when the grace ends, the path is down.
 *
 * Reasons are plain words naming the probe and the figure ("loss 23% >= 10%
 * (SLA)", "SA down (azure.sensors)", "dampened: penalty 3120 >= suppress
 * 3000, reuse below 750 in ~31 s"). Figures are refreshed on every step;
 * hl_sm_step reports a change only when the state, the eligibility or the
 * kind of cause changes (not when loss goes from 23% to 24%).
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
    /* added by the decide part (issue 9) */
    uint32_t startup_grace_ms; /* init may carry traffic this long (HL_STARTUP_GRACE_MS) */
    const char *sa_name;       /* VPN: "<conn>.<child>" for reasons, NULL none */
    const char *next_hop;      /* literal for "next hop X FAILED (ARP/ND)", NULL none */
    /* added by issue 10: what an application checks fault (hl_obs.app_ok 0)
     * does: false (default) degraded; true down after hold_down_ms, like
     * echo loss at down_loss_pct (degraded while the hold-down runs) */
    bool app_down;
};

#define HL_STARTUP_GRACE_MS 15000u /* documented default of startup_grace_ms */
#define HL_SA_NAME_MAX      127    /* bytes of cfg->sa_name ("<conn>.<child>", 63 + 1 + 63) */
#define HL_NEXT_HOP_MAX     45     /* bytes of cfg->next_hop (INET6_ADDRSTRLEN - 1) */
/* Bytes of hl_obs.app_reason quoted whole (CHECKS_REASON_MAX - 1); the
 * runtime cuts a longer one visibly (health_observe_app). */
#define HL_APP_REASON_MAX 255
/* = sizeof(struct hl_path_sm.reason): the longest reason (a hold-down, the
 * loss and an app reason of HL_APP_REASON_MAX, or three SLA breaches and
 * the app reason) fits whole. */
#define HL_REASON_MAX 512

struct hl_path_sm {
    enum hl_path_state state;
    char reason[HL_REASON_MAX]; /* why it is in this state, plain words */
    hl_time_t since;            /* when it entered the state */
    hl_time_t good_since;       /* start of the current good run (0: not good) */
    hl_time_t bad_since;        /* start of the current hold-down (0: none) */
    double penalty;             /* dampening penalty at penalty_at */
    hl_time_t penalty_at;
    hl_time_t suppressed_at;
    enum hl_path_state underlying; /* what the path would be without suppression */
    uint32_t flaps;
    /* added by the decide part (issue 9) */
    char cause[HL_REASON_MAX]; /* the underlying state's reason (shown by reason
                                  unless admin-down or suppressed) */
    hl_time_t started;         /* hl_sm_init's now: start of the startup grace */
    hl_time_t eligible_at;     /* up or degraded: may carry traffic from then */
    hl_time_t reuse_at;        /* suppressed: released at this time */
    bool holding;              /* a hold-down runs since bad_since */
    bool good;                 /* a good run (up or degraded) since good_since */
    bool was_usable;           /* has been up or degraded since start */
    bool suppressed;
    bool last_eligible; /* hl_sm_eligible at the last step */
    unsigned key;       /* what the cause is made of (change detection) */
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

/* Added by the decide part (issue 9). */
/* Fills cfg with the documented defaults (docs/health.md). */
void hl_path_config_defaults(struct hl_path_config *cfg);
/* 0, or -1 with err naming the field and what was expected (reuse below
 * suppress, a half-life, a penalty ceiling above suppress, names that fit
 * the reasons whole). hl_sm_step never truncates a name of a checked config. */
int hl_path_config_check(const struct hl_path_config *cfg, char *err, size_t errlen);
/* RFC 5880 section 4.1 text of a diagnostic: "control detection time expired" */
const char *hl_bfd_diag_text(enum hl_bfd_diag d);

#endif
