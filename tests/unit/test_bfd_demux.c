/*
 * Demultiplexing and loop checks of health/bfd on real sockets, in a network
 * namespace of its own (exit 77 = skipped without CAP_SYS_ADMIN): two
 * multihop sessions to the same remote (127.0.0.3) from different sources
 * (127.0.0.1 chosen by the kernel, 127.0.0.2 configured) each get only the
 * packets sent to their own source; looped packets are dropped and counted;
 * a remote that is our own address and a session that could not be told
 * from another are refused, naming the addresses.
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
    struct bfd_session *kern, *conf; /* source chosen by the kernel / configured */
};

static const struct bfd_session_config base = {.remote = "127.0.0.3",
                                               .multihop = true,
                                               .min_tx_us = 20000,
                                               .min_rx_us = 20000,
                                               .multiplier = 3,
                                               .passive = true};

static int setup(void **state)
{
    static struct fx fx;
    char err[512];

    own_netns("test_bfd_demux");
    fx.loop = ev_loop_new(EVFLAG_AUTO);
    fx.ctx = bfd_ctx_new(fx.loop, NULL, NULL);
    struct bfd_session_config c = base;
    c.label = "kern";
    fx.kern = bfd_session_new(fx.ctx, &c, NULL, NULL, err, sizeof(err));
    assert_non_null(fx.kern);
    c.label = "conf";
    c.local = "127.0.0.2";
    fx.conf = bfd_session_new(fx.ctx, &c, NULL, NULL, err, sizeof(err));
    assert_non_null(fx.conf);
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    bfd_session_free(fx->kern);
    bfd_session_free(fx->conf);
    bfd_ctx_free(fx->ctx);
    ev_loop_destroy(fx->loop);
    return 0;
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    ev_break(loop, EVBREAK_ONE);
}

/* A Down packet from `from` to `to` (multihop port), then 0.1 s of loop. */
static void send_down(struct fx *fx, const char *from, const char *to, uint32_t my)
{
    struct bfd_pkt p = {
        .state = HL_BFD_DOWN, .mult = 3, .my_disc = my, .min_tx_us = 20000, .min_rx_us = 20000};
    uint8_t buf[BFD_PKT_LEN];
    struct sockaddr_in t = {.sin_family = AF_INET, .sin_port = htons(BFD_PORT_MULTI)};
    struct sockaddr_in f = {.sin_family = AF_INET, .sin_port = htons(50001)};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ev_timer w;

    inet_pton(AF_INET, to, &t.sin_addr);
    inet_pton(AF_INET, from, &f.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&f, sizeof(f)), 0);
    bfd_pkt_encode(&p, buf);
    assert_int_equal(sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&t, sizeof(t)),
                     (ssize_t)sizeof(buf));
    close(fd);
    ev_timer_init(&w, stop_cb, 0.1, 0.);
    ev_timer_start(fx->loop, &w);
    ev_run(fx->loop, 0);
    ev_timer_stop(fx->loop, &w);
}

static uint64_t rx(struct bfd_session *s)
{
    struct hl_bfd_status st;

    bfd_session_status(s, &st);
    return st.rx_packets;
}

/* Packets to 127.0.0.2 are the configured session's, those to 127.0.0.1 the
 * other's, whichever was created first. */
static void test_by_destination(void **state)
{
    struct fx *fx = *state;

    send_down(fx, "127.0.0.3", "127.0.0.2", 7);
    assert_int_equal(rx(fx->conf), 1);
    assert_int_equal(rx(fx->kern), 0);
    send_down(fx, "127.0.0.3", "127.0.0.1", 8);
    assert_int_equal(rx(fx->kern), 1);
    assert_int_equal(rx(fx->conf), 1);
}

/* My Discriminator equal to the session's own, or a packet from one of our
 * addresses to itself: dropped as looped, never taken. */
static void test_loops(void **state)
{
    struct fx *fx = *state;
    struct hl_bfd_status st;

    bfd_session_status(fx->kern, &st);
    uint64_t loops = bfd_ctx_dropped_loop(fx->ctx), k = rx(fx->kern);
    send_down(fx, "127.0.0.3", "127.0.0.1", st.local_disc);
    assert_int_equal(bfd_ctx_dropped_loop(fx->ctx), loops + 1);
    assert_int_equal(rx(fx->kern), k);
    send_down(fx, "127.0.0.3", "127.0.0.3", 9);
    assert_int_equal(bfd_ctx_dropped_loop(fx->ctx), loops + 2);
    assert_int_equal(rx(fx->kern), k);
    assert_int_equal(rx(fx->conf), 1);
}

static void test_refusals(void **state)
{
    struct fx *fx = *state;
    struct bfd_session_config c = base;
    char err[512];

    /* the same remote and source as "kern" (127.0.0.1, the kernel's choice) */
    c.local = "127.0.0.1";
    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "remote 127.0.0.3, local 127.0.0.1"));
    assert_non_null(strstr(err, "kern: "));
    /* with kern's label it is kern's replacement (a reload): allowed */
    c.label = "kern";
    struct bfd_session *rep = bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err));
    assert_non_null(rep);
    bfd_session_free(rep);
    c.label = NULL;
    /* the same as "conf" */
    c.local = "127.0.0.2";
    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "remote 127.0.0.3, local 127.0.0.2"));
    /* single hop is a different session (other port) */
    c.multihop = false;
    struct bfd_session *sh = bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err));
    assert_non_null(sh);
    bfd_session_free(sh);
    /* our own address as the remote */
    c = base;
    c.remote = "127.0.0.1";
    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "remote: 127.0.0.1 is an address of this host"));
    c.remote = "127.0.0.4";
    c.local = "127.0.0.4";
    assert_null(bfd_session_new(fx->ctx, &c, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "remote: 127.0.0.4 is an address of this host"));
    assert_int_equal(bfd_ctx_sessions(fx->ctx), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_destination),
        cmocka_unit_test(test_loops),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
