/* route_glue: see route_glue.h for the threads. */
#include "route_glue.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <library.h>
#include <threading/thread.h>

#include "routes.h"

#define NS           "tunneld.routes"
#define MAX_BINDINGS 256

/* a configured path; its health follows a CHILD_SA when conn/child are set */
typedef struct {
    char site[ROUTES_NAME_MAX], path[ROUTES_NAME_MAX];
    char dev[32], gw4[48], gw6[48];
    unsigned priority, weight;
    char conn[SA_NAME_MAX], child[SA_NAME_MAX]; /* "" when not bound */
    int up;                                     /* last verdict sent: -1 none yet */
} binding_t;

struct route_glue {
    sa_table_t *table;
    struct routes_engine *eng;
    struct routes_options opts;
    thread_t *thread;     /* strongSwan's thread_t: its logging knows the thread */
    int wake;             /* eventfd: SA states changed */
    int stop;             /* eventfd: leave */
    pthread_mutex_t lock; /* guards bindings (main thread reloads) */
    binding_t bindings[MAX_BINDINGS];
    size_t n_bindings;
};

/* a value of the daemon settings; fmt_path is a dotted key used as the format
 * (settings_t splits the format, not its arguments: see conf_load.c) */
static char *get(const char *fmt_path, const char *def)
{
    return lib->settings->get_str(lib->settings, (char *)fmt_path, (char *)def);
}

static bool valid_name(const char *s)
{
    return s[0] && !strchr(s, '%') && strlen(s) < ROUTES_NAME_MAX;
}

static void glue_log(enum routes_log_level level, const char *msg, void *ctx)
{
    DBG1(DBG_CFG, "routes: %s", msg);
}

static void glue_event(const struct routes_event *ev, void *ctx)
{
    DBG1(DBG_CFG, "routes: %s site '%s' path '%s' (%s): %s", routes_event_name(ev->type),
         ev->site ? ev->site : "-", ev->path ? ev->path : "-", ev->ifname ? ev->ifname : "-",
         ev->detail ? ev->detail : "");
}

