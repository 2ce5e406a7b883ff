/*
 * health: the path health runtime (library tunneld_health). One libev loop
 * in one dedicated thread ("health") runs, for every configured path, its
 * BFD session (bfd.h) and echo probe (echo.h), its state machine (path_sm.h)
 * and, per site, the decision (decide.h). It knows nothing of netlink
 * routes, charon or tunneld's settings: tunneld/ converts the site model
 * into struct health_config, feeds observations in and applies the
 * decisions it hands out.
 *
 * DOC: which file holds what, which thread runs which function
 *  - health.c       the public functions (any thread but where said), the
 *                   queue of observations (one short mutex) and the ev_async
 *                   that wakes the loop, the thread itself;
 *  - health_conf.c  a configuration applied on the health thread: paths kept
 *                   (their BFD sessions and echo probes keep running), added
 *                   and removed, all or nothing;
 *  - health_eval.c  health thread: an observation -> the path's state
 *                   machine -> its site's decision -> on_decision; the one
 *                   deadline timer; on-demand DPD requests;
 *  - health_snap.c  the published copy of the state (written by the health
 *                   thread under the snapshot lock) and health_snapshot()
 *                   (any thread: a deep copy under the same lock).
 *
 * Data flows one way: observations in (health_observe_*, health_pin,
 * health_release, health_set_admin: they only enqueue), decisions out
 * (on_decision, on_dpd: called on the health thread; they must only copy and
 * enqueue, never block nor call back into health), status as a copy.
 *
 * Threading: health_start, health_reload and health_stop are called by one
 * thread (tunneld's main thread); health_reload and health_start wait for
 * the health thread to apply the configuration (bounded by the time it
 * takes to open the probes' sockets, never by the network). The observation
 * and operator functions and health_snapshot may be called from any thread
 * (charon's workers included): they take one short mutex and never wait for
 * the health thread. Callbacks run on the health thread.
 */
#ifndef TUNNELD_HEALTH_H
#define TUNNELD_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bfd.h"
#include "decide.h"
#include "echo.h"
#include "health_types.h"
#include "path_sm.h"

/* One path. Strings are copied by health_start/health_reload. */
struct health_path_cfg {
    const char *name;
    unsigned priority, weight;
    bool sa_bound;       /* a VPN path: down whenever its CHILD_SA is not installed */
    bool dpd_on_failure; /* sa_bound: on_dpd when the probes fail while the SA is up */
    bool nexthop;        /* the path has a next hop whose neighbour entry is watched */
    struct hl_path_config sm;
    bool bfd_on;
    struct bfd_session_config bfd;
    bool echo_on;
    struct echo_config echo;
    /* added by issue 10: an application checks fault makes the path down
     * after the hold-down (true) or degraded (false, the default); either
     * this or sm.app_down set means true */
    bool app_down;
};

struct health_site_cfg {
    const char *name;
    bool keep_last; /* when every path is down: keep the last choice (else fail closed) */
    const struct health_path_cfg *paths;
    size_t n_paths; /* at most HL_MAX_PATHS */
};

struct health_config {
    const struct health_site_cfg *sites;
    size_t n_sites;
};

/*
 * A site's decision, handed out whenever its active set, its ranking or its
 * usable paths change (and once per site after a configuration is applied).
 * paths[i] names choice->rank[i], choice->usable[i] and bit i of active.
 * reason is the event text when the active set changed, else "".
 */
struct health_decision {
    const char *site;
    const char *const *paths;
    size_t n_paths;
    const struct hl_choice *choice;
    const char *reason;
};

struct health_callbacks {
    void (*on_decision)(const struct health_decision *d, void *ctx);
    /* a VPN path with dpd_on_failure: its probes fail while its SA looks up
     * (at most once per detect period per path) */
    void (*on_dpd)(const char *site, const char *path, void *ctx);
    void (*log)(int level, const char *msg, void *ctx); /* 0 err .. 3 debug */
    void *ctx;
    size_t history; /* decisions kept per site, 0: 32 */
    /* How the health thread is started and joined; NULL: pthread_create and
     * pthread_join. (tunneld passes strongSwan's thread_create, so that its
     * logging knows the thread and frees what it keeps for it.) spawn
     * returns a handle or NULL; join frees it. */
    void *(*spawn)(void *(*fn)(void *), void *arg);
    void (*join)(void *handle);
};

struct health;

