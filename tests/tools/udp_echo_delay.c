/*
 * udp_echo_delay: an RFC 862 UDP echo responder that sends each datagram back
 * after a delay: DELAY ms plus a uniform random offset in [-JITTER, +JITTER]
 * ms (never below 0), for the echo tests (this kernel has no netem). It lives
 * LIFETIME seconds at most; at most MAX_PENDING datagrams wait (more are
 * dropped and counted).
 *
 *   udp_echo_delay -l ADDR -p PORT -d DELAY_MS [-j JITTER_MS] -L LIFETIME_S
 *                  [-o LOGFILE] [-m MAX_PENDING]
 *
 * Prints "ready" on stdout once it listens. With -o, one JSON line per echoed
 * datagram: the delay it planned and the one it achieved (receive to send, in
 * ms) and the probe's sequence (bytes 8..15 of the payload, big-endian, as
 * health/echo_wire.h lays it out; -1 when shorter). On exit, a summary on
 * stderr.
 *
 * Threading: single-threaded (a libev loop).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "echo_wire.h"

#define DGRAM_MAX 65535

struct pending {
    uint8_t *data;
    size_t len;
    struct sockaddr_storage from;
    socklen_t fromlen;
    uint64_t rx_us, due_us;
    int64_t seq;
};

static struct pending *q;
static size_t q_len, q_cap = 1024;
static int fd = -1;
static FILE *logf;
static uint64_t delay_us, jitter_us, rng;
static uint64_t n_rx, n_tx, n_drop, n_err;
static ev_timer due_t;
static uint8_t buf[DGRAM_MAX];

static uint64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t next_rand(void) /* xorshift64* */
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static uint64_t plan_delay(void)
{
    if (!jitter_us)
        return delay_us;
    int64_t off = (int64_t)(next_rand() % (2 * jitter_us + 1)) - (int64_t)jitter_us;
    int64_t d = (int64_t)delay_us + off;
    return d < 0 ? 0 : (uint64_t)d;
}

static void arm(struct ev_loop *loop)
{
    uint64_t first = UINT64_MAX;

    for (size_t i = 0; i < q_len; i++)
        if (q[i].due_us < first)
            first = q[i].due_us;
    ev_timer_stop(loop, &due_t);
    if (!q_len)
        return;
    ev_now_update(loop); /* the timer cannot fire before "first" on our clock */
    uint64_t now = mono_us();
    ev_timer_set(&due_t, first > now ? (double)(first - now) / 1e6 : 0.0, 0.0);
    ev_timer_start(loop, &due_t);
}

static void send_due(struct ev_loop *loop, ev_timer *w, int revents)
{
    uint64_t now = mono_us();

    for (size_t i = 0; i < q_len;) {
        struct pending *p = &q[i];
        if (p->due_us > now) {
            i++;
            continue;
        }
        if (sendto(fd, p->data, p->len, 0, (struct sockaddr *)&p->from, p->fromlen) < 0)
            n_err++;
        else
            n_tx++;
        uint64_t sent = mono_us();
        if (logf)
            fprintf(logf, "{\"seq\":%" PRId64 ",\"planned_ms\":%.3f,\"actual_ms\":%.3f}\n", p->seq,
                    (double)(p->due_us - p->rx_us) / 1000.0, (double)(sent - p->rx_us) / 1000.0);
        free(p->data);
        *p = q[--q_len];
    }
    arm(loop);
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            break;
        n_rx++;
        uint8_t *copy = malloc(n ? (size_t)n : 1);
        if (q_len == q_cap || !copy) {
            n_drop++;
            free(copy);
            continue;
        }
        memcpy(copy, buf, (size_t)n);
        uint64_t now = mono_us();
        q[q_len++] = (struct pending){
            .data = copy,
            .len = (size_t)n,
            .from = from,
            .fromlen = fl,
            .rx_us = now,
            .due_us = now + plan_delay(),
            .seq = n >= ECHO_PAYLOAD_MIN ? (int64_t)(echo_wire_get64(buf + 8) & INT64_MAX) : -1};
    }
    arm(loop);
}

