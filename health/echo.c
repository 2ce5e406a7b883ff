/*
 * echo: one ICMP or UDP echo probe on a libev loop (echo.h). The packets are
 * echo_wire's, the socket echo_sock's, the statistics echo_window's; this
 * file owns the timers and the I/O.
 *
 * Threading: the loop's thread only (the health thread): every function and
 * every watcher callback.
 */
#include "echo.h"

#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "echo_sock.h"
#include "echo_window.h"
#include "echo_wire.h"

#define RX_BURST 64 /* datagrams read per wake-up, then back to the loop */

struct echo_probe {
    struct ev_loop *loop;
    enum echo_wire_kind kind;
    struct sockaddr_storage dst;
    socklen_t dstlen;
    uint64_t interval_us, timeout_us;
    uint32_t count; /* 0: no end */
    int fd;
    bool connected; /* ICMP: connected to the target (echo_sock.h) */
    uint16_t id;
    bool id_held;
    uint64_t cookie;
    size_t payload;
    ev_io io;
    ev_timer send_t, expire_t;
    struct echo_window win;
    uint8_t *txbuf, *rxbuf;
    size_t rxcap;
    echo_fn fn;
    void *ctx;
    struct echo_counters cnt;
    struct echo_sample last;
};

static uint64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t random64(void)
{
    uint64_t r = 0;

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
        r = mono_us() ^ ((uint64_t)getpid() << 32);
    return r;
}

static void report(struct echo_probe *p, uint64_t seq, bool lost, uint64_t rtt_us)
{
    struct hl_echo_stats st;

    p->last = (struct echo_sample){.seq = seq, .lost = lost, .rtt_ms = (double)rtt_us / 1000.0};
    echo_window_stats(&p->win, &st);
    if (p->fn)
        p->fn(p, &st, p->ctx);
}

static void arm_expiry(struct echo_probe *p)
{
    uint64_t at;

    if (ev_is_active(&p->expire_t) || !echo_window_next_expiry(&p->win, p->timeout_us, &at, NULL))
        return;
    /* libev's clock read after ours: the timer cannot fire before "at" */
    ev_now_update(p->loop);
    uint64_t now = mono_us();
    ev_timer_set(&p->expire_t, at > now ? (double)(at - now) / 1e6 : 0.0, 0.0);
    ev_timer_start(p->loop, &p->expire_t);
}

/* Reports the probes whose timeout passed, and the oldest one if it is still
 * pending while its ring slot is needed for the next probe (not with a valid
 * config: the ring holds 2 * window + 2 probes, the timeout at most window
 * intervals). */
static void expire_due(struct echo_probe *p, uint64_t now, bool need_slot)
{
    uint64_t at, seq;

    while (echo_window_next_expiry(&p->win, p->timeout_us, &at, &seq)) {
        bool pushed =
            need_slot && p->win.next_seq >= p->win.cap && seq == p->win.next_seq - p->win.cap;
        if (at > now && !pushed)
            break;
        /* each at its own deadline: probes sent in the same microsecond go together */
        echo_window_expire(&p->win, at, p->timeout_us);
        report(p, seq, true, 0);
    }
}

static void on_expire(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct echo_probe *p = w->data;

    expire_due(p, mono_us(), false);
    arm_expiry(p);
}

static void on_send(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct echo_probe *p = w->data;
    uint64_t now = mono_us();

    expire_due(p, now, true);
    if (p->kind != ECHO_WIRE_UDP && !p->connected)
        p->connected = echo_sock_connect(p->fd, &p->dst) == 0;
    uint64_t seq = echo_window_sent(&p->win, now);
    size_t len = echo_wire_build(p->kind, p->id, p->cookie, seq, p->payload, p->txbuf);

    if (sendto(p->fd, p->txbuf, len, 0, (struct sockaddr *)&p->dst, p->dstlen) < 0) {
        p->cnt.send_errors++;
        p->cnt.last_send_errno = errno;
    } else {
        p->cnt.sent++;
    }
    if (p->count && p->win.next_seq >= p->count)
        ev_timer_stop(loop, &p->send_t);
    arm_expiry(p);
}

