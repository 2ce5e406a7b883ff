/*
 * shadow.c - policy rules of others that take traffic before the engine's
 * own rules see it. The kernel walks the rules by priority and, among
 * rules of the same priority, in the order they were added; a rule made
 * before tunneld's at the same priority, or a rule at a lower priority that
 * matches every packet (a lookup of the main table, a blackhole, a goto past
 * ours), leaves tunneld's table nothing or only what it does not route.
 *
 *  - another rule at the priority of one of the engine's rules: refused by
 *    routes_open() and routes_precheck() (and a problem while running);
 *  - a rule matching everything, consulted earlier (except the kernel's
 *    "lookup local" and lookups of the engine's own table): a problem
 *    (routes_get_problems()) and a warning in the log.
 *
 * Threading: runs with the engine mutex held (or on the private engine of
 * routes_precheck()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "internal.h"

struct shadow {
    struct routes_engine *eng;
    struct routes_result *same, *before;
};

static const char *family_name(int family)
{
    return family == AF_INET ? "IPv4" : "IPv6";
}

/* "IPv4 rule 1160 from all lookup 254 (protocol 4)" and the like */
static void describe(const struct rt_rule_info *ri, char *buf, size_t len)
{
    static const char *const drops[] = {[FR_ACT_BLACKHOLE] = "blackhole",
                                        [FR_ACT_UNREACHABLE] = "unreachable",
                                        [FR_ACT_PROHIBIT] = "prohibit"};
    char base[160];

    rt_rule_describe(&ri->r, base, sizeof(base));
    if (ri->action == FR_ACT_TO_TBL) {
        snprintf(buf, len, "%s%s (protocol %u)", base, ri->narrowed ? " (with more selectors)" : "",
                 ri->protocol);
        return;
    }
    /* the description ends in "lookup <table>": say the action instead */
    char *lookup = strstr(base, " lookup ");
    if (lookup)
        *lookup = '\0';
    if (ri->action == FR_ACT_GOTO)
        snprintf(buf, len, "%s goto %u (protocol %u)", base, ri->goto_target, ri->protocol);
    else if (ri->action < sizeof(drops) / sizeof(drops[0]) && drops[ri->action])
        snprintf(buf, len, "%s %s (protocol %u)", base, drops[ri->action], ri->protocol);
    else
        snprintf(buf, len, "%s action %u (protocol %u)", base, ri->action, ri->protocol);
}

/* Whether a rule of others at a lower priority than ours takes every
 * packet away from tunneld's rule. */
static bool takes_everything(const struct rt_rule_info *ri, uint32_t ours, uint32_t table)
{
    if (ri->narrowed || ri->r.priority >= ours)
        return false;
    switch (ri->action) {
    case FR_ACT_TO_TBL:
        return ri->r.table != RT_TABLE_LOCAL && ri->r.table != table;
    case FR_ACT_GOTO:
        return ri->goto_target > ours;
    case FR_ACT_BLACKHOLE:
    case FR_ACT_UNREACHABLE:
    case FR_ACT_PROHIBIT:
        return true;
    default:
        return false;
    }
}

static int on_rule(void *ctx, struct nlmsghdr *hdr)
{
    struct shadow *sh = ctx;
    struct routes_engine *eng = sh->eng;
    uint32_t table = eng->opts.table, first = UINT32_MAX;
    struct rt_rule_info ri;
    char d[240];

    if (rt_parse_rule_info(hdr, &ri) != 1 || ri.protocol == eng->opts.protocol)
        return 0;
    for (size_t i = 0; i < eng->n_want_rules; i++) {
        const struct rt_rule *w = &eng->want_rules[i];
        if (w->family != ri.r.family)
            continue;
        if (w->priority < first)
            first = w->priority;
        /* the same priority: harmless only when it looks up our table */
        if (w->priority != ri.r.priority ||
            (ri.action == FR_ACT_TO_TBL && ri.r.table == table && !ri.narrowed))
            continue;
        describe(&ri, d, sizeof(d));
        rt_result_add(sh->same, NULL, NULL, NULL, -EEXIST,
                      "policy rule priority %u is also held by %s, not made by tunneld: the "
                      "kernel consults the rule added first, so it shadows tunneld's table %u "
                      "(expected no other %s rule at priority %u; remove it or give it another "
                      "priority)",
                      w->priority, d, table, family_name(w->family), w->priority);
        return 0;
    }
    if (first == UINT32_MAX || !takes_everything(&ri, first, table))
        return 0;
    describe(&ri, d, sizeof(d));
    rt_result_add(sh->before, NULL, NULL, NULL, -EEXIST,
                  "%s, not made by tunneld, matches every packet before tunneld's rule %u: "
                  "tunneld's table %u is consulted only for what it leaves (expected tunneld's "
                  "rule first; remove that rule or move it after priority %u)",
                  d, first, table, first);
    return 0;
}

int rt_rules_shadow(struct routes_engine *eng, struct routes_result *same,
                    struct routes_result *before)
{
    struct shadow sh = {.eng = eng, .same = same, .before = before};

    for (int f = 0; f < RT_NFAM; f++) {
        int rc = -EINTR;
        for (int i = 0; i < 5 && rc == -EINTR; i++) {
            struct nl_msg *req = rt_msg_rule_dump(rt_fam_af(f));
            size_t n_same = same->n_errors, n_before = before->n_errors;
            if (!req)
                return -ENOMEM;
            rc = rt_nl_dump(&eng->nl, req, on_rule, &sh);
            if (rc == -EINTR) {
                /* a dump interrupted by a change: drop what it found */
                same->n_errors = n_same;
                before->n_errors = n_before;
            }
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* the first rule at our priority as an error of routes_open/_precheck */
int rt_rules_shadow_check(struct routes_engine *eng, struct routes_result *before, char *err,
                          size_t errlen)
{
    struct routes_result same = {0}, local = {0};
    int rc = rt_rules_shadow(eng, &same, before ? before : &local);

    if (rc < 0)
        snprintf(err, errlen, "cannot dump policy rules: %s", rt_strerror(rc));
    else if (same.n_errors) {
        snprintf(err, errlen, "%s", same.errors[0].message);
        rc = -EEXIST;
    }
    routes_result_free(&same);
    routes_result_free(&local);
    return rc;
}
