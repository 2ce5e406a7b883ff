/*
 * engine.c - engine lifetime (open with adoption, close with or without
 * withdrawal), the event loop entry points (fd, timeout, process), repairs,
 * and the deferred delivery of log messages and events.
 *
 * Threading: every public function takes eng->lock for its work, then
 * releases it and delivers queued logs/events in the calling thread, so
 * callbacks may re-enter the engine. The engine starts no thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <netlink/socket.h>

#include "internal.h"

#define RT_REPAIR_RETRY_MS     1000
#define RT_REPAIR_RETRY_MAX_MS 10000

const struct routes_rule_spec rt_default_rules[] = {
    {.family = AF_INET, .priority = ROUTES_DEFAULT_RULE_PRIORITY},
    {.family = AF_INET6, .priority = ROUTES_DEFAULT_RULE_PRIORITY},
};

void routes_options_init(struct routes_options *o)
{
    memset(o, 0, sizeof(*o));
    o->table = ROUTES_DEFAULT_TABLE;
    o->protocol = ROUTES_DEFAULT_PROTOCOL;
    o->nh_id_base = ROUTES_DEFAULT_NH_ID_BASE;
    o->rules = rt_default_rules;
    o->n_rules = RT_N_DEFAULT_RULES;
    o->repair_delay_ms = ROUTES_DEFAULT_REPAIR_MS;
    o->log_level = ROUTES_LOG_INFO;
    o->fail_closed = true;
    o->probe_mark_base = ROUTES_DEFAULT_PROBE_MARK_BASE;
    o->probe_table_base = ROUTES_DEFAULT_PROBE_TABLE_BASE;
    o->probe_rule_priority = ROUTES_DEFAULT_PROBE_RULE_PRIORITY;
}

uint64_t rt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + 1;
}

/* rule and table notifications come in bursts: one check 200 ms after
 * the first (a storm costs one check every 200 ms, never starves it) */
#define RT_SHADOW_DELAY_MS 200

void rt_schedule_shadow(struct routes_engine *eng)
{
    if (!eng->shadow_due_ms)
        eng->shadow_due_ms = rt_now_ms() + RT_SHADOW_DELAY_MS;
}

void rt_schedule_repair(struct routes_engine *eng, unsigned delay_ms)
{
    uint64_t due = rt_now_ms() + delay_ms;
    if (!eng->repair_due_ms || due < eng->repair_due_ms)
        eng->repair_due_ms = due;
}

/* ---- deferred callbacks ---------------------------------------------------- */

void rt_log(struct routes_engine *eng, enum routes_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    if ((int)lvl > (int)eng->opts.log_level)
        return;
    if (eng->n_logq == eng->cap_logq) {
        size_t cap = eng->cap_logq ? eng->cap_logq * 2 : 16;
        void *n = realloc(eng->logq, cap * sizeof(*eng->logq));
        if (!n)
            return;
        eng->logq = n;
        eng->cap_logq = cap;
    }
    eng->logq[eng->n_logq].level = (int)lvl;
    va_start(ap, fmt);
    vsnprintf(eng->logq[eng->n_logq].msg, sizeof(eng->logq[0].msg), fmt, ap);
    va_end(ap);
    eng->n_logq++;
}

static void vevent(struct routes_engine *eng, enum routes_event_type type,
                   enum routes_path_cause cause, const char *site, const char *path,
                   const char *ifname, const char *fmt, va_list ap)
{
    struct rt_event_q *q;
    if (eng->n_evq == eng->cap_evq) {
        size_t cap = eng->cap_evq ? eng->cap_evq * 2 : 8;
        struct rt_event_q *n = realloc(eng->evq, cap * sizeof(*n));
        if (!n)
            return;
        eng->evq = n;
        eng->cap_evq = cap;
    }
    q = &eng->evq[eng->n_evq++];
    memset(q, 0, sizeof(*q));
    snprintf(q->site, sizeof(q->site), "%s", site ? site : "");
    snprintf(q->path, sizeof(q->path), "%s", path ? path : "");
    snprintf(q->ifname, sizeof(q->ifname), "%s", ifname ? ifname : "");
    vsnprintf(q->detail, sizeof(q->detail), fmt, ap);
    q->ev.type = type;
    q->ev.cause = cause;
}

