/*
 * tunneld: the multicloud site-to-site tunnel daemon. Embeds strongSwan's
 * libcharon the way charon-systemd does, with its own settings namespace
 * ("tunneld", inheriting "charon"), the controller plugin registered built in,
 * a locked pid file, the vici socket and a read-only control socket.
 *
 * Start: signals are set before anything else (signals.h: SIGHUP, SIGTERM,
 * SIGINT stay pending until the main loop takes them; SIGPIPE is ignored).
 * The settings are read and checked (daemon_conf.h) before anything changes
 * but the pid file, then made in order: charon's loggers, the control socket
 * (listening, not served yet), the XFRM interfaces, charon's plugins, the
 * route engine; then the control socket is served and charon started. If any
 * step fails tunneld refuses to start: one line naming the key and the
 * error, exit 1, the pid file and sockets removed, the interfaces made by
 * this start removed again.
 *
 * Reload (SIGHUP): the settings file is first checked by `tunneld -n
 * --reload-check` in a child process (reload_check.h); only a file it
 * accepts replaces lib->settings, then loggers, plugins, daemon keys
 * (daemon_conf_reload) and routes follow: charon_routes.h decides whether
 * they may apply, then the route glue checks tunneld.routes against the
 * routes that run (a refusal there keeps them: route_glue.h). The
 * connections file is reloaded on its own either way (conf_load: all or
 * nothing).
 *
 * Stop, in this order: the control server (its thread reads the SA table and
 * the route glue), then the route glue (clears the SA table's notify hook,
 * which waits out a running call, and joins its thread), then libcharon
 * (its workers, the SA table, the controller plugin), the vici socket if it
 * is still the one charon made, the pid file last.
 *
 * The service manager hears of it (notify.h, only under NOTIFY_SOCKET):
 * READY=1 once start() succeeded, RELOADING=1 then READY=1 around a reload
 * (STATUS= says reloaded or why not), STOPPING=1 at SIGTERM/SIGINT, and the
 * status line again when it changes (checked every NOTIFY_REFRESH_MS).
 *
 * Threading: main() runs setup, then waits for signals (sigtimedwait) and runs
 * reloads; charon's workers run IKE; the control socket has its own thread
 * (ctl_server.h), the route glue too, and path health has its own event
 * loop thread (route_glue.h, health.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <daemon.h>
#include <library.h>

#include "capture.h"
#include "charon_routes.h"
#include "conf_files.h"
#include "conf_load.h"
#include "conf_value.h"
#include "controller_plugin.h"
#include "ctl_server.h"
#include "daemon_conf.h"
#include "dataplane.h"
#include "logging.h"
#include "notify.h"
#include "options.h"
#include "paths.h"
#include "pidfile.h"
#include "plugin_list.h"
#include "preflight.h"
#include "reload_check.h"
#include "route_glue.h"
#include "signals.h"

#ifndef TUNNELD_SYSCONFDIR
#define TUNNELD_SYSCONFDIR "/etc/tunneld"
#endif
#define NS "tunneld"

/* how often the service status line is looked at (notify_refresh) */
#define NOTIFY_REFRESH_MS 5000

static tunneld_opts_t opts = {
    .config = TUNNELD_SYSCONFDIR "/tunneld.conf",
    .debug = 1,
};

/* a string setting of the tunneld namespace; key is a literal (dotted) */
#define setting(key, def) lib->settings->get_str(lib->settings, NS "." key, (char *)(def))

/*
 * checks the daemon settings file and its includes (regular files within the
 * size limits, secrets not readable by others: conf_files.h), then parses it
 * strictly, for a file:line error
 */
static bool check_settings_file(char *err, size_t len)
{
    char *why = NULL, *first;
    conf_files_t *files = conf_files_check(opts.config, &why);
    const char *warning;
    settings_t *s;

    if (!files) {
        conf_err_copy(err, len, why);
        free(why);
        return false;
    }
    for (size_t i = 0; (warning = conf_files_warning(files, i)); i++)
        DBG1(DBG_CFG, "warning: %s", warning);
    conf_files_free(files);
    s = settings_create(NULL);
    capture_t *cap = capture_begin();
    bool ok = s->load_files(s, (char *)opts.config, FALSE);
    first = capture_end(cap);
    s->destroy_clear(s);
    if (!ok) {
        conf_err(&why, "%s: %s", opts.config, first ? first : "invalid");
        conf_err_copy(err, len, why);
    }
    free(why);
    free(first);
    return ok;
}

