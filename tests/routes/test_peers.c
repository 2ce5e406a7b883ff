/*
 * test_peers.c - unit tests (cmocka) of tunneld/route_peers.c: remote_addrs
 * entries read as charon reads them (hosts in the resolver's literal forms,
 * subnets with charon's netbits rules, ranges, wildcards, names), overlap
 * with a prefix, and ranges cut into CIDR blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "route_peers.h"

static char *text(const peer_span_t *sp, char *buf, size_t len)
{
    char a[64], b[64];
    route_peer_addr_text(sp->family, sp->from, a, sizeof(a));
    route_peer_addr_text(sp->family, sp->to, b, sizeof(b));
    snprintf(buf, len, "%s-%s", a, b);
    return buf;
}

static void expect(const char *entry, peer_kind_t kind, const char *span0, const char *span1)
{
    peer_addr_t pa;
    char buf[160];
    route_peer_parse(entry, &pa);
    assert_int_equal(pa.kind, kind);
    assert_int_equal(pa.n_span, span1 ? 2 : span0 ? 1 : 0);
    if (span0)
        assert_string_equal(text(&pa.span[0], buf, sizeof(buf)), span0);
    if (span1)
        assert_string_equal(text(&pa.span[1], buf, sizeof(buf)), span1);
}

static void test_hosts(void **state)
{
    (void)state;
    expect("198.51.100.2", PEER_HOST, "198.51.100.2-198.51.100.2", NULL);
    /* inet_pton refuses these; the resolver (which charon falls back to) takes them */
    expect("198.51.100.02", PEER_HOST, "198.51.100.2-198.51.100.2", NULL);
    expect("0xc6.0x33.0x64.2", PEER_HOST, "198.51.100.2-198.51.100.2", NULL);
    expect("3325256706", PEER_HOST, "198.51.100.2-198.51.100.2", NULL);
    expect("198.51.100.08", PEER_NAME, NULL, NULL); /* not octal: a name */
    expect("2001:db8::0002", PEER_HOST, "2001:db8::2-2001:db8::2", NULL);
    expect("::ffff:198.51.100.2", PEER_HOST, "::ffff:198.51.100.2-::ffff:198.51.100.2",
           "198.51.100.2-198.51.100.2");
    expect("peer.example", PEER_NAME, NULL, NULL);
    expect("peer-1.example", PEER_NAME, NULL, NULL); /* '-' but not a range */
    expect("%any", PEER_ANY, NULL, NULL);
    expect("%any6", PEER_ANY, NULL, NULL);
    expect("0.0.0.0", PEER_ANY, NULL, NULL);
    expect("::", PEER_ANY, NULL, NULL);
}

static void test_subnets_and_ranges(void **state)
{
    (void)state;
    expect("198.51.100.2/32", PEER_SUBNET, "198.51.100.2-198.51.100.2", NULL);
    /* host bits cleared, as charon's traffic selector does */
    expect("198.51.100.77/24", PEER_SUBNET, "198.51.100.0-198.51.100.255", NULL);
    /* netbits: atoi, cut to 8 bits, at most the address length */
    expect("198.51.100.2/40", PEER_SUBNET, "198.51.100.2-198.51.100.2", NULL);
    expect("198.51.100.0/280", PEER_SUBNET, "198.51.100.0-198.51.100.255", NULL); /* 280 & 255 */
    expect("0.0.0.0/0", PEER_ANY, NULL, NULL);
    expect("198.51.100.2/abc", PEER_ANY, NULL, NULL); /* atoi: 0 bits, any address */
    expect("2001:db8:aa::/48", PEER_SUBNET, "2001:db8:aa::-2001:db8:aa:ffff:ffff:ffff:ffff:ffff",
           NULL);
    /* a subnet written with the resolver's forms is no subnet for charon: a name */
    expect("198.51.100.02/32", PEER_NAME, NULL, NULL);
    expect("198.51.100.2-198.51.100.9", PEER_RANGE, "198.51.100.2-198.51.100.9", NULL);
    expect("198.51.100.2 - 198.51.100.9", PEER_RANGE, "198.51.100.2-198.51.100.9", NULL);
    expect("198.51.100.9-198.51.100.2", PEER_EMPTY, NULL, NULL);
    expect("2001:db8::1-2001:db8::ff", PEER_RANGE, "2001:db8::1-2001:db8::ff", NULL);
}

