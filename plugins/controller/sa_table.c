/*
 * sa_table: see sa_table.h. Every function takes the table mutex for the
 * duration of a copy; nothing here blocks, allocates under I/O or calls out.
 */
#include "sa_table.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    sa_ike_rec_t rec; /* rec.children/n_children are the live arrays */
    size_t cap_children;
    sa_reason_t pending;
    uint32_t pending_uid;
    char pending_detail[SA_TEXT_MAX];
} ike_row_t;

struct sa_table {
    pthread_mutex_t lock;
    sa_table_notify_fn notify; /* guarded by lock; called after unlock */
    void *notify_ctx;
    ike_row_t *rows;
    size_t n, cap;
};

static const char *state_names[SA_STATE_MAX] = {
    [SA_STATE_NONE] = "idle",
    [SA_STATE_CONNECTING] = "connecting",
    [SA_STATE_ESTABLISHED] = "up",
    [SA_STATE_REKEYING] = "rekeying",
    [SA_STATE_DELETING] = "deleting",
    [SA_STATE_DOWN] = "down",
    [SA_STATE_CONFIG_ERROR] = "config-error",
};

static const char *reason_names[SA_REASON_MAX] = {
    [SA_REASON_NONE] = "none",
    [SA_REASON_DPD_TIMEOUT] = "dpd-timeout",
    [SA_REASON_AUTH_FAILED] = "auth-failed",
    [SA_REASON_PROPOSAL_MISMATCH] = "proposal-mismatch",
    [SA_REASON_TS_MISMATCH] = "ts-mismatch",
    [SA_REASON_DELETED_BY_PEER] = "deleted-by-peer",
    [SA_REASON_UNREACHABLE] = "unreachable",
    [SA_REASON_DELETED_LOCALLY] = "deleted-locally",
    [SA_REASON_EXPIRED] = "expired",
    [SA_REASON_INSTALL_FAILED] = "install-failed",
    [SA_REASON_SHUTDOWN] = "shutdown",
    [SA_REASON_CONFIG] = "config",
};

const char *sa_state_name(sa_state_t s)
{
    return (s >= 0 && s < SA_STATE_MAX) ? state_names[s] : "unknown";
}

const char *sa_reason_name(sa_reason_t r)
{
    return (r >= 0 && r < SA_REASON_MAX) ? reason_names[r] : "unknown";
}

void sa_table_set_notify(sa_table_t *t, sa_table_notify_fn fn, void *ctx)
{
    pthread_mutex_lock(&t->lock);
    t->notify = fn;
    t->notify_ctx = ctx;
    pthread_mutex_unlock(&t->lock);
}

/* unlocks the table, then tells the observer that states changed */
static void unlock_notify(sa_table_t *t)
{
    sa_table_notify_fn fn = t->notify;
    void *ctx = t->notify_ctx;

    pthread_mutex_unlock(&t->lock);
    if (fn)
        fn(ctx);
}

static void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

sa_table_t *sa_table_create(void)
{
    sa_table_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void sa_table_destroy(sa_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].rec.children);
    free(t->rows);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static ike_row_t *find_ike(sa_table_t *t, const char *conn)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].rec.name, conn) == 0)
            return &t->rows[i];
    return NULL;
}

static ike_row_t *get_ike(sa_table_t *t, const char *conn)
{
    ike_row_t *row = find_ike(t, conn);
    if (row)
        return row;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        ike_row_t *rows = realloc(t->rows, cap * sizeof(*rows));
        if (!rows)
            return NULL;
        t->rows = rows;
        t->cap = cap;
    }
    row = &t->rows[t->n++];
    memset(row, 0, sizeof(*row));
    copy_str(row->rec.name, sizeof(row->rec.name), conn);
    return row;
}

static sa_child_rec_t *find_child(ike_row_t *row, const char *child)
{
    for (size_t i = 0; i < row->rec.n_children; i++)
        if (strcmp(row->rec.children[i].name, child) == 0)
            return &row->rec.children[i];
    return NULL;
}

static sa_child_rec_t *get_child(ike_row_t *row, const char *child)
{
    sa_child_rec_t *c = find_child(row, child);
    if (c)
        return c;
    if (row->rec.n_children == row->cap_children) {
        size_t cap = row->cap_children ? row->cap_children * 2 : 4;
        sa_child_rec_t *cs = realloc(row->rec.children, cap * sizeof(*cs));
        if (!cs)
            return NULL;
        row->rec.children = cs;
        row->cap_children = cap;
    }
    c = &row->rec.children[row->rec.n_children++];
    memset(c, 0, sizeof(*c));
    copy_str(c->name, sizeof(c->name), child);
    return c;
}

