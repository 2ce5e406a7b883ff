/*
 * conf_scan against libstrongswan's own parser, on random files: fragments
 * of tricky syntax, mutated byte by byte with NUL, CR, backslashes, quotes,
 * blanks, '#', braces and newlines, some files without a final newline. The
 * files the parser opens are watched with inotify; the scan (which follows
 * the includes it finds into fixture files, with one state as conf_files
 * does) must find every one of them (else a FIFO could slip through
 * unchecked), and no other when the file parses. When the parser loaded a
 * key named `secret` or content in `secrets`, the scan must have seen a
 * secret (else a world-readable PSK passes the permission check).
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

/*
 * libstrongswan 5.9.8 leaks its lexer's buffers when a syntax error stops
 * the parse inside nested includes (`include "a"b` then `include inc.conf`,
 * which includes f1.conf): not tunneld's code, so the parser's allocations
 * here are not leak-checked (everything else is).
 */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#define PARSER_BEGIN() __lsan_disable()
#define PARSER_END()   __lsan_enable()
#else
#define PARSER_BEGIN()
#define PARSER_END()
#endif

#define ROUNDS  4000
#define TEXTMAX 4096

/* files the includes may name: N is replaced by a digit in fragments */
static const struct {
    const char *name, *text;
} fixtures[] = {
    {"f0.conf", "k = v\n"},
    {"f1.conf", "k = v\n"},
    {"f2.conf", "k = v\n"},
    {"f3.conf", "k = v\n"},
    {"f0.confx", "k = v\n"},
    {"f1.confx", "k = v\n"},
    {"s p.conf", "k = v\n"},
    {"ab", "k = v\n"},
    {"a\\", "k = v\n"},
    {"x", "k = v\n"},
    {"name.conf", "secrets\n"},            /* a section name whose '{' is in the includer */
    {"val.conf", "= v-secret\n"},          /* a value whose key name is in the includer */
    {"open.conf", "secrets {\n"},          /* a section the includer closes */
    {"sec.conf", "secret = s3\n"},         /* a key named secret */
    {"ref.conf", "r : t"},                 /* ends reading references: the includer goes on */
    {"inc.conf", "include f1.conf\n"},     /* nested */
    {"tail.conf", "# c\rinclude f2.conf"}, /* a comment ends at CR when no newline follows */
};

/* a fragment, its length (some hold a NUL byte), the sections it opens (or closes) */
#define F(s)                                                                                       \
    {                                                                                              \
        s, sizeof(s) - 1, 0                                                                        \
    }
#define B(s, d)                                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1, d                                                                        \
    }

static const struct {
    const char *s;
    size_t n;
    int braces;
} fragments[] = {
    F("include fN.conf\n"),
    F("include \"fN.conf\"\n"),
    F("include s\\ p.conf\n"),
    F("include \"s p.conf\"\n"),
    F("key = include fN.conf\n"),
    F("key = \"x include fN.conf\"\n"),
    F("# include fN.conf\n"),
    B("sec {\n", 1),
    B("t : sec {\n", 1),
    F("include fN.conf # c\n"),
    F("k2 = \"a\\\ninclude fN.conf\"\n"),
    F("inc {include fN.conf}\n"),
    F("include\tf[0-2].conf\n"),
    F("includex = 1\n"),
    B("}\n", -1),
    F("k3 = v # include fN.conf\n"),
    B("include fN.conf}\n", -1),
    F("x=\"}\" include fN.conf\n"),
    B("a : include fN.conf {\n", 1),
    F("q = \"\\\"\" \ninclude fN.conf\n"),
    /* the hostile review's cases and their neighbours */
    F("include fN.conf\0\"x\"\n"),
    F("# c\rinclude fN.conf"),
    F("# c\rinclude fN.conf\n"),
    F(" # c\rinclude fN.conf\n"),
    F("k6 = v  # c\rinclude fN.conf\n"),
    F("include \"a\\\0b\"\n"),
    F("include a\\\0b\n"),
    F("include a\\\\\n"),
    F("include a\"b\"\n"),
    F("k4 = \"a\\\r\nb\"\n"),
    F("k5 = \"a\\\rb\"\n"),
    F("k7 = \"a\0\"include fN.conf\n"),
    B("secrets\0 {\n", 1),
    F("secret\0 = x\n"),
    B("secrets {\n", 1),
    B("ike-a {\n", 1),
    F("secret = y\n"),
    F("secret include val.conf\n"),
    B("include name.conf\n{\n", 1),
    B("include open.conf\n", 1),
    F("include sec.conf\n"),
    B("include ref.conf\n, sec {\n", 1),
    F("include inc.conf\n"),
    F("include tail.conf\n"),
};

