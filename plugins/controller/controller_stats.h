/*
 * controller_stats: a recurring job that reads every CHILD_SA's byte and
 * packet counters from the kernel back end (XFRM or kernel-libipsec) into the
 * sa_table, and reconciles the table with charon: a row that disagrees with
 * the IKE_SA and CHILD_SAs charon has established and installed is fixed and
 * the fix logged (sa_events_reconcile), so a missed or misread event costs at
 * most one interval.
 *
 * Threading: runs as a job in charon's processor pool, never on the bus; it
 * holds each IKE_SA through the controller's enumerator (wait = TRUE) like
 * vici's list-sas does, so no event of that IKE_SA runs while it is read.
 * Started and cancelled from the plugin's feature callback.
 */
#ifndef TUNNELD_CONTROLLER_STATS_H
#define TUNNELD_CONTROLLER_STATS_H

#include "sa_events.h"

typedef struct controller_stats_t controller_stats_t;

/* interval_ms: time between two refreshes */
controller_stats_t *controller_stats_create(sa_table_t *table, sa_events_t *events,
                                            unsigned interval_ms);
void controller_stats_destroy(controller_stats_t *this);

#endif
