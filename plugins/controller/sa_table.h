/*
 * sa_table: the controller's table of every IKE_SA and CHILD_SA tunneld knows.
 *
 * Pure C (no strongSwan types) so that tests and tunnelctl's renderers can use
 * it without libcharon. One mutex guards the whole table; every call holds it
 * only for a copy, so callers on charon's bus (under its lock) never wait on
 * anything slow.
 *
 * Threading: written by charon's worker threads (sa_events, fed by the
 * listener and the stats job) and by the config loader; read by the control
 * socket's and the route glue's threads through sa_table_snapshot(). All
 * functions are thread-safe. The notify hook is called outside the lock; see
 * sa_table_set_notify() for its lifetime.
 *
 * Rows persist after an SA goes down so that the table can say why; a row is
 * keyed by connection name (and child name), and carries the unique id of the
 * SA currently behind it. Events that name a stale unique id (an SA already
 * replaced by a rekey or a new attempt) are ignored.
 *
 * Names: a row's name is stored whole or not at all. A connection or child
 * name of SA_NAME_MAX characters or more (sa_table_name_fits() false) is
 * refused by every call that would add or look up a row: nothing is added,
 * nothing truncated (sa_events logs the refusal once per name).
 *
 * Texts: every other string of a record (addresses, identities, traffic
 * selectors, proposals, details) is a char * of any length, or NULL for
 * none (read it through sa_text()). It is never cut: the table keeps a value
 * whole, or (out of memory) none of it, counted by sa_table_texts_lost().
 * Records in the table, from sa_table_snapshot() and from the JSON parser
 * own their texts (heap strings, freed by sa_table_snapshot_free() or
 * sa_ike_rec_clear()); a record handed to an update call only lends them:
 * the table copies what it keeps (a text equal to the row's is not copied
 * again, so repeated events of one SA allocate nothing).
 */
#ifndef TUNNELD_SA_TABLE_H
#define TUNNELD_SA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SA_NAME_MAX 64

typedef enum {
    SA_STATE_NONE = 0,    /* loaded, never tried */
    SA_STATE_CONNECTING,  /* IKE_SA_INIT / IKE_AUTH, or CHILD being created */
    SA_STATE_ESTABLISHED, /* IKE up / CHILD installed */
    SA_STATE_REKEYING,
    SA_STATE_DELETING,
    SA_STATE_DOWN,         /* went down or failed: see reason */
    SA_STATE_CONFIG_ERROR, /* the connection could not be loaded */
    SA_STATE_MAX
} sa_state_t;

typedef enum {
    SA_REASON_NONE = 0,
    SA_REASON_DPD_TIMEOUT,       /* established SA stopped answering */
    SA_REASON_AUTH_FAILED,       /* local or peer authentication failed */
    SA_REASON_PROPOSAL_MISMATCH, /* no acceptable IKE or ESP proposal */
    SA_REASON_TS_MISMATCH,       /* traffic selectors unacceptable */
    SA_REASON_DELETED_BY_PEER,   /* the peer sent a DELETE */
    SA_REASON_UNREACHABLE,       /* initiation got no answer */
    SA_REASON_DELETED_LOCALLY,   /* terminated here (admin, unload, reload) */
    SA_REASON_EXPIRED,           /* hard lifetime reached without rekey */
    SA_REASON_INSTALL_FAILED,    /* the kernel refused the SA or its policies */
    SA_REASON_SHUTDOWN,          /* tunneld is stopping */
    SA_REASON_CONFIG,            /* the configuration was rejected */
    SA_REASON_IDENTITY_MISMATCH, /* the peer's identity fails remote.id */
    SA_REASON_MAX
} sa_reason_t;

typedef struct {
    uint64_t bytes_in, bytes_out;
    uint64_t packets_in, packets_out;
} sa_counters_t;

typedef struct {
    char name[SA_NAME_MAX];
    uint32_t unique_id;
    sa_state_t state;
    uint32_t reqid;
    uint32_t if_id_in, if_id_out;
    uint32_t spi_in, spi_out; /* host byte order */
    char *local_ts;           /* text: comma-separated traffic selectors */
    char *remote_ts;          /* text */
    char *proposal;           /* text */
    time_t established;       /* wall clock, 0 if never */
    uint32_t rekeys;
    sa_counters_t counters;
    sa_reason_t last_down;
    char *last_down_detail; /* text */
    time_t last_down_time;
} sa_child_rec_t;

