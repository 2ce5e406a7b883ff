/*
 * Unit tests of path or service (checks/judge.h): a check failing on some
 * paths and passing on another is those paths' fault; failing on every path
 * that ran is the service's; pending results take no part; a path's reason
 * is its first path-fault result's, "GROUP: " before it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "judge.h"

#define IN(site, group, path, host, v, reason)                                                     \
    {                                                                                              \
        site, group, path, host, 443, v, reason                                                    \
    }

static void test_one_path_fails(void **state)
{
    struct judge_in in[] = {
        IN("s", "g", "p1", "blob", CHECKS_FAIL, "blob:443: connection refused"),
        IN("s", "g", "p2", "blob", CHECKS_PASS, "ok"),
        IN("s", "g", "p3", "blob", CHECKS_WARN, "blob:443: certificate expires in 5 days"),
    };
    enum checks_fault f[3];
    char reason[CHECKS_REASON_MAX];

    (void)state;
    judge_faults(in, 3, f);
    assert_int_equal(f[0], CHECKS_FAULT_PATH);
    assert_int_equal(f[1], CHECKS_FAULT_NONE);
    assert_int_equal(f[2], CHECKS_FAULT_NONE);
    assert_false(judge_path(in, f, 3, "s", "p1", reason, sizeof(reason)));
    assert_string_equal(reason, "g: blob:443: connection refused");
    assert_true(judge_path(in, f, 3, "s", "p2", reason, sizeof(reason)));
    assert_string_equal(reason, "");
    assert_true(judge_path(in, f, 3, "s", "p3", reason, sizeof(reason)));
}

static void test_every_path_fails_is_service(void **state)
{
    struct judge_in in[] = {
        IN("s", "g", "p1", "blob", CHECKS_FAIL, "a"),
        IN("s", "g", "p2", "blob", CHECKS_FAIL, "b"),
        IN("s", "g", "p3", "blob", CHECKS_PENDING, NULL), /* did not run: no part */
        IN("s", "g", "p3", "hub", CHECKS_PASS, "ok"),     /* another endpoint */
        IN("s", "h", "p3", "blob", CHECKS_PASS, "ok"),    /* another group */
        IN("t", "g", "p3", "blob", CHECKS_PASS, "ok"),    /* another site */
    };
    enum checks_fault f[6];
    char reason[CHECKS_REASON_MAX];

    (void)state;
    judge_faults(in, 6, f);
    assert_int_equal(f[0], CHECKS_FAULT_SERVICE);
    assert_int_equal(f[1], CHECKS_FAULT_SERVICE);
    assert_int_equal(f[2], CHECKS_FAULT_NONE);
    assert_true(judge_path(in, f, 6, "s", "p1", reason, sizeof(reason)));
    assert_true(judge_path(in, f, 6, "s", "p2", reason, sizeof(reason)));
}

static void test_port_matters_and_first_reason(void **state)
{
    struct judge_in in[] = {
        IN("s", "g", "p1", "hub", CHECKS_FAIL, "hub:443: first"),
        IN("s", "g", "p2", "hub", CHECKS_PASS, "ok"),
        IN("s", "g2", "p1", "blob", CHECKS_FAIL, "blob:443: second"),
        IN("s", "g2", "p2", "blob", CHECKS_PASS, "ok"),
        IN("s", "g", "p1", "hub", CHECKS_FAIL, "hub:8883: other port"),
    };
    enum checks_fault f[5];
    char reason[CHECKS_REASON_MAX];

    (void)state;
    in[4].port = 8883; /* failing alone on its port: the service's */
    judge_faults(in, 5, f);
    assert_int_equal(f[0], CHECKS_FAULT_PATH);
    assert_int_equal(f[2], CHECKS_FAULT_PATH);
    assert_int_equal(f[4], CHECKS_FAULT_SERVICE);
    assert_false(judge_path(in, f, 5, "s", "p1", reason, sizeof(reason)));
    assert_string_equal(reason, "g: hub:443: first");
    assert_false(judge_path(in, f, 5, "s", "p1", reason, 8)); /* cut, terminated */
    assert_string_equal(reason, "g: hub:");
}

static void test_single_path_is_service(void **state)
{
    struct judge_in in[] = {IN("s", "g", "p1", "blob", CHECKS_FAIL, "x")};
    enum checks_fault f[1];
    char reason[16];

    (void)state;
    judge_faults(in, 1, f);
    assert_int_equal(f[0], CHECKS_FAULT_SERVICE);
    assert_true(judge_path(in, f, 1, "s", "p1", reason, sizeof(reason)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_path_fails),
        cmocka_unit_test(test_every_path_fails_is_service),
        cmocka_unit_test(test_port_matters_and_first_reason),
        cmocka_unit_test(test_single_path_is_service),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
