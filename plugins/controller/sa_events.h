/*
 * sa_events: what charon's bus events mean for the SA table. The listener
 * (controller_listener.c) turns each callback into a plain sa_event_t; the
 * stats job (controller_stats.c) hands over what charon has installed; this
 * module, pure C without strongSwan types, decides which row each applies to
 * and why an SA went down, so every sequence can be unit tested.
 *
 * What it remembers between events, all of it per IKE_SA and dropped when
 * that IKE_SA is destroyed (so its memory is bounded by the live SAs):
 *  - IKE_SAs retired by a rekey (their DELETE and destruction are routine);
 *  - the reason a CHILD_SA being created failed, until charon destroys it
 *    (or the exchange ends without one: the next message drops it);
 *  - the SPIs named by the peer's DELETE (any number of them), until the
 *    next message;
 *  - the error notify with which the peer refused our authentication (an
 *    IKE_AUTH response, or a late AUTHENTICATION_FAILED), until the next
 *    message: it tells a local authentication failure the peer caused from
 *    one where we had no usable credential;
 * and the over-long names it refused (to log each once; see
 * SA_EVENTS_REFUSED_MAX).
 *
 * Threading: sa_events_apply() runs in charon's workers under the bus lock,
 * sa_events_reconcile() in the stats job; one short mutex guards the state.
 * Neither blocks: the table's mutex and the log callback are all they call.
 */
#ifndef TUNNELD_SA_EVENTS_H
#define TUNNELD_SA_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sa_table.h"

/* over-long names remembered (by length and hash) to log each once; past it
 * one line says further ones are not logged */
#define SA_EVENTS_REFUSED_MAX 256

typedef enum {
    SA_EV_IKE_STATE,       /* ike_state_change: ike_state, ike */
    SA_EV_IKE_UP,          /* ike_updown(up): ike */
    SA_EV_IKE_DOWN,        /* ike_updown(down) */
    SA_EV_IKE_REKEY,       /* ike_rekey: ike_uid (old) into new_uid */
    SA_EV_IKE_ENDPOINTS,   /* ike_update: local, remote (the new endpoints) */
    SA_EV_CHILD_STATE,     /* child_state_change: child_state, child_prev, rec, successor */
    SA_EV_CHILD_UP,        /* child_updown(up): rec */
    SA_EV_CHILD_DOWN,      /* child_updown(down): rec, successor */
    SA_EV_CHILD_REKEY,     /* child_rekey: old_uid into rec */
    SA_EV_ALERT,           /* alert: alert, tries, ike_connecting, id_* */
    SA_EV_PEER_DELETE,     /* an incoming DELETE: delete_ike, spis */
    SA_EV_PEER_REFUSED,    /* an incoming response refusing a CHILD_SA: notify */
    SA_EV_PEER_AUTH_ERROR, /* the peer refused our authentication: auth_notify* */
    SA_EV_MESSAGE,         /* a message arrives (before PEER_*): a new exchange */
} sa_ev_type_t;

/* charon's IKE_SA states (ike_sa_state_t), in its order */
typedef enum {
    SA_EV_IKE_CREATED,
    SA_EV_IKE_CONNECTING,
    SA_EV_IKE_ESTABLISHED,
    SA_EV_IKE_PASSIVE,
    SA_EV_IKE_REKEYING,
    SA_EV_IKE_REKEYED,
    SA_EV_IKE_DELETING,
    SA_EV_IKE_DESTROYING,
} sa_ev_ike_state_t;

/* charon's CHILD_SA states (child_sa_state_t), in its order */
typedef enum {
    SA_EV_CHILD_CREATED,
    SA_EV_CHILD_ROUTED,
    SA_EV_CHILD_INSTALLING,
    SA_EV_CHILD_INSTALLED,
    SA_EV_CHILD_UPDATING,
    SA_EV_CHILD_REKEYING,
    SA_EV_CHILD_REKEYED,
    SA_EV_CHILD_RETRYING,
    SA_EV_CHILD_DELETING,
    SA_EV_CHILD_DELETED,
    SA_EV_CHILD_DESTROYING,
} sa_ev_child_state_t;

