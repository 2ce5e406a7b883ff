/*
 * Unit tests of the SA records' texts (addresses, identities, traffic
 * selectors, proposals, details): values far past any size the records once
 * had (SA_TS_MAX and SA_TEXT_MAX were 256, SA_ID_MAX 128) are kept whole
 * through the table's updates, down reasons, snapshots, sa_events' details
 * and the JSON document both ways; copies are deep; texts handed out of the
 * table's lock are not the table's.
 */
#define _GNU_SOURCE /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output.h"
#include "sa_events.h"
#include "sa_json.h"

/* a text of len bytes: tag, then digits counting up, so that a cut or a mix-up shows */
static char *long_text(const char *tag, size_t len)
{
    char *s = malloc(len + 1);
    size_t n = strlen(tag);

    assert_non_null(s);
    memcpy(s, tag, n < len ? n : len);
    for (size_t i = n; i < len; i++)
        s[i] = (char)('0' + i % 10);
    s[len] = '\0';
    return s;
}

/* the long values of one test */
typedef struct {
    char *laddr, *raddr, *lid, *rid, *ike_prop, *lts, *rts, *child_prop, *detail, *pending;
} texts_t;

static texts_t make_texts(void)
{
    return (texts_t){
        .laddr = long_text("laddr", 300),
        .raddr = long_text("raddr", 301),
        .lid = long_text("C=US, O=lid", 5000),
        .rid = long_text("rid.example", 5001),
        .ike_prop = long_text("AES_GCM_16_256/", 700),
        .lts = long_text("100.64.1.0/29,", 20000),
        .rts = long_text("100.64.2.0/29,", 20001),
        .child_prop = long_text("AES_CBC_256/", 701),
        .detail = long_text("detail: ", 3000),
        .pending = long_text("pending: ", 4000),
    };
}

static void free_texts(texts_t *x)
{
    char **all[] = {&x->laddr, &x->raddr,      &x->lid,    &x->rid,     &x->ike_prop,
                    &x->lts,   &x->child_prop, &x->detail, &x->pending, &x->rts};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        free(*all[i]);
}

/* an IKE_SA and its CHILD_SA with every text set from x (lent to the table) */
static void load_long(sa_table_t *t, const texts_t *x)
{
    sa_ike_rec_t r;
    sa_child_rec_t c;
    const char *children[] = {"net"};

    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    sa_table_conn_loaded(t, "site", children, 1);
    snprintf(r.name, sizeof(r.name), "site");
    r.unique_id = 1;
    r.state = SA_STATE_ESTABLISHED;
    r.local_addr = x->laddr;
    r.remote_addr = x->raddr;
    r.local_id = x->lid;
    r.remote_id = x->rid;
    r.proposal = x->ike_prop;
    sa_table_ike_update(t, &r);
    snprintf(c.name, sizeof(c.name), "net");
    c.unique_id = 2;
    c.state = SA_STATE_ESTABLISHED;
    c.local_ts = x->lts;
    c.remote_ts = x->rts;
    c.proposal = x->child_prop;
    sa_table_child_update(t, "site", &c);
}

static void assert_ike_whole(const sa_ike_rec_t *r, const texts_t *x)
{
    assert_string_equal(r->local_addr, x->laddr);
    assert_string_equal(r->remote_addr, x->raddr);
    assert_string_equal(r->local_id, x->lid);
    assert_string_equal(r->remote_id, x->rid);
    assert_string_equal(r->proposal, x->ike_prop);
}

static void assert_child_whole(const sa_child_rec_t *c, const texts_t *x)
{
    assert_string_equal(c->local_ts, x->lts);
    assert_string_equal(c->remote_ts, x->rts);
    assert_string_equal(c->proposal, x->child_prop);
}