/* fragments that make a file fail to parse: at most one per file */
static const struct {
    const char *s;
    size_t n;
    int braces;
} broken[] = {
    F("include  = fN.conf\n"),
    F("include \t= x\n"),
    B("x : a.b. {\n", 1),
    F("\"\n"),
    F("include ref.conf\ninclude fN.conf\n"),
    F("include \"a\"b\n"),
    F("include \"fN.conf\n"),
};

/* bytes a mutation inserts or writes */
static const char mutants[] = {'\0', '\r', '\\', '"', ' ', '\t', '#', '\n', '{', '}', '=', ':'};

typedef struct {
    char dir[64];
    char opened[4096]; /* names of the files the scan's includes matched, '|' separated */
    bool secret;       /* the scan saw a secret */
    int depth;
} rec_t;

static void add(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list args;

    va_start(args, fmt);
    vsnprintf(buf + len, size - len, fmt, args);
    va_end(args);
}

static const conf_scan_ops_t ops;

static bool on_include(void *ctx, const char *pattern, unsigned line, conf_scan_state_t *st)
{
    rec_t *r = ctx;
    char *pat;
    glob_t g;

    if (!pattern[0] || r->depth > 4)
        return true;
    assert_true(asprintf(&pat, "%s/%s", r->dir, pattern) > 0);
    if (glob(pat, GLOB_ERR, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const char *base = strrchr(g.gl_pathv[i], '/') + 1;
            add(r->opened, sizeof(r->opened), "%s|", base);
            /* scan it with the same state, as conf_files does */
            for (size_t f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); f++)
                if (strcmp(fixtures[f].name, base) == 0) {
                    r->depth++;
                    conf_scan(fixtures[f].text, strlen(fixtures[f].text), st, &ops, r);
                    r->depth--;
                }
        }
    globfree(&g);
    free(pat);
    return true;
}

static void on_secret(void *ctx, unsigned line)
{
    ((rec_t *)ctx)->secret = true;
}

static const conf_scan_ops_t ops = {.include = on_include, .secret = on_secret};

static void write_bytes(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* the names of the files the parser opened in dir, read from inotify */
static void parser_opened(int fd, char *out, size_t size)
{
    char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0)
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->len && strcmp(ev->name, "main.conf") != 0)
                add(out, size, "%s|", ev->name);
            p += sizeof(*ev) + ev->len;
        }
}

/* "a|b|a|" -> "a|b|": sorted unique names, for comparing sets */
static void normalize(const char *in, char *out, size_t size)
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
        add(out, size, "%s|", words[i]);
}

/* whether the parsed settings hold a key named secret, or content in top-level secrets */
static bool has_secret(settings_t *s, const char *path, int depth)
{
    enumerator_t *e;
    char *name, *value;
    bool found = false;

    if (depth == 1 && strcmp(path, "secrets") == 0) {
        e = s->create_key_value_enumerator(s, "%s", path);
        found = e->enumerate(e, &name, &value);
        e->destroy(e);
        e = s->create_section_enumerator(s, "%s", path);
        found = found || e->enumerate(e, &name);
        e->destroy(e);
    }
    e = s->create_key_value_enumerator(s, "%s", path);
    while (!found && e->enumerate(e, &name, &value))
        found = strcmp(name, "secret") == 0;
    e->destroy(e);
    e = s->create_section_enumerator(s, "%s", path);
    while (!found && depth < 8 && e->enumerate(e, &name)) {
        char *sub;
        if (!*name)
            continue; /* a name cut at a leading NUL: no key reaches it */
        assert_true(asprintf(&sub, "%s%s%s", path, *path ? "." : "", name) > 0);
        found = has_secret(s, sub, depth + 1);
        free(sub);
    }
    e->destroy(e);
    return found;
}

/* text for a failure message: control bytes as \xNN */
static const char *shown(const char *text, size_t len)
{
    static char out[4 * TEXTMAX + 1];
    size_t o = 0;

    for (size_t i = 0; i < len && o + 5 < sizeof(out); i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n' || (c >= 0x20 && c < 0x7f))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
    }
    out[o] = '\0';
    return out;
}

