/*
 * Unit tests of the per-site decision (health/decide.h): priority, up before
 * degraded, SLA tie-breaks and their hysteresis, ECMP sets and weights, pin,
 * keep_last and fail closed, the early take of a recovered path, the
 * ranking for link loss, no flip-flop, the event texts, and the history.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "path_sm.h" /* HL_REASON_MAX */

#define MAXP 20

typedef struct {
    struct hl_decide_path p[MAXP];
    struct hl_decide_in in;
    struct hl_choice prev, out;
    char text[HL_EVENT_TEXT_MAX];
} fx_t;

static void set_path(fx_t *fx, size_t i, const char *name, unsigned prio, enum hl_path_state st,
                     const char *reason)
{
    struct hl_decide_path *p = &fx->p[i];
    p->name = name;
    p->priority = prio;
    p->weight = 1;
    p->state = st;
    p->eligible = st == HL_PATH_UP || st == HL_PATH_DEGRADED || st == HL_PATH_INIT;
    p->link_up = true;
    p->loss_pct = 0;
    p->rtt_ms = 10;
    p->reason = reason;
    p->app_fault = false;
    if (i >= fx->in.n_paths)
        fx->in.n_paths = i + 1;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    fx->in.site = "azure-westeurope";
    fx->in.paths = fx->p;
    fx->in.pinned = -1;
    fx->in.now = 1000000;
    set_path(fx, 0, "er-cmr", 10, HL_PATH_UP, "BFD up");
    set_path(fx, 1, "vpn", 20, HL_PATH_UP, "SA up (azure.sensors)");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Decides; the result becomes the previous choice of the next call. */
static bool decide(fx_t *fx)
{
    bool changed = hl_decide(&fx->in, &fx->out, fx->text, sizeof(fx->text));
    fx->prev = fx->out;
    fx->in.prev = &fx->prev;
    return changed;
}

static void test_priority_and_start(void **state)
{
    fx_t *fx = *state;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_string_equal(fx->text, "site azure-westeurope: none -> er-cmr (er-cmr: BFD up)");
    assert_int_equal(fx->out.rank[0], 0);
    assert_int_equal(fx->out.rank[1], 1);
    assert_true(fx->out.usable[0] && fx->out.usable[1]);
    assert_int_equal(fx->out.weight[0], 1);
    assert_int_equal(fx->out.weight[1], 0);
    assert_false(fx->out.pinned || fx->out.kept_last || fx->out.early);
}

static void test_failover_text_and_no_flip_flop(void **state)
{
    fx_t *fx = *state;
    decide(fx);
    set_path(fx, 0, "er-cmr", 10, HL_PATH_DOWN, "BFD down, diag 1 control detection time expired");
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x2);
    assert_string_equal(fx->text, "site azure-westeurope: er-cmr -> vpn (er-cmr: BFD down, diag 1 "
                                  "control detection time expired)");
    for (int i = 0; i < 100; i++) {
        assert_false(decide(fx));
        assert_string_equal(fx->text, "");
        assert_int_equal(fx->out.active, 0x2);
    }
    /* failback once er-cmr is eligible again (its min good time served) */
    set_path(fx, 0, "er-cmr", 10, HL_PATH_UP, "BFD up");
    fx->p[0].eligible = false;
    assert_false(decide(fx)); /* serving its min good time: vpn is fine */
    fx->p[0].eligible = true;
    assert_true(decide(fx));
    assert_string_equal(fx->text, "site azure-westeurope: vpn -> er-cmr (er-cmr: BFD up)");
}

static void test_up_before_degraded(void **state)
{
    fx_t *fx = *state;
    set_path(fx, 0, "er-cmr", 10, HL_PATH_DEGRADED, "loss 23% >= 10% (SLA)");
    fx->p[0].loss_pct = 23;
    decide(fx);
    assert_int_equal(fx->out.active, 0x2);
    assert_int_equal(fx->out.rank[1], 0);
    assert_int_equal(fx->out.rank[0], 1);
    assert_true(fx->out.usable[0]);
    /* both degraded: priority first, whatever the figures */
    set_path(fx, 1, "vpn", 20, HL_PATH_DEGRADED, "RTT 180 ms > 150 ms (SLA)");
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_string_equal(fx->text,
                        "site azure-westeurope: vpn -> er-cmr (er-cmr: loss 23% >= 10% (SLA))");
}

