/*
 * routes_driver - test driver for the routes/ engine, run inside a network
 * namespace by the integration scripts.
 *
 *   routes_driver [options] apply STATE.json   open, apply once, close
 *   routes_driver [options] run STATE.json     apply, then serve events and
 *                                              commands until SIGTERM/quit
 *   routes_driver [options] open               open (adopt, checks), close
 *
 * Options: --table N, --protocol N, --flush-on-exit, --no-rules,
 *          --control FIFO (run: reads "reload", "health SITE PATH up|down",
 *          "rank SITE PATH:RANK[:down] ...", "unrank SITE", "mark SITE PATH"
 *          (prints "mark site=.. path=.. mark=N", the probe fwmark, 0: none),
 *          "stats", "quit" lines), --debug.
 *
 * Output (line-buffered stdout): "applied ok=.. messages=.. ...",
 * "error site=.. path=.. prefix=.. :: message", "event TYPE site=.. path=..
 * if=.. :: detail [cause=..]", "ranked ok=.. ..." (as applied), "stats ...". Exit status: 0 ok, 2
 * apply errors, 1 other.
 *
 * Threading: single-threaded; the poll loop below is the model for callers
 * that integrate the engine in their own loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "routes.h"

struct drv {
    const char *state_path;
    struct routes_options opts;
    struct routes_engine *eng;
    bool table_set, proto_set, flush_set, no_rules;
    uint32_t table;
    uint8_t protocol;
};

static void on_event(const struct routes_event *ev, void *ctx)
{
    (void)ctx;
    printf("event %s site=%s path=%s if=%s :: %s [cause=%s]\n", routes_event_name(ev->type),
           ev->site ? ev->site : "-", ev->path ? ev->path : "-", ev->ifname ? ev->ifname : "-",
           ev->detail ? ev->detail : "", routes_cause_name(ev->cause));
}

static void on_log(enum routes_log_level lvl, const char *msg, void *ctx)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    (void)ctx;
    printf("log %s :: %s\n", names[lvl], msg);
}

static void print_result(const char *what, int rc, const struct routes_result *r)
{
    printf("%s ok=%d messages=%llu routes_set=%u routes_deleted=%u nexthops_added=%u "
           "groups_changed=%u nexthops_deleted=%u sites_applied=%u sites_failed=%u\n",
           what, rc == 0, (unsigned long long)r->messages, r->routes_set, r->routes_deleted,
           r->nexthops_added, r->groups_changed, r->nexthops_deleted, r->sites_applied,
           r->sites_failed);
    for (size_t i = 0; i < r->n_errors; i++)
        printf("error site=%s path=%s prefix=%s :: %s\n",
               r->errors[i].site[0] ? r->errors[i].site : "-",
               r->errors[i].path[0] ? r->errors[i].path : "-",
               r->errors[i].prefix[0] ? r->errors[i].prefix : "-", r->errors[i].message);
}

/* Loads options (first time) and the state from the file. */
static struct routes_state *load_state(struct drv *d, bool with_opts)
{
    struct routes_state *st = NULL;
    char err[512];
    if (routes_load_json_file(d->state_path, with_opts ? &d->opts : NULL, &st, err, sizeof(err)) <
        0) {
        printf("config-error :: %s\n", err);
        return NULL;
    }
    return st;
}

static int do_apply(struct drv *d, struct routes_state *st)
{
    struct routes_result res;
    int rc = routes_apply(d->eng, st, &res);
    print_result("applied", rc, &res);
    routes_result_free(&res);
    return rc;
}

static void print_stats(struct drv *d)
{
    struct routes_stats s;
    routes_get_stats(d->eng, &s);
    printf("stats messages_sent=%llu repairs=%llu resyncs=%llu notifications=%llu routes=%zu "
           "nexthops=%zu\n",
           (unsigned long long)s.messages_sent, (unsigned long long)s.repairs,
           (unsigned long long)s.resyncs, (unsigned long long)s.notifications, s.routes_owned,
           s.nexthops_owned);
}

/* "rank SITE PATH:RANK[:down] ...": the site's ranking; "unrank SITE"
 * drops it. */
static void rank_cmd(struct drv *d, char *args, bool clear)
{
    struct routes_path_rank ranks[ROUTES_MAX_PATHS + 1];
    struct routes_result res;
    char *save = NULL, *site = strtok_r(args, " ", &save), *tok;
    size_t n = 0;
    int rc;

    if (!site) {
        printf("unknown-command :: rank needs a site\n");
        return;
    }
    while (!clear && (tok = strtok_r(NULL, " ", &save)) && n <= ROUTES_MAX_PATHS) {
        char *c1 = strchr(tok, ':'), *c2;
        if (!c1) {
            printf("unknown-command :: rank entry '%s' (expected PATH:RANK[:down])\n", tok);
            return;
        }
        *c1 = '\0';
        c2 = strchr(c1 + 1, ':');
        if (c2)
            *c2 = '\0';
        ranks[n].path = tok;
        ranks[n].rank = (unsigned)strtoul(c1 + 1, NULL, 10);
        ranks[n].usable = !(c2 && !strcmp(c2 + 1, "down"));
        n++;
    }
    rc = routes_set_site_ranking(d->eng, site, clear ? NULL : ranks, n, &res);
    print_result("ranked", rc, &res);
    routes_result_free(&res);
}

