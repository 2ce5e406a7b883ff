/*
 * echo_probe: runs one or more echo probes (health/echo.h) on one libev loop
 * and prints one JSON line per sample, then one final line per probe (stats
 * and counters) and one with the CPU the process used. A test tool and the
 * load generator of bench/echo.
 *
 *   echo_probe [-c COUNT] [-t MAX_SECONDS] [-q] PROBE...
 *   PROBE: name=N,type=icmp|udp,target=ADDR[,source=ADDR][,dev=IF][,mark=N]
 *          [,port=N][,interval=MS][,timeout=MS][,window=N][,size=N][,loss_run=N][,count=N]
 *
 * It stops when every probe has COUNT samples (default: runs until the time
 * limit), after MAX_SECONDS (default 60, at most 3600), or on SIGINT/SIGTERM;
 * -q prints the final lines only. Exit 0, or 2 on a usage or probe error.
 *
 * Threading: single-threaded (the loop).
 */
#include <ev.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "echo.h"

#define MAX_PROBES   4096
#define NAME_MAX_LEN 32

struct tool_probe {
    char name[NAME_MAX_LEN + 1];
    struct echo_probe *p;
    uint64_t samples;
};

static struct tool_probe probes[MAX_PROBES];
static size_t n_probes, n_done;
static uint64_t want_count;
static int quiet;

static void usage(void)
{
    fprintf(stderr, "usage: echo_probe [-c COUNT] [-t MAX_SECONDS] [-q] "
                    "name=N,type=icmp|udp,target=ADDR[,source=ADDR][,dev=IF][,mark=N][,port=N]"
                    "[,interval=MS][,timeout=MS][,window=N][,size=N][,loss_run=N][,count=N] ...\n");
    exit(2);
}

static int parse_u32(const char *key, const char *v, uint32_t max, uint32_t *out)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 0);

    if (!*v || *end || v[0] == '-' || x > max) {
        fprintf(stderr, "echo_probe: %s '%s': expected a number from 0 to %u\n", key, v, max);
        return -1;
    }
    *out = (uint32_t)x;
    return 0;
}

