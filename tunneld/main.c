/*
 * tunneld: the multicloud site-to-site tunnel daemon. Embeds strongSwan's
 * libcharon the way charon-systemd does, with its own settings namespace
 * ("tunneld", inheriting "charon"), the controller plugin registered built in,
 * a locked pid file, the vici socket and a read-only control socket.
 *
 * Threads: main() runs setup, then waits for signals (sigwaitinfo) and runs
 * reloads; charon's workers run IKE; the control socket is served by
 * charon's processor threads.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <daemon.h>
#include <library.h>

#include "capture.h"
#include "conf_files.h"
#include "conf_load.h"
#include "conf_value.h"
#include "controller_plugin.h"
#include "ctl_server.h"
#include "dataplane.h"
#include "pidfile.h"
#include "route_glue.h"
#include "routes.h"

#ifndef TUNNELD_SYSCONFDIR
#define TUNNELD_SYSCONFDIR "/etc/tunneld"
#endif
#define NS "tunneld"

static struct {
    const char *config;
    bool check_only;
    int debug;
    bool syslog_only;
    bool flush_on_exit;
    const char *pidfile;
} opts = {
    .config = TUNNELD_SYSCONFDIR "/tunneld.conf",
    .debug = 1,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tunneld [-f FILE] [-n] [-d LEVEL] [--syslog] [--pidfile PATH]\n"
            "  -f, --config FILE   daemon settings (default %s/tunneld.conf)\n"
            "  -n, --check         check the settings and connections, then exit\n"
            "  -d, --debug LEVEL   log level -1..4 for the default logger (default 1)\n"
            "      --syslog        log to syslog only (default: stderr and syslog)\n"
            "      --pidfile PATH  overrides tunneld.pidfile\n"
            "      --flush-on-exit withdraw tunneld's routes when it stops\n"
            "  -h, --help          this text\n",
            TUNNELD_SYSCONFDIR);
}

static bool parse_args(int argc, char *argv[])
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'f'},
        {"check", no_argument, NULL, 'n'},
        {"debug", required_argument, NULL, 'd'},
        {"syslog", no_argument, NULL, 'S'},
        {"pidfile", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;

    while ((c = getopt_long(argc, argv, "f:nd:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            opts.config = optarg;
            break;
        case 'n':
            opts.check_only = true;
            break;
        case 'd':
            opts.debug = (int)strtol(optarg, &end, 10);
            if (*end || opts.debug < -1 || opts.debug > 4) {
                fprintf(stderr, "tunneld: --debug: expected a level from -1 to 4, got '%s'\n",
                        optarg);
                return false;
            }
            break;
        case 'S':
            opts.syslog_only = true;
            break;
        case 'P':
            opts.pidfile = optarg;
            break;
        case 'F':
            opts.flush_on_exit = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return false;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tunneld: unexpected argument '%s'\n", argv[optind]);
        return false;
    }
    return true;
}

/* key may be dotted: settings_t splits the format, not the arguments */
static const char *setting(const char *key, const char *def)
{
    char fmt[128];

    snprintf(fmt, sizeof(fmt), NS ".%s", key);
    return lib->settings->get_str(lib->settings, fmt, (char *)def);
}

/* makes the directory of a unix:// socket or of a file path */
static void make_parent_dir(const char *path_or_uri)
{
    char buf[256];
    const char *p = strpfx(path_or_uri, "unix://") ? path_or_uri + 7 : path_or_uri;

    snprintf(buf, sizeof(buf), "%s", p);
    char *dir = dirname(buf);
    char partial[256] = "";
    for (char *tok = strtok(dir, "/"); tok; tok = strtok(NULL, "/")) {
        strncat(partial, "/", sizeof(partial) - strlen(partial) - 1);
        strncat(partial, tok, sizeof(partial) - strlen(partial) - 1);
        mkdir(partial, 0750);
    }
}

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

static bool read_xfrm_ifs(xfrm_if_t *ifs, size_t max, size_t *n, char *err, size_t len)
{
    enumerator_t *e =
        lib->settings->create_section_enumerator(lib->settings, "%s.xfrm.interfaces", NS);
    char *name;
    bool ok = true;

    *n = 0;
    while (ok && e->enumerate(e, &name)) {
        if (*n == max || strlen(name) >= sizeof(ifs[0].name)) {
            snprintf(err, len,
                     "%s.xfrm.interfaces.%s: too many interfaces or name too long "
                     "(at most %zu, names under 16 characters)",
                     NS, name, max);
            ok = false;
            break;
        }
        xfrm_if_t *x = &ifs[(*n)++];
        memset(x, 0, sizeof(*x));
        snprintf(x->name, sizeof(x->name), "%s", name);
        x->if_id =
            lib->settings->get_int(lib->settings, "%s.xfrm.interfaces.%s.if_id", 0, NS, name);
        snprintf(x->dev, sizeof(x->dev), "%s",
                 lib->settings->get_str(lib->settings, "%s.xfrm.interfaces.%s.dev", "", NS, name));
        if (!x->if_id) {
            snprintf(err, len,
                     "%s.xfrm.interfaces.%s.if_id: expected a number from 1 to "
                     "4294967295",
                     NS, name);
            ok = false;
        }
    }
    e->destroy(e);
    return ok;
}

