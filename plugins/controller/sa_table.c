/*
 * sa_table: see sa_table.h. This file holds the rows, the lock, the notify
 * hook, snapshots and the rows of loaded connections; SA events are applied
 * in sa_table_update.c, the agreement with charon in sa_table_reconcile.c.
 *
 * Threading: every function takes the table mutex for the duration of a
 * copy; nothing here blocks, does I/O or calls out, except the notify hook,
 * which is called after the mutex is released (see table_unlock_notify).
 */
#include "sa_table_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    [SA_REASON_IDENTITY_MISMATCH] = "identity-mismatch",
};

const char *sa_state_name(sa_state_t s)
{
    return (s >= 0 && s < SA_STATE_MAX) ? state_names[s] : "unknown";
}

const char *sa_reason_name(sa_reason_t r)
{
    return (r >= 0 && r < SA_REASON_MAX) ? reason_names[r] : "unknown";
}

bool sa_table_name_fits(const char *name)
{
    return name && strnlen(name, SA_NAME_MAX) < SA_NAME_MAX;
}

void table_lock(sa_table_t *t)
{
    pthread_mutex_lock(&t->lock);
}

/*
 * The hook is read under the lock and counted as running before the lock is
 * released, so that sa_table_set_notify() can wait for every call it did not
 * prevent.
 */
void table_unlock_notify(sa_table_t *t)
{
    sa_table_notify_fn fn = t->notify;
    void *ctx = t->notify_ctx;

    if (fn)
        t->calls++;
    pthread_mutex_unlock(&t->lock);
    if (!fn)
        return;
    fn(ctx);
    pthread_mutex_lock(&t->lock);
    if (--t->calls == 0)
        pthread_cond_broadcast(&t->idle);
    pthread_mutex_unlock(&t->lock);
}

void sa_table_set_notify(sa_table_t *t, sa_table_notify_fn fn, void *ctx)
{
    pthread_mutex_lock(&t->lock);
    /* no new call of the old hook from here; wait out those running */
    t->notify = NULL;
    t->notify_ctx = NULL;
    while (t->calls)
        pthread_cond_wait(&t->idle, &t->lock);
    t->notify = fn;
    t->notify_ctx = ctx;
    pthread_mutex_unlock(&t->lock);
}

void copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void keep_text(sa_table_t *t, char **dst, const char *src)
{
    if (!sa_text_set(dst, src))
        t->texts_lost++;
}

void set_down(sa_table_t *t, sa_reason_t *reason, char **detail, time_t *when, sa_reason_t r,
              const char *d)
{
    *reason = r;
    keep_text(t, detail, d);
    *when = time(NULL);
}

sa_child_rec_t child_scalars(const sa_child_rec_t *c)
{
    sa_child_rec_t s = *c;

    s.local_ts = s.remote_ts = s.proposal = s.last_down_detail = NULL;
    return s;
}

sa_ike_rec_t ike_scalars(const sa_ike_rec_t *r)
{
    sa_ike_rec_t s = *r;

    s.local_addr = s.remote_addr = s.local_id = s.remote_id = s.proposal = NULL;
    s.last_down_detail = NULL;
    s.children = NULL;
    s.n_children = 0;
    return s;
}

size_t sa_table_texts_lost(sa_table_t *t)
{
    pthread_mutex_lock(&t->lock);
    size_t n = t->texts_lost;
    t->texts_lost = 0;
    pthread_mutex_unlock(&t->lock);
    return n;
}

bool carries(sa_state_t s)
{
    return s == SA_STATE_ESTABLISHED || s == SA_STATE_REKEYING;
}

sa_table_t *sa_table_create(void)
{
    sa_table_t *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->idle, NULL);
    return t;
}

static void free_row(ike_row_t *row)
{
    sa_ike_rec_clear(&row->rec);
    free(row->priv);
    free(row->pending_detail);
}

void sa_table_destroy(sa_table_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free_row(&t->rows[i]);
    free(t->rows);
    pthread_cond_destroy(&t->idle);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

ike_row_t *find_ike(sa_table_t *t, const char *conn)
{
    if (!sa_table_name_fits(conn))
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].rec.name, conn) == 0)
            return &t->rows[i];
    return NULL;
}

