/*
 * Unit tests of conf_scan, the scan that finds include statements and
 * secrets before libstrongswan's parser reads a file: fixed cases of the
 * lexer's rules, and random files compared with what the parser itself opens
 * (watched with inotify): the scan must find every file the parser opens
 * (else a FIFO could slip through unchecked), and no other when the file
 * parses.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cmocka.h>

#include <library.h>
#include <settings/settings.h>

#include "conf_scan.h"

/* what a scan reported, as one line per finding */
typedef struct {
    char out[4096];
    const char *dir; /* when set, includes are globbed in dir and the matches recorded */
    char opened[4096];
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
    rec_t *r = ctx;

    add(r->out, "inc[%s]@%u ", pattern, line);
    if (r->dir) {
        char *pat;
        glob_t g;
        assert_true(asprintf(&pat, "%s/%s", r->dir, pattern) > 0);
        if (glob(pat, GLOB_ERR, NULL, &g) == 0)
            for (size_t i = 0; i < g.gl_pathc; i++)
                add(r->opened, "%s|", strrchr(g.gl_pathv[i], '/') + 1);
        globfree(&g);
        free(pat);
    }
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
}

/* random files of tricky fragments; N is replaced by a file number */
#define ROUNDS 1000

static const char *fragments[] = {
    "include fN.conf\n",
    "include \"fN.conf\"\n",
    "include s\\ p.conf\n",
    "include \"s p.conf\"\n",
    "key = include fN.conf\n",
    "key = \"x include fN.conf\"\n",
    "# include fN.conf\n",
    "sec {\n",
    "t : sec {\n",
    "include fN.conf # c\n",
    "k2 = \"a\\\ninclude fN.conf\"\n",
    "inc {include fN.conf}\n",
    "include\tf[0-2].conf\n",
    "includex = 1\n",
    "}\n",
    "k3 = v # include fN.conf\n",
    "include fN.conf}\n",
    "x=\"}\" include fN.conf\n",
    "a : include fN.conf {\n",
    "include \"fN.conf\n",
    "q = \"\\\"\" \ninclude fN.conf\n",
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* the names of the files the parser opened in dir, read from inotify */
static void parser_opened(int fd, char *out)
{
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0)
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->len && strcmp(ev->name, "main.conf") != 0)
                add(out, "%s|", ev->name);
            p += sizeof(*ev) + ev->len;
        }
}

/* "a|b|a|" -> "a|b|": sorted unique names, for comparing sets */
static void normalize(const char *in, char *out)
{
    char words[64][64];
    int n = 0;
    char copy[4096], *save, *w;

    snprintf(copy, sizeof(copy), "%s", in);
    for (w = strtok_r(copy, "|", &save); w && n < 64; w = strtok_r(NULL, "|", &save)) {
        bool seen = false;
        for (int i = 0; i < n; i++)
            seen = seen || strcmp(words[i], w) == 0;
        if (!seen)
            snprintf(words[n++], sizeof(words[0]), "%s", w);
    }
    qsort(words, n, sizeof(words[0]), (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        add(out, "%s|", words[i]);
}

static void test_against_parser(void **state)
{
    char dir[] = "/tmp/test_conf_scan.XXXXXX", path[128], text[4096];
    int compared = 0;

    assert_non_null(mkdtemp(dir));
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof(path), "%s/f%d.conf", dir, i);
        write_file(path, "k = v\n");
    }
    snprintf(path, sizeof(path), "%s/s p.conf", dir);
    write_file(path, "k = v\n");
    /* one inotify instance for all rounds (closing one waits for an RCU grace period) */
    int fd = inotify_init1(IN_NONBLOCK);
    assert_true(fd >= 0);
    assert_true(inotify_add_watch(fd, dir, IN_OPEN) >= 0);
    srand(7);
    for (int round = 0; round < ROUNDS; round++) {
        int depth = 0, n = 4 + rand() % 10;
        text[0] = '\0';
        for (int i = 0; i < n; i++) {
            const char *f = fragments[rand() % (sizeof(fragments) / sizeof(fragments[0]))];
            if (strchr(f, '}') && !strchr(f, '{') && !strchr(f, '"') && depth == 0)
                continue; /* keep the braces mostly balanced: more files parse */
            for (const char *c = f; *c; c++)
                if (*c == 'N')
                    add(text, "%d", rand() % 8);
                else
                    add(text, "%c", *c);
            depth += (strchr(f, '{') != NULL) - (strcmp(f, "}\n") == 0);
        }
        while (depth-- > 0)
            add(text, "}\n");
        snprintf(path, sizeof(path), "%s/main.conf", dir);
        write_file(path, text);

        rec_t r;
        memset(&r, 0, sizeof(r));
        r.dir = dir;
        conf_scan_state_t st = {0};
        assert_true(conf_scan(text, strlen(text), &st, &ops, &r));

        char opened[4096] = "", want[4096], got[4096];
        parser_opened(fd, opened); /* drops the events of writing main.conf */
        opened[0] = '\0';
        settings_t *s = settings_create(NULL);
        bool parsed = s->load_files(s, path, FALSE);
        s->destroy(s);
        parser_opened(fd, opened);

        normalize(opened, want);
        normalize(r.opened, got);
        if (parsed) {
            if (strcmp(want, got) != 0)
                fail_msg("parser opened [%s], scan found [%s] in:\n%s", want, got, text);
            compared++;
        } else {
            /* a file that does not parse: the parser stops early, the scan may find more */
            char *save, copy[4096];
            snprintf(copy, sizeof(copy), "%s", want);
            char hay[4200], needle[80];
            snprintf(hay, sizeof(hay), "|%s", got);
            for (char *w = strtok_r(copy, "|", &save); w; w = strtok_r(NULL, "|", &save))
                if (snprintf(needle, sizeof(needle), "|%s|", w) > 0 && !strstr(hay, needle))
                    fail_msg("parser opened %s, the scan missed it in:\n%s", w, text);
        }
    }
    close(fd);
    print_message("%d of %d random files parsed and matched exactly\n", compared, ROUNDS);
    assert_true(compared > ROUNDS / 5);
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof(path), "%s/f%d.conf", dir, i);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/s p.conf", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/main.conf", dir);
    unlink(path);
    rmdir(dir);
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
        cmocka_unit_test(test_includes),
        cmocka_unit_test(test_secrets_and_sections),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_against_parser),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