/* Returns false on "quit". */
static bool command(struct drv *d, char *line)
{
    char site[ROUTES_NAME_MAX], path[ROUTES_NAME_MAX], state[8];
    line[strcspn(line, "\r\n")] = '\0';
    if (!strcmp(line, "quit"))
        return false;
    if (!strcmp(line, "stats")) {
        print_stats(d);
    } else if (!strcmp(line, "reload")) {
        struct routes_state *st = load_state(d, false);
        if (st) {
            do_apply(d, st);
            routes_state_free(st);
        }
    } else if (sscanf(line, "mark %63s %63s", site, path) == 2) {
        printf("mark site=%s path=%s mark=%u\n", site, path,
               routes_path_probe_mark(d->eng, site, path));
    } else if (!strncmp(line, "rank ", 5)) {
        rank_cmd(d, line + 5, false);
    } else if (!strncmp(line, "unrank ", 7)) {
        rank_cmd(d, line + 7, true);
    } else if (sscanf(line, "health %63s %63s %7s", site, path, state) == 3) {
        struct routes_result res;
        int rc = routes_set_path_health(d->eng, site, path, !strcmp(state, "up"), &res);
        print_result("health", rc, &res);
        routes_result_free(&res);
    } else if (line[0]) {
        printf("unknown-command :: %s\n", line);
    }
    return true;
}

static int serve(struct drv *d, const char *control)
{
    char buf[1024];
    size_t used = 0;
    sigset_t mask;
    int sfd, cfd = -1;

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sfd < 0) {
        perror("signalfd");
        return 1;
    }
    if (control) {
        /* O_RDWR: never blocks on open, never sees EOF between writers */
        cfd = open(control, O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (cfd < 0) {
            perror(control);
            close(sfd);
            return 1;
        }
    }
    printf("ready\n");
    for (;;) {
        struct pollfd pfd[3] = {
            {.fd = routes_get_fd(d->eng), .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            {.fd = cfd, .events = POLLIN},
        };
        int n = poll(pfd, cfd >= 0 ? 3 : 2, routes_timeout_ms(d->eng));
        if (n < 0 && errno != EINTR)
            break;
        routes_process_events(d->eng);
        if (n > 0 && (pfd[1].revents & POLLIN))
            break;
        if (n > 0 && cfd >= 0 && (pfd[2].revents & POLLIN)) {
            ssize_t r = read(cfd, buf + used, sizeof(buf) - 1 - used);
            char *nl;
            if (r > 0)
                used += (size_t)r;
            buf[used] = '\0';
            while ((nl = strchr(buf, '\n'))) {
                *nl = '\0';
                if (!command(d, buf)) {
                    close(cfd);
                    close(sfd);
                    return 0;
                }
                used -= (size_t)(nl + 1 - buf);
                memmove(buf, nl + 1, used + 1);
            }
            if (used == sizeof(buf) - 1)
                used = 0; /* overlong line: drop */
        }
    }
    if (cfd >= 0)
        close(cfd);
    close(sfd);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: routes_driver [--table N] [--protocol N] [--flush-on-exit] "
                    "[--no-rules] [--control FIFO] [--debug] apply|run|open [STATE.json]\n");
}

int main(int argc, char **argv)
{
    struct drv d = {0};
    struct routes_state *st = NULL;
    const char *control = NULL, *cmd = NULL;
    char err[512];
    bool debug = false;
    int rc = 0, i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    routes_options_init(&d.opts);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--table") && i + 1 < argc) {
            d.table_set = true;
            d.table = (uint32_t)strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--protocol") && i + 1 < argc) {
            d.proto_set = true;
            d.protocol = (uint8_t)strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--flush-on-exit")) {
            d.flush_set = true;
        } else if (!strcmp(argv[i], "--no-rules")) {
            d.no_rules = true;
        } else if (!strcmp(argv[i], "--control") && i + 1 < argc) {
            control = argv[++i];
        } else if (!strcmp(argv[i], "--debug")) {
            debug = true;
        } else {
            usage();
            return 1;
        }
    }
    if (i >= argc) {
        usage();
        return 1;
    }
    cmd = argv[i++];
    if (strcmp(cmd, "open") && i >= argc) {
        usage();
        return 1;
    }
    if (i < argc) {
        d.state_path = argv[i];
        st = load_state(&d, true);
        if (!st)
            return 1;
    }
    if (d.table_set)
        d.opts.table = d.table;
    if (d.proto_set)
        d.opts.protocol = d.protocol;
    if (d.flush_set)
        d.opts.flush_on_exit = true;
    if (d.no_rules) {
        routes_options_free_rules(&d.opts);
        d.opts.rules = NULL;
        d.opts.n_rules = 0;
    }
    d.opts.on_event = on_event;
    d.opts.log = on_log;
    d.opts.log_level = debug ? ROUTES_LOG_DEBUG : ROUTES_LOG_INFO;
    if (routes_open(&d.eng, &d.opts, err, sizeof(err)) < 0) {
        printf("open-error :: %s\n", err);
        routes_state_free(st);
        routes_options_free_rules(&d.opts);
        return 1;
    }
    printf("opened\n");
    if (!strcmp(cmd, "apply")) {
        rc = do_apply(&d, st) < 0 ? 2 : 0;
    } else if (!strcmp(cmd, "run")) {
        rc = do_apply(&d, st) < 0 ? 2 : 0;
        if (serve(&d, control) != 0)
            rc = 1;
    } else if (strcmp(cmd, "open")) {
        usage();
        rc = 1;
    }
    routes_close(d.eng);
    printf("closed\n");
    routes_state_free(st);
    routes_options_free_rules(&d.opts);
    return rc;
}
