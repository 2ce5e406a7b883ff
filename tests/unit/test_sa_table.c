/* Unit tests of the SA table: updates, rekeys, down reasons, concurrency. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sa_json.h"
#include "sa_table.h"

static sa_ike_rec_t ike(const char *name, uint32_t uid, sa_state_t st)
{
    sa_ike_rec_t r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    r.unique_id = uid;
    r.state = st;
    snprintf(r.local_addr, sizeof(r.local_addr), "198.51.100.1");
    snprintf(r.remote_addr, sizeof(r.remote_addr), "198.51.100.2");
    if (st == SA_STATE_ESTABLISHED)
        r.established = 1000;
    return r;
}

static sa_child_rec_t child(const char *name, uint32_t uid, sa_state_t st)
{
    sa_child_rec_t c;
    memset(&c, 0, sizeof(c));
    snprintf(c.name, sizeof(c.name), "%s", name);
    c.unique_id = uid;
    c.state = st;
    c.reqid = 7;
    return c;
}

/* the one row named conn in a snapshot (fails the test if missing) */
static const sa_ike_rec_t *row(sa_ike_rec_t *rows, size_t n, const char *conn)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, conn) == 0)
            return &rows[i];
    fail_msg("no row %s", conn);
    return NULL;
}

static void test_loaded_rows(void **state)
{
    sa_table_t *t = sa_table_create();
    const char *children[] = {"sensors", "mgmt"};
    sa_ike_rec_t *rows;

    sa_table_conn_loaded(t, "azure", children, 2);
    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].state, SA_STATE_NONE);
    assert_int_equal(rows[0].n_children, 2);
    assert_string_equal(rows[0].children[1].name, "mgmt");
    sa_table_snapshot_free(rows, n);

    sa_table_conn_error(t, "bad", "invalid value for: proposals");
    n = sa_table_snapshot(t, &rows);
    const sa_ike_rec_t *b = row(rows, n, "bad");
    assert_int_equal(b->state, SA_STATE_CONFIG_ERROR);
    assert_int_equal(b->last_down, SA_REASON_CONFIG);
    assert_string_equal(b->last_down_detail, "invalid value for: proposals");
    sa_table_snapshot_free(rows, n);

    sa_table_conn_removed(t, "azure");
    n = sa_table_snapshot(t, &rows);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].name, "bad");
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
}

static void test_up_down_with_pending_reason(void **state)
{
    sa_table_t *t = sa_table_create();
    sa_ike_rec_t r = ike("azure", 3, SA_STATE_ESTABLISHED), *rows;
    sa_child_rec_t c = child("sensors", 5, SA_STATE_ESTABLISHED);

    sa_table_ike_update(t, &r);
    sa_table_child_update(t, "azure", &c);
    sa_table_ike_pending_reason(t, "azure", 3, SA_REASON_DPD_TIMEOUT, "peer stopped answering");
    sa_table_ike_down(t, "azure", 3, SA_REASON_NONE, NULL);
    /* charon then reports the children down: they keep the IKE reason */
    sa_table_child_down(t, "azure", 3, "sensors", 5, SA_REASON_NONE, NULL);

    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(rows[0].state, SA_STATE_DOWN);
    assert_int_equal(rows[0].last_down, SA_REASON_DPD_TIMEOUT);
    assert_string_equal(rows[0].last_down_detail, "peer stopped answering");
    assert_int_equal(rows[0].children[0].state, SA_STATE_DOWN);
    assert_int_equal(rows[0].children[0].last_down, SA_REASON_DPD_TIMEOUT);
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
}

