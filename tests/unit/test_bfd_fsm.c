/*
 * Unit tests of health/bfd_fsm: every state transition of RFC 5880 6.8.6
 * and 6.8.4, AdminDown (6.8.16), the slow rate until Up and the poll
 * sequence (6.8.3) in both directions, negotiated intervals and detection
 * time (6.8.2, 6.8.4), and the transmit jitter bounds (6.8.7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bfd.h"
#include "bfd_fsm.h"

#define MS 1000u
#define T0 5000000u

static struct bfd_pkt peer(uint8_t state, uint8_t flags)
{
    return (struct bfd_pkt){.state = state,
                            .flags = flags,
                            .mult = 3,
                            .my_disc = 77,
                            .your_disc = 1,
                            .min_tx_us = 50 * MS,
                            .min_rx_us = 40 * MS};
}

static void init(struct bfd_fsm *f)
{
    bfd_fsm_init(f, 1, 20 * MS, 30 * MS, 3, false);
}

/* Down -> Init -> Up, then the poll sequence that leaves the slow rate */
static void bring_up(struct bfd_fsm *f)
{
    struct bfd_pkt p = peer(HL_BFD_DOWN, 0);

    init(f);
    assert_true(bfd_fsm_rx(f, &p, T0) & BFD_OUT_STATE);
    assert_int_equal(f->state, HL_BFD_INIT);
    p = peer(HL_BFD_UP, 0);
    assert_true(bfd_fsm_rx(f, &p, T0 + 1) & BFD_OUT_STATE);
    assert_int_equal(f->state, HL_BFD_UP);
}

static void test_initial(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt out;

    init(&f);
    assert_int_equal(f.state, HL_BFD_DOWN);
    assert_int_equal(f.adv_tx, BFD_SLOW_TX_US); /* 6.8.3: 1 s until Up */
    assert_int_equal(f.adv_rx, 30 * MS);
    assert_int_equal(bfd_fsm_tx_interval(&f), BFD_SLOW_TX_US);
    assert_int_equal(bfd_fsm_detect_deadline(&f), 0);
    assert_true(bfd_fsm_may_send(&f));
    bfd_fsm_build(&f, false, &out);
    assert_int_equal(out.state, HL_BFD_DOWN);
    assert_int_equal(out.your_disc, 0);
    assert_int_equal(out.my_disc, 1);
    assert_int_equal(out.flags, 0);
    assert_int_equal(out.min_echo_rx_us, 0);
}

static void test_down_to_up_via_init(void **state)
{
    struct bfd_fsm f;

    bring_up(&f);
    assert_int_equal(f.remote_disc, 77);
    assert_int_equal(f.diag, HL_DIAG_NONE);
    /* Up: the configured rate, by a poll sequence (tx may drop at once) */
    assert_true(f.poll);
    assert_int_equal(f.adv_tx, 20 * MS);
    assert_int_equal(bfd_fsm_tx_interval(&f), 40 * MS); /* the peer's min rx */
    struct bfd_pkt out;
    bfd_fsm_build(&f, false, &out);
    assert_int_equal(out.flags, BFD_FLAG_P);
    assert_int_equal(out.your_disc, 77);
    struct bfd_pkt fin = peer(HL_BFD_UP, BFD_FLAG_F);
    assert_true(bfd_fsm_rx(&f, &fin, T0 + 2) & BFD_OUT_PARAMS);
    assert_false(f.poll);
    bfd_fsm_build(&f, false, &out);
    assert_int_equal(out.flags, 0);
}

static void test_down_rx_init_goes_up(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_INIT, 0);

    init(&f);
    assert_true(bfd_fsm_rx(&f, &p, T0) & BFD_OUT_STATE);
    assert_int_equal(f.state, HL_BFD_UP);
}

static void test_down_rx_up_stays_down(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_UP, 0);

    init(&f);
    assert_false(bfd_fsm_rx(&f, &p, T0) & BFD_OUT_STATE);
    assert_int_equal(f.state, HL_BFD_DOWN);
}