static void stop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

static void stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

static void usage(void)
{
    fprintf(stderr, "usage: udp_echo_delay -l ADDR -p PORT -d DELAY_MS [-j JITTER_MS] "
                    "-L LIFETIME_S [-o LOGFILE] [-m MAX_PENDING]\n");
    exit(2);
}

static unsigned long num(const char *opt, const char *v, unsigned long max)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);

    if (!*v || *end || v[0] == '-' || x > max) {
        fprintf(stderr, "udp_echo_delay: %s '%s': expected 0 to %lu\n", opt, v, max);
        exit(2);
    }
    return x;
}

static int open_socket(const char *addr, uint16_t port)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *s4 = (void *)&ss;
    struct sockaddr_in6 *s6 = (void *)&ss;
    socklen_t len;

    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        len = sizeof(*s4);
    } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        len = sizeof(*s6);
    } else {
        fprintf(stderr, "udp_echo_delay: -l '%s': not an IPv4 or IPv6 address\n", addr);
        exit(2);
    }
    int s = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&ss, len) != 0) {
        fprintf(stderr, "udp_echo_delay: cannot listen on [%s]:%u: %s\n", addr, port,
                strerror(errno));
        exit(2);
    }
    return s;
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *logpath = NULL;
    unsigned long port = 0, lifetime = 0;
    int opt;

    delay_us = UINT64_MAX;
    while ((opt = getopt(argc, argv, "l:p:d:j:L:o:m:")) != -1) {
        switch (opt) {
        case 'l':
            addr = optarg;
            break;
        case 'p':
            port = num("-p", optarg, 65535);
            break;
        case 'd':
            delay_us = num("-d", optarg, 600000) * 1000;
            break;
        case 'j':
            jitter_us = num("-j", optarg, 600000) * 1000;
            break;
        case 'L':
            lifetime = num("-L", optarg, 3600);
            break;
        case 'o':
            logpath = optarg;
            break;
        case 'm':
            q_cap = num("-m", optarg, 1000000);
            break;
        default:
            usage();
        }
    }
    if (!addr || !port || delay_us == UINT64_MAX || !lifetime || !q_cap || optind != argc)
        usage();
    if (getrandom(&rng, sizeof(rng), 0) != sizeof(rng) || !rng)
        rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
    if (logpath && !(logf = fopen(logpath, "w"))) {
        fprintf(stderr, "udp_echo_delay: -o '%s': %s\n", logpath, strerror(errno));
        return 2;
    }
    if (logf)
        setvbuf(logf, NULL, _IOLBF, 0);
    q = calloc(q_cap, sizeof(*q));
    if (!q)
        return 2;
    fd = open_socket(addr, (uint16_t)port);

    struct ev_loop *loop = EV_DEFAULT;
    ev_io rx;
    ev_timer life;
    ev_signal sint, sterm;
    ev_io_init(&rx, on_read, fd, EV_READ);
    ev_init(&due_t, send_due);
    ev_timer_init(&life, stop_timer, (double)lifetime, 0);
    ev_signal_init(&sint, stop_signal, SIGINT);
    ev_signal_init(&sterm, stop_signal, SIGTERM);
    ev_io_start(loop, &rx);
    ev_timer_start(loop, &life);
    ev_signal_start(loop, &sint);
    ev_signal_start(loop, &sterm);
    printf("ready\n");
    fflush(stdout);
    ev_run(loop, 0);
    fprintf(stderr,
            "udp_echo_delay: received %" PRIu64 ", echoed %" PRIu64 ", dropped %" PRIu64
            " (queue full), send errors %" PRIu64 "\n",
            n_rx, n_tx, n_drop, n_err);
    for (size_t i = 0; i < q_len; i++)
        free(q[i].data);
    free(q);
    if (logf)
        fclose(logf);
    close(fd);
    return 0;
}
