/*
 * The health runtime (health/health*.c) on its own thread, with paths
 * without probes (no sockets: no root needed): observations in, decisions
 * out through the callback, operator requests, snapshots, reloads that keep
 * unchanged paths and refuse bad configurations as a whole.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "health.h"

/* the decisions handed out, as the glue would see them */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint32_t last_active;
static unsigned n_decisions;
static char last_reason[HL_EVENT_TEXT_MAX];
static pthread_t health_thread;
static bool wrong_thread;

static void on_decision(const struct health_decision *d, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&mu);
    if (n_decisions && !pthread_equal(health_thread, pthread_self()))
        wrong_thread = true;
    health_thread = pthread_self();
    last_active = d->choice->active;
    snprintf(last_reason, sizeof(last_reason), "%s", d->reason);
    n_decisions++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* waits (at most 3 s) for the active set to become want */
static bool active_is(uint32_t want)
{
    struct timespec until;
    bool ok;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 3;
    pthread_mutex_lock(&mu);
    while (last_active != want && pthread_cond_timedwait(&cv, &mu, &until) == 0)
        ;
    ok = last_active == want;
    pthread_mutex_unlock(&mu);
    if (!ok)
        fprintf(stderr, "active is 0x%x, expected 0x%x\n", last_active, want);
    return ok;
}

static struct health_path_cfg path(const char *name, unsigned prio, bool sa)
{
    struct health_path_cfg p = {.name = name, .priority = prio, .weight = 1, .sa_bound = sa};

    hl_path_config_defaults(&p.sm);
    p.sm.min_good_ms = 300;
    p.sm.damp_enabled = getenv("DAMP") != NULL;
    return p;
}

static struct health *start(struct health_path_cfg *paths, size_t n)
{
    struct health_site_cfg site = {.name = "azure", .paths = paths, .n_paths = n};
    struct health_config cfg = {.sites = &site, .n_sites = 1};
    struct health_callbacks cb = {.on_decision = on_decision};
    char err[256] = "";

    last_active = 0xffffffff;
    n_decisions = 0;
    struct health *h = health_start(&cfg, &cb, err, sizeof(err));
    if (!h)
        fprintf(stderr, "health_start: %s\n", err);
    return h;
}

/* the state of a path in a fresh snapshot */
static enum hl_path_state state_of(struct health *h, const char *name, hl_time_t *since)
{
    struct health_snapshot s;
    enum hl_path_state st = HL_PATH_STATE_MAX;

    assert_int_equal(health_snapshot(h, &s), 0);
    for (size_t i = 0; i < s.n_sites; i++)
        for (size_t j = 0; j < s.sites[i].n_paths; j++)
            if (strcmp(s.sites[i].paths[j].name, name) == 0) {
                st = s.sites[i].paths[j].state;
                if (since)
                    *since = s.sites[i].paths[j].since;
            }
    health_snapshot_free(&s);
    return st;
}

/* waits (at most 3 s) for a path's published state (published right after
 * the decision that followed it was handed out) */
