/*
 * Unit tests of the posture's nftables text (posture_script.c): the
 * replace-in-one-transaction preamble, the sets in normal form, empty sets
 * without elements, rules only for a family with both sides, and the
 * removal.
 *
 * Threading: single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "posture_script.h"

static char *script(const char *const *az, size_t naz, const char *const *se, size_t nse)
{
    struct posture_config c = {.enforce = true,
                               .table = "tp",
                               .azure = az,
                               .n_azure = naz,
                               .sensors = se,
                               .n_sensors = nse};
    struct posture_plan p;
    char err[256];

    assert_true(posture_plan_build(&c, &p, err, sizeof(err)));
    char *s = posture_script_apply(&p);
    posture_plan_free(&p);
    assert_non_null(s);
    return s;
}

static void test_both_families(void **state)
{
    const char *az[] = {"100.64.2.0/24", "100.64.2.128/25", "2001:db8:2::/48"};
    const char *se[] = {"100.64.1.0/24", "2001:db8:1::/64"};
    char *s = script(az, 3, se, 2);

    assert_int_equal(strncmp(s, "table inet tp\ndelete table inet tp\ntable inet tp {\n", 48), 0);
    assert_non_null(strstr(s, "\tset azure4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
                              "\t\telements = { 100.64.2.0/24 }\n\t}\n"));
    assert_non_null(strstr(s, "\t\telements = { 2001:db8:2::/48 }\n"));
    assert_non_null(strstr(s, "type filter hook forward priority filter; policy accept;\n"
                              "\t\tip saddr @azure4 ip daddr @sensors4 ct state "
                              "established,related accept\n"
                              "\t\tip saddr @azure4 ip daddr @sensors4 counter drop\n"
                              "\t\tip6 saddr @azure6 ip6 daddr @sensors6 ct state "
                              "established,related accept\n"
                              "\t\tip6 saddr @azure6 ip6 daddr @sensors6 counter drop\n"
                              "\t}\n}\n"));
    assert_null(strstr(s, "100.64.2.128")); /* covered by /24: nft refuses overlaps */
    free(s);
}

static void test_one_family(void **state)
{
    const char *az[] = {"100.64.2.0/24", "2001:db8:2::/48", "100.64.3.0/24"};
    const char *se[] = {"100.64.1.0/24"};
    char *s = script(az, 3, se, 1);

    assert_non_null(strstr(s, "\t\telements = { 100.64.2.0/24,\n\t\t\t100.64.3.0/24 }\n"));
    /* sensors6 empty: declared without elements (nft refuses "elements = { }") */
    assert_non_null(strstr(s, "\tset sensors6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n"));
    assert_null(strstr(s, "ip6 saddr"));
    assert_non_null(strstr(s, "ip saddr @azure4 ip daddr @sensors4 counter drop"));
    free(s);
}

static void test_many(void **state)
{
    enum { N = 5000 };
    char(*txt)[24] = calloc(N, sizeof(*txt));
    const char **az = calloc(N, sizeof(*az));
    const char *se[] = {"100.65.0.0/16"};

    assert_non_null(txt);
    assert_non_null(az);
    for (unsigned i = 0; i < N; i++) {
        snprintf(txt[i], sizeof(txt[i]), "100.64.%u.%u", i / 256, i % 256);
        az[i] = txt[i];
    }
    char *s = script(az, N, se, 1);
    assert_non_null(strstr(s, "100.64.19.135/32 }")); /* the last of 5,000 */
    assert_true(strlen(s) > N * 16);
    free(s);
    free(az);
    free(txt);
}

static void test_remove(void **state)
{
    char *s = posture_script_remove("tunneld_posture");

    assert_string_equal(s, "table inet tunneld_posture\ndelete table inet tunneld_posture\n");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_families),
        cmocka_unit_test(test_one_family),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
