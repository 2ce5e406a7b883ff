/*
 * Unit tests of the posture's reading of libnftables' JSON (posture_read.c)
 * and the verdict on it (posture_verdict.c): enforced only with the table,
 * chain forward on hook forward, the four sets exactly as configured (in any
 * element form the kernel lists) and the rules in order; otherwise each
 * defect with its own reason. Documents shaped like nft 1.0.6's output.
 *
 * Threading: single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "posture_verdict.h"

static const char *const AZ[] = {"100.64.2.0/24", "2001:db8:2::/48"};
static const char *const SE[] = {"100.64.1.0/24", "2001:db8:1::/64"};

/* pieces of a listing */
#define TABLE "{\"table\":{\"family\":\"inet\",\"name\":\"tp\",\"handle\":1}}"
#define CHAIN(type, hook)                                                                          \
    "{\"chain\":{\"family\":\"inet\",\"table\":\"tp\",\"name\":\"forward\",\"handle\":1,"          \
    "\"type\":\"" type "\",\"hook\":\"" hook "\",\"prio\":0,\"policy\":\"accept\"}}"
#define SET(name, type, elems)                                                                     \
    "{\"set\":{\"family\":\"inet\",\"name\":\"" name "\",\"table\":\"tp\",\"type\":\"" type        \
    "\",\"handle\":2,\"flags\":[\"interval\"],\"elem\":[" elems "]}}"
#define PFX(a, l) "{\"prefix\":{\"addr\":\"" a "\",\"len\":" #l "}}"
#define MATCH(p, f, s)                                                                             \
    "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"" p "\",\"field\":\"" f       \
    "\"}},\"right\":\"@" s "\"}}"
#define RULE(exprs)                                                                                \
    "{\"rule\":{\"family\":\"inet\",\"table\":\"tp\",\"chain\":\"forward\",\"handle\":4,"          \
    "\"expr\":[" exprs "]}}"
#define CT_EST                                                                                     \
    "{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"state\"}},\"right\":[\"established\","  \
    "\"related\"]}}"
#define M4          MATCH("ip", "saddr", "azure4") "," MATCH("ip", "daddr", "sensors4") ","
#define M6          MATCH("ip6", "saddr", "azure6") "," MATCH("ip6", "daddr", "sensors6") ","
#define CNT(pk, by) "{\"counter\":{\"packets\":" #pk ",\"bytes\":" #by "}}"

#define AZ4   SET("azure4", "ipv4_addr", PFX("100.64.2.0", 24))
#define SE4   SET("sensors4", "ipv4_addr", PFX("100.64.1.0", 24))
#define AZ6   SET("azure6", "ipv6_addr", PFX("2001:db8:2::", 48))
#define SE6   SET("sensors6", "ipv6_addr", PFX("2001:db8:1::", 64))
#define FWD   CHAIN("filter", "forward")
#define ACC4  RULE(M4 CT_EST ",{\"accept\":null}")
#define DROP4 RULE(M4 CNT(3, 180) ",{\"drop\":null}")
#define ACC6  RULE(M6 CT_EST ",{\"accept\":null}")
#define DROP6 RULE(M6 CNT(4, 320) ",{\"drop\":null}")

static char doc_buf[16384];

/* {"nftables":[metainfo, pieces...]} of the pieces up to NULL */
static const char *doc(const char *first, ...)
{
    size_t o = (size_t)snprintf(doc_buf, sizeof(doc_buf),
                                "{\"nftables\":[{\"metainfo\":{\"version\":\"1.0.6\"}}");
    va_list ap;

    va_start(ap, first);
    for (const char *p = first; p; p = va_arg(ap, const char *))
        o += (size_t)snprintf(doc_buf + o, sizeof(doc_buf) - o, ",%s", p);
    va_end(ap);
    snprintf(doc_buf + o, sizeof(doc_buf) - o, "]}");
    assert_true(o + 2 < sizeof(doc_buf));
    return doc_buf;
}

static struct posture_report judge(const char *json)
{
    struct posture_config c = {
        .enforce = true, .table = "tp", .azure = AZ, .n_azure = 2, .sensors = SE, .n_sensors = 2};
    struct posture_plan p;
    struct posture_seen s;
    struct posture_report r;
    char err[256];

    assert_true(posture_plan_build(&c, &p, err, sizeof(err)));
    assert_true(posture_seen_parse(json, "tp", &s, err, sizeof(err)));
    posture_verdict(&p, &s, &r);
    posture_seen_free(&s);
    posture_plan_free(&p);
    return r;
}

