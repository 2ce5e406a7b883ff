/*
 * bfd_speaker: runs BFD sessions (health/bfd) on one libev loop for tests and
 * benchmarks. Sessions come from the command line and/or a file (-f, one per
 * line), each a comma-separated list of keys:
 *
 *   remote=ADDR[,local=ADDR][,dev=IF][,mark=N][,multihop][,min_ttl=N]
 *   [,tx=INTERVAL][,rx=INTERVAL][,mult=N][,passive]
 *
 * INTERVAL is microseconds, or milliseconds with "ms" (default 1000ms;
 * multiplier 3). Every state change and change of negotiated intervals is
 * one JSON line on stdout. Commands on stdin, one per line:
 *
 *   set <index|all> <tx> <rx> <mult>   new intervals (a poll sequence when Up)
 *   admin <index|all> down|up          AdminDown (diag 7) and back
 *   status                             one "status" line per session
 *
 * SIGTERM/SIGINT free every session (each sends AdminDown) and exit 0.
 *
 * Threading: single-threaded (one libev loop).
 */
#define _GNU_SOURCE
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bfd.h"

#define LINE_MAX_LEN 1024
#define SESSIONS_MAX 100000

struct speaker {
    struct ev_loop *loop;
    struct bfd_ctx *ctx;
    struct bfd_session **s;
    enum hl_bfd_state *last;
    size_t n, cap;
    int verbosity;
    char line[LINE_MAX_LEN];
    size_t line_len;
    bool line_too_long;
};

static hl_time_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (hl_time_t)ts.tv_sec * 1000 + (hl_time_t)ts.tv_nsec / 1000000;
}

static void print_status(struct speaker *sp, size_t i, const char *event,
                         const struct hl_bfd_status *st)
{
    hl_time_t now = now_ms();
    long long since = st->last_rx ? (long long)(now - st->last_rx) : -1;

    printf("{\"event\":\"%s\",\"t_ms\":%llu,\"session\":%zu,\"state\":\"%s\","
           "\"local_diag\":%d,\"local_diag_name\":\"%s\",\"remote_diag\":%d,"
           "\"local_disc\":%u,\"remote_disc\":%u,\"tx_us\":%u,\"rx_us\":%u,"
           "\"detect_us\":%u,\"remote_mult\":%u,\"poll\":%s,\"since_rx_ms\":%lld,"
           "\"tx_packets\":%llu,\"rx_packets\":%llu,\"rx_dropped\":%llu,"
           "\"ctx_dropped\":%llu,\"ctx_dropped_auth\":%llu}\n",
           event, (unsigned long long)now, i, bfd_state_name(st->state), st->local_diag,
           bfd_diag_name(st->local_diag), st->remote_diag, st->local_disc, st->remote_disc,
           st->tx_interval_us, st->rx_interval_us, st->detect_time_us, st->remote_multiplier,
           st->poll ? "true" : "false", since, (unsigned long long)st->tx_packets,
           (unsigned long long)st->rx_packets, (unsigned long long)st->rx_dropped,
           (unsigned long long)bfd_ctx_dropped(sp->ctx),
           (unsigned long long)bfd_ctx_dropped_auth(sp->ctx));
    fflush(stdout);
}

static struct speaker *g_sp; /* for the callbacks' session index */

static void on_change(struct bfd_session *s, const struct hl_bfd_status *st, void *ctx)
{
    size_t i = (size_t)(uintptr_t)ctx;

    print_status(g_sp, i, st->state != g_sp->last[i] ? "state" : "params", st);
    g_sp->last[i] = st->state;
}

static void on_log(int level, const char *msg, void *ctx)
{
    struct speaker *sp = ctx;

    if (level <= sp->verbosity)
        fprintf(stderr, "bfd_speaker: %s\n", msg);
}

static int parse_u32(const char *v, uint32_t scale_ms, uint32_t *out)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 10);

    if (end == v || *v == '-')
        return -1;
    if (scale_ms && strcmp(end, "ms") == 0)
        x *= 1000;
    else if (scale_ms && strcmp(end, "us") == 0)
        ;
    else if (*end)
        return -1;
    if (x > UINT32_MAX)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

