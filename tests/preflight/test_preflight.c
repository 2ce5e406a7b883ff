/*
 * Unit tests of the gateway preflight's pure parts: the MSS clamp's nft
 * text (preflight_mss.c), the effective rp_filter and the sysctl names, and
 * the checks over a table of sysctls (preflight_check.c): forwarding per
 * family, strict rp_filter named with its fix, absent devices as notes, the
 * clamp read back (missing, changed, equal), the control document.
 *
 * Threading: single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight_check.h"
#include "preflight_mss.h"

/* a fake /proc/sys: "path=value" entries; absent paths are ENOENT */
struct fake {
    const char *const *kv;
};

static int fake_read(void *ctx, const char *path, long *val)
{
    const struct fake *f = ctx;
    size_t n = strlen(path);

    for (const char *const *p = f->kv; *p; p++)
        if (strncmp(*p, path, n) == 0 && (*p)[n] == '=') {
            if (strcmp(*p + n + 1, "EACCES") == 0)
                return -EACCES;
            *val = strtol(*p + n + 1, NULL, 10);
            return 0;
        }
    return -ENOENT;
}

static void test_script(void **state)
{
    struct pf_mss m[] = {{"xfrm-azure", 1350}, {"xfrm-b", 1300}};
    char *s = pf_mss_script("tunneld_mss", m, 2);

    (void)state;
    assert_string_equal(
        s, "table inet tunneld_mss\ndelete table inet tunneld_mss\n"
           "table inet tunneld_mss {\n\tchain forward {\n"
           "\t\ttype filter hook forward priority mangle; policy accept;\n"
           "\t\tmeta nfproto ipv4 oifname \"xfrm-azure\" tcp flags syn / syn,rst tcp option "
           "maxseg size > 1350 tcp option maxseg size set 1350\n"
           "\t\tmeta nfproto ipv6 oifname \"xfrm-azure\" tcp flags syn / syn,rst tcp option "
           "maxseg size > 1330 tcp option maxseg size set 1330\n"
           "\t\tmeta nfproto ipv4 iifname \"xfrm-azure\" tcp flags syn / syn,rst tcp option "
           "maxseg size > 1350 tcp option maxseg size set 1350\n"
           "\t\tmeta nfproto ipv6 iifname \"xfrm-azure\" tcp flags syn / syn,rst tcp option "
           "maxseg size > 1330 tcp option maxseg size set 1330\n"
           "\t\tmeta nfproto ipv4 oifname \"xfrm-b\" tcp flags syn / syn,rst tcp option "
           "maxseg size > 1300 tcp option maxseg size set 1300\n"
           "\t\tmeta nfproto ipv6 oifname \"xfrm-b\" tcp flags syn / syn,rst tcp option "
           "maxseg size > 1280 tcp option maxseg size set 1280\n"
           "\t\tmeta nfproto ipv4 iifname \"xfrm-b\" tcp flags syn / syn,rst tcp option "
           "maxseg size > 1300 tcp option maxseg size set 1300\n"
           "\t\tmeta nfproto ipv6 iifname \"xfrm-b\" tcp flags syn / syn,rst tcp option "
           "maxseg size > 1280 tcp option maxseg size set 1280\n"
           "\t}\n}\n");
    free(s);
    /* a name that would end nft's quoted string, or match by prefix */
    struct pf_mss bad[] = {{"x\";flush", 1350}, {"xfrm*", 1350}, {"a\\b", 1350}};
    for (size_t i = 0; i < 3; i++) {
        assert_false(pf_mss_name_ok(bad[i].name));
        assert_null(pf_mss_script("tunneld_mss", &bad[i], 1));
    }
    assert_true(pf_mss_name_ok("xfrm-azure.1@x"));
    s = pf_mss_script("tunneld_mss", NULL, 0);
    assert_string_equal(s, "table inet tunneld_mss\ndelete table inet tunneld_mss\n");
    free(s);
}

static void test_rp_effective(void **state)
{
    char name[96];

    (void)state;
    assert_int_equal(pf_rp_effective(0, 0), 0);
    assert_int_equal(pf_rp_effective(1, 0), 1);
    assert_int_equal(pf_rp_effective(0, 1), 1);
    assert_int_equal(pf_rp_effective(1, 2), 2);
    assert_int_equal(pf_rp_effective(2, 1), 2);
    pf_conf_name("eth0.100", "rp_filter", name, sizeof(name));
    assert_string_equal(name, "net.ipv4.conf.eth0/100.rp_filter");
}

static struct pf_input input(bool v4, bool v6)
{
    struct pf_input in = {.v4 = v4, .v6 = v6, .mss_table = "tunneld_mss"};

