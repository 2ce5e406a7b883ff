/*
 * controller_listener: see controller_listener.h for the threading contract.
 *
 * Down reasons: alerts (auth, proposal, retransmit timeouts) and incoming
 * DELETE payloads are remembered as the pending reason of the IKE_SA; the
 * table applies it when the SA is reported down. A DELETE for ESP SPIs is
 * remembered by SPI so that only the CHILD_SA the peer deleted is blamed.
 */
#include "controller_listener.h"

#include <daemon.h>
#include <encoding/payloads/delete_payload.h>
#include <threading/mutex.h>

#include "ss_fmt.h"

#define PEER_DELETED_SPIS 32

typedef struct {
    controller_listener_t public;
    sa_table_t *table;
    mutex_t *lock; /* guards the SPI ring below */
    uint32_t peer_deleted[PEER_DELETED_SPIS];
    unsigned next_spi;
} private_listener_t;

/* connection name of an IKE_SA, NULL while a responder has no config yet */
static const char *conn_name(ike_sa_t *ike_sa)
{
    peer_cfg_t *cfg = ike_sa ? ike_sa->get_peer_cfg(ike_sa) : NULL;
    return cfg ? cfg->get_name(cfg) : NULL;
}

static void fill_ike(sa_ike_rec_t *rec, ike_sa_t *ike_sa, sa_state_t state)
{
    memset(rec, 0, sizeof(*rec));
    snprintf(rec->name, sizeof(rec->name), "%s", conn_name(ike_sa));
    rec->unique_id = ike_sa->get_unique_id(ike_sa);
    rec->state = state;
    fmt_host(rec->local_addr, sizeof(rec->local_addr), ike_sa->get_my_host(ike_sa));
    fmt_host(rec->remote_addr, sizeof(rec->remote_addr), ike_sa->get_other_host(ike_sa));
    fmt_id(rec->local_id, sizeof(rec->local_id), ike_sa->get_my_id(ike_sa));
    fmt_id(rec->remote_id, sizeof(rec->remote_id), ike_sa->get_other_id(ike_sa));
    fmt_proposal(rec->proposal, sizeof(rec->proposal), ike_sa->get_proposal(ike_sa));
    if (state == SA_STATE_ESTABLISHED)
        rec->established = time(NULL);
}

static void fill_child(sa_child_rec_t *rec, child_sa_t *child, sa_state_t state)
{
    memset(rec, 0, sizeof(*rec));
    snprintf(rec->name, sizeof(rec->name), "%s", child->get_name(child));
    rec->unique_id = child->get_unique_id(child);
    rec->state = state;
    rec->reqid = child->get_reqid(child);
    rec->if_id_in = child->get_if_id(child, TRUE);
    rec->if_id_out = child->get_if_id(child, FALSE);
    rec->spi_in = ntohl(child->get_spi(child, TRUE));
    rec->spi_out = ntohl(child->get_spi(child, FALSE));
    if (state == SA_STATE_ESTABLISHED || state == SA_STATE_REKEYING) {
        fmt_ts(rec->local_ts, sizeof(rec->local_ts), child, TRUE);
        fmt_ts(rec->remote_ts, sizeof(rec->remote_ts), child, FALSE);
        fmt_proposal(rec->proposal, sizeof(rec->proposal), child->get_proposal(child));
    }
    if (state == SA_STATE_ESTABLISHED)
        rec->established = time(NULL);
}

static void update_ike(private_listener_t *this, ike_sa_t *ike_sa, sa_state_t state)
{
    sa_ike_rec_t rec;

    fill_ike(&rec, ike_sa, state);
    sa_table_ike_update(this->table, &rec);
}

static void update_child(private_listener_t *this, ike_sa_t *ike_sa, child_sa_t *child,
                         sa_state_t state)
{
    sa_child_rec_t rec;

    fill_child(&rec, child, state);
    sa_table_child_update(this->table, conn_name(ike_sa), &rec);
}

METHOD(listener_t, ike_state_change, bool, private_listener_t *this, ike_sa_t *ike_sa,
       ike_sa_state_t state)
{
    const char *name = conn_name(ike_sa);

    if (!name)
        return TRUE;
    switch (state) {
    case IKE_CONNECTING:
        update_ike(this, ike_sa, SA_STATE_CONNECTING);
        break;
    case IKE_REKEYING:
        update_ike(this, ike_sa, SA_STATE_REKEYING);
        break;
    case IKE_DELETING:
        update_ike(this, ike_sa, SA_STATE_DELETING);
        break;
    case IKE_DESTROYING:
        /* every IKE_SA passes here, also those that never came up */
        sa_table_ike_down(this->table, name, ike_sa->get_unique_id(ike_sa), SA_REASON_NONE, NULL);
        break;
    default:
        break;
    }
    return TRUE;
}