static void test_degraded_tie_breaks(void **state)
{
    fx_t *fx = *state;
    set_path(fx, 0, "a", 10, HL_PATH_DEGRADED, "loss");
    set_path(fx, 1, "b", 10, HL_PATH_DEGRADED, "loss");
    set_path(fx, 2, "c", 10, HL_PATH_DEGRADED, "loss");
    fx->p[0].loss_pct = 20;
    fx->p[1].loss_pct = 12;
    fx->p[2].loss_pct = 12;
    fx->p[2].rtt_ms = 50;
    fx->p[1].rtt_ms = 100;
    decide(fx);
    assert_int_equal(fx->out.active, 0x4); /* loss, then RTT */
    assert_int_equal(fx->out.rank[2], 0);
    assert_int_equal(fx->out.rank[1], 1);
    assert_int_equal(fx->out.rank[0], 2);
    /* exact ties are ECMP */
    fx->in.prev = NULL;
    fx->p[1].rtt_ms = 50;
    decide(fx);
    assert_int_equal(fx->out.active, 0x6);
    assert_int_equal(fx->out.rank[1], fx->out.rank[2]);
}

static void test_degraded_hysteresis(void **state)
{
    fx_t *fx = *state;
    set_path(fx, 0, "a", 10, HL_PATH_DEGRADED, "loss");
    set_path(fx, 1, "b", 10, HL_PATH_DEGRADED, "loss");
    fx->p[0].loss_pct = 12;
    fx->p[1].loss_pct = 14;
    decide(fx);
    assert_int_equal(fx->out.active, 0x1);
    /* b becomes a little better: no move */
    fx->p[0].loss_pct = 17;
    fx->p[1].loss_pct = 12;
    assert_false(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_int_equal(fx->out.rank[0], 0); /* the kept path ranks first */
    assert_int_equal(fx->out.rank[1], 1);
    /* by more than the margin: move */
    fx->p[0].loss_pct = 17.5;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x2);
    /* RTT: 20% of the best, at least 10 ms */
    fx->p[0].loss_pct = 12;
    fx->p[1].loss_pct = 12;
    fx->p[0].rtt_ms = 100;
    fx->p[1].rtt_ms = 120;
    assert_false(decide(fx));
    fx->p[1].rtt_ms = 120.5;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    fx->p[0].rtt_ms = 5;
    fx->p[1].rtt_ms = 15; /* 10 ms floor */
    assert_false(decide(fx));
}

static void test_ecmp_weights(void **state)
{
    fx_t *fx = *state;
    set_path(fx, 1, "er-2", 10, HL_PATH_UP, "BFD up");
    set_path(fx, 2, "vpn", 20, HL_PATH_UP, "SA up");
    fx->p[0].weight = 1;
    fx->p[1].weight = 3;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x3);
    assert_int_equal(fx->out.weight[0], 1);
    assert_int_equal(fx->out.weight[1], 3);
    assert_int_equal(fx->out.weight[2], 0);
    assert_int_equal(fx->out.rank[0], 0);
    assert_int_equal(fx->out.rank[1], 0);
    assert_int_equal(fx->out.rank[2], 1);
    assert_string_equal(
        fx->text, "site azure-westeurope: none -> er-cmr+er-2 (er-cmr: BFD up; er-2: BFD up)");
    /* one of the set falls: the set shrinks */
    fx->p[1].state = HL_PATH_DOWN;
    fx->p[1].eligible = false;
    fx->p[1].reason = "link down";
    fx->p[1].link_up = false;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_string_equal(fx->text, "site azure-westeurope: er-cmr+er-2 -> er-cmr (er-2: link down)");
    /* a weight change alone is not a decision */
    fx->p[0].weight = 5;
    assert_false(decide(fx));
    assert_int_equal(fx->out.weight[0], 5);
}

