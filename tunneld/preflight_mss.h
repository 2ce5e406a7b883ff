/*
 * preflight_mss: the TCP MSS clamp on the XFRM interfaces, in tunneld's own
 * nftables table (default inet tunneld_mss), replaced in one transaction
 * through posture_nft_run (libnftables, serialised with the posture's
 * calls). Per interface one rule per direction and family in a forward
 * chain at priority mangle: a SYN or SYN-ACK leaving or arriving on the
 * interface with a larger MSS option gets the configured one (IPv4), or 20
 * less (IPv6: its header is 20 bytes longer) (docs/preflight.md).
 *
 * Threading: any thread (posture_nft serialises libnftables); no state.
 */
#ifndef TUNNELD_PREFLIGHT_MSS_H
#define TUNNELD_PREFLIGHT_MSS_H

#include <stdbool.h>
#include <stddef.h>

#include "preflight_check.h"

#define PF_MSS_TABLE   "tunneld_mss"
#define PF_MSS_DEFAULT 1350 /* Azure's VPN gateway recommendation */
#define PF_MSS_MIN     536
#define PF_MSS_MAX     9000
#define PF_MSS_V6_LESS 20 /* an IPv6 header is 20 bytes longer than IPv4's */

/* a name the rules can match exactly: not empty, no '"' (ends nft's
 * quoted string: the rest would be read as commands), '\\' or '*' (a
 * trailing '*' matches every name with that prefix) */
bool pf_mss_name_ok(const char *name);

/* the transaction that replaces the table with these clamps (n > 0), or
 * removes it (n == 0); malloc'd, NULL when out of memory or a name is not
 * pf_mss_name_ok */
char *pf_mss_script(const char *table, const struct pf_mss *m, size_t n);

/* installs (n > 0) or removes the table; *listing (may be NULL): the table
 * as libnftables lists it right after (NULL when removed) */
bool pf_mss_apply(const char *table, const struct pf_mss *m, size_t n, char **listing, char *err,
                  size_t errlen);

/* the table as libnftables lists it now; false with err when it cannot be
 * listed (a missing table) */
bool pf_mss_list(const char *table, char **listing, char *err, size_t errlen);

#endif
