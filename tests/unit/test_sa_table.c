/*
 * Unit tests of the SA table: updates, rekeys, down reasons, names, texts
 * of any length kept whole, the notify hook's lifetime, concurrency.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    r.local_addr = "198.51.100.1"; /* lent: the table copies what it keeps */
    r.remote_addr = "198.51.100.2";
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

/*
 * Concurrency: writers contend on the same rows while connections come and
 * go (the row array moves); the main thread checks every snapshot is made of
 * whole records (each write is self-consistent: a torn copy shows) and that
 * no row is ever duplicated or lost. Only the main thread asserts.
 */
#define WRITERS 4
#define ROUNDS  150000
#define SHARED  2

static const char *shared[SHARED] = {"siteA", "siteB"};
static atomic_int writers_running;

struct writer_arg {
    sa_table_t *t;
    int id;
    uint32_t last[SHARED]; /* the last unique id this writer gave each shared row */
};

/* the texts of one write */
struct write_texts {
    char num[16], prop[16];
};

/* the records of write k: every field derived from k (texts in *x) */
static void records(uint32_t k, sa_ike_rec_t *r, sa_child_rec_t *c, struct write_texts *x)
{
    memset(r, 0, sizeof(*r));
    memset(c, 0, sizeof(*c));
    snprintf(x->num, sizeof(x->num), "%u", k);
    snprintf(x->prop, sizeof(x->prop), "p%u", k);
    r->unique_id = k;
    r->state = SA_STATE_ESTABLISHED;
    r->local_addr = r->remote_addr = x->num;
    snprintf(c->name, sizeof(c->name), "net");
    c->unique_id = k;
    c->state = SA_STATE_ESTABLISHED;
    c->reqid = k;
    c->spi_in = k;
    c->spi_out = ~k;
    c->local_ts = x->num;
    c->proposal = x->prop;
}

static void *writer(void *p)
{
    struct writer_arg *a = p;
    char tmp[16];

    snprintf(tmp, sizeof(tmp), "tmp%d", a->id);
    for (uint32_t i = 0; i < ROUNDS; i++) {
        int s = (int)(i % SHARED);
        uint32_t k = i * WRITERS + (uint32_t)a->id + 1;
        sa_ike_rec_t r;
        sa_child_rec_t c;
        struct write_texts x;
        records(k, &r, &c, &x);
        snprintf(r.name, sizeof(r.name), "%s", shared[s]);
        sa_counters_t cnt = {.bytes_in = k, .packets_in = k};
        sa_table_ike_update(a->t, &r);
        sa_table_child_update(a->t, shared[s], &c);
        sa_table_child_counters(a->t, shared[s], "net", k, &cnt);
        a->last[s] = k;
        /* a connection of its own comes and goes: the rows move */
        if (i % 64 == 0) {
            const char *children[] = {"a", "b", "c", "d", "e"};
            sa_table_conn_loaded(a->t, tmp, children, 5);
        } else if (i % 64 == 32) {
            sa_table_conn_removed(a->t, tmp);
        }
    }
    sa_table_conn_removed(a->t, tmp);
    atomic_fetch_sub(&writers_running, 1);
    return NULL;
}

/* problems in one snapshot: torn records, duplicate or missing rows */
static int check_snapshot(sa_ike_rec_t *rows, size_t n)
{
    int bad = 0, seen[SHARED] = {0};

    for (size_t j = 0; j < n; j++) {
        const sa_ike_rec_t *r = &rows[j];
        int s = strcmp(r->name, "siteA") == 0 ? 0 : strcmp(r->name, "siteB") == 0 ? 1 : -1;
        if (s < 0)
            continue;
        seen[s]++;
        bad += (uint32_t)atol(sa_text(r->local_addr)) != r->unique_id ||
               (uint32_t)atol(sa_text(r->remote_addr)) != r->unique_id;
        bad += r->n_children != 1;
        if (r->n_children != 1)
            continue;
        const sa_child_rec_t *c = &r->children[0];
        char prop[32];
        snprintf(prop, sizeof(prop), "p%u", c->unique_id);
        bad += strcmp(c->name, "net") != 0 || c->reqid != c->unique_id ||
               c->spi_in != c->unique_id || c->spi_out != ~c->unique_id ||
               (uint32_t)atol(sa_text(c->local_ts)) != c->unique_id ||
               strcmp(sa_text(c->proposal), prop) != 0;
        /* counters of this SA, or none yet */
        bad += (c->counters.bytes_in != 0 && c->counters.bytes_in != c->unique_id) ||
               c->counters.packets_in != c->counters.bytes_in;
    }
    for (int s = 0; s < SHARED; s++)
        bad += seen[s] > 1;
    return bad;
}

