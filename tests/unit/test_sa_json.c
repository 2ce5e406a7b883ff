/*
 * Unit tests of tunnelctl's reading and printing of control socket replies:
 * json_reader (strict JSON), sa_json_parse_text and routes_json_parse
 * (schema checks, error paths), text_escape and json_writer (what reaches a
 * terminal), and the agreement of tunnelctl's -j writer with tunneld's
 * renderer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_reader.h"
#include "json_writer.h"
#include "output.h"
#include "routes_json.h"
#include "sa_json.h"
#include "text_escape.h"

/* the error of parsing an SA document, or NULL if it parsed */
static char *sa_error(const char *text)
{
    sa_ike_rec_t *rows;
    char *err = NULL;
    long n = sa_json_parse_text(text, strlen(text), &rows, &err);

    if (n >= 0) {
        sa_table_snapshot_free(rows, (size_t)n);
        return NULL;
    }
    assert_non_null(err);
    return err;
}

static void assert_sa_error(const char *text, const char *want)
{
    char *err = sa_error(text);

    if (!err)
        fail_msg("parsed, expected the error: %s\ninput: %s", want, text);
    if (strcmp(err, want) != 0)
        fail_msg("error:    %s\nexpected: %s\ninput: %s", err, want, text);
    free(err);
}

static char *routes_error(const char *text)
{
    routes_doc_t doc;
    char *err = NULL;

    if (routes_json_parse(text, strlen(text), &doc, &err) == 0) {
        routes_doc_free(&doc);
        return NULL;
    }
    assert_non_null(err);
    return err;
}

static void assert_routes_error(const char *text, const char *want)
{
    char *err = routes_error(text);

    if (!err)
        fail_msg("parsed, expected the error: %s\ninput: %s", want, text);
    if (strcmp(err, want) != 0)
        fail_msg("error:    %s\nexpected: %s\ninput: %s", err, want, text);
    free(err);
}

#define IKE_FIELDS                                                                                 \
    "\"state\":\"up\",\"unique_id\":4,\"local_addr\":\"198.51.100.1\",\"remote_addr\":"            \
    "\"203.0.113.10\",\"local_id\":\"a\",\"remote_id\":\"b\",\"proposal\":\"p\",\"established\":"  \
    "7,\"rekeys\":1,\"last_down\":null"
#define CHILD_FIELDS                                                                               \
    "\"state\":\"up\",\"unique_id\":6,\"reqid\":1,\"if_id_in\":2,\"if_id_out\":3,\"spi_in\":"      \
    "\"c1e2315d\",\"spi_out\":\"00000001\",\"local_ts\":\"100.64.1.0/24\",\"remote_ts\":"          \
    "\"100.64.2.0/24\",\"proposal\":\"AES\",\"established\":8,\"rekeys\":2,\"bytes_in\":"          \
    "18446744073709551615,\"bytes_out\":1,\"packets_in\":2,\"packets_out\":3,\"last_down\":{"      \
    "\"reason\":\"ts-mismatch\",\"detail\":\"d\",\"time\":9}"
#define DOC(rows) "{\"version\":1,\"sas\":[" rows "]}"

static void test_sa_parse_fields(void **state)
{
    const char *text =
        DOC("{\"name\":\"azure\"," IKE_FIELDS ",\"children\":[{\"name\":\"s\"," CHILD_FIELDS "}]}");
    sa_ike_rec_t *rows;
    char *err;

    assert_int_equal(sa_json_parse_text(text, strlen(text), &rows, &err), 1);
    assert_string_equal(rows[0].name, "azure");
    assert_int_equal(rows[0].state, SA_STATE_ESTABLISHED);
    assert_int_equal(rows[0].established, 7);
    assert_int_equal(rows[0].n_children, 1);
    const sa_child_rec_t *c = &rows[0].children[0];
    assert_int_equal(c->spi_in, 0xc1e2315d);
    assert_int_equal(c->if_id_out, 3);
    assert_true(c->counters.bytes_in == UINT64_MAX);
    assert_int_equal(c->last_down, SA_REASON_TS_MISMATCH);
    assert_string_equal(c->last_down_detail, "d");
    assert_int_equal(c->last_down_time, 9);
    sa_table_snapshot_free(rows, 1);
}

