/*
 * sa_events: see sa_events.h. The handlers of each event type, and the
 * reconciliation with what the stats job reads from charon. Reasons an
 * IKE_SA may go down are kept here per IKE_SA (sa_events_mem.c) and handed
 * to the table when it goes down, with one log line then.
 *
 * Threading: one mutex held for the whole of an apply or reconcile; the
 * table's own mutex nests inside it, nothing nests inside the table's.
 */
#include "sa_events_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- handlers ---- */

static sa_ike_rec_t ike_rec(const sa_event_t *ev, sa_state_t state)
{
    sa_ike_rec_t r = *ev->ike;
    snprintf(r.name, sizeof(r.name), "%s", ev->conn);
    r.unique_id = ev->ike_uid;
    r.state = state;
    r.children = NULL;
    r.n_children = 0;
    return r;
}

static sa_child_rec_t child_rec(const sa_child_rec_t *rec, const char *name, sa_state_t state)
{
    sa_child_rec_t r = *rec;
    snprintf(r.name, sizeof(r.name), "%s", name);
    r.state = state;
    return r;
}

/* an IKE_SA may go down for this reason: remembered until it does */
static void pending(sa_events_t *e, const sa_event_t *ev, sa_reason_t reason, const char *detail)
{
    ike_mem_t *m = mem_get(e, ev->ike_uid);
    if (!m)
        return;
    m->pending = reason;
    keep_detail(e, &m->pending_detail, detail);
}

/* IKE_SA ev->ike_uid is gone (reported down, or destroyed without that) */
static void ike_gone(sa_events_t *e, const sa_event_t *ev)
{
    ike_mem_t *m = mem_get(e, ev->ike_uid);
    sa_reason_t reason = m ? m->pending : SA_REASON_NONE;
    const char *detail = m ? m->pending_detail : NULL;

    if (m && (m->retired || m->down))
        return;
    if (m)
        m->down = true;
    if (reason != SA_REASON_NONE) {
        char *w = who(ev->conn, NULL);
        say(e, "tunneld: %s: %s (%s); IKE_SA #%u is down", w ? w : "?", sa_reason_name(reason),
            sa_text(detail), ev->ike_uid);
        free(w);
    }
    sa_table_ike_down(e->t, ev->conn, ev->ike_uid, reason, detail);
}

/*
 * A CHILD_SA failure no CHILD_SA of ours took by the end of its exchange (we
 * were the responder and had none to create): logged, then forgotten.
 */
static void drop_child_fail(sa_events_t *e, const sa_event_t *ev, ike_mem_t *m)
{
    if (m->child_fail == SA_REASON_NONE)
        return;
    char *w = who(ev->conn, NULL);
    say(e, "tunneld: %s: CHILD_SA failed: %s (%s)", w ? w : "?", sa_reason_name(m->child_fail),
        sa_text(m->child_fail_detail));
    free(w);
    m->child_fail = SA_REASON_NONE;
}

/* the IKE_SA is destroyed: what was remembered about it goes */
static void ike_destroyed(sa_events_t *e, const sa_event_t *ev)
{
    ike_mem_t *m;

    /* every IKE_SA passes here, also those that never came up */
    ike_gone(e, ev);
    m = mem_find(e, ev->ike_uid);
    if (!m)
        return;
    drop_child_fail(e, ev, m);
    mem_drop(e, m);
}

/*
 * A new exchange starts: the previous one's unclaimed CHILD_SA failure, the
 * SPIs of its DELETE and its refusal of our authentication are stale (charon
 * acts on a message before it reads the next one of the same IKE_SA).
 */
static void on_message(sa_events_t *e, const sa_event_t *ev)
{
    ike_mem_t *m = mem_find(e, ev->ike_uid);
    if (!m)
        return;
    drop_child_fail(e, ev, m);
    mem_set_spis(m, NULL, 0);
    mem_set_auth_refused(m, false, 0, NULL);
}

/* up: what failed on earlier attempts of this IKE_SA no longer explains anything */
static void on_ike_up(sa_events_t *e, const sa_event_t *ev)
{
    ike_mem_t *m = mem_find(e, ev->ike_uid);
    sa_ike_rec_t r = ike_rec(ev, SA_STATE_ESTABLISHED);

    if (m)
        m->pending = SA_REASON_NONE;
    sa_table_ike_update(e->t, &r);
}

static void retire(sa_events_t *e, uint32_t uid)
{
    ike_mem_t *m = mem_get(e, uid);
    if (m)
        m->retired = true;
}

