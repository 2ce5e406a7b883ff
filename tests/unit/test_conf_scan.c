/*
 * Unit tests of conf_scan, the scan that finds include statements and
 * secrets before libstrongswan's parser reads a file: fixed cases of the
 * lexer's rules (test_conf_scan_random.c compares it with the parser itself
 * on random files).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <library.h>

#include "conf_scan.h"

/* what a scan reported, as one line per finding */
typedef struct {
    char out[4096];
} rec_t;

static void add(char *buf, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list args;

    va_start(args, fmt);
    vsnprintf(buf + len, 4096 - len, fmt, args);
    va_end(args);
}

static bool on_include(void *ctx, const char *pattern, unsigned line, conf_scan_state_t *st)
{
    add(((rec_t *)ctx)->out, "inc[%s]@%u ", pattern, line);
    return true;
}

static bool on_section(void *ctx, conf_top_t top, const char *name, unsigned line)
{
    add(((rec_t *)ctx)->out, "%c:%s@%u ", top == CONF_TOP_SECRETS ? 's' : 'c', name, line);
    return true;
}

static void on_secret(void *ctx, unsigned line)
{
    add(((rec_t *)ctx)->out, "secret@%u ", line);
}

static bool on_reference(void *ctx, const char *ref, unsigned line)
{
    add(((rec_t *)ctx)->out, "ref[%s]@%u ", ref, line);
    return true;
}

static void on_too_long(void *ctx, const char *what, unsigned line)
{
    add(((rec_t *)ctx)->out, "too long: %s@%u ", what, line);
}

static const conf_scan_ops_t ops = {on_include, on_section, on_secret, on_reference, on_too_long};

static const char *scan_len(const char *text, size_t len)
{
    static rec_t r;
    conf_scan_state_t st = {0};

    memset(&r, 0, sizeof(r));
    assert_true(conf_scan(text, len, &st, &ops, &r));
    conf_scan_state_clear(&st);
    return r.out;
}

static const char *scan(const char *text)
{
    return scan_len(text, strlen(text));
}

static void test_includes(void **state)
{
    assert_string_equal(scan("include a.conf\n"), "inc[a.conf]@1 ");
    assert_string_equal(scan("\n\ninclude\ta.conf"), "inc[a.conf]@3 ");
    assert_string_equal(scan("include  \t a.conf # comment\n"), "inc[a.conf]@1 ");
    assert_string_equal(scan("include \"b c.conf\"\n"), "inc[b c.conf]@1 ");
    assert_string_equal(scan("include b\\ c.conf\n"), "inc[b c.conf]@1 ");
    assert_string_equal(scan("include a\\#b\\}c\n"), "inc[a#b}c]@1 ");
    assert_string_equal(scan("include a\\xb\n"), "inc[a\\xb]@1 ");
    assert_string_equal(scan("include \"a\\\"b\\tc\"\n"), "inc[a\"b\tc]@1 ");
    assert_string_equal(scan("include a.conf\r\n"), "inc[a.conf]@1 ");
    assert_string_equal(scan("s { include a.conf }\n"), "inc[a.conf]@1 ");
    assert_string_equal(scan("s {include a.conf}"), "inc[a.conf]@1 ");
    assert_string_equal(scan("include \n"), "inc[]@1 ");
    assert_string_equal(scan("include\n"), ""); /* a blank must follow */
    /* the parser keeps a pattern up to its first NUL */
    assert_string_equal(scan_len("include a\0b.conf\n", 17), "inc[a]@1 ");
    /* not includes */
    assert_string_equal(scan("x = include a.conf\n"), "");
    assert_string_equal(scan("x = \"include a.conf\"\n"), "");
    assert_string_equal(scan("# include a.conf\n"), "");
    assert_string_equal(scan("x = 1 # include a.conf\n"), "");
    assert_string_equal(scan("include = a.conf\n"), "");
    assert_string_equal(scan("include\t= a.conf\n"), "");
    assert_string_equal(scan("includes a.conf\n"), "");
    assert_string_equal(scan("xinclude a.conf\n"), "");
    assert_string_equal(scan("a : include b {\n}\n"), "ref[include]@1 ref[b]@1 ");
    assert_string_equal(scan("include \"unterminated\n"), "");
    /* a value string spanning lines: lines still counted */
    assert_string_equal(scan("k = \"a\\\ninclude x\"\ninclude y\n"), "inc[y]@3 ");
    assert_string_equal(scan("k = \"a\nb\"\ninclude y\n"), "inc[y]@3 ");
    assert_string_equal(scan("k = \"a\\\r\nb\"\ninclude y\n"), "inc[y]@3 ");
}

