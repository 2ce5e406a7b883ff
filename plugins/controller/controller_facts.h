/*
 * controller_facts: an IKE_SA's or CHILD_SA's facts copied into the table's
 * plain records, and charon's states mapped to sa_events' own, for the
 * listener and the stats job.
 *
 * The records' texts are heap strings of their own size (whole values, see
 * sa_table.h): free them with sa_ike_rec_clear() / sa_child_rec_clear().
 *
 * Threading: call only in a thread that holds the IKE_SA (a bus callback for
 * it, or the stats job's checked-out enumeration); reads and allocates,
 * never blocks.
 */
#ifndef TUNNELD_CONTROLLER_FACTS_H
#define TUNNELD_CONTROLLER_FACTS_H

#include <sa/child_sa.h>
#include <sa/ike_sa.h>

#include "sa_events.h"

/* the connection name of an IKE_SA, NULL while a responder has no config yet */
const char *facts_conn_name(ike_sa_t *ike_sa);
/*
 * The IKE_SA's facts (name left empty: events carry the whole name). A text
 * that cannot be made for lack of memory is NULL (and logged).
 */
void facts_ike(sa_ike_rec_t *rec, ike_sa_t *ike_sa);
/* the CHILD_SA's facts (name left empty, state NONE), texts as for facts_ike */
void facts_child(sa_child_rec_t *rec, child_sa_t *child);
sa_ev_ike_state_t facts_ike_state(ike_sa_state_t s);
sa_ev_child_state_t facts_child_state(child_sa_state_t s);

#endif
