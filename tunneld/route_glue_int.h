/*
 * route_glue_int: the route glue's private state, shared by its three files:
 *  - route_glue.c         configuration: start, reload, stop, tunneld -n
 *                         (main thread);
 *  - route_glue_thread.c  the binding thread ("route glue"): the engine's
 *                         events, SA states to health, health's decisions
 *                         and DPD requests to the engine and to charon;
 *  - route_glue_status.c  the "routes" and "paths" documents (the control
 *                         server's thread).
 *
 * Threading: `lock` guards paths, up, problems, model, the pending
 * decisions and DPD requests; it is held only for copies (never across
 * netlink I/O, health calls that wait, or charon). `hlock` guards the
 * health pointer for the threads that hand health observations (the
 * engine's event callback among them, which may run inside any engine
 * call: hlock is never held across one); order: lock, then hlock. `eng` serialises itself;
 * `health` takes its own locks.
 */
#ifndef TUNNELD_ROUTE_GLUE_INT_H
#define TUNNELD_ROUTE_GLUE_INT_H

#include <pthread.h>

#include <threading/thread.h>

#include "app_glue.h"
#include "health.h"
#include "route_conf.h"
#include "route_glue.h"
#include "routes.h"

#define RG_NS           "tunneld.routes"
#define RG_MAX_PROBLEMS 8 /* kept per apply; the log has all of them */

/* a decision of health waiting for the glue thread (the latest per site) */
typedef struct rg_decision {
    struct rg_decision *next;
    char *site;
    size_t n_paths;
    char **paths;
    struct hl_choice choice;
} rg_decision_t;

/* a DPD request waiting for the glue thread */
typedef struct rg_dpd {
    struct rg_dpd *next;
    char *site, *path;
} rg_dpd_t;

struct route_glue {
    sa_table_t *table;
    struct routes_engine *eng;
    struct health *health; /* written under hlock (main thread); read under it elsewhere */
    pthread_mutex_t hlock; /* never held across a call into the engine (its events) */
    uint32_t table_id;     /* the running engine's table and protocol */
    uint8_t protocol;
    uint32_t probe_table_base, probe_mark_base, probe_rule_priority; /* the running engine's */
    bool fail_closed; /* the running engine's fail_closed */
    bool flush_cli;   /* --flush-on-exit */
    thread_t *thread; /* strongSwan's thread_t: its logging knows the thread */
    int wake;         /* eventfd: SA states changed, decisions or DPD requests pending */
    int stop;         /* eventfd: leave */
    pthread_mutex_t lock;
    route_path_conf_t *paths;
    size_t n_paths;
    int *up; /* last SA verdict handed to health per path: -1 none yet */
    struct sm_model model;
    rg_decision_t *decisions;
    bool hold; /* a reload runs: decisions wait for the engine's new state */
    rg_dpd_t *dpds;
    struct routes_state *st; /* the state last applied (main thread only) */
    char *problems[RG_MAX_PROBLEMS];
    size_t n_problems;
    app_glue_t *app; /* issue 10: checks and posture (main thread; app_glue.h locks its own) */
    bool flush;      /* routes flushed at exit (--flush-on-exit or flush_on_exit) */
};

/* route_glue_thread.c */
bool rg_thread_start(route_glue_t *g, char *err, size_t errlen);
void rg_thread_stop(route_glue_t *g);
void rg_wake(void *ctx); /* the SA table's notify hook (any thread, never blocks) */
void rg_sync_sa(route_glue_t *g);
int rg_child_up(const sa_ike_rec_t *rows, size_t n, const route_path_conf_t *p);
const sa_child_rec_t *rg_child_row(const sa_ike_rec_t *rows, size_t n, const char *conn,
                                   const char *child);
extern const struct health_callbacks rg_health_callbacks; /* ctx: the glue */
void rg_pending_free(route_glue_t *g);
void rg_event(const struct routes_event *ev, void *ctx);

/* route_glue_app.c (issue 10) */
bool rg_app_check(const struct sm_model *m, const char *file, const char *swanctl, char *err,
                  size_t errlen);
bool rg_app_up(route_glue_t *g, const struct sm_model *m, const char *file, const char *swanctl,
               char *err, size_t errlen);
void rg_app_stop(route_glue_t *g, bool flush);

/* route_glue_checks.c (issue 10): the check rows of the paths document */
struct paths_doc;
struct paths_site;
struct health_path_snap;
struct paths_path;
typedef struct rg_checks_rows rg_checks_rows_t;
/* NULL when out of memory; g NULL: nothing */
rg_checks_rows_t *rg_checks_rows(route_glue_t *g, struct paths_doc *doc);
/* the groups and checks of site (the model's) into o; false: out of memory */
bool rg_checks_site(rg_checks_rows_t *r, const struct sm_site *m, struct paths_site *o);
void rg_checks_path(const struct health_path_snap *s, struct paths_path *o);
void rg_checks_rows_free(rg_checks_rows_t *r, struct paths_doc *doc);

/* route_glue.c */
void rg_problems_clear(route_glue_t *g);
void rg_problem_add(route_glue_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *rg_start_problem_lock(void); /* returns with the start lock held */
void rg_start_problem_unlock(void);

#endif