/*
 * -n: the settings file and everything it names but the connections file's
 * contents; with --reload-check not tunneld.routes either (at SIGHUP the
 * route glue checks it against the routes that run)
 */
static bool check_settings_part(daemon_conf_t *dc, size_t *sites, char *err, size_t errlen)
{
    if (!check_settings_file(err, errlen) ||
        !daemon_conf_read(dc, opts.config, opts.pidfile, err, errlen))
        return false;
    if (!logging_check(opts.log_keys, err, errlen) ||
        !daemon_conf_check_system(dc, true, err, errlen) || !charon_routes_check(err, errlen))
        return false;
    return opts.reload_check || route_glue_check(opts.config, dc->swanctl, sites, err, errlen);
}

/* tunneld -n's refusal names the settings file first (as ExecStartPre shows it) */
static void name_file(const char *config, char *err, size_t errlen)
{
    size_t n = strlen(config);
    char *said;

    if (strncmp(err, config, n) == 0 && err[n] == ':')
        return;
    said = strdup(err);
    if (!said)
        return; /* the key is named all the same */
    snprintf(err, errlen, "%s: %s", config, said);
    free(said);
}

static int check_only(void)
{
    char err[PATHS_ERR_MAX];
    daemon_conf_t dc = {0};
    unsigned conns = 0, problems = 0;
    size_t sites = 0;
    char *cerr = NULL;
    int rc = 1;

    if (!check_settings_part(&dc, &sites, err, sizeof(err))) {
        if (!opts.reload_check) /* SIGHUP's note names the file itself */
            name_file(opts.config, err, sizeof(err));
        fprintf(stderr, "tunneld: %s\n", err);
    } else if (!opts.reload_check && !conf_load_check(dc.swanctl, &conns, &problems, &cerr)) {
        fprintf(stderr, "tunneld: %s%s\n", cerr ? cerr : "out of memory",
                problems > 1 ? " (and more problems: fix this one first)" : "");
    } else {
        if (!opts.reload_check)
            preflight_check_only(&dc, opts.config, stderr);
        if (opts.reload_check)
            printf("tunneld: %s OK (data plane %s; --reload-check: routes and connections not "
                   "checked)\n",
                   opts.config, dataplane_name(dc.kind));
        else
            printf("tunneld: %s OK (data plane %s, %zu routed site%s); %s OK: %u connection%s\n",
                   opts.config, dataplane_name(dc.kind), sites, sites == 1 ? "" : "s", dc.swanctl,
                   conns, conns == 1 ? "" : "s");
        rc = 0;
    }
    free(cerr);
    daemon_conf_free(&dc);
    return rc;
}

/* vici_uri: the socket charon listens on (a changed setting needs a restart) */
static void load_connections(dataplane_kind_t kind, const char *vici_uri)
{
    conf_load_opts_t lo = {
        .path = setting("swanctl_conf", TUNNELD_SYSCONFDIR "/swanctl.conf"),
        .vici_uri = vici_uri,
        .force_encap = kind == DATAPLANE_LIBIPSEC,
        .table = controller_table(),
    };
    conf_load_result_t res;
    char *err = NULL;

    if (!conf_load_apply(&lo, &res, &err)) {
        DBG1(DBG_CFG, "connections not (re)loaded, previous ones kept: %s",
             err ? err : "out of memory");
        free(err);
        return;
    }
    DBG1(DBG_CFG,
         "%s: %u connections loaded, %u rejected, %u unloaded; %u secrets loaded, %u "
         "rejected, %u unloaded",
         lo.path, res.conns_loaded, res.conns_failed, res.conns_unloaded, res.secrets_loaded,
         res.secrets_failed, res.secrets_unloaded);
}

