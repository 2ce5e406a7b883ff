/*
 * notify: tunneld's state for its service manager (sd_notify(3), for a
 * systemd unit of Type=notify, debian/tunneld.service). Nothing is sent, and
 * nothing is computed, unless NOTIFY_SOCKET is set in the environment.
 *
 *  - notify_ready: READY=1 with STATUS= (status_line.h), once the
 *    configuration is loaded, the control socket is served, charon runs and
 *    the connections are loaded; again at the end of each reload, with its
 *    outcome as the status's note ("reloaded", "reload refused: WHY").
 *  - notify_reloading: RELOADING=1 and MONOTONIC_USEC= (CLOCK_MONOTONIC) as
 *    a SIGHUP's reload begins (systemd 253's Type=notify-reload reads the
 *    time; 252 ignores it).
 *  - notify_stopping: STOPPING=1 at SIGTERM/SIGINT.
 *  - notify_refresh: STATUS= again when its text changed (the main loop
 *    calls it every few seconds); the last reload's note stays in it until
 *    the next reload.
 *
 * Failures to send are ignored (the service manager times out or not; the
 * daemon runs the same). The messages are queued, in order, for a sender
 * thread (started with the first one) that calls sd_notify(3): its send
 * blocks while the notify socket's queue is full (systemd reads it at once;
 * the test daemon_notify.sh holds it there to look at tunneld exactly where
 * it says READY=1), but the main thread never waits for it: a manager that
 * never reads cannot stop SIGHUP or SIGTERM. At most NOTIFY_QUEUE_MAX
 * messages wait; more are dropped (nobody reads them). notify_flush at exit
 * lets STOPPING=1 go out, for a bounded time. The reload check's child
 * (tunneld -n) and charon's updown scripts inherit NOTIFY_SOCKET: the
 * unit's NotifyAccess=main makes systemd ignore anything but tunneld's main
 * process (the sender thread's messages carry the process's pid).
 *
 * Threading: the notify_* calls in the main thread only (the last status
 * and note are unlocked statics); the queue is locked, shared with the
 * sender thread; g is read through route_glue_paths, which any thread may
 * call.
 */
#ifndef TUNNELD_NOTIFY_H
#define TUNNELD_NOTIFY_H

#include <stdbool.h>

#include "route_glue.h"

/* true when NOTIFY_SOCKET is set (read once) */
bool notify_enabled(void);

/* note: the reload outcome shown until the next one; NULL keeps the last */
void notify_ready(route_glue_t *g, const char *note);
void notify_reloading(void);
void notify_stopping(void);
void notify_refresh(route_glue_t *g);

#define NOTIFY_QUEUE_MAX 16
#define NOTIFY_FLUSH_MS  2000

/* at exit: waits at most ms for the queued messages to be sent */
void notify_flush(unsigned ms);

#endif