    assert_true(pf_input_add_dev(&in, "er0", "path er of site az"));
    assert_true(pf_input_add_dev(&in, "xfrm-azure", "XFRM interface, if_id 42"));
    assert_true(pf_input_add_dev(&in, "er0", "path er2 of site other")); /* once */
    assert_int_equal(in.n_devs, 2);
    return in;
}

static const struct pf_item *find(const struct pf_report *r, const char *subject)
{
    for (size_t i = 0; i < r->n_items; i++)
        if (strcmp(r->items[i].subject, subject) == 0)
            return &r->items[i];
    return NULL;
}

static void test_all_good(void **state)
{
    const char *kv[] = {"net/ipv4/ip_forward=1",
                        "net/ipv6/conf/all/forwarding=1",
                        "net/ipv4/conf/all/rp_filter=0",
                        "net/ipv4/conf/er0/rp_filter=2",
                        "net/ipv4/conf/xfrm-azure/rp_filter=0",
                        NULL};
    struct fake f = {kv};
    struct pf_input in = input(true, true);
    struct pf_report r = {0};

    (void)state;
    pf_check_sysctls(&in, fake_read, &f, &r);
    assert_int_equal(r.n_items, 0);
    assert_int_equal(r.n_problems, 0);
    pf_input_free(&in);
}

static void test_forwarding_off(void **state)
{
    const char *kv[] = {"net/ipv4/ip_forward=0",
                        "net/ipv6/conf/all/forwarding=0",
                        "net/ipv4/conf/all/rp_filter=0",
                        "net/ipv4/conf/er0/rp_filter=0",
                        "net/ipv4/conf/xfrm-azure/rp_filter=0",
                        NULL};
    struct fake f = {kv};
    struct pf_input in = input(true, false);
    struct pf_report r = {0};

    (void)state;
    pf_check_sysctls(&in, fake_read, &f, &r);
    assert_int_equal(r.n_problems, 1); /* IPv6 not asked for */
    const struct pf_item *it = find(&r, "net.ipv4.ip_forward");
    assert_non_null(it);
    assert_true(it->problem);
    assert_non_null(strstr(it->fix, "sysctl -w net.ipv4.ip_forward=1"));
    assert_non_null(strstr(it->text, "net.ipv4.ip_forward = 0"));
    pf_report_free(&r);
    in.v6 = true;
    pf_check_sysctls(&in, fake_read, &f, &r);
    assert_int_equal(r.n_problems, 2);
    it = find(&r, "net.ipv6.conf.all.forwarding");
    assert_non_null(it);
    assert_non_null(strstr(it->fix, "sysctl -w net.ipv6.conf.all.forwarding=1"));
    pf_report_free(&r);
    pf_input_free(&in);
}

/*
 * the kernel forwards on any value but 0 (ip_forward = 2 is on), and only
 * packets arriving on a device with its own forwarding on: a path's device
 * turned off after ip_forward = 1 is a problem named with its own sysctl
 * (a VLAN's '.' as '/'); with ip_forward = 0 only ip_forward is named
 */
static void test_forwarding_per_device(void **state)
{
    const char *kv2[] = {"net/ipv4/ip_forward=2",
                         "net/ipv6/conf/all/forwarding=2",
                         "net/ipv4/conf/all/rp_filter=0",
                         "net/ipv4/conf/er0/rp_filter=2",
                         "net/ipv4/conf/er0/forwarding=2",
                         "net/ipv4/conf/xfrm-azure/rp_filter=0",
                         "net/ipv4/conf/xfrm-azure/forwarding=1",
                         NULL};
    const char *kv_dev[] = {"net/ipv4/ip_forward=1",
                            "net/ipv4/conf/all/rp_filter=0",
                            "net/ipv4/conf/er0/rp_filter=2",
                            "net/ipv4/conf/er0/forwarding=1",
                            "net/ipv4/conf/er0.100/rp_filter=0",
                            "net/ipv4/conf/er0.100/forwarding=0",
                            "net/ipv4/conf/xfrm-azure/rp_filter=0",
                            "net/ipv4/conf/xfrm-azure/forwarding=EACCES",
                            NULL};
    const char *kv_off[] = {"net/ipv4/ip_forward=0",
                            "net/ipv4/conf/all/rp_filter=0",
                            "net/ipv4/conf/er0/rp_filter=2",
                            "net/ipv4/conf/er0/forwarding=0",
                            "net/ipv4/conf/er0.100/rp_filter=0",
                            "net/ipv4/conf/er0.100/forwarding=0",
                            "net/ipv4/conf/xfrm-azure/rp_filter=0",
                            "net/ipv4/conf/xfrm-azure/forwarding=0",
                            NULL};
    struct fake f2 = {kv2}, fd = {kv_dev}, fo = {kv_off};
    struct pf_input in = input(true, true);
    struct pf_report r = {0};

    (void)state;
    pf_check_sysctls(&in, fake_read, &f2, &r);
    assert_int_equal(r.n_items, 0);
    assert_int_equal(r.n_problems, 0);
    pf_report_free(&r);

    in.v6 = false;
    assert_true(pf_input_add_dev(&in, "er0.100", "path vlan of site az"));
    pf_check_sysctls(&in, fake_read, &fd, &r);
    assert_int_equal(r.n_problems, 2);
    const struct pf_item *it = find(&r, "er0.100");
    assert_non_null(it);
    assert_true(it->problem);
    assert_string_equal(it->check, "forwarding");
    assert_non_null(strstr(it->fix, "sysctl -w net.ipv4.conf.er0/100.forwarding=1"));
    assert_non_null(strstr(it->text, "path vlan of site az"));
    assert_null(find(&r, "er0"));
    it = find(&r, "net.ipv4.conf.xfrm-azure.forwarding");
    assert_non_null(it);
    assert_true(it->problem);
    pf_report_free(&r);

    pf_check_sysctls(&in, fake_read, &fo, &r);
    assert_int_equal(r.n_problems, 1);
    assert_non_null(find(&r, "net.ipv4.ip_forward"));
    pf_report_free(&r);
    pf_input_free(&in);
}