static void on_ike_state(sa_events_t *e, const sa_event_t *ev)
{
    sa_ike_rec_t r;

    switch (ev->ike_state) {
    case SA_EV_IKE_CONNECTING:
        r = ike_rec(ev, SA_STATE_CONNECTING);
        sa_table_ike_update(e->t, &r);
        break;
    case SA_EV_IKE_ESTABLISHED:
        /* also a failed rekey going back to ESTABLISHED */
        sa_table_ike_state(e->t, ev->conn, ev->ike_uid, SA_STATE_ESTABLISHED);
        break;
    case SA_EV_IKE_REKEYING:
        r = ike_rec(ev, SA_STATE_REKEYING);
        sa_table_ike_update(e->t, &r);
        break;
    case SA_EV_IKE_REKEYED:
        /* superseded (or redundant after a collision): its end is routine */
        retire(e, ev->ike_uid);
        break;
    case SA_EV_IKE_DELETING:
        if (!mem_retired(e, ev->ike_uid)) {
            r = ike_rec(ev, SA_STATE_DELETING);
            sa_table_ike_update(e->t, &r);
        }
        break;
    case SA_EV_IKE_DESTROYING:
        ike_destroyed(e, ev);
        break;
    default:
        break;
    }
}

/* a CHILD_SA that never got installed is destroyed: it is the one that failed */
static void take_fail(sa_events_t *e, const sa_event_t *ev)
{
    ike_mem_t *m = mem_find(e, ev->ike_uid);
    if (!m || m->child_fail == SA_REASON_NONE)
        return;
    char *w = who(ev->conn, ev->child);
    if (sa_table_child_failed(e->t, ev->conn, ev->child, ev->rec->unique_id, m->child_fail,
                              m->child_fail_detail))
        say(e, "tunneld: %s: CHILD_SA failed: %s (%s)", w ? w : "?", sa_reason_name(m->child_fail),
            sa_text(m->child_fail_detail));
    else
        say(e, "tunneld: %s: rekeying the CHILD_SA failed, the current one stays: %s (%s)",
            w ? w : "?", sa_reason_name(m->child_fail), sa_text(m->child_fail_detail));
    free(w);
    m->child_fail = SA_REASON_NONE;
}

/* the row's SA is going: true if the row moved to the SA that carries traffic now */
static bool follow_successor(sa_events_t *e, const sa_event_t *ev)
{
    if (!ev->successor)
        return false;
    sa_child_rec_t s = child_rec(ev->successor, ev->child, ev->successor->state);
    if (!sa_table_child_follow(e->t, ev->conn, ev->rec->unique_id, &s, NULL))
        return false;
    char *w = who(ev->conn, ev->child);
    say(e, "tunneld: %s: CHILD_SA #%u is going, #%u carries the traffic (%s): the row follows it",
        w ? w : "?", ev->rec->unique_id, s.unique_id,
        s.state == SA_STATE_ESTABLISHED ? "installed" : "its rekey is under way");
    free(w);
    return true;
}

static void on_child_state(sa_events_t *e, const sa_event_t *ev)
{
    sa_child_rec_t r;

    switch (ev->child_state) {
    case SA_EV_CHILD_INSTALLING:
        r = child_rec(ev->rec, ev->child, SA_STATE_CONNECTING);
        sa_table_child_update(e->t, ev->conn, &r);
        break;
    case SA_EV_CHILD_INSTALLED:
        /* also a failed rekey going back to INSTALLED */
        sa_table_child_state(e->t, ev->conn, ev->child, ev->rec->unique_id, SA_STATE_ESTABLISHED);
        break;
    case SA_EV_CHILD_REKEYING:
        r = child_rec(ev->rec, ev->child, SA_STATE_REKEYING);
        sa_table_child_update(e->t, ev->conn, &r);
        break;
    case SA_EV_CHILD_DELETING:
        if (!follow_successor(e, ev)) {
            r = child_rec(ev->rec, ev->child, SA_STATE_DELETING);
            sa_table_child_update(e->t, ev->conn, &r);
        }
        break;
    case SA_EV_CHILD_DESTROYING:
        if (ev->child_prev == SA_EV_CHILD_CREATED || ev->child_prev == SA_EV_CHILD_INSTALLING ||
            ev->child_prev == SA_EV_CHILD_RETRYING)
            take_fail(e, ev);
        break;
    default:
        break;
    }
}

static void on_child_down(sa_events_t *e, const sa_event_t *ev)
{
    ike_mem_t *m = mem_find(e, ev->ike_uid);
    sa_reason_t reason = m ? m->pending : SA_REASON_NONE;
    const char *detail = m ? m->pending_detail : NULL;

    if (m && mem_take_spi(m, ev->rec->spi_out)) {
        reason = SA_REASON_DELETED_BY_PEER;
        detail = "peer sent DELETE for this CHILD_SA";
    }
    if (!follow_successor(e, ev))
        sa_table_child_down(e->t, ev->conn, ev->ike_uid, ev->child, ev->rec->unique_id, reason,
                            detail);
}