void rt_event(struct routes_engine *eng, enum routes_event_type type, const char *site,
              const char *path, const char *ifname, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vevent(eng, type, ROUTES_CAUSE_NONE, site, path, ifname, fmt, ap);
    va_end(ap);
}

void rt_path_event(struct routes_engine *eng, enum routes_event_type type,
                   enum routes_path_cause cause, const char *site, const char *path,
                   const char *ifname, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vevent(eng, type, cause, site, path, ifname, fmt, ap);
    va_end(ap);
}

static void lock(struct routes_engine *eng)
{
    pthread_mutex_lock(&eng->lock);
}

/* Releases the lock, then delivers what was queued under it. */
static void unlock_dispatch(struct routes_engine *eng)
{
    struct rt_event_q *evq = eng->evq;
    size_t n_ev = eng->n_evq;
    __typeof__(eng->logq) logq = eng->logq;
    size_t n_log = eng->n_logq;
    routes_event_fn on_event = eng->opts.on_event;
    routes_log_fn logfn = eng->opts.log;
    void *ectx = eng->opts.event_ctx, *lctx = eng->opts.log_ctx;

    eng->evq = NULL;
    eng->n_evq = eng->cap_evq = 0;
    eng->logq = NULL;
    eng->n_logq = eng->cap_logq = 0;
    pthread_mutex_unlock(&eng->lock);

    for (size_t i = 0; i < n_log; i++) {
        static const char *names[] = {"error", "warning", "info", "debug"};
        if (logfn)
            logfn((enum routes_log_level)logq[i].level, logq[i].msg, lctx);
        else
            fprintf(stderr, "routes %s: %s\n", names[logq[i].level], logq[i].msg);
    }
    for (size_t i = 0; i < n_ev && on_event; i++) {
        struct rt_event_q *q = &evq[i];
        q->ev.site = q->site[0] ? q->site : NULL;
        q->ev.path = q->path[0] ? q->path : NULL;
        q->ev.ifname = q->ifname[0] ? q->ifname : NULL;
        q->ev.detail = q->detail;
        on_event(&q->ev, ectx);
    }
    free(evq);
    free(logq);
}

/* ---- open / close ------------------------------------------------------------ */

static void engine_free(struct routes_engine *eng)
{
    rt_lock_release(&eng->held);
    rt_monitor_close(eng);
    rt_nl_close(&eng->nl);
    for (size_t s = 0; s < eng->n_sites; s++)
        rt_site_clear(&eng->sites[s].spec);
    free(eng->sites);
    free(eng->bypass);
    rt_mirror_free(&eng->m);
    free(eng->want_rules);
    free(eng->evq);
    free(eng->logq);
    routes_result_free(&eng->pass_problems);
    routes_result_free(&eng->rule_problems);
    free(eng->shadow_tables);
    rt_snapshot_free(&eng->found);
    free(eng->nbr);
    free(eng->pk);
    pthread_mutex_destroy(&eng->lock);
    free(eng);
}

int rt_check_options(const struct routes_options *o, struct rt_rule *rules, char *err,
                     size_t errlen)
{
    if (!o->table || (o->table >= 252 && o->table <= 255)) {
        snprintf(err, errlen,
                 "table %u is reserved (expected a dedicated table, not 0/compat/default/main/"
                 "local)",
                 o->table);
        return -EINVAL;
    }
    if (o->protocol <= 4) {
        snprintf(err, errlen,
                 "protocol %u is reserved for the kernel (expected a number above 4, e.g. %u)",
                 o->protocol, ROUTES_DEFAULT_PROTOCOL);
        return -EINVAL;
    }
    if (!o->nh_id_base) {
        snprintf(err, errlen, "nh_id_base must be above 0");
        return -EINVAL;
    }
    for (size_t i = 0; i < o->n_rules; i++) {
        struct rt_rule r;
        if (rt_rule_from_spec(&o->rules[i], o->table, rules ? &rules[i] : &r, err, errlen) < 0)
            return -EINVAL;
    }
    return rt_probe_check_options(o, err, errlen);
}

void routes_set_fail_closed(struct routes_engine *eng, bool on)
{
    lock(eng);
    eng->opts.fail_closed = on;
    pthread_mutex_unlock(&eng->lock);
}