/*
 * IPv6 sites: a path's device or XFRM interface with disable_ipv6 = 1 drops
 * their traffic: named with its own sysctl (a '.' as '/'), also for an
 * IPv6-only gateway (no rp_filter check); an absent device is not
 */
static void test_ipv6_off_on_device(void **state)
{
    const char *kv[] = {"net/ipv6/conf/all/forwarding=1", "net/ipv6/conf/er0/disable_ipv6=0",
                        "net/ipv6/conf/er0.100/disable_ipv6=1",
                        "net/ipv6/conf/xfrm-azure/disable_ipv6=0", NULL};
    struct fake f = {kv};
    struct pf_input in = input(false, true);
    struct pf_report r = {0};

    (void)state;
    pf_check_sysctls(&in, fake_read, &f, &r);
    assert_int_equal(r.n_problems, 0);
    pf_report_free(&r);
    assert_true(pf_input_add_dev(&in, "er0.100", "path vlan of site az"));
    assert_true(pf_input_add_dev(&in, "gone0", "path gone of site az"));
    pf_check_sysctls(&in, fake_read, &f, &r);
    assert_int_equal(r.n_problems, 1);
    const struct pf_item *it = find(&r, "er0.100");
    assert_non_null(it);
    assert_true(it->problem);
    assert_non_null(strstr(it->fix, "sysctl -w net.ipv6.conf.er0/100.disable_ipv6=0"));
    assert_non_null(strstr(it->text, "path vlan of site az"));
    pf_report_free(&r);
    pf_input_free(&in);
}

static void test_ipv6_disabled(void **state)
{
    const char *kv[] = {NULL};
    struct fake f = {kv};
    struct pf_input in = {.v6 = true};
    struct pf_report r = {0};

    (void)state;
    pf_check_sysctls(&in, fake_read, &f, &r);
    assert_int_equal(r.n_problems, 1);
    assert_non_null(strstr(r.items[0].text, "IPv6 is disabled"));
    pf_report_free(&r);
}

static void test_rp_strict(void **state)
{
    /* dev 1: strict; all 1 with the xfrm interface at 0: strict too; all 1 and 2: loose */
    const char *kv[] = {"net/ipv4/ip_forward=1", "net/ipv4/conf/all/rp_filter=0",
                        "net/ipv4/conf/er0/rp_filter=1", "net/ipv4/conf/xfrm-azure/rp_filter=0",
                        NULL};
    const char *kv_all[] = {"net/ipv4/ip_forward=1", "net/ipv4/conf/all/rp_filter=1",
                            "net/ipv4/conf/er0/rp_filter=2", "net/ipv4/conf/xfrm-azure/rp_filter=0",
                            NULL};
    struct fake f = {kv}, g = {kv_all};
    struct pf_input in = input(true, false);
    struct pf_report r = {0};

    (void)state;
    pf_check_sysctls(&in, fake_read, &f, &r);
    assert_int_equal(r.n_problems, 1);
    const struct pf_item *it = find(&r, "er0");
    assert_non_null(it);
    assert_string_equal(it->check, "rp_filter");
    assert_non_null(strstr(it->fix, "sysctl -w net.ipv4.conf.er0.rp_filter=2"));
    assert_non_null(strstr(it->text, "path er of site az"));
    pf_report_free(&r);

    pf_check_sysctls(&in, fake_read, &g, &r);
    assert_int_equal(r.n_problems, 1);
    it = find(&r, "xfrm-azure");
    assert_non_null(it);
    assert_non_null(strstr(it->fix, "sysctl -w net.ipv4.conf.xfrm-azure.rp_filter=2"));
    assert_non_null(strstr(it->text, "only 2 on the interface loosens it"));
    assert_null(find(&r, "er0")); /* max(1, 2) = 2: loose */
    pf_report_free(&r);
    pf_input_free(&in);
}

