/*
 * controller_listener: see controller_listener.h. A thin adapter: each
 * callback copies the facts it needs into a plain sa_event_t and hands it to
 * sa_events, which decides what it means for the table.
 *
 * The facts are copied into records whose texts (ss_fmt) are heap strings of
 * their own size, freed once sa_events has applied the event: allocation,
 * never I/O or waiting, under charon's bus lock.
 *
 * Charon facts read here because only the thread holding the IKE_SA can read
 * them: the state a CHILD_SA leaves (state callbacks run before the change),
 * another installed CHILD_SA of the same name when one goes down, whether
 * the peer's identity fails remote.id when its authentication fails, whether
 * charon retries an unanswered initiation, the identities charon
 * authenticates us with when our authentication fails, and the payloads of
 * incoming DELETEs, CHILD_SA error notifies and error notifies that refuse
 * our authentication.
 */
#include "controller_listener.h"

#include <daemon.h>
#include <encoding/payloads/delete_payload.h>
#include <encoding/payloads/notify_payload.h>

#include "controller_facts.h"
#include "ss_fmt.h"

typedef struct {
    controller_listener_t public;
    sa_events_t *events;
} private_listener_t;

/*
 * an event about ike_sa (NULL conn, so ignored, if it has no config yet or
 * if charon raised a CHILD_SA event outside any IKE_SA's context)
 */
static sa_event_t ike_event(ike_sa_t *ike_sa, sa_ev_type_t type)
{
    return (sa_event_t){
        .type = type,
        .conn = facts_conn_name(ike_sa),
        .ike_uid = ike_sa ? ike_sa->get_unique_id(ike_sa) : 0,
    };
}

static void apply(private_listener_t *this, const sa_event_t *ev)
{
    if (ev->conn)
        sa_events_apply(this->events, ev);
}

METHOD(listener_t, ike_state_change, bool, private_listener_t *this, ike_sa_t *ike_sa,
       ike_sa_state_t state)
{
    sa_event_t ev = ike_event(ike_sa, SA_EV_IKE_STATE);
    sa_ike_rec_t rec;

    facts_ike(&rec, ike_sa);
    ev.ike = &rec;
    ev.ike_state = facts_ike_state(state);
    apply(this, &ev);
    sa_ike_rec_clear(&rec);
    return TRUE;
}

METHOD(listener_t, ike_updown, bool, private_listener_t *this, ike_sa_t *ike_sa, bool up)
{
    sa_event_t ev = ike_event(ike_sa, up ? SA_EV_IKE_UP : SA_EV_IKE_DOWN);
    sa_ike_rec_t rec;

    facts_ike(&rec, ike_sa);
    ev.ike = &rec;
    apply(this, &ev);
    sa_ike_rec_clear(&rec);
    return TRUE;
}

METHOD(listener_t, ike_rekey, bool, private_listener_t *this, ike_sa_t *old, ike_sa_t *new)
{
    sa_event_t ev = ike_event(old, SA_EV_IKE_REKEY);

    ev.new_uid = new->get_unique_id(new);
    apply(this, &ev);
    return TRUE;
}

/* raised before charon switches endpoints: the new ones are the arguments */
METHOD(listener_t, ike_update, bool, private_listener_t *this, ike_sa_t *ike_sa, host_t *local,
       host_t *remote)
{
    sa_event_t ev = ike_event(ike_sa, SA_EV_IKE_ENDPOINTS);
    char *l = fmt_host(local), *r = fmt_host(remote);

    if (!l || !r)
        DBG1(DBG_CFG, "tunneld: out of memory: the new endpoints of IKE_SA #%u are left empty",
             ev.ike_uid);
    ev.local = l;
    ev.remote = r;
    apply(this, &ev);
    free(l);
    free(r);
    return TRUE;
}

static sa_event_t child_event(ike_sa_t *ike_sa, child_sa_t *child, sa_ev_type_t type,
                              sa_child_rec_t *rec)
{
    sa_event_t ev = ike_event(ike_sa, type);

    facts_child(rec, child);
    ev.child = child->get_name(child);
    ev.rec = rec;
    return ev;
}

/*
 * Which SA of gone's name carries traffic now: the newest one charon has
 * INSTALLED, else one being rekeyed (REKEYING, or REKEYED while the rekey
 * that replaces it has not completed: it stays in the kernel until then).
 * *out owns its texts if found (sa_child_rec_clear).
 */