/* Starts the thread and applies cfg. NULL with err set ("site 'x' path 'y':
 * bfd: ...") when a probe cannot be made or the thread cannot start. */
struct health *health_start(const struct health_config *cfg, const struct health_callbacks *cb,
                            char *err, size_t errlen);
/*
 * Applies cfg, all or nothing: paths whose probe settings are unchanged keep
 * their BFD sessions and echo probes (and state); changed ones are made new;
 * removed ones are freed. false with err set: nothing changed.
 */
bool health_reload(struct health *h, const struct health_config *cfg, char *err, size_t errlen);
/* Added (issue 9 fix): what health_start would refuse of cfg without making a
 * probe (names, path counts, echo values); false with err set. A dry run
 * before anything else of a start changes the kernel. */
bool health_check_config(const struct health_config *cfg, char *err, size_t errlen);
/* Stops the thread, frees every probe (BFD sends AdminDown). NULL: no-op. */
void health_stop(struct health *h);

/* Observations (any thread; never wait). Unknown site/path: -1. */
int health_observe_sa(struct health *h, const char *site, const char *path, bool up);
int health_observe_link(struct health *h, const char *site, const char *path, bool up);
int health_observe_neigh(struct health *h, const char *site, const char *path, bool failed);
/*
 * Added by issue 10: the application checks' verdict on a path (checks.h
 * on_path): ok, or a fault of the path named by reason (copied; NULL or ""
 * is shown as "no reason given"; control bytes and bytes that are not UTF-8
 * become '?', more than
 * HL_APP_REASON_MAX bytes are cut with a visible " [...]"). The verdict
 * stays until the next one, and across reloads for kept paths. -1: unknown
 * site or path (or out of memory).
 */
int health_observe_app(struct health *h, const char *site, const char *path, bool ok,
                       const char *reason);

/* Operator (any thread; never wait). Unknown site/path: -1 with err set. */
int health_pin(struct health *h, const char *site, const char *path, char *err, size_t errlen);
int health_release(struct health *h, const char *site, char *err, size_t errlen);
int health_set_admin(struct health *h, const char *site, const char *path, bool down, char *err,
                     size_t errlen);

/* Hands every site's current decision out again (any thread; never waits):
 * the caller's engine state was replaced (a reload it undid). */
int health_announce(struct health *h);

/* A copy of the state (any thread). Strings are the snapshot's own. */
struct health_path_snap {
    char *name;
    unsigned priority, weight;
    enum hl_path_state state;
    char *reason;
    hl_time_t since;            /* monotonic ms of the last state change */
    hl_time_t eligible_at;      /* a good run: may carry traffic from then (0: not in one) */
    uint64_t good_remaining_ms; /* until eligible_at, as of the snapshot's now */
    bool eligible, active, admin_down;
    double penalty;
    uint32_t flaps;
    int link, neigh_failed, sa_up; /* as struct hl_obs */
    bool bfd_on, echo_on;
    struct hl_bfd_status bfd;
    struct hl_echo_stats echo;
    uint64_t dpd_requests; /* on_dpd calls for this path */
    /* added by issue 10: the application checks' verdict: 1 ok, 0 a fault
     * of the path (app_reason says which), -1 no verdict yet (no effect) */
    int app_ok;
    char *app_reason; /* app_ok 0: the fault in plain words; else NULL */
};

struct health_event {
    hl_time_t at; /* monotonic ms */
    int64_t wall; /* CLOCK_REALTIME seconds */
    char *text;
};

struct health_site_snap {
    char *name;
    bool keep_last, kept_last;
    int pinned; /* path index, -1 none */
    struct health_path_snap *paths;
    size_t n_paths;
    struct health_event *history; /* oldest first */
    size_t n_history;
    uint64_t history_lost; /* events the history could not keep (out of memory) */
};

struct health_snapshot {
    hl_time_t now; /* monotonic ms when copied (figures such as the penalty are as of the
                      last publication: at most a second old) */
    int64_t wall;  /* CLOCK_REALTIME seconds at the same moment as now */
    struct health_site_snap *sites;
    size_t n_sites;
};

/* 0, or -1 (out of memory: out is empty). h NULL: an empty snapshot. */
int health_snapshot(struct health *h, struct health_snapshot *out);
void health_snapshot_free(struct health_snapshot *s);

hl_time_t health_now(void); /* CLOCK_MONOTONIC ms */

#endif