static void handle_reply(struct echo_probe *p, size_t len, const struct sockaddr_storage *from,
                         uint64_t now)
{
    uint64_t seq = 0;

    if (!echo_sock_same_peer(from, &p->dst, p->kind == ECHO_WIRE_UDP) ||
        echo_wire_parse(p->kind, p->rxbuf, len, p->id, p->cookie, &seq) != ECHO_WIRE_MATCH) {
        p->cnt.foreign++;
        return;
    }
    switch (echo_window_reply(&p->win, seq, now)) {
    case ECHO_REPLY_OK:
        p->cnt.received++;
        /* its deadline may be the one the expiry timer waits for: move the
         * timer on now rather than wake up for nothing */
        ev_timer_stop(p->loop, &p->expire_t);
        arm_expiry(p);
        report(p, seq, false, echo_window_slot(&p->win, seq)->rtt_us);
        break;
    case ECHO_REPLY_LATE:
        p->cnt.late++;
        break;
    case ECHO_REPLY_DUP:
        p->cnt.duplicates++;
        break;
    case ECHO_REPLY_UNKNOWN:
        p->cnt.foreign++;
        break;
    }
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    struct echo_probe *p = w->data;

    for (int i = 0; i < RX_BURST; i++) {
        struct sockaddr_storage from = {0};
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(p->fd, p->rxbuf, p->rxcap, MSG_TRUNC, (struct sockaddr *)&from, &fl);
        if (n < 0)
            break; /* EAGAIN, or an error the next read reports again */
        if ((size_t)n > p->rxcap) {
            p->cnt.foreign++; /* longer than any reply of ours */
            continue;
        }
        handle_reply(p, (size_t)n, &from, mono_us());
    }
}

/* Fills in the defaults; 0, or -1 with err naming the key. */
static int check_config(struct echo_config *c, char *err, size_t errlen)
{
    if (!c->interval_ms)
        c->interval_ms = ECHO_DEFAULT_INTERVAL_MS;
    if (!c->timeout_ms)
        c->timeout_ms = ECHO_DEFAULT_TIMEOUT_MS;
    if (!c->window)
        c->window = ECHO_DEFAULT_WINDOW;
    if (!c->size)
        c->size = ECHO_DEFAULT_SIZE;
    if (!c->port)
        c->port = ECHO_DEFAULT_UDP_PORT;
    if (!c->loss_run)
        c->loss_run = ECHO_DEFAULT_LOSS_RUN;
    if (!c->target) {
        snprintf(err, errlen, "target: missing (an IPv4 or IPv6 address)");
        return -1;
    }
    if (c->kind != ECHO_ICMP && c->kind != ECHO_UDP) {
        snprintf(err, errlen, "type: %d is neither icmp nor udp", (int)c->kind);
        return -1;
    }
    if (c->interval_ms < ECHO_INTERVAL_MIN_MS || c->interval_ms > ECHO_INTERVAL_MAX_MS) {
        snprintf(err, errlen, "interval %u ms: expected %u to %u ms", c->interval_ms,
                 ECHO_INTERVAL_MIN_MS, ECHO_INTERVAL_MAX_MS);
        return -1;
    }
    if (c->window > ECHO_WINDOW_MAX) {
        snprintf(err, errlen, "window %u: expected 1 to %u probes", c->window, ECHO_WINDOW_MAX);
        return -1;
    }
    if ((uint64_t)c->timeout_ms > (uint64_t)c->interval_ms * c->window) {
        snprintf(err, errlen,
                 "timeout %u ms: expected at most interval * window (%llu ms), or a probe would "
                 "leave the window before its timeout",
                 c->timeout_ms, (unsigned long long)c->interval_ms * c->window);
        return -1;
    }
    if (c->size < ECHO_PAYLOAD_MIN || c->size > ECHO_PAYLOAD_MAX) {
        snprintf(err, errlen, "size %u: expected %d to %d payload bytes", c->size, ECHO_PAYLOAD_MIN,
                 ECHO_PAYLOAD_MAX);
        return -1;
    }
    return 0;
}

