/*
 * app_conf: the site model's sensor groups (conf/site_model.h) into the
 * check engine's configuration (checks/checks.h) and the posture's
 * (posture/posture.h), which know nothing of conf/.
 *
 * One check per site x sensor group x path x endpoint, in that order. Each
 * is pinned to its path like the other probes: the path's probe mark when
 * the route engine gave it one, else its interface; the group's `source`
 * when set. A group's `credentials = NAME` is looked up in the connections
 * file's secrets (secrets.proxy-NAME): a name that is not there is refused,
 * naming the key, never a value.
 *
 * The posture covers every site's prefixes (the Azure side) and every
 * group's sensor subnets.
 *
 * Threading: none of its own (tunneld's main thread: start, SIGHUP, -n).
 */
#ifndef TUNNELD_APP_CONF_H
#define TUNNELD_APP_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"
#include "posture.h"
#include "proxy_secrets.h"
#include "site_model.h"

typedef struct {
    struct checks_config checks;
    struct checks_item *items;
    struct posture_config posture;
    const char **azure, **sensors; /* the posture's prefix lists (borrowed strings) */
    size_t n_groups;               /* sensor groups of every site */
} app_conf_t;

/* Borrows m's and sec's strings: both must outlive out (the engine copies
 * what it keeps). false with err set ("<file>: tunneld.sites.<site>.sensors.
 * <group>.<key>: ...") or out of memory. sec may be NULL when no group
 * names credentials. */
bool app_conf_build(const struct sm_model *m, const char *file, const proxy_secrets_t *sec,
                    app_conf_t *out, char *err, size_t errlen);
void app_conf_free(app_conf_t *c);

#endif
