/*
 * decide: the per-site choice of paths, a pure function of (the paths'
 * states, the previous choice, the time). No sockets, threads or clocks.
 *
 * Rule (docs/health.md): among eligible paths, those up are preferred to
 * those degraded, and those degraded by their SLA figures to those degraded
 * by an application checks fault (issue 10); within that, the lowest
 * priority value; paths sharing it
 * form an ECMP set with their weights (a degraded set is ordered by loss,
 * then RTT). A pinned path is used whenever its link is up, whatever its
 * health. When no path is eligible the site fails closed (empty choice: the
 * route engine's blackhole) or, with keep_last, keeps its previous choice.
 * The output also ranks every path, so that the route engine can move the
 * site at once on a link loss, before the next decision.
 *
 * Refinements (docs/health.md): a path in init during its startup grace
 * ranks with those up; a degraded set keeps its current path unless another
 * is clearly better (HL_DEGRADED_LOSS_MARGIN, HL_DEGRADED_RTT_MARGIN), so
 * that small changes do not flip-flop the site; when nothing is eligible, a
 * recovered path still serving its min good time is taken at once (early);
 * a pin is in effect while the pinned path's link is up and it is not
 * admin-down; keep_last keeps the previous paths whose link is still up.
 *
 * Threading: none; the caller serialises (the health thread).
 */
#ifndef TUNNELD_DECIDE_H
#define TUNNELD_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health_types.h"

#define HL_MAX_PATHS            16   /* = ROUTES_MAX_PATHS */
#define HL_DEGRADED_LOSS_MARGIN 5.0  /* percentage points */
#define HL_DEGRADED_RTT_MARGIN  20.0 /* percent of the best RTT, at least 10 ms */

struct hl_decide_path {
    const char *name;
    unsigned priority, weight;
    enum hl_path_state state;
    bool eligible; /* hl_sm_eligible() */
    bool link_up;
    double loss_pct, rtt_ms;
    const char *reason; /* the state machine's reason */
    /* added by issue 10: degraded (also) by an application checks fault: it
     * ranks after the paths degraded only by their SLA figures */
    bool app_fault;
};

struct hl_choice {
    uint32_t active;             /* bit i: path i carries traffic */
    bool usable[HL_MAX_PATHS];   /* for the route engine's ranking */
    unsigned rank[HL_MAX_PATHS]; /* lower first; equal ranks are ECMP */
    bool kept_last;              /* keep_last held a path nothing vouches for */
    bool pinned;
    /* added by the decide part (issue 9) */
    unsigned weight[HL_MAX_PATHS]; /* ECMP weight of each active path, 0 when inactive */
    bool early;                    /* a recovered path taken before its min good time:
                                      nothing else was eligible */
};

/*
 * Longest event text hl_decide writes: a site name and two path sets of
 * HL_MAX_PATHS names of SM_NAME_MAX (63) bytes, the reasons of two paths
 * (HL_REASON_MAX, 512) and the words around them. A smaller buffer gets the
 * text cut with a visible " [...]" at its end, never silently.
 */
#define HL_EVENT_TEXT_MAX 4096

struct hl_decide_in {
    const char *site;
    const struct hl_decide_path *paths;
    size_t n_paths;
    bool keep_last;
    int pinned;                   /* path index pinned by the operator, -1 none */
    const struct hl_choice *prev; /* NULL at start */
    hl_time_t now;
};

/* Fills out; returns true when the active set changed (or, added: the first
 * decision, or kept_last or pinned changed), with reason set to
 * the event text, e.g. "site azure-westeurope: er-cmr -> vpn (er-cmr: BFD
 * down, diag 1 control detection time expired)". */
bool hl_decide(const struct hl_decide_in *in, struct hl_choice *out, char *reason,
               size_t reason_len);

/* A bounded history of decisions per site (oldest dropped). */
struct hl_history;
struct hl_history_entry {
    hl_time_t at; /* monotonic ms */
    int64_t wall; /* CLOCK_REALTIME seconds */
    char text[HL_EVENT_TEXT_MAX];
};
struct hl_history *hl_history_new(size_t capacity);
void hl_history_free(struct hl_history *h);
void hl_history_add(struct hl_history *h, hl_time_t at, int64_t wall, const char *text);
/* Copies up to max newest-last entries; returns how many. */
size_t hl_history_get(const struct hl_history *h, struct hl_history_entry *out, size_t max);

/* Added by the decide part (issue 9). Entries held now; the i-th oldest
 * without a copy (NULL past the end; valid until the next add); entries
 * lost because memory ran out (never silently: status shows the count). */
size_t hl_history_count(const struct hl_history *h);
const char *hl_history_nth(const struct hl_history *h, size_t i, hl_time_t *at, int64_t *wall);
uint64_t hl_history_lost(const struct hl_history *h);

#endif