/* Socket, buffers and window of a probe whose config is checked. */
static int open_probe(struct echo_probe *p, const struct echo_config *c, char *err, size_t errlen)
{
    uint16_t port = c->kind == ECHO_UDP ? c->port : 0;

    if (echo_sock_addr("target", c->target, port, c->dev, &p->dst, &p->dstlen, err, errlen))
        return -1;
    if (c->kind == ECHO_UDP)
        p->kind = ECHO_WIRE_UDP;
    else
        p->kind = p->dst.ss_family == AF_INET ? ECHO_WIRE_ICMP4 : ECHO_WIRE_ICMP6;
    if (p->kind != ECHO_WIRE_UDP && !(p->id_held = echo_id_alloc(&p->id))) {
        snprintf(err, errlen, "no free ICMP identifier (65536 probes in this process)");
        return -1;
    }
    struct echo_sock_spec spec = {.kind = p->kind,
                                  .target = &p->dst,
                                  .source = c->source,
                                  .dev = c->dev,
                                  .mark = c->mark,
                                  .id = p->id};
    if ((p->fd = echo_sock_open(&spec, err, errlen)) < 0)
        return -1;
    p->rxcap = ECHO_IP4_HDR_MAX + echo_wire_request_len(p->kind, p->payload);
    p->txbuf = malloc(echo_wire_request_len(p->kind, p->payload));
    p->rxbuf = malloc(p->rxcap);
    if (!p->txbuf || !p->rxbuf || echo_window_init(&p->win, c->window, c->loss_run) != 0) {
        snprintf(err, errlen, "out of memory for a probe of window %u", c->window);
        return -1;
    }
    return 0;
}

int echo_config_check(const struct echo_config *cfg, char *err, size_t errlen)
{
    struct echo_config c = *cfg;

    return check_config(&c, err, errlen);
}

struct echo_probe *echo_probe_new(struct ev_loop *loop, const struct echo_config *cfg, echo_fn fn,
                                  void *ctx, char *err, size_t errlen)
{
    struct echo_config c = *cfg;
    struct echo_probe *p;

    if (check_config(&c, err, errlen) != 0)
        return NULL;
    if (!(p = calloc(1, sizeof(*p)))) {
        snprintf(err, errlen, "out of memory for a probe");
        return NULL;
    }
    *p = (struct echo_probe){.loop = loop,
                             .fd = -1,
                             .fn = fn,
                             .ctx = ctx,
                             .payload = c.size,
                             .interval_us = (uint64_t)c.interval_ms * 1000,
                             .timeout_us = (uint64_t)c.timeout_ms * 1000,
                             .cookie = random64(),
                             .count = c.count};
    if (open_probe(p, &c, err, errlen) != 0) {
        echo_probe_free(p);
        return NULL;
    }
    ev_io_init(&p->io, on_read, p->fd, EV_READ);
    p->io.data = p;
    ev_io_start(loop, &p->io);
    ev_init(&p->expire_t, on_expire);
    p->expire_t.data = p;
    double first = (double)(random64() % p->interval_us) / 1e6;
    ev_timer_init(&p->send_t, on_send, first, (double)p->interval_us / 1e6);
    p->send_t.data = p;
    ev_timer_start(loop, &p->send_t);
    return p;
}

void echo_probe_stats(const struct echo_probe *p, struct hl_echo_stats *out)
{
    echo_window_stats(&p->win, out);
}

void echo_probe_last(const struct echo_probe *p, struct echo_sample *out)
{
    *out = p->last;
}

void echo_probe_counters(const struct echo_probe *p, struct echo_counters *out)
{
    *out = p->cnt;
}

void echo_probe_free(struct echo_probe *p)
{
    if (!p)
        return;
    if (p->fd >= 0) {
        ev_io_stop(p->loop, &p->io);
        ev_timer_stop(p->loop, &p->send_t);
        ev_timer_stop(p->loop, &p->expire_t);
        close(p->fd);
    }
    if (p->id_held)
        echo_id_release(p->id);
    echo_window_free(&p->win);
    free(p->txbuf);
    free(p->rxbuf);
    free(p);
}
