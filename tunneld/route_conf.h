/*
 * route_conf: reads and checks tunneld.routes (the engine's options) and the
 * sites (tunneld.sites, through conf/site_model: the model is kept in
 * route_conf_t.model; the deprecated tunneld.routes.sites is read by the
 * model with a warning) into the route engine's options and desired state,
 * strictly:
 *
 *  - unknown keys and sections are errors naming the file, the section, the
 *    key and the valid ones;
 *  - site and path names are checked before any settings key is built from
 *    them (and only ever passed as arguments of a key, never as its format);
 *    the model checks every key of the sites (site_model.h), this module
 *    what needs the engine or the connections file (interface names, next
 *    hops on a link, CHILD_SA bindings, peers);
 *  - numbers (table, protocol, priority, weight) and booleans are parsed in
 *    full: a non-number or an out-of-range value is an error, never a
 *    default;
 *  - `child = <connection>.<child>` must name a connection and child of the
 *    connections file (conf_info) whose names fit the SA table;
 *  - every remote_addrs entry of every connection is read as charon reads
 *    it (route_peers.h: addresses in any literal form the resolver takes,
 *    subnets, ranges); what it covers becomes a bypass of the engine (throw
 *    routes: the peers' IKE and ESP never go through tunneld's table), and a
 *    site prefix overlapping it is an error naming the site, the prefix, the
 *    entry and the connection. DNS names and wildcards (%any) cannot be
 *    checked: each is a warning in route_conf_t.warnings.
 *
 * Threading: reads lib->settings and the connections file; tunneld's main
 * thread (start, SIGHUP, tunneld -n). Blocks on file I/O.
 */
#ifndef TUNNELD_ROUTE_CONF_H
#define TUNNELD_ROUTE_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "routes.h"
#include "site_model.h"

/* one configured path; its health follows a CHILD_SA when conn is set */
typedef struct {
    char *site, *path, *dev;
    char *gw4, *gw6; /* NULL when absent */
    unsigned priority, weight;
    char *conn, *child; /* NULL when not bound */
} route_path_conf_t;

typedef struct {
    struct routes_options opts; /* table, protocol, fail_closed, flush_on_exit */
    int compat_mode;            /* nexthop_compat_mode: -1 unset, 0 or 1 */
    struct routes_state *st;    /* sites, prefixes, paths, bypass addresses */
    route_path_conf_t *paths;   /* in site order */
    size_t n_paths;
    char **warnings; /* what could not be checked (peers given as DNS names, ...), and the
                      * model's (tunneld.routes.sites deprecated, ...) */
    size_t n_warnings;
    struct sm_model model; /* the sites as conf/site_model read them (for health) */
} route_conf_t;

/*
 * Parses tunneld.routes and the sites. file names the daemon settings file in messages,
 * swanctl is the connections file (child bindings, peer addresses). False
 * with err set ("<file>: tunneld.routes...: ...") on any problem; out is
 * then empty. A configuration without sites is valid (st has none).
 */
bool route_conf_parse(const char *file, const char *swanctl, route_conf_t *out, char *err,
                      size_t errlen);
void route_conf_free(route_conf_t *c);
/*
 * Replaces the bypass addresses of st with the literal remote addresses of
 * the connections file (what route_conf_parse adds), for a reload whose
 * routes are refused while its connections load: the new peers must stay
 * out of the table that keeps running. False with err set when the file
 * does not parse (st unchanged).
 */
bool route_conf_bypass(const char *file, const char *swanctl, struct routes_state *st, char *err,
                       size_t errlen);

#endif
