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

#define FWD POSTURE_FORWARDED " ("

static const char *const AZ[] = {"100.64.2.0/24", "2001:db8:2::/48"};
static const char *const SE[] = {"100.64.1.0/24", "2001:db8:1::/64"};

#define TABLE "{\"table\":{\"family\":\"inet\",\"name\":\"tp\",\"handle\":1}}"
#define CHAIN(type, hook)                                                                          \
    "{\"chain\":{\"family\":\"inet\",\"table\":\"tp\",\"name\":\"forward\",\"handle\":1,"          \
    "\"type\":\"" type "\",\"hook\":\"" hook "\",\"prio\":0,\"policy\":\"accept\"}}"
#define SET(name, type, elems)                                                                     \
    "{\"set\":{\"family\":\"inet\",\"name\":\"" name "\",\"table\":\"tp\",\"type\":\"" type        \
    "\",\"handle\":2,\"flags\":[\"interval\"],\"elem\":[" elems "]}}"
#define PFX(a, l) "{\"prefix\":{\"addr\":\"" a "\",\"len\":" #l "}}"
#define SETS_OK                                                                                    \
    SET("azure4", "ipv4_addr", PFX("100.64.2.0", 24))                                              \
    "," SET("sensors4", "ipv4_addr", PFX("100.64.1.0", 24)) "," SET(                               \
        "azure6", "ipv6_addr", PFX("2001:db8:2::", 48)) "," SET("sensors6", "ipv6_addr",           \
                                                                PFX("2001:db8:1::", 64))
#define MATCH(p, f, s)                                                                             \
    "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"" p "\",\"field\":\"" f       \
    "\"}},\"right\":\"@" s "\"}}"
#define RULE(exprs)                                                                                \
    "{\"rule\":{\"family\":\"inet\",\"table\":\"tp\",\"chain\":\"forward\",\"handle\":4,"          \
    "\"expr\":[" exprs "]}}"
#define CT_EST                                                                                     \
    "{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"state\"}},\"right\":[\"established\","  \
    "\"related\"]}}"
