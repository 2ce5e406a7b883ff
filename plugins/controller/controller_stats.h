/*
 * controller_stats: a recurring job that reads every CHILD_SA's byte and
 * packet counters from the kernel back end (XFRM or kernel-libipsec) into the
 * sa_table.
 *
 * Threads: runs as a job in charon's processor pool, never on the bus; it
 * checks IKE_SAs out through the controller's enumerator like vici's
 * list-sas does. Started and cancelled from the plugin's feature callback.
 */
#ifndef TUNNELD_CONTROLLER_STATS_H
#define TUNNELD_CONTROLLER_STATS_H

#include "sa_table.h"

typedef struct controller_stats_t controller_stats_t;

/* interval_ms: time between two refreshes */
controller_stats_t *controller_stats_create(sa_table_t *table, unsigned interval_ms);
void controller_stats_destroy(controller_stats_t *this);

#endif