static void not_enforced(const char *json, const char *head, const char *detail)
{
    struct posture_report r = judge(json);
    char want[POSTURE_REASON_MAX];

    snprintf(want, sizeof(want), "%s (%s)", head, detail);
    assert_int_equal(r.state, POSTURE_NOT_ENFORCED);
    assert_string_equal(r.reason, want);
    assert_false(r.counted);
    assert_int_equal(r.dropped_packets, 0);
}

static void test_enforced(void **state)
{
    struct posture_report r =
        judge(doc(TABLE, AZ4, SE4, AZ6, SE6, FWD, ACC4, DROP4, ACC6, DROP6, NULL));

    assert_int_equal(r.state, POSTURE_ENFORCED);
    assert_string_equal(r.reason, "");
    assert_true(r.counted);
    assert_int_equal(r.dropped_packets, 7);
    assert_int_equal(r.dropped_bytes, 500);
}

static void test_element_forms(void **state)
{
    /* the /24 as two ranges, the IPv6 sensors inside an "elem" wrapper */
    const char *az4 = SET("azure4", "ipv4_addr",
                          "{\"range\":[\"100.64.2.0\",\"100.64.2.127\"]},"
                          "{\"range\":[\"100.64.2.128\",\"100.64.2.255\"]}");
    const char *se6 = SET("sensors6", "ipv6_addr",
                          "{\"elem\":{\"val\":" PFX("2001:db8:1::", 64) ",\"counter\":{}}}");

    assert_int_equal(
        judge(doc(TABLE, az4, SE4, AZ6, se6, FWD, ACC4, DROP4, ACC6, DROP6, NULL)).state,
        POSTURE_ENFORCED);
}

static void test_missing(void **state)
{
    const char *ip_table = "{\"table\":{\"family\":\"ip\",\"name\":\"tp\",\"handle\":1}}";
    const char *plain = "{\"chain\":{\"family\":\"inet\",\"table\":\"tp\",\"name\":\"forward\"}}";

    not_enforced(doc(ip_table, NULL), POSTURE_FORWARDED, "table inet tp is missing");
    not_enforced(doc(TABLE, AZ4, SE4, AZ6, SE6, NULL), POSTURE_FORWARDED,
                 "table inet tp has no chain forward");
    not_enforced(doc(TABLE, AZ4, SE4, AZ6, SE6, CHAIN("filter", "input"), ACC4, DROP4, NULL),
                 POSTURE_FORWARDED,
                 "chain forward of table inet tp is not a filter chain on hook forward");
    not_enforced(doc(TABLE, AZ4, SE4, AZ6, SE6, plain, ACC4, DROP4, NULL), POSTURE_FORWARDED,
                 "chain forward of table inet tp is not a filter chain on hook forward");
    not_enforced(doc(TABLE, SE4, AZ6, SE6, FWD, ACC4, DROP4, ACC6, DROP6, NULL), POSTURE_FORWARDED,
                 "set azure4 is missing");
}

static void sets_differ(const char *az4, const char *se4, const char *az6, const char *detail)
{
    not_enforced(doc(TABLE, az4, se4, az6, SE6, FWD, ACC4, DROP4, ACC6, DROP6, NULL),
                 POSTURE_FORWARDED, detail);
}

static void test_sets_differ(void **state)
{
    sets_differ(AZ4, SET("sensors4", "ipv4_addr", PFX("100.64.1.0", 24) "," PFX("100.64.9.0", 24)),
                AZ6,
                "set sensors4 differs: 100.64.9.0/24 is in the kernel, not in the configuration");
    sets_differ(SET("azure4", "ipv4_addr", PFX("100.64.2.0", 25)), SE4, AZ6,
                "set azure4 differs: 100.64.2.0/25 is in the kernel, not in the configuration");
    sets_differ(AZ4, SE4, SET("azure6", "ipv6_addr", ""),
                "set azure6 differs: 2001:db8:2::/48 is configured, not in the kernel");
    sets_differ(SET("azure4", "ipv6_addr", PFX("100.64.2.0", 24)), SE4, AZ6,
                "set azure4 is not a set of addresses tunneld wrote");
    sets_differ(SET("azure4", "ipv4_addr", "{\"set\":[1]}"), SE4, AZ6,
                "set azure4 is not a set of addresses tunneld wrote");
}

static void rules(const char *head, const char *detail, const char *first, ...)
{
    char rules[8192];
    size_t o = 0;
    va_list ap;

    rules[0] = '\0';
    va_start(ap, first);
    for (const char *p = first; p; p = va_arg(ap, const char *))
        o += (size_t)snprintf(rules + o, sizeof(rules) - o, "%s%s", o ? "," : "", p);
    va_end(ap);
    not_enforced(doc(TABLE, AZ4, SE4, AZ6, SE6, FWD, rules[0] ? rules : NULL, NULL), head, detail);
}

