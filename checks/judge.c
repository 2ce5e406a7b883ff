/*
 * judge: path or service (judge.h). Quadratic in the items of one round,
 * which are a few hundred at most (groups x paths x endpoints).
 *
 * Threading: pure functions (any thread).
 */
#include "judge.h"

#include <stdio.h>
#include <string.h>

static bool same_check(const struct judge_in *a, const struct judge_in *b)
{
    return a->port == b->port && strcmp(a->site, b->site) == 0 && strcmp(a->group, b->group) == 0 &&
           strcmp(a->host, b->host) == 0;
}

static bool ran(enum checks_verdict v)
{
    return v != CHECKS_PENDING;
}

static bool failed(enum checks_verdict v)
{
    return v == CHECKS_FAIL;
}

void judge_faults(const struct judge_in *in, size_t n, enum checks_fault *fault)
{
    for (size_t i = 0; i < n; i++) {
        fault[i] = CHECKS_FAULT_NONE;
        if (!failed(in[i].verdict))
            continue;
        bool passes_elsewhere = false;
        for (size_t j = 0; j < n && !passes_elsewhere; j++)
            passes_elsewhere = j != i && ran(in[j].verdict) && !failed(in[j].verdict) &&
                               same_check(&in[i], &in[j]) && strcmp(in[i].path, in[j].path) != 0;
        fault[i] = passes_elsewhere ? CHECKS_FAULT_PATH : CHECKS_FAULT_SERVICE;
    }
}

bool judge_path(const struct judge_in *in, const enum checks_fault *fault, size_t n,
                const char *site, const char *path, char *reason, size_t reasonlen)
{
    for (size_t i = 0; i < n; i++) {
        if (fault[i] != CHECKS_FAULT_PATH || strcmp(in[i].site, site) != 0 ||
            strcmp(in[i].path, path) != 0)
            continue;
        if (reasonlen)
            snprintf(reason, reasonlen, "%s: %s", in[i].group, in[i].reason ? in[i].reason : "");
        return false;
    }
    if (reasonlen)
        reason[0] = '\0';
    return true;
}