/* where the lexer surprises (the hostile review's cases): CR in comments, NUL, escapes */
static void test_lexer_corners(void **state)
{
    /* a comment ends at a CR when its token cannot reach a newline */
    assert_string_equal(scan("# c\rinclude a.conf"), "inc[a.conf]@1 ");
    assert_string_equal(scan("# c\rinclude a.conf\n"), "");                /* `#.*\n` is longer */
    assert_string_equal(scan(" # c\rinclude a.conf\n"), "inc[a.conf]@1 "); /* blanks first */
    assert_string_equal(scan("k = v # c\rinclude a.conf\n"), "");
    assert_string_equal(scan("k = v  # c\rinclude a.conf\n"), "");
    assert_string_equal(scan("x  # c\rinclude a.conf\n"), "inc[a.conf]@1 ");
    assert_string_equal(scan("\r # c\rinclude a.conf\n"), ""); /* `[\t\r ]+`, then `#.*\n` */
    /* in references, `include` is a name */
    assert_string_equal(scan("x : y # c\rinclude a.conf\n {\n}\n"),
                        "ref[y]@1 ref[include]@1 ref[a.conf]@1 ");
    /* each run the lexer adds to a pattern is cut at its NUL, the next run goes on */
    assert_string_equal(scan_len("include a.conf\0\"x\"\n", 19), "inc[a.confx]@1 ");
    assert_string_equal(scan_len("include \"a\\\0b\"\n", 15), "inc[ab]@1 ");
    assert_string_equal(scan_len("include \"a\0b\\tc\"\n", 17), "inc[a\tc]@1 ");
    assert_string_equal(scan_len("include a\\\0b\n", 13), "inc[a\\]@1 ");
    assert_string_equal(scan_len("include a\rb\n", 12), "inc[ab]@1 ");
    /* `include` + blanks + a byte other than `=`: the last of two blanks may be that byte */
    assert_string_equal(scan("include  = a.conf\n"), "inc[]@1 ");
    assert_string_equal(scan("include \t= a.conf\n"), "inc[]@1 ");
    assert_string_equal(scan("include "), "");
    assert_string_equal(scan("include  "), "inc[]@1 ");
    /* a string completes a pattern; text after it is not part of it */
    assert_string_equal(scan("include \"a\"b\n"), "inc[a]@1 ");
    assert_string_equal(scan("include a\"b\"\n"), "inc[ab]@1 ");
    assert_string_equal(scan("include \"a\\\rb\"\n"), "inc[a\rb]@1 ");
    /* a name is cut at its NUL: secrets hidden behind one are still secrets */
    assert_string_equal(scan_len("secrets\0 {\n ike-a {\n  secret\0 = x\n }\n}\n", 38),
                        "secret@2 s:ike-a@2 secret@3 ");
    assert_string_equal(scan_len("p {\n secret\0x = y\n}\n", 21), "secret@2 ");
    assert_string_equal(scan_len("p {\n secretx\0 = y\n}\n", 21), "");
    /* a NUL inside a name token does not end it */
    assert_string_equal(scan_len("x\0include a\n", 13), "");
}

/* what the lexer carries from a file into the files it includes and back */
static void test_across_files(void **state)
{
    const char *parts[][2] = {
        /* a section name, its `{` in the next file */
        {"secrets\n", "{\n ike-a {\n  secret = y\n }\n}\n"},
        /* a key named secret, its value in the next file */
        {"p {\n secret\n", "= y\n}\n"},
        /* references go on into the next file */
        {"x : a", "\n, b include c {\n}\n"},
    };
    const char *want[] = {
        "|secret@2 s:ike-a@2 secret@3 ",
        "|secret@1 ",
        "ref[a]@1 |ref[b]@2 ref[include]@2 ref[c]@2 ",
    };

    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        rec_t r = {{0}};
        conf_scan_state_t st = {0};
        assert_true(conf_scan(parts[i][0], strlen(parts[i][0]), &st, &ops, &r));
        add(r.out, "|");
        assert_true(conf_scan(parts[i][1], strlen(parts[i][1]), &st, &ops, &r));
        assert_string_equal(r.out, want[i]);
        assert_int_equal(st.depth, 0);
        conf_scan_state_clear(&st);
    }
}