static void test_rp_absent_and_unreadable(void **state)
{
    const char *kv[] = {"net/ipv4/ip_forward=1", "net/ipv4/conf/all/rp_filter=0",
                        "net/ipv4/conf/default/rp_filter=1",
                        "net/ipv4/conf/xfrm-azure/rp_filter=EACCES", NULL};
    struct fake f = {kv};
    struct pf_input in = input(true, false);
    struct pf_report r = {0};

    (void)state;
    pf_check_sysctls(&in, fake_read, &f, &r);
    const struct pf_item *it = find(&r, "er0");
    assert_non_null(it);
    assert_false(it->problem);
    assert_null(it->fix);
    assert_non_null(strstr(it->text, "does not exist"));
    assert_non_null(strstr(it->text, "default.rp_filter = 1"));
    it = find(&r, "net.ipv4.conf.xfrm-azure.rp_filter");
    assert_non_null(it);
    assert_true(it->problem);
    assert_int_equal(r.n_problems, 1);
    pf_report_free(&r);
    pf_input_free(&in);
}

static void test_mss_readback(void **state)
{
    struct pf_mss m = {"xfrm-azure", 1350};
    struct pf_input in = {.v4 = true, .mss = &m, .n_mss = 1, .mss_table = "tunneld_mss"};
    struct pf_report r = {0};
    const char *table = "table inet tunneld_mss {\n...set 1350\n}\n";

    (void)state;
    pf_check_mss(&in, table, NULL, table, NULL, &r);
    assert_int_equal(r.n_items, 0);
    pf_check_mss(&in, NULL, "No such file or directory", table, NULL, &r);
    assert_int_equal(r.n_problems, 1);
    assert_non_null(strstr(r.items[0].text, "table inet tunneld_mss is missing"));
    assert_non_null(strstr(r.items[0].fix, "systemctl reload tunneld"));
    pf_report_free(&r);
    pf_check_mss(&in, "table inet tunneld_mss {\n...set 1400\n}\n", NULL, table, NULL, &r);
    assert_int_equal(r.n_problems, 1);
    assert_non_null(strstr(r.items[0].text, "was changed"));
    assert_non_null(strstr(r.items[0].text, "maxseg size set 1350"));
    pf_report_free(&r);
    pf_check_mss(&in, NULL, NULL, NULL, "mss clamp: installing table inet x: oops", &r);
    assert_int_equal(r.n_problems, 1);
    assert_non_null(strstr(r.items[0].text, "could not be installed: mss clamp"));
    pf_report_free(&r);
    in.n_mss = 0; /* no clamp wanted: nothing to check */
    pf_check_mss(&in, NULL, NULL, NULL, NULL, &r);
    assert_int_equal(r.n_items, 0);
}

static void test_document(void **state)
{
    const char *kv[] = {"net/ipv4/ip_forward=0", "net/ipv4/conf/all/rp_filter=0", NULL};
    struct fake f = {kv};
    struct pf_input in = input(true, false);
    struct pf_report r = {0};

    (void)state;
    pf_check_sysctls(&in, fake_read, &f, &r);
    json_object *doc = pf_report_json(&in, &r);
    const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    assert_non_null(strstr(s, "\"version\":1,\"problems\":1,\"items\":[{\"check\":\"forwarding\","
                              "\"subject\":\"net.ipv4.ip_forward\",\"problem\":true,"));
    assert_non_null(strstr(s, "\"check\":\"rp_filter\",\"subject\":\"er0\",\"problem\":false,"));
    assert_non_null(strstr(s, "\"fix\":null"));
    assert_non_null(strstr(s, "\"checked\":{\"ipv4\":true,\"ipv6\":false,\"devices\":[\"er0\","
                              "\"xfrm-azure\"],\"mss\":[],\"mss_table\":null}"));
    json_object_put(doc);
    pf_report_free(&r);
    pf_input_free(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script),
        cmocka_unit_test(test_rp_effective),
        cmocka_unit_test(test_all_good),
        cmocka_unit_test(test_forwarding_off),
        cmocka_unit_test(test_forwarding_per_device),
        cmocka_unit_test(test_ipv6_disabled),
        cmocka_unit_test(test_ipv6_off_on_device),
        cmocka_unit_test(test_rp_strict),
        cmocka_unit_test(test_rp_absent_and_unreadable),
        cmocka_unit_test(test_mss_readback),
        cmocka_unit_test(test_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