void routes_set_flush_on_exit(struct routes_engine *eng, bool on)
{
    lock(eng);
    eng->opts.flush_on_exit = on;
    pthread_mutex_unlock(&eng->lock);
}

/* The options, the table and protocol lock, the two sockets. */
static int open_sockets(struct routes_engine *eng, const struct routes_options *opts, char *err,
                        size_t errlen)
{
    for (int i = 0; i < 4; i++)
        eng->held.fd[i] = -1;
    eng->opts = *opts;
    eng->opts.rules = NULL;
    eng->opts.n_rules = 0;
    eng->opts.owner = NULL; /* read during the call only */
    if (opts->n_rules) {
        eng->want_rules = calloc(opts->n_rules, sizeof(*eng->want_rules));
        if (!eng->want_rules) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
    }
    if (rt_check_options(opts, eng->want_rules, err, errlen) < 0 ||
        rt_lock_take(&eng->held, opts, err, errlen) < 0)
        return -EINVAL;
    eng->n_want_rules = opts->n_rules;
    eng->n_base_rules = opts->n_rules;
    if (rt_nl_open(&eng->nl, err, errlen) < 0)
        return -EIO;
    /* subscribe before dumping, so nothing changes unseen in between */
    return rt_monitor_open(eng, err, errlen);
}

/* Links, addresses, the table and protocol used by nothing else, then what
 * a previous run left (adopted). */
static int adopt(struct routes_engine *eng, char *err, size_t errlen)
{
    int rc = rt_sync_links(eng);

    if (rc < 0) {
        snprintf(err, errlen, "cannot dump links and addresses: %s", rt_strerror(rc));
        return rc;
    }
    rc = rt_check_conflicts(eng, err, errlen);
    if (rc < 0)
        return rc;
    rc = rt_sync_owned(eng);
    if (rc < 0)
        snprintf(err, errlen, "cannot dump owned nexthops and routes: %s", rt_strerror(rc));
    eng->stats.resyncs = 0;
    return rc;
}

/* No rule of others at our priorities, then ours; rules of others that
 * match everything earlier are standing problems (and warnings). Runs with
 * the engine mutex held. */
static int install_rules(struct routes_engine *eng, char *err, size_t errlen)
{
    struct routes_result res = {0}, before = {0};
    /* no sites yet: the rules that always take traffic (a lookup of main, a
     * blackhole, ...); the sites' own are checked after each apply */
    int rc = rt_rules_shadow_check(eng, NULL, 0, &before, err, errlen);

    if (rc == 0) {
        rt_problems_set(&eng->rule_problems, &before);
        for (size_t i = 0; i < before.n_errors; i++)
            rt_log(eng, ROUTES_LOG_WARN, "%s", before.errors[i].message);
        eng->rules_active = true;
        rc = rt_rules_reconcile(eng, false, &res);
        if (rc < 0)
            snprintf(err, errlen, "%s",
                     res.n_errors ? res.errors[0].message : "cannot install the policy rules");
    }
    routes_result_free(&before);
    routes_result_free(&res);
    return rc < 0 ? rc : 0;
}

int routes_open(struct routes_engine **out, const struct routes_options *opts, char *err,
                size_t errlen)
{
    struct routes_engine *eng = calloc(1, sizeof(*eng));
    int rc;

    *out = NULL;
    if (!eng) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&eng->lock, NULL);
    rt_mirror_init(&eng->m);
    if (open_sockets(eng, opts, err, errlen) < 0 || adopt(eng, err, errlen) < 0) {
        engine_free(eng);
        return -1;
    }
    lock(eng);
    /* what was found, rules included, before anything changes */
    rc = rt_sync_rules(eng);
    if (rc == 0)
        rc = rt_snapshot_take(eng);
    if (rc == 0)
        rc = rt_probe_adopt_rules(eng);
    if (rc < 0)
        snprintf(err, errlen, "cannot record what a previous run left: %s", rt_strerror(rc));
    else if ((rc = install_rules(eng, err, errlen)) < 0) {
        /* a rule it could not install: the ones it did install go too */
        struct routes_result res = {0};
        if (rt_snapshot_rules_back(eng, &res) < 0)
            rt_log(eng, ROUTES_LOG_ERROR,
                   "the policy rules found at open could not all be put "
                   "back");
        routes_result_free(&res);
    }
    if (rc == 0)
        rt_log(eng, ROUTES_LOG_INFO,
               "table %u protocol %u: adopted %zu routes, %zu fail-closed routes and %zu "
               "nexthops left by a previous run",
               eng->opts.table, eng->opts.protocol, eng->m.routes.count, eng->m.fallback.count,
               eng->m.n_nh);
    unlock_dispatch(eng);
    if (rc < 0) {
        engine_free(eng);
        return -1;
    }
    *out = eng;
    return 0;
}

