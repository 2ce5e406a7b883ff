/*
 * Unit tests of the echo probes' sliding window statistics (echo_window.c):
 * exact figures of loss, average RTT, jitter (mean |RTT(i) - RTT(i-1)| over
 * successive received probes), lost_in_row and validity.
 *
 * Threading: single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "echo_window.h"

#define MS 1000u /* microseconds */

static struct hl_echo_stats stats(const struct echo_window *w)
{
    struct hl_echo_stats st;

    echo_window_stats(w, &st);
    return st;
}

static void test_init_limits(void **state)
{
    struct echo_window w;

    assert_int_equal(echo_window_init(&w, 0, 3), -1);
    assert_int_equal(echo_window_init(&w, ECHO_WINDOW_MAX + 1, 3), -1);
    assert_int_equal(echo_window_init(&w, ECHO_WINDOW_MAX, 3), 0);
    echo_window_free(&w);
    assert_int_equal(echo_window_init(&w, 1, 0), 0);
    struct hl_echo_stats st = stats(&w);
    assert_false(st.valid);
    assert_int_equal(st.sent, 0);
    assert_true(st.loss_pct == 0.0 && st.rtt_avg_ms == 0.0 && st.jitter_ms == 0.0);
    echo_window_free(&w);
}

/* 10, 30 ms, a loss, 20 ms: loss 25 %, average 20 ms, jitter (20 + 10) / 2 = 15 ms */
static void test_exact_figures(void **state)
{
    struct echo_window w;
    const uint64_t to = 1500 * MS;

    assert_int_equal(echo_window_init(&w, 4, 3), 0);
    assert_int_equal(echo_window_sent(&w, 0), 0);
    assert_int_equal(echo_window_reply(&w, 0, 10 * MS), ECHO_REPLY_OK);
    assert_int_equal(echo_window_sent(&w, 1000 * MS), 1);
    assert_int_equal(echo_window_reply(&w, 1, 1030 * MS), ECHO_REPLY_OK);
    assert_int_equal(echo_window_sent(&w, 2000 * MS), 2);
    assert_int_equal(echo_window_sent(&w, 3000 * MS), 3);
    assert_int_equal(echo_window_expire(&w, 3499 * MS, to), 0); /* not yet */
    assert_int_equal(echo_window_reply(&w, 3, 3020 * MS), ECHO_REPLY_OK);
    struct hl_echo_stats st = stats(&w);
    assert_int_equal(st.sent, 3); /* seq 2 still pending: not counted */
    assert_false(st.valid);
    assert_int_equal(echo_window_expire(&w, 3500 * MS, to), 1);
    st = stats(&w);
    assert_true(st.valid);
    assert_int_equal(st.sent, 4);
    assert_int_equal(st.received, 3);
    assert_true(st.loss_pct == 25.0);
    assert_true(st.rtt_avg_ms == 20.0);
    assert_true(st.jitter_ms == 15.0);
    assert_int_equal(st.lost_in_row, 1); /* the timeout came after the last reply */
    echo_window_free(&w);
}

/* the window slides: the fifth probe pushes the first one (10 ms) out */
static void test_slide(void **state)
{
    struct echo_window w;
    const uint64_t rtt[] = {10, 50, 20, 40, 30};

    assert_int_equal(echo_window_init(&w, 4, 3), 0);
    for (uint64_t i = 0; i < 5; i++) {
        echo_window_sent(&w, i * 100 * MS);
        assert_int_equal(echo_window_reply(&w, i, (i * 100 + rtt[i]) * MS), ECHO_REPLY_OK);
    }
    struct hl_echo_stats st = stats(&w);
    assert_int_equal(st.sent, 4);
    assert_int_equal(st.received, 4);
    assert_true(st.loss_pct == 0.0);
    assert_true(st.rtt_avg_ms == 35.0);                /* (50 + 20 + 40 + 30) / 4 */
    assert_true(st.jitter_ms == (30 + 20 + 10) / 3.0); /* |20-50|, |40-20|, |30-40| */
    /* the first one is still remembered (a second reply is a duplicate), not counted */
    assert_int_equal(echo_window_reply(&w, 0, 999 * MS), ECHO_REPLY_DUP);
    assert_int_equal(echo_window_reply(&w, 5, 999 * MS), ECHO_REPLY_UNKNOWN); /* never sent */
    for (uint64_t i = 5; i < 11; i++)
        echo_window_sent(&w, i * 100 * MS); /* ring of 10: seq 0 is gone */
    assert_null(echo_window_slot(&w, 0));
    assert_int_equal(echo_window_reply(&w, 0, 999 * MS), ECHO_REPLY_UNKNOWN);
    echo_window_free(&w);
}

/* late, duplicate and out-of-order replies */
static void test_late_dup_reorder(void **state)
{
    struct echo_window w;
    const uint64_t to = 100 * MS;

    assert_int_equal(echo_window_init(&w, 8, 3), 0);
    echo_window_sent(&w, 0);
    echo_window_sent(&w, 10 * MS);
    echo_window_sent(&w, 20 * MS);
    /* replies of 2 and 1 arrive before the one of 0 */
    assert_int_equal(echo_window_reply(&w, 2, 25 * MS), ECHO_REPLY_OK);  /* 5 ms */
    assert_int_equal(echo_window_reply(&w, 1, 45 * MS), ECHO_REPLY_OK);  /* 35 ms */
    assert_int_equal(echo_window_reply(&w, 1, 46 * MS), ECHO_REPLY_DUP); /* counted once */
    assert_int_equal(echo_window_expire(&w, 100 * MS, to), 1);           /* 0 times out */
    assert_int_equal(echo_window_reply(&w, 0, 101 * MS), ECHO_REPLY_LATE);
    struct hl_echo_stats st = stats(&w);
    assert_int_equal(st.sent, 3);
    assert_int_equal(st.received, 2);
    assert_true(st.rtt_avg_ms == 20.0);
    assert_true(st.jitter_ms == 30.0); /* in sequence order: 35 then 5 */
    assert_int_equal(st.lost_in_row, 1);
    assert_int_equal(echo_window_slot(&w, 0)->state, ECHO_SLOT_LOST);
    echo_window_free(&w);
}

