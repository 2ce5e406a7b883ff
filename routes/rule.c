/*
 * rule.c - policy rules "lookup <table>" owned by the engine (FRA_PROTOCOL
 * set to the engine's protocol): message construction, parsing, and the
 * conversion from the public rule spec.
 *
 * Threading: pure message construction/parsing; any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "internal.h"

int rt_rule_from_spec(const struct routes_rule_spec *spec, uint32_t table, struct rt_rule *r,
                      char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    if (spec->family != AF_INET && spec->family != AF_INET6) {
        snprintf(err, errlen, "rule priority %u: family must be IPv4 or IPv6", spec->priority);
        return -EINVAL;
    }
    r->family = (uint8_t)spec->family;
    r->priority = spec->priority;
    r->table = table;
    if (spec->from && *spec->from) {
        struct rt_prefix p;
        char why[200];
        if (rt_prefix_parse(spec->from, &p, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "rule priority %u: %s", spec->priority, why);
            return -EINVAL;
        }
        if (p.family != spec->family) {
            snprintf(err, errlen, "rule priority %u: source %s is not %s", spec->priority,
                     spec->from, spec->family == AF_INET ? "IPv4" : "IPv6");
            return -EINVAL;
        }
        r->src_len = p.plen;
        memcpy(r->src, p.addr, 16);
    }
    if (spec->fwmark) {
        r->has_fwmark = true;
        r->fwmark = spec->fwmark;
        r->fwmask = spec->fwmask ? spec->fwmask : 0xffffffffu;
    }
    return 0;
}

struct nl_msg *rt_msg_rule(int type, const struct rt_rule *r, uint8_t protocol, int nlflags)
{
    struct nl_msg *msg = nlmsg_alloc_simple(type, nlflags);
    struct fib_rule_hdr frh = {
        .family = r->family,
        .src_len = r->src_len,
        .table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC,
        .action = FR_ACT_TO_TBL,
    };
    if (!msg)
        return NULL;
    if (nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO) < 0 ||
        nla_put_u32(msg, FRA_PRIORITY, r->priority) < 0 ||
        nla_put_u32(msg, FRA_TABLE, r->table) < 0 || nla_put_u8(msg, FRA_PROTOCOL, protocol) < 0)
        goto fail;
    if (r->src_len && nla_put(msg, FRA_SRC, (int)rt_addr_len(r->family), r->src) < 0)
        goto fail;
    if (r->has_fwmark && (nla_put_u32(msg, FRA_FWMARK, r->fwmark) < 0 ||
                          nla_put_u32(msg, FRA_FWMASK, r->fwmask) < 0))
        goto fail;
    return msg;
fail:
    nlmsg_free(msg);
    return NULL;
}

struct nl_msg *rt_msg_rule_dump(int family)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETRULE, NLM_F_DUMP);
    struct fib_rule_hdr frh = {.family = (uint8_t)family};
    if (msg && nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO) < 0) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

static struct nla_policy rule_policy[FRA_MAX + 1] = {
    [FRA_PRIORITY] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
    [FRA_TABLE] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
    [FRA_SRC] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
    [FRA_FWMARK] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
    [FRA_FWMASK] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
    [FRA_PROTOCOL] = {.type = NLA_U8, .minlen = 1, .maxlen = 1},
};

int rt_parse_rule(struct nlmsghdr *hdr, struct rt_rule *r, uint8_t *protocol)
{
    struct nlattr *tb[FRA_MAX + 1];
    struct fib_rule_hdr *frh;

    if (hdr->nlmsg_type != RTM_NEWRULE && hdr->nlmsg_type != RTM_DELRULE)
        return 0;
    if (nlmsg_parse(hdr, sizeof(*frh), tb, FRA_MAX, rule_policy) < 0)
        return -EINVAL;
    frh = nlmsg_data(hdr);
    if (frh->family != AF_INET && frh->family != AF_INET6)
        return 0;
    if (frh->src_len > rt_addr_len(frh->family) * 8 ||
        (tb[FRA_SRC] && (size_t)nla_len(tb[FRA_SRC]) != rt_addr_len(frh->family)))
        return -EINVAL;
    memset(r, 0, sizeof(*r));
    r->family = frh->family;
    r->src_len = frh->src_len;
    r->priority = tb[FRA_PRIORITY] ? nla_get_u32(tb[FRA_PRIORITY]) : 0;
    r->table = tb[FRA_TABLE] ? nla_get_u32(tb[FRA_TABLE]) : frh->table;
    if (tb[FRA_SRC] && (size_t)nla_len(tb[FRA_SRC]) == rt_addr_len(r->family))
        memcpy(r->src, nla_data(tb[FRA_SRC]), rt_addr_len(r->family));
    if (tb[FRA_FWMARK]) {
        r->has_fwmark = true;
        r->fwmark = nla_get_u32(tb[FRA_FWMARK]);
        r->fwmask = tb[FRA_FWMASK] ? nla_get_u32(tb[FRA_FWMASK]) : 0xffffffffu;
    }
    *protocol = tb[FRA_PROTOCOL] ? nla_get_u8(tb[FRA_PROTOCOL]) : 0;
    return 1;
}

int rt_parse_rule_info(struct nlmsghdr *hdr, struct rt_rule_info *ri)
{
    /* attributes that narrow what the rule matches (or suppress results) */
    static const int narrowing[] = {FRA_DST,         FRA_IIFNAME,    FRA_OIFNAME,   FRA_FLOW,
                                    FRA_TUN_ID,      FRA_L3MDEV,     FRA_UID_RANGE, FRA_IP_PROTO,
                                    FRA_SPORT_RANGE, FRA_DPORT_RANGE};
    /* the kernel always sends these two, with -1 for "not set" */
    static const int suppressing[] = {FRA_SUPPRESS_IFGROUP, FRA_SUPPRESS_PREFIXLEN};
    struct nlattr *tb[FRA_MAX + 1];
    struct fib_rule_hdr *frh;
    int rc = rt_parse_rule(hdr, &ri->r, &ri->protocol);

    if (rc != 1)
        return rc;
    if (nlmsg_parse(hdr, sizeof(*frh), tb, FRA_MAX, rule_policy) < 0)
        return -EINVAL;
    frh = nlmsg_data(hdr);
    ri->action = frh->action;
    ri->goto_target = tb[FRA_GOTO] && nla_len(tb[FRA_GOTO]) == 4 ? nla_get_u32(tb[FRA_GOTO]) : 0;
    ri->narrowed = frh->dst_len || frh->tos || (frh->flags & FIB_RULE_INVERT) || ri->r.src_len ||
                   ri->r.has_fwmark;
    for (size_t i = 0; i < sizeof(narrowing) / sizeof(narrowing[0]); i++)
        ri->narrowed |= tb[narrowing[i]] != NULL;
    for (size_t i = 0; i < sizeof(suppressing) / sizeof(suppressing[0]); i++)
        ri->narrowed |= tb[suppressing[i]] && nla_len(tb[suppressing[i]]) == 4 &&
                        nla_get_u32(tb[suppressing[i]]) != UINT32_MAX;
    return 1;
}

bool rt_rule_eq(const struct rt_rule *a, const struct rt_rule *b)
{
    return a->family == b->family && a->src_len == b->src_len && !memcmp(a->src, b->src, 16) &&
           a->priority == b->priority && a->table == b->table && a->has_fwmark == b->has_fwmark &&
           (!a->has_fwmark || (a->fwmark == b->fwmark && a->fwmask == b->fwmask));
}

void rt_rule_describe(const struct rt_rule *r, char *buf, size_t len)
{
    char from[64] = "all";
    if (r->src_len) {
        struct rt_prefix p = {.family = r->family, .plen = r->src_len};
        memcpy(p.addr, r->src, 16);
        rt_prefix_format(&p, from, sizeof(from));
    }
    if (r->has_fwmark)
        snprintf(buf, len, "%s rule %u from %s fwmark 0x%x/0x%x lookup %u",
                 r->family == AF_INET ? "IPv4" : "IPv6", r->priority, from, r->fwmark, r->fwmask,
                 r->table);
    else
        snprintf(buf, len, "%s rule %u from %s lookup %u", r->family == AF_INET ? "IPv4" : "IPv6",
                 r->priority, from, r->table);
}