/* a random file: fragments (N a digit), some mutated, braces mostly closed */
static size_t random_text(char *text)
{
    size_t len = 0;
    int depth = 0, n = 4 + rand() % 10, mutate = rand() % 2; /* half of the files unmutated */
    int broken_at = rand() % 3 ? -1 : rand() % n;            /* a third with one broken fragment */

    for (int i = 0; i < n; i++) {
        size_t k = (size_t)rand() % (sizeof(fragments) / sizeof(fragments[0]));
        const char *f = fragments[k].s;
        size_t fl = fragments[k].n;
        int braces = fragments[k].braces;
        char frag[80];

        if (i == broken_at) {
            k = (size_t)rand() % (sizeof(broken) / sizeof(broken[0]));
            f = broken[k].s;
            fl = broken[k].n;
            braces = broken[k].braces;
        }
        if (depth + braces < 0)
            continue; /* keep the braces balanced: more files parse */
        depth += braces;
        for (size_t c = 0; c < fl; c++)
            frag[c] = f[c] == 'N' ? (char)('0' + rand() % 4) : f[c];
        /* a third of them mutated: a byte inserted or overwritten, once or twice */
        for (int m = mutate && rand() % 3 == 0 ? 1 + rand() % 2 : 0; m > 0; m--) {
            size_t at = (size_t)rand() % (fl + 1);
            if (rand() % 2 || at == fl) {
                memmove(frag + at + 1, frag + at, fl - at);
                fl++;
            }
            frag[at] = mutants[rand() % sizeof(mutants)];
        }
        if (len + fl + 64 > TEXTMAX)
            break;
        memcpy(text + len, frag, fl);
        len += fl;
    }
    while (depth-- > 0) {
        memcpy(text + len, "}\n", 2);
        len += 2;
    }
    if (len && rand() % 3 == 0 && text[len - 1] == '\n')
        len--; /* no final newline */
    return len;
}

static void check_round(const char *dir, int fd, const char *text, size_t len, int *compared)
{
    char path[128], opened[4096] = "", want[4096], got[4096];
    rec_t r;
    conf_scan_state_t st = {0};

    snprintf(path, sizeof(path), "%s/main.conf", dir);
    write_bytes(path, text, len);
    memset(&r, 0, sizeof(r));
    snprintf(r.dir, sizeof(r.dir), "%s", dir);
    assert_true(conf_scan(text, len, &st, &ops, &r));
    conf_scan_state_clear(&st);

    parser_opened(fd, opened, sizeof(opened)); /* drops the events of writing main.conf */
    opened[0] = '\0';
    PARSER_BEGIN();
    settings_t *s = settings_create(NULL);
    bool parsed = s->load_files(s, path, FALSE);
    PARSER_END();
    parser_opened(fd, opened, sizeof(opened));
    bool secret = parsed && has_secret(s, "", 0);
    s->destroy(s);

    normalize(opened, want, sizeof(want));
    normalize(r.opened, got, sizeof(got));
    if (secret && !r.secret)
        fail_msg("the parser loaded a secret, the scan saw none in:\n%s", shown(text, len));
    if (parsed) {
        if (strcmp(want, got) != 0)
            fail_msg("parser opened [%s], scan found [%s] in:\n%s", want, got, shown(text, len));
        (*compared)++;
        return;
    }
    /* a file that does not parse: the parser stops early, the scan may find more */
    char *save, copy[4096], hay[4200], needle[80];
    snprintf(copy, sizeof(copy), "%s", want);
    snprintf(hay, sizeof(hay), "|%s", got);
    for (char *w = strtok_r(copy, "|", &save); w; w = strtok_r(NULL, "|", &save))
        if (snprintf(needle, sizeof(needle), "|%s|", w) > 0 && !strstr(hay, needle))
            fail_msg("parser opened %s, the scan missed it in:\n%s", w, shown(text, len));
}

static void test_against_parser(void **state)
{
    char dir[] = "/tmp/test_conf_scan_random.XXXXXX", path[128];
    static char text[TEXTMAX];
    int compared = 0;
    size_t n_fix = sizeof(fixtures) / sizeof(fixtures[0]);

    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < n_fix; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, fixtures[i].name);
        write_bytes(path, fixtures[i].text, strlen(fixtures[i].text));
    }
    /* one inotify instance for all rounds (closing one waits for an RCU grace period) */
    int fd = inotify_init1(IN_NONBLOCK);
    assert_true(fd >= 0);
    assert_true(inotify_add_watch(fd, dir, IN_OPEN) >= 0);
    srand(7);
    for (int round = 0; round < ROUNDS; round++)
        check_round(dir, fd, text, random_text(text), &compared);
    close(fd);
    print_message("%d of %d random files parsed and matched exactly\n", compared, ROUNDS);
    assert_true(compared > ROUNDS / 5);
    for (size_t i = 0; i < n_fix; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, fixtures[i].name);
        unlink(path);
    }
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
    bool ok = library_init(conf, "test_conf_scan_random");
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
        cmocka_unit_test(test_against_parser),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