static void test_rules(void **state)
{
    const char *other = RULE("{\"accept\":null}");
    const char *uncounted = RULE(M4 "{\"drop\":null}");
    const char *swapped = RULE(MATCH("ip", "saddr", "sensors4") "," MATCH(
        "ip", "daddr", "azure4") "," CNT(0, 0) ",{\"drop\":null}");

    rules(POSTURE_CUT, "chain forward has no established,related accept before the IPv4 drop",
          DROP4, ACC6, DROP6, NULL);
    rules(POSTURE_FORWARDED, "chain forward has no IPv4 drop rule", ACC4, ACC6, DROP6, NULL);
    rules(POSTURE_FORWARDED,
          "chain forward has a rule tunneld did not write (rule 2) where its IPv4 drop belongs",
          ACC4, other, ACC6, DROP6, NULL);
    /* a drop without its counter, or with the sets swapped, is not tunneld's */
    rules(POSTURE_FORWARDED,
          "chain forward has a rule tunneld did not write (rule 2) where its IPv4 drop belongs",
          ACC4, uncounted, NULL);
    rules(POSTURE_FORWARDED,
          "chain forward has a rule tunneld did not write (rule 2) where its IPv4 drop belongs",
          ACC4, swapped, NULL);
    rules(POSTURE_FORWARDED, "chain forward has no IPv6 drop rule", ACC4, DROP4, ACC6, NULL);
    rules(POSTURE_CHANGED, "chain forward has 1 rule(s) after its own", ACC4, DROP4, ACC6, DROP6,
          other, NULL);
    rules(POSTURE_FORWARDED, "chain forward has no IPv4 drop rule", NULL);
}

/* the table altered behind tunneld's back where no rule changed: the
 * chain's policy, a chain, a set or a rule of another chain added */
static void test_altered(void **state)
{
    const char *drop_policy =
        "{\"chain\":{\"family\":\"inet\",\"table\":\"tp\",\"name\":\"forward\",\"handle\":1,"
        "\"type\":\"filter\",\"hook\":\"forward\",\"prio\":0,\"policy\":\"drop\"}}";
    const char *other_chain =
        "{\"chain\":{\"family\":\"inet\",\"table\":\"tp\",\"name\":\"other\",\"handle\":9,"
        "\"type\":\"filter\",\"hook\":\"forward\",\"prio\":-10,\"policy\":\"accept\"}}";
    const char *other_rule = "{\"rule\":{\"family\":\"inet\",\"table\":\"tp\",\"chain\":"
                             "\"other\",\"handle\":10,\"expr\":[{\"accept\":null}]}}";
    const char *elsewhere = "{\"chain\":{\"family\":\"inet\",\"table\":\"not_tp\",\"name\":"
                            "\"x\",\"handle\":1}}";

    (void)state;
    not_enforced(doc(TABLE, AZ4, SE4, AZ6, SE6, drop_policy, ACC4, DROP4, ACC6, DROP6, NULL),
                 POSTURE_CHANGED, "chain forward's policy is drop, not accept");
    not_enforced(doc(TABLE, AZ4, SE4, AZ6, SE6, FWD, other_chain, other_rule, ACC4, DROP4, ACC6,
                     DROP6, NULL),
                 POSTURE_CHANGED, "2 object(s) tunneld did not write, first chain other");
    not_enforced(doc(TABLE, AZ4, SE4, AZ6, SE6, FWD, SET("extra", "ipv4_addr", PFX("1.2.3.0", 24)),
                     ACC4, DROP4, ACC6, DROP6, NULL),
                 POSTURE_CHANGED, "1 object(s) tunneld did not write, first set extra");
    /* another table's objects are not this table's business */
    struct posture_report r =
        judge(doc(TABLE, AZ4, SE4, AZ6, SE6, FWD, elsewhere, ACC4, DROP4, ACC6, DROP6, NULL));
    assert_int_equal(r.state, POSTURE_ENFORCED);
}

static void test_not_json(void **state)
{
    struct posture_seen s;
    char err[256];

    assert_false(posture_seen_parse("Error: no", "tp", &s, err, sizeof(err)));
    assert_non_null(strstr(err, "is not a JSON"));
    assert_false(posture_seen_parse("{\"nftables\":{}}", "tp", &s, err, sizeof(err)));
    assert_true(posture_seen_parse("{\"nftables\":[1,\"x\",null,{\"set\":7}]}", "tp", &s, err,
                                   sizeof(err)));
    assert_false(s.table);
    posture_seen_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enforced), cmocka_unit_test(test_element_forms),
        cmocka_unit_test(test_missing),  cmocka_unit_test(test_sets_differ),
        cmocka_unit_test(test_rules),    cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_altered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