/* parses one site; appends its paths (with their CHILD_SA bindings) */
static bool parse_site(struct routes_state *st, const char *site, binding_t *b, size_t *nb,
                       char *err, size_t errlen)
{
    char key[512], *path, *prefixes, *tok;
    enumerator_t *e;
    int idx;
    bool ok = true;

    if (!valid_name(site)) {
        snprintf(err, errlen, "%s.sites.%s: invalid site name", NS, site);
        return false;
    }
    idx = routes_state_add_site(st, site, err, errlen);
    if (idx < 0)
        return false;
    snprintf(key, sizeof(key), NS ".sites.%s.prefixes", site);
    prefixes = get(key, NULL);
    if (!prefixes) {
        snprintf(err, errlen, "%s.sites.%s.prefixes: expected a comma-separated list of prefixes",
                 NS, site);
        return false;
    }
    e = enumerator_create_token(prefixes, ",", " ");
    while (ok && e->enumerate(e, &tok))
        ok = routes_state_add_prefix(st, idx, tok, err, errlen) == 0;
    e->destroy(e);
    if (!ok)
        return false;

    snprintf(key, sizeof(key), NS ".sites.%s.paths", site);
    e = lib->settings->create_section_enumerator(lib->settings, key);
    int n_paths = 0;
    while (ok && e->enumerate(e, &path)) {
        char base[512], k[600];
        struct routes_path_spec spec = {.name = path};
        snprintf(base, sizeof(base), NS ".sites.%s.paths.%s", site, path);
        snprintf(k, sizeof(k), "%s.dev", base);
        spec.dev = get(k, NULL);
        snprintf(k, sizeof(k), "%s.gateway4", base);
        spec.gateway4 = get(k, NULL);
        snprintf(k, sizeof(k), "%s.gateway6", base);
        spec.gateway6 = get(k, NULL);
        snprintf(k, sizeof(k), "%s.priority", base);
        spec.priority = (unsigned)lib->settings->get_int(lib->settings, k, 100);
        snprintf(k, sizeof(k), "%s.weight", base);
        spec.weight = (unsigned)lib->settings->get_int(lib->settings, k, 1);
        if (!valid_name(path) || !spec.dev) {
            snprintf(err, errlen, "%s: expected a path name and a 'dev' (the interface)", base);
            ok = false;
            break;
        }
        ok = routes_state_add_path(st, idx, &spec, err, errlen) == 0;
        if (ok && *nb == MAX_BINDINGS) {
            snprintf(err, errlen, "%s: more than %d paths in all", base, MAX_BINDINGS);
            ok = false;
        }
        if (!ok)
            break;
        binding_t *x = &b[(*nb)++];
        memset(x, 0, sizeof(*x));
        snprintf(x->site, sizeof(x->site), "%s", site);
        snprintf(x->path, sizeof(x->path), "%s", path);
        snprintf(x->dev, sizeof(x->dev), "%s", spec.dev);
        snprintf(x->gw4, sizeof(x->gw4), "%s", spec.gateway4 ? spec.gateway4 : "");
        snprintf(x->gw6, sizeof(x->gw6), "%s", spec.gateway6 ? spec.gateway6 : "");
        x->priority = spec.priority;
        x->weight = spec.weight ? spec.weight : 1;
        x->up = -1;
        snprintf(k, sizeof(k), "%s.child", base);
        char *child = get(k, NULL);
        if (child) {
            char *dot = strrchr(child, '.');
            if (!dot || dot == child || !dot[1]) {
                snprintf(err, errlen, "%s.child: expected <connection>.<child>, got '%s'", base,
                         child);
                ok = false;
                break;
            }
            snprintf(x->conn, sizeof(x->conn), "%.*s", (int)(dot - child), child);
            snprintf(x->child, sizeof(x->child), "%s", dot + 1);
        }
        n_paths++;
    }
    e->destroy(e);
    if (ok && !n_paths) {
        snprintf(err, errlen, "%s.sites.%s.paths: expected at least one path", NS, site);
        ok = false;
    }
    return ok;
}

static bool parse_all(struct routes_options *opts, struct routes_state **out, binding_t *b,
                      size_t *nb, char *err, size_t errlen)
{
    struct routes_state *st = routes_state_new();
    enumerator_t *e;
    char *site;
    bool ok = true;

    routes_options_init(opts);
    opts->table = (uint32_t)lib->settings->get_int(lib->settings, NS ".table", opts->table);
    opts->protocol = (uint8_t)lib->settings->get_int(lib->settings, NS ".protocol", opts->protocol);
    opts->log = glue_log;
    /* the engine's own INFO lines repeat the events and results logged here */
    opts->log_level = ROUTES_LOG_WARN;
    opts->on_event = glue_event;
    *nb = 0;
    e = lib->settings->create_section_enumerator(lib->settings, NS ".sites");
    while (ok && e->enumerate(e, &site))
        ok = parse_site(st, site, b, nb, err, errlen);
    e->destroy(e);
    if (!ok) {
        routes_state_free(st);
        return false;
    }
    *out = st;
    return true;
}

bool route_glue_parse(struct routes_options *opts, struct routes_state **st, char *err,
                      size_t errlen)
{
    binding_t *b = calloc(MAX_BINDINGS, sizeof(*b));
    size_t nb;
    bool ok = b && parse_all(opts, st, b, &nb, err, errlen);

    free(b);
    return ok;
}

