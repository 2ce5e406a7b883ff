/* daemon_conf: see daemon_conf.h. */
#include "daemon_conf.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <library.h>

#include "paths.h"
#include "pidfile.h"
#include "plugin_list.h"
#include "quote.h"
#include "xfrm_conf.h"

#define NS               "tunneld"
#define DEFAULT_PIDFILE  "/run/tunneld/tunneld.pid"
#define DEFAULT_CTL      "unix:///run/tunneld/tunneld.ctl"
#define DEFAULT_VICI     "unix:///run/tunneld/vici"
#define DEFAULT_CTL_MODE 0660
#ifndef TUNNELD_SYSCONFDIR
#define TUNNELD_SYSCONFDIR "/etc/tunneld"
#endif
#define DEFAULT_SWANCTL TUNNELD_SYSCONFDIR "/swanctl.conf"

static char *get(const char *key, const char *def)
{
    return lib->settings->get_str(lib->settings, (char *)key, (char *)def);
}

/* an octal mode from 0 to 0777, e.g. 0660 or 660 */
static bool parse_mode(const char *text, unsigned *mode)
{
    size_t len = strlen(text);
    unsigned v = 0;

    if (len < 3 || len > 4 || (len == 4 && text[0] != '0'))
        return false;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '7')
            return false;
        v = v * 8 + (unsigned)(*p - '0');
    }
    *mode = v;
    return true;
}

/* a group name or number; *gid (gid_t)-1 with err set if it does not exist */
static bool lookup_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
    long max = sysconf(_SC_GETGR_R_SIZE_MAX);
    size_t size = max > 0 ? (size_t)max : 1024;
    struct group gr, *found = NULL;
    int rc = ERANGE;

    for (int tries = 0; rc == ERANGE && tries < 8; tries++, size *= 4) {
        char *buf = malloc(size);
        if (!buf) {
            rc = ENOMEM;
            break;
        }
        rc = getgrnam_r(name, &gr, buf, size, &found);
        if (!rc && found)
            *gid = gr.gr_gid;
        free(buf);
    }
    if (!rc && found)
        return true;
    char *end;
    unsigned long v = strtoul(name, &end, 10);
    if (name[0] >= '0' && name[0] <= '9' && !*end && v < (gid_t)-1) {
        *gid = (gid_t)v;
        return true;
    }
    quoted_t q;
    snprintf(err, errlen, NS ".control_group: no group '%s'%s%s", quote(name, &q), rc ? ": " : "",
             rc ? strerror(rc) : "");
    return false;
}

static bool read_ctl(daemon_conf_t *c, const char *config, char *err, size_t errlen)
{
    const char *mode = get(NS ".control_mode", NULL);

    c->ctl_uri = strdup(get(NS ".control_socket", DEFAULT_CTL));
    c->ctl_group = strdup(get(NS ".control_group", ""));
    c->ctl_mode = DEFAULT_CTL_MODE;
    c->ctl_gid = (gid_t)-1;
    if (!c->ctl_uri || !c->ctl_group) {
        snprintf(err, errlen, "%s: out of memory", config);
        return false;
    }
    if (!paths_unix_uri(NS ".control_socket", c->ctl_uri, &c->ctl_path, err, errlen))
        return false;
    if (mode && !parse_mode(mode, &c->ctl_mode)) {
        quoted_t q;
        snprintf(err, errlen, NS ".control_mode: expected an octal mode such as 0660, got '%s'",
                 quote(mode, &q));
        return false;
    }
    return !c->ctl_group[0] || lookup_group(c->ctl_group, &c->ctl_gid, err, errlen);
}

/* the vici socket's path, or NULL when it is not a unix socket */
static const char *vici_path(const daemon_conf_t *c)
{
    return strncmp(c->vici_uri, "unix://", 7) == 0 ? c->vici_uri + 7 : NULL;
}

/* no two of the files tunneld reads, writes or binds are one file */
static bool paths_distinct(const daemon_conf_t *c, const char *config, char *err, size_t errlen)
{
    const struct {
        const char *key, *path;
    } f[] = {
        {"the settings file (-f)", config},
        {NS ".swanctl_conf", c->swanctl},
        {c->pid_key, c->pidfile},
        {NS ".control_socket", c->ctl_path},
        {NS ".plugins.vici.socket", vici_path(c)},
    };
    size_t n = sizeof(f) / sizeof(f[0]);

    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (f[i].path && f[j].path && paths_same(f[i].path, f[j].path)) {
                snprintf(err, errlen,
                         "%s and %s name the same file (%s): each needs a path of its own",
                         f[i].key, f[j].key, f[j].path);
                return false;
            }
    return true;
}