static bool load_dataplane(dataplane_kind_t *kind, char *err, size_t len)
{
    const char *text = setting("dataplane", "xfrm");

    if (!dataplane_parse(text, kind)) {
        snprintf(err, len, "%s: %s.dataplane: expected 'xfrm' or 'libipsec', got '%s'", opts.config,
                 NS, text);
        return false;
    }
    return true;
}

static int check_only(void)
{
    char err[512];
    dataplane_kind_t kind;
    unsigned conns, problems;
    xfrm_if_t ifs[64];
    size_t n_ifs;

    if (!check_settings_file(err, sizeof(err)) || !load_dataplane(&kind, err, sizeof(err)) ||
        (kind == DATAPLANE_XFRM && !read_xfrm_ifs(ifs, 64, &n_ifs, err, sizeof(err)))) {
        fprintf(stderr, "tunneld: %s\n", err);
        return 1;
    }
    struct routes_options ropts;
    struct routes_state *rst;
    if (!route_glue_parse(&ropts, &rst, err, sizeof(err))) {
        fprintf(stderr, "tunneld: %s: %s\n", opts.config, err);
        return 1;
    }
    size_t sites = routes_state_site_count(rst);
    routes_state_free(rst);
    routes_options_free_rules(&ropts);
    const char *swanctl = setting("swanctl_conf", TUNNELD_SYSCONFDIR "/swanctl.conf");
    char *cerr = NULL;
    if (!conf_load_check(swanctl, &conns, &problems, &cerr)) {
        fprintf(stderr, "tunneld: %s%s\n", cerr ? cerr : "out of memory",
                problems > 1 ? " (and more problems: fix this one first)" : "");
        free(cerr);
        return 1;
    }
    printf("tunneld: %s OK (data plane %s, %zu routed site%s); %s OK: %u connection%s\n",
           opts.config, dataplane_name(kind), sites, sites == 1 ? "" : "s", swanctl, conns,
           conns == 1 ? "" : "s");
    return 0;
}