static bool successor(ike_sa_t *ike_sa, child_sa_t *gone, sa_child_rec_t *out)
{
    enumerator_t *e;
    child_sa_t *c, *best = NULL;
    int best_rank = 0;

    if (!ike_sa)
        return FALSE;
    e = ike_sa->create_child_sa_enumerator(ike_sa);
    while (e->enumerate(e, &c)) {
        child_sa_state_t st = c->get_state(c);
        int rank = st == CHILD_INSTALLED ? 2 : (st == CHILD_REKEYING || st == CHILD_REKEYED);
        if (c == gone || !rank || !streq(c->get_name(c), gone->get_name(gone)))
            continue;
        if (rank > best_rank ||
            (rank == best_rank && c->get_unique_id(c) > best->get_unique_id(best))) {
            best = c;
            best_rank = rank;
        }
    }
    e->destroy(e);
    if (best) {
        facts_child(out, best);
        out->state = best_rank == 2 ? SA_STATE_ESTABLISHED : SA_STATE_REKEYING;
    }
    return best != NULL;
}

METHOD(listener_t, child_state_change, bool, private_listener_t *this, ike_sa_t *ike_sa,
       child_sa_t *child, child_sa_state_t state)
{
    sa_child_rec_t rec, next;
    sa_event_t ev = child_event(ike_sa, child, SA_EV_CHILD_STATE, &rec);

    ev.child_state = facts_child_state(state);
    /* charon calls before it changes the state: this is the one it leaves */
    ev.child_prev = facts_child_state(child->get_state(child));
    if (state == CHILD_DELETING && successor(ike_sa, child, &next))
        ev.successor = &next;
    apply(this, &ev);
    if (ev.successor)
        sa_child_rec_clear(&next);
    sa_child_rec_clear(&rec);
    return TRUE;
}

METHOD(listener_t, child_updown, bool, private_listener_t *this, ike_sa_t *ike_sa,
       child_sa_t *child, bool up)
{
    sa_child_rec_t rec, sibling;
    sa_event_t ev = child_event(ike_sa, child, up ? SA_EV_CHILD_UP : SA_EV_CHILD_DOWN, &rec);

    if (!up && successor(ike_sa, child, &sibling))
        ev.successor = &sibling;
    apply(this, &ev);
    if (ev.successor)
        sa_child_rec_clear(&sibling);
    sa_child_rec_clear(&rec);
    return TRUE;
}

METHOD(listener_t, child_rekey, bool, private_listener_t *this, ike_sa_t *ike_sa, child_sa_t *old,
       child_sa_t *new)
{
    sa_child_rec_t rec;
    sa_event_t ev = child_event(ike_sa, new, SA_EV_CHILD_REKEY, &rec);

    ev.old_uid = old->get_unique_id(old);
    apply(this, &ev);
    sa_child_rec_clear(&rec);
    return TRUE;
}

/*
 * Whether the peer's identity fails a remote identity of the config (the
 * "constraint check failed: identity ... required" case): fills both
 * identities (free them) and returns TRUE if so.
 */
static bool identity_mismatch(ike_sa_t *ike_sa, char **required, char **presented)
{
    peer_cfg_t *cfg = ike_sa->get_peer_cfg(ike_sa);
    identification_t *got = ike_sa->get_other_id(ike_sa), *want;
    enumerator_t *e;
    auth_cfg_t *auth;
    bool mismatch = FALSE;

    if (!cfg || !got)
        return FALSE;
    e = cfg->create_auth_cfg_enumerator(cfg, FALSE);
    while (!mismatch && e->enumerate(e, &auth)) {
        want = auth->get(auth, AUTH_RULE_IDENTITY);
        if (want && got->matches(got, want) == ID_MATCH_NONE) {
            *required = fmt_id(want);
            *presented = fmt_id(got);
            mismatch = TRUE;
        }
    }
    e->destroy(e);
    return mismatch;
}

static void peer_auth_failed(private_listener_t *this, sa_event_t *ev, ike_sa_t *ike_sa)
{
    char *required = NULL, *presented = NULL;

    if (identity_mismatch(ike_sa, &required, &presented)) {
        ev->id_required = required ? required : "?";
        ev->id_presented = presented ? presented : "?";
    }
    apply(this, ev);
    free(required);
    free(presented);
}

static void init_unreachable(private_listener_t *this, sa_event_t *ev, ike_sa_t *ike_sa,
                             va_list args)
{
    peer_cfg_t *cfg = ike_sa->get_peer_cfg(ike_sa);
    uint32_t tries = cfg ? cfg->get_keyingtries(cfg) : 1;

    /* charon passes the attempts made so far, then retries while tries allow */
    ev->tries = va_arg(args, uint32_t);
    ev->retrying = tries == 0 || tries > ev->tries + 1;
    apply(this, ev);
}

/* our authentication failed: the identities charon looked up our credential for */
static void local_auth_failed(private_listener_t *this, sa_event_t *ev, ike_sa_t *ike_sa)
{
    char *me = fmt_id(ike_sa->get_my_id(ike_sa)), *peer = fmt_id(ike_sa->get_other_id(ike_sa));

    ev->my_id = me ? me : "?";
    ev->other_id = peer ? peer : "?";
    apply(this, ev);
    free(me);
    free(peer);
}