static void set_down(sa_reason_t *reason, char *detail, time_t *when, sa_reason_t r, const char *d)
{
    *reason = r;
    copy_str(detail, SA_TEXT_MAX, d);
    *when = time(NULL);
}

void sa_table_conn_loaded(sa_table_t *t, const char *conn, const char *const *children,
                          size_t n_children)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = get_ike(t, conn);
    if (row) {
        if (row->rec.state == SA_STATE_CONFIG_ERROR) {
            row->rec.state = SA_STATE_NONE;
            row->rec.last_down = SA_REASON_NONE;
            row->rec.last_down_detail[0] = '\0';
        }
        for (size_t i = 0; i < n_children; i++)
            get_child(row, children[i]);
    }
    unlock_notify(t);
}

void sa_table_conn_error(sa_table_t *t, const char *conn, const char *detail)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = get_ike(t, conn);
    if (row) {
        row->rec.state = SA_STATE_CONFIG_ERROR;
        set_down(&row->rec.last_down, row->rec.last_down_detail, &row->rec.last_down_time,
                 SA_REASON_CONFIG, detail);
    }
    unlock_notify(t);
}

void sa_table_conn_removed(sa_table_t *t, const char *conn)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = find_ike(t, conn);
    if (row) {
        free(row->rec.children);
        size_t idx = (size_t)(row - t->rows);
        memmove(row, row + 1, (t->n - idx - 1) * sizeof(*row));
        t->n--;
    }
    unlock_notify(t);
}

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
    return state == SA_STATE_CONNECTING &&
           (row_state == SA_STATE_ESTABLISHED || row_state == SA_STATE_REKEYING);
}

void sa_table_ike_update(sa_table_t *t, const sa_ike_rec_t *rec)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = get_ike(t, rec->name);
    if (row && stale_update(row->rec.state, row->rec.unique_id, rec->state, rec->unique_id))
        row = NULL;
    if (row) {
        sa_ike_rec_t *r = &row->rec;
        if (r->unique_id != rec->unique_id) {
            r->unique_id = rec->unique_id;
            r->established = 0;
        }
        r->state = rec->state;
        copy_str(r->local_addr, sizeof(r->local_addr), rec->local_addr);
        copy_str(r->remote_addr, sizeof(r->remote_addr), rec->remote_addr);
        copy_str(r->local_id, sizeof(r->local_id), rec->local_id);
        copy_str(r->remote_id, sizeof(r->remote_id), rec->remote_id);
        if (rec->proposal[0])
            copy_str(r->proposal, sizeof(r->proposal), rec->proposal);
        if (rec->established)
            r->established = rec->established;
    }
    unlock_notify(t);
}

void sa_table_ike_pending_reason(sa_table_t *t, const char *conn, uint32_t uid, sa_reason_t reason,
                                 const char *detail)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = get_ike(t, conn);
    if (row) {
        row->pending = reason;
        row->pending_uid = uid;
        copy_str(row->pending_detail, sizeof(row->pending_detail), detail);
    }
    pthread_mutex_unlock(&t->lock);
}

void sa_table_children_failed(sa_table_t *t, const char *conn, sa_reason_t reason,
                              const char *detail)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = find_ike(t, conn);
    for (size_t i = 0; row && i < row->rec.n_children; i++) {
        sa_child_rec_t *c = &row->rec.children[i];
        if (c->state == SA_STATE_ESTABLISHED || c->state == SA_STATE_REKEYING)
            continue;
        c->state = SA_STATE_DOWN;
        set_down(&c->last_down, c->last_down_detail, &c->last_down_time, reason, detail);
    }
    unlock_notify(t);
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

void sa_table_ike_down(sa_table_t *t, const char *conn, uint32_t uid, sa_reason_t reason,
                       const char *detail)
{
    pthread_mutex_lock(&t->lock);
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
            set_down(&row->rec.last_down, row->rec.last_down_detail, &row->rec.last_down_time,
                     reason, detail);
        goto out;
    }
    row->rec.state = SA_STATE_DOWN;
    set_down(&row->rec.last_down, row->rec.last_down_detail, &row->rec.last_down_time, reason,
             detail);
    for (size_t i = 0; i < row->rec.n_children; i++) {
        sa_child_rec_t *c = &row->rec.children[i];
        if (c->state == SA_STATE_DOWN)
            continue;
        c->state = SA_STATE_DOWN;
        set_down(&c->last_down, c->last_down_detail, &c->last_down_time, reason, detail);
    }