static void test_pin(void **state)
{
    fx_t *fx = *state;
    decide(fx);
    fx->in.pinned = 1;
    fx->p[1].state = HL_PATH_DOWN; /* whatever its health */
    fx->p[1].eligible = false;
    fx->p[1].reason = "SA down (azure.sensors)";
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x2);
    assert_true(fx->out.pinned);
    assert_int_equal(fx->out.rank[1], 0);
    assert_int_equal(fx->out.rank[0], 1);
    assert_true(fx->out.usable[1]);
    assert_string_equal(fx->text,
                        "site azure-westeurope: er-cmr -> vpn (vpn pinned by the operator)");
    assert_false(decide(fx));
    /* its link goes: the pin is not in effect */
    fx->p[1].link_up = false;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_false(fx->out.pinned);
    assert_false(fx->out.usable[1]);
    assert_string_equal(fx->text, "site azure-westeurope: vpn -> er-cmr (pin on vpn not in effect: "
                                  "link down; er-cmr: BFD up)");
    fx->p[1].link_up = true;
    assert_true(decide(fx));
    assert_true(fx->out.pinned);
    /* admin-down beats a pin */
    fx->p[1].state = HL_PATH_ADMIN_DOWN;
    assert_true(decide(fx));
    assert_false(fx->out.pinned);
    assert_string_equal(fx->text, "site azure-westeurope: vpn -> er-cmr (pin on vpn not in effect: "
                                  "admin-down; er-cmr: BFD up)");
    fx->p[1].state = HL_PATH_UP;
    assert_true(decide(fx));
    fx->in.pinned = -1;
    assert_true(decide(fx));
    assert_string_equal(fx->text,
                        "site azure-westeurope: vpn -> er-cmr (pin released; er-cmr: BFD up)");
    /* a pin out of range is ignored */
    fx->in.pinned = 7;
    assert_false(decide(fx));
}

static void all_down(fx_t *fx)
{
    set_path(fx, 0, "er-cmr", 10, HL_PATH_DOWN, "BFD down, diag 1 control detection time expired");
    set_path(fx, 1, "vpn", 20, HL_PATH_DOWN, "SA down (azure.sensors)");
}

static void test_fail_closed(void **state)
{
    fx_t *fx = *state;
    decide(fx);
    all_down(fx);
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0);
    assert_false(fx->out.kept_last);
    assert_false(fx->out.usable[0] || fx->out.usable[1]);
    assert_string_equal(fx->text,
                        "site azure-westeurope: er-cmr -> none, fail closed (er-cmr: BFD down, "
                        "diag 1 control detection time expired)");
    assert_false(decide(fx));
}

static void test_keep_last(void **state)
{
    fx_t *fx = *state;
    fx->in.keep_last = true;
    decide(fx);
    all_down(fx);
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_true(fx->out.kept_last);
    assert_false(fx->out.usable[0]);
    assert_string_equal(fx->text,
                        "site azure-westeurope: er-cmr -> er-cmr, kept by keep_last: no path "
                        "eligible (er-cmr: BFD down, diag 1 control detection time expired)");
    assert_false(decide(fx));
    /* the kept path's link goes: nothing to keep */
    fx->p[0].link_up = false;
    fx->p[0].reason = "link down";
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0);
    assert_false(fx->out.kept_last);
    /* at start there is nothing to keep */
    fx->in.prev = NULL;
    fx->p[0].link_up = true;
    decide(fx);
    assert_int_equal(fx->out.active, 0);
    /* admin-down is never kept */
    fx->in.keep_last = true;
    fx->prev.active = 0x1;
    fx->p[0].state = HL_PATH_ADMIN_DOWN;
    decide(fx);
    assert_int_equal(fx->out.active, 0);
}