static bool map_alert(alert_t alert, sa_ev_alert_t *out)
{
    static const struct {
        alert_t from;
        sa_ev_alert_t to;
    } map[] = {
        {ALERT_LOCAL_AUTH_FAILED, SA_EV_ALERT_LOCAL_AUTH_FAILED},
        {ALERT_PEER_AUTH_FAILED, SA_EV_ALERT_PEER_AUTH_FAILED},
        {ALERT_PROPOSAL_MISMATCH_IKE, SA_EV_ALERT_PROPOSAL_MISMATCH_IKE},
        {ALERT_PROPOSAL_MISMATCH_CHILD, SA_EV_ALERT_PROPOSAL_MISMATCH_CHILD},
        {ALERT_TS_MISMATCH, SA_EV_ALERT_TS_MISMATCH},
        {ALERT_INSTALL_CHILD_SA_FAILED, SA_EV_ALERT_INSTALL_FAILED},
        {ALERT_INSTALL_CHILD_POLICY_FAILED, SA_EV_ALERT_INSTALL_FAILED},
        {ALERT_RETRANSMIT_SEND_TIMEOUT, SA_EV_ALERT_RETRANSMIT_TIMEOUT},
        {ALERT_PEER_INIT_UNREACHABLE, SA_EV_ALERT_PEER_INIT_UNREACHABLE},
        {ALERT_HALF_OPEN_TIMEOUT, SA_EV_ALERT_HALF_OPEN_TIMEOUT},
        {ALERT_IKE_SA_EXPIRED, SA_EV_ALERT_IKE_SA_EXPIRED},
        {ALERT_SHUTDOWN_SIGNAL, SA_EV_ALERT_SHUTDOWN},
    };
    for (size_t i = 0; i < countof(map); i++) {
        if (map[i].from == alert) {
            *out = map[i].to;
            return TRUE;
        }
    }
    return FALSE;
}

METHOD(listener_t, alert, bool, private_listener_t *this, ike_sa_t *ike_sa, alert_t alert,
       va_list args)
{
    sa_event_t ev;

    if (!ike_sa)
        return TRUE;
    ev = ike_event(ike_sa, SA_EV_ALERT);
    if (!ev.conn || !map_alert(alert, &ev.alert))
        return TRUE;
    switch (ev.alert) {
    case SA_EV_ALERT_PEER_AUTH_FAILED:
        peer_auth_failed(this, &ev, ike_sa);
        break;
    case SA_EV_ALERT_PEER_INIT_UNREACHABLE:
        init_unreachable(this, &ev, ike_sa, args);
        break;
    case SA_EV_ALERT_LOCAL_AUTH_FAILED:
        local_auth_failed(this, &ev, ike_sa);
        break;
    default:
        ev.ike_connecting = ike_sa->get_state(ike_sa) == IKE_CONNECTING;
        apply(this, &ev);
        break;
    }
    return TRUE;
}

/* SPIs of DELETE payloads, as many as the message holds */
typedef struct {
    uint32_t *v;
    size_t n, cap;
    bool failed;
} spi_list_t;

/* appends the SPIs of one DELETE payload (host order) */
static void add_spis(delete_payload_t *del, spi_list_t *l)
{
    enumerator_t *e = del->create_spi_enumerator(del);
    uint32_t spi;

    while (!l->failed && e->enumerate(e, &spi)) {
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 16;
            uint32_t *v = realloc(l->v, cap * sizeof(*v));
            if (!v) {
                l->failed = TRUE;
                break;
            }
            l->v = v;
            l->cap = cap;
        }
        l->v[l->n++] = ntohl(spi);
    }
    e->destroy(e);
}

/* an incoming DELETE request: the IKE_SA, or CHILD_SAs named by our outbound SPIs */
static void peer_delete(private_listener_t *this, ike_sa_t *ike_sa, message_t *message)
{
    enumerator_t *payloads = message->create_payload_enumerator(message);
    sa_event_t ev = ike_event(ike_sa, SA_EV_PEER_DELETE);
    spi_list_t spis = {0};
    payload_t *payload;
    bool ike = FALSE, child = FALSE;

    while (payloads->enumerate(payloads, &payload)) {
        if (payload->get_type(payload) != PLV2_DELETE)
            continue;
        delete_payload_t *del = (delete_payload_t *)payload;
        if (del->get_protocol_id(del) == PROTO_IKE) {
            ike = TRUE;
        } else {
            child = TRUE;
            add_spis(del, &spis);
        }
    }
    payloads->destroy(payloads);
    if (spis.failed)
        DBG1(DBG_CFG, "tunneld: out of memory reading a DELETE: only %zu SPIs remembered", spis.n);
    if (ike) {
        ev.delete_ike = TRUE;
        apply(this, &ev);
    }
    if (child) {
        ev.delete_ike = FALSE;
        ev.spis = spis.v;
        ev.n_spis = spis.n;
        apply(this, &ev);
    }
    free(spis.v);
}

