/*
 * route_glue: configuration of the routes and of path health: start,
 * reload (all or nothing: health's new probes first, then the engine; a
 * refused engine apply puts health back), stop, tunneld -n (route_glue.h;
 * route_glue_int.h names the other two files).
 *
 * Threading: tunneld's main thread; the problems and the model are written
 * under the glue's lock (read by the status documents).
 */
#define _GNU_SOURCE /* asprintf */
#include "route_glue_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <library.h>

#include "health_model.h"

#define NS RG_NS

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

/* why routing did not start, with the lock held until rg_start_problem_unlock */
const char *rg_start_problem_lock(void)
{
    pthread_mutex_lock(&start_lock);
    return start_problem;
}

void rg_start_problem_unlock(void)
{
    pthread_mutex_unlock(&start_lock);
}

/* replaces the problems list (with the lock held by the caller) */
void rg_problems_clear(route_glue_t *g)
{
    for (size_t i = 0; i < g->n_problems; i++)
        free(g->problems[i]);
    g->n_problems = 0;
}

void rg_problem_add(route_glue_t *g, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    if (g->n_problems == RG_MAX_PROBLEMS)
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
    const char *key = strncmp(msg, "table ", 6) == 0                 ? NS ".table"
                      : strncmp(msg, "protocol", 8) == 0             ? NS ".protocol"
                      : strncmp(msg, "probe table ", 12) == 0        ? NS ".probe_table_base"
                      : strncmp(msg, "probe_table_base", 16) == 0    ? NS ".probe_table_base"
                      : strncmp(msg, "probe_mark_base", 15) == 0     ? NS ".probe_mark_base"
                      : strncmp(msg, "probe_rule_priority", 19) == 0 ? NS ".probe_rule_priority"
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
    rg_problems_clear(g);
    rg_pending_free(g);
    sm_model_free(&g->model);
    pthread_mutex_destroy(&g->lock);
    pthread_mutex_destroy(&g->hlock);
    free(g);
}

/* the model becomes the glue's (conf's is left empty); the old one is freed */
static void take_model(route_glue_t *g, route_conf_t *conf)
{
    struct sm_model old;

    pthread_mutex_lock(&g->lock);
    old = g->model;
    g->model = conf->model;
    memset(&conf->model, 0, sizeof(conf->model));
    pthread_mutex_unlock(&g->lock);
    sm_model_free(&old);
}

/* health with conf's sites: started, or reloaded (all or nothing) */
static bool health_up(route_glue_t *g, const char *file, const struct sm_model *m, char *err,
                      size_t errlen)
{
    health_model_t hm;
    char why[512];
    bool ok;

    if (!health_model_build(m, file, &hm, err, errlen))
        return false;
    if (g->health) {
        ok = health_reload(g->health, &hm.cfg, why, sizeof(why));
    } else {
        struct health_callbacks cb = rg_health_callbacks;
        cb.ctx = g;
        struct health *h = health_start(&hm.cfg, &cb, why, sizeof(why));
        pthread_mutex_lock(&g->hlock);
        g->health = h;
        pthread_mutex_unlock(&g->hlock);
        ok = h != NULL;
    }
    if (!ok)
        snprintf(err, errlen, "%s: tunneld.sites: path health: %s", file, why);
    health_model_free(&hm);
    return ok;
}

/* health_check_config of the model (its probe marks not known yet) */
static bool health_dry_run(const char *file, const struct sm_model *m, char *err, size_t errlen)
{
    health_model_t hm;
    char why[512];
    bool ok;

    if (!health_model_build(m, file, &hm, err, errlen))
        return false;
    ok = health_check_config(&hm.cfg, why, sizeof(why));
    if (!ok)
        snprintf(err, errlen, "%s: tunneld.sites: path health: %s", file, why);
    health_model_free(&hm);
    return ok;
}

/*
 * What the engine knows of every path's own link and next hop when health
 * starts or reloads (routes_path_link_state: whatever health's ranking
 * says), so that a path is down (link) or up at once rather than unknown
 * until its next event: a path added by a reload had its events before
 * health knew it. Later changes come as the engine's events. (Main thread:
 * no lock across the engine calls, whose events may take hlock.)
 */
static void seed_links(route_glue_t *g)
{
    for (size_t i = 0; g->health && i < g->n_paths; i++) {
        const char *site = g->paths[i].site, *path = g->paths[i].path;
        enum routes_link_state ls = routes_path_link_state(g->eng, site, path);
        if (ls == ROUTES_LINK_UNKNOWN)
            continue;
        health_observe_link(g->health, site, path, ls != ROUTES_LINK_DOWN);
        /* (a path without a gateway has no next hop: left n/a) */
        if (ls != ROUTES_LINK_DOWN && (g->paths[i].gw4 || g->paths[i].gw6))
            health_observe_neigh(g->health, site, path, ls == ROUTES_LINK_NEIGH_FAILED);
    }
}

