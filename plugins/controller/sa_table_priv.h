/*
 * sa_table_priv: the table's storage, shared by sa_table.c (rows, locking,
 * notify hook, snapshots), sa_table_update.c (SA events) and
 * sa_table_reconcile.c (agreement with charon). Not for other modules.
 *
 * Threading: every helper here expects the caller to hold t->lock, except
 * table_lock() and table_unlock_notify() which take and release it.
 */
#ifndef TUNNELD_SA_TABLE_PRIV_H
#define TUNNELD_SA_TABLE_PRIV_H

#include <pthread.h>

#include "sa_table.h"

/* what the table keeps about a child row beyond its public record */
typedef struct {
    uint32_t rekeyed_from; /* the old SA of the rekey that made the current one */
} child_priv_t;

typedef struct {
    sa_ike_rec_t rec;   /* rec.children/n_children are the live arrays */
    child_priv_t *priv; /* parallel to rec.children */
    size_t cap_children;
    uint32_t rekeyed_from;
    sa_reason_t pending;
    uint32_t pending_uid;
    char *pending_detail; /* text */
} ike_row_t;

struct sa_table {
    pthread_mutex_t lock;
    pthread_cond_t idle;       /* signalled when calls drops to 0 */
    sa_table_notify_fn notify; /* guarded by lock; called after unlock */
    void *notify_ctx;
    unsigned calls; /* calls of the hook running now */
    ike_row_t *rows;
    size_t n, cap;
    size_t texts_lost; /* texts not stored for lack of memory, since the last report */
};

void table_lock(sa_table_t *t);
/* unlocks the table, then tells the observer that states changed */
void table_unlock_notify(sa_table_t *t);

void copy_str(char *dst, size_t size, const char *src);
/* a row's text becomes src (sa_text_set); a copy that fails is counted in t->texts_lost */
void keep_text(sa_table_t *t, char **dst, const char *src);
void set_down(sa_table_t *t, sa_reason_t *reason, char **detail, time_t *when, sa_reason_t r,
              const char *d);

/* the row named conn, NULL if none (or the name cannot be a row's) */
ike_row_t *find_ike(sa_table_t *t, const char *conn);
/* the row named conn, added if missing; NULL if the name does not fit */
ike_row_t *get_ike(sa_table_t *t, const char *conn);
sa_child_rec_t *find_child(ike_row_t *row, const char *child);
sa_child_rec_t *get_child(ike_row_t *row, const char *child);
child_priv_t *child_priv(ike_row_t *row, const sa_child_rec_t *c);

/* up or rekeying: an SA that carries traffic */
bool carries(sa_state_t s);
/* copies an SA's fields into a child row (name, counters and reasons kept) */
void child_copy_fields(sa_table_t *t, sa_child_rec_t *c, const sa_child_rec_t *rec);
/* the child row follows rec; counters start again when the SA changes */
void child_follow(sa_table_t *t, sa_child_rec_t *c, const sa_child_rec_t *rec);
/* copies an IKE_SA's fields into a row (name, rekeys and reasons kept) */
void ike_copy_fields(sa_table_t *t, sa_ike_rec_t *r, const sa_ike_rec_t *rec);
/* a row as handed out of the lock: its name and scalars, no texts (NULL) */
sa_child_rec_t child_scalars(const sa_child_rec_t *c);
sa_ike_rec_t ike_scalars(const sa_ike_rec_t *r);

#endif
