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
            "usage: tunneld [-f FILE] [-n] [-d LEVEL] [--syslog] [--pidfile PATH]\n"
            "               [--flush-on-exit] [--log-keys]\n"
            "  -f, --config FILE   daemon settings (default %s/tunneld.conf)\n"
            "  -n, --check         check the settings and connections, then exit\n"
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

int options_parse(int argc, char *argv[], tunneld_opts_t *o, bool *exit_now)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'f'},
        {"check", no_argument, NULL, 'n'},
        {"debug", required_argument, NULL, 'd'},
        {"syslog", no_argument, NULL, 'S'},
        {"pidfile", required_argument, NULL, 'P'},
        {"flush-on-exit", no_argument, NULL, 'F'},
        {"log-keys", no_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *exit_now = false;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "f:nd:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->config = optarg;
            break;
        case 'n':
            o->check_only = true;
            break;
        case 'd':
            if (!parse_debug(optarg, &o->debug))
                goto bad;
            break;
        case 'S':
            o->syslog_only = true;
            break;
        case 'P':
            o->pidfile = optarg;
            break;
        case 'F':
            o->flush_on_exit = true;
            break;
        case 'K':
            o->log_keys = true;
            break;
        case 'h':
            usage(stdout);
            *exit_now = true;
            return 0;
        default:
            usage(stderr);
            goto bad;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "tunneld: unexpected argument '%s'\n", argv[optind]);
        goto bad;
    }
    if (!o->config[0] || (o->pidfile && !o->pidfile[0])) {
        fprintf(stderr, "tunneld: %s: expected a path, got an empty one\n",
                o->config[0] ? "--pidfile" : "--config");
        goto bad;
    }
    return 0;
bad:
    *exit_now = true;
    return 2;
}
