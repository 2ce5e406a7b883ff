/*
 * Loopback test of health/bfd on a real libev loop and real sockets, in a
 * network namespace of its own (exit 77 = skipped without CAP_SYS_ADMIN):
 * two sessions of one context talk to each other over 127.0.0.2/127.0.0.3,
 * come Up, run a poll sequence, drop a packet with the wrong TTL and one with
 * the A bit, and follow AdminDown.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ev.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "own_netns.h"

#include "bfd.h"
#include "bfd_packet.h"

struct fx {
    struct ev_loop *loop;
    struct bfd_ctx *ctx;
    struct bfd_session *a, *b;
    struct hl_bfd_status sa, sb;
    int changes;
};

static void on_change(struct bfd_session *s, const struct hl_bfd_status *st, void *ctx)
{
    struct fx *fx = ctx;

    if (s == fx->a)
        fx->sa = *st;
    else
        fx->sb = *st;
    fx->changes++;
}

typedef int (*pred_fn)(struct fx *);
static pred_fn g_pred;
static struct fx *g_fx;

static void poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    if (g_pred(g_fx))
        ev_break(loop, EVBREAK_ONE);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop until pred holds (true) or seconds pass (false). */
static int run_until(struct fx *fx, pred_fn pred, double seconds)
{
    ev_timer p, d;

    g_pred = pred;
    g_fx = fx;
    ev_timer_init(&p, poll_cb, 0.005, 0.005);
    ev_timer_init(&d, deadline_cb, seconds, 0.);
    ev_timer_start(fx->loop, &p);
    ev_timer_start(fx->loop, &d);
    ev_run(fx->loop, 0);
    ev_timer_stop(fx->loop, &p);
    ev_timer_stop(fx->loop, &d);
    return pred(fx);
}

static int both_up(struct fx *fx)
{
    return fx->sa.state == HL_BFD_UP && fx->sb.state == HL_BFD_UP && !fx->sa.poll && !fx->sb.poll;
}

static int b_sees_slower_a(struct fx *fx)
{
    /* b's rx interval follows a's new desired tx; a's poll ended */
    return fx->sb.rx_interval_us == 80000 && !fx->sa.poll && fx->sa.detect_time_us != 0;
}

static int b_down(struct fx *fx)
{
    return fx->sb.state == HL_BFD_DOWN;
}

static int never(struct fx *fx)
{
    return 0;
}

static int setup(void **state)
{
    static struct fx fx;
    char err[256];

    own_netns("test_bfd_loop");
    memset(&fx, 0, sizeof(fx));
    fx.loop = ev_loop_new(EVFLAG_AUTO);
    fx.ctx = bfd_ctx_new(fx.loop, NULL, NULL);
    /* not 127.0.0.1: the kernel's own source towards itself, refused as a
     * remote that is an address of this host */
    struct bfd_session_config ca = {.remote = "127.0.0.3",
                                    .local = "127.0.0.2",
                                    .dev = "lo",
                                    .min_tx_us = 20000,
                                    .min_rx_us = 20000,
                                    .multiplier = 3};
    struct bfd_session_config cb = ca;
    cb.remote = "127.0.0.2";
    cb.local = "127.0.0.3";
    fx.a = bfd_session_new(fx.ctx, &ca, on_change, &fx, err, sizeof(err));
    assert_non_null(fx.a);
    fx.b = bfd_session_new(fx.ctx, &cb, on_change, &fx, err, sizeof(err));
    assert_non_null(fx.b);
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    bfd_session_free(fx->a);
    bfd_session_free(fx->b);
    bfd_ctx_free(fx->ctx);
    ev_loop_destroy(fx->loop);
    return 0;
}

static void send_raw(int ttl, uint8_t flags, uint32_t your)
{
    struct bfd_pkt p = {.state = HL_BFD_UP,
                        .flags = flags,
                        .mult = 3,
                        .my_disc = 9,
                        .your_disc = your,
                        .min_tx_us = 20000,
                        .min_rx_us = 20000};
    uint8_t buf[BFD_PKT_LEN];
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(BFD_PORT_SINGLE)};
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(50000)};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    inet_pton(AF_INET, "127.0.0.2", &to.sin_addr);
    inet_pton(AF_INET, "127.0.0.3", &from.sin_addr); /* b's address: a's peer */
    assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
    assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
    bfd_pkt_encode(&p, buf);
    assert_int_equal(sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to)),
                     (ssize_t)sizeof(buf));
    close(fd);
}

static void test_loopback(void **state)
{
    struct fx *fx = *state;
    struct hl_bfd_status st;

    assert_true(run_until(fx, both_up, 10.));
    assert_int_equal(fx->sa.remote_disc, fx->sb.local_disc);
    assert_int_equal(fx->sb.remote_disc, fx->sa.local_disc);
    assert_int_equal(fx->sa.tx_interval_us, 20000);
    assert_int_equal(fx->sa.detect_time_us, 60000);

    /* ours slower: a poll sequence; b follows */
    assert_int_equal(bfd_session_set_params(fx->a, 80000, 20000, 3), 0);
    assert_true(run_until(fx, b_sees_slower_a, 5.));
    bfd_session_status(fx->a, &st);
    assert_int_equal(st.tx_interval_us, 80000);
    assert_int_equal(bfd_session_set_params(fx->a, 0, 20000, 3), -1);

    /* a single-hop packet that crossed a router (TTL 254) is dropped, as is
     * one with the A bit, each counted on a's session */
    uint64_t before = bfd_ctx_dropped(fx->ctx);
    bfd_session_status(fx->a, &st);
    uint64_t a_before = st.rx_dropped;
    send_raw(254, 0, fx->sa.local_disc);
    send_raw(255, BFD_FLAG_A, fx->sa.local_disc);
    run_until(fx, never, 0.1);
    assert_int_equal(bfd_ctx_dropped(fx->ctx), before + 2);
    assert_int_equal(bfd_ctx_dropped_auth(fx->ctx), 1);
    bfd_session_status(fx->a, &st);
    assert_int_equal(st.rx_dropped, a_before + 2);
    assert_int_equal(st.state, HL_BFD_UP);

    /* AdminDown on a: b goes Down, neighbor signaled session down */
    bfd_session_set_admin_down(fx->a, true);
    assert_true(run_until(fx, b_down, 5.));
    assert_int_equal(fx->sb.local_diag, HL_DIAG_NEIGHBOR_DOWN);
    assert_int_equal(fx->sa.state, HL_BFD_ADMIN_DOWN);
    bfd_session_set_admin_down(fx->a, false);
    assert_true(run_until(fx, both_up, 10.));
}

static void test_config_errors(void **state)
{
    struct fx *fx = *state;
    struct bfd_session_config c = {
        .remote = "192.0.2.300", .min_tx_us = 20000, .min_rx_us = 20000, .multiplier = 3};
    char err[256];

    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "remote"));
    c.remote = "192.0.2.1";
    c.local = "2001:db8::1";
    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "local"));
    c.local = NULL;
    c.dev = "a-name-longer-than-ifnamsiz";
    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "dev"));
    c.dev = NULL;
    c.multiplier = 0;
    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "multiplier"));
    c.multiplier = 3;
    c.min_rx_us = 10;
    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "min_rx"));
    assert_int_equal(bfd_ctx_sessions(fx->ctx), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