/* every text of a row, and the details of its downs, come back whole */
static void test_table_keeps_texts_whole(void **state)
{
    sa_table_t *t = sa_table_create();
    texts_t x = make_texts();
    sa_ike_rec_t *rows;

    (void)state;
    load_long(t, &x);
    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(n, 1);
    assert_ike_whole(&rows[0], &x);
    assert_int_equal(rows[0].n_children, 1);
    assert_child_whole(&rows[0].children[0], &x);
    sa_table_snapshot_free(rows, n);

    /* a CHILD_SA down with a long detail, then the IKE_SA with a long pending one */
    sa_table_child_down(t, "site", 1, "net", 2, SA_REASON_TS_MISMATCH, x.detail);
    n = sa_table_snapshot(t, &rows);
    assert_string_equal(rows[0].children[0].last_down_detail, x.detail);
    sa_table_snapshot_free(rows, n);
    sa_table_ike_pending_reason(t, "site", 1, SA_REASON_DPD_TIMEOUT, x.pending);
    sa_table_ike_down(t, "site", 1, SA_REASON_NONE, NULL);
    n = sa_table_snapshot(t, &rows);
    assert_int_equal(rows[0].last_down, SA_REASON_DPD_TIMEOUT);
    assert_string_equal(rows[0].last_down_detail, x.pending);
    sa_table_snapshot_free(rows, n);

    /* a configuration error's detail */
    sa_table_conn_error(t, "site", x.detail);
    n = sa_table_snapshot(t, &rows);
    assert_string_equal(rows[0].last_down_detail, x.detail);
    sa_table_snapshot_free(rows, n);
    assert_int_equal(sa_table_texts_lost(t), 0);
    sa_table_destroy(t);
    free_texts(&x);
}

/* a snapshot owns copies: the table changing or going away does not touch it */
static void test_snapshot_is_deep(void **state)
{
    sa_table_t *t = sa_table_create();
    texts_t x = make_texts();
    sa_ike_rec_t *rows;
    sa_ike_rec_t r;

    (void)state;
    load_long(t, &x);
    size_t n = sa_table_snapshot(t, &rows);
    /* the SA moves and the row's texts change, then the table goes */
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "site");
    r.unique_id = 1;
    r.state = SA_STATE_ESTABLISHED;
    r.local_id = "other";
    sa_table_ike_update(t, &r);
    sa_table_ike_endpoints(t, "site", 1, "192.0.2.1", "192.0.2.2");
    sa_table_destroy(t);
    assert_ike_whole(&rows[0], &x);
    assert_child_whole(&rows[0].children[0], &x);

    /* a copy of a copy is deep too */
    sa_ike_rec_t copy;
    assert_true(sa_ike_rec_copy(&copy, &rows[0]));
    sa_table_snapshot_free(rows, n);
    assert_ike_whole(&copy, &x);
    assert_child_whole(&copy.children[0], &x);
    sa_ike_rec_clear(&copy);
    assert_null(copy.local_id);
    assert_null(copy.children);
    free_texts(&x);
}

/* rows handed out by the calls that return them as they were carry no texts */
static void test_was_and_now_carry_no_texts(void **state)
{
    sa_table_t *t = sa_table_create();
    texts_t x = make_texts();
    sa_child_rec_t next, was, now;
    sa_ike_rec_t ike, ike_was;

    (void)state;
    load_long(t, &x);
    memset(&next, 0, sizeof(next));
    snprintf(next.name, sizeof(next.name), "net");
    next.unique_id = 3;
    next.state = SA_STATE_ESTABLISHED;
    next.local_ts = "100.64.1.0/24";
    assert_true(sa_table_child_follow(t, "site", 2, &next, &was));
    assert_int_equal(was.unique_id, 2);
    assert_null(was.local_ts);
    assert_null(was.proposal);

    /* the row is not up: reconciliation moves it, handing out no texts */
    sa_table_child_down(t, "site", 1, "net", 3, SA_REASON_DELETED_LOCALLY, x.detail);
    next.unique_id = 4;
    assert_true(sa_table_child_reconcile(t, "site", 1, &next, 1, &was, &now));
    assert_int_equal(was.unique_id, 3);
    assert_int_equal(now.unique_id, 4);
    assert_null(was.last_down_detail);
    assert_null(now.local_ts);

    memset(&ike, 0, sizeof(ike));
    snprintf(ike.name, sizeof(ike.name), "site");
    ike.unique_id = 1;
    ike.state = SA_STATE_REKEYING;
    assert_true(sa_table_ike_reconcile(t, &ike, &ike_was));
    assert_null(ike_was.local_id);
    assert_null(ike_was.children);
    sa_table_destroy(t);
    free_texts(&x);
}

static void test_text_set(void **state)
{
    char *s = NULL;
    const char *kept;

    (void)state;
    assert_true(sa_text_set(&s, "abc"));
    assert_string_equal(s, "abc");
    kept = s;
    assert_true(sa_text_set(&s, "abc"));
    assert_ptr_equal(s, kept); /* an equal value is not copied again */
    assert_true(sa_text_set(&s, ""));
    assert_null(s);
    assert_true(sa_text_set(&s, "x"));
    assert_true(sa_text_set(&s, NULL));
    assert_null(s);
    assert_string_equal(sa_text(NULL), "");
}

/* ---- sa_events: details naming long identities ---- */