static void test_early_take(void **state)
{
    fx_t *fx = *state;
    all_down(fx);
    decide(fx);
    assert_int_equal(fx->out.active, 0);
    /* er-cmr recovers, serving its min good time; nothing else eligible */
    set_path(fx, 0, "er-cmr", 10, HL_PATH_UP, "BFD up");
    fx->p[0].eligible = false;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_true(fx->out.early);
    assert_string_equal(fx->text, "site azure-westeurope: none -> er-cmr (er-cmr: BFD up; taken "
                                  "before its min good time: no other path eligible)");
    /* served: no new decision */
    fx->p[0].eligible = true;
    assert_false(decide(fx));
    assert_false(fx->out.early);
    /* an eligible path beats one serving its min good time */
    set_path(fx, 1, "vpn", 20, HL_PATH_UP, "SA up");
    fx->p[0].eligible = false;
    fx->in.prev = NULL;
    decide(fx);
    assert_int_equal(fx->out.active, 0x2);
    assert_int_equal(fx->out.rank[1], 0);
    assert_int_equal(fx->out.rank[0], 1);
    assert_true(fx->out.usable[0]);
}

static void test_ranking_for_link_loss(void **state)
{
    fx_t *fx = *state;
    set_path(fx, 2, "er-2", 15, HL_PATH_DOWN, "link down");
    set_path(fx, 3, "vpn-2", 30, HL_PATH_SUPPRESSED, "dampened");
    set_path(fx, 4, "er-3", 5, HL_PATH_INIT, "starting: no verdict yet");
    fx->p[4].eligible = false; /* grace over */
    decide(fx);
    assert_int_equal(fx->out.active, 0x1);
    assert_int_equal(fx->out.rank[0], 0);
    assert_int_equal(fx->out.rank[1], 1);
    /* the unusable ones rank after, by priority */
    assert_int_equal(fx->out.rank[4], 2);
    assert_int_equal(fx->out.rank[2], 3);
    assert_int_equal(fx->out.rank[3], 4);
    assert_true(fx->out.usable[0] && fx->out.usable[1]);
    assert_false(fx->out.usable[2] || fx->out.usable[3] || fx->out.usable[4]);
    /* the route engine's view of a link loss before health: vpn's link down */
    fx->p[1].link_up = false;
    decide(fx);
    assert_false(fx->out.usable[1]);
}

static void test_init_ranks_with_up(void **state)
{
    fx_t *fx = *state;
    set_path(fx, 0, "er-cmr", 10, HL_PATH_INIT, "waiting for BFD (state down)");
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1); /* a restart keeps er-cmr while BFD comes up */
    fx->p[0].eligible = false;
    fx->p[0].state = HL_PATH_DOWN;
    fx->p[0].reason = "BFD never came up (state down after the 15000 ms startup grace)";
    assert_true(decide(fx));
    assert_string_equal(fx->text, "site azure-westeurope: er-cmr -> vpn (er-cmr: BFD never came up "
                                  "(state down after the 15000 ms startup grace))");
}

static void test_too_many_paths(void **state)
{
    fx_t *fx = *state;
    for (size_t i = 0; i < 17; i++)
        set_path(fx, i, "p", 10, HL_PATH_UP, "BFD up");
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0);
    assert_string_equal(fx->text, "site azure-westeurope: 17 paths, at most 16: failing closed");
}