ike_row_t *get_ike(sa_table_t *t, const char *conn)
{
    ike_row_t *row = find_ike(t, conn);
    if (row || !sa_table_name_fits(conn))
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

sa_child_rec_t *find_child(ike_row_t *row, const char *child)
{
    if (!sa_table_name_fits(child))
        return NULL;
    for (size_t i = 0; i < row->rec.n_children; i++)
        if (strcmp(row->rec.children[i].name, child) == 0)
            return &row->rec.children[i];
    return NULL;
}

static bool grow_children(ike_row_t *row)
{
    size_t cap = row->cap_children ? row->cap_children * 2 : 4;
    sa_child_rec_t *cs = realloc(row->rec.children, cap * sizeof(*cs));
    if (!cs)
        return false;
    row->rec.children = cs;
    child_priv_t *ps = realloc(row->priv, cap * sizeof(*ps));
    if (!ps)
        return false;
    row->priv = ps;
    row->cap_children = cap;
    return true;
}

sa_child_rec_t *get_child(ike_row_t *row, const char *child)
{
    sa_child_rec_t *c = find_child(row, child);
    if (c || !sa_table_name_fits(child))
        return c;
    if (row->rec.n_children == row->cap_children && !grow_children(row))
        return NULL;
    size_t i = row->rec.n_children++;
    c = &row->rec.children[i];
    memset(c, 0, sizeof(*c));
    memset(&row->priv[i], 0, sizeof(row->priv[i]));
    copy_str(c->name, sizeof(c->name), child);
    return c;
}

child_priv_t *child_priv(ike_row_t *row, const sa_child_rec_t *c)
{
    return &row->priv[c - row->rec.children];
}

void sa_table_conn_loaded(sa_table_t *t, const char *conn, const char *const *children,
                          size_t n_children)
{
    table_lock(t);
    ike_row_t *row = get_ike(t, conn);
    if (row) {
        if (row->rec.state == SA_STATE_CONFIG_ERROR) {
            row->rec.state = SA_STATE_NONE;
            row->rec.last_down = SA_REASON_NONE;
            keep_text(t, &row->rec.last_down_detail, NULL);
        }
        for (size_t i = 0; i < n_children; i++)
            get_child(row, children[i]);
    }
    table_unlock_notify(t);
}

void sa_table_conn_error(sa_table_t *t, const char *conn, const char *detail)
{
    table_lock(t);
    ike_row_t *row = get_ike(t, conn);
    if (row) {
        row->rec.state = SA_STATE_CONFIG_ERROR;
        set_down(t, &row->rec.last_down, &row->rec.last_down_detail, &row->rec.last_down_time,
                 SA_REASON_CONFIG, detail);
    }
    table_unlock_notify(t);
}

void sa_table_conn_removed(sa_table_t *t, const char *conn)
{
    table_lock(t);
    ike_row_t *row = find_ike(t, conn);
    if (row) {
        free_row(row);
        size_t idx = (size_t)(row - t->rows);
        memmove(row, row + 1, (t->n - idx - 1) * sizeof(*row));
        t->n--;
    }
    table_unlock_notify(t);
}

size_t sa_table_snapshot(sa_table_t *t, sa_ike_rec_t **out)
{
    pthread_mutex_lock(&t->lock);
    size_t n = t->n;
    sa_ike_rec_t *rows = calloc(n ? n : 1, sizeof(*rows));
    bool ok = rows != NULL;
    /* rows not reached stay zeroed: sa_table_snapshot_free frees what was copied */
    for (size_t i = 0; ok && i < n; i++)
        ok = sa_ike_rec_copy(&rows[i], &t->rows[i].rec);
    pthread_mutex_unlock(&t->lock);
    if (!ok) {
        /* nothing half-copied: a snapshot is whole or empty */
        sa_table_snapshot_free(rows, n);
        rows = NULL;
    }
    *out = rows;
    return rows ? n : 0;
}

void sa_table_snapshot_free(sa_ike_rec_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        sa_ike_rec_clear(&rows[i]);
    free(rows);
}
