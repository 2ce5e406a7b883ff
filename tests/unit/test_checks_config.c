/*
 * Unit tests of the checks' configuration (checks/checks_conf.c) and of the
 * engine's life cycle (checks.c) on loopback in a network namespace of the
 * test's own: defaults; each refusal names the item and the key; a reload
 * is all or nothing and keeps the results of unchanged items; run_now wakes
 * a round; on_path once per path, then only on a change; stop joins.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include "checks.h"
#include "own_netns.h"

static const char *const hops[] = {"dmz-proxy", "azure-proxy"};

static struct checks_item item(const char *path, const char *host, uint16_t port)
{
    struct checks_item it = {.site = "s", .group = "g", .path = path, .host = host, .port = port};
    checks_tls_defaults(&it.tls);
    it.proxy.auth = CHECKS_AUTH_ANY;
    return it;
}

static void refused(struct checks_item *items, size_t n, const char *want)
{
    struct checks_config cfg;
    char err[512] = "";

    checks_config_defaults(&cfg);
    cfg.items = items;
    cfg.n_items = n;
    assert_false(checks_check_config(&cfg, err, sizeof(err)));
    if (!strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
    assert_null(checks_start(&cfg, NULL, err, sizeof(err)));
}

static void test_defaults(void **state)
{
    struct checks_config cfg;
    struct checks_tls_policy t;
    char err[256];

    (void)state;
    checks_config_defaults(&cfg);
    assert_int_equal(cfg.interval_ms, 30000);
    assert_int_equal(cfg.jitter_pct, 10);
    assert_int_equal(cfg.concurrency, 8);
    assert_int_equal(cfg.connect_ms, 5000);
    assert_int_equal(cfg.proxy_ms, 5000);
    assert_int_equal(cfg.tls_ms, 5000);
    checks_tls_defaults(&t);
    assert_int_equal(t.min_version, 0x0303);
    assert_int_equal(t.min_bits, 256);
    assert_true(t.require_aes);
    assert_null(t.ca_file);
    assert_int_equal(t.warn_days, 14);
    assert_true(checks_check_config(&cfg, err, sizeof(err)));
    cfg.interval_ms = 999;
    assert_false(checks_check_config(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "interval"));
    checks_config_defaults(&cfg);
    cfg.tls_ms = 50;
    assert_false(checks_check_config(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "tls timeouts") ? err : strstr(err, "timeouts"));
    assert_string_equal(checks_verdict_name(CHECKS_WARN), "warn");
    assert_string_equal(checks_fault_name(CHECKS_FAULT_SERVICE), "service");
}

static void test_refusals(void **state)
{
    struct checks_item it[2];
    char longname[80], host[260];

    (void)state;
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    memset(host, 'h', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';

    it[0] = item("p", "blob.example", 0);
    refused(it, 1, "item 1 (site s, group g, path p, endpoint blob.example:0): endpoint port");
    it[0] = item("p", "bad host", 443);
    refused(it, 1, "endpoint host");
    it[0] = item("p", host, 443);
    refused(it, 1, "endpoint host");
    it[0] = item(longname, "blob.example", 443);
    refused(it, 1, "at most 63 bytes");
    it[0] = item("p", "blob.example", 443);
    it[0].group = "a\tb";
    refused(it, 1, "printable");
    it[0] = item("p", "blob.example", 443);
    it[0].use_proxy = true;
    refused(it, 1, "proxy host");
    it[0].proxy.host = "100.64.3.3";
    refused(it, 1, "proxy port");
    it[0].proxy.port = 3128;
    it[0].proxy.password = "secret-pw";
    refused(it, 1, "a password without a user name");
    it[0].proxy.user = "sensor";
    it[0].proxy.auth = 0;
    refused(it, 1, "proxy auth");
    it[0].proxy.auth = CHECKS_AUTH_ANY;
    it[0].proxy.via = hops;
    it[0].proxy.n_via = 9;
    refused(it, 1, "via");
    it[0] = item("p", "blob.example", 443);
    it[0].pin.dev = "a-name-longer-than-ifnamsiz";
    refused(it, 1, "device");
    it[0].pin.dev = NULL;
    it[0].pin.source = "not-an-address";
    refused(it, 1, "source");
    it[0].pin.source = NULL;
    it[0].tls.min_version = 0x0302;
    refused(it, 1, "min_version");
    it[0].tls.min_version = 0x0303;
    it[0].tls.ca_file = "/nonexistent/ca.pem";
    refused(it, 1, "ca_file '/nonexistent/ca.pem': cannot be read");
    it[0].tls.ca_file = NULL;
    it[1] = it[0];
    refused(it, 2,
            "item 2 (site s, group g, path p, endpoint blob.example:443): the same check "
            "as item 1");
    /* a name that would not fit a reason is refused, not cut */
    memset(host, 'h', 200);
    host[200] = '\0';
    it[0] = item("p", host, 443);
    refused(it, 1, "a reason could take");
}

