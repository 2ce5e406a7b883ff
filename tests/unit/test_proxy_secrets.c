/*
 * Unit tests of the proxies' credentials (tunneld/proxy_secrets, through
 * conf_tree): secrets.proxy-<name> { user, secret } found with plain, 0x
 * and 0s values beside charon's own secrets; a name without its section;
 * the model's credentials without their secret; bad encodings, bad users,
 * unknown keys, bad names, a NUL in the password, a file others may read:
 * all refused naming file:line, section and key, never a value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <library.h>
#include <settings/settings.h>

#include "conf_tree.h"
#include "proxy_secrets.h"
#include "site_model.h"

static char dir[] = "/tmp/test_proxy_secrets.XXXXXX";
static char path[128];

#define CONN                                                                                       \
    "connections {\n site {\n remote_addrs = 198.51.100.2\n local {\n auth = psk\n }\n"            \
    " remote {\n auth = psk\n }\n children {\n net {\n remote_ts = 100.64.2.0/24\n }\n }\n }\n}\n"

/* the connections file: CONN then secrets { body } (line 17 is "secrets {") */
static const char *write_secrets(const char *body, mode_t mode)
{
    FILE *f;

    snprintf(path, sizeof(path), "%s/swanctl.conf", dir);
    assert_non_null(f = fopen(path, "w"));
    fprintf(f, "%ssecrets {\n%s\n}\n", CONN, body);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void refused(const char *body, const char *want, const char *never)
{
    proxy_secrets_t s;
    char *err = NULL;

    write_secrets(body, 0600);
    if (proxy_secrets_load(path, &s, &err))
        fail_msg("accepted: %s", body);
    assert_int_equal(s.n, 0);
    assert_null(s.v);
    assert_non_null(err);
    if (!strstr(err, want))
        fail_msg("got: %s\nwant: %s", err, want);
    if (never && strstr(err, never))
        fail_msg("the message shows a secret: %s", err);
    free(err);
}

static void test_found(void **state)
{
    proxy_secrets_t s;
    const proxy_secret_t *p;
    char *err = NULL;

    write_secrets(" ike-site {\n secret = psk-value\n }\n"
                  " proxy-dmz {\n user = sensor\n secret = \"pa ss#word\"\n }\n"
                  " proxy-hex {\n user = u@DOMAIN\n secret = 0x70:61:73:73\n }\n"
                  " proxy-b64 {\n user = x\n secret = 0scGFzcw==\n }\n",
                  0600);
    if (!proxy_secrets_load(path, &s, &err))
        fail_msg("refused: %s", err);
    assert_int_equal(s.n, 3);
    p = proxy_secrets_find(&s, "dmz");
    assert_non_null(p);
    assert_string_equal(p->name, "dmz");
    assert_string_equal(p->user, "sensor");
    assert_string_equal(p->password, "pa ss#word");
    p = proxy_secrets_find(&s, "hex");
    assert_string_equal(p->user, "u@DOMAIN");
    assert_string_equal(p->password, "pass");
    assert_string_equal(proxy_secrets_find(&s, "b64")->password, "pass");
    /* missing: another name, charon's own secrets, the section's full name */
    assert_null(proxy_secrets_find(&s, "azure"));
    assert_null(proxy_secrets_find(&s, "ike-site"));
    assert_null(proxy_secrets_find(&s, "site"));
    assert_null(proxy_secrets_find(&s, "proxy-dmz"));
    assert_null(proxy_secrets_find(&s, NULL));
    proxy_secrets_free(&s);
    assert_int_equal(s.n, 0);
    assert_null(s.v);
    proxy_secrets_free(&s); /* twice: harmless */
    /* no proxy secrets: an empty set */
    write_secrets(" ike-site {\n secret = psk-value\n }\n", 0600);
    assert_true(proxy_secrets_load(path, &s, &err));
    assert_int_equal(s.n, 0);
    assert_null(proxy_secrets_find(&s, "dmz"));
    proxy_secrets_free(&s);
    (void)state;
}

/* the tree keeps them apart from charon's (conf_load sends only those) */
static void test_tree(void **state)
{
    conf_tree_t *t;
    char *err = NULL;

    write_secrets(" ike-site {\n secret = psk-value\n }\n"
                  " proxy-dmz {\n user = sensor\n secret = LEAK-pw\n }\n",
                  0600);
    t = conf_tree_read(path, &err);
    assert_non_null(t);
    assert_int_equal(t->n_secrets, 2);
    assert_string_equal(t->secrets[0].type, "ike");
    assert_null(t->secrets[0].user);
    assert_string_equal(t->secrets[1].type, CONF_SECRET_PROXY);
    assert_string_equal(t->secrets[1].user, "sensor");
    assert_int_equal(t->secrets[1].n_owners, 0);
    conf_tree_free(t);
    (void)state;
}

static void test_refused(void **state)
{
    char name[80], body[256];

    refused(" proxy-dmz {\n user = u\n secret = 0xZZ-LEAK\n }",
            "swanctl.conf:18: secrets.proxy-dmz.secret: the value is not valid hex after 0x",
            "LEAK");
    refused(" proxy-dmz {\n user = u\n secret = 0sLEAK7\n }",
            "secrets.proxy-dmz.secret: the value is not valid base64 after 0s", "LEAK");
    refused(" proxy-dmz {\n user = u\n secret = \"\"\n }",
            "secrets.proxy-dmz.secret: the value is empty", NULL);
    refused(" proxy-dmz {\n user = u\n secret = 0x41004c45414b\n }",
            "swanctl.conf:18: secrets.proxy-dmz.secret: the decoded secret holds a NUL byte (a "
            "proxy password cannot)",
            "LEAK");
    refused(" proxy-dmz {\n secret = LEAK-1\n }",
            "swanctl.conf:18: secrets.proxy-dmz: no 'user' key (a proxy secret has 'user' and "
            "'secret')",
            "LEAK");
    refused(" proxy-dmz {\n user = u\n }", "secrets.proxy-dmz: no 'secret' key", NULL);
    refused(" proxy-dmz {\n user = a:b\n secret = LEAK-2\n }",
            "secrets.proxy-dmz.user: a byte that is not printable ASCII, or ':'", "LEAK");
    refused(" proxy-dmz {\n user = \"a\\tb\"\n secret = LEAK-3\n }",
            "secrets.proxy-dmz.user: a byte that is not printable ASCII", "LEAK");
    refused(" proxy-dmz {\n user = \"\"\n secret = LEAK-4\n }",
            "secrets.proxy-dmz.user: 0 bytes (expected 1..255 bytes of a user name)", "LEAK");
    refused(" proxy-dmz {\n user = u\n id-1 = gw\n secret = LEAK-5\n }",
            "secrets.proxy-dmz.id-1: unknown key (a proxy secret has 'user' and 'secret')", "LEAK");
    refused(" ike-site {\n user = u\n secret = LEAK-6\n }",
            "secrets.ike-site.user: unknown key (expected 'secret' and 'id' keys)", "LEAK");
    refused(" proxy {\n user = u\n secret = LEAK-7\n }",
            "swanctl.conf:18: secrets.proxy: expected proxy-<name> with a name of 1..63 "
            "characters",
            "LEAK");
    refused(" proxy- {\n user = u\n secret = LEAK-8\n }", "secrets.proxy-: expected proxy-<name>",
            "LEAK");
    refused(" proxyx {\n user = u\n secret = LEAK-9\n }", "secrets.proxyx: expected proxy-<name>",
            "LEAK");
    /* names: 63 bytes after proxy-, then 64 */
    memset(name, 'n', 63);
    name[63] = '\0';
    snprintf(body, sizeof(body), " proxy-%s {\n user = u\n secret = s\n }", name);
    {
        proxy_secrets_t s;
        char *err = NULL;
        write_secrets(body, 0600);
        if (!proxy_secrets_load(path, &s, &err))
            fail_msg("refused: %s", err);
        assert_non_null(proxy_secrets_find(&s, name));
        proxy_secrets_free(&s);
    }
    strcat(name, "n");
    snprintf(body, sizeof(body), " proxy-%s {\n user = u\n secret = s\n }", name);
    refused(body, "expected proxy-<name> with a name of 1..63 characters", NULL);
    /* users of 255 bytes, then 256 */
    {
        char user[257];
        memset(user, 'u', 255);
        user[255] = '\0';
        snprintf(body, sizeof(body) + 0, " proxy-a {\n secret = s\n user = ");
        char *big = NULL;
        assert_true(asprintf(&big, " proxy-a {\n secret = s\n user = %s\n }", user) > 0);
        proxy_secrets_t s;
        char *err = NULL;
        write_secrets(big, 0600);
        if (!proxy_secrets_load(path, &s, &err))
            fail_msg("refused: %s", err);
        assert_int_equal(strlen(proxy_secrets_find(&s, "a")->user), 255);
        proxy_secrets_free(&s);
        free(big);
        strcat(user, "u");
        assert_true(asprintf(&big, " proxy-a {\n secret = s\n user = %s\n }", user) > 0);
        refused(big, "secrets.proxy-a.user: 256 bytes (expected 1..255", NULL);
        free(big);
    }
}

/* as the other secrets: a file others may read is refused */
static void test_permissions(void **state)
{
    proxy_secrets_t s;
    char *err = NULL;

    write_secrets(" proxy-dmz {\n user = u\n secret = LEAK-perm\n }", 0644);
    assert_false(proxy_secrets_load(path, &s, &err));
    if (!strstr(err, "swanctl.conf holds secrets (line 18) but its mode 0644 gives other users "
                     "access to it: run chmod 600"))
        fail_msg("got: %s", err);
    assert_null(strstr(err, "LEAK"));
    free(err);
    err = NULL;
    write_secrets(" proxy-dmz {\n user = u\n secret = LEAK-perm\n }", 0600);
    assert_true(proxy_secrets_load(path, &s, &err));
    proxy_secrets_free(&s);
    (void)state;
}

/* a group's credentials without secrets.proxy-<name> */
static void test_check_model(void **state)
{
    static const char text[] =
        "tunneld { sites { west { prefixes = 203.0.113.0/24\n paths { p { dev = x } }\n"
        " sensors { g { subnets = 100.64.1.0/24\n endpoints = a.b:443\n method = proxy\n"
        " proxy = p:3128\n credentials = dmz } } } } }";
    char *dup = strdup(text), *err = NULL, mer[512];
    settings_t *set = settings_create_string(dup);
    struct sm_model m;
    proxy_secrets_t s;

    assert_int_equal(sm_model_load(set, "t.conf", &m, mer, sizeof(mer)), 0);
    write_secrets(" proxy-other {\n user = u\n secret = s\n }", 0600);
    assert_true(proxy_secrets_load(path, &s, &err));
    assert_false(proxy_secrets_check_model(&s, &m, "t.conf", path, &err));
    assert_non_null(err);
    if (!strstr(err, "t.conf: tunneld.sites.west.sensors.g.credentials: no secrets.proxy-dmz in "))
        fail_msg("got: %s", err);
    assert_non_null(strstr(err, "(expected a section secrets { proxy-dmz { user = ..., secret = "
                                "... } } there)"));
    free(err);
    err = NULL;
    proxy_secrets_free(&s);
    write_secrets(" proxy-dmz {\n user = u\n secret = s\n }", 0600);
    assert_true(proxy_secrets_load(path, &s, &err));
    assert_true(proxy_secrets_check_model(&s, &m, "t.conf", path, &err));
    assert_null(err);
    proxy_secrets_free(&s);
    sm_model_free(&m);
    set->destroy(set);
    free(dup);
    (void)state;
}

static int setup(void **state)
{
    char conf[] = "/tmp/test_proxy_secrets_settings.XXXXXX";
    int fd = mkstemp(conf);

    if (fd < 0 || !mkdtemp(dir))
        return -1;
    close(fd);
    dbg_default_set_level(LEVEL_SILENT);
    bool ok = library_init(conf, "test_proxy_secrets");
    unlink(conf);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    library_deinit();
    unlink(path);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found),       cmocka_unit_test(test_tree),
        cmocka_unit_test(test_refused),     cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_check_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