METHOD(listener_t, ike_updown, bool, private_listener_t *this, ike_sa_t *ike_sa, bool up)
{
    const char *name = conn_name(ike_sa);

    if (!name)
        return TRUE;
    if (up)
        update_ike(this, ike_sa, SA_STATE_ESTABLISHED);
    else
        sa_table_ike_down(this->table, name, ike_sa->get_unique_id(ike_sa), SA_REASON_NONE, NULL);
    return TRUE;
}

METHOD(listener_t, ike_rekey, bool, private_listener_t *this, ike_sa_t *old, ike_sa_t *new)
{
    const char *name = conn_name(new);

    if (name)
        sa_table_ike_rekeyed(this->table, name, old->get_unique_id(old), new->get_unique_id(new));
    return TRUE;
}

METHOD(listener_t, ike_update, bool, private_listener_t *this, ike_sa_t *ike_sa, host_t *local,
       host_t *remote)
{
    if (conn_name(ike_sa) && ike_sa->get_state(ike_sa) == IKE_ESTABLISHED)
        update_ike(this, ike_sa, SA_STATE_ESTABLISHED);
    return TRUE;
}

METHOD(listener_t, child_state_change, bool, private_listener_t *this, ike_sa_t *ike_sa,
       child_sa_t *child, child_sa_state_t state)
{
    if (!conn_name(ike_sa))
        return TRUE;
    switch (state) {
    case CHILD_INSTALLING:
        update_child(this, ike_sa, child, SA_STATE_CONNECTING);
        break;
    case CHILD_REKEYING:
        update_child(this, ike_sa, child, SA_STATE_REKEYING);
        break;
    case CHILD_DELETING:
        update_child(this, ike_sa, child, SA_STATE_DELETING);
        break;
    default:
        break;
    }
    return TRUE;
}

/* did the peer delete this CHILD_SA (its DELETE named our outbound SPI)? */
static bool take_peer_deleted(private_listener_t *this, uint32_t spi_out)
{
    bool found = FALSE;

    this->lock->lock(this->lock);
    for (int i = 0; i < PEER_DELETED_SPIS; i++) {
        if (spi_out && this->peer_deleted[i] == spi_out) {
            this->peer_deleted[i] = 0;
            found = TRUE;
        }
    }
    this->lock->unlock(this->lock);
    return found;
}

METHOD(listener_t, child_updown, bool, private_listener_t *this, ike_sa_t *ike_sa,
       child_sa_t *child, bool up)
{
    const char *name = conn_name(ike_sa);

    if (!name)
        return TRUE;
    if (up) {
        update_child(this, ike_sa, child, SA_STATE_ESTABLISHED);
    } else {
        bool by_peer = take_peer_deleted(this, child->get_spi(child, FALSE));
        sa_table_child_down(this->table, name, ike_sa->get_unique_id(ike_sa),
                            child->get_name(child), child->get_unique_id(child),
                            by_peer ? SA_REASON_DELETED_BY_PEER : SA_REASON_NONE,
                            by_peer ? "peer sent DELETE for this CHILD_SA" : NULL);
    }
    return TRUE;
}

METHOD(listener_t, child_rekey, bool, private_listener_t *this, ike_sa_t *ike_sa, child_sa_t *old,
       child_sa_t *new)
{
    const char *name = conn_name(ike_sa);
    sa_child_rec_t rec;

    if (name) {
        fill_child(&rec, new, SA_STATE_ESTABLISHED);
        sa_table_child_rekeyed(this->table, name, old->get_unique_id(old), &rec);
    }
    return TRUE;
}

static void pending(private_listener_t *this, ike_sa_t *ike_sa, sa_reason_t reason,
                    const char *detail)
{
    /* one line per failure naming the connection; logging never blocks the bus */
    DBG1(DBG_CFG, "tunneld: connection '%s': %s (%s)", conn_name(ike_sa), sa_reason_name(reason),
         detail);
    sa_table_ike_pending_reason(this->table, conn_name(ike_sa), ike_sa->get_unique_id(ike_sa),
                                reason, detail);
}

static void children_failed(private_listener_t *this, ike_sa_t *ike_sa, sa_reason_t reason,
                            const char *detail)
{
    DBG1(DBG_CFG, "tunneld: connection '%s': CHILD_SA failed: %s (%s)", conn_name(ike_sa),
         sa_reason_name(reason), detail);
    sa_table_children_failed(this->table, conn_name(ike_sa), reason, detail);
}