void routes_close(struct routes_engine *eng)
{
    if (!eng)
        return;
    if (eng->opts.flush_on_exit)
        routes_withdraw_all(eng);
    lock(eng);
    if (!eng->opts.flush_on_exit)
        rt_log(eng, ROUTES_LOG_INFO,
               "keeping %zu routes, %zu fail-closed routes and %zu nexthops for the next run",
               eng->m.routes.count, eng->m.fallback.count, eng->m.n_nh);
    unlock_dispatch(eng);
    engine_free(eng);
}

/* ---- event loop ---------------------------------------------------------------- */

int routes_get_fd(struct routes_engine *eng)
{
    return nl_socket_get_fd(eng->mon);
}

int routes_timeout_ms(struct routes_engine *eng)
{
    uint64_t now, due;
    lock(eng);
    due = eng->repair_due_ms;
    if (eng->shadow_due_ms && (!due || eng->shadow_due_ms < due))
        due = eng->shadow_due_ms;
    if (eng->nudge_due_ms && (!due || eng->nudge_due_ms < due))
        due = eng->nudge_due_ms;
    pthread_mutex_unlock(&eng->lock);
    if (!due)
        return -1;
    now = rt_now_ms();
    return due <= now ? 0 : (int)(due - now);
}

/* Brings the mirror up to date after overflows or silent kernel flushes. */
int rt_refresh_mirror(struct routes_engine *eng)
{
    int rc;
    if (eng->links_resync) {
        rc = rt_sync_links(eng);
        if (rc < 0)
            return rc;
        eng->links_resync = false;
        rt_paths_refresh(eng); /* the paths' interfaces, for the neighbours */
        if (rt_sync_neigh(eng) < 0)
            rt_log(eng, ROUTES_LOG_WARN, "cannot dump the neighbour table after an overflow");
        rt_event(eng, ROUTES_EVENT_RESYNC, NULL, NULL, NULL,
                 "notifications were lost: full dump of links, addresses, nexthops and routes");
    }
    rt_paths_refresh(eng);
    if (eng->resync_needed) {
        eng->resync_needed = false;
        eng->nh_resync = false;
        rc = rt_sync_owned(eng);
        if (rc < 0) {
            eng->resync_needed = true;
            return rc;
        }
    } else if (eng->probe_resync) {
        eng->probe_resync = false;
        rc = rt_probe_sync(eng);
        if (rc < 0) {
            eng->resync_needed = true;
            return rc;
        }
    }
    if (!eng->resync_needed && eng->nh_resync) {
        /* a link event: the nexthops alone tell what the kernel dropped,
         * without a dump of every route */
        eng->nh_resync = false;
        rc = rt_sync_nexthops(eng);
        if (rc < 0) {
            eng->resync_needed = true;
            return rc;
        }
    }
    return 0;
}

static void log_errors(struct routes_engine *eng, const struct routes_result *res)
{
    for (size_t i = 0; i < res->n_errors; i++)
        rt_log(eng, ROUTES_LOG_ERROR, "%s", res->errors[i].message);
}

/* Owned rules back as wanted; 0 or a negative errno. */
static int repair_rules(struct routes_engine *eng, struct routes_result *res)
{
    int rc;

    if (!eng->rules_dirty)
        return 0;
    eng->rules_dirty = false;
    rc = rt_rules_reconcile(eng, !eng->rules_active, res);
    if (rc > 0) {
        eng->stats.repairs++;
        rt_event(eng, ROUTES_EVENT_REPAIRED, NULL, NULL, NULL, "restored %d policy rule(s)", rc);
        rc = 0;
    }
    if (rc < 0)
        eng->rules_dirty = true;
    return rc;
}