static bool state_becomes(struct health *h, const char *name, enum hl_path_state want)
{
    for (int i = 0; i < 300; i++) {
        if (state_of(h, name, NULL) == want)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* a VPN path is down while its SA is; the site fails closed with no path */
static void test_sa_and_link(void **state)
{
    struct health_path_cfg p[] = {path("er", 10, false), path("vpn", 20, true)};
    struct health *h = start(p, 2);

    (void)state;
    assert_non_null(h);
    assert_true(active_is(0x1));
    assert_int_equal(health_observe_link(h, "azure", "er", false), 0);
    assert_true(active_is(0x0)); /* the VPN's SA is not up: fail closed */
    assert_int_equal(health_observe_sa(h, "azure", "vpn", true), 0);
    assert_true(active_is(0x2));
    assert_int_equal(health_observe_link(h, "azure", "er", true), 0);
    /* er waits for its min good time (300 ms), then carries the site again */
    assert_true(active_is(0x2));
    assert_true(active_is(0x1));
    pthread_mutex_lock(&mu);
    assert_non_null(strstr(last_reason, "vpn -> er"));
    pthread_mutex_unlock(&mu);
    assert_int_equal(health_observe_sa(h, "azure", "vpn", false), 0);
    assert_int_equal(health_observe_link(h, "azure", "er", false), 0);
    assert_true(active_is(0x0));
    assert_false(wrong_thread);
    /* unknown names are refused, not queued */
    assert_int_equal(health_observe_sa(h, "azure", "nope", true), -1);
    assert_int_equal(health_observe_link(h, "nope", "er", true), -1);
    health_stop(h);
}

static void test_operator(void **state)
{
    struct health_path_cfg p[] = {path("er", 10, false), path("bk", 20, false)};
    struct health *h = start(p, 2);
    char err[256];

    (void)state;
    assert_non_null(h);
    assert_true(active_is(0x1));
    assert_int_equal(health_pin(h, "azure", "bk", err, sizeof(err)), 0);
    assert_true(active_is(0x2));
    assert_int_equal(health_release(h, "azure", err, sizeof(err)), 0);
    assert_true(active_is(0x1));
    assert_int_equal(health_set_admin(h, "azure", "er", true, err, sizeof(err)), 0);
    assert_true(active_is(0x2));
    assert_true(state_becomes(h, "er", HL_PATH_ADMIN_DOWN));
    assert_int_equal(health_set_admin(h, "azure", "er", false, err, sizeof(err)), 0);
    assert_true(active_is(0x1));
    assert_int_equal(health_pin(h, "azure", "zz", err, sizeof(err)), -1);
    assert_string_equal(err, "site 'azure' has no path 'zz'");
    assert_int_equal(health_release(h, "nosite", err, sizeof(err)), -1);
    assert_string_equal(err, "no site 'nosite'");
    assert_int_equal(health_pin(NULL, "azure", "er", err, sizeof(err)), -1);
    health_stop(h);
}

/* a reload keeps an unchanged path as it is; a bad one changes nothing */
static void test_reload(void **state)
{
    struct health_path_cfg p[] = {path("er", 10, false), path("bk", 20, false)};
    struct health *h = start(p, 2);
    hl_time_t since_before = 0, since_after = 0;
    char err[256] = "";

    (void)state;
    assert_non_null(h);
    assert_true(active_is(0x1));
    assert_int_equal(state_of(h, "er", &since_before), HL_PATH_UP);
    struct health_path_cfg q[] = {path("new", 5, true), path("er", 10, false)};
    q[1].sm.hold_down_ms = 2000; /* thresholds may change: still the same path */
    struct health_site_cfg site = {.name = "azure", .paths = q, .n_paths = 2};
    struct health_config cfg = {.sites = &site, .n_sites = 1};
    assert_true(health_reload(h, &cfg, err, sizeof(err)));
    assert_int_equal(state_of(h, "er", &since_after), HL_PATH_UP);
    assert_true(since_after == since_before);
    assert_int_equal(state_of(h, "bk", NULL), HL_PATH_STATE_MAX); /* removed */
    assert_int_equal(health_observe_link(h, "azure", "bk", true), -1);
    assert_true(active_is(0x2)); /* er is now index 1; new's SA is down */

    struct health_path_cfg dup[] = {path("x", 1, false), path("x", 2, false)};
    struct health_site_cfg bad = {.name = "azure", .paths = dup, .n_paths = 2};
    struct health_config badcfg = {.sites = &bad, .n_sites = 1};
    assert_false(health_reload(h, &badcfg, err, sizeof(err)));
    assert_string_equal(err, "site 'azure' path 'x': configured twice");
    assert_int_equal(state_of(h, "er", &since_after), HL_PATH_UP);
    assert_true(since_after == since_before);
    assert_true(state_becomes(h, "new", HL_PATH_DOWN));
    health_stop(h);
}

/* names longer than any fixed buffer are kept whole */
static void test_long_names(void **state)
{
    char name[300];
    struct health_snapshot s;

    (void)state;
    memset(name, 'p', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct health_path_cfg p[] = {path(name, 10, false)};
    struct health *h = start(p, 1);
    assert_non_null(h);
    assert_true(active_is(0x1));
    assert_int_equal(health_snapshot(h, &s), 0);
    assert_int_equal(s.n_sites, 1);
    assert_string_equal(s.sites[0].paths[0].name, name);
    health_snapshot_free(&s);
    assert_int_equal(health_snapshot(NULL, &s), 0);
    assert_int_equal(s.n_sites, 0);
    health_stop(h);
    health_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sa_and_link),
        cmocka_unit_test(test_operator),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_long_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