out:
    unlock_notify(t);
}

void sa_table_ike_rekeyed(sa_table_t *t, const char *conn, uint32_t old_uid, uint32_t new_uid)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = find_ike(t, conn);
    /* the new SA may already have been reported up */
    if (row && (row->rec.unique_id == old_uid || row->rec.unique_id == new_uid)) {
        row->rec.unique_id = new_uid;
        row->rec.rekeys++;
        row->rec.state = SA_STATE_ESTABLISHED;
        /* the table follows the new SA, so the pending reason of the old one is stale */
        row->pending = SA_REASON_NONE;
    }
    unlock_notify(t);
}

static void child_copy_fields(sa_child_rec_t *c, const sa_child_rec_t *rec)
{
    c->unique_id = rec->unique_id;
    c->state = rec->state;
    c->reqid = rec->reqid;
    c->if_id_in = rec->if_id_in;
    c->if_id_out = rec->if_id_out;
    c->spi_in = rec->spi_in;
    c->spi_out = rec->spi_out;
    copy_str(c->local_ts, sizeof(c->local_ts), rec->local_ts);
    copy_str(c->remote_ts, sizeof(c->remote_ts), rec->remote_ts);
    if (rec->proposal[0])
        copy_str(c->proposal, sizeof(c->proposal), rec->proposal);
    if (rec->established)
        c->established = rec->established;
}

void sa_table_child_update(sa_table_t *t, const char *conn, const sa_child_rec_t *rec)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = get_ike(t, conn);
    sa_child_rec_t *c = row ? get_child(row, rec->name) : NULL;
    if (c && stale_update(c->state, c->unique_id, rec->state, rec->unique_id))
        c = NULL;
    if (c) {
        if (c->unique_id != rec->unique_id) {
            /* a new CHILD_SA behind this row: counters start again */
            memset(&c->counters, 0, sizeof(c->counters));
            c->established = 0;
        }
        child_copy_fields(c, rec);
    }
    unlock_notify(t);
}

void sa_table_child_down(sa_table_t *t, const char *conn, uint32_t ike_uid, const char *child,
                         uint32_t uid, sa_reason_t reason, const char *detail)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = find_ike(t, conn);
    sa_child_rec_t *c = row ? find_child(row, child) : NULL;
    /* a DOWN row was already explained (by ike_down, for instance) */
    if (c && c->state != SA_STATE_DOWN && (c->unique_id == uid || c->unique_id == 0)) {
        reason = resolve_reason(row, ike_uid, reason, &detail);
        c->state = SA_STATE_DOWN;
        set_down(&c->last_down, c->last_down_detail, &c->last_down_time, reason, detail);
    }
    unlock_notify(t);
}

void sa_table_child_rekeyed(sa_table_t *t, const char *conn, uint32_t old_uid,
                            const sa_child_rec_t *rec)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = find_ike(t, conn);
    sa_child_rec_t *c = row ? find_child(row, rec->name) : NULL;
    if (c && (c->unique_id == old_uid || c->unique_id == rec->unique_id)) {
        child_copy_fields(c, rec);
        c->rekeys++;
        /* counters belong to the SA; the new one starts from zero */
        memset(&c->counters, 0, sizeof(c->counters));
    }
    unlock_notify(t);
}

void sa_table_child_counters(sa_table_t *t, const char *conn, const char *child, uint32_t uid,
                             const sa_counters_t *cnt)
{
    pthread_mutex_lock(&t->lock);
    ike_row_t *row = find_ike(t, conn);
    sa_child_rec_t *c = row ? find_child(row, child) : NULL;
    if (c && c->unique_id == uid)
        c->counters = *cnt;
    pthread_mutex_unlock(&t->lock);
}

size_t sa_table_snapshot(sa_table_t *t, sa_ike_rec_t **out)
{
    pthread_mutex_lock(&t->lock);
    size_t n = t->n;
    sa_ike_rec_t *rows = calloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; rows && i < n; i++) {
        const sa_ike_rec_t *src = &t->rows[i].rec;
        rows[i] = *src;
        rows[i].children = NULL;
        if (src->n_children) {
            rows[i].children = malloc(src->n_children * sizeof(sa_child_rec_t));
            if (!rows[i].children) {
                rows[i].n_children = 0;
                continue;
            }
            memcpy(rows[i].children, src->children, src->n_children * sizeof(sa_child_rec_t));
        }
    }
    pthread_mutex_unlock(&t->lock);
    *out = rows;
    return rows ? n : 0;
}

void sa_table_snapshot_free(sa_ike_rec_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].children);
    free(rows);
}
