/*
 * posture_verdict: compares what the kernel holds (posture_seen) with the
 * plan and says, in plain words, whether the posture is enforced.
 *
 * Threading: pure.
 */
#ifndef TUNNELD_POSTURE_VERDICT_H
#define TUNNELD_POSTURE_VERDICT_H

#include "posture.h"
#include "posture_plan.h"
#include "posture_read.h"

#define POSTURE_FORWARDED                                                                          \
    "not enforced: a new connection from Azure to the sensors would be forwarded"
#define POSTURE_CHANGED "not enforced: the table is not as tunneld wrote it"
#define POSTURE_CUT     "not enforced: the sensors' own connections with Azure would be cut"

/* out->state is POSTURE_ENFORCED (with the counters) or
 * POSTURE_NOT_ENFORCED (with the reason) */
void posture_verdict(const struct posture_plan *p, const struct posture_seen *s,
                     struct posture_report *out);

#endif