static void test_overlaps(void **state)
{
    peer_addr_t pa;
    uint8_t net[16] = {198, 51, 100, 0};
    (void)state;
    route_peer_parse("198.51.100.120-198.51.100.130", &pa);
    assert_true(route_peer_overlaps(&pa.span[0], AF_INET, net, 24));
    assert_true(route_peer_overlaps(&pa.span[0], AF_INET, net, 25)); /* .0-.127 */
    net[3] = 128;
    assert_true(route_peer_overlaps(&pa.span[0], AF_INET, net, 25)); /* .128-.255 */
    net[3] = 192;
    assert_false(route_peer_overlaps(&pa.span[0], AF_INET, net, 26));
    assert_false(route_peer_overlaps(&pa.span[0], AF_INET6, net, 26));
}

struct blocks {
    char v[300][64];
    size_t n;
};

static bool collect(void *ctx, const char *cidr)
{
    struct blocks *b = ctx;
    if (b->n == 300)
        return false;
    snprintf(b->v[b->n++], sizeof(b->v[0]), "%s", cidr);
    return true;
}

static struct blocks *cidrs(const char *entry)
{
    static struct blocks b;
    peer_addr_t pa;
    memset(&b, 0, sizeof(b));
    route_peer_parse(entry, &pa);
    assert_true(pa.n_span >= 1);
    assert_true(route_peer_cidrs(&pa.span[0], collect, &b));
    return &b;
}

static void test_cidrs(void **state)
{
    struct blocks *b;
    (void)state;
    b = cidrs("203.0.113.20-203.0.113.23");
    assert_int_equal(b->n, 1);
    assert_string_equal(b->v[0], "203.0.113.20/30");
    b = cidrs("203.0.113.1-203.0.113.6");
    assert_int_equal(b->n, 4);
    assert_string_equal(b->v[0], "203.0.113.1/32");
    assert_string_equal(b->v[1], "203.0.113.2/31");
    assert_string_equal(b->v[2], "203.0.113.4/31");
    assert_string_equal(b->v[3], "203.0.113.6/32");
    b = cidrs("198.51.100.2");
    assert_int_equal(b->n, 1);
    assert_string_equal(b->v[0], "198.51.100.2/32");
    /* the worst cases: 2 x (bits - 1) blocks, the last address included */
    b = cidrs("0.0.0.1-255.255.255.254");
    assert_int_equal(b->n, 62);
    assert_string_equal(b->v[0], "0.0.0.1/32");
    assert_string_equal(b->v[61], "255.255.255.254/32");
    b = cidrs("::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
    assert_int_equal(b->n, 254);
    b = cidrs("255.255.255.0/24");
    assert_int_equal(b->n, 1);
    assert_string_equal(b->v[0], "255.255.255.0/24");
}

/* the index finds an overlapping entry, also one that starts long before
 * the prefix (a wide subnet ahead of a later host) */
static void test_index(void **state)
{
    static const char *const entries[] = {"198.51.100.200", "198.51.100.0/24",  "203.0.113.5",
                                          "peer.example",   "2001:db8:aa::/48", NULL};
    peer_index_t ix = {0};
    const peer_ref_t *r;
    uint8_t a[16] = {198, 51, 100, 128};
    uint8_t b[16] = {203, 0, 113, 0};
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xaa, 0, 1};
    (void)state;
    for (size_t i = 0; entries[i]; i++)
        assert_true(route_peer_index_add(&ix, "c", entries[i]));
    assert_true(route_peer_index_done(&ix));
    r = route_peer_index_find(&ix, AF_INET, a, 26);
    assert_non_null(r);
    assert_string_equal(r->entry, "198.51.100.0/24");
    a[3] = 201;
    r = route_peer_index_find(&ix, AF_INET, a, 32);
    assert_non_null(r);
    assert_string_equal(r->entry, "198.51.100.0/24");
    a[3] = 200;
    r = route_peer_index_find(&ix, AF_INET, a, 32);
    assert_non_null(r);
    assert_null(route_peer_index_find(&ix, AF_INET, b, 30));
    b[3] = 4;
    r = route_peer_index_find(&ix, AF_INET, b, 30);
    assert_non_null(r);
    assert_string_equal(r->entry, "203.0.113.5");
    r = route_peer_index_find(&ix, AF_INET6, v6, 64);
    assert_non_null(r);
    assert_string_equal(r->entry, "2001:db8:aa::/48");
    v6[5] = 0xab;
    assert_null(route_peer_index_find(&ix, AF_INET6, v6, 64));
    route_peer_index_free(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts),    cmocka_unit_test(test_subnets_and_ranges),
        cmocka_unit_test(test_overlaps), cmocka_unit_test(test_cidrs),
        cmocka_unit_test(test_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