/*
 * Probe pinning: the targets of every path's probes (echo, multihop BFD)
 * become probe routes of the path in the engine's state, so that probes
 * marked with the path's mark leave through that path (routes.h,
 * routes_state_add_probe). Single-hop BFD binds the path's interface. The
 * application checks (issue 10) go to names resolved when they run: a
 * site with sensor groups gets a default route of each family its path
 * carries in the path's probe table (only marked sockets use it).
 */
static bool add_probes(const char *file, route_conf_t *conf, char *err, size_t errlen)
{
    char why[384];

    for (size_t i = 0; i < conf->model.n_sites; i++) {
        const struct sm_site *s = &conf->model.sites[i];
        for (size_t j = 0; j < s->n_paths; j++) {
            const struct sm_path *p = &s->paths[j];
            /* issue 10: a site with sensor groups has every check of a path pinned
             * to it: whatever carries the path's mark leaves through the path */
            bool app = s->n_groups > 0, any = !p->gw4 && !p->gw6;
            const char *t[4] = {p->echo.type != SM_ECHO_NONE ? p->echo.target : NULL,
                                p->bfd.enabled && p->bfd.multihop ? p->bfd.remote : NULL,
                                app && (p->gw4 || any) ? "0.0.0.0/0" : NULL,
                                app && (p->gw6 || any) ? "::/0" : NULL};
            for (int k = 0; k < 4; k++)
                if (t[k] && routes_state_add_probe(conf->st, (int)i, p->name, t[k], why,
                                                   sizeof(why)) != 0) {
                    snprintf(err, errlen, "%s: %s.%s.paths.%s: %s", file,
                             sm_model_section(&conf->model), s->name, p->name, why);
                    return false;
                }
        }
    }
    return true;
}

/* route_conf_parse with the probe targets added */
static bool parse(const char *file, const char *swanctl, route_conf_t *conf, char *err,
                  size_t errlen)
{
    if (!route_conf_parse(file, swanctl, conf, err, errlen))
        return false;
    if (add_probes(file, conf, err, errlen))
        return true;
    route_conf_free(conf);
    return false;
}

/* the marks the engine gave the paths' probes, into the model health reads */
static bool take_marks(route_glue_t *g, route_conf_t *conf)
{
    for (size_t i = 0; i < conf->model.n_sites; i++) {
        struct sm_site *s = &conf->model.sites[i];
        for (size_t j = 0; j < s->n_paths; j++)
            s->paths[j].probe_mark = routes_path_probe_mark(g->eng, s->name, s->paths[j].name);
    }
    return true;
}

/* applies conf's state; the problems list gets the errors (with the lock) */
static int apply_conf(route_glue_t *g, const char *file, route_conf_t *conf, const char *what,
                      char *err, size_t errlen)
{
    struct routes_result res = {0};
    int rc = routes_apply(g->eng, conf->st, &res);

    report(&res, what);
    pthread_mutex_lock(&g->lock);
    rg_problems_clear(g);
    for (size_t i = 0; i < res.n_errors; i++) {
        if (i == 0)
            apply_error(file, &res.errors[0], err, errlen);
        rg_problem_add(g, "%s: %s", what, res.errors[i].message);
    }
    pthread_mutex_unlock(&g->lock);
    if (rc != 0 && !res.n_errors)
        snprintf(err, errlen, "%s: %s: the state could not be applied", file, NS);
    routes_result_free(&res);
    return rc;
}

