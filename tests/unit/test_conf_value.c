/*
 * Unit tests of the connections file's value rules (conf_value): names,
 * quoting for messages, secret encodings (0x hex, 0s base64, plain).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf_value.h"

static void test_names(void **state)
{
    conf_text_t why;
    char name[200];

    assert_true(conf_name_ok("azure-westeurope_1", CONF_CONN_NAME_MAX, &why));
    memset(name, 'a', 63);
    name[63] = '\0';
    assert_true(conf_name_ok(name, CONF_CONN_NAME_MAX, &why));
    name[63] = 'a';
    name[64] = '\0';
    assert_false(conf_name_ok(name, CONF_CONN_NAME_MAX, &why));
    assert_string_equal(why.s, "is 64 bytes long (at most 63)");
    assert_true(conf_name_ok(name, CONF_NAME_MAX, &why));
    assert_false(conf_name_ok("", CONF_NAME_MAX, &why));
    assert_string_equal(why.s, "is empty");
    assert_false(conf_name_ok("er%s", CONF_NAME_MAX, &why));
    assert_non_null(strstr(why.s, "contains '%' (byte 3)"));
    assert_false(conf_name_ok("a\x01", CONF_NAME_MAX, &why));
    assert_non_null(strstr(why.s, "contains byte 0x01 (byte 2)"));
    assert_false(conf_name_ok("caf\xc3\xa9", CONF_NAME_MAX, &why));
    assert_non_null(strstr(why.s, "byte 0xc3 (byte 4)"));
    assert_false(conf_name_ok("a b", CONF_NAME_MAX, &why));
    assert_false(conf_name_ok("a/b", CONF_NAME_MAX, &why));
}

static void test_quote(void **state)
{
    conf_text_t q;
    char name[5001];

    assert_string_equal(conf_quote("plain", &q), "'plain'");
    assert_string_equal(conf_quote("e\x1b[2J'\\", &q), "'e\\x1b[2J\\x27\\x5c'");
    assert_string_equal(conf_quote("%n%s", &q), "'%n%s'");
    memset(name, '\xff', 5000);
    name[5000] = '\0';
    /* the longest output fits: 64 escaped bytes and the length */
    conf_quote(name, &q);
    assert_non_null(strstr(q.s, "(the first 64 of 5000 bytes)"));
    assert_int_equal(strncmp(q.s, "'\\xff\\xff", 9), 0);
}

static void expect_secret(const char *value, const char *bytes, size_t len)
{
    const char *why = "unset";
    chunk_t out;

    assert_true(conf_secret_decode(value, &out, &why));
    assert_null(why);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.ptr, bytes, len);
    chunk_clear(&out);
}

static void expect_refused(const char *value, const char *kind)
{
    const char *why = NULL;
    chunk_t out;

    assert_false(conf_secret_decode(value, &out, &why));
    assert_null(out.ptr);
    assert_non_null(why);
    assert_non_null(strstr(why, kind));
    /* the reason never carries the value */
    if (strlen(value) > 2)
        assert_null(strstr(why, value + 2));
}

static void test_secrets(void **state)
{
    expect_secret("0x0a0B0c", "\x0a\x0b\x0c", 3);
    expect_secret("0X0a:0b:0c", "\x0a\x0b\x0c", 3);
    expect_secret("0sQUJD", "ABC", 3);
    expect_secret("0sQUI=", "AB", 2);
    expect_secret("0sQQ==", "A", 1);
    expect_secret("0S+/8=", "\xfb\xff", 2);
    expect_secret("plain secret", "plain secret", 12);
    expect_secret("0", "0", 1);

    expect_refused("", "empty");
    expect_refused("0x", "hex");
    expect_refused("0xabc", "hex");     /* odd */
    expect_refused("0xzz11", "hex");    /* not hex */
    expect_refused("0x0a:0b0c", "hex"); /* separators not between every pair */
    expect_refused("0x0a::0b", "hex");
    expect_refused("0x:0a", "hex");
    expect_refused("0x0a:", "hex");
    expect_refused("0x0a 0b", "hex");
    expect_refused("0s", "base64");
    expect_refused("0sQUI", "base64");  /* no padding */
    expect_refused("0sQU=I", "base64"); /* padding inside */
    expect_refused("0sQ===", "base64"); /* three '=' */
    expect_refused("0s====", "base64");
    expect_refused("0sQU!D", "base64");      /* not in the alphabet */
    expect_refused("0sQUJD QUJD", "base64"); /* a blank */
}

static void test_err_copy(void **state)
{
    char buf[8];

    conf_err_copy(buf, sizeof(buf), "short");
    assert_string_equal(buf, "short");
    conf_err_copy(buf, sizeof(buf), "much longer than that");
    assert_string_equal(buf, "much...");
    conf_err_copy(buf, sizeof(buf), NULL);
    assert_string_equal(buf, "out ...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_err_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
