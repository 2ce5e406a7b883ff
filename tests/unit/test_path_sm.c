/*
 * Unit tests of the pure path state machine (health/path_sm.h): every
 * transition between states, each timer edge (just before, at and after the
 * hold-down, the min good time, the startup grace, the decay below reuse
 * and max suppress), the reason texts, the config checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "path_sm.h"

#define T0 1000000u

typedef struct {
    struct hl_path_config cfg;
    struct hl_path_sm sm;
    hl_time_t now;
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    hl_path_config_defaults(&fx->cfg);
    fx->cfg.sla_rtt_ms = 150;
    fx->cfg.sla_jitter_ms = 30;
    fx->cfg.sa_name = "azure.sensors";
    fx->cfg.next_hop = "100.64.1.1";
    fx->now = T0;
    hl_sm_init(&fx->sm, fx->now);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* ---- observations ---- */

static struct hl_obs o_base(void)
{
    struct hl_obs o;
    memset(&o, 0, sizeof(o));
    o.link = 1;
    o.neigh_failed = 0;
    o.sa_up = -1;
    o.bfd = HL_BFD_OFF;
    o.app_ok = -1;
    return o;
}

static struct hl_obs o_bfd_up(void)
{
    struct hl_obs o = o_base();
    o.bfd = HL_BFD_UP;
    o.bfd_was_up = true;
    return o;
}

static struct hl_obs o_bfd_down(enum hl_bfd_diag d)
{
    struct hl_obs o = o_base();
    o.bfd = HL_BFD_DOWN;
    o.bfd_was_up = true;
    o.bfd_diag = d;
    return o;
}

static struct hl_obs o_echo(double loss, double rtt, double jitter)
{
    struct hl_obs o = o_base();
    o.echo_on = true;
    o.echo.valid = true;
    o.echo.sent = 10;
    o.echo.received = (uint32_t)(10 - loss / 10);
    o.echo.loss_pct = loss;
    o.echo.rtt_avg_ms = rtt;
    o.echo.jitter_ms = jitter;
    return o;
}

static struct hl_obs o_link_down(void)
{
    struct hl_obs o = o_base();
    o.link = 0;
    return o;
}

static struct hl_obs o_admin(void)
{
    struct hl_obs o = o_bfd_up();
    o.admin_down = true;
    return o;
}

static bool step(fx_t *fx, struct hl_obs o)
{
    return hl_sm_step(&fx->sm, &fx->cfg, &o, fx->now);
}

static bool step_at(fx_t *fx, hl_time_t t, struct hl_obs o)
{
    fx->now = t;
    return step(fx, o);
}

static bool eligible(fx_t *fx)
{
    return hl_sm_eligible(&fx->sm, &fx->cfg, fx->now);
}

/* ---- reaching each state ---- */

/* up -> down -> up at the same ms until suppressed (default: 3 flaps) */
static void flap_until_suppressed(fx_t *fx)
{
    for (int i = 0; i < 10 && fx->sm.state != HL_PATH_SUPPRESSED; i++) {
        step(fx, o_bfd_up());
        step(fx, o_link_down());
    }
    assert_int_equal(fx->sm.state, HL_PATH_SUPPRESSED);
}

static void reach(fx_t *fx, enum hl_path_state s)
{
    switch (s) {
    case HL_PATH_INIT:
        break;
    case HL_PATH_UP:
        step(fx, o_bfd_up());
        break;
    case HL_PATH_DEGRADED:
        step(fx, o_echo(20, 10, 0));
        break;
    case HL_PATH_DOWN:
        step(fx, o_bfd_up());
        step(fx, o_link_down());
        break;
    case HL_PATH_SUPPRESSED:
        flap_until_suppressed(fx);
        break;
    case HL_PATH_ADMIN_DOWN:
        step(fx, o_admin());
        break;
    default:
        fail();
    }
    assert_int_equal(fx->sm.state, s);
}

/* Drives the path from its state to `to`; false when not possible directly. */
static bool drive(fx_t *fx, enum hl_path_state to)
{
    enum hl_path_state from = fx->sm.state;
    switch (to) {
    case HL_PATH_INIT:
        return false; /* only admin-down from init goes back to it (matrix) */
    case HL_PATH_UP:
        if (from == HL_PATH_SUPPRESSED)
            fx->now = fx->sm.reuse_at;
        step(fx, o_bfd_up());
        return true;
    case HL_PATH_DEGRADED:
        if (from == HL_PATH_SUPPRESSED)
            fx->now = fx->sm.reuse_at;
        step(fx, o_echo(20, 10, 0));
        return true;
    case HL_PATH_DOWN:
        if (from == HL_PATH_SUPPRESSED)
            fx->now = fx->sm.reuse_at;
        step(fx, o_link_down());
        return true;
    case HL_PATH_SUPPRESSED:
        /* a fall from a usable state with the penalty at suppress */
        if (from != HL_PATH_UP && from != HL_PATH_DEGRADED && from != HL_PATH_ADMIN_DOWN)
            return false;
        if (from == HL_PATH_ADMIN_DOWN)
            flap_until_suppressed(fx);
        fx->sm.penalty = fx->cfg.damp_suppress;
        fx->sm.penalty_at = fx->now;
        step(fx, o_link_down());
        return true;
    case HL_PATH_ADMIN_DOWN:
        step(fx, o_admin());
        return true;
    default:
        return false;
    }
}