typedef struct {
    char name[SA_NAME_MAX];
    uint32_t unique_id;
    sa_state_t state;
    char *local_addr;  /* text */
    char *remote_addr; /* text */
    char *local_id;    /* text */
    char *remote_id;   /* text */
    char *proposal;    /* text */
    time_t established;
    uint32_t rekeys;
    sa_reason_t last_down;
    char *last_down_detail; /* text */
    time_t last_down_time;
    size_t n_children;
    sa_child_rec_t *children;
} sa_ike_rec_t;

typedef struct sa_table sa_table_t;

/* a text field as a string: "" for NULL */
static inline const char *sa_text(const char *s)
{
    return s ? s : "";
}
/*
 * *dst (an owned text) becomes a copy of src (NULL or "" gives NULL; a value
 * equal to *dst is kept as it is). Out of memory: *dst becomes NULL (never a
 * stale value) and false is returned.
 */
bool sa_text_set(char **dst, const char *src);
/* frees the texts of an owned record (and an IKE record's children) */
void sa_child_rec_clear(sa_child_rec_t *c);
void sa_ike_rec_clear(sa_ike_rec_t *r);
/*
 * *dst becomes a deep copy of *src (texts, and an IKE record's children);
 * false if out of memory, with *dst then owning nothing
 */
bool sa_child_rec_copy(sa_child_rec_t *dst, const sa_child_rec_t *src);
bool sa_ike_rec_copy(sa_ike_rec_t *dst, const sa_ike_rec_t *src);

sa_table_t *sa_table_create(void);
void sa_table_destroy(sa_table_t *t);

/*
 * A connection was loaded: adds a row (and one per configured child) if
 * missing, and clears a previous configuration error.
 */
void sa_table_conn_loaded(sa_table_t *t, const char *conn, const char *const *children,
                          size_t n_children);
/* A connection failed to load: its row says CONFIG_ERROR with detail. */
void sa_table_conn_error(sa_table_t *t, const char *conn, const char *detail);
/* A connection was unloaded: its row is removed. */
void sa_table_conn_removed(sa_table_t *t, const char *conn);

/*
 * Upsert the IKE fields of rec (children ignored). If rec->unique_id differs
 * from the row's, the row now follows the new SA (a new attempt or rekey).
 */
void sa_table_ike_update(sa_table_t *t, const sa_ike_rec_t *rec);
/* Remember why the IKE_SA uid may go down; used by the next ike_down. */
void sa_table_ike_pending_reason(sa_table_t *t, const char *conn, uint32_t uid, sa_reason_t reason,
                                 const char *detail);
/*
 * IKE_SA uid of conn is gone. reason NONE uses the pending reason or
 * DELETED_LOCALLY. Children of the row go DOWN with the same reason. If the
 * row already follows another uid, only the reason is recorded.
 */
void sa_table_ike_down(sa_table_t *t, const char *conn, uint32_t uid, sa_reason_t reason,
                       const char *detail);
/*
 * IKE_SA old_uid was rekeyed into new_uid. A rekey counts once per old SA:
 * a second report for the same old SA (collisions) moves the row to the
 * later new SA without counting again.
 */
void sa_table_ike_rekeyed(sa_table_t *t, const char *conn, uint32_t old_uid, uint32_t new_uid);
/* IKE_SA uid of conn is in state (only if the row follows uid). */
void sa_table_ike_state(sa_table_t *t, const char *conn, uint32_t uid, sa_state_t state);
/* IKE_SA uid moved to new endpoints (only if the row follows uid). */
void sa_table_ike_endpoints(sa_table_t *t, const char *conn, uint32_t uid, const char *local,
                            const char *remote);
/*
 * An attempt of IKE_SA uid failed and charon keeps trying with the same SA
 * (keyingtries): a row that follows uid and is not up records the reason
 * now and stays CONNECTING.
 */
void sa_table_ike_attempt_failed(sa_table_t *t, const char *conn, uint32_t uid, sa_reason_t reason,
                                 const char *detail);