static void test_texts_long_and_cut(void **state)
{
    fx_t *fx = *state;
    static char names[HL_MAX_PATHS][64], site[64], reason[HL_REASON_MAX];
    memset(site, 's', 63);
    memset(reason, 'r', HL_REASON_MAX - 1);
    fx->in.site = site;
    for (size_t i = 0; i < HL_MAX_PATHS; i++) {
        memset(names[i], 'a' + (int)i, 63);
        set_path(fx, i, names[i], 10, HL_PATH_UP, reason);
    }
    fx->p[0].priority = 5;
    decide(fx);
    assert_int_equal(fx->out.active, 0x1);
    fx->p[0].state = HL_PATH_DOWN;
    fx->p[0].eligible = false;
    assert_true(decide(fx)); /* 1 -> 15 ECMP */
    assert_null(strstr(fx->text, "[...]"));
    all_down(fx);
    for (size_t i = 2; i < HL_MAX_PATHS; i++)
        fx->p[i].state = HL_PATH_DOWN, fx->p[i].eligible = false;
    assert_true(decide(fx)); /* 15 -> none: every leaving path cited? two, then a count */
    assert_null(strstr(fx->text, "[...]"));
    assert_non_null(strstr(fx->text, "; and 13 more)"));
    assert_true(strlen(fx->text) < HL_EVENT_TEXT_MAX);
    /* a small buffer: cut visibly */
    char small[40];
    fx->in.prev = NULL;
    hl_decide(&fx->in, &fx->out, small, sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_string_equal(small + sizeof(small) - 1 - 6, " [...]");
    /* % in names is text */
    fx->in.site = "%s%n";
    fx->in.n_paths = 1;
    set_path(fx, 0, "%x", 10, HL_PATH_UP, "%d");
    decide(fx);
    assert_string_equal(fx->text, "site %s%n: none -> %x (%x: %d)");
}

static void test_hostile_inputs(void **state)
{
    fx_t *fx = *state;
    /* unknown figures rank worst, consistently */
    set_path(fx, 0, "a", 10, HL_PATH_DEGRADED, "loss");
    set_path(fx, 1, "b", 10, HL_PATH_DEGRADED, "loss");
    fx->p[0].loss_pct = 0.0 / 0.0;
    fx->p[1].loss_pct = 50;
    decide(fx);
    assert_int_equal(fx->out.active, 0x2);
    assert_int_equal(fx->out.rank[0], 1);
    /* no paths at all */
    fx->in.n_paths = 0;
    fx->in.prev = NULL;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0);
    assert_string_equal(fx->text, "site azure-westeurope: none -> none, fail closed (no paths)");
    /* a zero-sized reason buffer is left alone */
    fx->in.prev = NULL;
    assert_true(hl_decide(&fx->in, &fx->out, NULL, 0));
}

static void test_history(void **state)
{
    (void)state;
    assert_null(hl_history_new(0));
    struct hl_history *h = hl_history_new(3);
    struct hl_history_entry e[4];
    assert_int_equal(hl_history_get(h, e, 4), 0);
    char text[16];
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof(text), "event %d", i);
        hl_history_add(h, 100 + i, 1700000000 + i, text);
    }
    assert_int_equal(hl_history_count(h), 3);
    assert_int_equal(hl_history_get(h, e, 4), 3);
    assert_string_equal(e[0].text, "event 2");
    assert_string_equal(e[2].text, "event 4");
    assert_int_equal(e[0].at, 102);
    assert_int_equal(e[2].wall, 1700000004);
    assert_int_equal(hl_history_get(h, e, 2), 2); /* the newest two */
    assert_string_equal(e[0].text, "event 3");
    hl_time_t at;
    int64_t wall;
    assert_string_equal(hl_history_nth(h, 0, &at, &wall), "event 2");
    assert_int_equal(at, 102);
    assert_null(hl_history_nth(h, 3, NULL, NULL));
    /* the longest text kept whole */
    static char big[HL_EVENT_TEXT_MAX];
    memset(big, 'x', sizeof(big) - 1);
    hl_history_add(h, 200, 0, big);
    assert_int_equal(hl_history_get(h, e, 4), 3);
    assert_string_equal(e[2].text, big);
    assert_int_equal(hl_history_lost(h), 0);
    hl_history_free(h);
    hl_history_free(NULL);
}

/* issue 10: a path degraded by the application checks */
static void app_degraded(fx_t *fx, size_t i, const char *reason)
{
    fx->p[i].state = HL_PATH_DEGRADED;
    fx->p[i].app_fault = true;
    fx->p[i].reason = reason;
}

#define APP_R "application checks: blob: TLSv1.1 only (policy: TLS 1.2 or newer)"

/* the site moves off a path degraded by the checks to an up one, of worse
 * priority too, and comes back when the checks pass again */