/* a CHILD_SA being created on this IKE_SA failed; its destruction tells which */
static void child_failing(sa_events_t *e, const sa_event_t *ev, sa_reason_t reason,
                          const char *detail)
{
    ike_mem_t *m = mem_get(e, ev->ike_uid);
    if (!m)
        return;
    m->child_fail = reason;
    keep_detail(e, &m->child_fail_detail, detail);
}

static void on_unreachable(sa_events_t *e, const sa_event_t *ev)
{
    char *detail = detail_fmt(e, "peer did not answer IKE_SA_INIT/IKE_AUTH (attempt %u), %s",
                              ev->tries + 1, ev->retrying ? "trying again" : "giving up");

    pending(e, ev, SA_REASON_UNREACHABLE, detail);
    if (ev->retrying) {
        /* charon keeps this IKE_SA and tries again: say why now, not at its end */
        char *w = who(ev->conn, NULL);
        say(e, "tunneld: %s: %s (%s); IKE_SA #%u is still connecting", w ? w : "?",
            sa_reason_name(SA_REASON_UNREACHABLE), sa_text(detail), ev->ike_uid);
        free(w);
        sa_table_ike_attempt_failed(e->t, ev->conn, ev->ike_uid, SA_REASON_UNREACHABLE, detail);
    }
    free(detail);
}

static void on_peer_auth_failed(sa_events_t *e, const sa_event_t *ev)
{
    char *detail;

    if (!ev->id_required) {
        pending(e, ev, SA_REASON_AUTH_FAILED,
                "authentication failed: the peer's credentials did not verify");
        return;
    }
    char *req = escape(ev->id_required), *got = escape(ev->id_presented);
    detail = detail_fmt(e, "the peer presented identity '%s', remote.id requires '%s'",
                        got ? got : "?", req ? req : "?");
    free(req);
    free(got);
    pending(e, ev, SA_REASON_IDENTITY_MISMATCH, detail);
    free(detail);
}

/*
 * Charon failed our own authentication (ALERT_LOCAL_AUTH_FAILED): either the
 * peer refused it with an error notify in the message charon is processing
 * (ike_auth.c, ike_delete.c), or charon could not build our AUTH at all (no
 * shared key or private key for our identity, a PPK missing) and the peer
 * never saw it. Only the first is the peer rejecting our credentials.
 */
static void on_local_auth_failed(sa_events_t *e, const sa_event_t *ev)
{
    ike_mem_t *m = mem_find(e, ev->ike_uid);
    char *detail;

    if (m && m->auth_refused && m->auth_notify == SA_EV_NOTIFY_AUTHENTICATION_FAILED) {
        detail = detail_fmt(e, "the peer rejected our credentials (it answered "
                               "AUTHENTICATION_FAILED)");
    } else if (m && m->auth_refused && m->auth_notify_name) {
        detail = detail_fmt(e, "the peer refused our authentication (it answered %s)",
                            m->auth_notify_name);
    } else if (m && m->auth_refused) {
        detail = detail_fmt(e, "the peer refused our authentication (it answered error notify %u)",
                            (unsigned)m->auth_notify);
    } else {
        char *me = escape(ev->my_id ? ev->my_id : "?");
        char *peer = escape(ev->other_id ? ev->other_id : "?");
        detail = detail_fmt(e,
                            "we could not authenticate ourselves: no usable credential for our "
                            "identity (e.g. no shared key for '%s' - '%s', or no private key for "
                            "'%s')",
                            me ? me : "?", peer ? peer : "?", me ? me : "?");
        free(me);
        free(peer);
    }
    pending(e, ev, SA_REASON_AUTH_FAILED, detail);
    free(detail);
}

/* the peer refused our authentication: charon's alert follows in this message */
static void on_peer_auth_error(sa_events_t *e, const sa_event_t *ev)
{
    ike_mem_t *m = mem_get(e, ev->ike_uid);
    if (m)
        mem_set_auth_refused(m, true, ev->auth_notify, ev->auth_notify_name);
    else
        say(e,
            "tunneld: out of memory: IKE_SA #%u: the peer's refusal of our authentication "
            "is not remembered",
            ev->ike_uid);
}

