/*
 * sa_table_update: the SA events of sa_table.h (IKE and CHILD updates,
 * rekeys, failures, downs). Which event applies to which row is decided by
 * sa_events.c; this file keeps each row on the SA that carries traffic.
 *
 * Threading: every function takes the table mutex for a copy and calls the
 * notify hook after releasing it (table_unlock_notify).
 */
#include "sa_table_priv.h"

#include <string.h>

/*
 * Whether an update for SA uid must leave a row that follows row_uid alone:
 *  - a REKEYING or DELETING report of another SA is about an old one (the
 *    row already follows its successor after a rekey);
 *  - a new SA still connecting while the row's SA is up is a rekey, a
 *    reauthentication or a re-establishment in progress: the row keeps
 *    following the SA that carries traffic until the new one is up.
 */
static bool stale_update(sa_state_t row_state, uint32_t row_uid, sa_state_t state, uint32_t uid)
{
    if (uid == row_uid || row_uid == 0)
        return false;
    if (state == SA_STATE_REKEYING || state == SA_STATE_DELETING)
        return true;
    return state == SA_STATE_CONNECTING && carries(row_state);
}

void ike_copy_fields(sa_table_t *t, sa_ike_rec_t *r, const sa_ike_rec_t *rec)
{
    if (r->unique_id != rec->unique_id) {
        r->unique_id = rec->unique_id;
        r->established = 0;
    }
    r->state = rec->state;
    keep_text(t, &r->local_addr, rec->local_addr);
    keep_text(t, &r->remote_addr, rec->remote_addr);
    keep_text(t, &r->local_id, rec->local_id);
    keep_text(t, &r->remote_id, rec->remote_id);
    if (rec->proposal && rec->proposal[0])
        keep_text(t, &r->proposal, rec->proposal);
    /* set once per SA: later reports recompute it from charon's clock, +-1 s */
    if (!r->established)
        r->established = rec->established;
}

void sa_table_ike_update(sa_table_t *t, const sa_ike_rec_t *rec)
{
    table_lock(t);
    ike_row_t *row = get_ike(t, rec->name);
    if (row && !stale_update(row->rec.state, row->rec.unique_id, rec->state, rec->unique_id))
        ike_copy_fields(t, &row->rec, rec);
    table_unlock_notify(t);
}

void sa_table_ike_state(sa_table_t *t, const char *conn, uint32_t uid, sa_state_t state)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    if (row && row->rec.unique_id == uid)
        row->rec.state = state;
    table_unlock_notify(t);
}

void sa_table_ike_endpoints(sa_table_t *t, const char *conn, uint32_t uid, const char *local,
                            const char *remote)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    if (row && row->rec.unique_id == uid) {
        keep_text(t, &row->rec.local_addr, local);
        keep_text(t, &row->rec.remote_addr, remote);
    }
    table_unlock_notify(t);
}

void sa_table_ike_pending_reason(sa_table_t *t, const char *conn, uint32_t uid, sa_reason_t reason,
                                 const char *detail)
{
    table_lock(t);
    ike_row_t *row = get_ike(t, conn);
    if (row) {
        row->pending = reason;
        row->pending_uid = uid;
        keep_text(t, &row->pending_detail, detail);
    }
    table_unlock_notify(t);
}

void sa_table_ike_attempt_failed(sa_table_t *t, const char *conn, uint32_t uid, sa_reason_t reason,
                                 const char *detail)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    if (row && (row->rec.unique_id == uid || row->rec.unique_id == 0) && !carries(row->rec.state)) {
        row->rec.unique_id = uid;
        row->rec.state = SA_STATE_CONNECTING;
        set_down(t, &row->rec.last_down, &row->rec.last_down_detail, &row->rec.last_down_time,
                 reason, detail);
    }
    table_unlock_notify(t);
}

/* The reason an SA of row goes down: explicit, else pending for ike_uid, else local. */
static sa_reason_t resolve_reason(const ike_row_t *row, uint32_t ike_uid, sa_reason_t reason,
                                  const char **detail)
{
    if (reason != SA_REASON_NONE)
        return reason;
    if (row->pending != SA_REASON_NONE && row->pending_uid == ike_uid) {
        *detail = row->pending_detail;
        return row->pending;
    }
    return SA_REASON_DELETED_LOCALLY;
}

static void children_down(sa_table_t *t, ike_row_t *row, sa_reason_t reason, const char *detail)
{
    for (size_t i = 0; i < row->rec.n_children; i++) {
        sa_child_rec_t *c = &row->rec.children[i];
        if (c->state == SA_STATE_DOWN)
            continue;
        c->state = SA_STATE_DOWN;
        set_down(t, &c->last_down, &c->last_down_detail, &c->last_down_time, reason, detail);
    }
}

void sa_table_ike_down(sa_table_t *t, const char *conn, uint32_t uid, sa_reason_t reason,
                       const char *detail)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    if (!row)
        goto out;
    reason = resolve_reason(row, uid, reason, &detail);
    if (row->rec.unique_id != uid && row->rec.unique_id != 0) {
        /*
         * The row already follows a newer SA (charon re-establishes before it
         * reports the old one down): keep its state, but record why the old
         * one went, unless it simply went away.
         */
        if (reason != SA_REASON_DELETED_LOCALLY)
            set_down(t, &row->rec.last_down, &row->rec.last_down_detail, &row->rec.last_down_time,
                     reason, detail);
        goto out;
    }
    row->rec.state = SA_STATE_DOWN;
    set_down(t, &row->rec.last_down, &row->rec.last_down_detail, &row->rec.last_down_time, reason,
             detail);
    children_down(t, row, reason, detail);
out:
    table_unlock_notify(t);
}