static void test_transition_matrix(void **state)
{
    fx_t *fx = *state;
    int checked = 0;
    for (int from = 0; from < HL_PATH_STATE_MAX; from++) {
        for (int to = 0; to < HL_PATH_STATE_MAX; to++) {
            if (from == to)
                continue;
            fx->now = T0;
            hl_sm_init(&fx->sm, fx->now);
            reach(fx, (enum hl_path_state)from);
            if (to == HL_PATH_INIT && from == HL_PATH_ADMIN_DOWN) {
                /* admin-down from init: the path had no verdict, released it is init */
                hl_sm_init(&fx->sm, T0);
                struct hl_obs o = o_base();
                o.echo_on = true; /* window not full: no verdict */
                o.admin_down = true;
                step(fx, o);
                assert_int_equal(fx->sm.state, HL_PATH_ADMIN_DOWN);
                o.admin_down = false;
                assert_true(step(fx, o));
                assert_int_equal(fx->sm.state, HL_PATH_INIT);
                checked++;
                continue;
            }
            if (!drive(fx, (enum hl_path_state)to))
                continue;
            if ((int)fx->sm.state != to)
                fail_msg("%s -> %s: got %s (%s)", hl_path_state_name(from), hl_path_state_name(to),
                         hl_path_state_name(fx->sm.state), fx->sm.reason);
            checked++;
        }
    }
    /* 30 ordered pairs; impossible: up/degraded/down/suppressed -> init (4),
     * init/down -> suppressed (2: suppression needs a fall from a usable state) */
    assert_int_equal(checked, 24);
}

/* ---- init and the startup grace ---- */

static void test_init(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(fx->sm.state, HL_PATH_INIT);
    assert_true(eligible(fx));
    struct hl_obs o = o_base();
    o.echo_on = true; /* window filling */
    step_at(fx, T0 + fx->cfg.startup_grace_ms - 1, o);
    assert_int_equal(fx->sm.state, HL_PATH_INIT);
    assert_true(eligible(fx));
    assert_string_equal(fx->sm.reason, "waiting for echo (0 replies so far)");
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now),
                     T0 + fx->cfg.startup_grace_ms);
    fx->now = T0 + fx->cfg.startup_grace_ms;
    assert_false(eligible(fx)); /* even before the step */
    assert_true(step(fx, o));
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_string_equal(fx->sm.reason, "no verdict within the 15000 ms startup grace: waiting "
                                       "for echo (0 replies so far)");
    assert_int_equal(fx->sm.flaps, 0);
    assert_true(hl_sm_penalty(&fx->sm, &fx->cfg, fx->now) == 0);
}

/* a time before the start (a caller's bug) does not wrap a timer */
static void test_time_before_start(void **state)
{
    fx_t *fx = *state;
    struct hl_obs o = o_base();
    o.echo_on = true;
    step_at(fx, T0 - 5000, o);
    assert_int_equal(fx->sm.state, HL_PATH_INIT);
    assert_true(eligible(fx));
    reach(fx, HL_PATH_UP);
    step_at(fx, T0 + 100, o_echo(100, 0, 0));
    step_at(fx, T0 + 50, o_echo(100, 0, 0));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED); /* still in its hold-down */
}

static void test_init_bfd_never_up(void **state)
{
    fx_t *fx = *state;
    struct hl_obs o = o_base();
    o.bfd = HL_BFD_DOWN;
    o.echo_on = true;
    o.echo.valid = true; /* echo fine, but BFD is required */
    step_at(fx, T0 + 100, o);
    assert_int_equal(fx->sm.state, HL_PATH_INIT);
    assert_string_equal(fx->sm.reason, "waiting for BFD (state down)");
    o.bfd = HL_BFD_INIT;
    step_at(fx, T0 + fx->cfg.startup_grace_ms - 1, o);
    assert_int_equal(fx->sm.state, HL_PATH_INIT);
    step_at(fx, T0 + fx->cfg.startup_grace_ms, o);
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_string_equal(fx->sm.reason,
                        "BFD never came up (state init after the 15000 ms startup grace)");
}

static void test_init_first_up_at_once(void **state)
{
    fx_t *fx = *state;
    assert_true(step_at(fx, T0 + 2000, o_bfd_up()));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_string_equal(fx->sm.reason, "BFD up");
    assert_true(eligible(fx)); /* the first good run needs no min good time */
    assert_false(step(fx, o_bfd_up()));
}