#define ACCEPT(p, n)                                                                               \
    RULE(MATCH(p, "saddr", "azure" #n) "," MATCH(p, "daddr", "sensors" #n) "," CT_EST              \
                                                                           ",{\"accept\":null}")
#define DROP(p, n, pk, by)                                                                         \
    RULE(MATCH(p, "saddr", "azure" #n) "," MATCH(                                                  \
        p, "daddr", "sensors" #n) ",{\"counter\":{\"packets\":" #pk ",\"bytes\":" #by              \
                                  "}},{\"drop\":null}")
#define RULES_OK                                                                                   \
    ACCEPT("ip", 4) "," DROP("ip", 4, 3, 180) "," ACCEPT("ip6", 6) "," DROP("ip6", 6, 4, 320)
#define DOC(...)                                                                                   \
    "{\"nftables\":[{\"metainfo\":{\"version\":\"1.0.6\",\"json_schema_version\":1}}," __VA_ARGS__ \
    "]}"

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
        judge(DOC(TABLE "," SETS_OK "," CHAIN("filter", "forward") "," RULES_OK));

    assert_int_equal(r.state, POSTURE_ENFORCED);
    assert_string_equal(r.reason, "");
    assert_true(r.counted);
    assert_int_equal(r.dropped_packets, 7);
    assert_int_equal(r.dropped_bytes, 500);
}

static void test_element_forms(void **state)
{
    /* the /24 as two ranges, the IPv6 sensors inside an "elem" wrapper */
    struct posture_report r =
        judge(DOC(TABLE "," SET(
            "azure4", "ipv4_addr",
            "{\"range\":[\"100.64.2.0\",\"100.64.2.127\"]},{\"range\":[\"100.64.2.128\","
            "\"100.64.2.255\"]}") "," SET("sensors4", "ipv4_addr",
                                          PFX("100.64.1.0",
                                              24)) "," SET("azure6", "ipv6_addr",
                                                           PFX("2001:db8:"
                                                               "2::",
                                                               48)) "," SET("sensors6", "ipv6_addr",
                                                                            "{\"elem\":{"
                                                                            "\"val\":" PFX(
                                                                                "2001:db8:1::",
                                                                                64) ",\"counter\":{"
                                                                                    "\"packets\":0}"
                                                                                    "}}") "," CHAIN("filter",
                                                                                                    "forward") "," RULES_OK));
    assert_int_equal(r.state, POSTURE_ENFORCED);
}

static void test_missing(void **state)
{
    not_enforced(DOC("{\"table\":{\"family\":\"ip\",\"name\":\"tp\",\"handle\":1}}"),
                 POSTURE_FORWARDED, "table inet tp is missing");
    not_enforced(DOC(TABLE "," SETS_OK), POSTURE_FORWARDED, "table inet tp has no chain forward");
    not_enforced(DOC(TABLE "," SETS_OK "," CHAIN("filter", "input") "," RULES_OK),
                 POSTURE_FORWARDED,
                 "chain forward of table inet tp is not a filter chain on hook forward");
    not_enforced(
        DOC(TABLE
            "," SETS_OK
            ",{\"chain\":{\"family\":\"inet\",\"table\":\"tp\",\"name\":\"forward\"}}," RULES_OK),
        POSTURE_FORWARDED, "chain forward of table inet tp is not a filter chain on hook forward");
    not_enforced(DOC(TABLE "," SET("sensors4", "ipv4_addr", PFX("100.64.1.0", 24)) "," CHAIN(
                     "filter", "forward") "," RULES_OK),
                 POSTURE_FORWARDED, "set azure4 is missing");
}

static void test_sets_differ(void **state)
{
    const char *chain = CHAIN("filter", "forward") "," RULES_OK;
    char doc[8192];

    snprintf(doc, sizeof(doc),
             DOC(TABLE "," SET("azure4", "ipv4_addr", PFX("100.64.2.0", 24)) "," SET(
                 "sensors4", "ipv4_addr",
                 PFX("100.64.1.0", 24) "," PFX(
                     "100.64.9.0", 24)) "," SET("azure6", "ipv6_addr",
                                                PFX("2001:db8:2::",
                                                    48)) "," SET("sensors6", "ipv6_addr",
                                                                 PFX("2001:db8:1::", 64)) ",%s"),
             chain);
    not_enforced(doc, POSTURE_FORWARDED,
                 "set sensors4 differs: 100.64.9.0/24 is in the kernel, not in the configuration");
    snprintf(doc, sizeof(doc),
             DOC(TABLE "," SET("azure4", "ipv4_addr", PFX("100.64.2.0", 25)) "," SET(
                 "sensors4", "ipv4_addr",
                 PFX("100.64.1.0", 24)) "," SET("azure6", "ipv6_addr",
                                                PFX("2001:db8:2::",
                                                    48)) "," SET("sensors6", "ipv6_addr",
                                                                 PFX("2001:db8:1::", 64)) ",%s"),
             chain);
    not_enforced(doc, POSTURE_FORWARDED,
                 "set azure4 differs: 100.64.2.0/25 is in the kernel, not in the configuration");
    snprintf(doc, sizeof(doc),
             DOC(TABLE "," SET("azure4", "ipv4_addr", PFX("100.64.2.0", 24)) "," SET(
                 "sensors4", "ipv4_addr",
                 PFX("100.64.1.0", 24)) "," SET("azure6", "ipv6_addr",
                                                "") "," SET("sensors6", "ipv6_addr",
                                                            PFX("2001:db8:1::", 64)) ",%s"),
             chain);
    not_enforced(doc, POSTURE_FORWARDED,
                 "set azure6 differs: 2001:db8:2::/48 is configured, not in the kernel");
    snprintf(doc, sizeof(doc),
             DOC(TABLE "," SET("azure4", "ipv6_addr", PFX("100.64.2.0", 24)) "," SET(
                 "sensors4", "ipv4_addr",
                 PFX("100.64.1.0", 24)) "," SET("azure6", "ipv6_addr",
                                                PFX("2001:db8:2::",
                                                    48)) "," SET("sensors6", "ipv6_addr",
                                                                 PFX("2001:db8:1::", 64)) ",%s"),
             chain);
    not_enforced(doc, POSTURE_FORWARDED, "set azure4 is not a set of addresses tunneld wrote");
    snprintf(doc, sizeof(doc),
             DOC(TABLE "," SET("azure4", "ipv4_addr", "{\"set\":[1]}") "," SET(
                 "sensors4", "ipv4_addr",
                 PFX("100.64.1.0", 24)) "," SET("azure6", "ipv6_addr",
                                                PFX("2001:db8:2::",
                                                    48)) "," SET("sensors6", "ipv6_addr",
                                                                 PFX("2001:db8:1::", 64)) ",%s"),
             chain);
    not_enforced(doc, POSTURE_FORWARDED, "set azure4 is not a set of addresses tunneld wrote");
}

static void test_rules(void **state)
{
    char doc[8192];
#define WITH_RULES(r)                                                                              \
    snprintf(doc, sizeof(doc), DOC(TABLE "," SETS_OK "," CHAIN("filter", "forward") ",%s"), r)

    WITH_RULES(DROP("ip", 4, 3, 180) "," ACCEPT("ip6", 6) "," DROP("ip6", 6, 4, 320));
    not_enforced(doc, POSTURE_CUT,
                 "chain forward has no established,related accept before the IPv4 drop");
    WITH_RULES(ACCEPT("ip", 4) "," ACCEPT("ip6", 6) "," DROP("ip6", 6, 4, 320));
    not_enforced(doc, POSTURE_FORWARDED, "chain forward has no IPv4 drop rule");
    WITH_RULES(ACCEPT("ip", 4) "," RULE("{\"accept\":null}") "," ACCEPT("ip6", 6) "," DROP("ip6", 6,
                                                                                           4, 320));
    not_enforced(
        doc, POSTURE_FORWARDED,
        "chain forward has a rule tunneld did not write (rule 2) where its IPv4 drop belongs");
    /* a drop without its counter is not tunneld's */
    WITH_RULES(ACCEPT("ip", 4) "," RULE(
        MATCH("ip", "saddr", "azure4") "," MATCH("ip", "daddr", "sensors4") ",{\"drop\":null}"));
    not_enforced(
        doc, POSTURE_FORWARDED,
        "chain forward has a rule tunneld did not write (rule 2) where its IPv4 drop belongs");
    WITH_RULES(ACCEPT("ip", 4) "," DROP("ip", 4, 3, 180) "," ACCEPT("ip6", 6));
    not_enforced(doc, POSTURE_FORWARDED, "chain forward has no IPv6 drop rule");
    WITH_RULES(RULES_OK "," RULE("{\"accept\":null}"));
    not_enforced(doc, POSTURE_CHANGED, "chain forward has 1 rule(s) after its own");
    WITH_RULES("");
    not_enforced(doc, POSTURE_FORWARDED, "chain forward has no IPv4 drop rule");
    /* sets swapped: saddr @sensors4 daddr @azure4 is not the posture */
    WITH_RULES(ACCEPT("ip", 4) "," RULE(MATCH("ip", "saddr", "sensors4") "," MATCH(
        "ip", "daddr", "azure4") ",{\"counter\":{\"packets\":0,\"bytes\":0}},{\"drop\":null}"));
    not_enforced(
        doc, POSTURE_FORWARDED,
        "chain forward has a rule tunneld did not write (rule 2) where its IPv4 drop belongs");
#undef WITH_RULES
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
