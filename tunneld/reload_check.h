/*
 * reload_check: at SIGHUP, before anything of the running daemon changes,
 * tunneld runs its own `tunneld -n --reload-check` on the settings file as a
 * child process (the same binary, through /proc/self/exe, with the same -f,
 * --pidfile and --log-keys): the checks of -n (the settings file and its
 * includes, daemon keys, loggers, plugin list, paths, charon's routing table
 * priority) are made on the new file without touching lib->settings, which
 * charon's threads read at any time. Only a file it accepts is reloaded; a
 * crash of the check (a parser bug) cannot take the daemon down. Left to
 * the reload itself: tunneld.routes (the route glue checks it against the
 * routes that run: a changed table is not an error for a fresh start, but
 * is one for a reload) and the connections file (loaded all or nothing).
 *
 * The child gets the default signal dispositions, a process group of its
 * own (it is killed as a group), /dev/null as stdin, a pipe as stdout and
 * stderr (its last line is the reason of a refusal; at most
 * RELOAD_CHECK_LINE_MAX bytes of it are kept, a longer one is marked as cut),
 * and no other file descriptor. SIGTERM or SIGINT while it runs kill it and
 * are handed back to the caller; a check that runs longer than
 * RELOAD_CHECK_MAX_S is killed and the reload refused. SIGHUP stays pending
 * (a reload after this one).
 *
 * Threading: main thread only (it blocks while the child runs).
 */
#ifndef TUNNELD_RELOAD_CHECK_H
#define TUNNELD_RELOAD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#define RELOAD_CHECK_MAX_S    600
#define RELOAD_CHECK_LINE_MAX 16384

typedef enum {
    RELOAD_CHECK_OK,      /* tunneld -n accepted the file */
    RELOAD_CHECK_REFUSED, /* *why says why (malloc'd) */
    RELOAD_CHECK_STOP,    /* SIGTERM or SIGINT arrived: *sig; the child is gone */
} reload_check_t;

/*
 * argv: the arguments after the program name (e.g. "-n", "-f", FILE, NULL).
 * *why is set for REFUSED (NULL when out of memory), *sig for STOP.
 */
reload_check_t reload_check_run(const char *const argv[], char **why, int *sig);

#endif
