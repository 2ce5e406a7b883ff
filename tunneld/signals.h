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
 * Threading: signals_init() in the main thread before any thread is created;
 * signals_wait() in the main thread only.
 */
#ifndef TUNNELD_SIGNALS_H
#define TUNNELD_SIGNALS_H

#include <stdbool.h>

void signals_init(void);

/*
 * Waits for SIGHUP, SIGTERM or SIGINT and returns it; -1 (errno set) when
 * waiting fails for another reason than an interruption.
 */
int signals_wait(void);

#endif