static void test_concurrent_updates(void **state)
{
    sa_table_t *t = sa_table_create();
    pthread_t w[WRITERS];
    struct writer_arg args[WRITERS];
    sa_ike_rec_t *rows;
    int bad = 0;
    long snapshots = 0;

    atomic_store(&writers_running, WRITERS);
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (struct writer_arg){.t = t, .id = i};
        pthread_create(&w[i], NULL, writer, &args[i]);
    }
    /* the main thread reads while the writers run (bounded by their rounds) */
    while (atomic_load(&writers_running) > 0) {
        size_t n = sa_table_snapshot(t, &rows);
        bad += check_snapshot(rows, n);
        json_object_put(sa_json_render(rows, n));
        sa_table_snapshot_free(rows, n);
        snapshots++;
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    assert_int_equal(bad, 0);
    assert_true(snapshots > 0);

    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(check_snapshot(rows, n), 0);
    /* the shared rows hold a last write of one of the writers; no tmp row is left */
    assert_int_equal(n, SHARED);
    for (int s = 0; s < SHARED; s++) {
        const sa_ike_rec_t *r = row(rows, n, shared[s]);
        bool found = false;
        for (int i = 0; i < WRITERS; i++)
            found |= r->unique_id == args[i].last[s] && r->children[0].unique_id == args[i].last[s];
        assert_true(found);
        assert_int_equal(r->state, SA_STATE_ESTABLISHED);
    }
    sa_table_snapshot_free(rows, n);
    sa_table_destroy(t);
}

/*
 * The notify hook's lifetime: once sa_table_set_notify(t, NULL, NULL) has
 * returned, no call of the old hook may run (route_glue_stop frees its
 * context right after). The hook checks its context at its start and end,
 * with a pause between; the main thread clears the hook while a call is
 * inside, then poisons the context: a call still running sees the poison.
 */
#define HOOK_MAGIC 0x600dcafe
#define HOOK_DEAD  0xdeadbeef

struct hook_ctx {
    volatile unsigned magic;
};

static atomic_int hook_inside, hook_violations, hook_stop;

static void slow_hook(void *p)
{
    struct hook_ctx *h = p;

    atomic_fetch_add(&hook_inside, 1);
    if (h->magic != HOOK_MAGIC)
        atomic_fetch_add(&hook_violations, 1);
    usleep(20000);
    if (h->magic != HOOK_MAGIC)
        atomic_fetch_add(&hook_violations, 1);
    atomic_fetch_sub(&hook_inside, 1);
}

static void *notifier(void *p)
{
    sa_table_t *t = p;
    sa_child_rec_t c = child("net", 1, SA_STATE_ESTABLISHED);

    while (!atomic_load(&hook_stop)) {
        c.unique_id++;
        sa_table_child_update(t, "site", &c);
    }
    return NULL;
}

static void test_notify_cleared_waits_for_hook(void **state)
{
    for (int round = 0; round < 5; round++) {
        sa_table_t *t = sa_table_create();
        struct hook_ctx *h = malloc(sizeof(*h));
        pthread_t th[2];

        h->magic = HOOK_MAGIC;
        atomic_store(&hook_stop, 0);
        sa_table_set_notify(t, slow_hook, h);
        for (int i = 0; i < 2; i++)
            pthread_create(&th[i], NULL, notifier, t);
        /* a call of the hook is inside (bounded wait: 5 s) */
        for (int i = 0; i < 5000 && atomic_load(&hook_inside) == 0; i++)
            usleep(1000);
        assert_true(atomic_load(&hook_inside) > 0);
        sa_table_set_notify(t, NULL, NULL);
        assert_int_equal(atomic_load(&hook_inside), 0);
        h->magic = HOOK_DEAD; /* what route_glue_stop's free amounts to */
        usleep(50000);        /* longer than a call: one still running would notice */
        free(h);
        atomic_store(&hook_stop, 1);
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        assert_int_equal(atomic_load(&hook_violations), 0);
        sa_table_destroy(t);
    }
}

/* names that do not fit a row are refused whole, never stored truncated */
static void test_long_names_refused(void **state)
{
    sa_table_t *t = sa_table_create();
    char name[SA_NAME_MAX + 10];
    const char *children[2] = {"sensors", NULL};
    sa_ike_rec_t *rows;

    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    for (size_t len = SA_NAME_MAX; len < sizeof(name); len++) {
        name[len] = '\0';
        sa_table_conn_loaded(t, name, children, 1);
        sa_table_conn_error(t, name, "bad");
        sa_table_ike_pending_reason(t, name, 1, SA_REASON_DPD_TIMEOUT, "x");
        name[len] = 'n';
    }
    /* a child name that does not fit, under a connection that does */
    children[1] = name;
    sa_table_conn_loaded(t, "site", children, 2);
    size_t n = sa_table_snapshot(t, &rows);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].name, "site");
    assert_int_equal(rows[0].n_children, 1);
    assert_string_equal(rows[0].children[0].name, "sensors");
    sa_table_snapshot_free(rows, n);

    /* 63 characters fit */
    name[SA_NAME_MAX - 1] = '\0';
    sa_table_conn_loaded(t, name, children, 1);
    n = sa_table_snapshot(t, &rows);
    assert_int_equal(n, 2);
    assert_string_equal(row(rows, n, name)->name, name);
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
    c.local_ts = "100.64.1.0/24";
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
        cmocka_unit_test(test_notify_cleared_waits_for_hook),
        cmocka_unit_test(test_long_names_refused),
        cmocka_unit_test(test_json_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
