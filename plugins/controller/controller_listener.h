/*
 * controller_listener: a listener on charon's bus that copies IKE_SA and
 * CHILD_SA facts into the sa_table.
 *
 * Threads: every callback runs in the charon worker that holds the IKE_SA,
 * under charon's bus lock. They only copy a few fields and take the table's
 * short mutex; they never block, never check out an IKE_SA and never call
 * into the kernel (counters are read by controller_stats' job instead).
 */
#ifndef TUNNELD_CONTROLLER_LISTENER_H
#define TUNNELD_CONTROLLER_LISTENER_H

#include <bus/listeners/listener.h>

#include "sa_table.h"

typedef struct controller_listener_t controller_listener_t;

struct controller_listener_t {
    listener_t listener;
    void (*destroy)(controller_listener_t *this);
};

controller_listener_t *controller_listener_create(sa_table_t *table);

#endif