METHOD(listener_t, alert, bool, private_listener_t *this, ike_sa_t *ike_sa, alert_t alert,
       va_list args)
{
    if (!conn_name(ike_sa))
        return TRUE;
    switch (alert) {
    case ALERT_LOCAL_AUTH_FAILED:
        pending(this, ike_sa, SA_REASON_AUTH_FAILED,
                "authentication failed: the peer rejected our credentials");
        break;
    case ALERT_PEER_AUTH_FAILED:
        pending(this, ike_sa, SA_REASON_AUTH_FAILED,
                "authentication failed: the peer's credentials did not verify");
        break;
    case ALERT_PROPOSAL_MISMATCH_IKE:
        pending(this, ike_sa, SA_REASON_PROPOSAL_MISMATCH, "no acceptable IKE proposal");
        break;
    case ALERT_PROPOSAL_MISMATCH_CHILD:
        children_failed(this, ike_sa, SA_REASON_PROPOSAL_MISMATCH, "no acceptable ESP proposal");
        break;
    case ALERT_TS_MISMATCH:
        children_failed(this, ike_sa, SA_REASON_TS_MISMATCH, "traffic selectors unacceptable");
        break;
    case ALERT_INSTALL_CHILD_SA_FAILED:
    case ALERT_INSTALL_CHILD_POLICY_FAILED:
        children_failed(this, ike_sa, SA_REASON_INSTALL_FAILED,
                        "the kernel refused the CHILD_SA or its policies");
        break;
    case ALERT_RETRANSMIT_SEND_TIMEOUT:
        if (ike_sa->get_state(ike_sa) == IKE_CONNECTING)
            pending(this, ike_sa, SA_REASON_UNREACHABLE,
                    "peer did not answer IKE_SA_INIT/IKE_AUTH retransmits");
        else
            pending(this, ike_sa, SA_REASON_DPD_TIMEOUT,
                    "peer stopped answering (DPD/retransmit timeout)");
        break;
    case ALERT_PEER_INIT_UNREACHABLE:
        pending(this, ike_sa, SA_REASON_UNREACHABLE, "peer unreachable during initiation");
        break;
    case ALERT_HALF_OPEN_TIMEOUT:
        pending(this, ike_sa, SA_REASON_UNREACHABLE, "half-open IKE_SA timed out");
        break;
    case ALERT_IKE_SA_EXPIRED:
        pending(this, ike_sa, SA_REASON_EXPIRED, "IKE_SA hard lifetime reached");
        break;
    case ALERT_SHUTDOWN_SIGNAL:
        pending(this, ike_sa, SA_REASON_SHUTDOWN, "tunneld is shutting down");
        break;
    default:
        break;
    }
    return TRUE;
}

METHOD(listener_t, message_hook, bool, private_listener_t *this, ike_sa_t *ike_sa,
       message_t *message, bool incoming, bool plain)
{
    enumerator_t *payloads, *spis;
    payload_t *payload;
    uint32_t spi;

    if (!incoming || !plain || !conn_name(ike_sa) ||
        message->get_exchange_type(message) != INFORMATIONAL || !message->get_request(message))
        return TRUE;
    payloads = message->create_payload_enumerator(message);
    while (payloads->enumerate(payloads, &payload)) {
        if (payload->get_type(payload) != PLV2_DELETE)
            continue;
        delete_payload_t *del = (delete_payload_t *)payload;
        if (del->get_protocol_id(del) == PROTO_IKE) {
            pending(this, ike_sa, SA_REASON_DELETED_BY_PEER, "peer sent DELETE for the IKE_SA");
            continue;
        }
        this->lock->lock(this->lock);
        spis = del->create_spi_enumerator(del);
        while (spis->enumerate(spis, &spi)) {
            this->peer_deleted[this->next_spi] = spi;
            this->next_spi = (this->next_spi + 1) % PEER_DELETED_SPIS;
        }
        spis->destroy(spis);
        this->lock->unlock(this->lock);
    }
    payloads->destroy(payloads);
    return TRUE;
}

METHOD(controller_listener_t, destroy, void, private_listener_t *this)
{
    this->lock->destroy(this->lock);
    free(this);
}

controller_listener_t *controller_listener_create(sa_table_t *table)
{
    private_listener_t *this;

    INIT(this,
         .public =
             {
                 .listener =
                     {
                         .alert = _alert,
                         .ike_state_change = _ike_state_change,
                         .ike_updown = _ike_updown,
                         .ike_rekey = _ike_rekey,
                         .ike_update = _ike_update,
                         .child_state_change = _child_state_change,
                         .child_updown = _child_updown,
                         .child_rekey = _child_rekey,
                         .message = _message_hook,
                     },
                 .destroy = _destroy,
             },
         .table = table, .lock = mutex_create(MUTEX_TYPE_DEFAULT), );
    return &this->public;
}