static void test_first_up_after_initial_down(void **state)
{
    fx_t *fx = *state;
    struct hl_obs o = o_base();
    o.sa_up = 0; /* VPN at start: SA not yet up */
    step(fx, o);
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_int_equal(fx->sm.flaps, 0);
    o.sa_up = 1;
    step_at(fx, T0 + 3000, o);
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_string_equal(fx->sm.reason, "SA up (azure.sensors)");
    assert_true(eligible(fx)); /* never carried traffic: no failback wait */
}

/* ---- hard causes act at once, with their words ---- */

static void test_hard_causes(void **state)
{
    fx_t *fx = *state;
    struct {
        struct hl_obs o;
        const char *reason;
    } cases[6];
    cases[0].o = o_link_down();
    cases[0].reason = "link down";
    cases[1].o = o_base();
    cases[1].o.neigh_failed = 1;
    cases[1].reason = "next hop 100.64.1.1 FAILED (ARP/ND)";
    cases[2].o = o_echo(0, 5, 0); /* echo says fine */
    cases[2].o.sa_up = 0;
    cases[2].reason = "SA down (azure.sensors)";
    cases[3].o = o_bfd_down(HL_DIAG_DETECT_EXPIRED);
    cases[3].reason = "BFD down, diag 1 control detection time expired";
    cases[4].o = o_bfd_down(HL_DIAG_NEIGHBOR_DOWN);
    cases[4].reason = "BFD down, diag 3 neighbor signaled session down";
    cases[5].o = o_bfd_down(HL_DIAG_DETECT_EXPIRED);
    cases[5].o.bfd = HL_BFD_INIT; /* Up -> Init is a loss too */
    cases[5].reason = "BFD down, diag 1 control detection time expired";
    for (size_t i = 0; i < 6; i++) {
        fx->now = T0;
        hl_sm_init(&fx->sm, T0);
        step(fx, o_bfd_up());
        fx->now = T0 + 1;
        assert_true(step(fx, cases[i].o));
        assert_int_equal(fx->sm.state, HL_PATH_DOWN);
        assert_string_equal(fx->sm.reason, cases[i].reason);
        assert_false(eligible(fx));
        assert_int_equal(fx->sm.flaps, 1);
        assert_true(hl_sm_penalty(&fx->sm, &fx->cfg, fx->now) == 1000);
    }
    /* no next hop configured */
    fx->cfg.next_hop = NULL;
    step(fx, cases[1].o);
    assert_string_equal(fx->sm.reason, "next hop FAILED (ARP/ND)");
}

static void test_down_cause_changes(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_DOWN);
    struct hl_obs o = o_base();
    o.sa_up = 0;
    assert_true(step(fx, o)); /* link back, SA still down: another cause */
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_string_equal(fx->sm.reason, "SA down (azure.sensors)");
    assert_false(step(fx, o));
}

/* ---- SLA: degraded ---- */

static void test_degraded_reasons(void **state)
{
    fx_t *fx = *state;
    assert_true(step(fx, o_echo(23, 10, 0)));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_string_equal(fx->sm.reason, "loss 23% >= 10% (SLA)");
    assert_true(eligible(fx));
    /* figures refresh without an event */
    assert_false(step(fx, o_echo(24, 10, 0)));
    assert_string_equal(fx->sm.reason, "loss 24% >= 10% (SLA)");
    assert_true(step(fx, o_echo(0, 180, 0)));
    assert_string_equal(fx->sm.reason, "RTT 180 ms > 150 ms (SLA)");
    assert_true(step(fx, o_echo(12.5, 150.4, 31)));
    assert_string_equal(fx->sm.reason,
                        "loss 12.5% >= 10% (SLA), RTT 150.4 ms > 150 ms (SLA), jitter 31 ms > "
                        "30 ms (SLA)");
    /* at the thresholds: loss at 10 breaches, RTT at 150 does not */
    assert_true(step(fx, o_echo(10, 150, 30)));
    assert_string_equal(fx->sm.reason, "loss 10% >= 10% (SLA)");
    assert_true(step(fx, o_echo(9.9, 150, 30)));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_string_equal(fx->sm.reason, "echo loss 9.9%, RTT 150 ms");
    assert_int_equal(fx->sm.flaps, 0);
    assert_true(eligible(fx));
}

static void test_bfd_and_echo_good(void **state)
{
    fx_t *fx = *state;
    struct hl_obs o = o_echo(0, 12.3, 1);
    o.bfd = HL_BFD_UP;
    o.bfd_was_up = true;
    step(fx, o);
    assert_string_equal(fx->sm.reason, "BFD up; echo loss 0%, RTT 12.3 ms");
    o = o_base();
    step(fx, o);
    assert_string_equal(fx->sm.reason, "link up, no probes");
    assert_int_equal(fx->sm.state, HL_PATH_UP);
}

/* ---- hold-down ---- */

