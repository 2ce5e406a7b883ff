/*
 * options: tunneld's command line (usage text, getopt_long). Every option of
 * the usage text and of docs/man/tunneld.8 is parsed here; anything else is
 * refused with a message naming it.
 *
 * Threading: main thread only, before anything else starts.
 */
#ifndef TUNNELD_OPTIONS_H
#define TUNNELD_OPTIONS_H

#include <stdbool.h>

/* -d above this level is capped unless --log-keys: level 4 logs key material */
#define OPTIONS_MAX_SAFE_DEBUG 3

typedef struct {
    const char *config;  /* -f */
    bool check_only;     /* -n */
    bool reload_check;   /* --reload-check: -n as SIGHUP runs it (reload_check.h) */
    int debug;           /* -d, -1..4 as given */
    bool syslog_only;    /* --syslog */
    bool flush_on_exit;  /* --flush-on-exit */
    bool log_keys;       /* --log-keys: allow level 4 (IKE/ESP key material) */
    const char *pidfile; /* --pidfile, NULL for tunneld.pidfile */
} tunneld_opts_t;

/*
 * Parses argv into o (which holds the defaults). Sets *exit_now when tunneld
 * must exit at once with the returned code: 0 after --help, 2 after an error
 * (the message is on stderr). Otherwise returns 0.
 */
int options_parse(int argc, char *argv[], tunneld_opts_t *o, bool *exit_now);

#endif