static route_glue_t *glue; /* set by the main thread, read by control requests */

/* control command "routes" */
static json_object *cmd_routes(void *ctx)
{
    /* without a glue: no sites, and why routing failed to start if it did */
    json_object *doc = route_glue_status(__atomic_load_n(&glue, __ATOMIC_ACQUIRE));

    if (doc)
        charon_routes_problems(doc);
    return doc;
}

/* control command "paths" (path health) */
static json_object *cmd_paths(void *ctx)
{
    (void)ctx;
    return route_glue_paths(__atomic_load_n(&glue, __ATOMIC_ACQUIRE));
}

/*
 * starts the route glue if tunneld.routes has sites, or reloads it; false
 * (err set) when the engine did not start (a failed reload keeps what runs
 * and is only logged)
 */
static bool routes_up(char *err, size_t errlen)
{
    const char *swanctl = setting("swanctl_conf", TUNNELD_SYSCONFDIR "/swanctl.conf");

    err[0] = '\0';
    if (glue) {
        if (!route_glue_reload(glue, opts.config, swanctl, err, errlen))
            DBG1(DBG_CFG, "routes not (fully) reloaded: %s", err);
        return true;
    }
    route_glue_t *g =
        route_glue_start(controller_table(), opts.config, swanctl, opts.flush_on_exit, err, errlen);
    __atomic_store_n(&glue, g, __ATOMIC_RELEASE);
    return g || !err[0];
}

/* what this run made, undone in reverse order by stop() */
static struct {
    daemon_conf_t conf; /* the settings in effect (daemon_conf.h) */
    int pidfd;
    bool charon; /* libcharon_init succeeded */
    ctl_server_t *ctl;
    bool *made_ifs;  /* XFRM interfaces this start created */
    bool started;    /* start() completed: interfaces stay */
    paths_id_t vici; /* the vici socket charon made */
} d = {.pidfd = -1};

/* SIGHUP: the routes with the settings in effect, if charon's routes allow it (charon_routes.h) */
static void reload_routes(void)
{
    char err[PATHS_ERR_MAX];

    if (!charon_routes_reload(err, sizeof(err)))
        DBG1(DBG_CFG, "SIGHUP: routes not applied: %s", err);
    else if (!routes_up(err, sizeof(err)))
        DBG1(DBG_CFG, "routes: not started: %s", err);
}

/*
 * SIGHUP, the settings accepted by tunneld -n: load them and apply them.
 * false when they were loaded but cannot be applied (the file changed after
 * the check): the routes are then left alone too.
 */
static bool apply_settings(void)
{
    char err[PATHS_ERR_MAX] = "invalid";
    daemon_conf_t next;

    if (!check_settings_file(err, sizeof(err)) ||
        !lib->settings->load_files(lib->settings, (char *)opts.config, FALSE)) {
        DBG1(DBG_DMN,
             "SIGHUP: settings not reloaded, previous ones kept: %s (the file changed after "
             "tunneld -n accepted it)",
             err);
        return true;
    }
    if (!daemon_conf_read(&next, opts.config, opts.pidfile, err, sizeof(err)) ||
        !logging_check(opts.log_keys, err, sizeof(err))) {
        daemon_conf_free(&next);
        DBG1(DBG_DMN,
             "SIGHUP: %s: the file changed after tunneld -n accepted it: its settings are "
             "loaded, but the running loggers, data plane, sockets and routes are kept (send "
             "SIGHUP again)",
             err);
        return false;
    }
    charon->load_loggers(charon);
    logging_warn_keys(opts.debug, opts.log_keys, false);
    lib->plugins->reload(lib->plugins, NULL);
    daemon_conf_reload(&d.conf, &next);
    daemon_conf_free(&next);
    return true;
}