static void test_hold_down_edges(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_UP);
    hl_time_t t1 = T0 + 5000;
    step_at(fx, t1, o_echo(100, 0, 0));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED); /* the SLA part */
    assert_string_equal(fx->sm.reason, "hold-down: loss 100% >= 100% (down)");
    assert_true(eligible(fx));
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now), t1 + 1000);
    step_at(fx, t1 + 999, o_echo(100, 0, 0));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_true(step_at(fx, t1 + 1000, o_echo(100, 0, 0)));
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_string_equal(fx->sm.reason, "loss 100% >= 100% (down)");
    assert_int_equal(fx->sm.flaps, 1);
    step_at(fx, t1 + 1001, o_echo(100, 0, 0));
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_int_equal(fx->sm.flaps, 1);
}

static void test_hold_down_interrupted(void **state)
{
    fx_t *fx = *state;
    fx->cfg.sla_loss_pct = 0; /* no SLA: up during hold-down */
    fx->cfg.down_loss_pct = 50;
    reach(fx, HL_PATH_UP);
    step_at(fx, T0 + 100, o_echo(60, 0, 0));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    step_at(fx, T0 + 900, o_echo(0, 0, 0)); /* recovers in time */
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now), 0);
    step_at(fx, T0 + 1000, o_echo(60, 0, 0)); /* a new bad run: a new hold-down */
    step_at(fx, T0 + 1999, o_echo(60, 0, 0));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    step_at(fx, T0 + 2000, o_echo(60, 0, 0));
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
}

static void test_hold_down_from_init_and_app(void **state)
{
    fx_t *fx = *state;
    struct hl_obs o = o_base();
    o.app_ok = 0;
    o.app_reason = "blob: endpoint down";
    fx->cfg.app_down = true;
    step_at(fx, T0 + 10, o);
    assert_int_equal(fx->sm.state, HL_PATH_INIT);
    assert_string_equal(fx->sm.reason, "hold-down: application checks: blob: endpoint down");
    step_at(fx, T0 + 1010, o);
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_string_equal(fx->sm.reason, "application checks: blob: endpoint down");
    assert_int_equal(fx->sm.flaps, 0); /* init was not usable */
    /* without app_down an app fault is a verdict: degraded from init at once */
    fx->cfg.app_down = false;
    hl_sm_init(&fx->sm, T0);
    assert_true(step_at(fx, T0 + 10, o));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_true(eligible(fx)); /* its first good run */
}

/* ---- application checks (issue 10) ---- */

#define APP_TLS "blob: TLSv1.1 only (policy: TLS 1.2 or newer)"

static struct hl_obs o_app(struct hl_obs o, int ok, const char *reason)
{
    o.app_ok = ok;
    o.app_reason = reason;
    return o;
}

/* default: an app fault degrades the path, no hold-down, no flap */
static void test_app_degraded(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_UP);
    hl_time_t t1 = T0 + 5000;
    assert_true(step_at(fx, t1, o_app(o_bfd_up(), 0, APP_TLS)));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_string_equal(fx->sm.reason, "application checks: " APP_TLS);
    assert_true(eligible(fx));
    assert_int_equal(fx->sm.flaps, 0);
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now), 0);
    /* another reason: refreshed, not an event */
    assert_false(step(fx, o_app(o_bfd_up(), 0, "cipher AES128-GCM-SHA256 is not AES-256")));
    assert_string_equal(fx->sm.reason,
                        "application checks: cipher AES128-GCM-SHA256 is not AES-256");
    /* no reason given */
    step(fx, o_app(o_bfd_up(), 0, NULL));
    assert_string_equal(fx->sm.reason, "application checks: no reason given");
    step(fx, o_app(o_bfd_up(), 0, ""));
    assert_string_equal(fx->sm.reason, "application checks: no reason given");
    /* SLA and app both named */
    struct hl_obs e = o_echo(23, 180, 0);
    e.bfd = HL_BFD_UP;
    e.bfd_was_up = true;
    assert_true(step(fx, o_app(e, 0, APP_TLS)));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_string_equal(fx->sm.reason, "loss 23% >= 10% (SLA), RTT 180 ms > 150 ms (SLA); "
                                       "application checks: " APP_TLS);
    /* the SLA met again, the app fault stays */
    assert_true(step(fx, o_app(o_echo(0, 5, 0), 0, APP_TLS)));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_string_equal(fx->sm.reason, "application checks: " APP_TLS);
    /* a fault while BFD is down: BFD says it (hard) */
    assert_true(step(fx, o_app(o_bfd_down(HL_DIAG_DETECT_EXPIRED), 0, APP_TLS)));
    assert_string_equal(fx->sm.reason, "BFD down, diag 1 control detection time expired");
    assert_true(step_at(fx, t1 + 100, o_app(o_bfd_up(), 0, APP_TLS)));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_false(eligible(fx)); /* it fell: min good applies as to any recovery */
    /* ok again: up at once; degraded -> up is no recovery, the good run goes on */
    assert_true(step_at(fx, t1 + 10100, o_app(o_bfd_up(), 1, NULL)));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_string_equal(fx->sm.reason, "BFD up");
    assert_true(eligible(fx));
    /* no verdict yet (-1) and ok (1) are the same as no checks */
    assert_false(step(fx, o_app(o_bfd_up(), -1, "ignored")));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_int_equal(fx->sm.flaps, 1);
}