void sa_table_ike_rekeyed(sa_table_t *t, const char *conn, uint32_t old_uid, uint32_t new_uid)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    if (!row)
        goto out;
    uint32_t uid = row->rec.unique_id;
    /* the new SA may already have been reported up */
    bool first = (uid == old_uid || uid == new_uid) && row->rekeyed_from != old_uid;
    bool again = row->rekeyed_from == old_uid && old_uid != 0;
    if (first || again) {
        /* established stays: the connection has been up since then */
        row->rec.unique_id = new_uid;
        row->rec.state = SA_STATE_ESTABLISHED;
        row->rekeyed_from = old_uid;
        if (first)
            row->rec.rekeys++;
        /* the table follows the new SA, so the pending reason of the old one is stale */
        row->pending = SA_REASON_NONE;
    }
out:
    table_unlock_notify(t);
}

void child_copy_fields(sa_table_t *t, sa_child_rec_t *c, const sa_child_rec_t *rec)
{
    c->unique_id = rec->unique_id;
    c->state = rec->state;
    c->reqid = rec->reqid;
    c->if_id_in = rec->if_id_in;
    c->if_id_out = rec->if_id_out;
    c->spi_in = rec->spi_in;
    c->spi_out = rec->spi_out;
    keep_text(t, &c->local_ts, rec->local_ts);
    keep_text(t, &c->remote_ts, rec->remote_ts);
    if (rec->proposal && rec->proposal[0])
        keep_text(t, &c->proposal, rec->proposal);
    if (!c->established)
        c->established = rec->established;
}

void child_follow(sa_table_t *t, sa_child_rec_t *c, const sa_child_rec_t *rec)
{
    if (c->unique_id != rec->unique_id) {
        /* a new CHILD_SA behind this row: counters start again */
        memset(&c->counters, 0, sizeof(c->counters));
        c->established = 0;
    }
    child_copy_fields(t, c, rec);
}

void sa_table_child_update(sa_table_t *t, const char *conn, const sa_child_rec_t *rec)
{
    table_lock(t);
    ike_row_t *row = get_ike(t, conn);
    sa_child_rec_t *c = row ? get_child(row, rec->name) : NULL;
    if (c && !stale_update(c->state, c->unique_id, rec->state, rec->unique_id)) {
        /* an SA created anew, not by a rekey this row saw */
        if (c->unique_id != rec->unique_id)
            child_priv(row, c)->rekeyed_from = 0;
        child_follow(t, c, rec);
    }
    table_unlock_notify(t);
}

void sa_table_child_state(sa_table_t *t, const char *conn, const char *child, uint32_t uid,
                          sa_state_t state)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    sa_child_rec_t *c = row ? find_child(row, child) : NULL;
    if (c && c->unique_id == uid)
        c->state = state;
    table_unlock_notify(t);
}

void sa_table_child_down(sa_table_t *t, const char *conn, uint32_t ike_uid, const char *child,
                         uint32_t uid, sa_reason_t reason, const char *detail)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    sa_child_rec_t *c = row ? find_child(row, child) : NULL;
    /* a DOWN row was already explained (by ike_down, for instance) */
    if (c && c->state != SA_STATE_DOWN && (c->unique_id == uid || c->unique_id == 0)) {
        reason = resolve_reason(row, ike_uid, reason, &detail);
        c->state = SA_STATE_DOWN;
        set_down(t, &c->last_down, &c->last_down_detail, &c->last_down_time, reason, detail);
    }
    table_unlock_notify(t);
}

bool sa_table_child_failed(sa_table_t *t, const char *conn, const char *child, uint32_t uid,
                           sa_reason_t reason, const char *detail)
{
    bool took = false;

    table_lock(t);
    ike_row_t *row = get_ike(t, conn);
    sa_child_rec_t *c = row ? get_child(row, child) : NULL;
    if (c && (c->unique_id == uid || !carries(c->state))) {
        c->unique_id = uid;
        c->state = SA_STATE_DOWN;
        set_down(t, &c->last_down, &c->last_down_detail, &c->last_down_time, reason, detail);
        took = true;
    }
    table_unlock_notify(t);
    return took;
}

void sa_table_child_rekeyed(sa_table_t *t, const char *conn, uint32_t old_uid,
                            const sa_child_rec_t *rec)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    sa_child_rec_t *c = row ? find_child(row, rec->name) : NULL;
    if (!c)
        goto out;
    child_priv_t *p = child_priv(row, c);
    bool first =
        (c->unique_id == old_uid || c->unique_id == rec->unique_id) && p->rekeyed_from != old_uid;
    bool again = p->rekeyed_from == old_uid && old_uid != 0;
    if (first || again) {
        uint32_t rekeys = c->rekeys + (first ? 1 : 0);
        child_follow(t, c, rec);
        c->rekeys = rekeys;
        p->rekeyed_from = old_uid;
    }
out:
    table_unlock_notify(t);
}

bool sa_table_child_follow(sa_table_t *t, const char *conn, uint32_t only_if_uid,
                           const sa_child_rec_t *rec, sa_child_rec_t *was)
{
    bool changed = false;

    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    sa_child_rec_t *c = row ? find_child(row, rec->name) : NULL;
    if (c && (only_if_uid == 0 || c->unique_id == only_if_uid)) {
        changed = c->unique_id != rec->unique_id || c->state != rec->state;
        if (was)
            *was = child_scalars(c);
        child_follow(t, c, rec);
    }
    table_unlock_notify(t);
    return changed;
}

void sa_table_child_counters(sa_table_t *t, const char *conn, const char *child, uint32_t uid,
                             const sa_counters_t *cnt)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    sa_child_rec_t *c = row ? find_child(row, child) : NULL;
    if (c && c->unique_id == uid)
        c->counters = *cnt;
    pthread_mutex_unlock(&t->lock);
}
