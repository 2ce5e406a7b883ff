/*
 * Unit tests of sa_events: the event sequences charon 5.9.8 raises (read in
 * child_rekey.c, ike_rekey.c, child_create.c, child_delete.c, ike_sa.c and
 * seen in tunneld's logs) and the rows they must leave in the SA table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sa_events.h"

/* ---- fixture: a table, its event mapper and the lines it logged ---- */

#define MAX_LINES 1024

typedef struct {
    sa_table_t *t;
    sa_events_t *e;
    char *lines[MAX_LINES];
    size_t n_lines;
    sa_ike_rec_t *rows;
    size_t n_rows;
} fx_t;

static void log_line(void *ctx, const char *line)
{
    fx_t *fx = ctx;
    if (fx->n_lines < MAX_LINES)
        fx->lines[fx->n_lines++] = strdup(line);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    fx->t = sa_table_create();
    fx->e = sa_events_create(fx->t, log_line, fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    sa_events_destroy(fx->e);
    sa_table_destroy(fx->t);
    sa_table_snapshot_free(fx->rows, fx->n_rows);
    for (size_t i = 0; i < fx->n_lines; i++)
        free(fx->lines[i]);
    free(fx);
    return 0;
}

/* lines logged that contain text */
static size_t logged(fx_t *fx, const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->n_lines; i++)
        n += strstr(fx->lines[i], text) != NULL;
    return n;
}

static const sa_ike_rec_t *ike_row(fx_t *fx, const char *conn)
{
    sa_table_snapshot_free(fx->rows, fx->n_rows);
    fx->n_rows = sa_table_snapshot(fx->t, &fx->rows);
    for (size_t i = 0; i < fx->n_rows; i++)
        if (strcmp(fx->rows[i].name, conn) == 0)
            return &fx->rows[i];
    fail_msg("no row %s", conn);
    return NULL;
}

static const sa_child_rec_t *child_row(fx_t *fx, const char *conn, const char *child)
{
    const sa_ike_rec_t *r = ike_row(fx, conn);
    for (size_t i = 0; i < r->n_children; i++)
        if (strcmp(r->children[i].name, child) == 0)
            return &r->children[i];
    fail_msg("no child %s.%s", conn, child);
    return NULL;
}

/* ---- events, as the listener builds them ---- */

static sa_ike_rec_t ike_facts(uint32_t uid)
{
    sa_ike_rec_t r;
    memset(&r, 0, sizeof(r));
    r.unique_id = uid;
    r.local_addr = "198.51.100.1"; /* lent, as the listener's are */
    r.remote_addr = "198.51.100.2";
    r.established = 1000 + uid;
    return r;
}

/* a CHILD_SA: SPIs derived from its unique id */
static sa_child_rec_t child_facts(uint32_t uid)
{
    sa_child_rec_t c;
    memset(&c, 0, sizeof(c));
    c.unique_id = uid;
    c.reqid = 1;
    c.spi_in = 0xc0000000 | uid;
    c.spi_out = 0x0d000000 | uid;
    c.established = 2000 + uid;
    return c;
}

static void ike_ev(fx_t *fx, const char *conn, sa_ev_type_t type, uint32_t uid,
                   sa_ev_ike_state_t state)
{
    sa_ike_rec_t facts = ike_facts(uid);
    sa_event_t ev = {.type = type, .conn = conn, .ike_uid = uid, .ike = &facts, .ike_state = state};
    sa_events_apply(fx->e, &ev);
}

#define IKE_UP(fx, uid)        ike_ev(fx, "azure", SA_EV_IKE_UP, uid, 0)
#define IKE_STATE(fx, uid, st) ike_ev(fx, "azure", SA_EV_IKE_STATE, uid, SA_EV_IKE_##st)

static void ike_rekey(fx_t *fx, uint32_t old, uint32_t new)
{
    sa_event_t ev = {.type = SA_EV_IKE_REKEY, .conn = "azure", .ike_uid = old, .new_uid = new};
    sa_events_apply(fx->e, &ev);
}

static void child_ev_full(fx_t *fx, const char *conn, const char *child, sa_ev_type_t type,
                          uint32_t ike_uid, uint32_t uid, sa_ev_child_state_t state,
                          sa_ev_child_state_t prev, const sa_child_rec_t *successor)
{
    sa_child_rec_t facts = child_facts(uid);
    sa_event_t ev = {.type = type,
                     .conn = conn,
                     .ike_uid = ike_uid,
                     .child = child,
                     .rec = &facts,
                     .child_state = state,
                     .child_prev = prev,
                     .successor = successor};
    sa_events_apply(fx->e, &ev);
}

#define IKE 1
#define CHILD_UP(fx, uid)                                                                          \
    child_ev_full(fx, "azure", "sensors", SA_EV_CHILD_UP, IKE, uid, 0, 0, NULL)
#define CHILD_DOWN(fx, uid, succ)                                                                  \
    child_ev_full(fx, "azure", "sensors", SA_EV_CHILD_DOWN, IKE, uid, 0, 0, succ)