static void test_down_reasons(void **state)
{
    static const struct {
        sa_reason_t reason;
        const char *name;
    } cases[] = {
        {SA_REASON_AUTH_FAILED, "auth-failed"},
        {SA_REASON_PROPOSAL_MISMATCH, "proposal-mismatch"},
        {SA_REASON_DELETED_BY_PEER, "deleted-by-peer"},
        {SA_REASON_UNREACHABLE, "unreachable"},
        {SA_REASON_DPD_TIMEOUT, "dpd-timeout"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sa_table_t *t = sa_table_create();
        sa_ike_rec_t r = ike("site", 1, SA_STATE_CONNECTING), *rows;
        sa_table_ike_update(t, &r);
        sa_table_ike_pending_reason(t, "site", 1, cases[i].reason, "why");
        sa_table_ike_down(t, "site", 1, SA_REASON_NONE, NULL);
        size_t n = sa_table_snapshot(t, &rows);
        assert_int_equal(rows[0].last_down, cases[i].reason);
        assert_string_equal(sa_reason_name(rows[0].last_down), cases[i].name);
        sa_table_snapshot_free(rows, n);
        sa_table_destroy(t);
    }
}

static void test_local_delete_default_and_stale_pending(void **state)
{
    sa_table_t *t = sa_table_create();
    sa_ike_rec_t r = ike("azure", 2, SA_STATE_ESTABLISHED), *rows;

    sa_table_ike_update(t, &r);
    /* a reason pending for another (older) SA must not be used */
    sa_table_ike_pending_reason(t, "azure", 1, SA_REASON_AUTH_FAILED, "old");
    sa_table_ike_down(t, "azure", 2, SA_REASON_NONE, NULL);
    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(rows[0].last_down, SA_REASON_DELETED_LOCALLY);
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
}

static void test_ike_and_child_rekey(void **state)
{
    sa_table_t *t = sa_table_create();
    sa_ike_rec_t r = ike("azure", 1, SA_STATE_ESTABLISHED), *rows;
    sa_child_rec_t c = child("sensors", 1, SA_STATE_ESTABLISHED);
    sa_counters_t cnt = {.bytes_in = 100, .packets_in = 2};

    sa_table_ike_update(t, &r);
    sa_table_child_update(t, "azure", &c);
    sa_table_child_counters(t, "azure", "sensors", 1, &cnt);

    /* the new CHILD_SA starts installing: the row keeps following the old one */
    sa_child_rec_t installing = child("sensors", 2, SA_STATE_CONNECTING);
    sa_table_child_update(t, "azure", &installing);
    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(rows[0].children[0].unique_id, 1);
    assert_int_equal(rows[0].children[0].state, SA_STATE_ESTABLISHED);
    assert_int_equal(rows[0].children[0].counters.bytes_in, 100);
    sa_table_snapshot_free(rows, n);

    sa_child_rec_t rekeyed = child("sensors", 2, SA_STATE_ESTABLISHED);
    sa_table_child_rekeyed(t, "azure", 1, &rekeyed);
    sa_table_ike_rekeyed(t, "azure", 1, 9);
    /* the old SA's late down must not touch the row */
    sa_table_child_down(t, "azure", 9, "sensors", 1, SA_REASON_NONE, NULL);
    /* stale counters of the old SA are ignored */
    sa_table_child_counters(t, "azure", "sensors", 1, &cnt);

    n = sa_table_snapshot(t, &rows);
    assert_int_equal(rows[0].unique_id, 9);
    assert_int_equal(rows[0].rekeys, 1);
    assert_int_equal(rows[0].children[0].unique_id, 2);
    assert_int_equal(rows[0].children[0].rekeys, 1);
    assert_int_equal(rows[0].children[0].state, SA_STATE_ESTABLISHED);
    assert_int_equal(rows[0].children[0].counters.bytes_in, 0);
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
}

static void test_old_sa_reports_after_rekey(void **state)
{
    sa_table_t *t = sa_table_create();
    sa_ike_rec_t r = ike("azure", 1, SA_STATE_ESTABLISHED), *rows;
    sa_child_rec_t c = child("sensors", 1, SA_STATE_ESTABLISHED);

    sa_table_ike_update(t, &r);
    sa_table_child_update(t, "azure", &c);
    sa_child_rec_t rekeyed = child("sensors", 2, SA_STATE_ESTABLISHED);
    sa_table_child_rekeyed(t, "azure", 1, &rekeyed);
    sa_table_ike_rekeyed(t, "azure", 1, 2);
    /* charon then deletes the old SAs: DELETING reports name the old ids */
    sa_child_rec_t old_child = child("sensors", 1, SA_STATE_DELETING);
    sa_table_child_update(t, "azure", &old_child);
    sa_ike_rec_t old_ike = ike("azure", 1, SA_STATE_DELETING);
    sa_table_ike_update(t, &old_ike);
    sa_table_ike_down(t, "azure", 1, SA_REASON_NONE, NULL);

    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(rows[0].unique_id, 2);
    assert_int_equal(rows[0].state, SA_STATE_ESTABLISHED);
    assert_int_equal(rows[0].last_down, SA_REASON_NONE);
    assert_int_equal(rows[0].children[0].unique_id, 2);
    assert_int_equal(rows[0].children[0].state, SA_STATE_ESTABLISHED);
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
}

static void test_reestablish_keeps_reason(void **state)
{
    sa_table_t *t = sa_table_create();
    sa_ike_rec_t r = ike("azure", 1, SA_STATE_ESTABLISHED), *rows;

    sa_table_ike_update(t, &r);
    sa_table_ike_pending_reason(t, "azure", 1, SA_REASON_DPD_TIMEOUT, "dpd");
    /* charon starts the new SA before it reports the old one down */
    sa_ike_rec_t again = ike("azure", 2, SA_STATE_CONNECTING);
    sa_table_ike_update(t, &again);
    sa_table_ike_down(t, "azure", 1, SA_REASON_NONE, NULL);
    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(rows[0].state, SA_STATE_DOWN);
    assert_int_equal(rows[0].last_down, SA_REASON_DPD_TIMEOUT);
    sa_table_snapshot_free(rows, n);
    /* then the new one comes up and the row follows it */
    sa_ike_rec_t up = ike("azure", 2, SA_STATE_ESTABLISHED);
    sa_table_ike_update(t, &up);
    n = sa_table_snapshot(t, &rows);
    assert_int_equal(rows[0].state, SA_STATE_ESTABLISHED);
    assert_int_equal(rows[0].unique_id, 2);
    assert_int_equal(rows[0].last_down, SA_REASON_DPD_TIMEOUT);
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
}

#define WRITERS 4
#define ROUNDS  20000

struct writer_arg {
    sa_table_t *t;
    int id;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    char name[16];

    snprintf(name, sizeof(name), "site%d", a->id);
    for (uint32_t i = 1; i <= ROUNDS; i++) {
        sa_ike_rec_t r = ike(name, i, SA_STATE_ESTABLISHED);
        sa_child_rec_t c = child("net", i, SA_STATE_ESTABLISHED);
        sa_counters_t cnt = {.bytes_in = i, .packets_in = i};
        sa_table_ike_update(a->t, &r);
        sa_table_child_update(a->t, name, &c);
        sa_table_child_counters(a->t, name, "net", i, &cnt);
        if (i % 3 == 0)
            sa_table_ike_down(a->t, name, i, SA_REASON_NONE, NULL);
    }
    return NULL;
}

static void *reader(void *p)
{
    sa_table_t *t = p;
    for (int i = 0; i < 2000; i++) {
        sa_ike_rec_t *rows;
        size_t n = sa_table_snapshot(t, &rows);
        for (size_t j = 0; j < n; j++)
            if (rows[j].n_children)
                /* a snapshot is consistent: a child never runs ahead of counters */
                assert_true(rows[j].children[0].counters.bytes_in <= rows[j].children[0].unique_id);
        json_object_put(sa_json_render(rows, n));
        sa_table_snapshot_free(rows, n);
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    sa_table_t *t = sa_table_create();
    pthread_t w[WRITERS], r;
    struct writer_arg args[WRITERS];
    sa_ike_rec_t *rows;

    pthread_create(&r, NULL, reader, t);
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (struct writer_arg){t, i};
        pthread_create(&w[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    pthread_join(r, NULL);

    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(n, WRITERS);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].unique_id, ROUNDS);
        assert_int_equal(rows[i].n_children, 1);
        assert_int_equal(rows[i].children[0].counters.bytes_in, ROUNDS);
        /* ROUNDS is not a multiple of 3: the last SA is up */
        assert_int_equal(rows[i].state, SA_STATE_ESTABLISHED);
    }
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
}

static void test_json_round_trip(void **state)
{
    sa_table_t *t = sa_table_create();
    sa_ike_rec_t r = ike("azure", 4, SA_STATE_ESTABLISHED), *rows, *back;
    sa_child_rec_t c = child("sensors", 6, SA_STATE_ESTABLISHED);
    sa_counters_t cnt = {
        .bytes_in = 5000000000ULL, .bytes_out = 7, .packets_in = 3, .packets_out = 4};

    c.spi_in = 0xc1e2315d;
    snprintf(c.local_ts, sizeof(c.local_ts), "100.64.1.0/24");
    sa_table_ike_update(t, &r);
    sa_table_child_update(t, "azure", &c);
    sa_table_child_counters(t, "azure", "sensors", 6, &cnt);
    sa_table_child_down(t, "azure", 4, "sensors", 6, SA_REASON_DELETED_BY_PEER, "peer DELETE");
    size_t n = sa_table_snapshot(t, &rows);
    json_object *doc = sa_json_render(rows, n);
    long m = sa_json_parse(doc, &back);
    assert_int_equal(m, 1);
    assert_string_equal(back[0].name, "azure");
    assert_int_equal(back[0].state, SA_STATE_ESTABLISHED);
    assert_int_equal(back[0].children[0].spi_in, 0xc1e2315d);
    assert_true(back[0].children[0].counters.bytes_in == 5000000000ULL);
    assert_int_equal(back[0].children[0].last_down, SA_REASON_DELETED_BY_PEER);
    assert_string_equal(back[0].children[0].local_ts, "100.64.1.0/24");
    json_object_put(doc);
    sa_table_snapshot_free(back, (size_t)m);
    sa_table_snapshot_free(rows, n);

    /* a document of another version is refused */
    json_object *other = json_tokener_parse("{\"version\":2,\"sas\":[]}");
    assert_int_equal(sa_json_parse(other, &back), -1);
    json_object_put(other);
    sa_table_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loaded_rows),
        cmocka_unit_test(test_up_down_with_pending_reason),
        cmocka_unit_test(test_down_reasons),
        cmocka_unit_test(test_local_delete_default_and_stale_pending),
        cmocka_unit_test(test_ike_and_child_rekey),
        cmocka_unit_test(test_old_sa_reports_after_rekey),
        cmocka_unit_test(test_reestablish_keeps_reason),
        cmocka_unit_test(test_concurrent_updates),
        cmocka_unit_test(test_json_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