static void load_connections(dataplane_kind_t kind)
{
    conf_load_opts_t lo = {
        .path = setting("swanctl_conf", TUNNELD_SYSCONFDIR "/swanctl.conf"),
        .vici_uri = setting("plugins.vici.socket", "unix:///run/tunneld/vici"),
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
    route_glue_t *g = __atomic_load_n(&glue, __ATOMIC_ACQUIRE);
    json_object *doc;

    if (g)
        return route_glue_status(g);
    doc = json_object_new_object();
    json_object_object_add(doc, "version", json_object_new_int(ROUTE_STATUS_VERSION));
    json_object_object_add(doc, "sites", json_object_new_array());
    return doc;
}

/* starts the route glue if tunneld.routes has sites, or reloads it */
static void routes_up(void)
{
    char err[512];

    if (glue) {
        if (!route_glue_reload(glue, err, sizeof(err)))
            DBG1(DBG_CFG, "routes not (fully) reloaded: %s", err);
        return;
    }
    route_glue_t *g = route_glue_start(controller_table(), opts.flush_on_exit, err, sizeof(err));
    __atomic_store_n(&glue, g, __ATOMIC_RELEASE);
    if (!g && err[0])
        DBG1(DBG_CFG, "routes: not started: %s", err);
}

static int run(dataplane_kind_t kind)
{
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);

    for (;;) {
        sig = sigwaitinfo(&set, NULL);
        if (sig == -1) {
            if (errno == EINTR)
                continue;
            DBG1(DBG_DMN, "waiting for signals failed: %s", strerror(errno));
            return 1;
        }
        if (sig == SIGHUP) {
            char err[512];
            DBG1(DBG_DMN, "SIGHUP: reloading %s and connections", opts.config);
            if (check_settings_file(err, sizeof(err)) &&
                lib->settings->load_files(lib->settings, (char *)opts.config, FALSE)) {
                charon->load_loggers(charon);
                lib->plugins->reload(lib->plugins, NULL);
            } else {
                DBG1(DBG_DMN, "settings not reloaded, previous ones kept: %s", err);
            }
            routes_up();
            load_connections(kind);
            continue;
        }
        DBG1(DBG_DMN, "%s received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
        charon->bus->alert(charon->bus, ALERT_SHUTDOWN_SIGNAL, sig);
        return 0;
    }
}

int main(int argc, char *argv[])
{
    char err[512];
    dataplane_kind_t kind;
    int rc = 1, pidfd = -1, count;
    const char *pidpath;
    ctl_server_t *ctl = NULL;
    sigset_t set;

    if (!parse_args(argc, argv))
        return 2;
    dbg_default_set_level(opts.debug);
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
    if (!check_settings_file(err, sizeof(err)) || !load_dataplane(&kind, err, sizeof(err))) {
        fprintf(stderr, "tunneld: %s\n", err);
        library_deinit();
        return 1;
    }
    pidpath = opts.pidfile ? opts.pidfile : setting("pidfile", "/run/tunneld.pid");
    make_parent_dir(pidpath);
    pidfd = pidfile_acquire(pidpath, err, sizeof(err));
    if (pidfd < 0) {
        fprintf(stderr, "tunneld: %s\n", err);
        library_deinit();
        return 1;
    }
    if (!libcharon_init()) {
        fprintf(stderr, "tunneld: libcharon initialization failed\n");
        goto out;
    }
    /* our own vici socket by default, never a system charon's */
    lib->settings->set_default_str(lib->settings, "%s.plugins.vici.socket",
                                   "unix:///run/tunneld/vici", NS);
    make_parent_dir(setting("plugins.vici.socket", "unix:///run/tunneld/vici"));
    {
        level_t levels[DBG_MAX];
        for (int g = 0; g < DBG_MAX; g++)
            levels[g] = opts.debug;
        charon->set_default_loggers(charon, levels, !opts.syslog_only);
        charon->load_loggers(charon);
    }
    DBG1(DBG_DMN, "tunneld %s starting (strongSwan %s, data plane %s)", TUNNELD_VERSION, VERSION,
         dataplane_name(kind));

    if (kind == DATAPLANE_XFRM) {
        xfrm_if_t ifs[64];
        size_t n;
        if (!read_xfrm_ifs(ifs, 64, &n, err, sizeof(err)) ||
            !dataplane_xfrm_setup(ifs, n, err, sizeof(err))) {
            /* IKE can still run; routes over the missing interface cannot */
            DBG1(DBG_DMN, "data plane: %s", err);
        }
    }

    /*
     * When tunneld routes the sites itself, charon's own routes must not
     * shadow the engine's table: kernel-netlink is told not to add any, and
     * kernel-libipsec (which always adds routes to its TUN) gets its table
     * consulted after the engine's rule, as a fallback.
     */
    {
        enumerator_t *e =
            lib->settings->create_section_enumerator(lib->settings, NS ".routes.sites");
        char *site;
        bool routed = e->enumerate(e, &site);
        e->destroy(e); /* it holds the settings' read lock */
        if (routed) {
            char prio[16];
            snprintf(prio, sizeof(prio), "%d", ROUTES_DEFAULT_RULE_PRIORITY + 1);
            lib->settings->set_default_str(lib->settings, NS ".install_routes", "no");
            lib->settings->set_default_str(lib->settings, NS ".routing_table_prio", prio);
        }
    }
    plugin_feature_t *features = controller_plugin_features(&count);
    lib->plugins->add_static_features(lib->plugins, CONTROLLER_PLUGIN_NAME, features, count, TRUE,
                                      NULL, NULL);
    if (!charon->initialize(charon, (char *)setting("load", dataplane_default_plugins(kind)))) {
        DBG1(DBG_DMN, "charon initialization failed (plugins: %s)",
             setting("load", dataplane_default_plugins(kind)));
        goto out;
    }
    lib->plugins->status(lib->plugins, LEVEL_CTRL);
    if (!lib->caps->drop(lib->caps)) {
        DBG1(DBG_DMN, "dropping capabilities failed");
        goto out;
    }

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    charon->start(charon);

    const char *ctl_uri = setting("control_socket", "unix:///run/tunneld/tunneld.ctl");
    make_parent_dir(ctl_uri);
    ctl = ctl_server_create(ctl_uri);
    if (ctl)
        ctl_server_add_command(ctl, "routes", cmd_routes, NULL);
    routes_up();
    load_connections(kind);
    rc = run(kind);
out:
    /* no control request may be reading the glue when it goes */
    ctl_server_destroy(ctl);
    route_glue_stop(glue);
    libcharon_deinit();
    pidfile_release(pidfd, pidpath);
    library_deinit();
    return rc;
}
