/*
 * conf_vici: what charon's vici plugin (strongSwan 5.9.8: load-conn in
 * vici_config.c, load-shared in vici_cred.c) rejects in a connection or a
 * shared secret as tunneld sends them, checked without charon so that
 * `tunneld -n` refuses what start would reject ("invalid value for:
 * proposals, config discarded") and nothing it accepts:
 *  - every key, per level (connection, local* / remote*, a child, a cert*
 *    section), is one vici knows in the form tunneld sends it (a list for
 *    the keys conf_vici_list_key names, else one value), else "unknown
 *    option";
 *  - every value parses as vici parses it, with the same libstrongswan
 *    functions where vici uses them: proposals (proposal_create_from_string),
 *    traffic selectors (CIDR, ranges, dynamic, [proto/port]), virtual IPs,
 *    marks, interface ids, security labels, action flags; numbers, times and
 *    byte counts as vici reads them (including vici's buffer sizes: a number
 *    is read from its first 15 characters); enums (mode, start_action,
 *    dpd_action, close_action, fragmentation, unique, ...); auth methods;
 *    identities and strings must be printable ASCII;
 *  - sections: a connection has `children`, `local*` and `remote*` only; an
 *    auth section `cert*` / `cacert*` ones with a handle or a file (not
 *    both).
 * What vici ignores (keys directly under `children`, sections inside a
 * child) is reported as a warning. Not checked (see docs/connections.md):
 * loading certificates, and everything charon decides when it connects.
 *
 * Threading: one thread at a time (getprotobyname/getservbyname are not
 * reentrant); uses libstrongswan (after library_init), not charon.
 */
#ifndef TUNNELD_CONF_VICI_H
#define TUNNELD_CONF_VICI_H

#include <stdbool.h>

#include "conf_tree.h"

/* whether tunneld sends key as a vici list of its comma-separated elements */
bool conf_vici_list_key(const char *key);

/* calls item(ctx, element) for each comma-separated element of value, blanks trimmed */
void conf_vici_each_item(const char *value, void (*item)(void *ctx, const char *element),
                         void *ctx);

/*
 * NULL when charon would load connection c (encap forced to yes when
 * force_encap, as conf_load sends it), else why not (malloc'd), starting
 * with the key path, e.g. "connections.site.proposals: ...". Warnings
 * (malloc'd, "\n"-separated) in *warnings, or NULL.
 */
char *conf_vici_check_conn(const conf_sec_t *c, bool force_encap, char **warnings);

/* NULL when charon would load shared secret s, else why not (malloc'd) */
char *conf_vici_check_secret(const conf_secret_t *s);
/* vici_cred.c's buffer for a shared key's owner: longer ones are cut */
#define CONF_VICI_OWNER_MAX 256
/*
 * At load: an identity (id, ca_id, ...) longer than vici keeps, which charon
 * would cut without a word and tunneld refuses (malloc'd reason, or NULL).
 * tunneld -n finds the same in conf_vici_check_conn.
 */
char *conf_vici_long_id(const conf_sec_t *c);

/* what conf_vici_check_* cover and what they do not (for tunneld -n's output) */
const char *conf_vici_scope(void);

#endif
