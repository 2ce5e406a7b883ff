/*
 * posture_verdict: the table read back against the plan
 * (posture_verdict.h). Enforced only when the table, chain forward as a
 * filter chain on hook forward with policy accept, the four sets with
 * exactly the configured prefixes, and the chain's rules (per active
 * family: the established accept, then the counted drop; nothing else) are
 * all there, and nothing else is in the table.
 *
 * Threading: none; pure functions.
 */
#include "posture_verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static void
not_enforced(struct posture_report *out, const char *head, const char *fmt, ...)
{
    char detail[POSTURE_REASON_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    out->state = POSTURE_NOT_ENFORCED;
    snprintf(out->reason, sizeof(out->reason), "%s (%s)", head, detail);
}

/* the first range in one list and not the other; false when equal */
static bool set_differs(const struct pr_set *seen, const struct pp_prefix *want, size_t n,
                        char *detail, size_t len)
{
    struct pp_range *cfg = n ? calloc(n, sizeof(*cfg)) : NULL;
    char txt[PP_TEXT_MAX];
    bool differs = false;

    if (n && !cfg) {
        snprintf(detail, len, "out of memory comparing %zu prefixes", n);
        return true;
    }
    for (size_t i = 0; i < n; i++)
        pp_to_range(&want[i], &cfg[i]);
    size_t nc = pp_merge(cfg, n);
    for (size_t i = 0; i < nc || i < seen->n; i++) {
        if (i < nc && i < seen->n && pp_range_equal(&cfg[i], &seen->r[i]))
            continue;
        if (i < seen->n) {
            pp_range_format(&seen->r[i], txt, sizeof(txt));
            snprintf(detail, len, "%s is in the kernel, not in the configuration", txt);
        } else {
            pp_range_format(&cfg[i], txt, sizeof(txt));
            snprintf(detail, len, "%s is configured, not in the kernel", txt);
        }
        differs = true;
        break;
    }
    free(cfg);
    return differs;
}

static bool sets_ok(const struct posture_plan *p, const struct posture_seen *s,
                    struct posture_report *out)
{
    char detail[PP_TEXT_MAX + 64];

    for (int fam = 0; fam < PP_NFAM; fam++) {
        for (int se = 0; se < 2; se++) {
            const struct pr_set *set = &s->sets[fam][se];
            const char *name = posture_set_name(fam, se);
            if (!set->found)
                not_enforced(out, POSTURE_FORWARDED, "set %s is missing", name);
            else if (!set->type_ok || !set->readable)
                not_enforced(out, POSTURE_FORWARDED,
                             "set %s is not a set of addresses tunneld wrote", name);
            else if (set_differs(set, se ? p->sensors[fam] : p->azure[fam],
                                 se ? p->n_sensors[fam] : p->n_azure[fam], detail, sizeof(detail)))
                not_enforced(out, POSTURE_FORWARDED, "set %s differs: %s", name, detail);
            else
                continue;
            return false;
        }
    }
    return true;
}

static const char *fam_name(int fam)
{
    return fam == PP_V4 ? "IPv4" : "IPv6";
}

/* per active family in order: accept then drop; nothing else */
static bool rules_ok(const struct posture_plan *p, const struct posture_seen *s,
                     struct posture_report *out)
{
    size_t i = 0;

    for (int fam = 0; fam < PP_NFAM; fam++) {
        if (!posture_plan_active(p, fam))
            continue;
        const struct pr_rule *a = i < s->n_rules ? &s->rules[i] : NULL;
        const struct pr_rule *d = i + 1 < s->n_rules ? &s->rules[i + 1] : NULL;
        bool accept = a && a->kind == PR_ACCEPT && a->fam == fam;
        bool drop = accept ? d && d->kind == PR_DROP && d->fam == fam
                           : a && a->kind == PR_DROP && a->fam == fam;
        if (!accept && drop)
            not_enforced(out, POSTURE_CUT,
                         "chain forward has no established,related accept before the %s drop",
                         fam_name(fam));
        else if (!drop && (accept ? d : a) && (accept ? d : a)->kind == PR_OTHER)
            not_enforced(out, POSTURE_FORWARDED,
                         "chain forward has a rule tunneld did not write (rule %zu) where its %s "
                         "drop belongs",
                         accept ? i + 2 : i + 1, fam_name(fam));
        else if (!drop)
            not_enforced(out, POSTURE_FORWARDED, "chain forward has no %s drop rule",
                         fam_name(fam));
        else {
            out->dropped_packets += d->packets;
            out->dropped_bytes += d->bytes;
            i += 2;
            continue;
        }
        return false;
    }
    if (i < s->n_rules) {
        not_enforced(out, POSTURE_CHANGED, "chain forward has %zu rule(s) after its own",
                     s->n_rules - i);
        return false;
    }
    return true;
}

void posture_verdict(const struct posture_plan *p, const struct posture_seen *s,
                     struct posture_report *out)
{
    *out = (struct posture_report){.state = POSTURE_NOT_ENFORCED};
    if (!s->table)
        not_enforced(out, POSTURE_FORWARDED, "table inet %s is missing", p->table);
    else if (!s->chain)
        not_enforced(out, POSTURE_FORWARDED, "table inet %s has no chain forward", p->table);
    else if (strcmp(s->chain_type, "filter") != 0 || strcmp(s->chain_hook, "forward") != 0)
        not_enforced(out, POSTURE_FORWARDED,
                     "chain forward of table inet %s is not a filter chain on hook forward",
                     p->table);
    else if (strcmp(s->chain_policy, "accept") != 0)
        not_enforced(out, POSTURE_CHANGED, "chain forward's policy is %s, not accept",
                     s->chain_policy[0] ? s->chain_policy : "missing");
    else if (s->n_extra)
        not_enforced(out, POSTURE_CHANGED, "%zu object(s) tunneld did not write, first %s",
                     s->n_extra, s->extra);
    else if (sets_ok(p, s, out) && rules_ok(p, s, out)) {
        out->state = POSTURE_ENFORCED;
        out->counted = true;
        return;
    }
    out->dropped_packets = out->dropped_bytes = 0;
}
