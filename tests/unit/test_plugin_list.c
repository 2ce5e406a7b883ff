/*
 * plugin_list: the names of tunneld.load are checked before charon loads
 * them (tunneld -n) and compared with what charon loaded (start).
 *
 * Threading: one thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <library.h>

#include "plugin_list.h"

static char err[1024];

static bool check(const char *load)
{
    err[0] = '\0';
    return plugin_list_check("tunneld.load", load, err, sizeof(err));
}

static void test_check(void **state)
{
    assert_true(check("random nonce openssl kernel-netlink socket-default vici"));
    assert_true(check("  random  vici!  "));
    /* charon splits at spaces only: a tab makes one name of two */
    assert_false(check("random\tvici"));
    assert_non_null(strstr(err, "'random\\x09vici' is not a plugin name"));
    assert_true(check(""));
    assert_false(check("random bogusplugin vici"));
    assert_non_null(strstr(err, "tunneld.load: no plugin 'bogusplugin': it is not built in and "));
    assert_non_null(strstr(err, "/libstrongswan-bogusplugin.so does not exist"));
    assert_false(check("random ../../tmp/x"));
    assert_non_null(strstr(err, "'../../tmp/x' is not a plugin name"));
    assert_false(check("random %s%n"));
    assert_non_null(strstr(err, "'%s%n' is not a plugin name"));
    assert_false(check("!"));
    char long_name[PLUGIN_NAME_MAX + 2];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_false(check(long_name));
    assert_non_null(strstr(err, "...(101 bytes)"));
    /* plugins.NAME.load = no: charon would skip it */
    lib->settings->set_str(lib->settings, "test_plugin_list.plugins.updown.load", "no");
    assert_false(check("random updown"));
    assert_string_equal(err, "tunneld.load: the plugin 'updown' is listed, but "
                             "test_plugin_list.plugins.updown.load says not to load it");
}

static void test_loaded(void **state)
{
    const char *loaded = "tunneld-controller tunneld random nonce vici2 kernel-netlink vici";

    assert_true(plugin_list_loaded("tunneld.load", "random vici! kernel-netlink", loaded, err,
                                   sizeof(err)));
    assert_false(
        plugin_list_loaded("tunneld.load", "random updown vici", loaded, err, sizeof(err)));
    assert_string_equal(err, "tunneld.load: charon did not load the plugin 'updown' (see the "
                             "lines above)");
    /* a name is a whole word of the list, not a part of one */
    assert_false(plugin_list_loaded("tunneld.load", "vic", loaded, err, sizeof(err)));
    assert_false(plugin_list_loaded("tunneld.load", "nonce2", "nonce", err, sizeof(err)));
    assert_false(plugin_list_loaded("tunneld.load", "x", NULL, err, sizeof(err)));
}

static int setup(void **state)
{
    char conf[] = "/tmp/test_plugin_list_settings.XXXXXX";
    int fd = mkstemp(conf);

    if (fd < 0)
        return -1;
    close(fd);
    dbg_default_set_level(LEVEL_SILENT);
    bool ok = library_init(conf, "test_plugin_list");
    unlink(conf);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    library_deinit();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_loaded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
