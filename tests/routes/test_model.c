/*
 * test_model.c - unit tests (cmocka) of prefixes, the desired-state model
 * and its validation (duplicates, overlaps between sites, uncarried
 * families), and the prefix hash table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "internal.h"

static void test_prefix_parse(void **state)
{
    struct rt_prefix p, q;
    char err[256], buf[64];
    (void)state;
    assert_int_equal(rt_prefix_parse("203.0.113.0/24", &p, err, sizeof(err)), 0);
    assert_int_equal(p.family, AF_INET);
    assert_int_equal(p.plen, 24);
    rt_prefix_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "203.0.113.0/24");
    assert_int_equal(rt_prefix_parse("2001:db8:100::/48", &q, err, sizeof(err)), 0);
    assert_int_equal(q.family, AF_INET6);
    rt_prefix_format(&q, buf, sizeof(buf));
    assert_string_equal(buf, "2001:db8:100::/48");
    assert_int_equal(rt_prefix_parse("192.0.2.7", &p, err, sizeof(err)), 0);
    assert_int_equal(p.plen, 32);
    /* host bits are an error that names the intended prefix */
    assert_int_not_equal(rt_prefix_parse("203.0.113.5/24", &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "expected 203.0.113.0/24"));
    assert_int_not_equal(rt_prefix_parse("2001:db8::1/33", &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "expected 2001:db8::/33"));
    assert_int_not_equal(rt_prefix_parse("198.51.100.0/33", &p, err, sizeof(err)), 0);
    assert_int_not_equal(rt_prefix_parse("not-an-address/8", &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "not-an-address/8"));
}

static void test_prefix_contains(void **state)
{
    struct rt_prefix a, b, c, d;
    char err[128];
    (void)state;
    rt_prefix_parse("100.64.0.0/10", &a, err, sizeof(err));
    rt_prefix_parse("100.100.1.0/24", &b, err, sizeof(err));
    rt_prefix_parse("100.128.0.0/24", &c, err, sizeof(err));
    rt_prefix_parse("2001:db8::/32", &d, err, sizeof(err));
    assert_true(rt_prefix_contains(&a, &b));
    assert_false(rt_prefix_contains(&b, &a));
    assert_false(rt_prefix_contains(&a, &c));
    assert_false(rt_prefix_contains(&a, &d));
    assert_true(rt_prefix_contains(&a, &a));
    uint8_t gw[16] = {198, 51, 100, 1}, net[16] = {198, 51, 100, 0};
    assert_true(rt_addr_in_subnet(AF_INET, gw, net, 30));
    gw[3] = 9;
    assert_false(rt_addr_in_subnet(AF_INET, gw, net, 30));
}

static int add_site(struct routes_state *st, const char *name, const char *const *pfx,
                    const struct routes_path_spec *paths, size_t n_paths)
{
    char err[256];
    int s = routes_state_add_site(st, name, err, sizeof(err));
    assert_true(s >= 0);
    for (size_t i = 0; i < n_paths; i++)
        assert_int_equal(routes_state_add_path(st, s, &paths[i], err, sizeof(err)), 0);
    for (size_t i = 0; pfx[i]; i++)
        assert_int_equal(routes_state_add_prefix(st, s, pfx[i], err, sizeof(err)), 0);
    return s;
}

static const struct routes_path_spec er_path = {
    .name = "er", .dev = "er1", .gateway4 = "198.51.100.1", .gateway6 = "2001:db8:1::1"};

static void test_overlap_between_sites(void **state)
{
    static const char *const a[] = {"203.0.113.0/24", "2001:db8:100::/48", NULL};
    static const char *const b[] = {"198.51.100.128/25", "203.0.113.64/26", NULL};
    static const char *const c[] = {"192.0.2.0/24", NULL};
    struct routes_state *st = routes_state_new();
    struct rt_issue *is = NULL;
    long n;
    (void)state;
    add_site(st, "west", a, &er_path, 1);
    add_site(st, "north", b, &er_path, 1);
    add_site(st, "east", c, &er_path, 1);
    n = rt_state_validate(st, &is);
    assert_int_equal(n, 1);
    /* the later site is rejected, and the message names both sites/prefixes */
    assert_int_equal(is[0].site, 1);
    assert_true(is[0].has_prefix);
    assert_non_null(strstr(is[0].message, "site 'north' prefix 203.0.113.64/26"));
    assert_non_null(strstr(is[0].message, "203.0.113.0/24 of site 'west'"));
    free(is);
    routes_state_free(st);
}