static void on_alert(sa_events_t *e, const sa_event_t *ev)
{
    switch (ev->alert) {
    case SA_EV_ALERT_LOCAL_AUTH_FAILED:
        on_local_auth_failed(e, ev);
        break;
    case SA_EV_ALERT_PEER_AUTH_FAILED:
        on_peer_auth_failed(e, ev);
        break;
    case SA_EV_ALERT_PROPOSAL_MISMATCH_IKE:
        pending(e, ev, SA_REASON_PROPOSAL_MISMATCH, "no acceptable IKE proposal");
        break;
    case SA_EV_ALERT_PROPOSAL_MISMATCH_CHILD:
        child_failing(e, ev, SA_REASON_PROPOSAL_MISMATCH, "no acceptable ESP proposal");
        break;
    case SA_EV_ALERT_TS_MISMATCH:
        child_failing(e, ev, SA_REASON_TS_MISMATCH, "traffic selectors unacceptable");
        break;
    case SA_EV_ALERT_INSTALL_FAILED:
        child_failing(e, ev, SA_REASON_INSTALL_FAILED,
                      "the kernel refused the CHILD_SA or its policies");
        break;
    case SA_EV_ALERT_RETRANSMIT_TIMEOUT:
        if (ev->ike_connecting)
            pending(e, ev, SA_REASON_UNREACHABLE,
                    "peer did not answer IKE_SA_INIT/IKE_AUTH retransmits");
        else
            pending(e, ev, SA_REASON_DPD_TIMEOUT,
                    "peer stopped answering (DPD/retransmit timeout)");
        break;
    case SA_EV_ALERT_PEER_INIT_UNREACHABLE:
        on_unreachable(e, ev);
        break;
    case SA_EV_ALERT_HALF_OPEN_TIMEOUT:
        pending(e, ev, SA_REASON_UNREACHABLE, "half-open IKE_SA timed out");
        break;
    case SA_EV_ALERT_IKE_SA_EXPIRED:
        pending(e, ev, SA_REASON_EXPIRED, "IKE_SA hard lifetime reached");
        break;
    case SA_EV_ALERT_SHUTDOWN:
        pending(e, ev, SA_REASON_SHUTDOWN, "tunneld is shutting down");
        break;
    default:
        break;
    }
}

static void on_peer_delete(sa_events_t *e, const sa_event_t *ev)
{
    if (ev->delete_ike) {
        pending(e, ev, SA_REASON_DELETED_BY_PEER, "peer sent DELETE for the IKE_SA");
        return;
    }
    /* its SPIs replace those of the peer's previous DELETE on this IKE_SA */
    ike_mem_t *m = ev->n_spis ? mem_get(e, ev->ike_uid) : mem_find(e, ev->ike_uid);
    if (m && !mem_set_spis(m, ev->spis, ev->n_spis))
        say(e, "tunneld: out of memory: the %zu SPIs of a DELETE are not remembered", ev->n_spis);
}

static void on_peer_refused(sa_events_t *e, const sa_event_t *ev)
{
    static const char *names[] = {
        [SA_EV_NOTIFY_TS_UNACCEPTABLE] = "TS_UNACCEPTABLE",
        [SA_EV_NOTIFY_INVALID_SELECTORS] = "INVALID_SELECTORS",
        [SA_EV_NOTIFY_SINGLE_PAIR_REQUIRED] = "SINGLE_PAIR_REQUIRED",
    };
    char *detail;

    if (ev->notify > SA_EV_NOTIFY_SINGLE_PAIR_REQUIRED)
        return;
    detail = detail_fmt(e, "the peer refused the traffic selectors (%s)", names[ev->notify]);
    child_failing(e, ev, SA_REASON_TS_MISMATCH, detail);
    free(detail);
}

static void on_child_event(sa_events_t *e, const sa_event_t *ev)
{
    sa_child_rec_t c;

    switch (ev->type) {
    case SA_EV_CHILD_STATE:
        on_child_state(e, ev);
        break;
    case SA_EV_CHILD_UP:
        c = child_rec(ev->rec, ev->child, SA_STATE_ESTABLISHED);
        sa_table_child_update(e->t, ev->conn, &c);
        break;
    case SA_EV_CHILD_DOWN:
        on_child_down(e, ev);
        break;
    case SA_EV_CHILD_REKEY:
        c = child_rec(ev->rec, ev->child, SA_STATE_ESTABLISHED);
        sa_table_child_rekeyed(e->t, ev->conn, ev->old_uid, &c);
        break;
    default:
        break;
    }
}

