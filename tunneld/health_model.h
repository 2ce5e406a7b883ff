/*
 * health_model: the site model (conf/site_model.h) into the health
 * runtime's own configuration (health.h), which knows nothing of conf/.
 *
 * Per path: its thresholds over hl_path_config_defaults (then checked with
 * hl_path_config_check: an error names the settings file and the path's
 * section), "<connection>.<child>" and the next hop for its reasons, BFD
 * and echo with their pinning: single-hop BFD binds the path's interface;
 * multihop BFD and echo use the path's probe mark when it has one (the
 * route engine's per-path probe table), else they bind the interface
 * (right for tunnel devices and next hops on the link).
 *
 * Threading: none of its own (tunneld's main thread: start, SIGHUP).
 */
#ifndef TUNNELD_HEALTH_MODEL_H
#define TUNNELD_HEALTH_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "health.h"
#include "site_model.h"

typedef struct {
    struct health_config cfg;
    struct health_site_cfg *sites;
    struct health_path_cfg *paths; /* every site's, in order */
    char **sa_names;               /* per path: "<conn>.<child>" or NULL */
    size_t n_paths;
} health_model_t;

/* Borrows m's strings: m must outlive out. false with err set ("<file>:
 * tunneld.sites.<site>.paths.<path>: ...") or out of memory. */
bool health_model_build(const struct sm_model *m, const char *file, health_model_t *out, char *err,
                        size_t errlen);
void health_model_free(health_model_t *hm);

#endif