static void test_identical_prefix_and_duplicates(void **state)
{
    static const char *const a[] = {"2001:db8:200::/48", NULL};
    static const char *const b[] = {"192.0.2.0/25", "2001:db8:200::/48", NULL};
    static const char *const dup[] = {"192.0.2.128/25", "192.0.2.128/25", NULL};
    struct routes_state *st = routes_state_new();
    struct rt_issue *is = NULL;
    long n;
    (void)state;
    add_site(st, "a", a, &er_path, 1);
    add_site(st, "b", b, &er_path, 1);
    add_site(st, "c", dup, &er_path, 1);
    n = rt_state_validate(st, &is);
    assert_int_equal(n, 2);
    for (long i = 0; i < n; i++) {
        if (is[i].site == 1)
            assert_non_null(strstr(is[i].message, "overlaps prefix 2001:db8:200::/48 of site 'a'"));
        else
            assert_non_null(strstr(is[i].message, "site 'c' lists prefix 192.0.2.128/25 twice"));
    }
    free(is);
    routes_state_free(st);
}

static void test_family_without_path(void **state)
{
    static const char *const a[] = {"192.0.2.0/24", "2001:db8:300::/48", NULL};
    static const struct routes_path_spec v4only = {
        .name = "er4", .dev = "er1", .gateway4 = "198.51.100.1"};
    static const struct routes_path_spec tunnel = {.name = "ipsec", .dev = "ipsec0"};
    struct routes_state *st = routes_state_new();
    struct rt_issue *is = NULL;
    (void)state;
    add_site(st, "v4only", a, &v4only, 1);
    add_site(st, "tunnel", (const char *const[]){"2001:db8:400::/48", NULL}, &tunnel, 1);
    assert_int_equal(rt_state_validate(st, &is), 1);
    assert_int_equal(is[0].site, 0);
    assert_non_null(strstr(is[0].message, "site 'v4only' has IPv6 prefixes"));
    assert_non_null(strstr(is[0].message, "2001:db8:300::/48"));
    free(is);
    routes_state_free(st);
}

static void test_path_errors(void **state)
{
    struct routes_state *st = routes_state_new();
    struct routes_path_spec p = er_path;
    char err[256];
    int s;
    (void)state;
    s = routes_state_add_site(st, "west", err, sizeof(err));
    assert_int_equal(s, 0);
    assert_int_equal(routes_state_add_site(st, "west", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "site 'west' is defined twice"));
    assert_int_equal(routes_state_add_path(st, s, &p, err, sizeof(err)), 0);
    assert_int_not_equal(routes_state_add_path(st, s, &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "path 'er' is defined twice"));
    p.name = "bad";
    p.gateway4 = "2001:db8::1";
    assert_int_not_equal(routes_state_add_path(st, s, &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "site 'west' path 'bad': gateway '2001:db8::1' is not an IPv4"));
    p.gateway4 = NULL;
    p.weight = 300;
    assert_int_not_equal(routes_state_add_path(st, s, &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "weight 300"));
    assert_int_not_equal(routes_state_add_prefix(st, s, "203.0.113.1/24", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "site 'west': prefix 203.0.113.1/24 has host bits set"));
    routes_state_free(st);
}

/* probe targets: parsed, per family the path carries, at most 8 per path,
 * at most ROUTES_MAX_PROBE_PATHS paths with targets in a state */
static void test_probe_targets(void **state)
{
    static const struct routes_path_spec v4 = {
        .name = "er", .dev = "er1", .gateway4 = "198.51.100.1"};
    static const struct routes_path_spec tun = {.name = "tun", .dev = "ipsec0"};
    struct routes_state *st = routes_state_new();
    struct rt_issue *is = NULL;
    char err[256], name[16];
    int s;
    (void)state;
    s = routes_state_add_site(st, "west", err, sizeof(err));
    assert_int_equal(routes_state_add_path(st, s, &v4, err, sizeof(err)), 0);
    assert_int_equal(routes_state_add_path(st, s, &tun, err, sizeof(err)), 0);
    assert_int_equal(routes_state_add_probe(st, s, "er", "203.0.113.1", err, sizeof(err)), 0);
    assert_int_equal(routes_state_add_probe(st, s, "er", "203.0.113.1", err, sizeof(err)), 0);
    assert_int_equal(st->sites[0].paths[0].n_probe, 1); /* a duplicate is ignored */
    assert_int_equal(routes_state_add_probe(st, s, "tun", "2001:db8::1", err, sizeof(err)), 0);
    assert_int_not_equal(routes_state_add_probe(st, s, "er", "2001:db8::1", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "site 'west' path 'er': probe target 2001:db8::1/128 is IPv6 but "
                                "the path has no gateway6"));
    assert_int_not_equal(routes_state_add_probe(st, s, "nope", "203.0.113.1", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "site 'west' has no path 'nope'"));
    assert_int_not_equal(routes_state_add_probe(st, s, "er", "%s\x1b", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "probe target '%s\\x1b' is not an IPv4 or IPv6 address"));
    assert_int_not_equal(routes_state_add_probe(st, s, "er", "203.0.113.1/24", err, sizeof(err)),
                         0);
    for (int i = 2; i <= 8; i++) {
        snprintf(name, sizeof(name), "203.0.113.%d", i);
        assert_int_equal(routes_state_add_probe(st, s, "er", name, err, sizeof(err)), 0);
    }
    assert_int_not_equal(routes_state_add_probe(st, s, "er", "203.0.113.9", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "is one too many (expected at most 8 per path)"));
    /* ROUTES_MAX_PROBE_PATHS paths with targets are fine, one more is not */
    for (int i = 0; i < ROUTES_MAX_PROBE_PATHS / 2 - 1; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        s = routes_state_add_site(st, name, err, sizeof(err));
        assert_true(s > 0);
        assert_int_equal(routes_state_add_path(st, s, &v4, err, sizeof(err)), 0);
        assert_int_equal(routes_state_add_path(st, s, &tun, err, sizeof(err)), 0);
        assert_int_equal(routes_state_add_probe(st, s, "er", "203.0.113.1", err, sizeof(err)), 0);
        assert_int_equal(routes_state_add_probe(st, s, "tun", "203.0.113.1", err, sizeof(err)), 0);
    }
    assert_int_equal(rt_state_validate(st, &is), 0);
    free(is);
    s = routes_state_add_site(st, "last", err, sizeof(err));
    assert_int_equal(routes_state_add_path(st, s, &tun, err, sizeof(err)), 0);
    assert_int_equal(routes_state_add_probe(st, s, "tun", "203.0.113.1", err, sizeof(err)), 0);
    assert_int_equal(rt_state_validate(st, &is), 1);
    assert_int_equal(is[0].site, (size_t)s);
    assert_non_null(strstr(is[0].message, "site 'last' path 'tun': more than 256 paths with probe "
                                          "targets"));
    free(is);
    routes_state_free(st);
}

