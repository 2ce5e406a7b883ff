/*
 * Unit tests of the posture's pure parts: strict prefixes (posture_prefix.c),
 * normal form and ranges, table names and posture_check_config's refusals
 * (posture_plan.c).
 *
 * Threading: single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "posture_plan.h"

static void parses(const char *in, const char *canon)
{
    struct pp_prefix p;
    char why[128] = "", txt[PP_TEXT_MAX];

    assert_true(pp_parse(in, &p, why, sizeof(why)));
    pp_format(&p, txt, sizeof(txt));
    assert_string_equal(txt, canon);
}

static void refuses(const char *in, const char *want)
{
    struct pp_prefix p;
    char why[128] = "";

    assert_false(pp_parse(in, &p, why, sizeof(why)));
    assert_string_equal(why, want);
}

static void test_parse(void **state)
{
    parses("100.64.1.0/24", "100.64.1.0/24");
    parses("100.64.1.7", "100.64.1.7/32");
    parses("0.0.0.0/0", "0.0.0.0/0");
    parses("2001:DB8:1::/64", "2001:db8:1::/64");
    parses("2001:db8::1", "2001:db8::1/128");
    parses("::/0", "::/0");
    refuses("100.64.1.1/24", "host bits set (expected 100.64.1.0/24)");
    refuses("2001:db8:1::1/64", "host bits set (expected 2001:db8:1::/64)");
    refuses("100.64.1.0/33", "prefix length 33 is over 32");
    refuses("2001:db8::/129", "prefix length 129 is over 128");
    refuses("100.64.1.0/", "no prefix length after '/'");
    refuses("100.64.1.0/024", "prefix length with a leading zero");
    refuses("100.64.1.0/+24", "prefix length is not a number of 0 to 32");
    refuses("100.64.1.0/24 ", "prefix length is not a number of 0 to 32");
    refuses("100.64.1.0/99999999999", "prefix length is not a number of 0 to 32");
    refuses("100.64.01.0/24", "not an IPv4 or IPv6 address before '/'");
    refuses(" 100.64.1.0/24", "not an IPv4 or IPv6 address before '/'");
    refuses("", "not an IPv4 or IPv6 address before '/'");
    refuses("/24", "not an IPv4 or IPv6 address before '/'");
    refuses("%s%n/8", "not an IPv4 or IPv6 address before '/'");
    refuses("100.64.1.0\x01/24", "not an IPv4 or IPv6 address before '/'");
}

static void test_normalize(void **state)
{
    const char *in[] = {"100.64.1.0/24", "2001:db8::/32",   "100.64.0.0/16", "100.64.0.0/16",
                        "100.65.0.0/24", "2001:db8:1::/48", "100.64.255.255"};
    struct pp_prefix v[7];
    char why[128], txt[PP_TEXT_MAX];

    for (size_t i = 0; i < 7; i++)
        assert_true(pp_parse(in[i], &v[i], why, sizeof(why)));
    size_t n = pp_normalize(v, 7);
    assert_int_equal(n, 3);
    const char *want[] = {"100.64.0.0/16", "100.65.0.0/24", "2001:db8::/32"};
    for (size_t i = 0; i < n; i++) {
        pp_format(&v[i], txt, sizeof(txt));
        assert_string_equal(txt, want[i]);
    }
    assert_int_equal(pp_normalize(v, 0), 0);
}

static struct pp_range range_of(const char *s)
{
    struct pp_prefix p;
    struct pp_range r;
    char why[128];

    assert_true(pp_parse(s, &p, why, sizeof(why)));
    pp_to_range(&p, &r);
    return r;
}

static void test_merge_and_format(void **state)
{
    struct pp_range v[] = {range_of("100.64.1.0/24"),   range_of("100.64.0.0/24"),
                           range_of("100.64.3.0/24"),   range_of("255.255.255.255"),
                           range_of("255.255.255.254"), range_of("ffff::/16")};
    char txt[PP_TEXT_MAX];

    size_t n = pp_merge(v, 6);
    assert_int_equal(n, 4);
    pp_range_format(&v[0], txt, sizeof(txt));
    assert_string_equal(txt, "100.64.0.0/23"); /* adjacent: merged, still a prefix */
    pp_range_format(&v[1], txt, sizeof(txt));
    assert_string_equal(txt, "100.64.3.0/24");
    pp_range_format(&v[2], txt, sizeof(txt));
    assert_string_equal(txt, "255.255.255.254/31"); /* the all-ones end does not wrap */
    pp_range_format(&v[3], txt, sizeof(txt));
    assert_string_equal(txt, "ffff::/16");

    struct pp_range w[] = {range_of("100.64.1.0/24"), range_of("100.64.2.0/24")};
    assert_int_equal(pp_merge(w, 2), 1);
    pp_range_format(&w[0], txt, sizeof(txt));
    assert_string_equal(txt, "100.64.1.0-100.64.2.255"); /* not a prefix: lo-hi */
    struct pp_range a = range_of("100.64.1.0/24"), b = range_of("100.64.1.0/25");
    assert_false(pp_range_equal(&a, &b));
    assert_true(pp_range_equal(&a, &a));
}

