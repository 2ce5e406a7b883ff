/*
 * flow: a sequence-numbered one-way UDP datagram flow and its receiver, to
 * measure the blackout of a failover (bench/failover/run.sh).
 *
 *   flow send PORT INTERVAL_US DURATION_MS DST [DST...]
 *       every INTERVAL_US, one datagram to each DST (IPv4 or IPv6 literal):
 *       payload = flow index (u32) and sequence number (u64), network order
 *   flow recv PORT DURATION_MS NFLOWS [READY_FILE]
 *       receives on PORT (any address: the test routes the destinations to
 *       this namespace as local), then prints one JSON object per flow:
 *       {"flow":i,"received":n,"first_seq":..,"last_seq":..,"lost":..,
 *        "max_gap_us":..,"max_gap_after_seq":..}
 *       max_gap_us is the largest time between two consecutive arrivals of
 *       the flow: with a flow every 0.5 ms, it is the blackout plus ~0.5 ms.
 *
 * Threading: single-threaded; timing from CLOCK_MONOTONIC (absolute sleeps
 * for the sender, so lateness does not accumulate).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS 16

struct flow_stat {
    uint64_t received, first_seq, last_seq, max_gap_us, gap_after_seq, last_us;
};

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static long num(const char *s, long lo, long hi, const char *what)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) {
        fprintf(stderr, "flow: %s: '%s' is not a number in %ld..%ld\n", what, s, lo, hi);
        exit(2);
    }
    return v;
}

static int parse_dst(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof(*a4);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof(*a6);
        return AF_INET6;
    }
    fprintf(stderr, "flow: destination '%s' is not an IPv4 or IPv6 literal\n", s);
    exit(2);
}

static void tick_sleep(struct timespec *next, long interval_us)
{
    next->tv_nsec += interval_us * 1000;
    while (next->tv_nsec >= 1000000000) {
        next->tv_nsec -= 1000000000;
        next->tv_sec++;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
        ;
}

static int do_send(int argc, char **argv)
{
    uint16_t port;
    long interval, duration;
    int n, fds[MAX_FLOWS];
    struct sockaddr_storage dst[MAX_FLOWS];
    socklen_t len[MAX_FLOWS];
    struct timespec next;
    uint64_t end, seq = 0;

    if (argc < 4 || argc - 3 > MAX_FLOWS) {
        fprintf(stderr, "usage: flow send PORT INTERVAL_US DURATION_MS DST [DST...] (<= %d)\n",
                MAX_FLOWS);
        return 2;
    }
    port = (uint16_t)num(argv[0], 1, 65535, "port");
    interval = num(argv[1], 50, 1000000, "interval (us)");
    duration = num(argv[2], 1, 3600000, "duration (ms)");
    n = argc - 3;
    for (int i = 0; i < n; i++) {
        fds[i] = socket(parse_dst(argv[3 + i], port, &dst[i], &len[i]), SOCK_DGRAM, 0);
        if (fds[i] < 0) {
            perror("flow: socket");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &next);
    end = now_us() + (uint64_t)duration * 1000u;
    while (now_us() < end) {
        for (int i = 0; i < n; i++) {
            unsigned char buf[12];
            uint32_t fi = htonl((uint32_t)i);
            uint64_t sq = htobe64(seq);

            memcpy(buf, &fi, 4);
            memcpy(buf + 4, &sq, 8);
            /* errors (no route while the site is blackholed) are the point */
            (void)sendto(fds[i], buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&dst[i],
                         len[i]);
        }
        seq++;
        tick_sleep(&next, interval);
    }
    printf("{\"sent_per_flow\":%" PRIu64 "}\n", seq);
    return 0;
}

static void account(struct flow_stat *st, const unsigned char *buf, uint64_t t, int nflows)
{
    uint32_t fi;
    uint64_t sq;
    struct flow_stat *f;

    memcpy(&fi, buf, 4);
    memcpy(&sq, buf + 4, 8);
    fi = ntohl(fi);
    sq = be64toh(sq);
    if (fi >= (uint32_t)nflows)
        return;
    f = &st[fi];
    if (f->received == 0) {
        f->first_seq = sq;
    } else if (t - f->last_us > f->max_gap_us) {
        f->max_gap_us = t - f->last_us;
        f->gap_after_seq = f->last_seq;
    }
    f->received++;
    f->last_seq = sq;
    f->last_us = t;
}

static int open_recv(uint16_t port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    int off = 0, rcvbuf = 8 << 20;
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)); /* both families */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int do_recv(int argc, char **argv)
{
    struct flow_stat st[MAX_FLOWS] = {0};
    uint64_t end;
    int fd, nflows;

    if (argc < 3) {
        fprintf(stderr, "usage: flow recv PORT DURATION_MS NFLOWS [READY_FILE]\n");
        return 2;
    }
    fd = open_recv((uint16_t)num(argv[0], 1, 65535, "port"));
    if (fd < 0) {
        perror("flow: receive socket");
        return 1;
    }
    end = now_us() + (uint64_t)num(argv[1], 1, 3600000, "duration (ms)") * 1000u;
    nflows = (int)num(argv[2], 1, MAX_FLOWS, "flows");
    if (argc > 3) {
        FILE *f = fopen(argv[3], "w");
        if (f)
            fclose(f);
    }
    for (uint64_t t = now_us(); t < end; t = now_us()) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        unsigned char buf[64];

        if (poll(&p, 1, (int)((end - t) / 1000u) + 1) <= 0)
            continue;
        while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 12)
            account(st, buf, now_us(), nflows);
    }
    for (int i = 0; i < nflows; i++)
        printf("{\"flow\":%d,\"received\":%" PRIu64 ",\"first_seq\":%" PRIu64
               ",\"last_seq\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"max_gap_us\":%" PRIu64
               ",\"max_gap_after_seq\":%" PRIu64 "}\n",
               i, st[i].received, st[i].first_seq, st[i].last_seq,
               st[i].received ? st[i].last_seq - st[i].first_seq + 1 - st[i].received : 0,
               st[i].max_gap_us, st[i].gap_after_seq);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "send") == 0)
        return do_send(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "recv") == 0)
        return do_recv(argc - 2, argv + 2);
    fprintf(stderr, "usage: flow send|recv ...\n");
    return 2;
}