static void test_init_rx_init_goes_up(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_DOWN, 0);

    init(&f);
    bfd_fsm_rx(&f, &p, T0);
    p = peer(HL_BFD_DOWN, 0);
    assert_false(bfd_fsm_rx(&f, &p, T0 + 1) & BFD_OUT_STATE); /* Init stays on Down */
    assert_int_equal(f.state, HL_BFD_INIT);
    p = peer(HL_BFD_INIT, 0);
    bfd_fsm_rx(&f, &p, T0 + 2);
    assert_int_equal(f.state, HL_BFD_UP);
}

static void test_up_rx_down_neighbor_down(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_DOWN, 0);

    bring_up(&f);
    assert_true(bfd_fsm_rx(&f, &p, T0 + 5) & BFD_OUT_STATE);
    assert_int_equal(f.state, HL_BFD_DOWN);
    assert_int_equal(f.diag, HL_DIAG_NEIGHBOR_DOWN);
    assert_int_equal(f.down_diag, HL_DIAG_NEIGHBOR_DOWN);
    assert_false(f.poll);
    assert_int_equal(f.adv_tx, BFD_SLOW_TX_US); /* back to the slow rate */
}

static void test_rx_admin_down(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_ADMIN_DOWN, 0);

    bring_up(&f);
    p.diag = HL_DIAG_ADMIN_DOWN;
    bfd_fsm_rx(&f, &p, T0 + 5);
    assert_int_equal(f.state, HL_BFD_DOWN);
    assert_int_equal(f.diag, HL_DIAG_NEIGHBOR_DOWN);
    assert_int_equal(f.remote_diag, HL_DIAG_ADMIN_DOWN);
    /* and Init too */
    init(&f);
    p = peer(HL_BFD_DOWN, 0);
    bfd_fsm_rx(&f, &p, T0);
    p = peer(HL_BFD_ADMIN_DOWN, 0);
    bfd_fsm_rx(&f, &p, T0 + 1);
    assert_int_equal(f.state, HL_BFD_DOWN);
    assert_int_equal(f.down_diag, HL_DIAG_NEIGHBOR_DOWN);
}

static void test_detect_timeout(void **state)
{
    struct bfd_fsm f;

    bring_up(&f);
    /* 3 x max(our rx 30 ms, peer's tx 50 ms) */
    assert_int_equal(bfd_fsm_detect_time(&f), 150 * MS);
    uint64_t dl = bfd_fsm_detect_deadline(&f);
    assert_int_equal(dl, T0 + 1 + 150 * MS);
    assert_int_equal(bfd_fsm_timeout(&f, dl - 1), 0);
    assert_int_equal(f.state, HL_BFD_UP);
    assert_true(bfd_fsm_timeout(&f, dl) & BFD_OUT_STATE);
    assert_int_equal(f.state, HL_BFD_DOWN);
    assert_int_equal(f.diag, HL_DIAG_DETECT_EXPIRED);
    assert_int_equal(f.down_diag, HL_DIAG_DETECT_EXPIRED);
    assert_int_equal(f.remote_disc, 0); /* 6.8.1: forgotten */
    assert_int_equal(bfd_fsm_detect_deadline(&f), 0);
    assert_int_equal(f.adv_tx, BFD_SLOW_TX_US);
    /* from Init too */
    struct bfd_pkt p = peer(HL_BFD_DOWN, 0);
    init(&f);
    bfd_fsm_rx(&f, &p, T0);
    assert_true(bfd_fsm_timeout(&f, T0 + 150 * MS) & BFD_OUT_STATE);
    assert_int_equal(f.state, HL_BFD_DOWN);
    assert_int_equal(f.diag, HL_DIAG_DETECT_EXPIRED);
    /* Down with a known peer: only the peer is forgotten */
    bfd_fsm_init(&f, 1, 20 * MS, 30 * MS, 3, false);
    p = peer(HL_BFD_UP, 0);
    bfd_fsm_rx(&f, &p, T0);
    assert_int_equal(f.remote_disc, 77);
    unsigned out = bfd_fsm_timeout(&f, T0 + 150 * MS);
    assert_false(out & BFD_OUT_STATE);
    assert_int_equal(f.remote_disc, 0);
}