static void dispatch(sa_events_t *e, const sa_event_t *ev)
{
    switch (ev->type) {
    case SA_EV_IKE_STATE:
        on_ike_state(e, ev);
        break;
    case SA_EV_IKE_UP:
        on_ike_up(e, ev);
        break;
    case SA_EV_IKE_DOWN:
        ike_gone(e, ev);
        break;
    case SA_EV_IKE_REKEY:
        sa_table_ike_rekeyed(e->t, ev->conn, ev->ike_uid, ev->new_uid);
        break;
    case SA_EV_IKE_ENDPOINTS:
        sa_table_ike_endpoints(e->t, ev->conn, ev->ike_uid, ev->local, ev->remote);
        break;
    case SA_EV_ALERT:
        /* what happens to a retired IKE_SA is routine (e.g. the peer deletes it) */
        if (!mem_retired(e, ev->ike_uid))
            on_alert(e, ev);
        break;
    case SA_EV_PEER_DELETE:
        if (!mem_retired(e, ev->ike_uid))
            on_peer_delete(e, ev);
        break;
    case SA_EV_PEER_REFUSED:
        on_peer_refused(e, ev);
        break;
    case SA_EV_PEER_AUTH_ERROR:
        on_peer_auth_error(e, ev);
        break;
    case SA_EV_MESSAGE:
        on_message(e, ev);
        break;
    default:
        on_child_event(e, ev);
        break;
    }
}

void sa_events_apply(sa_events_t *e, const sa_event_t *ev)
{
    pthread_mutex_lock(&e->lock);
    if (names_fit(e, ev->conn, ev->child))
        dispatch(e, ev);
    report_lost(e);
    pthread_mutex_unlock(&e->lock);
}

/* ---- reconciliation ---- */

static void log_ike_fix(sa_events_t *e, const sa_ike_rec_t *was, const sa_ike_rec_t *now)
{
    char *w = who(now->name, NULL);
    say(e,
        "tunneld: %s: the SA table said IKE_SA #%u %s, charon has #%u %s: the row follows "
        "charon",
        w ? w : "?", was->unique_id, sa_state_name(was->state), now->unique_id,
        now->state == SA_STATE_ESTABLISHED ? "ESTABLISHED" : "REKEYING");
    free(w);
}

static void log_child_fix(sa_events_t *e, const char *conn, const sa_child_rec_t *was,
                          const sa_child_rec_t *now)
{
    char *w = who(conn, now->name);
    say(e,
        "tunneld: %s: the SA table said CHILD_SA #%u %s, charon has #%u %s (SPIs %08x_i "
        "%08x_o): the row follows charon",
        w ? w : "?", was->unique_id, sa_state_name(was->state), now->unique_id,
        now->state == SA_STATE_ESTABLISHED ? "INSTALLED" : "REKEYING", now->spi_in, now->spi_out);
    free(w);
}

static unsigned reconcile_children(sa_events_t *e, const char *conn, uint32_t ike_uid,
                                   const sa_child_rec_t *children, const char *const *child_names,
                                   size_t n)
{
    sa_child_rec_t *cands = calloc(n ? n : 1, sizeof(*cands)), was, now;
    size_t m = 0;
    unsigned fixes = 0;

    if (!cands)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (names_fit(e, conn, child_names[i]))
            cands[m++] = child_rec(&children[i], child_names[i], children[i].state);
    for (size_t i = 0;
         i <= m && sa_table_child_reconcile(e->t, conn, ike_uid, cands, m, &was, &now); i++) {
        log_child_fix(e, conn, &was, &now);
        fixes++;
    }
    free(cands);
    return fixes;
}

unsigned sa_events_reconcile(sa_events_t *e, const char *conn, const sa_ike_rec_t *ike,
                             const sa_child_rec_t *children, const char *const *child_names,
                             size_t n)
{
    unsigned fixes = 0;
    sa_ike_rec_t r, was;

    pthread_mutex_lock(&e->lock);
    if (!names_fit(e, conn, NULL))
        goto out;
    r = *ike;
    snprintf(r.name, sizeof(r.name), "%s", conn);
    r.children = NULL;
    r.n_children = 0;
    if (sa_table_ike_reconcile(e->t, &r, &was)) {
        log_ike_fix(e, &was, &r);
        fixes++;
    }
    fixes += reconcile_children(e, conn, r.unique_id, children, child_names, n);
    report_lost(e);
out:
    pthread_mutex_unlock(&e->lock);
    return fixes;
}

sa_events_t *sa_events_create(sa_table_t *table, sa_events_log_fn log, void *log_ctx)
{
    sa_events_t *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->t = table;
    e->log = log;
    e->log_ctx = log_ctx;
    pthread_mutex_init(&e->lock, NULL);
    return e;
}

void sa_events_destroy(sa_events_t *e)
{
    if (!e)
        return;
    mem_free_all(e);
    refused_free(e);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