static bool read_all(daemon_conf_t *c, const char *config, const char *pidfile, char *err,
                     size_t errlen)
{
    const char *text = get(NS ".dataplane", "xfrm"), *vici_unix;

    if (!dataplane_parse(text, &c->kind)) {
        quoted_t q;
        snprintf(err, errlen, "%s: %s.dataplane: expected 'xfrm' or 'libipsec', got '%s'", config,
                 NS, quote(text, &q));
        return false;
    }
    c->load = strdup(get(NS ".load", dataplane_default_plugins(c->kind)));
    c->pidfile = strdup(pidfile ? pidfile : get(NS ".pidfile", DEFAULT_PIDFILE));
    c->pid_key = pidfile ? "--pidfile" : NS ".pidfile";
    c->swanctl = strdup(get(NS ".swanctl_conf", DEFAULT_SWANCTL));
    c->vici_uri = strdup(get(NS ".plugins.vici.socket", DEFAULT_VICI));
    if (!c->load || !c->pidfile || !c->swanctl || !c->vici_uri) {
        snprintf(err, errlen, "%s: out of memory", config);
        return false;
    }
    if (!paths_check(c->pid_key, c->pidfile, err, errlen) ||
        !paths_check(NS ".swanctl_conf", c->swanctl, err, errlen) ||
        !read_ctl(c, config, err, errlen))
        return false;
    /* a vici socket elsewhere than a unix path is strongSwan's business */
    if (vici_path(c) &&
        !paths_unix_uri(NS ".plugins.vici.socket", c->vici_uri, &vici_unix, err, errlen))
        return false;
    if (!paths_distinct(c, config, err, errlen))
        return false;
    return c->kind != DATAPLANE_XFRM || xfrm_conf_read(&c->ifs, &c->n_ifs, err, errlen);
}

bool daemon_conf_read(daemon_conf_t *c, const char *config, const char *pidfile, char *err,
                      size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (read_all(c, config, pidfile, err, errlen))
        return true;
    daemon_conf_free(c);
    return false;
}

void daemon_conf_free(daemon_conf_t *c)
{
    free(c->load);
    free(c->pidfile);
    free(c->swanctl);
    free(c->ctl_uri);
    free(c->ctl_group);
    free(c->vici_uri);
    free(c->ifs);
    memset(c, 0, sizeof(*c));
}

static bool socket_free(const char *key, const char *path, bool live_ok, char *err, size_t errlen)
{
    switch (paths_socket_state(key, path, err, errlen)) {
    case SOCK_PATH_FREE:
    case SOCK_PATH_STALE:
        return true;
    case SOCK_PATH_LIVE:
        return live_ok;
    default:
        return false;
    }
}

/* a file that does not exist yet can be made there (an existing one is checked as what it is) */
static bool makeable(const char *key, const char *path, char *err, size_t errlen)
{
    struct stat st;

    return lstat(path, &st) == 0 || paths_dir_check(key, path, err, errlen);
}

bool daemon_conf_check_system(const daemon_conf_t *c, bool live_ok, char *err, size_t errlen)
{
    const char *vici = vici_path(c);

    if (!pidfile_check(c->pid_key, c->pidfile, err, errlen) ||
        !makeable(c->pid_key, c->pidfile, err, errlen) ||
        !paths_dir_private(c->pid_key, c->pidfile, err, errlen))
        return false;
    if (!socket_free(NS ".control_socket", c->ctl_path, live_ok, err, errlen) ||
        !makeable(NS ".control_socket", c->ctl_path, err, errlen) ||
        !paths_dir_private(NS ".control_socket", c->ctl_path, err, errlen))
        return false;
    /* root's swanctl sends the secrets there: nobody else may put a listener in its place */
    if (vici && (!socket_free(NS ".plugins.vici.socket", vici, live_ok, err, errlen) ||
                 !makeable(NS ".plugins.vici.socket", vici, err, errlen) ||
                 !paths_dir_private(NS ".plugins.vici.socket", vici, err, errlen)))
        return false;
    if (!plugin_list_check(NS ".load", c->load, err, errlen))
        return false;
    return c->kind != DATAPLANE_XFRM || dataplane_xfrm_check(c->ifs, c->n_ifs, err, errlen);
}