/* one interface-name rule (routes_ifname_valid), shared with tunneld's XFRM
 * interfaces; a refused name is shown escaped, never raw */
static void test_ifname_rule(void **state)
{
    static const char *const bad[] = {"",          ".",          "..",     "er/0",
                                      "er:0",      "er 0",       "er\t0",  "er%n%s",
                                      "er\x1b[2J", "er\xc3\xa9", "er\x7f", "er0123456789abcd",
                                      NULL};
    static const char *const good[] = {"er0",     "ipsec0",          "xfrm-azure", "a",
                                       "e.r_1@x", "er0123456789abc", NULL};
    struct routes_state *st = routes_state_new();
    struct routes_path_spec p = er_path;
    char err[512];
    int s = routes_state_add_site(st, "west", err, sizeof(err));
    (void)state;
    for (size_t i = 0; bad[i]; i++)
        assert_false(routes_ifname_valid(bad[i]));
    assert_false(routes_ifname_valid(NULL));
    for (size_t i = 0; good[i]; i++)
        assert_true(routes_ifname_valid(good[i]));
    p.dev = "er\x1b[2J";
    assert_int_not_equal(routes_state_add_path(st, s, &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "interface name 'er\\x1b[2J' is invalid (expected 1 to 15 bytes"));
    assert_null(strchr(err, '\x1b'));
    p.dev = "er/0";
    assert_int_not_equal(routes_state_add_path(st, s, &p, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "interface name 'er/0' is invalid"));
    assert_int_equal(routes_state_add_site(st, "w\x1b]52;", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "site name 'w\\x1b]52;' is invalid"));
    assert_int_equal(routes_state_add_site(st, "w\xc3\xa9", err, sizeof(err)), -1);
    routes_state_free(st);
}

static void test_rtable(void **state)
{
    struct rt_rtable t;
    struct rt_prefix p = {.family = AF_INET, .plen = 32};
    (void)state;
    rt_rtable_init(&t);
    for (uint32_t i = 0; i < 50000; i++) {
        memcpy(p.addr, &i, 4);
        assert_int_equal(rt_rtable_set(&t, &p, i % 3 + 1), 0);
    }
    assert_int_equal(t.count, 50000);
    for (uint32_t i = 0; i < 50000; i += 2) {
        memcpy(p.addr, &i, 4);
        assert_true(rt_rtable_del(&t, &p));
    }
    assert_int_equal(t.count, 25000);
    for (uint32_t i = 0; i < 50000; i++) {
        struct rt_rentry *e;
        memcpy(p.addr, &i, 4);
        e = rt_rtable_get(&t, &p);
        if (i % 2)
            assert_true(e && e->nhid == i % 3 + 1);
        else
            assert_null(e);
    }
    size_t removed = rt_rtable_del_nhid(&t, 2);
    assert_true(removed > 8000);
    assert_int_equal(t.count, 25000 - removed);
    for (size_t i = 0; i < t.cap; i++)
        if (t.slots[i].used)
            assert_int_not_equal(t.slots[i].nhid, 2);
    rt_rtable_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_parse),
        cmocka_unit_test(test_prefix_contains),
        cmocka_unit_test(test_overlap_between_sites),
        cmocka_unit_test(test_identical_prefix_and_duplicates),
        cmocka_unit_test(test_family_without_path),
        cmocka_unit_test(test_path_errors),
        cmocka_unit_test(test_probe_targets),
        cmocka_unit_test(test_ifname_rule),
        cmocka_unit_test(test_rtable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