/* degraded recovers at once (no min good time: it never stopped carrying) */
static void test_app_degraded_recovery(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_UP);
    step_at(fx, T0 + 1000, o_app(o_bfd_up(), 0, APP_TLS));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_true(step_at(fx, T0 + 1001, o_app(o_bfd_up(), 1, NULL)));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_true(eligible(fx));
    assert_int_equal(fx->sm.flaps, 0);
}

/* app_down: down after the hold-down (degraded while it runs), back after min good */
static void test_app_down(void **state)
{
    fx_t *fx = *state;
    fx->cfg.app_down = true;
    reach(fx, HL_PATH_UP);
    hl_time_t t1 = T0 + 5000;
    assert_true(step_at(fx, t1, o_app(o_bfd_up(), 0, APP_TLS)));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_string_equal(fx->sm.reason, "hold-down: application checks: " APP_TLS);
    assert_true(eligible(fx));
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now), t1 + 1000);
    step_at(fx, t1 + 999, o_app(o_bfd_up(), 0, APP_TLS));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_true(step_at(fx, t1 + 1000, o_app(o_bfd_up(), 0, APP_TLS)));
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_string_equal(fx->sm.reason, "application checks: " APP_TLS);
    assert_false(eligible(fx));
    assert_int_equal(fx->sm.flaps, 1);
    /* ok again: up, eligible after min_good_ms as any recovery from down */
    hl_time_t t2 = t1 + 30000;
    assert_true(step_at(fx, t2, o_app(o_bfd_up(), 1, NULL)));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_false(eligible(fx));
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now), t2 + 10000);
    step_at(fx, t2 + 9999, o_app(o_bfd_up(), 1, NULL));
    assert_false(eligible(fx));
    assert_true(step_at(fx, t2 + 10000, o_app(o_bfd_up(), 1, NULL)));
    assert_true(eligible(fx));
    /* a fault that ends within the hold-down costs nothing */
    step_at(fx, t2 + 20000, o_app(o_bfd_up(), 0, APP_TLS));
    step_at(fx, t2 + 20999, o_app(o_bfd_up(), 1, NULL));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_int_equal(fx->sm.flaps, 1);
}

/* two soft causes, or a soft one and an app fault that degrades: both named */
static void test_app_with_loss_down(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_UP);
    step_at(fx, T0 + 100, o_app(o_echo(100, 0, 0), 0, APP_TLS));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_string_equal(fx->sm.reason,
                        "hold-down: loss 100% >= 100% (down); application checks: " APP_TLS);
    step_at(fx, T0 + 1100, o_app(o_echo(100, 0, 0), 0, APP_TLS));
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_string_equal(fx->sm.reason, "loss 100% >= 100% (down); application checks: " APP_TLS);
    fx->cfg.app_down = true;
    step_at(fx, T0 + 1200, o_app(o_echo(100, 0, 0), 0, APP_TLS));
    assert_string_equal(fx->sm.reason, "application checks: " APP_TLS "; loss 100% >= 100% (down)");
    /* without the loss, with app_down: degraded during a hold-down even when
     * the SLA is met (loss-down alone would leave it up) */
    fx->cfg.sla_loss_pct = 0;
    fx->cfg.down_loss_pct = 50;
    hl_sm_init(&fx->sm, T0);
    reach(fx, HL_PATH_UP);
    step_at(fx, T0 + 100, o_echo(60, 0, 0));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    step_at(fx, T0 + 200, o_app(o_echo(60, 0, 0), 0, APP_TLS));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
}

/* waiting for BFD keeps a path's state, but an app fault degrades it */
static void test_app_while_waiting_for_bfd(void **state)
{
    fx_t *fx = *state;
    step_at(fx, T0 + 10, o_echo(0, 5, 0));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    struct hl_obs o = o_echo(0, 5, 0);
    o.bfd = HL_BFD_DOWN; /* configured, never Up yet, within the grace */
    assert_false(step_at(fx, T0 + 20, o));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_true(step_at(fx, T0 + 30, o_app(o, 0, APP_TLS)));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_string_equal(fx->sm.reason,
                        "waiting for BFD (state down); application checks: " APP_TLS);
    assert_true(eligible(fx));
    assert_int_equal(fx->sm.flaps, 0);
}