static void test_table_names(void **state)
{
    char err[512], name[80];

    memset(name, 'a', 63);
    name[63] = '\0';
    assert_true(posture_table_valid(name, err, sizeof(err)));
    assert_true(posture_table_valid("_x-1", err, sizeof(err)));
    name[63] = 'b';
    name[64] = '\0';
    assert_false(posture_table_valid(name, err, sizeof(err)));
    assert_non_null(strstr(err, "is 64 bytes (expected 1 to 63)"));
    assert_false(posture_table_valid("", err, sizeof(err)));
    assert_string_equal(err, "posture: table '' is 0 bytes (expected 1 to 63)");
    assert_false(posture_table_valid("a%n", err, sizeof(err)));
    assert_non_null(strstr(err, "table 'a%n': byte 2 is not allowed"));
    assert_false(posture_table_valid("a\xff'\\", err, sizeof(err)));
    assert_non_null(strstr(err, "table 'a\\xff\\x27\\x5c': byte 2"));
    assert_false(posture_table_valid("9a", err, sizeof(err)));
    assert_non_null(strstr(err, "byte 1 is not allowed"));
    assert_false(posture_table_valid("-a", err, sizeof(err)));
}

static void test_quote_bounded(void **state)
{
    char big[1000], out[POSTURE_QUOTE_MAX];

    memset(big, 1, sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    posture_quote(big, out, sizeof(out));
    assert_true(strlen(out) < sizeof(out));
    assert_non_null(strstr(out, "...(999 bytes)"));
    char tiny[8];
    posture_quote("abcdefghijkl", tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
}

static void test_check_config(void **state)
{
    const char *az[] = {"100.64.2.0/24", "2001:db8:2::/48"};
    const char *se[] = {"100.64.1.0/24"};
    const char *bad[] = {"100.64.1.1/24"};
    const char *v6[] = {"2001:db8:1::/64"};
    const char *null_item[] = {NULL};
    struct posture_config c = {
        .enforce = true, .azure = az, .n_azure = 2, .sensors = se, .n_sensors = 1};
    char err[512];

    assert_true(posture_check_config(&c, err, sizeof(err)));
    c.sensors = bad;
    assert_false(posture_check_config(&c, err, sizeof(err)));
    assert_string_equal(err, "posture: sensor subnet '100.64.1.1/24': host bits set (expected "
                             "100.64.1.0/24)");
    c.sensors = null_item;
    assert_false(posture_check_config(&c, err, sizeof(err)));
    assert_string_equal(err, "posture: sensor subnet 1 is missing (NULL)");
    c.n_sensors = 0;
    assert_false(posture_check_config(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "enforce = yes with no sensor subnet"));
    c.enforce = false; /* off: nothing to enforce, the values still checked */
    assert_true(posture_check_config(&c, err, sizeof(err)));
    c.enforce = true;
    c.sensors = se;
    c.n_sensors = 1;
    c.n_azure = 0;
    assert_false(posture_check_config(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "enforce = yes with no Azure prefix"));
    c.azure = az + 1; /* IPv6 Azure, IPv4 sensors */
    c.n_azure = 1;
    assert_false(posture_check_config(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "no family has both an Azure prefix and a sensor subnet"));
    c.sensors = v6;
    assert_true(posture_check_config(&c, err, sizeof(err)));
    c.table = "has space";
    assert_false(posture_check_config(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "table 'has space'"));
}

static void test_state_names(void **state)
{
    assert_string_equal(posture_state_name(POSTURE_OFF), "off");
    assert_string_equal(posture_state_name(POSTURE_ENFORCED), "enforced");
    assert_string_equal(posture_state_name(POSTURE_NOT_ENFORCED), "not-enforced");
    assert_null(posture_state_name((enum posture_state)7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_merge_and_format),
        cmocka_unit_test(test_table_names),
        cmocka_unit_test(test_quote_bounded),
        cmocka_unit_test(test_check_config),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
