/*
 * judge: path or service? After a round, the results of one (site, group,
 * endpoint) on all of the site's paths are read together: failing on some
 * paths and passing on at least one other is those paths' fault
 * (CHECKS_FAULT_PATH); failing on every path that ran is the endpoint's or
 * the proxy's (CHECKS_FAULT_SERVICE). Pending results (not run) take no
 * part. A path is not ok when one of its results is a path fault; its reason
 * is "GROUP: <that check's reason>" of the first such result in
 * configuration order.
 *
 * Threading: pure functions on the caller's arrays (any thread).
 */
#ifndef TUNNELD_JUDGE_H
#define TUNNELD_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"

struct judge_in {
    const char *site, *group, *path, *host;
    uint16_t port;
    enum checks_verdict verdict;
    const char *reason; /* may be NULL */
};

/* fault[i] for every in[i] (NONE for pass, warn and pending) */
void judge_faults(const struct judge_in *in, size_t n, enum checks_fault *fault);

/* the verdict of (site, path): true ok; false with reason ("GROUP: ...",
 * cut to reasonlen, NUL included) */
bool judge_path(const struct judge_in *in, const enum checks_fault *fault, size_t n,
                const char *site, const char *path, char *reason, size_t reasonlen);

#endif