static void test_admin_down(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_UP, 0), out;

    bring_up(&f);
    assert_true(bfd_fsm_set_admin_down(&f, true) & BFD_OUT_STATE);
    assert_int_equal(f.state, HL_BFD_ADMIN_DOWN);
    assert_int_equal(f.diag, HL_DIAG_ADMIN_DOWN);
    assert_int_equal(bfd_fsm_detect_deadline(&f), 0);
    bfd_fsm_build(&f, false, &out);
    assert_int_equal(out.state, HL_BFD_ADMIN_DOWN);
    assert_int_equal(out.diag, HL_DIAG_ADMIN_DOWN);
    assert_int_equal(bfd_fsm_rx(&f, &p, T0 + 9), BFD_OUT_ADMIN); /* ignored */
    assert_int_equal(f.state, HL_BFD_ADMIN_DOWN);
    assert_int_equal(bfd_fsm_set_admin_down(&f, true), 0);
    assert_true(bfd_fsm_set_admin_down(&f, false) & BFD_OUT_STATE);
    assert_int_equal(f.state, HL_BFD_DOWN);
}

static void test_poll_answer(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_UP, BFD_FLAG_P), out;

    bring_up(&f);
    p.min_tx_us = 200 * MS;
    p.min_rx_us = 300 * MS;
    p.mult = 5;
    unsigned o = bfd_fsm_rx(&f, &p, T0 + 3);
    assert_true(o & BFD_OUT_FINAL);
    assert_true(o & BFD_OUT_PARAMS);
    assert_int_equal(bfd_fsm_tx_interval(&f), 300 * MS); /* the peer's new min rx */
    assert_int_equal(bfd_fsm_detect_time(&f), 5 * 200 * MS);
    bfd_fsm_build(&f, true, &out);
    assert_int_equal(out.flags, BFD_FLAG_F); /* F, and never P with it */
    /* a Final without our poll is ignored */
    struct bfd_fsm g = f;
    g.poll = false;
    p = peer(HL_BFD_UP, BFD_FLAG_F);
    bfd_fsm_rx(&g, &p, T0 + 4);
    assert_false(g.poll);
}

static void test_our_poll_slower(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt fin = peer(HL_BFD_UP, BFD_FLAG_F);

    bring_up(&f);
    bfd_fsm_rx(&f, &fin, T0 + 2); /* the poll of coming Up is done */
    fin.min_rx_us = 1 * MS;       /* the peer takes anything */
    bfd_fsm_rx(&f, &fin, T0 + 3);
    assert_int_equal(bfd_fsm_tx_interval(&f), 20 * MS);
    /* slower tx and shorter rx: both wait for the Final (6.8.3) */
    assert_true(bfd_fsm_set_params(&f, 100 * MS, 10 * MS, 4) & BFD_OUT_PARAMS);
    assert_true(f.poll);
    assert_int_equal(f.adv_tx, 100 * MS);
    assert_int_equal(f.adv_rx, 10 * MS);
    assert_int_equal(f.mult, 4);
    assert_int_equal(bfd_fsm_tx_interval(&f), 20 * MS);
    assert_int_equal(f.eff_rx, 30 * MS);
    /* a second change during the poll waits for it */
    assert_int_equal(bfd_fsm_set_params(&f, 200 * MS, 10 * MS, 4), 0);
    assert_int_equal(f.adv_tx, 100 * MS);
    bfd_fsm_rx(&f, &fin, T0 + 4);
    /* the Final applies the first and starts the second */
    assert_int_equal(f.eff_rx, 10 * MS);
    assert_true(f.poll);
    assert_int_equal(f.adv_tx, 200 * MS);
    assert_int_equal(bfd_fsm_tx_interval(&f), 100 * MS);
    bfd_fsm_rx(&f, &fin, T0 + 5);
    assert_false(f.poll);
    assert_int_equal(bfd_fsm_tx_interval(&f), 200 * MS);
}

