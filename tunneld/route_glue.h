/*
 * route_glue: where tunneld's IPsec state meets the route engine (routes/).
 *
 * Reads tunneld.routes (sites, prefixes, candidate paths) from the daemon
 * settings, opens the engine (adopting the routes of a previous run), applies
 * the state, and drives the health of every path bound to a CHILD_SA
 * (`child = <connection>.<child>`): the path is usable only while that
 * CHILD_SA is up in the SA table. Link down/up of a path's interface is the
 * engine's own business (it reports PATH_DOWN/PATH_UP, logged here).
 *
 * Threads: route_glue_start/reload/stop run in tunneld's main thread. One
 * thread of its own ("route glue") polls the engine's netlink fd and an
 * eventfd that the SA table's notify hook writes (from charon's workers:
 * the write never blocks). The engine serialises calls with its own mutex.
 */
#ifndef TUNNELD_ROUTE_GLUE_H
#define TUNNELD_ROUTE_GLUE_H

#include <stdbool.h>
#include <stddef.h>

#include "sa_table.h"

typedef struct route_glue route_glue_t;

/*
 * NULL with err empty when tunneld.routes has no sites (routing disabled);
 * NULL with err set when the section is invalid or the engine cannot open.
 */
route_glue_t *route_glue_start(sa_table_t *table, bool flush_on_exit, char *err, size_t errlen);
/* Re-reads tunneld.routes and applies it; false (state kept) with err set. */
bool route_glue_reload(route_glue_t *g, char *err, size_t errlen);
/* Stops the thread; routes stay unless flush_on_exit. NULL is a no-op. */
void route_glue_stop(route_glue_t *g);

/*
 * Sites and paths with whether each is usable now and, for bound paths, the
 * CHILD_SA's state: docs/schema/routes.schema.json. Any thread.
 */
#include <json-c/json.h>
#define ROUTE_STATUS_VERSION 1
json_object *route_glue_status(route_glue_t *g);

/* Parses tunneld.routes into engine options and state (also for tunneld -n). */
struct routes_options;
struct routes_state;
bool route_glue_parse(struct routes_options *opts, struct routes_state **st, char *err,
                      size_t errlen);

#endif