/* ---- the engine on loopback ---- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int rounds, paths;
    bool last_ok;
    char last_reason[CHECKS_REASON_MAX];
} g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, false, ""};

static void on_round(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&g.lock);
    g.rounds++;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
}

static void on_path(const char *site, const char *path, bool ok, const char *reason, void *ctx)
{
    (void)site;
    (void)path;
    (void)ctx;
    pthread_mutex_lock(&g.lock);
    g.paths++;
    g.last_ok = ok;
    snprintf(g.last_reason, sizeof(g.last_reason), "%s", reason ? reason : "");
    pthread_mutex_unlock(&g.lock);
}

static void wait_rounds(int n)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 20;
    pthread_mutex_lock(&g.lock);
    while (g.rounds < n && pthread_cond_timedwait(&g.cond, &g.lock, &ts) == 0)
        ;
    int got = g.rounds;
    pthread_mutex_unlock(&g.lock);
    assert_int_equal(got, n);
}

static void test_engine(void **state)
{
    struct checks_item it[2] = {item("p1", "127.0.0.1", 1), item("p2", "127.0.0.1", 2)};
    struct checks_callbacks cb = {.on_path = on_path, .on_round = on_round};
    struct checks_config cfg;
    struct checks_snapshot s;
    char err[512];

    (void)state;
    checks_config_defaults(&cfg);
    cfg.items = it;
    cfg.n_items = 2;
    cfg.interval_ms = 3600000;
    struct checks *c = checks_start(&cfg, &cb, err, sizeof(err));
    assert_non_null(c);
    wait_rounds(1);
    assert_int_equal(checks_snapshot(c, &s), 0);
    assert_int_equal(s.n_rows, 2);
    assert_int_equal(s.rounds, 1);
    assert_int_equal(s.rows[0].r.verdict, CHECKS_FAIL);
    assert_string_equal(s.rows[0].r.reason, "127.0.0.1:1: connection refused");
    assert_string_equal(s.rows[1].path, "p2");
    /* two different endpoints, each failing on its only path: the service's */
    assert_int_equal(s.rows[0].r.fault, CHECKS_FAULT_SERVICE);
    int64_t at0 = s.rows[0].r.at;
    checks_snapshot_free(&s);
    pthread_mutex_lock(&g.lock);
    assert_int_equal(g.paths, 2); /* once per path after the first round */
    assert_true(g.last_ok);
    pthread_mutex_unlock(&g.lock);

    checks_run_now(c);
    wait_rounds(2);
    pthread_mutex_lock(&g.lock);
    assert_int_equal(g.paths, 2); /* nothing changed: nothing told */
    pthread_mutex_unlock(&g.lock);

    /* a refused reload changes nothing */
    struct checks_item bad = item("p1", "127.0.0.1", 0);
    cfg.items = &bad;
    cfg.n_items = 1;
    assert_false(checks_reload(c, &cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "endpoint port"));
    assert_int_equal(checks_snapshot(c, &s), 0);
    assert_int_equal(s.n_rows, 2);
    checks_snapshot_free(&s);

    /* p2 checks the same endpoint as p1 now: p1 unchanged keeps its result */
    it[1].host = "127.0.0.1";
    it[1].port = 1;
    it[1].pin.source = "127.0.0.1";
    cfg.items = it;
    cfg.n_items = 2;
    cfg.interval_ms = 3600000;
    assert_true(checks_reload(c, &cfg, err, sizeof(err)));
    assert_int_equal(checks_snapshot(c, &s), 0);
    assert_int_equal(s.n_rows, 2);
    assert_int_equal(s.rows[0].r.verdict, CHECKS_FAIL);
    assert_true(s.rows[0].r.at >= at0);
    checks_snapshot_free(&s);
    wait_rounds(3); /* a new item runs at once */
    assert_int_equal(checks_snapshot(c, &s), 0);
    assert_int_equal(s.rows[1].r.verdict, CHECKS_FAIL);
    assert_int_equal(s.rows[0].r.fault, CHECKS_FAULT_SERVICE);
    checks_snapshot_free(&s);
    checks_stop(c);
    checks_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_engine),
    };
    own_netns("test_checks_config");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
