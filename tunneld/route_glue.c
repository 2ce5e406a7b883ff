/* route_glue: see route_glue.h for the threads. */
#define _GNU_SOURCE /* asprintf */
#include "route_glue.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <library.h>
#include <threading/thread.h>

#include "route_conf.h"
#include "routes.h"

#define NS           "tunneld.routes"
#define MAX_PROBLEMS 8 /* kept per apply; the log has all of them */

struct route_glue {
    sa_table_t *table;
    struct routes_engine *eng;
    uint32_t table_id; /* the running engine's table and protocol */
    uint8_t protocol;
    bool fail_closed;     /* the running engine's fail_closed */
    bool flush_cli;       /* --flush-on-exit */
    thread_t *thread;     /* strongSwan's thread_t: its logging knows the thread */
    int wake;             /* eventfd: SA states changed */
    int stop;             /* eventfd: leave */
    pthread_mutex_t lock; /* guards paths, up, problems */
    route_path_conf_t *paths;
    size_t n_paths;
    int *up;                 /* last verdict sent per path: -1 none yet */
    struct routes_state *st; /* the state last applied (main thread only) */
    char *problems[MAX_PROBLEMS];
    size_t n_problems;
};

/* why routing did not start (status while no glue runs); guarded */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static char *start_problem;

static void set_start_problem(const char *msg)
{
    pthread_mutex_lock(&start_lock);
    free(start_problem);
    start_problem = msg && msg[0] ? strdup(msg) : NULL;
    pthread_mutex_unlock(&start_lock);
}

/* replaces the problems list (with the lock held by the caller) */
static void problems_clear(route_glue_t *g)
{
    for (size_t i = 0; i < g->n_problems; i++)
        free(g->problems[i]);
    g->n_problems = 0;
}

static void problem_add(route_glue_t *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem_add(route_glue_t *g, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    if (g->n_problems == MAX_PROBLEMS)
        return;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) >= 0)
        g->problems[g->n_problems++] = s;
    va_end(ap);
}

static void glue_log(enum routes_log_level level, const char *msg, void *ctx)
{
    (void)level;
    (void)ctx;
    DBG1(DBG_CFG, "routes: %s", msg);
}

static void glue_event(const struct routes_event *ev, void *ctx)
{
    (void)ctx;
    DBG1(DBG_CFG, "routes: %s site '%s' path '%s' (%s): %s", routes_event_name(ev->type),
         ev->site ? ev->site : "-", ev->path ? ev->path : "-", ev->ifname ? ev->ifname : "-",
         ev->detail ? ev->detail : "");
}

/* the state of conn.child in the table: 1 up, 0 otherwise */
static int child_up(const sa_ike_rec_t *rows, size_t n, const route_path_conf_t *p)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].name, p->conn) != 0)
            continue;
        for (size_t j = 0; j < rows[i].n_children; j++)
            if (strcmp(rows[i].children[j].name, p->child) == 0)
                return rows[i].children[j].state == SA_STATE_ESTABLISHED ||
                       rows[i].children[j].state == SA_STATE_REKEYING;
    }
    return 0;
}

/* sends the health of every bound path whose CHILD_SA changed */
static void sync_health(route_glue_t *g)
{
    sa_ike_rec_t *rows;
    size_t n = sa_table_snapshot(g->table, &rows);

    if (!rows) {
        /* no copy of the table (out of memory): keep every verdict, the next change retries */
        DBG1(DBG_CFG, "routes: the SA table could not be read (out of memory): path health kept");
        return;
    }
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_paths; i++) {
        const route_path_conf_t *p = &g->paths[i];
        if (!p->conn)
            continue;
        int up = child_up(rows, n, p);
        if (up == g->up[i])
            continue;
        struct routes_result res = {0};
        if (routes_set_path_health(g->eng, p->site, p->path, up, &res) == 0) {
            DBG1(DBG_CFG, "routes: site '%s' path '%s' %s: CHILD_SA %s.%s is %s", p->site, p->path,
                 up ? "usable" : "unusable", p->conn, p->child, up ? "up" : "not up");
            g->up[i] = up;
        } else {
            DBG1(DBG_CFG, "routes: site '%s' path '%s': health change failed: %s", p->site, p->path,
                 res.n_errors ? res.errors[0].message : "unknown error");
        }
        routes_result_free(&res);
    }
    pthread_mutex_unlock(&g->lock);
    sa_table_snapshot_free(rows, n);
}