/* tunneld -n --reload-check on the settings file, in a child process */
static reload_check_t check_in_child(int *sig, char *note, size_t notelen)
{
    const char *argv[8] = {"-n", "--reload-check", "-f", opts.config};
    size_t n = 4;
    char *why = NULL;

    if (opts.pidfile) {
        argv[n++] = "--pidfile";
        argv[n++] = opts.pidfile;
    }
    if (opts.log_keys)
        argv[n++] = "--log-keys";
    argv[n] = NULL;
    reload_check_t r = reload_check_run(argv, &why, sig);
    if (r == RELOAD_CHECK_REFUSED)
        snprintf(note, notelen, "reload refused: %s", why ? why : "out of memory");
    if (r == RELOAD_CHECK_REFUSED)
        DBG1(DBG_DMN,
             "SIGHUP: settings not reloaded, previous ones kept: %s (tunneld -n refuses %s: "
             "nothing of it is applied); reloading connections",
             why ? why : "out of memory", opts.config);
    else if (r == RELOAD_CHECK_STOP)
        DBG1(DBG_DMN, "SIGHUP: %s arrived while tunneld -n checked %s: reload abandoned",
             *sig == SIGINT ? "SIGINT" : "SIGTERM", opts.config);
    free(why);
    return r;
}

/* SIGHUP: false when SIGTERM or SIGINT arrived meanwhile (*sig) */
static bool reload(int *sig)
{
    char note[PATHS_ERR_MAX + 32] = "reloaded";

    notify_reloading();
    DBG2(DBG_DMN, "SIGHUP: checking %s (tunneld -n --reload-check)", opts.config);
    switch (check_in_child(sig, note, sizeof(note))) {
    case RELOAD_CHECK_STOP:
        return false;
    case RELOAD_CHECK_OK:
        DBG1(DBG_DMN, "SIGHUP: reloading %s and connections", opts.config);
        if (apply_settings())
            reload_routes();
        else
            snprintf(note, sizeof(note), "reload incomplete: %s changed after the check",
                     opts.config);
        break;
    case RELOAD_CHECK_REFUSED:
        /* the running settings: the route glue follows the connections' peers */
        reload_routes();
        break;
    }
    preflight_apply(&d.conf, opts.config, opts.flush_on_exit);
    load_connections(d.conf.kind, d.conf.vici_uri);
    notify_ready(glue, note);
    return true;
}

