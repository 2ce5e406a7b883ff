/*
 * posture_status: reads the posture's table back from the kernel as JSON
 * and judges it (posture_status and posture_read_report of posture.h).
 *
 * Threading: no state of its own; libnftables through posture_nft (a
 * context per call, serialised), so the control server's thread may call
 * it while the main thread applies.
 */
#include "posture.h"
#include "posture_nft.h"
#include "posture_plan.h"
#include "posture_read.h"
#include "posture_verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void unreadable(struct posture_report *out, const char *why)
{
    static const char head[] = "not enforced: the ruleset could not be read (";
    size_t room = sizeof(out->reason) - (sizeof(head) - 1) - 2; /* ")" and NUL */
    size_t n = strlen(why);

    out->state = POSTURE_NOT_ENFORCED;
    /* the table's name comes first in why; only libnftables' text is cut */
    if (n > room)
        snprintf(out->reason, sizeof(out->reason), "%s%.*s...)", head, (int)(room - 3), why);
    else
        snprintf(out->reason, sizeof(out->reason), "%s%s)", head, why);
}

/* lists cmd and parses it for p's table; false with out's reason */
static bool list(const struct posture_plan *p, const char *cmd, struct posture_seen *seen,
                 struct posture_report *out)
{
    char err[POSTURE_REASON_MAX], *json = NULL;

    if (!posture_nft_run(cmd, true, &json, "listing", p->table, err, sizeof(err)) ||
        !posture_seen_parse(json, p->table, seen, err, sizeof(err))) {
        unreadable(out, err);
        free(json);
        return false;
    }
    free(json);
    return true;
}

static void read_table(const struct posture_plan *p, struct posture_report *out)
{
    struct posture_seen seen;
    char cmd[POSTURE_TABLE_MAX + 32];

    snprintf(cmd, sizeof(cmd), "list table inet %s", p->table);
    /* the list of tables first (listing a missing table is an error); once
     * more if the table went between the two listings (removed meanwhile) */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!list(p, "list tables inet", &seen, out))
            return;
        if (!seen.table)
            break;
        posture_seen_free(&seen);
        if (list(p, cmd, &seen, out))
            break;
        if (attempt == 1)
            return;
    }
    posture_verdict(p, &seen, out);
    posture_seen_free(&seen);
}

enum posture_state posture_read_report(const struct posture_config *cfg, struct posture_report *out)
{
    struct posture_plan p;
    char err[POSTURE_REASON_MAX];

    *out = (struct posture_report){.state = POSTURE_OFF};
    if (!cfg->enforce)
        return POSTURE_OFF;
    if (!posture_plan_build(cfg, &p, err, sizeof(err))) {
        out->state = POSTURE_NOT_ENFORCED;
        snprintf(out->reason, sizeof(out->reason), "not enforced: %s", err);
        return out->state;
    }
    read_table(&p, out);
    posture_plan_free(&p);
    return out->state;
}

enum posture_state posture_status(const struct posture_config *cfg, char *reason, size_t len)
{
    struct posture_report r;

    posture_read_report(cfg, &r);
    if (reason && len)
        snprintf(reason, len, "%s", r.reason);
    return r.state;
}