static void test_secrets_and_sections(void **state)
{
    assert_string_equal(scan("connections {\n c1 {\n }\n c2 : t {\n }\n c3 : a.b, c {\n}\n}\n"),
                        "c:c1@2 ref[t]@4 c:c2@4 ref[a.b]@6 ref[c]@6 c:c3@6 ");
    /* references as the lexer reads them: names with dots, commas, comments, newlines */
    assert_string_equal(scan("x : a.b.c,\n d # e\n , f%s {\n}\n"),
                        "ref[a.b.c]@1 ref[d]@2 ref[f%s]@3 ");
    assert_string_equal(scan("x : a. {\n}\n"), "ref[a]@1 ");
    assert_string_equal(scan("secrets {\n  ike-x {\n    secret = y\n  }\n}\n"),
                        "secret@2 s:ike-x@2 secret@3 ");
    assert_string_equal(scan("plugins {\n radius {\n  secret = x\n }\n}\n"), "secret@3 ");
    assert_string_equal(scan("secret_key = x\nsecrets_x {\n a = b\n}\n"), "");
    /* nested sections are not recorded, nor sections of other top-level ones */
    assert_string_equal(
        scan("connections {\n c {\n children {\n n {\n}\n}\n}\n}\nx {\n y {\n}\n}\n"), "c:c@2 ");
    /* the state crosses files as the parser's token stream does */
    rec_t r = {{0}};
    conf_scan_state_t st = {0};
    const char *a = "secrets {\n", *b = "ike-a {\n secret = x\n}\n}\nconnections {\n c {\n}\n}\n";
    assert_true(conf_scan(a, strlen(a), &st, &ops, &r));
    assert_int_equal(st.depth, 1);
    assert_int_equal(st.top, CONF_TOP_SECRETS);
    assert_true(conf_scan(b, strlen(b), &st, &ops, &r));
    assert_string_equal(r.out, "secret@1 s:ike-a@1 secret@2 c:c@6 ");
    assert_int_equal(st.depth, 0);
    conf_scan_state_clear(&st);
}

static void test_limits(void **state)
{
    static char text[3 * CONF_LINE_MAX];
    conf_scan_state_t st = {0};
    rec_t r = {{0}};

    /* a line of exactly the limit passes, one byte more does not */
    memset(text, ' ', sizeof(text));
    text[0] = text[CONF_LINE_MAX + 1] = '\n';
    assert_true(conf_scan(text, CONF_LINE_MAX + 2, &st, &ops, &r));
    assert_string_equal(r.out, "");
    text[CONF_LINE_MAX + 1] = ' ';
    text[CONF_LINE_MAX + 2] = '\n';
    assert_false(conf_scan(text, CONF_LINE_MAX + 3, &st, &ops, &r));
    assert_string_equal(r.out, "too long: a line@2 ");
    /* a quoted string of short lines, longer than the limit in all */
    memset(&r, 0, sizeof(r));
    memcpy(text, "x = \"", 5);
    for (size_t i = 5; i < sizeof(text) - 2; i++)
        text[i] = i % 10 ? 'a' : '\n';
    text[sizeof(text) - 2] = '"';
    text[sizeof(text) - 1] = '\n';
    assert_false(conf_scan(text, sizeof(text), &st, &ops, &r));
    assert_string_equal(r.out, "too long: a quoted string@1 ");
    conf_scan_state_clear(&st);
}

static int setup(void **state)
{
    char conf[] = "/tmp/test_conf_scan_settings.XXXXXX";
    int fd = mkstemp(conf);

    if (fd < 0)
        return -1;
    close(fd);
    dbg_default_set_level(LEVEL_SILENT);
    bool ok = library_init(conf, "test_conf_scan");
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
        cmocka_unit_test(test_includes),     cmocka_unit_test(test_lexer_corners),
        cmocka_unit_test(test_across_files), cmocka_unit_test(test_secrets_and_sections),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