static void on_table_change(void *ctx)
{
    route_glue_t *g = ctx;
    uint64_t one = 1;

    /* eventfd is non-blocking: an overflowing counter just stays signalled */
    if (write(g->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return;
}

static void *run(void *arg)
{
    route_glue_t *g = arg;
    uint64_t v;

    for (;;) {
        struct pollfd fds[3] = {
            {.fd = routes_get_fd(g->eng), .events = POLLIN},
            {.fd = g->wake, .events = POLLIN},
            {.fd = g->stop, .events = POLLIN},
        };
        int r = poll(fds, 3, routes_timeout_ms(g->eng));
        if (r < 0 && errno != EINTR)
            break;
        if (fds[2].revents)
            break;
        if (fds[1].revents && read(g->wake, &v, sizeof(v)) > 0)
            sync_health(g);
        routes_process_events(g->eng);
    }
    return NULL;
}

/* what route_conf could not check (peers given as DNS names, ...) */
static void log_warnings(const route_conf_t *conf)
{
    for (size_t i = 0; i < conf->n_warnings; i++)
        DBG1(DBG_CFG, "warning: %s: %s", NS, conf->warnings[i]);
}

static void report(const struct routes_result *res, const char *what)
{
    for (size_t i = 0; i < res->n_errors; i++)
        DBG1(DBG_CFG, "routes: %s: %s", what, res->errors[i].message);
    DBG1(DBG_CFG,
         "routes: %s: %u site(s) applied, %u failed, %llu netlink request(s), %u route(s) set, "
         "%u deleted",
         what, res->sites_applied, res->sites_failed, (unsigned long long)res->messages,
         res->routes_set, res->routes_deleted);
}

/* "<file>: tunneld.sites.<site>: <message>" (or tunneld.routes) */
static void apply_error(const char *file, const struct routes_error *e, char *err, size_t errlen)
{
    if (e->site[0])
        snprintf(err, errlen, "%s: %s.%s: %s", file, sm_settings_section(lib->settings), e->site,
                 e->message);
    else
        snprintf(err, errlen, "%s: %s: %s", file, NS, e->message);
}

/*
 * Who runs the engine, for its table and protocol lock: the settings file
 * (its real path), so that tunneld -n of the running tunneld's own file is
 * told from a second tunneld (routes_options.owner). malloc'd or NULL.
 */
static char *owner_of(const char *file)
{
    char *real = realpath(file, NULL);
    return real ? real : strdup(file);
}

/* names the key an engine error is about: its table, its protocol, a
 * site (names are checked: letters, digits, '_' and '-') or the section */
static void engine_error(const char *file, const char *msg, char *err, size_t errlen)
{
    size_t n = strncmp(msg, "site '", 6) == 0 ? strcspn(msg + 6, "'") : 0;

    if (n && n < 64 && msg[6 + n] == '\'') {
        snprintf(err, errlen, "%s: %s.%.*s: %s", file, sm_settings_section(lib->settings), (int)n,
                 msg + 6, msg);
        return;
    }
    /* (tunneld has no key for the rules: they are the engine's default) */
    const char *key = strncmp(msg, "table ", 6) == 0     ? NS ".table"
                      : strncmp(msg, "protocol", 8) == 0 ? NS ".protocol"
                                                         : NS;
    snprintf(err, errlen, "%s: %s: %s", file, key, msg);
}

/*
 * tunneld.routes.nexthop_compat_mode = 0|1 sets the namespace's
 * net.ipv4.nexthop_compat_mode (unset: left as it is). With 0 the kernel no
 * longer rewrites and announces every route of a group when the group
 * changes, so a switch costs the same for 10 or 100,000 prefixes
 * (docs/routes.md); tools that expect per-route notifications see none.
 */
static bool set_compat_mode(const char *file, int mode, char *err, size_t errlen)
{
    const char *path = "/proc/sys/net/ipv4/nexthop_compat_mode";
    FILE *f;

    if (mode < 0)
        return true;
    f = fopen(path, "w");
    bool ok = f && fputs(mode ? "1" : "0", f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok) {
        snprintf(err, errlen, "%s: %s.nexthop_compat_mode: cannot write %s: %s", file, NS, path,
                 strerror(errno));
        return false;
    }
    DBG1(DBG_CFG, "routes: net.ipv4.nexthop_compat_mode = %d", mode);
    return true;
}

/* the namespace's net.ipv4.nexthop_compat_mode now: 0, 1, or -1 (unknown) */
static int compat_mode_now(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/nexthop_compat_mode", "r");
    int c = f ? fgetc(f) : EOF;

    if (f)
        fclose(f);
    return c == '0' || c == '1' ? c - '0' : -1;
}

/* the verdicts of n paths, none sent yet (every one is sent again) */
static int *new_verdicts(size_t n)
{
    int *up = calloc(n + 1, sizeof(*up));

    for (size_t i = 0; up && i < n; i++)
        up[i] = -1;
    return up;
}

/* takes the bindings of conf, with their verdicts (up, from new_verdicts) */
static void take_paths(route_glue_t *g, route_conf_t *conf, int *up)
{
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_paths; i++) {
        route_path_conf_t *p = &g->paths[i];
        free(p->site);
        free(p->path);
        free(p->dev);
        free(p->gw4);
        free(p->gw6);
        free(p->conn);
        free(p->child);
    }
    free(g->paths);
    free(g->up);
    g->paths = conf->paths;
    g->n_paths = conf->n_paths;
    g->up = up;
    conf->paths = NULL;
    conf->n_paths = 0;
    pthread_mutex_unlock(&g->lock);
}

static void glue_free(route_glue_t *g)
{
    route_conf_t none = {0};

    take_paths(g, &none, NULL);
    routes_state_free(g->st);
    free(g->up);
    problems_clear(g);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* applies conf's state; the problems list gets the errors (with the lock) */
static int apply_conf(route_glue_t *g, const char *file, route_conf_t *conf, const char *what,
                      char *err, size_t errlen)
{
    struct routes_result res = {0};
    int rc = routes_apply(g->eng, conf->st, &res);

    report(&res, what);
    pthread_mutex_lock(&g->lock);
    problems_clear(g);
    for (size_t i = 0; i < res.n_errors; i++) {
        if (i == 0)
            apply_error(file, &res.errors[0], err, errlen);
        problem_add(g, "%s: %s", what, res.errors[i].message);
    }
    pthread_mutex_unlock(&g->lock);
    if (rc != 0 && !res.n_errors)
        snprintf(err, errlen, "%s: %s: the state could not be applied", file, NS);
    routes_result_free(&res);
    return rc;
}

static bool start_thread(route_glue_t *g, char *err, size_t errlen)
{
    g->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    g->stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g->wake >= 0 && g->stop >= 0)
        g->thread = thread_create(run, g);
    if (g->thread)
        return true;
    snprintf(err, errlen, "%s: cannot start the route glue thread: %s", NS, strerror(errno));
    if (g->wake >= 0)
        close(g->wake);
    if (g->stop >= 0)
        close(g->stop);
    return false;
}

static void stop_thread(route_glue_t *g)
{
    uint64_t one = 1;

    if (write(g->stop, &one, sizeof(one)) < 0)
        DBG1(DBG_CFG, "routes: cannot stop the route glue thread: %s", strerror(errno));
    g->thread->join(g->thread);
    close(g->wake);
    close(g->stop);
}

/* a glue for conf's engine options (nothing opened yet) */
static route_glue_t *glue_new(sa_table_t *table, bool flush_cli, route_conf_t *conf)
{
    route_glue_t *g = calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    g->table = table;
    g->flush_cli = flush_cli;
    conf->opts.flush_on_exit = flush_cli || conf->opts.flush_on_exit;
    conf->opts.log = glue_log;
    /* the engine's own INFO lines repeat the events and results logged here */
    conf->opts.log_level = ROUTES_LOG_WARN;
    conf->opts.on_event = glue_event;
    g->table_id = conf->opts.table;
    g->protocol = conf->opts.protocol;
    g->fail_closed = conf->opts.fail_closed;
    return g;
}

/*
 * The checks of tunneld -n first (nothing changes when they fail: table,
 * protocol and their lock, rules, next hops), then the engine (it adopts
 * what a previous run left). err: "<file>: <key>: <why>".
 */
static bool engine_open(route_glue_t *g, const char *file, route_conf_t *conf, char *err,
                        size_t errlen)
{
    char msg[512], *owner = owner_of(file);
    int rc;

    conf->opts.owner = owner;
    rc = routes_precheck(&conf->opts, conf->st, msg, sizeof(msg));
    if (rc == 0)
        rc = routes_open(&g->eng, &conf->opts, msg, sizeof(msg));
    conf->opts.owner = NULL;
    free(owner);
    if (rc != 0)
        engine_error(file, msg, err, errlen);
    return rc == 0;
}

/*
 * The first apply, with the namespace's compat mode and the glue's thread;
 * on any failure the kernel is put back to what the engine found (what a
 * previous run left stays, what this start added goes) and the engine is
 * closed.
 */
static bool engine_first_apply(route_glue_t *g, const char *file, route_conf_t *conf, char *err,
                               size_t errlen)
{
    int compat = compat_mode_now();
    bool thread = false, ok;

    ok = set_compat_mode(file, conf->compat_mode, err, errlen) &&
         (thread = start_thread(g, err, errlen)) &&
         apply_conf(g, file, conf, "apply", err, errlen) == 0;
    if (ok)
        return true;
    if (thread)
        stop_thread(g);
    if (routes_abandon(g->eng) != 0)
        DBG1(DBG_CFG,
             "routes: what tunneld found in table %u could not be fully restored (see "
             "above)",
             g->table_id);
    routes_close(g->eng);
    g->eng = NULL;
    if (conf->compat_mode >= 0 && compat >= 0 && compat != conf->compat_mode) {
        char why[512];
        if (!set_compat_mode(file, compat, why, sizeof(why)))
            DBG1(DBG_CFG, "routes: %s", why);
    }
    return false;
}

route_glue_t *route_glue_start(sa_table_t *table, const char *file, const char *swanctl,
                               bool flush_on_exit, char *err, size_t errlen)
{
    route_glue_t *g = NULL;
    route_conf_t conf;
    int *up = NULL;

    err[0] = '\0';
    if (!route_conf_parse(file, swanctl, &conf, err, errlen))
        goto refused;
    log_warnings(&conf);
    if (!routes_state_site_count(conf.st)) {
        route_conf_free(&conf);
        set_start_problem(NULL);
        return NULL; /* routing not configured */
    }
    g = glue_new(table, flush_on_exit, &conf);
    up = new_verdicts(conf.n_paths);
    if (!g || !up) {
        snprintf(err, errlen, "%s: %s: out of memory", file, NS);
        goto failed;
    }
    take_paths(g, &conf, up);
    up = NULL;
    if (!engine_open(g, file, &conf, err, errlen) ||
        !engine_first_apply(g, file, &conf, err, errlen))
        goto failed;
    g->st = conf.st;
    conf.st = NULL;
    route_conf_free(&conf);
    /*
     * The engine holds paths usable until told otherwise: mark the bound ones
     * at once (a few ms after the apply), then follow the SA table.
     */
    sync_health(g);
    sa_table_set_notify(table, on_table_change, g);
    set_start_problem(NULL);
    return g;
failed:
    free(up);
    route_conf_free(&conf);
    if (g)
        glue_free(g);
refused:
    if (!err[0])
        snprintf(err, errlen, "%s: %s: cannot start routing", file, NS);
    set_start_problem(err);
    return NULL;
}

/* a changed table or protocol needs a restart: err names the key */
static bool needs_restart(route_glue_t *g, const char *file, const route_conf_t *conf, char *err,
                          size_t errlen)
{
    if (conf->opts.table != g->table_id)
        snprintf(err, errlen,
                 "%s: %s.table: changed from %u to %u, which needs a restart of tunneld (reload "
                 "refused: table %u and its routes kept)",
                 file, NS, g->table_id, conf->opts.table, g->table_id);
    else if (conf->opts.protocol != g->protocol)
        snprintf(err, errlen,
                 "%s: %s.protocol: changed from %u to %u, which needs a restart of tunneld "
                 "(reload refused: the routes of protocol %u kept)",
                 file, NS, g->protocol, conf->opts.protocol, g->protocol);
    else
        return false;
    return true;
}

/*
 * The routes of a reload are refused: everything that runs is kept, but the
 * connections reload on their own, so the peers' bypasses follow the
 * connections file (a new peer inside a running site's prefix must not be
 * routed by the table).
 */
static bool refuse(route_glue_t *g, const char *file, const char *swanctl, const char *err)
{
    struct routes_result res = {0};
    char why[512];

    pthread_mutex_lock(&g->lock);
    problems_clear(g);
    problem_add(g, "reload refused, previous routes kept: %s", err);
    pthread_mutex_unlock(&g->lock);
    if (g->st && route_conf_bypass(file, swanctl, g->st, why, sizeof(why))) {
        if (routes_apply(g->eng, g->st, &res) != 0)
            report(&res, "reload refused: peer addresses");
        routes_result_free(&res);
    }
    return false;
}

/* routes_check: the reload's state would be refused in part (err set) */
static bool check_fails(route_glue_t *g, const char *file, const route_conf_t *conf, char *err,
                        size_t errlen)
{
    struct routes_result res;
    bool bad = routes_check(g->eng, conf->st, &res) != 0;

    if (bad && res.n_errors)
        apply_error(file, &res.errors[0], err, errlen);
    else if (bad)
        snprintf(err, errlen, "%s: %s: the state cannot be applied", file, NS);
    routes_result_free(&res);
    return bad;
}

/*
 * The kernel refused part of a reload that passed the checks: its
 * fail_closed and compat mode go back, and refuse() applies the running
 * state again (what the reload applied goes).
 */
static bool undo_reload(route_glue_t *g, const char *file, const char *swanctl,
                        const route_conf_t *conf, int compat, char *err, size_t errlen)
{
    char why[1024];

    routes_set_fail_closed(g->eng, g->fail_closed);
    if (conf->compat_mode >= 0 && compat >= 0 && compat != conf->compat_mode &&
        !set_compat_mode(file, compat, why, sizeof(why)))
        DBG1(DBG_CFG, "routes: %s", why);
    snprintf(why, sizeof(why), "%s", err);
    snprintf(err, errlen, "%s (the kernel refused it: the running routes were applied again)", why);
    return refuse(g, file, swanctl, err);
}

bool route_glue_reload(route_glue_t *g, const char *file, const char *swanctl, char *err,
                       size_t errlen)
{
    route_conf_t conf;
    int compat = compat_mode_now(), *up;

    if (!route_conf_parse(file, swanctl, &conf, err, errlen))
        return refuse(g, file, swanctl, err);
    log_warnings(&conf);
    up = new_verdicts(conf.n_paths);
    if (!up)
        snprintf(err, errlen, "%s: %s: out of memory", file, NS);
    if (!up || needs_restart(g, file, &conf, err, errlen) ||
        check_fails(g, file, &conf, err, errlen) ||
        !set_compat_mode(file, conf.compat_mode, err, errlen)) {
        free(up);
        route_conf_free(&conf);
        return refuse(g, file, swanctl, err);
    }
    routes_set_fail_closed(g->eng, conf.opts.fail_closed);
    if (apply_conf(g, file, &conf, "reload", err, errlen) != 0) {
        bool r = undo_reload(g, file, swanctl, &conf, compat, err, errlen);
        free(up);
        route_conf_free(&conf);
        return r;
    }
    g->fail_closed = conf.opts.fail_closed;
    routes_set_flush_on_exit(g->eng, g->flush_cli || conf.opts.flush_on_exit);
    take_paths(g, &conf, up);
    routes_state_free(g->st);
    g->st = conf.st;
    conf.st = NULL;
    route_conf_free(&conf);
    on_table_change(g); /* the thread re-sends the bound paths' health */
    return true;
}

void route_glue_stop(route_glue_t *g)
{
    if (!g)
        return;
    sa_table_set_notify(g->table, NULL, NULL);
    stop_thread(g);
    routes_close(g->eng);
    glue_free(g);
}

bool route_glue_check(const char *file, const char *swanctl, size_t *sites, char *err,
                      size_t errlen)
{
    route_conf_t conf;
    char msg[512], *owner;
    bool ok;

    *sites = 0;
    if (!route_conf_parse(file, swanctl, &conf, err, errlen))
        return false;
    log_warnings(&conf);
    *sites = routes_state_site_count(conf.st);
    conf.opts.owner = owner = owner_of(file);
    ok = !*sites || routes_precheck(&conf.opts, conf.st, msg, sizeof(msg)) == 0;
    conf.opts.owner = NULL;
    free(owner);
    if (!ok)
        engine_error(file, msg, err, errlen);
    route_conf_free(&conf);
    return ok;
}

static json_object *path_json(const route_glue_t *g, const route_path_conf_t *p,
                              const sa_ike_rec_t *rows, size_t n)
{
    json_object *o = json_object_new_object();
    int usable = routes_path_usable(g->eng, p->site, p->path);

    json_object_object_add(o, "name", json_object_new_string(p->path));
    json_object_object_add(o, "dev", json_object_new_string(p->dev));
    json_object_object_add(o, "gateway4", p->gw4 ? json_object_new_string(p->gw4) : NULL);
    json_object_object_add(o, "gateway6", p->gw6 ? json_object_new_string(p->gw6) : NULL);
    json_object_object_add(o, "priority", json_object_new_int64(p->priority));
    json_object_object_add(o, "weight", json_object_new_int64(p->weight));
    json_object_object_add(o, "usable", usable < 0 ? NULL : json_object_new_boolean(usable));
    if (p->conn) {
        char *child = NULL;
        if (asprintf(&child, "%s.%s", p->conn, p->child) < 0)
            child = NULL;
        json_object_object_add(o, "child", child ? json_object_new_string(child) : NULL);
        json_object_object_add(o, "child_up", json_object_new_boolean(child_up(rows, n, p)));
        free(child);
    } else {
        json_object_object_add(o, "child", NULL);
        json_object_object_add(o, "child_up", NULL);
    }
    return o;
}

/* what the engine hits while it runs (repairs that fail, e.g. a collision
 * with someone else's route; rules of others shadowing tunneld's), for as
 * long as it stands */
static void add_engine_problems(route_glue_t *g, json_object *problems)
{
    struct routes_result res;

    routes_get_problems(g->eng, &res);
    for (size_t i = 0; i < res.n_errors; i++) {
        char *s = NULL;
        if (asprintf(&s, "running: %s", res.errors[i].message) >= 0) {
            json_object_array_add(problems, json_object_new_string(s));
            free(s);
        }
    }
    routes_result_free(&res);
}

json_object *route_glue_status(route_glue_t *g)
{
    json_object *doc = json_object_new_object(), *sites = json_object_new_array();
    json_object *problems = json_object_new_array(), *site = NULL, *paths = NULL;
    const char *cur = "";
    sa_ike_rec_t *rows = NULL;
    size_t n = g && g->table ? sa_table_snapshot(g->table, &rows) : 0;

    json_object_object_add(doc, "version", json_object_new_int(ROUTE_STATUS_VERSION));
    if (!g) {
        pthread_mutex_lock(&start_lock);
        if (start_problem)
            json_object_array_add(problems, json_object_new_string(start_problem));
        pthread_mutex_unlock(&start_lock);
        json_object_object_add(doc, "sites", sites);
        json_object_object_add(doc, "problems", problems);
        return doc;
    }
    json_object_object_add(doc, "table", json_object_new_int64(g->table_id));
    json_object_object_add(doc, "protocol", json_object_new_int(g->protocol));
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_paths; i++) {
        const route_path_conf_t *p = &g->paths[i];
        if (!site || strcmp(cur, p->site) != 0) {
            site = json_object_new_object();
            paths = json_object_new_array();
            json_object_object_add(site, "name", json_object_new_string(p->site));
            json_object_object_add(site, "paths", paths);
            json_object_array_add(sites, site);
            cur = p->site;
        }
        json_object_array_add(paths, path_json(g, p, rows, n));
    }
    for (size_t i = 0; i < g->n_problems; i++)
        json_object_array_add(problems, json_object_new_string(g->problems[i]));
    pthread_mutex_unlock(&g->lock);
    add_engine_problems(g, problems);
    if (rows)
        sa_table_snapshot_free(rows, n);
    json_object_object_add(doc, "sites", sites);
    json_object_object_add(doc, "problems", problems);
    return doc;
}