/* an incoming response refusing the CHILD_SA we asked for */
static void peer_refused(private_listener_t *this, ike_sa_t *ike_sa, message_t *message)
{
    static const struct {
        notify_type_t type;
        sa_ev_notify_t notify;
    } map[] = {
        {TS_UNACCEPTABLE, SA_EV_NOTIFY_TS_UNACCEPTABLE},
        {INVALID_SELECTORS, SA_EV_NOTIFY_INVALID_SELECTORS},
        {SINGLE_PAIR_REQUIRED, SA_EV_NOTIFY_SINGLE_PAIR_REQUIRED},
    };
    sa_event_t ev = ike_event(ike_sa, SA_EV_PEER_REFUSED);

    for (size_t i = 0; i < countof(map); i++) {
        if (message->get_notify(message, map[i].type)) {
            ev.notify = map[i].notify;
            apply(this, &ev);
            return;
        }
    }
}

/* error notifies in an IKE_AUTH response that cost only the CHILD_SA (ike_auth.c process_i) */
static bool child_only_error(notify_type_t type)
{
    switch (type) {
    case NO_PROPOSAL_CHOSEN:
    case SINGLE_PAIR_REQUIRED:
    case NO_ADDITIONAL_SAS:
    case INTERNAL_ADDRESS_FAILURE:
    case FAILED_CP_REQUIRED:
    case TS_UNACCEPTABLE:
    case INVALID_SELECTORS:
        return TRUE;
    default:
        return FALSE;
    }
}

/*
 * The error notify of an IKE_AUTH response with which charon 5.9.8 fails our
 * authentication (ike_auth.c process_i: the first of type 16383 or less that
 * does not cost only the CHILD_SA); any type counts, also unknown ones.
 */
static bool auth_error_notify(message_t *message, notify_type_t *out)
{
    enumerator_t *e = message->create_payload_enumerator(message);
    payload_t *payload;
    bool found = FALSE;

    while (!found && e->enumerate(e, &payload)) {
        if (payload->get_type(payload) != PLV2_NOTIFY)
            continue;
        notify_payload_t *notify = (notify_payload_t *)payload;
        notify_type_t type = notify->get_notify_type(notify);
        if (type <= 16383 && !child_only_error(type)) {
            *out = type;
            found = TRUE;
        }
    }
    e->destroy(e);
    return found;
}

/*
 * An incoming message refusing our authentication: an IKE_AUTH response with
 * an error notify, or an INFORMATIONAL request with a late
 * AUTHENTICATION_FAILED (ike_delete.c). Charon raises ALERT_LOCAL_AUTH_FAILED
 * while it processes it; sa_events tells that from a credential of ours
 * that is missing.
 */
static void peer_auth_error(private_listener_t *this, ike_sa_t *ike_sa, message_t *message,
                            bool ike_auth)
{
    sa_event_t ev = ike_event(ike_sa, SA_EV_PEER_AUTH_ERROR);
    notify_type_t type = AUTHENTICATION_FAILED;

    if (ike_auth ? !auth_error_notify(message, &type)
                 : !message->get_notify(message, AUTHENTICATION_FAILED))
        return;
    ev.auth_notify = (uint16_t)type;
    ev.auth_notify_name = enum_to_name(notify_type_names, type);
    apply(this, &ev);
}

METHOD(listener_t, message_hook, bool, private_listener_t *this, ike_sa_t *ike_sa,
       message_t *message, bool incoming, bool plain)
{
    exchange_type_t type;

    sa_event_t ev = ike_event(ike_sa, SA_EV_MESSAGE);

    if (!incoming || !plain || !ev.conn)
        return TRUE;
    apply(this, &ev);
    type = message->get_exchange_type(message);
    if (message->get_request(message)) {
        if (type == INFORMATIONAL) {
            peer_delete(this, ike_sa, message);
            peer_auth_error(this, ike_sa, message, FALSE);
        }
    } else if (type == IKE_AUTH || type == CREATE_CHILD_SA) {
        peer_refused(this, ike_sa, message);
        if (type == IKE_AUTH)
            peer_auth_error(this, ike_sa, message, TRUE);
    }
    return TRUE;
}

METHOD(controller_listener_t, destroy, void, private_listener_t *this)
{
    free(this);
}

controller_listener_t *controller_listener_create(sa_events_t *events)
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
         .events = events, );
    return &this->public;
}