/* the longest app reason fits whole with every other cause; % is text */
static void test_app_reason_long_and_format(void **state)
{
    fx_t *fx = *state;
    char r[HL_APP_REASON_MAX + 1];
    memset(r, 'r', HL_APP_REASON_MAX);
    r[HL_APP_REASON_MAX] = '\0';
    struct hl_obs e = o_echo(99.5, 150.4, 31);
    e.bfd = HL_BFD_UP;
    e.bfd_was_up = true;
    fx->cfg.down_loss_pct = 99.5;
    fx->cfg.sla_loss_pct = 12.5;
    reach(fx, HL_PATH_UP);
    fx->cfg.app_down = true;
    step_at(fx, T0 + 10, o_app(e, 0, r));
    assert_null(strstr(fx->sm.reason, "[...]"));
    assert_int_equal(strncmp(fx->sm.reason, "hold-down: application checks: rrr", 34), 0);
    assert_non_null(strstr(fx->sm.reason, "r; loss 99.5% >= 99.5% (down)"));
    fx->cfg.app_down = false;
    fx->cfg.down_loss_pct = 100;
    hl_sm_init(&fx->sm, T0);
    step_at(fx, T0 + 10, o_app(e, 0, r));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_null(strstr(fx->sm.reason, "[...]"));
    assert_int_equal(strlen(fx->sm.reason),
                     strlen("loss 99.5% >= 12.5% (SLA), RTT 150.4 ms > 150 ms (SLA), jitter 31 "
                            "ms > 30 ms (SLA); application checks: ") +
                         HL_APP_REASON_MAX);
    step(fx, o_app(o_bfd_up(), 0, "%s%n%x"));
    assert_string_equal(fx->sm.reason, "application checks: %s%n%x");
}

/* ---- min good time (failback) ---- */

static void test_min_good_edges(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_DOWN);
    hl_time_t t2 = T0 + 4000;
    assert_true(step_at(fx, t2, o_bfd_up()));
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_false(eligible(fx));
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now), t2 + 10000);
    assert_false(step_at(fx, t2 + 9999, o_bfd_up()));
    assert_false(eligible(fx));
    assert_true(step_at(fx, t2 + 10000, o_bfd_up())); /* eligibility changed */
    assert_true(eligible(fx));
    assert_false(step_at(fx, t2 + 10001, o_bfd_up()));
    /* degraded counts as good: up <-> degraded keeps the run */
    step_at(fx, t2 + 10002, o_link_down());
    step_at(fx, t2 + 20000, o_echo(20, 10, 0));
    assert_int_equal(fx->sm.state, HL_PATH_DEGRADED);
    assert_false(eligible(fx));
    step_at(fx, t2 + 25000, o_bfd_up());
    step_at(fx, t2 + 29999, o_echo(20, 10, 0));
    assert_false(eligible(fx));
    step_at(fx, t2 + 30000, o_echo(20, 10, 0));
    assert_true(eligible(fx));
}

/* ---- admin-down ---- */

static void test_admin_down(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_UP);
    assert_true(step(fx, o_admin()));
    assert_int_equal(fx->sm.state, HL_PATH_ADMIN_DOWN);
    assert_string_equal(fx->sm.reason, "admin-down (operator)");
    assert_false(eligible(fx));
    struct hl_obs o = o_link_down();
    o.admin_down = true; /* admin wins over everything */
    step(fx, o);
    assert_int_equal(fx->sm.state, HL_PATH_ADMIN_DOWN);
    assert_int_equal(fx->sm.underlying, HL_PATH_DOWN);
    step_at(fx, T0 + 500, o_bfd_up());
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_false(eligible(fx)); /* it fell while out: the failback wait applies */
}

/* ---- dampening ---- */

static void test_dampening_suppress_and_reuse(void **state)
{
    fx_t *fx = *state;
    step(fx, o_bfd_up());
    step(fx, o_link_down());
    step(fx, o_bfd_up());
    step(fx, o_link_down());
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_true(hl_sm_penalty(&fx->sm, &fx->cfg, fx->now) == 2000);
    step(fx, o_bfd_up());
    assert_true(step(fx, o_link_down()));
    assert_int_equal(fx->sm.state, HL_PATH_SUPPRESSED);
    assert_int_equal(fx->sm.flaps, 3);
    /* 3000 decays below 750 after 2 half-lives (30 s): the first ms past it */
    assert_string_equal(fx->sm.reason,
                        "dampened: penalty 3000 >= suppress 3000, reuse below 750 in ~31 s");
    assert_int_equal(fx->sm.reuse_at, T0 + 30001);
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now), T0 + 30001);
    assert_true(hl_sm_penalty(&fx->sm, &fx->cfg, T0 + 15000) == 1500);
    /* the path is fine again underneath, long enough for its min good time */
    step_at(fx, T0 + 1000, o_bfd_up());
    assert_int_equal(fx->sm.state, HL_PATH_SUPPRESSED);
    assert_false(eligible(fx));
    assert_false(step_at(fx, T0 + 30000, o_bfd_up()));
    assert_int_equal(fx->sm.state, HL_PATH_SUPPRESSED);
    assert_true(hl_sm_penalty(&fx->sm, &fx->cfg, T0 + 30000) >= 750);
    assert_true(step_at(fx, T0 + 30001, o_bfd_up()));
    assert_true(hl_sm_penalty(&fx->sm, &fx->cfg, T0 + 30001) < 750);
    assert_int_equal(fx->sm.state, HL_PATH_UP);
    assert_true(eligible(fx)); /* good since T0 + 1000 */
}

