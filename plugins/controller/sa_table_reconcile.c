/*
 * sa_table_reconcile: brings a row back to what charon has (see
 * sa_table_ike_reconcile / sa_table_child_reconcile in sa_table.h). The
 * stats job calls these with a view of one IKE_SA it holds checked out, so no
 * event of that IKE_SA can run meanwhile.
 *
 * Threading: every function takes the table mutex for a copy and calls the
 * notify hook after releasing it.
 */
#include "sa_table_priv.h"

#include <string.h>

bool sa_table_ike_reconcile(sa_table_t *t, const sa_ike_rec_t *rec, sa_ike_rec_t *was)
{
    bool changed = false;

    table_lock(t);
    ike_row_t *row = find_ike(t, rec->name);
    if (!row)
        goto out;
    sa_ike_rec_t *r = &row->rec;
    if (r->unique_id == rec->unique_id) {
        changed = r->state != rec->state;
    } else {
        /* the row follows another SA: only one that is not up is replaced */
        changed = !carries(r->state);
    }
    if (changed) {
        *was = ike_scalars(r);
        ike_copy_fields(t, r, rec);
        row->rekeyed_from = 0;
    }
out:
    table_unlock_notify(t);
    return changed;
}

/* the candidate the row should follow: its own SA if listed, else the newest */
static const sa_child_rec_t *pick(const sa_child_rec_t *c, const sa_child_rec_t *cands, size_t n)
{
    const sa_child_rec_t *best = NULL;

    for (size_t i = 0; i < n; i++) {
        if (strcmp(cands[i].name, c->name) != 0)
            continue;
        if (cands[i].unique_id == c->unique_id)
            return &cands[i];
        bool up = cands[i].state == SA_STATE_ESTABLISHED;
        bool best_up = best && best->state == SA_STATE_ESTABLISHED;
        if (!best || (up && !best_up) || (up == best_up && cands[i].unique_id > best->unique_id))
            best = &cands[i];
    }
    return best;
}

bool sa_table_child_reconcile(sa_table_t *t, const char *conn, uint32_t ike_uid,
                              const sa_child_rec_t *cands, size_t n, sa_child_rec_t *was,
                              sa_child_rec_t *now)
{
    bool changed = false;

    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    if (!row || row->rec.unique_id != ike_uid)
        goto out;
    for (size_t i = 0; i < row->rec.n_children && !changed; i++) {
        sa_child_rec_t *c = &row->rec.children[i];
        const sa_child_rec_t *want = pick(c, cands, n);
        if (!want || (want->unique_id == c->unique_id && want->state == c->state))
            continue;
        *was = child_scalars(c);
        if (want->unique_id == c->unique_id)
            c->state = want->state;
        else
            child_follow(t, c, want);
        *now = child_scalars(c);
        changed = true;
    }
out:
    table_unlock_notify(t);
    return changed;
}