static int run(void)
{
    for (;;) {
        int sig = notify_enabled() ? signals_wait_timeout(NOTIFY_REFRESH_MS) : signals_wait();
        if (sig == 0) {
            notify_refresh(glue);
            continue;
        }
        if (sig == -1) {
            DBG1(DBG_DMN, "waiting for signals failed: %s", strerror(errno));
            return 1;
        }
        if (sig == SIGHUP && reload(&sig))
            continue;
        notify_stopping();
        DBG1(DBG_DMN, "%s received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
        charon->bus->alert(charon->bus, ALERT_SHUTDOWN_SIGNAL, sig);
        return 0;
    }
}

/* the one line of a refused start, in the log and (unless it shows there) on stderr */
static void refuse(const char *err)
{
    bool shown = d.charon && logging_defaults_used() && !opts.syslog_only;

    if (d.charon)
        DBG1(DBG_DMN, "not starting: %s", err);
    if (!shown)
        fprintf(stderr, "tunneld: not starting: %s\n", err);
}

/* settings, the pid file (a second instance stops there), read-only checks */
static bool start_checked(char *err, size_t errlen)
{
    if (!check_settings_file(err, errlen) ||
        !daemon_conf_read(&d.conf, opts.config, opts.pidfile, err, errlen) ||
        !logging_check(opts.log_keys, err, errlen) || !charon_routes_check(err, errlen) ||
        !paths_dir_check(d.conf.pid_key, d.conf.pidfile, err, errlen) ||
        !paths_make_parent(d.conf.pid_key, d.conf.pidfile, err, errlen))
        return false;
    d.pidfd = pidfile_acquire(d.conf.pid_key, d.conf.pidfile, err, errlen);
    return d.pidfd >= 0 && daemon_conf_check_system(&d.conf, false, err, errlen);
}

/* libcharon, its loggers, the vici socket's directory */
static bool start_charon(char *err, size_t errlen)
{
    level_t levels[DBG_MAX];

    if (!libcharon_init()) {
        snprintf(err, errlen, "libcharon initialization failed");
        return false;
    }
    d.charon = true;
    /* our own vici socket by default, never a system charon's */
    lib->settings->set_default_str(lib->settings, NS ".plugins.vici.socket", d.conf.vici_uri);
    if (opts.debug > logging_default_level(opts.debug, opts.log_keys))
        fprintf(stderr,
                "tunneld: -d %d would log IKE and ESP key material: the default loggers log "
                "at level %d (start with --log-keys to log keys)\n",
                opts.debug, logging_default_level(opts.debug, opts.log_keys));
    logging_default_levels(opts.debug, opts.log_keys, levels);
    charon->set_default_loggers(charon, levels, !opts.syslog_only);
    charon->load_loggers(charon);
    logging_warn_keys(opts.debug, opts.log_keys, true);
    DBG1(DBG_DMN, "tunneld %s starting (strongSwan %s, data plane %s)", TUNNELD_VERSION, VERSION,
         dataplane_name(d.conf.kind));
    return strncmp(d.conf.vici_uri, "unix://", 7) != 0 ||
           paths_make_parent(NS ".plugins.vici.socket", d.conf.vici_uri + 7, err, errlen);
}

/* the control socket (listening, not served yet) and the XFRM interfaces */
static bool start_interfaces(char *err, size_t errlen)
{
    size_t sites;

    /*
     * the routes' read-only checks (another tunneld on the table, rules of
     * others, next hops) before charon's plugins exist: a refused start must
     * not touch what a running instance's charon installed (its rule 1161)
     */
    if (!route_glue_check(opts.config, d.conf.swanctl, &sites, err, errlen) ||
        !paths_make_parent(NS ".control_socket", d.conf.ctl_path, err, errlen))
        return false;
    d.ctl = ctl_server_create(d.conf.ctl_path, d.conf.ctl_mode, d.conf.ctl_gid, NULL, err, errlen);
    if (!d.ctl || !ctl_server_add_command(d.ctl, "routes", cmd_routes, NULL) ||
        !ctl_server_add_command(d.ctl, "paths", cmd_paths, NULL))
        return false;
    if (!preflight_register(d.ctl)) {
        snprintf(err, errlen, "control command preflight: cannot be added");
        return false;
    }
    if (d.conf.kind != DATAPLANE_XFRM || !d.conf.n_ifs)
        return true;
    d.made_ifs = calloc(d.conf.n_ifs, sizeof(*d.made_ifs));
    if (!d.made_ifs) {
        snprintf(err, errlen, NS ".xfrm.interfaces: out of memory");
        return false;
    }
    return dataplane_xfrm_setup(d.conf.ifs, d.conf.n_ifs, d.made_ifs, err, errlen);
}

/*
 * charon's IKE sockets: a socket plugin that opened none still counts as
 * loaded, and charon would run answering nobody. Both ports taken (another
 * IKE daemon) or ports below 1024 without CAP_NET_BIND_SERVICE: refused.
 */
static bool ike_sockets_open(char *err, size_t errlen)
{
    socket_family_t fams = charon->socket->supported_families(charon->socket);
    int port = lib->settings->get_int(lib->settings, "%s.port", CHARON_UDP_PORT, lib->ns);
    int natt = lib->settings->get_int(lib->settings, "%s.port_nat_t", CHARON_NATT_PORT, lib->ns);

    if (fams == SOCKET_FAMILY_NONE) {
        snprintf(err, errlen,
                 NS ".port: charon could not open an IKE socket on UDP %d/%d: another IKE "
                    "daemon holds the ports, or CAP_NET_BIND_SERVICE is missing (see above)",
                 port, natt);
        return false;
    }
    if (!(fams & SOCKET_FAMILY_IPV4))
        DBG1(DBG_DMN,
             "warning: " NS ".port: no IPv4 IKE socket on UDP %d/%d: IPv4 peers "
             "cannot be reached (see above)",
             port, natt);
    return true;
}

/* charon with its plugins, every one of them loaded; the vici socket it made */
static bool start_plugins(char *err, size_t errlen)
{
    int count;
    plugin_feature_t *features = controller_plugin_features(&count);

    charon_routes_demote();
    lib->plugins->add_static_features(lib->plugins, CONTROLLER_PLUGIN_NAME, features, count, TRUE,
                                      NULL, NULL);
    bool ok = charon->initialize(charon, d.conf.load);
    /* a socket there now is charon's (nothing but a stale one was there: check_system) */
    if (strncmp(d.conf.vici_uri, "unix://", 7) == 0)
        paths_id_get(d.conf.vici_uri + 7, &d.vici);
    if (!ok) {
        snprintf(err, errlen, NS ".load: charon could not load the plugins '%s' (see above)",
                 d.conf.load);
        return false;
    }
    lib->plugins->status(lib->plugins, LEVEL_CTRL);
    return plugin_list_loaded(NS ".load", d.conf.load, lib->plugins->loaded_plugins(lib->plugins),
                              err, errlen) &&
           ike_sockets_open(err, errlen);
}

/* plugins, capabilities, the route engine, then serving and IKE */
static bool start_running(char *err, size_t errlen)
{
    if (!start_plugins(err, errlen))
        return false;
    if (!lib->caps->drop(lib->caps)) {
        snprintf(err, errlen, "dropping capabilities failed");
        return false;
    }
    if (!routes_up(err, errlen)) {
        /* the engine's message, under the settings section it comes from */
        if (strncmp(err, NS ".routes", strlen(NS ".routes")) != 0) {
            char *msg = strdup(err);
            snprintf(err, errlen, NS ".routes: the route engine cannot start: %s", msg ? msg : "");
            free(msg);
        }
        return false;
    }
    if (!ctl_server_start(d.ctl, err, errlen))
        return false;
    charon->start(charon);
    return true;
}

static bool start(void)
{
    char err[PATHS_ERR_MAX];

    if (start_checked(err, sizeof(err)) && start_charon(err, sizeof(err)) &&
        start_interfaces(err, sizeof(err)) && start_running(err, sizeof(err))) {
        d.started = true;
        preflight_apply(&d.conf, opts.config, opts.flush_on_exit);
        load_connections(d.conf.kind, d.conf.vici_uri);
        notify_ready(glue, NULL);
        return true;
    }
    refuse(err);
    return false;
}

/* the order is the one in the comment at the top */
static void stop(void)
{
    route_glue_t *g = glue;

    ctl_server_destroy(d.ctl);
    __atomic_store_n(&glue, NULL, __ATOMIC_RELEASE);
    route_glue_stop(g);
    preflight_stop();
    if (!d.started && d.made_ifs)
        dataplane_xfrm_remove(d.conf.ifs, d.conf.n_ifs, d.made_ifs);
    if (d.charon)
        libcharon_deinit();
    /* charon's vici plugin leaves its socket behind */
    if (d.vici.set)
        paths_id_remove(d.conf.vici_uri + 7, &d.vici);
    pidfile_release(d.pidfd, d.conf.pidfile);
    free(d.made_ifs);
    daemon_conf_free(&d.conf);
}

int main(int argc, char *argv[])
{
    bool exit_now;
    int rc;

    signals_init(); /* before anything else: see signals.h */
    rc = options_parse(argc, argv, &opts, &exit_now);
    if (exit_now)
        return rc;
    if (opts.check_only)
        signals_unblock(); /* a command: Ctrl-C and SIGTERM stop it */
    dbg_default_set_level(logging_default_level(opts.debug, opts.log_keys));
    library_add_namespace("charon");
    /* library_init reads the settings file: never a FIFO, device or oversized file */
    if (!conf_files_precheck(opts.config, "tunneld"))
        return 1;
    if (!library_init((char *)opts.config, NS)) {
        fprintf(stderr, "tunneld: libstrongswan initialization failed\n");
        library_deinit();
        return 1;
    }
    if (opts.check_only) {
        rc = check_only();
        library_deinit();
        return rc;
    }
    rc = start() ? run() : 1;
    stop();
    notify_flush(NOTIFY_FLUSH_MS); /* STOPPING=1 before the process ends */
    library_deinit();
    return rc;
}