static void restart_needed(const char *key, const char *running, const char *next)
{
    if (strcmp(running, next) != 0)
        DBG1(DBG_DMN,
             "SIGHUP: %s changed from '%s' to '%s': applied only when tunneld restarts; "
             "'%s' stays in effect",
             key, running, next, running);
}

/* interfaces whose settings changed or that left the settings */
static void xfrm_changes(const daemon_conf_t *running, const daemon_conf_t *next)
{
    for (size_t i = 0; i < running->n_ifs; i++) {
        const xfrm_if_t *r = &running->ifs[i];
        const xfrm_if_t *n = xfrm_conf_find(next->ifs, next->n_ifs, r->name);
        if (!n)
            DBG1(DBG_DMN,
                 "SIGHUP: %s.xfrm.interfaces.%s left the settings: the interface stays (tunneld "
                 "never deletes an interface that may carry traffic; ip link del %s)",
                 NS, r->name, r->name);
        else if (n->if_id != r->if_id || strcmp(n->dev, r->dev) != 0)
            DBG1(DBG_DMN,
                 "SIGHUP: %s.xfrm.interfaces.%s changed (if_id %u dev '%s' -> if_id %u dev "
                 "'%s'): applied only when tunneld restarts; if_id %u stays in effect",
                 NS, r->name, r->if_id, r->dev, n->if_id, n->dev, r->if_id);
    }
}

/* creates the interfaces that are new in next, one by one */
static void xfrm_additions(daemon_conf_t *running, const daemon_conf_t *next)
{
    for (size_t i = 0; i < next->n_ifs; i++) {
        const xfrm_if_t *n = &next->ifs[i];
        char err[PATHS_ERR_MAX];
        if (xfrm_conf_find(running->ifs, running->n_ifs, n->name))
            continue;
        for (size_t j = 0; j < running->n_ifs; j++)
            if (running->ifs[j].if_id == n->if_id) {
                DBG1(DBG_DMN,
                     "SIGHUP: %s.xfrm.interfaces.%s.if_id: %u is the if_id of %s: not created", NS,
                     n->name, n->if_id, running->ifs[j].name);
                goto next;
            }
        xfrm_if_t *grown = realloc(running->ifs, (running->n_ifs + 1) * sizeof(*grown));
        if (!grown) {
            DBG1(DBG_DMN, "SIGHUP: %s.xfrm.interfaces.%s: out of memory", NS, n->name);
            return;
        }
        running->ifs = grown;
        if (!dataplane_xfrm_setup(n, 1, NULL, err, sizeof(err))) {
            DBG1(DBG_DMN, "SIGHUP: %s; the other interfaces keep running", err);
            continue;
        }
        running->ifs[running->n_ifs++] = *n;
        DBG1(DBG_DMN, "SIGHUP: XFRM interface %s (if_id %u) is up", n->name, n->if_id);
    next:;
    }
}

void daemon_conf_reload(daemon_conf_t *running, const daemon_conf_t *next)
{
    char a[16], b[16];

    restart_needed(NS ".dataplane", dataplane_name(running->kind), dataplane_name(next->kind));
    restart_needed(NS ".load", running->load, next->load);
    restart_needed(NS ".pidfile", running->pidfile, next->pidfile);
    restart_needed(NS ".control_socket", running->ctl_uri, next->ctl_uri);
    restart_needed(NS ".control_group", running->ctl_group, next->ctl_group);
    snprintf(a, sizeof(a), "%04o", running->ctl_mode);
    snprintf(b, sizeof(b), "%04o", next->ctl_mode);
    restart_needed(NS ".control_mode", a, b);
    restart_needed(NS ".plugins.vici.socket", running->vici_uri, next->vici_uri);
    if (running->kind != DATAPLANE_XFRM)
        return;
    xfrm_changes(running, next);
    /* the MSS clamp follows the settings at once (preflight_mss.h) */
    for (size_t i = 0; i < running->n_ifs; i++) {
        const xfrm_if_t *n = xfrm_conf_find(next->ifs, next->n_ifs, running->ifs[i].name);
        if (n)
            running->ifs[i].mss = n->mss;
    }
    if (next->kind == DATAPLANE_XFRM)
        xfrm_additions(running, next);
}
