/*
 * daemon_conf: the daemon-level settings of tunneld.conf that take effect at
 * start (data plane, plugin list, pid file, control and vici sockets, the
 * control socket's mode and group, XFRM interfaces), read and validated in
 * one place for the daemon, tunneld -n and SIGHUP:
 *
 *  - daemon_conf_read: the values, strictly (no system state looked at but
 *    the group database and, to tell whether two paths name the same file,
 *    the file system); the settings file, the connections file, the pid
 *    file, the control socket and the vici socket must be five different
 *    files;
 *  - daemon_conf_check_system: read-only checks of what starting would
 *    refuse (a file or a live socket at a socket path, a pid file path that
 *    is not a tunneld pid file, a directory that cannot be made or written,
 *    a plugin that does not exist, XFRM interface conflicts), for tunneld -n
 *    and the daemon before it changes anything;
 *  - daemon_conf_reload: at SIGHUP, says which changed keys need a restart
 *    (keeping what runs) and creates XFRM interfaces added to the settings.
 *
 * Threading: main thread only; reads lib->settings.
 */
#ifndef TUNNELD_DAEMON_CONF_H
#define TUNNELD_DAEMON_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dataplane.h"

typedef struct {
    dataplane_kind_t kind;
    char *load;          /* plugin list (tunneld.load or the data plane's default) */
    char *pidfile;       /* --pidfile or tunneld.pidfile */
    const char *pid_key; /* "--pidfile" or "tunneld.pidfile" */
    char *swanctl;       /* tunneld.swanctl_conf */
    char *ctl_uri;       /* tunneld.control_socket, unix:///path */
    const char *ctl_path;
    unsigned ctl_mode; /* tunneld.control_mode, default 0660 */
    char *ctl_group;   /* tunneld.control_group as given, "" when unset */
    gid_t ctl_gid;     /* its gid, (gid_t)-1 when unset */
    char *vici_uri;    /* tunneld.plugins.vici.socket */
    xfrm_if_t *ifs;    /* tunneld.xfrm.interfaces (data plane xfrm) */
    size_t n_ifs;
} daemon_conf_t;

/* config: the settings file (-f); pidfile: --pidfile or NULL */
bool daemon_conf_read(daemon_conf_t *c, const char *config, const char *pidfile, char *err,
                      size_t errlen);
/* live_ok: a live socket at a socket path is fine (tunneld -n while tunneld runs) */
bool daemon_conf_check_system(const daemon_conf_t *c, bool live_ok, char *err, size_t errlen);
void daemon_conf_free(daemon_conf_t *c);

/*
 * At SIGHUP, with the settings just reloaded into next: logs each changed
 * key that only a restart applies (running keeps its value), creates the
 * XFRM interfaces added to the settings (data plane xfrm; each one created
 * is added to running, a failure is logged with the kernel's error).
 */
void daemon_conf_reload(daemon_conf_t *running, const daemon_conf_t *next);

#endif
