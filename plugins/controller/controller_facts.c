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

void facts_ike(sa_ike_rec_t *rec, ike_sa_t *ike_sa)
{
    memset(rec, 0, sizeof(*rec));
    rec->unique_id = ike_sa->get_unique_id(ike_sa);
    fmt_host(rec->local_addr, sizeof(rec->local_addr), ike_sa->get_my_host(ike_sa));
    fmt_host(rec->remote_addr, sizeof(rec->remote_addr), ike_sa->get_other_host(ike_sa));
    fmt_id(rec->local_id, sizeof(rec->local_id), ike_sa->get_my_id(ike_sa));
    fmt_id(rec->remote_id, sizeof(rec->remote_id), ike_sa->get_other_id(ike_sa));
    fmt_proposal(rec->proposal, sizeof(rec->proposal), ike_sa->get_proposal(ike_sa));
    rec->established = wall(ike_sa->get_statistic(ike_sa, STAT_ESTABLISHED));
}

void facts_child(sa_child_rec_t *rec, child_sa_t *child)
{
    memset(rec, 0, sizeof(*rec));
    rec->unique_id = child->get_unique_id(child);
    rec->reqid = child->get_reqid(child);
    rec->if_id_in = child->get_if_id(child, TRUE);
    rec->if_id_out = child->get_if_id(child, FALSE);
    rec->spi_in = ntohl(child->get_spi(child, TRUE));
    rec->spi_out = ntohl(child->get_spi(child, FALSE));
    fmt_ts(rec->local_ts, sizeof(rec->local_ts), child, TRUE);
    fmt_ts(rec->remote_ts, sizeof(rec->remote_ts), child, FALSE);
    fmt_proposal(rec->proposal, sizeof(rec->proposal), child->get_proposal(child));
    rec->established = wall(child->get_installtime(child));
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
