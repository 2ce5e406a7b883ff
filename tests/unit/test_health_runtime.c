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

/* a copy of one path's snapshot row (name, reason and app_reason owned) */
struct row {
    enum hl_path_state state;
    int app_ok;
    char reason[HL_REASON_MAX];
    char app_reason[HL_APP_REASON_MAX + 1];
    bool has_app_reason;
};

static bool row_of(struct health *h, const char *name, struct row *r)
{
    struct health_snapshot s;
    bool found = false;

    memset(r, 0, sizeof(*r));
    assert_int_equal(health_snapshot(h, &s), 0);
    for (size_t i = 0; i < s.n_sites; i++)
        for (size_t j = 0; j < s.sites[i].n_paths; j++) {
            const struct health_path_snap *p = &s.sites[i].paths[j];
            if (strcmp(p->name, name) != 0)
                continue;
            found = true;
            r->state = p->state;
            r->app_ok = p->app_ok;
            snprintf(r->reason, sizeof(r->reason), "%s", p->reason);
            r->has_app_reason = p->app_reason != NULL;
            if (p->app_reason)
                snprintf(r->app_reason, sizeof(r->app_reason), "%s", p->app_reason);
        }
    health_snapshot_free(&s);
    return found;
}

/* waits (at most 3 s) for a path's published app_ok */
static bool app_ok_becomes(struct health *h, const char *name, int want)
{
    struct row r;

    for (int i = 0; i < 300; i++) {
        if (row_of(h, name, &r) && r.app_ok == want)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

#define APP_R "blob: TLSv1.1 only (policy: TLS 1.2 or newer)"

/* issue 10: a fault of the application checks degrades the path and moves
 * the site; ok again, the site comes back at once (degraded -> up is not a
 * recovery: no min good time) */
static void test_app_verdict(void **state)
{
    struct health_path_cfg p[] = {path("er", 10, false), path("bk", 20, false)};
    p[0].sm.min_good_ms = 60000; /* a recovery would wait this long */
    struct health *h = start(p, 2);
    struct row r;

    (void)state;
    assert_non_null(h);
    assert_true(active_is(0x1));
    assert_true(row_of(h, "er", &r));
    assert_int_equal(r.app_ok, -1); /* no verdict yet */
    assert_false(r.has_app_reason);
    assert_int_equal(health_observe_app(h, "azure", "er", false, APP_R), 0);
    assert_true(active_is(0x2));
    assert_true(state_becomes(h, "er", HL_PATH_DEGRADED));
    assert_true(row_of(h, "er", &r));
    assert_int_equal(r.app_ok, 0);
    assert_string_equal(r.app_reason, APP_R);
    assert_string_equal(r.reason, "application checks: " APP_R);
    pthread_mutex_lock(&mu);
    assert_string_equal(last_reason, "site azure: er -> bk (er: application checks: " APP_R ")");
    pthread_mutex_unlock(&mu);
    assert_int_equal(health_observe_app(h, "azure", "bk", true, NULL), 0);
    assert_true(app_ok_becomes(h, "bk", 1));
    assert_true(row_of(h, "bk", &r));
    assert_int_equal(r.state, HL_PATH_UP);
    assert_false(r.has_app_reason);
    assert_int_equal(health_observe_app(h, "azure", "er", true, "ignored"), 0);
    assert_true(active_is(0x1));
    assert_true(state_becomes(h, "er", HL_PATH_UP)); /* published after the decision */
    assert_true(row_of(h, "er", &r));
    assert_int_equal(r.app_ok, 1);
    assert_false(r.has_app_reason);
    /* unknown names are refused */
    assert_int_equal(health_observe_app(h, "azure", "nope", false, "x"), -1);
    assert_int_equal(health_observe_app(h, "nope", "er", false, "x"), -1);
    assert_int_equal(health_observe_app(h, "azure", NULL, false, "x"), -1);
    assert_int_equal(health_observe_app(NULL, "azure", "er", false, "x"), -1);
    assert_false(wrong_thread);
    health_stop(h);
}

/* the reason as given by a hostile proxy: no control bytes, bounded, cut
 * at a character boundary with a visible mark; none given */
static void test_app_reason_hostile(void **state)
{
    struct health_path_cfg p[] = {path("er", 10, false), path("bk", 20, false)};
    struct health *h = start(p, 2);
    char big[1000];
    struct row r;

    (void)state;
    assert_non_null(h);
    assert_true(active_is(0x1));
    assert_int_equal(health_observe_app(h, "azure", "er", false, "a\nb\r\x1b[31m%s%n\x7f"), 0);
    assert_true(app_ok_becomes(h, "er", 0));
    assert_true(row_of(h, "er", &r));
    assert_string_equal(r.app_reason, "a?b??[31m%s%n?");
    /* bytes that are not UTF-8 (stray, truncated, overlong, surrogate) as
     * '?', characters kept */
    assert_int_equal(health_observe_app(h, "azure", "er", false,
                                        "\xff\xc3(\xc0\xaf\xed\xa0\x80 caf\xc3\xa9 \xe2\x86\x92 "
                                        "\xf0\x9f\x94\x92\xe2\x86"),
                     0);
    for (int i = 0; i < 300 && row_of(h, "er", &r) && r.app_reason[0] != '?'; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_string_equal(r.app_reason, "?\?(????? caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x94\x92??");
    assert_int_equal(health_observe_app(h, "azure", "bk", false, NULL), 0);
    assert_true(app_ok_becomes(h, "bk", 0));
    assert_true(row_of(h, "bk", &r));
    assert_string_equal(r.app_reason, "no reason given");
    assert_string_equal(r.reason, "application checks: no reason given");
    /* 248 x, then a 3-byte character across the cut (249), then more */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big + 248, "\xe2\x86\x92", 3);
    assert_int_equal(health_observe_app(h, "azure", "er", false, big), 0);
    for (int i = 0; i < 300 && row_of(h, "er", &r) && r.app_reason[0] != 'x'; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(strlen(r.app_reason), 248 + strlen(" [...]"));
    assert_string_equal(r.app_reason + 248, " [...]");
    assert_non_null(strstr(r.reason, "xxx [...]"));
    assert_null(strstr(r.reason, "xxx [...] [...]"));
    /* exactly HL_APP_REASON_MAX bytes: whole */
    big[HL_APP_REASON_MAX] = '\0';
    memset(big, 'y', HL_APP_REASON_MAX);
    assert_int_equal(health_observe_app(h, "azure", "er", false, big), 0);
    for (int i = 0; i < 300 && row_of(h, "er", &r) && r.app_reason[0] != 'y'; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_string_equal(r.app_reason, big);
    health_stop(h);
}

/* app_down: down after the hold-down; the verdict survives reloads of kept
 * paths and of paths whose probes change; a new path has none */
static void test_app_down_and_reload(void **state)
{
    struct health_path_cfg p[] = {path("er", 10, false), path("bk", 20, false)};
    struct health *h = start(p, 2);
    char err[256] = "";
    struct row r;

    (void)state;
    assert_non_null(h);
    assert_true(active_is(0x1));
    assert_int_equal(health_observe_app(h, "azure", "er", false, APP_R), 0);
    assert_true(active_is(0x2));
    assert_true(state_becomes(h, "er", HL_PATH_DEGRADED));
    /* a reload turns app_down on for er: the kept verdict takes it down */
    struct health_path_cfg q[] = {path("er", 10, false), path("bk", 20, false),
                                  path("new", 30, false)};
    q[0].app_down = true;
    q[0].sm.hold_down_ms = 200;
    struct health_site_cfg site = {.name = "azure", .paths = q, .n_paths = 3};
    struct health_config cfg = {.sites = &site, .n_sites = 1};
    assert_true(health_reload(h, &cfg, err, sizeof(err)));
    assert_true(state_becomes(h, "er", HL_PATH_DOWN));
    assert_true(row_of(h, "er", &r));
    assert_string_equal(r.reason, "application checks: " APP_R);
    assert_int_equal(r.app_ok, 0);
    assert_true(row_of(h, "new", &r));
    assert_int_equal(r.app_ok, -1);
    /* er's probes change (an echo that never fills its window): new probes,
     * the same verdict */
    q[0].echo_on = true;
    q[0].echo = (struct echo_config){.kind = ECHO_UDP,
                                     .target = "127.0.0.1",
                                     .port = 9,
                                     .interval_ms = 3600000,
                                     .timeout_ms = 2000};
    q[0].app_down = false;
    assert_true(health_reload(h, &cfg, err, sizeof(err)));
    assert_true(row_of(h, "er", &r));
    assert_int_equal(r.app_ok, 0);
    assert_string_equal(r.app_reason, APP_R);
    assert_true(state_becomes(h, "er", HL_PATH_DEGRADED)); /* app_down off again */
    assert_true(row_of(h, "er", &r));
    assert_string_equal(r.reason, "application checks: " APP_R);
    assert_true(active_is(0x2)); /* bk up ranks first */
    health_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sa_and_link),
        cmocka_unit_test(test_operator),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_app_verdict),
        cmocka_unit_test(test_app_reason_hostile),
        cmocka_unit_test(test_app_down_and_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