void sa_table_child_update(sa_table_t *t, const char *conn, const sa_child_rec_t *rec);
/* CHILD_SA uid (of IKE_SA ike_uid) is gone; reason NONE as for ike_down. */
void sa_table_child_down(sa_table_t *t, const char *conn, uint32_t ike_uid, const char *child,
                         uint32_t uid, sa_reason_t reason, const char *detail);
/*
 * CHILD_SA old_uid was rekeyed into rec (which carries the new uid). Counts
 * once per old SA: in a collision charon reports the rekey of the same old
 * SA twice (first the peer's new SA, then ours if we won): the row moves to
 * the later one without counting again.
 */
void sa_table_child_rekeyed(sa_table_t *t, const char *conn, uint32_t old_uid,
                            const sa_child_rec_t *rec);
/* CHILD_SA uid of conn.child is in state (only if the row follows uid). */
void sa_table_child_state(sa_table_t *t, const char *conn, const char *child, uint32_t uid,
                          sa_state_t state);
/*
 * CHILD_SA uid of conn.child failed to come up. The row goes DOWN with the
 * reason unless it follows another SA that is up or rekeying (a failed rekey
 * of a working SA): returns true if the row took the failure.
 */
bool sa_table_child_failed(sa_table_t *t, const char *conn, const char *child, uint32_t uid,
                           sa_reason_t reason, const char *detail);
/*
 * The row of conn.<rec->name> follows rec (an SA charon has installed)
 * instead of CHILD_SA only_if_uid (0: whatever it follows). Returns true if
 * the row changed; *was (may be NULL) receives the row as it was, without
 * its texts (NULL: they stay the table's).
 */
bool sa_table_child_follow(sa_table_t *t, const char *conn, uint32_t only_if_uid,
                           const sa_child_rec_t *rec, sa_child_rec_t *was);
/*
 * Reconciliation with charon (rec/cands: what charon has, state ESTABLISHED
 * or REKEYING). ike: if the row follows rec's SA, its state becomes rec's;
 * a row that is not up follows rec. Children (only while the IKE row follows
 * ike_uid): the row keeps its SA if it is a candidate (state corrected),
 * else follows the newest ESTABLISHED candidate (else the newest). Each
 * returns true if a row changed and copies it as it was into *was (and as it
 * is now into *now); a child call fixes one row: call it until it returns
 * false (at most n + 1 calls). *was and *now carry no texts (NULL).
 */
bool sa_table_ike_reconcile(sa_table_t *t, const sa_ike_rec_t *rec, sa_ike_rec_t *was);
bool sa_table_child_reconcile(sa_table_t *t, const char *conn, uint32_t ike_uid,
                              const sa_child_rec_t *cands, size_t n, sa_child_rec_t *was,
                              sa_child_rec_t *now);
/* Counters of CHILD_SA uid (ignored if the row follows another SA). */
void sa_table_child_counters(sa_table_t *t, const char *conn, const char *child, uint32_t uid,
                             const sa_counters_t *c);

/*
 * Called (outside the table's lock, in the writer's thread, often on charon's
 * bus) after a change of an SA's state. It must not block: tunneld's route
 * glue only writes to an eventfd. One observer; NULL removes it.
 * sa_table_set_notify() returns only when no call of the previous hook is
 * running and none will start, so the caller may free the old ctx at once.
 * It must not be called from the hook itself (it would wait for itself).
 */
typedef void (*sa_table_notify_fn)(void *ctx);
void sa_table_set_notify(sa_table_t *t, sa_table_notify_fn fn, void *ctx);

/*
 * Texts the table could not store for lack of memory since the last call
 * (each left empty, never stale); sa_events logs them.
 */
size_t sa_table_texts_lost(sa_table_t *t);

/* true if name can be a row's name (shorter than SA_NAME_MAX) */
bool sa_table_name_fits(const char *name);

/*
 * Deep copy of every row, texts included; whole or empty (0 rows, *out NULL,
 * when out of memory). Free with sa_table_snapshot_free.
 */
size_t sa_table_snapshot(sa_table_t *t, sa_ike_rec_t **out);
void sa_table_snapshot_free(sa_ike_rec_t *rows, size_t n);

const char *sa_state_name(sa_state_t s);
const char *sa_reason_name(sa_reason_t r);

#endif