#define CHILD_STATE(fx, uid, st, pr)                                                               \
    child_ev_full(fx, "azure", "sensors", SA_EV_CHILD_STATE, IKE, uid, SA_EV_CHILD_##st,           \
                  SA_EV_CHILD_##pr, NULL)
#define CHILD_STATE_S(fx, uid, st, pr, succ)                                                       \
    child_ev_full(fx, "azure", "sensors", SA_EV_CHILD_STATE, IKE, uid, SA_EV_CHILD_##st,           \
                  SA_EV_CHILD_##pr, succ)

static void child_rekey(fx_t *fx, uint32_t old, uint32_t new)
{
    sa_child_rec_t facts = child_facts(new);
    sa_event_t ev = {.type = SA_EV_CHILD_REKEY,
                     .conn = "azure",
                     .ike_uid = IKE,
                     .child = "sensors",
                     .rec = &facts,
                     .old_uid = old};
    sa_events_apply(fx->e, &ev);
}

static void alert(fx_t *fx, uint32_t ike_uid, sa_ev_alert_t a)
{
    sa_event_t ev = {.type = SA_EV_ALERT, .conn = "azure", .ike_uid = ike_uid, .alert = a};
    sa_events_apply(fx->e, &ev);
}

static void peer_delete_spis(fx_t *fx, uint32_t ike_uid, const uint32_t *spis, size_t n)
{
    sa_event_t ev = {
        .type = SA_EV_PEER_DELETE, .conn = "azure", .ike_uid = ike_uid, .spis = spis, .n_spis = n};
    sa_events_apply(fx->e, &ev);
}

static void peer_delete_ike(fx_t *fx, uint32_t ike_uid)
{
    sa_event_t ev = {
        .type = SA_EV_PEER_DELETE, .conn = "azure", .ike_uid = ike_uid, .delete_ike = true};
    sa_events_apply(fx->e, &ev);
}

/* the CHILD_SA #1 of IKE_SA #1 is up */
static void tunnel_up(fx_t *fx)
{
    IKE_STATE(fx, IKE, CONNECTING);
    IKE_STATE(fx, IKE, ESTABLISHED);
    IKE_UP(fx, IKE);
    CHILD_STATE(fx, 1, INSTALLING, CREATED);
    CHILD_STATE(fx, 1, INSTALLED, INSTALLING);
    CHILD_UP(fx, 1);
}

static void assert_child(fx_t *fx, uint32_t uid, sa_state_t st)
{
    const sa_child_rec_t *c = child_row(fx, "azure", "sensors");
    assert_int_equal(c->unique_id, uid);
    assert_int_equal(c->state, st);
}

/* ---- CHILD_SA rekey collisions (issue 7 item 2) ---- */

/*
 * Both ends rekey #1; the peer's request is answered first (its new SA #3,
 * child_rekey(#1, #3)), then our response arrives and we win: #3 becomes
 * REKEYED, child_rekey(#1, #2); the peer deletes #3. The row follows #2.
 */
static void test_child_collision_won(void **state)
{
    fx_t *fx = *state;
    sa_child_rec_t two = child_facts(2);

    tunnel_up(fx);
    CHILD_STATE(fx, 1, REKEYING, INSTALLED);
    CHILD_STATE(fx, 3, INSTALLING, CREATED);
    CHILD_STATE(fx, 3, INSTALLED, INSTALLING);
    CHILD_STATE(fx, 1, REKEYED, REKEYING);
    child_rekey(fx, 1, 3);
    assert_child(fx, 3, SA_STATE_ESTABLISHED);
    CHILD_STATE(fx, 2, INSTALLING, CREATED);
    CHILD_STATE(fx, 2, INSTALLED, INSTALLING);
    CHILD_STATE(fx, 3, REKEYED, INSTALLED);
    child_rekey(fx, 1, 2);
    /* charon has #2 installed, #3 is REKEYED: the row follows #2 at once */
    assert_child(fx, 2, SA_STATE_ESTABLISHED);
    CHILD_STATE(fx, 1, DELETING, REKEYED);
    two.state = SA_STATE_ESTABLISHED;
    CHILD_STATE_S(fx, 3, DELETING, REKEYED, &two);
    CHILD_STATE(fx, 1, DELETED, DELETING);
    CHILD_STATE(fx, 3, DELETED, DELETING);
    assert_child(fx, 2, SA_STATE_ESTABLISHED);
    assert_int_equal(child_row(fx, "azure", "sensors")->rekeys, 1);
    assert_int_equal(child_row(fx, "azure", "sensors")->spi_in, 0xc0000002);
}

/* we lose: our #2 is REKEYED and deleted, no child_rekey for it */
static void test_child_collision_lost(void **state)
{
    fx_t *fx = *state;

    tunnel_up(fx);
    CHILD_STATE(fx, 1, REKEYING, INSTALLED);
    CHILD_STATE(fx, 3, INSTALLING, CREATED);
    CHILD_STATE(fx, 3, INSTALLED, INSTALLING);
    CHILD_STATE(fx, 1, REKEYED, REKEYING);
    child_rekey(fx, 1, 3);
    CHILD_STATE(fx, 2, INSTALLING, CREATED);
    CHILD_STATE(fx, 2, INSTALLED, INSTALLING);
    CHILD_STATE(fx, 2, REKEYED, INSTALLED);
    CHILD_STATE(fx, 2, DELETING, REKEYED);
    CHILD_STATE(fx, 1, DELETING, REKEYED);
    assert_child(fx, 3, SA_STATE_ESTABLISHED);
    assert_int_equal(child_row(fx, "azure", "sensors")->rekeys, 1);
}

/*
 * The peer won and deletes its own new SA #3 (redundant to it) before our
 * response arrives: on our side #3 is still INSTALLED, so charon reports it
 * DELETING and down; #1 (REKEYED, our rekey under way) still carries the
 * traffic. The row follows #1 meanwhile, then #2 when our rekey completes.
 */
static void test_child_collision_peer_deletes_new_first(void **state)
{
    fx_t *fx = *state;
    sa_child_rec_t one = child_facts(1), three = child_facts(3);
    uint32_t spi = three.spi_out;

    tunnel_up(fx);
    CHILD_STATE(fx, 1, REKEYING, INSTALLED);
    CHILD_STATE(fx, 3, INSTALLING, CREATED);
    CHILD_STATE(fx, 3, INSTALLED, INSTALLING);
    CHILD_STATE(fx, 1, REKEYED, REKEYING);
    child_rekey(fx, 1, 3);
    peer_delete_spis(fx, IKE, &spi, 1);
    one.state = SA_STATE_REKEYING;
    CHILD_STATE_S(fx, 3, DELETING, INSTALLED, &one);
    assert_child(fx, 1, SA_STATE_REKEYING);
    CHILD_DOWN(fx, 3, &one);
    assert_child(fx, 1, SA_STATE_REKEYING);
    assert_int_equal(child_row(fx, "azure", "sensors")->last_down, SA_REASON_NONE);
    CHILD_STATE(fx, 2, INSTALLING, CREATED);
    CHILD_STATE(fx, 2, INSTALLED, INSTALLING);
    child_rekey(fx, 1, 2);
    assert_child(fx, 2, SA_STATE_ESTABLISHED);
    assert_int_equal(child_row(fx, "azure", "sensors")->rekeys, 1);
    assert_int_equal(logged(fx, "#3 is going, #1 carries the traffic"), 1);
}

/* ---- the failed rekey of a working CHILD_SA (issue 8) ---- */

/* the peer insists on PFS: NO_PROPOSAL_CHOSEN, charon puts #1 back to INSTALLED */
static void test_failed_child_rekey_back_up(void **state)
{
    fx_t *fx = *state;

    tunnel_up(fx);
    CHILD_STATE(fx, 1, REKEYING, INSTALLED);
    assert_child(fx, 1, SA_STATE_REKEYING);
    alert(fx, IKE, SA_EV_ALERT_PROPOSAL_MISMATCH_CHILD);
    CHILD_STATE(fx, 1, INSTALLED, REKEYING);
    /* the new CHILD_SA it tried is destroyed, never installed */
    CHILD_STATE(fx, 2, DESTROYING, CREATED);
    assert_child(fx, 1, SA_STATE_ESTABLISHED);
    assert_int_equal(child_row(fx, "azure", "sensors")->last_down, SA_REASON_NONE);
    assert_int_equal(logged(fx, "rekeying the CHILD_SA failed, the current one stays"), 1);
}

/* the IKE_SA's failed rekey goes back to ESTABLISHED */
static void test_failed_ike_rekey_back_up(void **state)
{
    fx_t *fx = *state;

    tunnel_up(fx);
    IKE_STATE(fx, IKE, REKEYING);
    assert_int_equal(ike_row(fx, "azure")->state, SA_STATE_REKEYING);
    IKE_STATE(fx, 7, DESTROYING); /* the new IKE_SA it tried */
    IKE_STATE(fx, IKE, ESTABLISHED);
    assert_int_equal(ike_row(fx, "azure")->state, SA_STATE_ESTABLISHED);
    assert_int_equal(ike_row(fx, "azure")->unique_id, IKE);
}

/* ---- each CHILD_SA its own reason (issue 8) ---- */

static void test_child_failures_each_own_reason(void **state)
{
    fx_t *fx = *state;
    sa_event_t refused = {.type = SA_EV_PEER_REFUSED,
                          .conn = "azure",
                          .ike_uid = IKE,
                          .notify = SA_EV_NOTIFY_TS_UNACCEPTABLE};

    IKE_STATE(fx, IKE, CONNECTING);
    /* IKE_AUTH: the peer answers TS_UNACCEPTABLE for "sensors" */
    sa_events_apply(fx->e, &refused);
    IKE_STATE(fx, IKE, ESTABLISHED);
    IKE_UP(fx, IKE);
    child_ev_full(fx, "azure", "sensors", SA_EV_CHILD_STATE, IKE, 1, SA_EV_CHILD_DESTROYING,
                  SA_EV_CHILD_CREATED, NULL);
    /* CREATE_CHILD_SA for "mgmt": NO_PROPOSAL_CHOSEN */
    alert(fx, IKE, SA_EV_ALERT_PROPOSAL_MISMATCH_CHILD);
    child_ev_full(fx, "azure", "mgmt", SA_EV_CHILD_STATE, IKE, 2, SA_EV_CHILD_DESTROYING,
                  SA_EV_CHILD_CREATED, NULL);
    /* "ok" comes up */
    child_ev_full(fx, "azure", "ok", SA_EV_CHILD_UP, IKE, 3, 0, 0, NULL);

    const sa_child_rec_t *s = child_row(fx, "azure", "sensors");
    assert_int_equal(s->state, SA_STATE_DOWN);
    assert_int_equal(s->last_down, SA_REASON_TS_MISMATCH);
    assert_non_null(strstr(s->last_down_detail, "TS_UNACCEPTABLE"));
    const sa_child_rec_t *m = child_row(fx, "azure", "mgmt");
    assert_int_equal(m->state, SA_STATE_DOWN);
    assert_int_equal(m->last_down, SA_REASON_PROPOSAL_MISMATCH);
    const sa_child_rec_t *ok = child_row(fx, "azure", "ok");
    assert_int_equal(ok->state, SA_STATE_ESTABLISHED);
    assert_int_equal(ok->last_down, SA_REASON_NONE);
    assert_int_equal(ike_row(fx, "azure")->state, SA_STATE_ESTABLISHED);
}

/* a failure no CHILD_SA of ours took (we answered as responder) goes stale */
static void test_unclaimed_child_failure_is_dropped(void **state)
{
    fx_t *fx = *state;
    sa_event_t msg = {.type = SA_EV_MESSAGE, .conn = "azure", .ike_uid = IKE};

    tunnel_up(fx);
    /* the peer asked for a CHILD_SA we have no config for: we refused it */
    sa_events_apply(fx->e, &msg);
    alert(fx, IKE, SA_EV_ALERT_TS_MISMATCH);
    /* the next exchange: a CHILD_SA of ours is created and its installation aborted */
    sa_events_apply(fx->e, &msg);
    assert_int_equal(logged(fx, "connection 'azure': CHILD_SA failed: ts-mismatch"), 1);
    child_ev_full(fx, "azure", "other", SA_EV_CHILD_STATE, IKE, 7, SA_EV_CHILD_DESTROYING,
                  SA_EV_CHILD_CREATED, NULL);
    assert_int_equal(child_row(fx, "azure", "sensors")->state, SA_STATE_ESTABLISHED);
    const sa_ike_rec_t *r = ike_row(fx, "azure");
    for (size_t i = 0; i < r->n_children; i++)
        assert_int_equal(r->children[i].last_down, SA_REASON_NONE);
}

/* ---- IKE rekeys (issue 8) ---- */

/* the peer rekeys the IKE_SA and deletes the old one: routine, no last down */
static void test_peer_ike_rekey_is_routine(void **state)
{
    fx_t *fx = *state;

    tunnel_up(fx);
    IKE_STATE(fx, 2, ESTABLISHED);
    ike_rekey(fx, IKE, 2);
    IKE_STATE(fx, IKE, REKEYED);
    peer_delete_ike(fx, IKE);
    IKE_STATE(fx, IKE, DELETING);
    IKE_STATE(fx, IKE, DESTROYING);
    const sa_ike_rec_t *r = ike_row(fx, "azure");
    assert_int_equal(r->unique_id, 2);
    assert_int_equal(r->state, SA_STATE_ESTABLISHED);
    assert_int_equal(r->rekeys, 1);
    assert_int_equal(r->last_down, SA_REASON_NONE);
    assert_int_equal(r->children[0].state, SA_STATE_ESTABLISHED);
    assert_int_equal(logged(fx, "deleted-by-peer"), 0);
}

/*
 * Both ends rekey the IKE_SA. We win: the peer's new #3 is REKEYED and
 * deleted by the peer. Charon may also report the rekey of #1 twice (an
 * undetected collision concluded, then ours): one rekey, the later SA.
 */
static void test_simultaneous_ike_rekeys_count_once(void **state)
{
    fx_t *fx = *state;

    tunnel_up(fx);
    IKE_STATE(fx, IKE, REKEYING);
    IKE_STATE(fx, 3, REKEYED);
    IKE_STATE(fx, 2, ESTABLISHED);
    ike_rekey(fx, IKE, 2);
    IKE_STATE(fx, IKE, REKEYED);
    peer_delete_ike(fx, 3);
    IKE_STATE(fx, 3, DELETING);
    IKE_STATE(fx, 3, DESTROYING);
    IKE_STATE(fx, IKE, DELETING);
    IKE_STATE(fx, IKE, DESTROYING);
    const sa_ike_rec_t *r = ike_row(fx, "azure");
    assert_int_equal(r->unique_id, 2);
    assert_int_equal(r->rekeys, 1);
    assert_int_equal(r->last_down, SA_REASON_NONE);

    /* the same old SA reported rekeyed into two new ones */
    IKE_STATE(fx, 2, REKEYING);
    ike_rekey(fx, 2, 4);
    ike_rekey(fx, 2, 5);
    IKE_STATE(fx, 4, REKEYED);
    IKE_STATE(fx, 2, REKEYED);
    IKE_STATE(fx, 4, DESTROYING);
    IKE_STATE(fx, 2, DESTROYING);
    r = ike_row(fx, "azure");
    assert_int_equal(r->unique_id, 5);
    assert_int_equal(r->rekeys, 2);
    assert_int_equal(r->state, SA_STATE_ESTABLISHED);
    assert_int_equal(r->last_down, SA_REASON_NONE);
}

/* ---- identity mismatch (issue 8) ---- */

static void test_identity_mismatch_named(void **state)
{
    fx_t *fx = *state;
    sa_event_t ev = {.type = SA_EV_ALERT,
                     .conn = "azure",
                     .ike_uid = IKE,
                     .alert = SA_EV_ALERT_PEER_AUTH_FAILED,
                     .id_required = "*.azure.example",
                     .id_presented = "198.51.100.2"};

    IKE_STATE(fx, IKE, CONNECTING);
    sa_events_apply(fx->e, &ev);
    IKE_STATE(fx, IKE, DESTROYING);
    const sa_ike_rec_t *r = ike_row(fx, "azure");
    assert_int_equal(r->state, SA_STATE_DOWN);
    assert_int_equal(r->last_down, SA_REASON_IDENTITY_MISMATCH);
    assert_string_equal(sa_reason_name(r->last_down), "identity-mismatch");
    assert_non_null(strstr(r->last_down_detail, "'198.51.100.2'"));
    assert_non_null(strstr(r->last_down_detail, "'*.azure.example'"));
    assert_null(strstr(r->last_down_detail, "credentials"));
}

/* an authentication failure with a matching identity stays auth-failed */
static void test_auth_failed_is_not_identity(void **state)
{
    fx_t *fx = *state;

    IKE_STATE(fx, IKE, CONNECTING);
    alert(fx, IKE, SA_EV_ALERT_PEER_AUTH_FAILED);
    IKE_STATE(fx, IKE, DESTROYING);
    assert_int_equal(ike_row(fx, "azure")->last_down, SA_REASON_AUTH_FAILED);
}

/* ---- our own authentication failed (ALERT_LOCAL_AUTH_FAILED): who caused it ---- */

static void message(fx_t *fx, uint32_t ike_uid)
{
    sa_event_t ev = {.type = SA_EV_MESSAGE, .conn = "azure", .ike_uid = ike_uid};
    sa_events_apply(fx->e, &ev);
}

/* an incoming message with the error notify that refuses our authentication */
static void peer_auth_error(fx_t *fx, uint32_t ike_uid, uint16_t notify, const char *name)
{
    sa_event_t ev = {.type = SA_EV_PEER_AUTH_ERROR,
                     .conn = "azure",
                     .ike_uid = ike_uid,
                     .auth_notify = notify,
                     .auth_notify_name = name};
    sa_events_apply(fx->e, &ev);
}

static void local_auth_failed(fx_t *fx, uint32_t ike_uid, const char *my_id, const char *other_id)
{
    sa_event_t ev = {.type = SA_EV_ALERT,
                     .conn = "azure",
                     .ike_uid = ike_uid,
                     .alert = SA_EV_ALERT_LOCAL_AUTH_FAILED,
                     .my_id = my_id,
                     .other_id = other_id};
    sa_events_apply(fx->e, &ev);
}

/* the row's reason after IKE_SA ike_uid is destroyed */
static const char *down_detail(fx_t *fx, uint32_t ike_uid)
{
    IKE_STATE(fx, ike_uid, DESTROYING);
    const sa_ike_rec_t *r = ike_row(fx, "azure");
    assert_int_equal(r->state, SA_STATE_DOWN);
    assert_int_equal(r->last_down, SA_REASON_AUTH_FAILED);
    assert_non_null(r->last_down_detail);
    return r->last_down_detail;
}

/*
 * The peer's IKE_AUTH response carries AUTHENTICATION_FAILED ("received
 * AUTHENTICATION_FAILED notify error", ike_auth.c process_i): the peer
 * rejected our credentials, and the reason names its notify.
 */
static void test_local_auth_peer_rejected(void **state)
{
    fx_t *fx = *state;

    IKE_STATE(fx, IKE, CONNECTING);
    message(fx, IKE); /* IKE_SA_INIT response */
    message(fx, IKE); /* IKE_AUTH response */
    peer_auth_error(fx, IKE, SA_EV_NOTIFY_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED");
    local_auth_failed(fx, IKE, "198.51.100.1", "198.51.100.2");
    assert_string_equal(down_detail(fx, IKE),
                        "the peer rejected our credentials (it answered AUTHENTICATION_FAILED)");
    assert_int_equal(logged(fx, "tunneld: connection 'azure': auth-failed (the peer rejected our "
                                "credentials (it answered AUTHENTICATION_FAILED)); IKE_SA #1 is "
                                "down"),
                     1);
}

/*
 * Charon could not build our AUTH ("no shared key found for '198.51.100.1'
 * - '198.51.100.2'", ike_auth.c build_i): no message of the peer refused
 * anything, the reason says we had no usable credential, naming the
 * identities charon looked one up for.
 */
static void test_local_auth_no_credential(void **state)
{
    fx_t *fx = *state;

    IKE_STATE(fx, IKE, CONNECTING);
    message(fx, IKE); /* IKE_SA_INIT response: then building IKE_AUTH fails */
    local_auth_failed(fx, IKE, "198.51.100.1", "198.51.100.2");
    const char *d = down_detail(fx, IKE);
    assert_string_equal(d, "we could not authenticate ourselves: no usable credential for our "
                           "identity (e.g. no shared key for '198.51.100.1' - '198.51.100.2', "
                           "or no private key for '198.51.100.1')");
    assert_null(strstr(d, "rejected"));
    assert_int_equal(logged(fx, "auth-failed (we could not authenticate ourselves"), 1);
}

/*
 * A refusal counts only for the message that carried it and its IKE_SA:
 * after another message, or on another IKE_SA, a failure is ours. Other
 * error notifies are named as the refusal they are; identities are escaped.
 */
static void test_local_auth_refusal_scope(void **state)
{
    fx_t *fx = *state;

    /* IKE_SA #1: refused, then a later message, then our failure */
    IKE_STATE(fx, IKE, CONNECTING);
    peer_auth_error(fx, IKE, SA_EV_NOTIFY_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED");
    message(fx, IKE);
    local_auth_failed(fx, IKE, "me\\x\x1b", "%s%n");
    const char *d = down_detail(fx, IKE);
    assert_non_null(strstr(d, "we could not authenticate ourselves"));
    assert_non_null(strstr(d, "'me\\x5cx\\x1b' - '%s%n'"));

    /* IKE_SA #2 refused; IKE_SA #3's failure is its own */
    IKE_STATE(fx, 2, CONNECTING);
    IKE_STATE(fx, 3, CONNECTING);
    message(fx, 2);
    peer_auth_error(fx, 2, 7, "INVALID_SYNTAX");
    message(fx, 3);
    local_auth_failed(fx, 3, "198.51.100.1", "%any");
    assert_non_null(strstr(down_detail(fx, 3), "no shared key for '198.51.100.1' - '%any'"));
    local_auth_failed(fx, 2, "198.51.100.1", "198.51.100.2");
    assert_string_equal(down_detail(fx, 2),
                        "the peer refused our authentication (it answered INVALID_SYNTAX)");

    /* a notify charon has no name for (a hostile peer's type 0) is still the peer's */
    IKE_STATE(fx, 4, CONNECTING);
    message(fx, 4);
    peer_auth_error(fx, 4, 0, NULL);
    local_auth_failed(fx, 4, "198.51.100.1", "198.51.100.2");
    assert_string_equal(down_detail(fx, 4),
                        "the peer refused our authentication (it answered error notify 0)");
}

/*
 * A late AUTHENTICATION_FAILED in an INFORMATIONAL from the initiator after
 * the IKE_SA came up (ike_delete.c): the peer rejected our credentials.
 */
static void test_local_auth_late_rejection(void **state)
{
    fx_t *fx = *state;

    tunnel_up(fx);
    message(fx, IKE);
    peer_auth_error(fx, IKE, SA_EV_NOTIFY_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED");
    local_auth_failed(fx, IKE, "198.51.100.1", "198.51.100.2");
    IKE_STATE(fx, IKE, DELETING);
    ike_ev(fx, "azure", SA_EV_IKE_DOWN, IKE, 0);
    const sa_ike_rec_t *r = ike_row(fx, "azure");
    assert_int_equal(r->last_down, SA_REASON_AUTH_FAILED);
    assert_string_equal(r->last_down_detail,
                        "the peer rejected our credentials (it answered AUTHENTICATION_FAILED)");
}

/* ---- unreachable peer, charon retrying the same IKE_SA (issue 8) ---- */

static void test_unreachable_while_retrying(void **state)
{
    fx_t *fx = *state;
    sa_event_t ev = {.type = SA_EV_ALERT,
                     .conn = "azure",
                     .ike_uid = IKE,
                     .alert = SA_EV_ALERT_PEER_INIT_UNREACHABLE,
                     .tries = 0,
                     .retrying = true};

    IKE_STATE(fx, IKE, CONNECTING);
    sa_event_t rt = {.type = SA_EV_ALERT,
                     .conn = "azure",
                     .ike_uid = IKE,
                     .alert = SA_EV_ALERT_RETRANSMIT_TIMEOUT,
                     .ike_connecting = true};
    sa_events_apply(fx->e, &rt);
    sa_events_apply(fx->e, &ev);
    IKE_STATE(fx, IKE, CREATED);
    IKE_STATE(fx, IKE, CONNECTING);
    const sa_ike_rec_t *r = ike_row(fx, "azure");
    assert_int_equal(r->state, SA_STATE_CONNECTING);
    assert_int_equal(r->last_down, SA_REASON_UNREACHABLE);
    assert_non_null(strstr(r->last_down_detail, "attempt 1"));
    assert_non_null(strstr(r->last_down_detail, "trying again"));

    ev.tries = 1;
    sa_events_apply(fx->e, &ev);
    assert_non_null(strstr(ike_row(fx, "azure")->last_down_detail, "attempt 2"));

    /* it comes up at last, then is closed here: not "unreachable" */
    IKE_STATE(fx, IKE, ESTABLISHED);
    IKE_UP(fx, IKE);
    ike_ev(fx, "azure", SA_EV_IKE_DOWN, IKE, 0);
    assert_int_equal(ike_row(fx, "azure")->last_down, SA_REASON_DELETED_LOCALLY);
}

/* ---- ike_update: the new endpoints, established kept (issue 7 item 14) ---- */

static void test_endpoints_update(void **state)
{
    fx_t *fx = *state;
    sa_event_t ev = {.type = SA_EV_IKE_ENDPOINTS,
                     .conn = "azure",
                     .ike_uid = IKE,
                     .local = "198.51.100.3",
                     .remote = "203.0.113.9"};

    tunnel_up(fx);
    time_t established = ike_row(fx, "azure")->established;
    assert_true(established != 0);
    sa_events_apply(fx->e, &ev);
    const sa_ike_rec_t *r = ike_row(fx, "azure");
    assert_string_equal(r->local_addr, "198.51.100.3");
    assert_string_equal(r->remote_addr, "203.0.113.9");
    assert_int_equal(r->established, established);
    assert_int_equal(r->state, SA_STATE_ESTABLISHED);

    /* an old IKE_SA moving does not touch the row */
    ev.ike_uid = 9;
    ev.local = "192.0.2.1";
    sa_events_apply(fx->e, &ev);
    assert_string_equal(ike_row(fx, "azure")->local_addr, "198.51.100.3");
}

/* ---- a DELETE naming many SPIs (issue 7 item 15) ---- */

#define MANY 100

static void test_delete_with_many_spis(void **state)
{
    fx_t *fx = *state;
    uint32_t spis[MANY];
    char name[16];

    IKE_STATE(fx, IKE, CONNECTING);
    IKE_UP(fx, IKE);
    for (uint32_t i = 0; i < MANY; i++) {
        snprintf(name, sizeof(name), "c%u", i);
        child_ev_full(fx, "azure", name, SA_EV_CHILD_UP, IKE, 10 + i, 0, 0, NULL);
        spis[i] = child_facts(10 + i).spi_out;
    }
    peer_delete_spis(fx, IKE, spis, MANY);
    for (uint32_t i = 0; i < MANY; i++) {
        snprintf(name, sizeof(name), "c%u", i);
        child_ev_full(fx, "azure", name, SA_EV_CHILD_DOWN, IKE, 10 + i, 0, 0, NULL);
    }
    for (uint32_t i = 0; i < MANY; i++) {
        snprintf(name, sizeof(name), "c%u", i);
        const sa_child_rec_t *c = child_row(fx, "azure", name);
        assert_int_equal(c->state, SA_STATE_DOWN);
        assert_int_equal(c->last_down, SA_REASON_DELETED_BY_PEER);
    }
    /* a child we close ourselves afterwards is not blamed on the peer */
    child_ev_full(fx, "azure", "c0", SA_EV_CHILD_UP, IKE, 500, 0, 0, NULL);
    child_ev_full(fx, "azure", "c0", SA_EV_CHILD_DOWN, IKE, 500, 0, 0, NULL);
    assert_int_equal(child_row(fx, "azure", "c0")->last_down, SA_REASON_DELETED_LOCALLY);
}

/* ---- over-long names (issue 7 item 4) ---- */

static void test_long_names_refused_once(void **state)
{
    fx_t *fx = *state;
    char longname[200], fits[SA_NAME_MAX];

    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    for (size_t len = SA_NAME_MAX; len < sizeof(longname); len += 60) {
        longname[len] = '\0';
        for (uint32_t i = 1; i <= 20; i++) {
            sa_ike_rec_t facts = ike_facts(i);
            sa_event_t ev = {.type = SA_EV_IKE_UP, .conn = longname, .ike_uid = i, .ike = &facts};
            sa_events_apply(fx->e, &ev);
            child_ev_full(fx, longname, "sensors", SA_EV_CHILD_UP, i, i, 0, 0, NULL);
        }
        longname[len] = 'x';
    }
    /* a child name that does not fit, under a connection that does */
    for (uint32_t i = 1; i <= 20; i++)
        child_ev_full(fx, "azure", longname, SA_EV_CHILD_UP, 1, i, 0, 0, NULL);
    sa_table_snapshot_free(fx->rows, fx->n_rows);
    fx->n_rows = sa_table_snapshot(fx->t, &fx->rows);
    assert_int_equal(fx->n_rows, 0);
    /* one line per refused name (three connections, one child), naming it whole */
    assert_int_equal(logged(fx, "not tracked in the SA table"), 4);
    assert_int_equal(logged(fx, "names are limited to 63 characters"), 4);
    assert_int_equal(logged(fx, "child 'xxx"), 1);
    longname[SA_NAME_MAX] = '\0';
    assert_int_equal(logged(fx, longname), 4);

    /* 63 characters fit, with '%' and bytes that are not printable */
    memset(fits, 'y', sizeof(fits) - 1);
    fits[sizeof(fits) - 1] = '\0';
    memcpy(fits, "a%s\x01", 4);
    sa_ike_rec_t facts = ike_facts(5);
    sa_event_t up = {.type = SA_EV_IKE_UP, .conn = fits, .ike_uid = 5, .ike = &facts};
    sa_events_apply(fx->e, &up);
    assert_int_equal(ike_row(fx, fits)->state, SA_STATE_ESTABLISHED);
}

/* a refused name's log line shows its bytes escaped */
static void test_refused_name_escaped(void **state)
{
    fx_t *fx = *state;
    char name[100];

    memset(name, 'z', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    memcpy(name, "%n\n\x1b[2J", 7);
    IKE_UP(fx, 1); /* a fitting row for comparison */
    sa_ike_rec_t facts = ike_facts(2);
    sa_event_t up = {.type = SA_EV_IKE_UP, .conn = name, .ike_uid = 2, .ike = &facts};
    sa_events_apply(fx->e, &up);
    assert_int_equal(logged(fx, "'%n\\x0a\\x1b[2Jzzz"), 1);
    for (size_t i = 0; i < fx->n_lines; i++)
        for (const char *p = fx->lines[i]; *p; p++)
            assert_true(*p >= 0x20 && *p < 0x7f);
}

/* huge names are shown cut (marked), and the memory of refused names is bounded */
static void test_refused_names_bounded(void **state)
{
    fx_t *fx = *state;
    size_t huge = 5000;
    char *name = malloc(huge + 1);

    memset(name, 'h', huge);
    name[huge] = '\0';
    sa_ike_rec_t facts = ike_facts(1);
    sa_event_t up = {.type = SA_EV_IKE_UP, .conn = name, .ike_uid = 1, .ike = &facts};
    sa_events_apply(fx->e, &up);
    assert_int_equal(logged(fx, "hhh...': a name of 5000 characters is not tracked"), 1);
    for (size_t i = 0; i < fx->n_lines; i++)
        assert_true(strlen(fx->lines[i]) < 600);

    /* SA_EVENTS_REFUSED_MAX different names are each logged once, then one line */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < SA_EVENTS_REFUSED_MAX + 20; i++) {
            snprintf(name, huge, "%05d-%s", i,
                     "long-name-long-name-long-name-long-name-long-name-long-name-long-name-x");
            up.conn = name;
            sa_events_apply(fx->e, &up);
        }
    }
    free(name);
    assert_int_equal(logged(fx, "is not tracked in the SA table"), SA_EVENTS_REFUSED_MAX);
    assert_int_equal(logged(fx, "further ones are not logged"), 1);
    assert_true(fx->n_lines < MAX_LINES);
    sa_table_snapshot_free(fx->rows, fx->n_rows);
    fx->n_rows = sa_table_snapshot(fx->t, &fx->rows);
    assert_int_equal(fx->n_rows, 0);
}

/* ---- reconciliation with what charon has installed ---- */

static void test_reconcile_fixes_and_logs_once(void **state)
{
    fx_t *fx = *state;
    sa_ike_rec_t ike = ike_facts(IKE);
    sa_child_rec_t inst = child_facts(4);
    const char *names[] = {"sensors"};

    tunnel_up(fx);
    /* the row went wrong somehow: it says #1 deleting */
    CHILD_STATE(fx, 1, DELETING, INSTALLED);
    ike.state = SA_STATE_ESTABLISHED;
    inst.state = SA_STATE_ESTABLISHED;
    assert_int_equal(sa_events_reconcile(fx->e, "azure", &ike, &inst, names, 1), 1);
    assert_child(fx, 4, SA_STATE_ESTABLISHED);
    assert_int_equal(child_row(fx, "azure", "sensors")->spi_in, 0xc0000004);
    assert_int_equal(logged(fx, "the SA table said CHILD_SA #1 deleting, charon has #4"), 1);
    /* nothing to fix the next time */
    assert_int_equal(sa_events_reconcile(fx->e, "azure", &ike, &inst, names, 1), 0);
    assert_int_equal(logged(fx, "the row follows charon"), 1);

    /* a row stuck at rekeying while charon has it installed */
    CHILD_STATE(fx, 4, REKEYING, INSTALLED);
    assert_int_equal(sa_events_reconcile(fx->e, "azure", &ike, &inst, names, 1), 1);
    assert_child(fx, 4, SA_STATE_ESTABLISHED);
}

/* the row keeps its own SA while charon lists it, even next to a newer one */
static void test_reconcile_keeps_listed_sa(void **state)
{
    fx_t *fx = *state;
    sa_ike_rec_t ike = ike_facts(IKE);
    sa_child_rec_t inst[2] = {child_facts(1), child_facts(2)};
    const char *names[] = {"sensors", "sensors"};

    tunnel_up(fx);
    ike.state = SA_STATE_ESTABLISHED;
    inst[0].state = SA_STATE_REKEYING;
    inst[1].state = SA_STATE_ESTABLISHED;
    CHILD_STATE(fx, 1, REKEYING, INSTALLED);
    assert_int_equal(sa_events_reconcile(fx->e, "azure", &ike, inst, names, 2), 0);
    assert_child(fx, 1, SA_STATE_REKEYING);
    /* another IKE_SA than the row's: its children are not the row's */
    sa_ike_rec_t other = ike_facts(8);
    other.state = SA_STATE_ESTABLISHED;
    assert_int_equal(sa_events_reconcile(fx->e, "azure", &other, &inst[1], names, 1), 0);
    assert_child(fx, 1, SA_STATE_REKEYING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_child_collision_won, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_collision_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_collision_peer_deletes_new_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failed_child_rekey_back_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_ike_rekey_back_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_failures_each_own_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unclaimed_child_failure_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_ike_rekey_is_routine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simultaneous_ike_rekeys_count_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_mismatch_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_failed_is_not_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_auth_peer_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_auth_no_credential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_auth_refusal_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_auth_late_rejection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_while_retrying, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endpoints_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_with_many_spis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_names_refused_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_name_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_names_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_fixes_and_logs_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_keeps_listed_sa, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