static void test_sa_schema_errors(void **state)
{
    static const struct {
        const char *in, *err;
    } cases[] = {
        {"{\"version\":1,\"sas\":\"x\"}", "sas: expected an array, got a string"},
        {"{\"sites\":\"x\"}", "document: missing key \"version\""},
        {"[]", "document: expected an object, got an array"},
        {"", "document: expected an object, got the end of the reply"},
        {DOC("{}"), "sas[0]: missing key \"name\""},
        {DOC("{\"name\":5}"), "sas[0].name: expected a string, got a number"},
        {DOC("{\"name\":\"a\",\"state\":\"bogus\"}"),
         "sas[0].state: expected one of: idle, connecting, up, rekeying, deleting, down, "
         "config-error"},
        {DOC("{\"name\":\"a\"," IKE_FIELDS ",\"children\":{}}"),
         "sas[0].children: expected an array, got an object"},
        {DOC("{\"name\":\"a\"," IKE_FIELDS ",\"children\":[{\"name\":\"c\",\"spi_in\":\"zz\"}]}"),
         "sas[0].children[0].spi_in: expected 8 lowercase hex digits"},
        {DOC("{\"name\":\"a\",\"unique_id\":4294967296}"),
         "sas[0].unique_id: expected an integer from 0 to 4294967295"},
        {DOC("{\"name\":\"a\",\"unique_id\":-1}"),
         "sas[0].unique_id: expected an integer from 0 to 4294967295"},
        {DOC("{\"name\":\"a\",\"unique_id\":1e2}"),
         "sas[0].unique_id: expected an integer, got a number with a fraction or exponent"},
        {DOC("{\"name\":\"a\",\"last_down\":{\"reason\":\"none\"}}"),
         "sas[0].last_down.reason: expected one of: dpd-timeout, auth-failed, "
         "proposal-mismatch, ts-mismatch, deleted-by-peer, unreachable, deleted-locally, "
         "expired, install-failed, shutdown, config, identity-mismatch"},
        {DOC("{\"name\":\"a\",\"last_down\":[]}"),
         "sas[0].last_down: expected an object or null, got an array"},
        {DOC("{\"name\":\"a\",\"name\":\"b\"}"), "sas[0].name: duplicate key"},
        {"{\"version\":2,\"sas\":[]}",
         "version: expected 1, got 2 (tunneld and tunnelctl of different releases?)"},
        {"{\"version\":1,\"sas\":[]}x",
         "document: invalid JSON at byte 22: data after the end of the document"},
        {"{\"version\":1,\"sas\":[1,]}", "sas[0]: expected an object, got a number"},
        {"{\"version\":1 \"sas\":[]}", "document: invalid JSON at byte 13: ',' or '}' expected"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_sa_error(cases[i].in, cases[i].err);
}

/* a name that does not fit its row is refused, never cut */
static void test_sa_string_limits(void **state)
{
    char name[SA_NAME_MAX + 1], text[1024];
    char *err;

    memset(name, 'n', SA_NAME_MAX - 1);
    name[SA_NAME_MAX - 1] = '\0';
    snprintf(text, sizeof(text), DOC("{\"name\":\"%s\"," IKE_FIELDS ",\"children\":[]}"), name);
    assert_null(sa_error(text));
    snprintf(text, sizeof(text), DOC("{\"name\":\"%sn\"," IKE_FIELDS ",\"children\":[]}"), name);
    err = sa_error(text);
    assert_string_equal(err, "sas[0].name: string of 64 bytes, longer than the limit of 63");
    free(err);
    /* escapes count as the bytes they decode to */
    snprintf(text, sizeof(text), DOC("{\"name\":\"%s\\u00e9\"}"), name + 1);
    err = sa_error(text);
    assert_string_equal(err, "sas[0].name: string of 64 bytes, longer than the limit of 63");
    free(err);
}

static void test_reader_strings(void **state)
{
    static const struct {
        const char *in, *out;
    } good[] = {
        {"\"a\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\\b\\f\\r\\t\"",
         "a\xc3\xa9\xf0\x9f\x98\x80\n\"\\/\b\f\r\t"},
        {"\"\xff\xfe raw bytes kept\"", "\xff\xfe raw bytes kept"},
        {"\"\"", ""},
    };
    static const struct {
        const char *in, *err;
    } bad[] = {
        {"\"\\ud800\"", "invalid JSON at byte 1: high surrogate without its low surrogate"},
        {"\"\\udc00\"", "invalid JSON at byte 1: lone low surrogate"},
        {"\"a\\u0000\"", "invalid JSON at byte 2: \\u0000 in a string"},
        {"\"\x1b\"", "invalid JSON at byte 1: raw control character"},
        {"\"\\x\"", "invalid JSON at byte 1: invalid escape"},
        {"\"abc", "invalid JSON at byte 0: unterminated string"},
        {"\"\\u12\"", "invalid JSON at byte 1: \\u needs 4 hex digits"},
    };
    json_reader_t r;
    const char *s;
    size_t len;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        jr_init(&r, good[i].in, strlen(good[i].in));
        assert_true(jr_string(&r, &s, &len));
        assert_int_equal(len, strlen(good[i].out));
        assert_memory_equal(s, good[i].out, len);
        assert_true(jr_end(&r));
        jr_free(&r);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jr_init(&r, bad[i].in, strlen(bad[i].in));
        assert_false(jr_string(&r, &s, &len));
        if (!strstr(jr_error(&r), bad[i].err))
            fail_msg("error %s, expected %s", jr_error(&r), bad[i].err);
        jr_free(&r);
    }
}

static void test_reader_numbers(void **state)
{
    json_reader_t r;
    int64_t v;
    uint64_t u;

    jr_init(&r, "-9223372036854775808", 20);
    assert_true(jr_int(&r, INT64_MIN, INT64_MAX, &v));
    assert_true(v == INT64_MIN);
    jr_free(&r);
    jr_init(&r, "9223372036854775808", 19);
    assert_false(jr_int(&r, INT64_MIN, INT64_MAX, &v));
    jr_free(&r);
    jr_init(&r, "18446744073709551616", 20);
    assert_false(jr_uint(&r, UINT64_MAX, &u));
    jr_free(&r);
    jr_init(&r, "-0", 2);
    assert_true(jr_uint(&r, 5, &u));
    assert_int_equal(u, 0);
    jr_free(&r);
    /* a leading zero ends the number: what follows is not a separator */
    jr_init(&r, "[01]", 4);
    assert_true(jr_array(&r));
    assert_true(jr_element(&r));
    assert_true(jr_uint(&r, 5, &u));
    assert_false(jr_element(&r));
    assert_non_null(strstr(jr_error(&r), "',' or ']' expected"));
    jr_free(&r);
    /* skipped numbers are checked too */
    jr_init(&r, "[1.,2]", 6);
    assert_false(jr_skip(&r));
    assert_non_null(strstr(jr_error(&r), "invalid number"));
    jr_free(&r);
}

static void test_reader_depth(void **state)
{
    char deep[2 * JR_MAX_DEPTH + 8];
    json_reader_t r;

    for (int n = JR_MAX_DEPTH; n <= JR_MAX_DEPTH + 1; n++) {
        memset(deep, '[', (size_t)n);
        memset(deep + n, ']', (size_t)n);
        jr_init(&r, deep, 2 * (size_t)n);
        assert_int_equal(jr_skip(&r), n == JR_MAX_DEPTH);
        if (n > JR_MAX_DEPTH)
            assert_non_null(strstr(jr_error(&r), "nested deeper than 32 levels"));
        jr_free(&r);
    }
}

#define PATH_FIELDS                                                                                \
    "\"dev\":\"er0\",\"gateway4\":null,\"gateway6\":\"2001:db8::1\",\"priority\":-3,\"weight\":"   \
    "2,\"usable\":null,\"child\":\"a.b\",\"child_up\":false"

static void test_routes_parse(void **state)
{
    const char *text = "{\"version\":1,\"table\":4294967295,\"protocol\":255,\"sites\":[{\"name\":"
                       "\"azure\",\"paths\":[{\"name\":\"p\"," PATH_FIELDS
                       "}]},{\"name\":\"e\",\"paths\":[]}],\"problems\":[\"x\",\"\"]}";
    routes_doc_t doc;
    char *err;

    assert_int_equal(routes_json_parse(text, strlen(text), &doc, &err), 0);
    assert_true(doc.has_table && doc.table == 4294967295u);
    assert_int_equal(doc.protocol, 255);
    assert_int_equal(doc.n_sites, 2);
    const routes_path_t *p = &doc.sites[0].paths[0];
    assert_string_equal(p->dev, "er0");
    assert_null(p->gateway4);
    assert_string_equal(p->gateway6, "2001:db8::1");
    assert_int_equal(p->priority, -3);
    assert_int_equal(p->usable, RJ_NULL);
    assert_int_equal(p->child_up, RJ_FALSE);
    assert_int_equal(doc.sites[1].n_paths, 0);
    assert_true(doc.has_problems);
    assert_int_equal(doc.n_problems, 2);
    assert_string_equal(doc.problems[1], "");
    routes_doc_free(&doc);

    text = "{\"version\":1,\"sites\":[]}";
    assert_int_equal(routes_json_parse(text, strlen(text), &doc, &err), 0);
    assert_false(doc.has_problems || doc.has_table || doc.has_protocol);
    routes_doc_free(&doc);
}

static void test_routes_schema_errors(void **state)
{
    static const struct {
        const char *in, *err;
    } cases[] = {
        {"{\"sites\":\"x\"}", "sites: expected an array, got a string"},
        {"{\"version\":1,\"sites\":[\"x\"]}", "sites[0]: expected an object, got a string"},
        {"{\"version\":1,\"sites\":[{\"name\":\"a\",\"paths\":\"x\"}]}",
         "sites[0].paths: expected an array, got a string"},
        {"{\"version\":1,\"sites\":[{\"name\":\"a\",\"paths\":[{\"name\":\"p\",\"usable\":1}]}]}",
         "sites[0].paths[0].usable: expected a boolean or null, got a number"},
        {"{\"version\":1,\"sites\":[{\"name\":\"a\",\"paths\":[{\"name\":\"p\",\"gateway4\":{}}]}]"
         "}",
         "sites[0].paths[0].gateway4: expected a string or null, got an object"},
        {"{\"version\":1,\"sites\":[{\"name\":\"a\",\"paths\":[{\"name\":\"p\"}]}]}",
         "sites[0].paths[0]: missing key \"dev\""},
        {"{\"version\":1,\"sites\":[],\"problems\":[null]}",
         "problems[0]: expected a string, got null"},
        {"{\"version\":1,\"sites\":[],\"problems\":{}}",
         "problems: expected an array, got an object"},
        {"{\"version\":1,\"sites\":[],\"protocol\":256}",
         "protocol: expected an integer from 0 to 255"},
        {"{\"version\":1,\"sites\":[]", "document: invalid JSON at byte 23: ',' or '}' expected"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_routes_error(cases[i].in, cases[i].err);
}

/* what text_put / json_writer write for s */
static char *escaped(const char *s, bool json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_writer_t w;

    assert_non_null(f);
    if (json) {
        jw_init(&w, f);
        jw_string(&w, s);
    } else {
        text_put(f, s);
    }
    fclose(f);
    return buf;
}

static void test_escaping(void **state)
{
    static const struct {
        const char *in, *text, *json;
    } cases[] = {
        {"plain é中", "plain é中", "\"plain é中\""},
        {"\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07", "\"\\u001b]52;c;aGk=\\u0007\""},
        {"a\\b\"c", "a\\\\b\"c", "\"a\\\\b\\\"c\""},
        {"\n\t\x7f", "\\x0a\\x09\\x7f", "\"\\n\\t\\u007f\""},
        {"\xc2\x9b"
         "31m",
         "\\u009b31m", "\"\\u009b31m\""},
        {"\xe2\x80\xae"
         "exe",
         "\\u202eexe", "\"\\u202eexe\""},
        {"\xff\xc3(\xed\xa0\x80", "\\xff\\xc3(\\xed\\xa0\\x80",
         "\"\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\""},
        {"\xf3\xa0\x80\x81tag", "\\ue0001tag", "\"\\udb40\\udc01tag\""},
        {"%s%n", "%s%n", "\"%s%n\""},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *t = escaped(cases[i].in, false), *j = escaped(cases[i].in, true);
        assert_string_equal(t, cases[i].text);
        assert_string_equal(j, cases[i].json);
        /* what json_writer writes is JSON that reads back */
        json_object *o = json_tokener_parse(j);
        assert_non_null(o);
        assert_true(json_object_is_type(o, json_type_string));
        json_object_put(o);
        free(t);
        free(j);
    }
}

static void test_text_field_width(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    text_field(f, "é中", 4);
    fputc('|', f);
    text_field(f, "\x1b", 2);
    fputc('|', f);
    fclose(f);
    /* columns, not bytes; escapes count as printed */
    assert_string_equal(buf, "é中  |\\x1b|");
    free(buf);
}

/* tunnelctl -j writes the very document tunneld renders */
static void test_writer_matches_render(void **state)
{
    const char *text =
        DOC("{\"name\":\"a\\u001b\"," IKE_FIELDS ",\"children\":[{\"name\":\"s\"," CHILD_FIELDS
            "}]},{\"name\":\"b\"," IKE_FIELDS ",\"children\":[]}");
    sa_ike_rec_t *rows;
    char *err, *buf = NULL;
    size_t len = 0;

    long n = sa_json_parse_text(text, strlen(text), &rows, &err);
    assert_int_equal(n, 2);
    FILE *f = open_memstream(&buf, &len);
    output_json.sa(f, rows, (size_t)n);
    fclose(f);
    json_object *written = json_tokener_parse(buf), *rendered = sa_json_render(rows, (size_t)n);
    assert_non_null(written);
    if (!json_object_equal(written, rendered))
        fail_msg("-j output differs from tunneld's: %s\nvs %s", buf,
                 json_object_to_json_string(rendered));
    /* and it parses back into the same rows */
    sa_ike_rec_t *back;
    assert_int_equal(sa_json_parse_text(buf, len, &back, &err), 2);
    assert_string_equal(back[0].name, "a\x1b");
    assert_true(back[0].children[0].counters.bytes_in == UINT64_MAX);
    sa_table_snapshot_free(back, 2);
    json_object_put(written);
    json_object_put(rendered);
    free(buf);
    sa_table_snapshot_free(rows, (size_t)n);
}

/* the json-c entry point kept for tunneld's callers */
static void test_parse_json_object(void **state)
{
    json_object *doc = json_tokener_parse(DOC("{\"name\":\"a\"," IKE_FIELDS ",\"children\":[]}"));
    sa_ike_rec_t *rows;

    assert_int_equal(sa_json_parse(doc, &rows), 1);
    sa_table_snapshot_free(rows, 1);
    json_object_put(doc);
    doc = json_tokener_parse("{\"version\":1,\"sas\":\"x\"}");
    assert_int_equal(sa_json_parse(doc, &rows), -1);
    json_object_put(doc);
    assert_int_equal(sa_json_parse(NULL, &rows), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sa_parse_fields),
        cmocka_unit_test(test_sa_schema_errors),
        cmocka_unit_test(test_sa_string_limits),
        cmocka_unit_test(test_reader_strings),
        cmocka_unit_test(test_reader_numbers),
        cmocka_unit_test(test_reader_depth),
        cmocka_unit_test(test_routes_parse),
        cmocka_unit_test(test_routes_schema_errors),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_text_field_width),
        cmocka_unit_test(test_writer_matches_render),
        cmocka_unit_test(test_parse_json_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