/* the state of conn.child in the table: 1 up, 0 otherwise */
static int child_up(const sa_ike_rec_t *rows, size_t n, const binding_t *b)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].name, b->conn) != 0)
            continue;
        for (size_t j = 0; j < rows[i].n_children; j++)
            if (strcmp(rows[i].children[j].name, b->child) == 0)
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

    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_bindings; i++) {
        binding_t *b = &g->bindings[i];
        if (!b->conn[0])
            continue;
        int up = child_up(rows, n, b);
        if (up == b->up)
            continue;
        struct routes_result res = {0};
        if (routes_set_path_health(g->eng, b->site, b->path, up, &res) == 0) {
            DBG1(DBG_CFG, "routes: site '%s' path '%s' %s: CHILD_SA %s.%s is %s", b->site, b->path,
                 up ? "usable" : "unusable", b->conn, b->child, up ? "up" : "not up");
            b->up = up;
        } else {
            DBG1(DBG_CFG, "routes: site '%s' path '%s': health change failed: %s", b->site, b->path,
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

/*
 * tunneld.routes.nexthop_compat_mode = 0|1 sets the namespace's
 * net.ipv4.nexthop_compat_mode (unset: left as it is). With 0 the kernel no
 * longer rewrites and announces every route of a group when the group
 * changes, so a switch costs the same for 10 or 100,000 prefixes
 * (docs/routes.md); tools that expect per-route notifications see none.
 */
static bool set_compat_mode(char *err, size_t errlen)
{
    const char *want = get(NS ".nexthop_compat_mode", NULL);
    const char *path = "/proc/sys/net/ipv4/nexthop_compat_mode";
    FILE *f;

    if (!want)
        return true;
    if (strcmp(want, "0") != 0 && strcmp(want, "1") != 0) {
        snprintf(err, errlen, "%s.nexthop_compat_mode: expected 0 or 1, got '%s'", NS, want);
        return false;
    }
    f = fopen(path, "w");
    bool ok = f && fputs(want, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok) {
        snprintf(err, errlen, "%s.nexthop_compat_mode: cannot write %s: %s", NS, path,
                 strerror(errno));
        return false;
    }
    DBG1(DBG_CFG, "routes: net.ipv4.nexthop_compat_mode = %s", want);
    return true;
}

route_glue_t *route_glue_start(sa_table_t *table, bool flush_on_exit, char *err, size_t errlen)
{
    route_glue_t *g = calloc(1, sizeof(*g));
    struct routes_state *st = NULL;
    struct routes_result res = {0};

    err[0] = '\0';
    if (!g)
        return NULL;
    if (!parse_all(&g->opts, &st, g->bindings, &g->n_bindings, err, errlen))
        goto fail;
    if (!routes_state_site_count(st)) {
        routes_state_free(st);
        free(g);
        return NULL; /* routing not configured */
    }
    if (!set_compat_mode(err, errlen))
        goto fail;
    g->opts.flush_on_exit =
        flush_on_exit || lib->settings->get_bool(lib->settings, NS ".flush_on_exit", FALSE);
    g->opts.fail_closed = lib->settings->get_bool(lib->settings, NS ".fail_closed", TRUE);
    if (routes_open(&g->eng, &g->opts, err, errlen) != 0)
        goto fail;
    pthread_mutex_init(&g->lock, NULL);
    routes_apply(g->eng, st, &res);
    report(&res, "apply");
    routes_result_free(&res);
    routes_state_free(st);
    st = NULL;
    g->table = table;
    /*
     * The engine holds paths usable until told otherwise: mark the bound ones
     * at once (a few ms after the apply), before anything else runs.
     */
    sync_health(g);
    g->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    g->stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g->wake >= 0 && g->stop >= 0)
        g->thread = thread_create(run, g);
    if (!g->thread) {
        snprintf(err, errlen, "routes: cannot start the route glue thread: %s", strerror(errno));
        if (g->wake >= 0)
            close(g->wake);
        if (g->stop >= 0)
            close(g->stop);
        pthread_mutex_destroy(&g->lock);
        routes_close(g->eng);
        goto fail;
    }
    sa_table_set_notify(table, on_table_change, g);
    return g;
fail:
    if (st)
        routes_state_free(st);
    routes_options_free_rules(&g->opts);
    free(g);
    return NULL;
}

bool route_glue_reload(route_glue_t *g, char *err, size_t errlen)
{
    struct routes_options opts;
    struct routes_state *st;
    binding_t *b = calloc(MAX_BINDINGS, sizeof(*b));
    size_t nb;
    struct routes_result res = {0};

    if (!b || !parse_all(&opts, &st, b, &nb, err, errlen)) {
        free(b);
        return false;
    }
    routes_options_free_rules(&opts);
    int rc = routes_apply(g->eng, st, &res);
    pthread_mutex_lock(&g->lock);
    memcpy(g->bindings, b, nb * sizeof(b[0])); /* every binding's verdict is re-sent */
    g->n_bindings = nb;
    pthread_mutex_unlock(&g->lock);
    free(b);
    report(&res, "reload");
    if (rc != 0 && res.n_errors)
        snprintf(err, errlen, "%s", res.errors[0].message);
    routes_result_free(&res);
    routes_state_free(st);
    on_table_change(g); /* the thread re-sends the bound paths' health */
    return rc == 0;
}

void route_glue_stop(route_glue_t *g)
{
    uint64_t one = 1;

    if (!g)
        return;
    sa_table_set_notify(g->table, NULL, NULL);
    if (write(g->stop, &one, sizeof(one)) < 0)
        DBG1(DBG_CFG, "routes: cannot stop the route glue thread: %s", strerror(errno));
    g->thread->join(g->thread);
    routes_close(g->eng);
    routes_options_free_rules(&g->opts);
    close(g->wake);
    close(g->stop);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

json_object *route_glue_status(route_glue_t *g)
{
    json_object *doc = json_object_new_object(), *sites = json_object_new_array();
    json_object *site = NULL, *paths = NULL;
    const char *cur = "";
    sa_ike_rec_t *rows;
    size_t n = g->table ? sa_table_snapshot(g->table, &rows) : 0;

    json_object_object_add(doc, "version", json_object_new_int(ROUTE_STATUS_VERSION));
    json_object_object_add(doc, "table", json_object_new_int64(g->opts.table));
    json_object_object_add(doc, "protocol", json_object_new_int(g->opts.protocol));
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_bindings; i++) {
        const binding_t *b = &g->bindings[i];
        if (!site || strcmp(cur, b->site) != 0) {
            site = json_object_new_object();
            paths = json_object_new_array();
            json_object_object_add(site, "name", json_object_new_string(b->site));
            json_object_object_add(site, "paths", paths);
            json_object_array_add(sites, site);
            cur = b->site;
        }
        json_object *p = json_object_new_object();
        char child[2 * SA_NAME_MAX + 2];
        int usable = routes_path_usable(g->eng, b->site, b->path);
        json_object_object_add(p, "name", json_object_new_string(b->path));
        json_object_object_add(p, "dev", json_object_new_string(b->dev));
        json_object_object_add(p, "gateway4", b->gw4[0] ? json_object_new_string(b->gw4) : NULL);
        json_object_object_add(p, "gateway6", b->gw6[0] ? json_object_new_string(b->gw6) : NULL);
        json_object_object_add(p, "priority", json_object_new_int64(b->priority));
        json_object_object_add(p, "weight", json_object_new_int64(b->weight));
        json_object_object_add(p, "usable", usable < 0 ? NULL : json_object_new_boolean(usable));
        if (b->conn[0]) {
            snprintf(child, sizeof(child), "%s.%s", b->conn, b->child);
            json_object_object_add(p, "child", json_object_new_string(child));
            json_object_object_add(p, "child_up", json_object_new_boolean(child_up(rows, n, b)));
        } else {
            json_object_object_add(p, "child", NULL);
            json_object_object_add(p, "child_up", NULL);
        }
        json_object_array_add(paths, p);
    }
    pthread_mutex_unlock(&g->lock);
    sa_table_snapshot_free(rows, n);
    json_object_object_add(doc, "sites", sites);
    return doc;
}