/* the alerts (alert_t) the table cares about */
typedef enum {
    SA_EV_ALERT_LOCAL_AUTH_FAILED, /* my_id/other_id: the identities charon authenticates with */
    SA_EV_ALERT_PEER_AUTH_FAILED,  /* id_required/id_presented set if the ID fails remote.id */
    SA_EV_ALERT_PROPOSAL_MISMATCH_IKE,
    SA_EV_ALERT_PROPOSAL_MISMATCH_CHILD,
    SA_EV_ALERT_TS_MISMATCH,
    SA_EV_ALERT_INSTALL_FAILED,
    SA_EV_ALERT_RETRANSMIT_TIMEOUT,    /* ike_connecting: the IKE_SA never came up */
    SA_EV_ALERT_PEER_INIT_UNREACHABLE, /* tries, retrying */
    SA_EV_ALERT_HALF_OPEN_TIMEOUT,
    SA_EV_ALERT_IKE_SA_EXPIRED,
    SA_EV_ALERT_SHUTDOWN,
} sa_ev_alert_t;

/* error notifies in a response that refuse the CHILD_SA we asked for */
typedef enum {
    SA_EV_NOTIFY_TS_UNACCEPTABLE,
    SA_EV_NOTIFY_INVALID_SELECTORS,
    SA_EV_NOTIFY_SINGLE_PAIR_REQUIRED,
} sa_ev_notify_t;

/* RFC 7296's number of the AUTHENTICATION_FAILED notify */
#define SA_EV_NOTIFY_AUTHENTICATION_FAILED 24

typedef struct {
    sa_ev_type_t type;
    const char *conn; /* the connection's whole name (any length) */
    uint32_t ike_uid; /* the IKE_SA the event is about (or that holds the CHILD_SA) */
    /* IKE events */
    sa_ev_ike_state_t ike_state;
    const sa_ike_rec_t *ike; /* the IKE_SA's facts (its name is ignored) */
    uint32_t new_uid;
    const char *local, *remote;
    /* CHILD events */
    const char *child; /* the CHILD_SA's whole name (rec->name is ignored) */
    const sa_child_rec_t *rec;
    sa_ev_child_state_t child_state, child_prev;
    uint32_t old_uid;
    /* CHILD_DOWN, CHILD_STATE DELETING: another SA of the child that carries traffic (state
     * ESTABLISHED: installed; REKEYING: its rekey is under way), or NULL */
    const sa_child_rec_t *successor;
    /* ALERT */
    sa_ev_alert_t alert;
    uint32_t tries;      /* PEER_INIT_UNREACHABLE: failed attempts so far */
    bool retrying;       /* PEER_INIT_UNREACHABLE: charon tries again (keyingtries) */
    bool ike_connecting; /* RETRANSMIT_TIMEOUT */
    const char *id_required, *id_presented;
    const char *my_id, *other_id; /* LOCAL_AUTH_FAILED */
    /* PEER_DELETE, PEER_REFUSED */
    bool delete_ike;
    const uint32_t *spis; /* our outbound SPIs the peer deleted (host order) */
    size_t n_spis;
    sa_ev_notify_t notify;
    /* PEER_AUTH_ERROR: the error notify (RFC 7296 number) that makes charon fail our
     * authentication, and its name (NULL if charon has none for it) */
    uint16_t auth_notify;
    const char *auth_notify_name;
} sa_event_t;

/* one log line (no newline); must not block */
typedef void (*sa_events_log_fn)(void *ctx, const char *line);

typedef struct sa_events sa_events_t;

sa_events_t *sa_events_create(sa_table_t *table, sa_events_log_fn log, void *log_ctx);
void sa_events_destroy(sa_events_t *e);

void sa_events_apply(sa_events_t *e, const sa_event_t *ev);

/*
 * What charon has for one IKE_SA of conn, read while the stats job holds it:
 * ike (state ESTABLISHED or REKEYING) and its CHILD_SAs that are installed
 * (state ESTABLISHED, or REKEYING while a rekey runs); child_names[i] is the
 * whole name of children[i]. Rows that disagree are fixed, each fix logged.
 * Returns the number of rows fixed.
 */
unsigned sa_events_reconcile(sa_events_t *e, const char *conn, const sa_ike_rec_t *ike,
                             const sa_child_rec_t *children, const char *const *child_names,
                             size_t n);

#endif