/* docs/health.md: flapping every second, suppressed on the fourth fall, back ~35 s later */
static void test_dampening_every_second(void **state)
{
    fx_t *fx = *state;
    int falls = 0;
    for (hl_time_t t = T0; falls < 10 && fx->sm.state != HL_PATH_SUPPRESSED; t += 1000) {
        step_at(fx, t, o_bfd_up());
        step_at(fx, t + 500, o_link_down());
        falls++;
    }
    assert_int_equal(falls, 4);
    double p = hl_sm_penalty(&fx->sm, &fx->cfg, fx->now);
    assert_true(p > 3700 && p < 3800);
    hl_time_t last = fx->now;
    assert_true(fx->sm.reuse_at > last + 34000 && fx->sm.reuse_at < last + 36000);
}

static void test_dampening_release_while_down(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_SUPPRESSED);
    step_at(fx, fx->sm.reuse_at - 1, o_link_down());
    assert_int_equal(fx->sm.state, HL_PATH_SUPPRESSED);
    step_at(fx, fx->sm.reuse_at, o_link_down());
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_string_equal(fx->sm.reason, "link down");
}

static void test_dampening_max_suppress(void **state)
{
    fx_t *fx = *state;
    fx->cfg.damp_max_suppress_ms = 60000; /* ceiling 750 * 2^4 = 12000 */
    for (int i = 0; i < 20; i++) {
        step(fx, o_bfd_up());
        step(fx, o_link_down());
    }
    assert_int_equal(fx->sm.flaps, 20);
    assert_true(hl_sm_penalty(&fx->sm, &fx->cfg, fx->now) == 12000);
    assert_string_equal(fx->sm.reason,
                        "dampened: penalty 12000 >= suppress 3000, released in ~60 s (max "
                        "suppress 60 s)");
    step_at(fx, T0 + 59999, o_bfd_up());
    assert_int_equal(fx->sm.state, HL_PATH_SUPPRESSED);
    step_at(fx, T0 + 60000, o_bfd_up());
    assert_int_equal(fx->sm.state, HL_PATH_UP);
}

static void test_dampening_flaps_while_suppressed(void **state)
{
    fx_t *fx = *state;
    reach(fx, HL_PATH_SUPPRESSED);
    hl_time_t first = fx->sm.reuse_at;
    step_at(fx, T0 + 20000, o_bfd_up());
    step_at(fx, T0 + 20001, o_link_down()); /* still flapping underneath */
    assert_int_equal(fx->sm.state, HL_PATH_SUPPRESSED);
    assert_int_equal(fx->sm.flaps, 4);
    assert_true(fx->sm.reuse_at > first);
    step_at(fx, first, o_link_down());
    assert_int_equal(fx->sm.state, HL_PATH_SUPPRESSED);
}

static void test_dampening_disabled(void **state)
{
    fx_t *fx = *state;
    fx->cfg.damp_enabled = false;
    for (int i = 0; i < 10; i++) {
        step(fx, o_bfd_up());
        step(fx, o_link_down());
    }
    assert_int_equal(fx->sm.state, HL_PATH_DOWN);
    assert_int_equal(fx->sm.flaps, 10);
    assert_true(hl_sm_penalty(&fx->sm, &fx->cfg, fx->now) == 0);
}

/* ---- deadlines, no-change steps ---- */

static void test_quiet(void **state)
{
    fx_t *fx = *state;
    step(fx, o_bfd_up());
    fx->now = T0 + 20000;
    assert_false(step(fx, o_bfd_up()));
    assert_int_equal(hl_sm_next_deadline(&fx->sm, &fx->cfg, fx->now), 0);
    /* BFD admin-down at our end says nothing about the path */
    struct hl_obs o = o_base();
    o.bfd = HL_BFD_ADMIN_DOWN;
    step(fx, o);
    assert_int_equal(fx->sm.state, HL_PATH_UP);
}

/* ---- config and words ---- */

static void expect_err(struct hl_path_config *c, const char *err_part)
{
    char err[256];
    err[0] = '\0';
    int rc = hl_path_config_check(c, err, sizeof(err));
    if (!err_part) {
        if (rc != 0)
            fail_msg("unexpected error: %s", err);
        return;
    }
    assert_int_equal(rc, -1);
    if (!strstr(err, err_part))
        fail_msg("error '%s' lacks '%s'", err, err_part);
}

