/*
 * route_glue: where tunneld's IPsec state, path health (health/) and the
 * route engine (routes/) meet.
 *
 * Reads the sites with route_conf (tunneld.sites through the site model;
 * prefixes, candidate paths, the VPN peers' addresses as bypasses), opens
 * the engine (adopting the routes of a previous run), applies the state,
 * and starts path health (health.h) with the same sites: every path's
 * probes, state machine and per-site decision run on health's own thread.
 * Health is told each bound path's CHILD_SA state (`child =
 * <connection>.<child>`: a VPN path is down while its CHILD_SA is not
 * installed) and each path's link events from the engine; its decisions
 * are applied to the engine by the glue's thread, its DPD requests queued
 * on charon's processor (health_dpd.h). Link down/up of a path's interface
 * also acts in the engine at once (it reports PATH_DOWN/PATH_UP, logged
 * here). A reload keeps the probes of unchanged paths running. A start runs the checks of tunneld
 * -n before the engine opens, and a start refused after it opened leaves the kernel as the engine
 * found it (routes_abandon). A reload applies new sites, prefixes, paths, peers, fail_closed,
 * flush_on_exit and nexthop_compat_mode, all or nothing (checked on the running engine first,
 * undone when the kernel refuses part of it); a changed table or protocol
 * needs a restart: such a reload is refused and everything that runs is
 * kept. What went wrong last (a refused reload, sites not applied) and what
 * the engine hits while it runs (routes_get_problems) are in the status
 * document's "problems".
 *
 * Threading: route_glue_start/reload/stop and route_glue_check run in
 * tunneld's main thread (route_glue.c). One thread of its own ("route
 * glue", route_glue_thread.c) polls the engine's netlink fd and an eventfd
 * that the SA table's notify hook and health's decision callback write
 * (from charon's workers and the health thread: the write never blocks).
 * The engine serialises calls with its own mutex; the glue's mutex guards
 * the bindings, the model, pending decisions and the problems (read by
 * route_glue_status.c and route_glue_paths.c from the control server's
 * thread).
 */
#ifndef TUNNELD_ROUTE_GLUE_H
#define TUNNELD_ROUTE_GLUE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "sa_table.h"

typedef struct route_glue route_glue_t;

/*
 * file: the daemon settings file (named in messages); swanctl: the
 * connections file. NULL with err empty when tunneld.routes has no sites
 * (routing not configured); NULL with err set ("<file>: <key>: <why>", with
 * the kernel's error where it refused) when the section is invalid, the
 * engine cannot open (table or protocol used by something else, no netlink)
 * or the state cannot be applied.
 */
route_glue_t *route_glue_start(sa_table_t *table, const char *file, const char *swanctl,
                               bool flush_on_exit, char *err, size_t errlen);
/* Re-reads tunneld.routes and applies it; false with err set when refused
 * (nothing changed) or when sites were not applied (they keep their
 * previous state). */
bool route_glue_reload(route_glue_t *g, const char *file, const char *swanctl, char *err,
                       size_t errlen);
/* Stops the thread; routes stay unless flush_on_exit. NULL is a no-op. */
void route_glue_stop(route_glue_t *g);

/*
 * tunneld -n: everything route_glue_start would refuse that can be checked
 * without changing the system (the settings, the connections, the engine's
 * table and protocol ownership, next hops on connected subnets). *sites
 * receives the number of routed sites.
 */
bool route_glue_check(const char *file, const char *swanctl, size_t *sites, char *err,
                      size_t errlen);

/*
 * Sites and paths with whether each is usable now and, for bound paths, the
 * CHILD_SA's state, and "problems": docs/schema/routes.schema.json. g may be
 * NULL (routing not running: no sites, and the reason when it failed to
 * start). Any thread.
 */
#define ROUTE_STATUS_VERSION 1
json_object *route_glue_status(route_glue_t *g);

/*
 * The "paths" document (docs/schema/paths.schema.json): per site its active
 * paths, pin, fail mode and recent decisions; per path its health state and
 * why, BFD session, echo statistics, dampening, link, next hop and CHILD_SA
 * state. g NULL: no sites, and why routing failed to start if it did. NULL
 * when out of memory. Any thread.
 */
json_object *route_glue_paths(route_glue_t *g);

#endif
