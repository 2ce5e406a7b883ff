/*
 * controller_listener: a listener on charon's bus that turns each callback
 * into a plain sa_event_t (sa_events.h) carrying the IKE_SA's and CHILD_SA's
 * facts; sa_events applies it to the SA table.
 *
 * Threading: every callback runs in the charon worker that holds the IKE_SA,
 * under charon's bus lock. They only copy a few fields and take sa_events'
 * and the table's short mutexes; they never block, never check out an IKE_SA
 * and never call into the kernel (counters are read by controller_stats' job
 * instead).
 */
#ifndef TUNNELD_CONTROLLER_LISTENER_H
#define TUNNELD_CONTROLLER_LISTENER_H

#include <bus/listeners/listener.h>

#include "sa_events.h"

typedef struct controller_listener_t controller_listener_t;

struct controller_listener_t {
    listener_t listener;
    void (*destroy)(controller_listener_t *this);
};

controller_listener_t *controller_listener_create(sa_events_t *events);

#endif