static void log_ignore(void *ctx, const char *line)
{
    (void)ctx;
    (void)line;
}

static void test_identity_detail_whole(void **state)
{
    sa_table_t *t = sa_table_create();
    sa_events_t *e = sa_events_create(t, log_ignore, NULL);
    char *req = long_text("*.required.", 2000), *got = long_text("presented.", 2500), *want;
    sa_ike_rec_t facts, *rows;

    (void)state;
    memset(&facts, 0, sizeof(facts));
    facts.unique_id = 5;
    sa_event_t st = {.type = SA_EV_IKE_STATE,
                     .conn = "azure",
                     .ike_uid = 5,
                     .ike = &facts,
                     .ike_state = SA_EV_IKE_CONNECTING};
    sa_event_t al = {.type = SA_EV_ALERT,
                     .conn = "azure",
                     .ike_uid = 5,
                     .alert = SA_EV_ALERT_PEER_AUTH_FAILED,
                     .id_required = req,
                     .id_presented = got};
    sa_events_apply(e, &st);
    sa_events_apply(e, &al);
    st.ike_state = SA_EV_IKE_DESTROYING;
    sa_events_apply(e, &st);
    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].last_down, SA_REASON_IDENTITY_MISMATCH);
    assert_true(
        asprintf(&want, "the peer presented identity '%s', remote.id requires '%s'", got, req) > 0);
    assert_string_equal(rows[0].last_down_detail, want);
    free(want);
    sa_table_snapshot_free(rows, n);
    sa_events_destroy(e);
    sa_table_destroy(t);
    free(req);
    free(got);
}

/* ---- the JSON document: rendered by tunneld, read and printed by tunnelctl ---- */

static char *print_json(const sa_ike_rec_t *rows, size_t n, size_t *len)
{
    char *buf;
    FILE *f = open_memstream(&buf, len);

    assert_non_null(f);
    output_json.sa(f, rows, n);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void test_json_keeps_texts_whole(void **state)
{
    sa_table_t *t = sa_table_create();
    texts_t x = make_texts();
    sa_ike_rec_t *rows, *back, *again;
    char *err;
    size_t len;

    (void)state;
    load_long(t, &x);
    sa_table_child_down(t, "site", 1, "net", 2, SA_REASON_TS_MISMATCH, x.detail);
    size_t n = sa_table_snapshot(t, &rows);
    /* tunneld's rendering, read by tunnelctl */
    json_object *doc = sa_json_render(rows, n);
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    long m = sa_json_parse_text(text, strlen(text), &back, &err);
    assert_int_equal(m, 1);
    assert_null(err);
    assert_ike_whole(&back[0], &x);
    assert_child_whole(&back[0].children[0], &x);
    assert_string_equal(back[0].children[0].last_down_detail, x.detail);
    /* tunnelctl -j's output reads back to the same rows */
    char *out = print_json(back, 1, &len);
    m = sa_json_parse_text(out, len, &again, &err);
    assert_int_equal(m, 1);
    assert_ike_whole(&again[0], &x);
    assert_child_whole(&again[0].children[0], &x);
    free(out);
    sa_table_snapshot_free(again, 1);
    sa_table_snapshot_free(back, 1);
    json_object_put(doc);
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
    free_texts(&x);
}

/* a row that fails after its long texts were read frees them (no leak under ASan) */
static void test_json_error_after_texts(void **state)
{
    char *lts = long_text("100.64.1.0/29,", 10000), *doc, *err;
    sa_ike_rec_t *rows;

    (void)state;
    assert_true(
        asprintf(&doc,
                 "{\"version\":1,\"sas\":[{\"name\":\"a\",\"local_id\":\"%s\",\"children\":[{"
                 "\"name\":\"c\",\"local_ts\":\"%s\",\"remote_ts\":\"%s\",\"state\":\"bogus\"}]}]}",
                 lts, lts, lts) > 0);
    assert_int_equal(sa_json_parse_text(doc, strlen(doc), &rows, &err), -1);
    assert_non_null(strstr(err, "sas[0].children[0].state: expected one of"));
    assert_null(rows);
    free(err);
    free(doc);
    free(lts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_keeps_texts_whole),
        cmocka_unit_test(test_snapshot_is_deep),
        cmocka_unit_test(test_was_and_now_carry_no_texts),
        cmocka_unit_test(test_text_set),
        cmocka_unit_test(test_identity_detail_whole),
        cmocka_unit_test(test_json_keeps_texts_whole),
        cmocka_unit_test(test_json_error_after_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
