/* controller_facts: see controller_facts.h. */
#include "controller_facts.h"

#include <daemon.h>

#include "ss_fmt.h"

const char *facts_conn_name(ike_sa_t *ike_sa)
{
    peer_cfg_t *cfg = ike_sa ? ike_sa->get_peer_cfg(ike_sa) : NULL;
    return cfg ? cfg->get_name(cfg) : NULL;
}

/* charon's monotonic seconds as wall-clock time, 0 for never */
static time_t wall(time_t monotonic)
{
    if (!monotonic)
        return 0;
    return time(NULL) - (time_monotonic(NULL) - monotonic);
}

/* a text that could not be made is NULL in the record: one log line says so */
static void made(const char *text, const char *what, const char *kind, uint32_t uid)
{
    if (!text)
        DBG1(DBG_CFG, "tunneld: out of memory: the %s of %s #%u is left empty in the SA table",
             what, kind, uid);
}

void facts_ike(sa_ike_rec_t *rec, ike_sa_t *ike_sa)
{
    uint32_t uid = ike_sa->get_unique_id(ike_sa);

    memset(rec, 0, sizeof(*rec));
    rec->unique_id = uid;
    rec->local_addr = fmt_host(ike_sa->get_my_host(ike_sa));
    rec->remote_addr = fmt_host(ike_sa->get_other_host(ike_sa));
    rec->local_id = fmt_id(ike_sa->get_my_id(ike_sa));
    rec->remote_id = fmt_id(ike_sa->get_other_id(ike_sa));
    rec->proposal = fmt_proposal(ike_sa->get_proposal(ike_sa));
    rec->established = wall(ike_sa->get_statistic(ike_sa, STAT_ESTABLISHED));
    made(rec->local_addr, "local address", "IKE_SA", uid);
    made(rec->remote_addr, "remote address", "IKE_SA", uid);
    made(rec->local_id, "local identity", "IKE_SA", uid);
    made(rec->remote_id, "remote identity", "IKE_SA", uid);
    made(rec->proposal, "proposal", "IKE_SA", uid);
}

void facts_child(sa_child_rec_t *rec, child_sa_t *child)
{
    uint32_t uid = child->get_unique_id(child);

    memset(rec, 0, sizeof(*rec));
    rec->unique_id = uid;
    rec->reqid = child->get_reqid(child);
    rec->if_id_in = child->get_if_id(child, TRUE);
    rec->if_id_out = child->get_if_id(child, FALSE);
    rec->spi_in = ntohl(child->get_spi(child, TRUE));
    rec->spi_out = ntohl(child->get_spi(child, FALSE));
    rec->local_ts = fmt_ts(child, TRUE);
    rec->remote_ts = fmt_ts(child, FALSE);
    rec->proposal = fmt_proposal(child->get_proposal(child));
    rec->established = wall(child->get_installtime(child));
    made(rec->local_ts, "local traffic selectors", "CHILD_SA", uid);
    made(rec->remote_ts, "remote traffic selectors", "CHILD_SA", uid);
    made(rec->proposal, "proposal", "CHILD_SA", uid);
}

sa_ev_ike_state_t facts_ike_state(ike_sa_state_t s)
{
    switch (s) {
    case IKE_CONNECTING:
        return SA_EV_IKE_CONNECTING;
    case IKE_ESTABLISHED:
        return SA_EV_IKE_ESTABLISHED;
    case IKE_PASSIVE:
        return SA_EV_IKE_PASSIVE;
    case IKE_REKEYING:
        return SA_EV_IKE_REKEYING;
    case IKE_REKEYED:
        return SA_EV_IKE_REKEYED;
    case IKE_DELETING:
        return SA_EV_IKE_DELETING;
    case IKE_DESTROYING:
        return SA_EV_IKE_DESTROYING;
    case IKE_CREATED:
    default:
        return SA_EV_IKE_CREATED;
    }
}

sa_ev_child_state_t facts_child_state(child_sa_state_t s)
{
    switch (s) {
    case CHILD_ROUTED:
        return SA_EV_CHILD_ROUTED;
    case CHILD_INSTALLING:
        return SA_EV_CHILD_INSTALLING;
    case CHILD_INSTALLED:
        return SA_EV_CHILD_INSTALLED;
    case CHILD_UPDATING:
        return SA_EV_CHILD_UPDATING;
    case CHILD_REKEYING:
        return SA_EV_CHILD_REKEYING;
    case CHILD_REKEYED:
        return SA_EV_CHILD_REKEYED;
    case CHILD_RETRYING:
        return SA_EV_CHILD_RETRYING;
    case CHILD_DELETING:
        return SA_EV_CHILD_DELETING;
    case CHILD_DELETED:
        return SA_EV_CHILD_DELETED;
    case CHILD_DESTROYING:
        return SA_EV_CHILD_DESTROYING;
    case CHILD_CREATED:
    default:
        return SA_EV_CHILD_CREATED;
    }
}