/* Everything else: one convergence; logs and counts what it changed. */
static int repair_converge(struct routes_engine *eng, struct routes_result *res)
{
    uint64_t before = res->messages;
    uint32_t changed;
    int rc = rt_converge(eng, false, res);

    /* refused requests alone (e.g. a collision) repaired nothing */
    changed = res->routes_set + res->routes_deleted + res->nexthops_added + res->groups_changed +
              res->nexthops_deleted;
    if (res->messages > before && changed) {
        eng->stats.repairs++;
        rt_log(eng, ROUTES_LOG_WARN,
               "repaired: %u route(s) set, %u deleted, %u nexthop(s) added, %u group(s) "
               "changed, %u nexthop(s) deleted (%llu requests)",
               res->routes_set, res->routes_deleted, res->nexthops_added, res->groups_changed,
               res->nexthops_deleted, (unsigned long long)(res->messages - before));
        rt_event(eng, ROUTES_EVENT_REPAIRED, NULL, NULL, NULL,
                 "%u route(s) set, %u deleted, %u nexthop(s) added, %u group(s) changed",
                 res->routes_set, res->routes_deleted, res->nexthops_added, res->groups_changed);
    }
    return rc;
}

/* The pass's errors become the standing problems; a failed pass is retried
 * after 1 s, 2 s, ... up to RT_REPAIR_RETRY_MAX_MS. */
static int repair_done(struct routes_engine *eng, int rc, struct routes_result *res)
{
    unsigned delay;

    eng->tamper_logs = 0;
    if (rc >= 0 && !res->n_errors) {
        eng->repair_failures = 0;
        rt_problems_set(&eng->pass_problems, res);
        return 0;
    }
    log_errors(eng, res);
    if (!res->n_errors) {
        rt_log(eng, ROUTES_LOG_ERROR, "repair failed: %s", rt_strerror(rc));
        rt_result_add(res, NULL, NULL, NULL, rc, "repair failed: %s (retried)", rt_strerror(rc));
    }
    rt_problems_set(&eng->pass_problems, res);
    eng->repair_failures++;
    delay = RT_REPAIR_RETRY_MS * eng->repair_failures;
    rt_schedule_repair(eng, delay > RT_REPAIR_RETRY_MAX_MS ? RT_REPAIR_RETRY_MAX_MS : delay);
    return -1;
}

static int repair(struct routes_engine *eng)
{
    struct routes_result res = {0};
    int rc;

    eng->repair_due_ms = 0;
    rc = rt_refresh_mirror(eng);
    if (rc == 0)
        rc = repair_rules(eng, &res);
    if (rc == 0)
        rc = repair_converge(eng, &res);
    rc = repair_done(eng, rc, &res);
    routes_result_free(&res);
    return rc;
}

int routes_process_events(struct routes_engine *eng)
{
    int rc = 0;
    lock(eng);
    rt_monitor_drain(eng);
    if (eng->repair_due_ms && rt_now_ms() >= eng->repair_due_ms)
        rc = repair(eng);
    if (eng->shadow_due_ms && rt_now_ms() >= eng->shadow_due_ms)
        rt_shadow_recheck(eng);
    rt_neigh_nudge(eng);
    unlock_dispatch(eng);
    return rc;
}

size_t routes_get_problems(struct routes_engine *eng, struct routes_result *res)
{
    struct routes_result rules = {0};

    memset(res, 0, sizeof(*res));
    lock(eng);
    rt_problems_set(res, &eng->pass_problems);
    rt_problems_set(&rules, &eng->rule_problems);
    pthread_mutex_unlock(&eng->lock);
    rt_result_merge(res, &rules);
    return res->n_errors;
}

void routes_get_stats(struct routes_engine *eng, struct routes_stats *stats)
{
    lock(eng);
    *stats = eng->stats;
    stats->messages_sent = eng->nl.sent;
    stats->routes_owned = eng->m.routes.count;
    stats->fallback_owned = eng->m.fallback.count;
    stats->nexthops_owned = eng->m.n_nh;
    pthread_mutex_unlock(&eng->lock);
}

/* Exposed to target.c, which implements the state-changing entry points. */
void rt_lock(struct routes_engine *eng)
{
    lock(eng);
}

void rt_unlock_dispatch(struct routes_engine *eng)
{
    unlock_dispatch(eng);
}
