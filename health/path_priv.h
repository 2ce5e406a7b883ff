/*
 * path_priv: what path_sm.c and path_classify.c share (internal to
 * tunneld_health_pure).
 *
 * Threading: none.
 */
#ifndef TUNNELD_PATH_PRIV_H
#define TUNNELD_PATH_PRIV_H

#include "path_sm.h"

/* What one observation says, strongest first. */
enum hl_verdict_kind {
    HL_V_HARD,     /* down at once: link, neighbour, SA, BFD left Up, BFD never up */
    HL_V_SOFT,     /* down after the hold-down: loss at or above down_loss_pct, an app
                      fault with app_down */
    HL_V_WAIT,     /* BFD configured and not Up yet: not usable, no verdict */
    HL_V_DEGRADED, /* an SLA threshold breached, an app fault (without app_down) */
    HL_V_GOOD,
    HL_V_UNKNOWN, /* nothing to judge by yet (echo window filling) */
};

/* Bits of struct hl_path_sm.key: what the cause is made of. */
enum {
    HL_K_LINK = 1u << 0,
    HL_K_NEIGH = 1u << 1,
    HL_K_SA = 1u << 2,
    HL_K_BFD_DOWN = 1u << 3,
    HL_K_BFD_NEVER = 1u << 4,
    HL_K_APP = 1u << 5,
    HL_K_LOSS_DOWN = 1u << 6,
    HL_K_WAIT_BFD = 1u << 7,
    HL_K_WAIT_ECHO = 1u << 8,
    HL_K_LOSS = 1u << 9,
    HL_K_RTT = 1u << 10,
    HL_K_JITTER = 1u << 11,
    HL_K_GOOD_BFD = 1u << 12,
    HL_K_GOOD_ECHO = 1u << 13,
    HL_K_GOOD_SA = 1u << 14,
    HL_K_GOOD_LINK = 1u << 15,
    HL_K_HOLD = 1u << 16,
    HL_K_GRACE = 1u << 17,
};

struct hl_verdict {
    enum hl_verdict_kind kind;
    bool degrading; /* HL_V_SOFT: degraded while the hold-down runs (an SLA breach or an
                       app fault); HL_V_WAIT: an app fault degrades a usable path */
    unsigned key;
    char text[HL_REASON_MAX];
};

/* now - since, 0 when now is earlier (a caller's clock must not wrap a timer) */
static inline hl_time_t hl_elapsed(hl_time_t now, hl_time_t since)
{
    return now > since ? now - since : 0;
}

void hl_classify(const struct hl_path_sm *sm, const struct hl_path_config *cfg,
                 const struct hl_obs *obs, hl_time_t now, struct hl_verdict *v);

#endif
