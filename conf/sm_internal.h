/*
 * sm_internal: what the site model's files share while one load walks the
 * settings (site_model.c: sites and paths; sm_probes.c: a path's bfd, echo,
 * sla and dampening sections; sm_keys.c: key lookup and the unknown-key
 * check). Not part of the contract.
 *
 * Threading: a load's context lives on the loading thread's stack.
 */
#ifndef TUNNELD_SM_INTERNAL_H
#define TUNNELD_SM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <library.h>

#include "site_model.h"
#include "sm_values.h"

/* room for "<ns>.<site>.paths.<path>.<section>" with names of SM_NAME_MAX */
#define SM_WHERE_MAX (2 * SM_NAME_MAX + 64)

typedef struct {
    settings_t *s;
    const char *file;
    const char *ns; /* SM_SITES_NS or SM_LEGACY_NS (constants: part of key formats) */
    char *err;
    size_t errlen;
    struct sm_model *m;
    const char *site, *path;  /* the site and path (or sensor group) being read (checked names) */
    char where[SM_WHERE_MAX]; /* "<ns>.<site>.paths.<path>" (or .sensors.<group>, or tunneld.checks)
                               */
    /* the settings key of the level being read as a format of constants,
     * "<ns>.%s.paths.%s" (or "<ns>.%s.sensors.%s", "tunneld.checks"), with
     * site and path as its arguments (extra arguments are ignored) */
    char level[64];
} sm_ctx_t;

/* err = "<file>: " + the message; returns false */
bool sm_fail(sm_ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a warning for m->warnings; false only when out of memory */
bool sm_warn(struct sm_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* the value of the current level's key (sub: a section of it, or NULL),
 * NULL when unset. Every sm_path_* and sm_get_* function reads the current
 * level (c->level): a path, a sensor group, tunneld.checks or posture. */
const char *sm_path_get(sm_ctx_t *c, const char *sub, const char *key);
/*
 * The keys and sections of one level of the current path (sub as above)
 * must be among keys and sections (NULL-terminated lists); else an error
 * naming where, the unknown one and the valid ones.
 */
bool sm_path_only_known(sm_ctx_t *c, const char *sub, const char *const *keys,
                        const char *const *sections);
/* the same for an enumerator pair of any level (both destroyed) */
bool sm_only_known(sm_ctx_t *c, enumerator_t *kv, enumerator_t *sec, const char *where,
                   const char *const *keys, const char *const *sections);
/* whether the current path has the section sub */
bool sm_path_has_section(sm_ctx_t *c, const char *sub);

/* typed reads of the current path's keys: unset leaves *out alone; a bad
 * value is an error naming the key and the expected range */
bool sm_get_uint(sm_ctx_t *c, const char *sub, const char *key, uint64_t min, uint64_t max,
                 uint64_t *out);
bool sm_get_bool(sm_ctx_t *c, const char *sub, const char *key, bool *out);
/* a duration in [min_ms, max_ms] */
bool sm_get_ms(sm_ctx_t *c, const char *sub, const char *key, uint64_t min_ms, uint64_t max_ms,
               uint64_t *out);
bool sm_get_pct(sm_ctx_t *c, const char *sub, const char *key, double *out);
/* an address literal of any family (want 0) or of want; *out a copy */
bool sm_get_addr(sm_ctx_t *c, const char *sub, const char *key, int want, char **out);

/* sm_prefix_file.c: the path a key names, as given when absolute, else
 * relative to the settings file's directory (malloc'd; NULL: out of memory) */
char *sm_file_resolve(const char *file, const char *path);
/* the whole file (malloc'd, len + 1 bytes, NUL-terminated), only when it is
 * a regular file, not on /proc or /sys, at most 16 MiB; NULL with *why
 * (static text or strerror) */
char *sm_file_slurp(const char *full, size_t *len, const char **why);
/* sm_prefix_file.c: adds the prefixes of a site's prefixes_file (path as
 * written, relative to the settings file's directory) */
bool sm_read_prefix_file(sm_ctx_t *c, struct sm_site *site, const char *where, const char *path);

/* sm_probes.c: the path's bfd, echo, sla and dampening (p's routing known) */
bool sm_read_probes(sm_ctx_t *c, struct sm_path *p);
void sm_probes_free(struct sm_path *p);

/* site_model.c: 1..SM_NAME_MAX of [A-Za-z0-9_-] (site, path, group, hop
 * names); the error for a name that is not (what: "site", "path", ...) */
bool sm_name_valid(const char *s);
bool sm_bad_name(sm_ctx_t *c, const char *where, const char *what, const char *name);

#define SM_STR_(x)       #x
#define SM_STR(x)        SM_STR_(x)
#define SM_ENDPOINTS_MAX 1024 /* endpoints of one sensor group (list and file) */

/* sm_checks.c: tunneld.checks and tunneld.posture into c->m (before the
 * sites: a group's tls starts from tunneld.checks.tls) */
bool sm_read_checks(sm_ctx_t *c);
void sm_checks_free(struct sm_model *m);
/* the policy base with the current level's section sub over it, into out
 * (ca_file its own copy, resolved against the settings file's directory) */
bool sm_read_tls(sm_ctx_t *c, const char *sub, const struct sm_tls *base, struct sm_tls *out);
void sm_tls_free(struct sm_tls *t);

/* sm_groups.c: the site's sensors section (where: "<ns>.<site>") */
bool sm_read_groups(sm_ctx_t *c, struct sm_site *site, const char *where);
void sm_groups_free(struct sm_site *site);

/* sm_endpoints_file.c: a group's endpoints list (the key's value) and file
 * (path as written) */
bool sm_read_endpoints_list(sm_ctx_t *c, struct sm_group *g, const char *list);
bool sm_read_endpoints_file(sm_ctx_t *c, struct sm_group *g, const char *path);

/* sm_bfd_check.c: every pair of BFD sessions the peer can tell apart (false: err names both paths)
 */
bool sm_bfd_check_sessions(sm_ctx_t *c);

#endif
