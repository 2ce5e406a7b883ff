/* options: see options.h. */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef TUNNELD_SYSCONFDIR
#define TUNNELD_SYSCONFDIR "/etc/tunneld"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tunneld [-f FILE] [-n [--reload-check]] [-d LEVEL] [--syslog]\n"
            "               [--pidfile PATH] [--flush-on-exit] [--log-keys]\n"
            "  -f, --config FILE   daemon settings (default %s/tunneld.conf)\n"
            "  -n, --check         check the settings and connections, then exit\n"
            "      --reload-check  with -n: what SIGHUP checks before it reloads the\n"
            "                      settings (not the connections file, not tunneld.routes)\n"
            "  -d, --debug LEVEL   log level -1..3 for the default logger (default 1);\n"
            "                      4 only with --log-keys\n"
            "      --syslog        log to syslog only (default: stderr and syslog)\n"
            "      --pidfile PATH  overrides tunneld.pidfile\n"
            "      --flush-on-exit withdraw tunneld's routes when it stops\n"
            "      --log-keys      allow log level 4, which logs IKE and ESP keys (secrets)\n"
            "  -h, --help          this text\n",
            TUNNELD_SYSCONFDIR);
}

static bool parse_debug(const char *text, int *level)
{
    char *end;
    long v = strtol(text, &end, 10);

    if (!text[0] || *end || v < -1 || v > 4) {
        fprintf(stderr, "tunneld: --debug: expected a level from -1 to 4, got '%s'\n", text);
        return false;
    }
    *level = (int)v;
    return true;
}

/* one option: 0 taken, 1 --help given, 2 refused */
static int take(int c, tunneld_opts_t *o)
{
    switch (c) {
    case 'f':
        o->config = optarg;
        return 0;
    case 'n':
        o->check_only = true;
        return 0;
    case 'd':
        return parse_debug(optarg, &o->debug) ? 0 : 2;
    case 'S':
        o->syslog_only = true;
        return 0;
    case 'P':
        o->pidfile = optarg;
        return 0;
    case 'F':
        o->flush_on_exit = true;
        return 0;
    case 'K':
        o->log_keys = true;
        return 0;
    case 'C':
        o->reload_check = true;
        return 0;
    case 'h':
        usage(stdout);
        return 1;
    default:
        usage(stderr);
        return 2;
    }
}

/* what getopt cannot tell: stray arguments, empty paths, option pairs */
static bool consistent(int argc, char *argv[], const tunneld_opts_t *o)
{
    if (optind < argc) {
        fprintf(stderr, "tunneld: unexpected argument '%s'\n", argv[optind]);
        return false;
    }
    if (!o->config[0] || (o->pidfile && !o->pidfile[0])) {
        fprintf(stderr, "tunneld: %s: expected a path, got an empty one\n",
                o->config[0] ? "--pidfile" : "--config");
        return false;
    }
    if (o->reload_check && !o->check_only) {
        fprintf(stderr, "tunneld: --reload-check: only with -n\n");
        return false;
    }
    return true;
}

int options_parse(int argc, char *argv[], tunneld_opts_t *o, bool *exit_now)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'f'},  {"check", no_argument, NULL, 'n'},
        {"reload-check", no_argument, NULL, 'C'},  {"debug", required_argument, NULL, 'd'},
        {"syslog", no_argument, NULL, 'S'},        {"pidfile", required_argument, NULL, 'P'},
        {"flush-on-exit", no_argument, NULL, 'F'}, {"log-keys", no_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int c, rc = 0;

    *exit_now = false;
    opterr = 1;
    while (!rc && (c = getopt_long(argc, argv, "f:nd:h", longopts, NULL)) != -1)
        rc = take(c, o);
    if (!rc && !consistent(argc, argv, o))
        rc = 2;
    *exit_now = rc != 0;
    return rc == 1 ? 0 : rc;
}