/* One session spec (modified in place). */
static int add_session(struct speaker *sp, char *spec, const char *where)
{
    struct bfd_session_config cfg = {.min_tx_us = 1000000, .min_rx_us = 1000000, .multiplier = 3};
    char err[256], *save = NULL;
    uint32_t v;

    for (char *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *val = strchr(kv, '=');
        if (val)
            *val++ = '\0';
        if (!strcmp(kv, "multihop") && !val)
            cfg.multihop = true;
        else if (!strcmp(kv, "passive") && !val)
            cfg.passive = true;
        else if (!strcmp(kv, "remote") && val)
            cfg.remote = val;
        else if (!strcmp(kv, "local") && val)
            cfg.local = val;
        else if (!strcmp(kv, "dev") && val)
            cfg.dev = val;
        else if (!strcmp(kv, "mark") && val && !parse_u32(val, 0, &v))
            cfg.mark = v;
        else if (!strcmp(kv, "min_ttl") && val && !parse_u32(val, 0, &v) && v && v < 256)
            cfg.min_ttl = (uint8_t)v;
        else if (!strcmp(kv, "tx") && val && !parse_u32(val, 1, &v))
            cfg.min_tx_us = v;
        else if (!strcmp(kv, "rx") && val && !parse_u32(val, 1, &v))
            cfg.min_rx_us = v;
        else if (!strcmp(kv, "mult") && val && !parse_u32(val, 0, &v) && v && v < 256)
            cfg.multiplier = (uint8_t)v;
        else {
            fprintf(stderr, "bfd_speaker: %s: key '%.64s' unknown or its value invalid\n", where,
                    kv);
            return -1;
        }
    }
    if (sp->n == SESSIONS_MAX) {
        fprintf(stderr, "bfd_speaker: %s: more than %d sessions\n", where, SESSIONS_MAX);
        return -1;
    }
    if (sp->n == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 16;
        sp->s = realloc(sp->s, sp->cap * sizeof(*sp->s));
        sp->last = realloc(sp->last, sp->cap * sizeof(*sp->last));
        if (!sp->s || !sp->last) {
            fprintf(stderr, "bfd_speaker: out of memory\n");
            exit(1);
        }
    }
    sp->s[sp->n] =
        bfd_session_new(sp->ctx, &cfg, on_change, (void *)(uintptr_t)sp->n, err, sizeof(err));
    if (!sp->s[sp->n]) {
        fprintf(stderr, "bfd_speaker: %s: %s\n", where, err);
        return -1;
    }
    sp->last[sp->n] = HL_BFD_DOWN;
    sp->n++;
    return 0;
}

static int add_file(struct speaker *sp, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[LINE_MAX_LEN], where[64];
    int no = 0, rc = 0;

    if (!f) {
        fprintf(stderr, "bfd_speaker: cannot open %s: %m\n", path);
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        snprintf(where, sizeof(where), "line %d", ++no);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            fprintf(stderr, "bfd_speaker: %s:%d: longer than %d bytes\n", path, no,
                    LINE_MAX_LEN - 2);
            rc = -1;
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && line[0] != '#')
            rc = add_session(sp, line, where);
    }
    fclose(f);
    return rc;
}

static void each(struct speaker *sp, const char *which,
                 void (*fn)(struct speaker *, size_t, void *), void *arg)
{
    uint32_t i;

    if (!strcmp(which, "all")) {
        for (size_t k = 0; k < sp->n; k++)
            fn(sp, k, arg);
    } else if (parse_u32(which, 0, &i) == 0 && i < sp->n) {
        fn(sp, i, arg);
    } else {
        printf("{\"event\":\"error\",\"message\":\"no such session\"}\n");
    }
}

struct params {
    uint32_t tx, rx, mult;
};