static void test_app_fault_moves_site(void **state)
{
    fx_t *fx = *state;
    decide(fx);
    assert_int_equal(fx->out.active, 0x1);
    app_degraded(fx, 0, APP_R);
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x2);
    assert_string_equal(fx->text, "site azure-westeurope: er-cmr -> vpn (er-cmr: " APP_R ")");
    assert_int_equal(fx->out.rank[1], 0);
    assert_int_equal(fx->out.rank[0], 1);
    assert_true(fx->out.usable[0]); /* still a way out if vpn goes */
    assert_false(decide(fx));
    /* vpn goes down: the degraded path carries the site rather than nothing */
    set_path(fx, 1, "vpn", 20, HL_PATH_DOWN, "SA down (azure.sensors)");
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    set_path(fx, 1, "vpn", 20, HL_PATH_UP, "SA up (azure.sensors)");
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x2);
    /* checks pass again: back to the preferred path */
    set_path(fx, 0, "er-cmr", 10, HL_PATH_UP, "BFD up");
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_string_equal(fx->text, "site azure-westeurope: vpn -> er-cmr (er-cmr: BFD up)");
}

/* an ECMP set of the same priority drops the path degraded by the checks */
static void test_app_fault_same_priority(void **state)
{
    fx_t *fx = *state;
    set_path(fx, 1, "vpn", 10, HL_PATH_UP, "SA up (azure.sensors)");
    decide(fx);
    assert_int_equal(fx->out.active, 0x3);
    app_degraded(fx, 1, APP_R);
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    assert_string_equal(fx->text, "site azure-westeurope: er-cmr+vpn -> er-cmr (vpn: " APP_R ")");
}

/* degraded by the SLA ranks before degraded by the checks, whatever the
 * priority and the figures; among those degraded by the checks, priority */
static void test_app_fault_after_sla(void **state)
{
    fx_t *fx = *state;
    set_path(fx, 1, "vpn", 20, HL_PATH_DEGRADED, "loss 15% >= 10% (SLA)");
    fx->p[1].loss_pct = 15;
    decide(fx);
    assert_int_equal(fx->out.active, 0x1);
    app_degraded(fx, 0, APP_R);
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x2);
    assert_string_equal(fx->text, "site azure-westeurope: er-cmr -> vpn (er-cmr: " APP_R ")");
    fx->p[1].app_fault = true;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    /* a path degraded by the checks still ranks before one serving its min
     * good time (the failback wait holds) */
    set_path(fx, 1, "vpn", 20, HL_PATH_UP, "SA up (azure.sensors)");
    fx->p[1].eligible = false;
    assert_false(decide(fx));
    assert_int_equal(fx->out.active, 0x1);
    fx->p[1].eligible = true;
    assert_true(decide(fx));
    assert_int_equal(fx->out.active, 0x2);
}

/* leaving an SLA-degraded path for an up one names the degraded path */
static void test_degraded_left_named(void **state)
{
    fx_t *fx = *state;
    decide(fx);
    set_path(fx, 0, "er-cmr", 10, HL_PATH_DEGRADED, "loss 23% >= 10% (SLA)");
    assert_true(decide(fx));
    assert_string_equal(fx->text,
                        "site azure-westeurope: er-cmr -> vpn (er-cmr: loss 23% >= 10% (SLA))");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_priority_and_start),
        T(test_failover_text_and_no_flip_flop),
        T(test_up_before_degraded),
        T(test_degraded_tie_breaks),
        T(test_degraded_hysteresis),
        T(test_ecmp_weights),
        T(test_pin),
        T(test_fail_closed),
        T(test_keep_last),
        T(test_early_take),
        T(test_ranking_for_link_loss),
        T(test_init_ranks_with_up),
        T(test_too_many_paths),
        T(test_texts_long_and_cut),
        T(test_hostile_inputs),
        T(test_history),
        T(test_app_fault_moves_site),
        T(test_app_fault_same_priority),
        T(test_app_fault_after_sla),
        T(test_degraded_left_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