static void test_config_check(void **state)
{
    (void)state;
    struct hl_path_config c;
    char name[300];
    hl_path_config_defaults(&c);
    expect_err(&c, NULL);
    c.damp_reuse = 3000;
    expect_err(&c, "reuse 3000, expected above 0 and below suppress 3000");
    hl_path_config_defaults(&c);
    c.damp_max_suppress_ms = 30000; /* 750 * 4 = 3000: reaches suppress */
    expect_err(&c, NULL);
    c.damp_max_suppress_ms = 29000;
    expect_err(&c, "never reaches suppress 3000");
    hl_path_config_defaults(&c);
    c.damp_half_life_ms = 0;
    expect_err(&c, "half_life");
    hl_path_config_defaults(&c);
    c.down_loss_pct = 5;
    expect_err(&c, "down_loss_pct 5% below the SLA loss 10%");
    hl_path_config_defaults(&c);
    c.sla_loss_pct = 101;
    expect_err(&c, "expected 0..100");
    hl_path_config_defaults(&c);
    memset(name, 'a', sizeof(name));
    name[HL_SA_NAME_MAX] = '\0';
    c.sa_name = name;
    expect_err(&c, NULL);
    name[HL_SA_NAME_MAX] = 'a';
    name[HL_SA_NAME_MAX + 1] = '\0';
    expect_err(&c, "sa_name: longer than 127 bytes");
    c.sa_name = "a\x1b[31mb";
    expect_err(&c, "sa_name: byte 0x1b at offset 1");
    c.sa_name = NULL;
    c.next_hop = "2001:db8:ffff:ffff:ffff:ffff:255.255.255.255:x"; /* 46 */
    expect_err(&c, "next_hop: longer than 45 bytes");
}

static void test_long_names_whole_or_marked(void **state)
{
    fx_t *fx = *state;
    char name[HL_REASON_MAX + 100];
    memset(name, 'n', sizeof(name));
    name[HL_SA_NAME_MAX] = '\0';
    fx->cfg.sa_name = name; /* the longest a checked config has */
    struct hl_obs o = o_base();
    o.sa_up = 0;
    step(fx, o);
    assert_int_equal(strlen(fx->sm.reason), strlen("SA down ()") + HL_SA_NAME_MAX);
    o.sa_up = 1;
    fx->cfg.startup_grace_ms = 0; /* not checked: a longer name never fits */
    name[HL_SA_NAME_MAX] = 'n';
    name[sizeof(name) - 1] = '\0';
    step(fx, o);
    const char *end = fx->sm.reason + strlen(fx->sm.reason) - strlen(" [...]");
    assert_string_equal(end, " [...]");
    /* % in names is text, not a format */
    fx->cfg.sa_name = "%s%n%x";
    o.sa_up = 0;
    step(fx, o);
    assert_string_equal(fx->sm.reason, "SA down (%s%n%x)");
}

static void test_words(void **state)
{
    (void)state;
    const char *names[] = {"init", "up", "degraded", "down", "suppressed", "admin-down"};
    for (int i = 0; i < HL_PATH_STATE_MAX; i++)
        assert_string_equal(hl_path_state_name((enum hl_path_state)i), names[i]);
    assert_string_equal(hl_path_state_name(HL_PATH_STATE_MAX), "unknown");
    const char *diags[] = {"no diagnostic",
                           "control detection time expired",
                           "echo function failed",
                           "neighbor signaled session down",
                           "forwarding plane reset",
                           "path down",
                           "concatenated path down",
                           "administratively down",
                           "reverse concatenated path down"};
    for (int i = 0; i <= 8; i++)
        assert_string_equal(hl_bfd_diag_text((enum hl_bfd_diag)i), diags[i]);
    assert_string_equal(hl_bfd_diag_text((enum hl_bfd_diag)9), "unknown diagnostic");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_transition_matrix),
        T(test_init),
        T(test_time_before_start),
        T(test_init_bfd_never_up),
        T(test_init_first_up_at_once),
        T(test_first_up_after_initial_down),
        T(test_hard_causes),
        T(test_down_cause_changes),
        T(test_degraded_reasons),
        T(test_bfd_and_echo_good),
        T(test_hold_down_edges),
        T(test_hold_down_interrupted),
        T(test_hold_down_from_init_and_app),
        T(test_app_degraded),
        T(test_app_degraded_recovery),
        T(test_app_down),
        T(test_app_with_loss_down),
        T(test_app_reason_long_and_format),
        T(test_app_while_waiting_for_bfd),
        T(test_min_good_edges),
        T(test_admin_down),
        T(test_dampening_suppress_and_reuse),
        T(test_dampening_every_second),
        T(test_dampening_release_while_down),
        T(test_dampening_max_suppress),
        T(test_dampening_flaps_while_suppressed),
        T(test_dampening_disabled),
        T(test_quiet),
        T(test_config_check),
        T(test_long_names_whole_or_marked),
        T(test_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
