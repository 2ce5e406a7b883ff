/*
 * ss_fmt: strongSwan objects rendered into fixed buffers with strongSwan's
 * printf hooks (%H, %Y, %R, %P). Kept apart because those specifiers are not
 * known to the compiler's format checker. A text that does not fit its
 * buffer ends in "..." (never cut silently).
 *
 * Threading: any thread; no state.
 */
#ifndef TUNNELD_SS_FMT_H
#define TUNNELD_SS_FMT_H

#include <stddef.h>

#include <networking/host.h>
#include <utils/identification.h>
#include <crypto/proposal/proposal.h>
#include <sa/child_sa.h>

void fmt_host(char *buf, size_t len, host_t *host);
void fmt_id(char *buf, size_t len, identification_t *id);
/* the identity as a string of its own size (free it); NULL if out of memory */
char *fmt_id_dup(identification_t *id);
void fmt_proposal(char *buf, size_t len, proposal_t *proposal);
/* comma-separated traffic selectors of one side of child */
void fmt_ts(char *buf, size_t len, child_sa_t *child, bool local);

#endif
