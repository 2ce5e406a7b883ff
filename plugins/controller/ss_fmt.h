/*
 * ss_fmt: strongSwan objects as text, with strongSwan's printf hooks (%H,
 * %Y, %R, %P), each in a heap string of its own size: the text is measured
 * first (snprintf into nothing), then printed, so nothing is ever cut. Kept
 * apart because those specifiers are not known to the compiler's format
 * checker.
 *
 * Each function returns a string to free, "" for a NULL object, and NULL
 * only when out of memory.
 *
 * Threading: any thread that may read the object (for a CHILD_SA's
 * selectors, the one holding its IKE_SA); no state.
 */
#ifndef TUNNELD_SS_FMT_H
#define TUNNELD_SS_FMT_H

#include <stddef.h>

#include <networking/host.h>
#include <utils/identification.h>
#include <crypto/proposal/proposal.h>
#include <sa/child_sa.h>

char *fmt_host(host_t *host);
char *fmt_id(identification_t *id);
char *fmt_proposal(proposal_t *proposal);
/* comma-separated traffic selectors of one side of child, all of them */
char *fmt_ts(child_sa_t *child, bool local);

#endif