static void do_set(struct speaker *sp, size_t i, void *arg)
{
    struct params *p = arg;

    if (bfd_session_set_params(sp->s[i], p->tx, p->rx, (uint8_t)p->mult) != 0)
        printf("{\"event\":\"error\",\"message\":\"invalid intervals\"}\n");
}

static void do_admin(struct speaker *sp, size_t i, void *arg)
{
    bfd_session_set_admin_down(sp->s[i], *(bool *)arg);
}

static void do_status(struct speaker *sp, size_t i, void *arg)
{
    struct hl_bfd_status st;

    bfd_session_status(sp->s[i], &st);
    print_status(sp, i, "status", &st);
}

static void command(struct speaker *sp, char *line)
{
    char which[32], what[16];
    struct params p;

    if (sscanf(line, "set %31s %u %u %u", which, &p.tx, &p.rx, &p.mult) == 4 && p.mult < 256) {
        each(sp, which, do_set, &p);
    } else if (sscanf(line, "admin %31s %15s", which, what) == 2 &&
               (!strcmp(what, "down") || !strcmp(what, "up"))) {
        bool down = !strcmp(what, "down");
        each(sp, which, do_admin, &down);
    } else if (!strcmp(line, "status")) {
        each(sp, "all", do_status, NULL);
    } else {
        printf("{\"event\":\"error\",\"message\":\"unknown command\"}\n");
    }
    fflush(stdout);
}

static void stdin_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct speaker *sp = w->data;
    char buf[512];
    ssize_t n = read(w->fd, buf, sizeof(buf));

    if (n <= 0) {
        ev_io_stop(loop, w); /* end of commands: keep running */
        return;
    }
    for (ssize_t k = 0; k < n; k++) {
        if (buf[k] != '\n') {
            if (sp->line_len < sizeof(sp->line) - 1)
                sp->line[sp->line_len++] = buf[k];
            else
                sp->line_too_long = true;
            continue;
        }
        sp->line[sp->line_len] = '\0';
        if (sp->line_too_long)
            printf("{\"event\":\"error\",\"message\":\"command longer than %d bytes\"}\n",
                   LINE_MAX_LEN - 1);
        else
            command(sp, sp->line);
        fflush(stdout);
        sp->line_len = 0;
        sp->line_too_long = false;
    }
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char *argv[])
{
    struct speaker sp = {.loop = ev_default_loop(EVFLAG_AUTO), .verbosity = 1};
    ev_io in_w;
    ev_signal term_w, int_w;
    int opt, rc = 0;

    g_sp = &sp;
    signal(SIGPIPE, SIG_IGN);
    sp.ctx = bfd_ctx_new(sp.loop, on_log, &sp);
    if (!sp.ctx)
        return 1;
    while ((opt = getopt(argc, argv, "f:v:")) != -1) {
        if (opt == 'f' && add_file(&sp, optarg) != 0)
            rc = 1;
        else if (opt == 'v')
            sp.verbosity = atoi(optarg);
        else if (opt != 'f' && opt != 'v')
            rc = 1;
    }
    for (int i = optind; i < argc && rc == 0; i++) {
        char where[32];
        snprintf(where, sizeof(where), "argument %d", i - optind + 1);
        rc = add_session(&sp, argv[i], where);
    }
    if (rc != 0 || sp.n == 0) {
        fprintf(stderr, "usage: bfd_speaker [-v level] [-f file] remote=ADDR[,key=value...]...\n");
        bfd_ctx_free(sp.ctx);
        return 2;
    }
    ev_io_init(&in_w, stdin_cb, 0, EV_READ);
    in_w.data = &sp;
    ev_io_start(sp.loop, &in_w);
    ev_signal_init(&term_w, stop_cb, SIGTERM);
    ev_signal_init(&int_w, stop_cb, SIGINT);
    ev_signal_start(sp.loop, &term_w);
    ev_signal_start(sp.loop, &int_w);
    ev_run(sp.loop, 0);
    for (size_t i = 0; i < sp.n; i++)
        bfd_session_free(sp.s[i]);
    bfd_ctx_free(sp.ctx);
    free(sp.s);
    free(sp.last);
    return 0;
}