static int good_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (; *s; s++)
        if (!(*s == '-' || *s == '_' || *s == '.' || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

static int set_key(struct echo_config *c, char *name, const char *k, char *v)
{
    uint32_t x = 0;

    if (!strcmp(k, "name")) {
        if (!good_name(v)) {
            fprintf(stderr, "echo_probe: name: 1 to %d of [A-Za-z0-9._-]\n", NAME_MAX_LEN);
            return -1;
        }
        strcpy(name, v);
    } else if (!strcmp(k, "type")) {
        if (strcmp(v, "icmp") && strcmp(v, "udp")) {
            fprintf(stderr, "echo_probe: type '%s': expected icmp or udp\n", v);
            return -1;
        }
        c->kind = strcmp(v, "icmp") ? ECHO_UDP : ECHO_ICMP;
    } else if (!strcmp(k, "target")) {
        c->target = v;
    } else if (!strcmp(k, "source")) {
        c->source = v;
    } else if (!strcmp(k, "dev")) {
        c->dev = v;
    } else {
        static const char *const nums[] = {"mark",   "port", "interval", "timeout",
                                           "window", "size", "loss_run", "count"};
        static const uint32_t max[] = {UINT32_MAX, 65535, UINT32_MAX, UINT32_MAX,
                                       UINT32_MAX, 65535, UINT32_MAX, UINT32_MAX};
        for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
            if (!strcmp(k, nums[i])) {
                if (parse_u32(k, v, max[i], &x))
                    return -1;
                uint32_t *dst[] = {&c->mark,   NULL, &c->interval_ms, &c->timeout_ms,
                                   &c->window, NULL, &c->loss_run,    &c->count};
                if (i == 1)
                    c->port = (uint16_t)x;
                else if (i == 5)
                    c->size = (uint16_t)x;
                else
                    *dst[i] = x;
                return 0;
            }
        fprintf(stderr, "echo_probe: unknown key '%s'\n", k);
        return -1;
    }
    return 0;
}

/* Parses PROBE (modified in place) into c and name. */
static int parse_probe(char *spec, struct echo_config *c, char *name)
{
    *c = (struct echo_config){0};
    name[0] = 0;
    for (char *save = NULL, *kv = strtok_r(spec, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "echo_probe: '%s': expected key=value\n", kv);
            return -1;
        }
        *eq = 0;
        if (set_key(c, name, kv, eq + 1))
            return -1;
    }
    if (!name[0]) {
        fprintf(stderr, "echo_probe: a probe needs name=\n");
        return -1;
    }
    return 0;
}

static void print_stats(const struct hl_echo_stats *st)
{
    printf("\"valid\":%s,\"sent\":%" PRIu32 ",\"received\":%" PRIu32 ",\"loss_pct\":%.3f,"
           "\"rtt_avg_ms\":%.3f,\"jitter_ms\":%.3f,\"lost_in_row\":%" PRIu32,
           st->valid ? "true" : "false", st->sent, st->received, st->loss_pct, st->rtt_avg_ms,
           st->jitter_ms, st->lost_in_row);
}

static void on_sample(struct echo_probe *p, const struct hl_echo_stats *st, void *ctx)
{
    struct tool_probe *t = ctx;
    struct echo_sample s;

    echo_probe_last(p, &s);
    if (!quiet) {
        printf("{\"probe\":\"%s\",\"seq\":%" PRIu64 ",\"lost\":%s,\"rtt_ms\":%.3f,", t->name, s.seq,
               s.lost ? "true" : "false", s.rtt_ms);
        print_stats(st);
        printf("}\n");
    }
    if (++t->samples == want_count && ++n_done == n_probes)
        ev_break(EV_DEFAULT, EVBREAK_ALL);
}

static void print_final(const struct tool_probe *t)
{
    struct hl_echo_stats st;
    struct echo_counters c;

    echo_probe_stats(t->p, &st);
    echo_probe_counters(t->p, &c);
    printf("{\"probe\":\"%s\",\"final\":true,\"samples\":%" PRIu64 ",", t->name, t->samples);
    print_stats(&st);
    printf(",\"tx\":%" PRIu64 ",\"send_errors\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"late\":%" PRIu64
           ",\"duplicates\":%" PRIu64 ",\"foreign\":%" PRIu64 ",\"last_send_errno\":%d}\n",
           c.sent, c.send_errors, c.received, c.late, c.duplicates, c.foreign, c.last_send_errno);
}

static double ms_of(struct timeval tv)
{
    return (double)tv.tv_sec * 1000.0 + (double)tv.tv_usec / 1000.0;
}

static void stop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

static void stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
    struct ev_loop *loop = EV_DEFAULT;
    uint32_t max_s = 60, count = 0;
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-q"))
            quiet = 1;
        else if (!strcmp(argv[i], "-c") && i + 1 < argc)
            parse_u32("-c", argv[++i], UINT32_MAX, &count) ? usage() : (void)0;
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            parse_u32("-t", argv[++i], 3600, &max_s) ? usage() : (void)0;
        else
            usage();
    }
    if (i == argc || argc - i > MAX_PROBES || max_s == 0)
        usage();
    want_count = count;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (; i < argc; i++) {
        struct echo_config c;
        struct tool_probe *t = &probes[n_probes];
        char err[512];
        if (parse_probe(argv[i], &c, t->name))
            return 2;
        t->p = echo_probe_new(loop, &c, on_sample, t, err, sizeof(err));
        if (!t->p) {
            fprintf(stderr, "echo_probe: probe '%s': %s\n", t->name, err);
            return 2;
        }
        n_probes++;
    }
    struct timespec t0, t1;
    struct rusage ru0, ru;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    getrusage(RUSAGE_SELF, &ru0); /* the loop's CPU only, not the start */
    ev_timer limit;
    ev_signal sint, sterm;
    ev_timer_init(&limit, stop_timer, max_s, 0);
    ev_signal_init(&sint, stop_signal, SIGINT);
    ev_signal_init(&sterm, stop_signal, SIGTERM);
    ev_timer_start(loop, &limit);
    ev_signal_start(loop, &sint);
    ev_signal_start(loop, &sterm);
    ev_run(loop, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &ru);
    for (size_t k = 0; k < n_probes; k++) {
        print_final(&probes[k]);
        echo_probe_free(probes[k].p);
    }
    double wall =
        (double)(t1.tv_sec - t0.tv_sec) * 1000.0 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    double cpu =
        ms_of(ru.ru_utime) + ms_of(ru.ru_stime) - ms_of(ru0.ru_utime) - ms_of(ru0.ru_stime);
    printf("{\"rusage\":true,\"probes\":%zu,\"wall_ms\":%.1f,\"cpu_ms\":%.1f,\"cpu_pct\":%.3f,"
           "\"complete\":%s}\n",
           n_probes, wall, cpu, wall > 0 ? 100.0 * cpu / wall : 0.0,
           want_count && n_done == n_probes ? "true" : "false");
    return 0;
}