/* a dead target: valid after loss_run losses, 100 %, lost_in_row counts on
 * past the window; one reply resets it */
static void test_loss_run(void **state)
{
    struct echo_window w;
    const uint64_t to = 50 * MS;

    assert_int_equal(echo_window_init(&w, 5, 3), 0);
    for (uint64_t i = 0; i < 12; i++) {
        echo_window_sent(&w, i * 100 * MS);
        assert_int_equal(echo_window_expire(&w, (i * 100 + 50) * MS, to), 1);
        struct hl_echo_stats st = stats(&w);
        assert_int_equal(st.lost_in_row, i + 1);
        assert_int_equal(st.valid, i + 1 >= 3);
        assert_true(st.loss_pct == 100.0);
        assert_int_equal(st.sent, i + 1 < 5 ? i + 1 : 5);
        assert_int_equal(st.received, 0);
    }
    uint64_t at = 0, seq = 0;
    assert_false(echo_window_next_expiry(&w, to, &at, &seq));
    echo_window_sent(&w, 1200 * MS);
    assert_true(echo_window_next_expiry(&w, to, &at, &seq));
    assert_int_equal(at, 1250 * MS);
    assert_int_equal(seq, 12);
    assert_int_equal(echo_window_reply(&w, 12, 1207 * MS), ECHO_REPLY_OK);
    struct hl_echo_stats st = stats(&w);
    assert_int_equal(st.lost_in_row, 0);
    assert_true(st.loss_pct == 80.0);
    assert_true(st.rtt_avg_ms == 7.0);
    assert_true(st.jitter_ms == 0.0); /* one RTT: no pair */
    echo_window_free(&w);
}

/* loss_run 0: valid only once the window has been filled */
static void test_no_loss_run(void **state)
{
    struct echo_window w;

    assert_int_equal(echo_window_init(&w, 3, 0), 0);
    echo_window_sent(&w, 0);
    echo_window_sent(&w, 0);
    assert_int_equal(echo_window_expire(&w, 10, 10), 2);
    assert_false(stats(&w).valid);
    echo_window_sent(&w, 20);
    assert_int_equal(echo_window_reply(&w, 2, 21), ECHO_REPLY_OK);
    assert_true(stats(&w).valid);
    echo_window_free(&w);
}

/* a pending probe pushed out of the ring (2N + 2) counts as lost */
static void test_pushed_out_pending(void **state)
{
    struct echo_window w;

    assert_int_equal(echo_window_init(&w, 2, 0), 0);
    for (int i = 0; i < 6; i++)
        echo_window_sent(&w, (uint64_t)i);
    assert_int_equal(w.completed, 0); /* six pending fit */
    echo_window_sent(&w, 6);          /* seq 0 leaves, still pending */
    assert_int_equal(w.completed, 1);
    assert_int_equal(w.lost_in_row, 1);
    assert_int_equal(echo_window_reply(&w, 0, 7), ECHO_REPLY_UNKNOWN);
    echo_window_free(&w);
}

/* the window is the last N completed probes: pending ones do not push
 * completed ones out of the figures (timeout = N intervals) */
static void test_pending_do_not_shrink(void **state)
{
    struct echo_window w;
    const uint64_t to = 400 * MS;

    assert_int_equal(echo_window_init(&w, 4, 0), 0);
    for (uint64_t i = 0; i < 20; i++) {
        echo_window_expire(&w, i * 100 * MS, to);
        echo_window_sent(&w, i * 100 * MS);
    }
    /* sent 0..19, 0..15 lost, 16..19 pending */
    struct hl_echo_stats st = stats(&w);
    assert_int_equal(st.sent, 4);
    assert_int_equal(st.lost_in_row, 16);
    assert_true(st.loss_pct == 100.0);
    echo_window_free(&w);
}

/* sub-millisecond figures are kept (microseconds) */
static void test_microseconds(void **state)
{
    struct echo_window w;

    assert_int_equal(echo_window_init(&w, 2, 0), 0);
    echo_window_sent(&w, 1000);
    echo_window_reply(&w, 0, 1250); /* 0.25 ms */
    echo_window_sent(&w, 2000);
    echo_window_reply(&w, 1, 2750); /* 0.75 ms */
    struct hl_echo_stats st = stats(&w);
    assert_true(st.rtt_avg_ms == 0.5);
    assert_true(st.jitter_ms == 0.5);
    echo_window_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_limits),
        cmocka_unit_test(test_exact_figures),
        cmocka_unit_test(test_slide),
        cmocka_unit_test(test_late_dup_reorder),
        cmocka_unit_test(test_loss_run),
        cmocka_unit_test(test_no_loss_run),
        cmocka_unit_test(test_pushed_out_pending),
        cmocka_unit_test(test_microseconds),
        cmocka_unit_test(test_pending_do_not_shrink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