/* a glue for conf's engine options (nothing opened yet) */
static route_glue_t *glue_new(sa_table_t *table, bool flush_cli, route_conf_t *conf)
{
    route_glue_t *g = calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    pthread_mutex_init(&g->lock, NULL);
    pthread_mutex_init(&g->hlock, NULL);
    g->table = table;
    g->flush_cli = flush_cli;
    conf->opts.flush_on_exit = flush_cli || conf->opts.flush_on_exit;
    conf->opts.log = glue_log;
    /* the engine's own INFO lines repeat the events and results logged here */
    conf->opts.log_level = ROUTES_LOG_WARN;
    conf->opts.on_event = rg_event;
    conf->opts.event_ctx = g;
    g->table_id = conf->opts.table;
    g->protocol = conf->opts.protocol;
    g->probe_table_base = conf->opts.probe_table_base;
    g->probe_mark_base = conf->opts.probe_mark_base;
    g->probe_rule_priority = conf->opts.probe_rule_priority;
    g->fail_closed = conf->opts.fail_closed;
    g->flush = conf->opts.flush_on_exit;
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
 * The first apply, with the namespace's compat mode and the glue's thread,
 * then path health (its first decisions go to the thread); on any failure the kernel is put back to
 * what the engine found (what a previous run left stays, what this start added goes) and the engine
 * is closed.
 */
static bool engine_first_apply(route_glue_t *g, const char *file, const char *swanctl,
                               route_conf_t *conf, char *err, size_t errlen)
{
    int compat = compat_mode_now();
    bool thread = false, ok;

    ok = set_compat_mode(file, conf->compat_mode, err, errlen) &&
         (thread = rg_thread_start(g, err, errlen)) &&
         apply_conf(g, file, conf, "apply", err, errlen) == 0 && take_marks(g, conf) &&
         health_up(g, file, &conf->model, err, errlen) &&
         rg_app_up(g, &conf->model, file, swanctl, err, errlen);
    if (ok)
        return true;
    rg_app_stop(g, false);
    pthread_mutex_lock(&g->hlock);
    struct health *h = g->health;
    g->health = NULL;
    pthread_mutex_unlock(&g->hlock);
    health_stop(h);
    if (thread)
        rg_thread_stop(g);
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
    if (!parse(file, swanctl, &conf, err, errlen))
        goto refused;
    /* (the warnings were logged by route_glue_check, just before) */
    if (!routes_state_site_count(conf.st)) {
        route_conf_free(&conf);
        set_start_problem(NULL);
        return NULL; /* routing not configured */
    }
    /* what health would refuse, refused before anything changes the kernel */
    if (!health_dry_run(file, &conf.model, err, errlen) ||
        !rg_app_check(&conf.model, file, swanctl, err, errlen))
        goto failed;
    g = glue_new(table, flush_on_exit, &conf);
    up = new_verdicts(conf.n_paths);
    if (!g || !up) {
        snprintf(err, errlen, "%s: %s: out of memory", file, NS);
        goto failed;
    }
    take_paths(g, &conf, up);
    up = NULL;
    if (!engine_open(g, file, &conf, err, errlen) ||
        !engine_first_apply(g, file, swanctl, &conf, err, errlen))
        goto failed;
    g->st = conf.st;
    conf.st = NULL;
    take_model(g, &conf);
    route_conf_free(&conf);
    /* health knows every bound path's SA and link at once, then follows the SA table */
    rg_sync_sa(g);
    seed_links(g);
    sa_table_set_notify(table, rg_wake, g);
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

/* a changed probe table, mark or rule priority base needs a restart: the
 * probe rules and tables of the running paths are made from them */
static bool probe_needs_restart(route_glue_t *g, const char *file, const route_conf_t *conf,
                                char *err, size_t errlen)
{
    const struct {
        const char *key, *fmt;
        uint32_t running, next;
    } k[] = {{"probe_table_base", "%u", g->probe_table_base, conf->opts.probe_table_base},
             {"probe_mark_base", "0x%x", g->probe_mark_base, conf->opts.probe_mark_base},
             {"probe_rule_priority", "%u", g->probe_rule_priority, conf->opts.probe_rule_priority}};
    char from[16], to[16];

    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        if (k[i].running == k[i].next)
            continue;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(from, sizeof(from), k[i].fmt, k[i].running);
        snprintf(to, sizeof(to), k[i].fmt, k[i].next);
#pragma GCC diagnostic pop
        snprintf(err, errlen,
                 "%s: %s.%s: changed from %s to %s, which needs a restart of tunneld (reload "
                 "refused: the running probe rules and tables kept)",
                 file, NS, k[i].key, from, to);
        return true;
    }
    return false;
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
        return probe_needs_restart(g, file, conf, err, errlen);
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
    rg_problems_clear(g);
    rg_problem_add(g, "reload refused, previous routes kept: %s", err);
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

/* the namespace's compat mode as it was before a reload that does not hold */
static void compat_back(const char *file, const route_conf_t *conf, int compat)
{
    char why[512];

    if (conf->compat_mode >= 0 && compat >= 0 && compat != conf->compat_mode &&
        !set_compat_mode(file, compat, why, sizeof(why)))
        DBG1(DBG_CFG, "routes: %s", why);
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
    compat_back(file, conf, compat);
    snprintf(why, sizeof(why), "%s", err);
    snprintf(err, errlen, "%s (the kernel refused it: the running routes were applied again)", why);
    return refuse(g, file, swanctl, err);
}

/* the checks and posture of a reload; refused: health gets the running model back */
static bool app_up_or_back(route_glue_t *g, const char *file, const char *swanctl,
                           route_conf_t *conf, char *err, size_t errlen)
{
    char why[512];

    if (rg_app_up(g, &conf->model, file, swanctl, err, errlen))
        return true;
    if (!health_up(g, file, &g->model, why, sizeof(why)))
        DBG1(DBG_CFG, "health: the running paths could not be applied again: %s", why);
    return false;
}

/* the reload itself (route_glue_reload holds health's decisions meanwhile) */
static bool reload(route_glue_t *g, const char *file, const char *swanctl, char *err, size_t errlen)
{
    route_conf_t conf;
    int compat = compat_mode_now(), *up;

    if (!parse(file, swanctl, &conf, err, errlen))
        return refuse(g, file, swanctl, err);
    log_warnings(&conf);
    up = new_verdicts(conf.n_paths);
    if (!up)
        snprintf(err, errlen, "%s: %s: out of memory", file, NS);
    if (!up || needs_restart(g, file, &conf, err, errlen) ||
        check_fails(g, file, &conf, err, errlen) ||
        !rg_app_check(&conf.model, file, swanctl, err, errlen) ||
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
    take_marks(g, &conf);
    if (!health_up(g, file, &conf.model, err, errlen) ||
        !app_up_or_back(g, file, swanctl, &conf, err, errlen)) {
        /* nothing of the reload holds: the engine's state and compat mode go back */
        routes_set_fail_closed(g->eng, g->fail_closed);
        compat_back(file, &conf, compat);
        free(up);
        route_conf_free(&conf);
        return refuse(g, file, swanctl, err);
    }
    g->fail_closed = conf.opts.fail_closed;
    g->flush = g->flush_cli || conf.opts.flush_on_exit;
    routes_set_flush_on_exit(g->eng, g->flush_cli || conf.opts.flush_on_exit);
    take_paths(g, &conf, up);
    take_model(g, &conf);
    routes_state_free(g->st);
    g->st = conf.st;
    conf.st = NULL;
    route_conf_free(&conf);
    seed_links(g);
    return true;
}

/* health's decisions wait (kept, the latest per site) while held */
static void hold_decisions(route_glue_t *g, bool on)
{
    pthread_mutex_lock(&g->lock);
    g->hold = on;
    pthread_mutex_unlock(&g->lock);
}

/*
 * The engine takes the new state first (its probe marks are health's), then
 * health (refused: the engine's running state is applied again). Health's
 * decisions are held until the engine has the state they name, and every
 * site's decision is handed out again at the end (an engine state applied
 * again drops the ranks of paths it did not have).
 */
bool route_glue_reload(route_glue_t *g, const char *file, const char *swanctl, char *err,
                       size_t errlen)
{
    hold_decisions(g, true);
    bool ok = reload(g, file, swanctl, err, errlen);
    health_announce(g->health);
    hold_decisions(g, false);
    rg_wake(g); /* the thread applies the decisions, re-sends the bound paths' SA states */
    return ok;
}

void route_glue_stop(route_glue_t *g)
{
    if (!g)
        return;
    sa_table_set_notify(g->table, NULL, NULL);
    /* no check verdict reaches health past this point */
    rg_app_stop(g, g->flush);
    /*
     * Nobody hands health an observation past this point (the glue's users
     * of g->health hold hlock), then health stops (no decision is handed
     * out past its join), then the thread goes.
     */
    pthread_mutex_lock(&g->hlock);
    struct health *h = g->health;
    g->health = NULL;
    pthread_mutex_unlock(&g->hlock);
    health_stop(h);
    rg_thread_stop(g);
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
    if (!parse(file, swanctl, &conf, err, errlen))
        return false;
    log_warnings(&conf);
    *sites = routes_state_site_count(conf.st);
    conf.opts.owner = owner = owner_of(file);
    ok = !*sites || routes_precheck(&conf.opts, conf.st, msg, sizeof(msg)) == 0;
    conf.opts.owner = NULL;
    free(owner);
    if (!ok)
        engine_error(file, msg, err, errlen);
    else if (*sites) {
        /* path health's own checks of the thresholds (hl_path_config_check) */
        health_model_t hm;
        ok = health_model_build(&conf.model, file, &hm, err, errlen);
        if (ok)
            health_model_free(&hm);
        ok = ok && rg_app_check(&conf.model, file, swanctl, err, errlen);
    }
    route_conf_free(&conf);
    return ok;
}
