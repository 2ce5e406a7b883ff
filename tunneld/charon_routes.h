/*
 * charon_routes: charon's own routes when tunneld routes sites itself.
 *
 * kernel-netlink reads install_routes, routing_table and routing_table_prio
 * once, when charon->initialize creates it (strongSwan 5.9.8,
 * kernel_netlink_net.c), and adds its policy rule then; kernel-libipsec
 * always installs routes to its TUN device in that table. So, at start, when
 * tunneld.sites (or the deprecated tunneld.routes.sites) has sites, kernel-netlink is told (as
 * defaults: a key the user set is kept) to install no routes and to put its rule after the engine's
 * (priority ROUTES_DEFAULT_RULE_PRIORITY + 1): charon's table is then only a fallback behind
 * tunneld's.
 *
 * A reload cannot change what kernel-netlink has read: a SIGHUP that brings
 * the first routed sites to a tunneld started without any would leave
 * charon's table ahead of the engine's. Its routes part is refused instead
 * (naming the sites section: a restart is needed), the rest of the reload
 * applies, and the refusal is one of the "problems" of the routes status
 * until a reload without sites or a restart.
 *
 * Threading: charon_routes_check, _demote and _reload in the main thread;
 * charon_routes_problems in any thread (the control server's): the refusal
 * text is guarded by a mutex.
 */
#ifndef TUNNELD_CHARON_ROUTES_H
#define TUNNELD_CHARON_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* tunneld.sites (or the deprecated tunneld.routes.sites) has at least one site (lib->settings) */
bool charon_routes_sites(void);

/*
 * tunneld -n and start: with routed sites, a routing_table_prio the user set
 * must put charon's table after the engine's rule. false with err naming
 * the key.
 */
bool charon_routes_check(char *err, size_t errlen);

/* at start, before charon->initialize: demotes charon's routes if there are sites */
void charon_routes_demote(void);

/*
 * At SIGHUP, after the settings were reloaded: true when the routes part may
 * be applied. false (err set, and kept as a problem) when it brings routed
 * sites while charon's routes were not demoted at start. A reload that may
 * apply clears an earlier refusal.
 */
bool charon_routes_reload(char *err, size_t errlen);

/* appends the standing refusal, if any, to doc's "problems" array */
void charon_routes_problems(json_object *doc);

#endif