static void test_our_poll_faster(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt fin = peer(HL_BFD_UP, BFD_FLAG_F);

    bring_up(&f);
    fin.min_rx_us = 1 * MS;
    bfd_fsm_rx(&f, &fin, T0 + 2);
    /* faster tx and longer rx apply at once */
    bfd_fsm_set_params(&f, 10 * MS, 60 * MS, 3);
    assert_true(f.poll);
    assert_int_equal(bfd_fsm_tx_interval(&f), 10 * MS);
    assert_int_equal(bfd_fsm_rx_interval(&f), 60 * MS);
    /* while not Up: no poll, at once, tx never below 1 s */
    struct bfd_fsm g;
    init(&g);
    bfd_fsm_set_params(&g, 10 * MS, 60 * MS, 2);
    assert_false(g.poll);
    assert_int_equal(g.adv_tx, BFD_SLOW_TX_US);
    assert_int_equal(g.adv_rx, 60 * MS);
    assert_int_equal(g.mult, 2);
}

static void test_may_send(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_DOWN, 0);

    bfd_fsm_init(&f, 1, 20 * MS, 30 * MS, 3, true);
    assert_false(bfd_fsm_may_send(&f)); /* passive: not before the peer */
    bfd_fsm_rx(&f, &p, T0);
    assert_true(bfd_fsm_may_send(&f));
    p.min_rx_us = 0; /* the peer wants no periodic packets */
    bfd_fsm_rx(&f, &p, T0 + 1);
    assert_false(bfd_fsm_may_send(&f));
}

static void test_jitter(void **state)
{
    uint32_t lo = UINT32_MAX, hi = 0, lo1 = UINT32_MAX, hi1 = 0;

    for (uint32_t r = 0; r < 100000; r += 7) {
        uint32_t j = bfd_fsm_jitter(100000, 3, r * 2654435761u);
        uint32_t j1 = bfd_fsm_jitter(100000, 1, r * 2654435761u);
        lo = j < lo ? j : lo;
        hi = j > hi ? j : hi;
        lo1 = j1 < lo1 ? j1 : lo1;
        hi1 = j1 > hi1 ? j1 : hi1;
    }
    assert_int_equal(lo, 75000); /* up to 25 % less */
    assert_int_equal(hi, 100000);
    assert_int_equal(lo1, 75000); /* multiplier 1: 10-25 % less */
    assert_int_equal(hi1, 90000);
    assert_true(bfd_fsm_jitter(UINT32_MAX, 3, UINT32_MAX) <= UINT32_MAX);
}

static void test_huge_intervals(void **state)
{
    struct bfd_fsm f;
    struct bfd_pkt p = peer(HL_BFD_DOWN, 0);

    init(&f);
    p.mult = 255;
    p.min_tx_us = UINT32_MAX;
    bfd_fsm_rx(&f, &p, T0);
    assert_int_equal(bfd_fsm_detect_time(&f), 255ull * UINT32_MAX);
    assert_true(bfd_fsm_detect_deadline(&f) > T0);
}

static void test_names(void **state)
{
    assert_string_equal(bfd_diag_name(HL_DIAG_DETECT_EXPIRED), "control detection time expired");
    assert_string_equal(bfd_state_name(HL_BFD_UP), "up");
    assert_string_equal(bfd_state_name(HL_BFD_ADMIN_DOWN), "admin-down");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial),
        cmocka_unit_test(test_down_to_up_via_init),
        cmocka_unit_test(test_down_rx_init_goes_up),
        cmocka_unit_test(test_down_rx_up_stays_down),
        cmocka_unit_test(test_init_rx_init_goes_up),
        cmocka_unit_test(test_up_rx_down_neighbor_down),
        cmocka_unit_test(test_rx_admin_down),
        cmocka_unit_test(test_detect_timeout),
        cmocka_unit_test(test_admin_down),
        cmocka_unit_test(test_poll_answer),
        cmocka_unit_test(test_our_poll_slower),
        cmocka_unit_test(test_our_poll_faster),
        cmocka_unit_test(test_may_send),
        cmocka_unit_test(test_jitter),
        cmocka_unit_test(test_huge_intervals),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
