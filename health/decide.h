/*
 * decide: the per-site choice of paths, a pure function of (the paths'
 * states, the previous choice, the time). No sockets, threads or clocks.
 *
 * Rule (docs/health.md): among eligible paths, those up are preferred to
 * those degraded; within that, the lowest priority value; paths sharing it
 * form an ECMP set with their weights (a degraded set is ordered by loss,
 * then RTT). A pinned path is used whenever its link is up, whatever its
 * health. When no path is eligible the site fails closed (empty choice: the
 * route engine's blackhole) or, with keep_last, keeps its previous choice.
 * The output also ranks every path, so that the route engine can move the
 * site at once on a link loss, before the next decision.
 *
 * Threading: none; the caller serialises (the health thread).
 */
#ifndef TUNNELD_DECIDE_H
#define TUNNELD_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health_types.h"

#define HL_MAX_PATHS 16 /* = ROUTES_MAX_PATHS */

struct hl_decide_path {
    const char *name;
    unsigned priority, weight;
    enum hl_path_state state;
    bool eligible;      /* hl_sm_eligible() */
    bool link_up;
    double loss_pct, rtt_ms;
    const char *reason; /* the state machine's reason */
};

struct hl_choice {
    uint32_t active;                 /* bit i: path i carries traffic */
    bool usable[HL_MAX_PATHS];       /* for the route engine's ranking */
    unsigned rank[HL_MAX_PATHS];     /* lower first; equal ranks are ECMP */
    bool kept_last;                  /* keep_last held a path nothing vouches for */
    bool pinned;
};

struct hl_decide_in {
    const char *site;
    const struct hl_decide_path *paths;
    size_t n_paths;
    bool keep_last;
    int pinned;                 /* path index pinned by the operator, -1 none */
    const struct hl_choice *prev; /* NULL at start */
    hl_time_t now;
};

/* Fills out; returns true when the active set changed, with reason set to
 * the event text, e.g. "site azure-westeurope: er-cmr -> vpn (er-cmr: BFD
 * down, diag 1 control detection time expired)". */
bool hl_decide(const struct hl_decide_in *in, struct hl_choice *out, char *reason,
               size_t reason_len);

/* A bounded history of decisions per site (oldest dropped). */
struct hl_history;
struct hl_history_entry {
    hl_time_t at;      /* monotonic ms */
    int64_t wall;      /* CLOCK_REALTIME seconds */
    char text[320];
};
struct hl_history *hl_history_new(size_t capacity);
void hl_history_free(struct hl_history *h);
void hl_history_add(struct hl_history *h, hl_time_t at, int64_t wall, const char *text);
/* Copies up to max newest-last entries; returns how many. */
size_t hl_history_get(const struct hl_history *h, struct hl_history_entry *out, size_t max);

#endif
