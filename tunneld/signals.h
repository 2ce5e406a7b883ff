/*
 * signals: tunneld's signal dispositions, set as the very first thing in
 * main() so that no signal can kill the daemon while it starts:
 *
 *  - SIGHUP, SIGTERM, SIGINT are blocked in the main thread before any other
 *    thread exists (every thread inherits the mask), and stay pending until
 *    the main thread takes them with signals_wait(): a SIGHUP during start
 *    becomes a reload right after it, a SIGTERM a clean stop.
 *  - SIGPIPE is ignored process-wide (as charon does): a peer that closes a
 *    socket makes write() fail with EPIPE instead of killing the daemon.
 *
 * tunneld -n is a command, not a daemon: signals_unblock() gives it the
 * default dispositions back, so that Ctrl-C or SIGTERM stop a slow check.
 *
 * Threading: signals_init() and signals_unblock() in the main thread before
 * any thread is created; signals_wait(), signals_wait_timeout() and signals_stop_fd() in the main
 * thread only.
 */
#ifndef TUNNELD_SIGNALS_H
#define TUNNELD_SIGNALS_H

#include <stdbool.h>
#include <signal.h>

void signals_init(void);

/* tunneld -n: SIGHUP, SIGTERM, SIGINT unblocked, SIGPIPE back to its default */
void signals_unblock(void);

/*
 * Waits for SIGHUP, SIGTERM or SIGINT and returns it; -1 (errno set) when
 * waiting fails for another reason than an interruption.
 */
int signals_wait(void);

/*
 * signals_wait for at most ms milliseconds: 0 when none arrived (an
 * interruption restarts the whole wait, so it may last longer).
 */
int signals_wait_timeout(int ms);

/*
 * A signalfd (non-blocking, close-on-exec) that becomes readable when
 * SIGTERM or SIGINT is pending, for a main thread that waits on something
 * else (a reload's check); reading it takes the signal. -1 with errno set.
 */
int signals_stop_fd(void);

/* the signals a child process must get back to their defaults (see reload_check.h) */
void signals_handled_set(sigset_t *set);

#endif
