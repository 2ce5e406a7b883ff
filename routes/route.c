/*
 * route.c - RTM_*ROUTE messages for owned routes (RTA_NH_ID), route dumps
 * and parsing of route notifications.
 *
 * Threading: pure message construction/parsing; any thread.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "internal.h"

static struct nl_msg *route_msg(int type, int flags, const struct rt_prefix *p, uint32_t table,
                                uint8_t protocol)
{
    struct nl_msg *msg = nlmsg_alloc_size(128);
    struct rtmsg rtm = {
        .rtm_family = p->family,
        .rtm_dst_len = p->plen,
        .rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC,
        .rtm_protocol = protocol,
        .rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE,
        .rtm_type = type == RTM_DELROUTE ? RTN_UNSPEC : RTN_UNICAST,
    };
    if (!msg)
        return NULL;
    if (!nlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, type, 0, flags) ||
        nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
        nla_put(msg, RTA_DST, (int)rt_addr_len(p->family), p->addr) < 0 ||
        nla_put_u32(msg, RTA_TABLE, table) < 0) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

/* replace: only for a prefix the mirror holds as owned; anything else is
 * created exclusively, so that a route of someone else's with the same key
 * makes the kernel answer EEXIST instead of being overwritten. */
static struct nl_msg *route_set(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                uint32_t nhid, bool replace, uint32_t metric)
{
    struct nl_msg *msg = route_msg(
        RTM_NEWROUTE, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL), p, table, protocol);
    if (msg && (nla_put_u32(msg, RTA_NH_ID, nhid) < 0 ||
                (metric && nla_put_u32(msg, RTA_PRIORITY, metric) < 0))) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

struct nl_msg *rt_msg_route_set(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                uint32_t nhid, bool replace)
{
    return route_set(p, table, protocol, nhid, replace, 0);
}

/* The group route is the one at the family's default metric (none given at
 * creation: 0 for IPv4, 1024 for IPv6) pointing at the site's group. The
 * cover of the same prefix is unicast too (metric 4096): IPv4 takes a
 * metric of 0 as "any", so the group's id is what keeps a deletion from
 * taking the cover when the group route is already gone. */
struct nl_msg *rt_msg_route_del(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                uint32_t nhid)
{
    struct nl_msg *msg = route_msg(RTM_DELROUTE, 0, p, table, protocol);
    if (!msg)
        return NULL;
    ((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_type = RTN_UNICAST;
    if ((p->family == AF_INET6 && nla_put_u32(msg, RTA_PRIORITY, 1024) < 0) ||
        (nhid && nla_put_u32(msg, RTA_NH_ID, nhid) < 0)) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

/* Covers are told apart by their metric. */
struct nl_msg *rt_msg_fallback_set(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                   uint32_t nhid, bool replace)
{
    return route_set(p, table, protocol, nhid, replace, ROUTES_FALLBACK_METRIC);
}

/* A deletion names the metric, whatever the type (an older blackhole cover
 * goes the same way). */
struct nl_msg *rt_msg_fallback_del(const struct rt_prefix *p, uint32_t table, uint8_t protocol)
{
    struct nl_msg *msg = route_msg(RTM_DELROUTE, 0, p, table, protocol);
    if (msg && nla_put_u32(msg, RTA_PRIORITY, ROUTES_FALLBACK_METRIC) < 0) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

struct nl_msg *rt_msg_bypass_set(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                 bool replace)
{
    struct nl_msg *msg = route_msg(
        RTM_NEWROUTE, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL), p, table, protocol);
    if (msg)
        ((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_type = RTN_THROW;
    return msg;
}

/* The type keeps a deletion from taking another route of the prefix. */
struct nl_msg *rt_msg_bypass_del(const struct rt_prefix *p, uint32_t table, uint8_t protocol)
{
    struct nl_msg *msg = route_msg(RTM_DELROUTE, 0, p, table, protocol);
    if (msg)
        ((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_type = RTN_THROW;
    return msg;
}

bool rt_route_is_fallback(const struct rt_route_msg *r)
{
    return r->has_priority && r->priority == ROUTES_FALLBACK_METRIC;
}

struct nl_msg *rt_msg_route_dump(int family, uint32_t table, uint8_t protocol)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
    struct rtmsg rtm = {
        .rtm_family = (uint8_t)family,
        .rtm_table = table && table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC,
        .rtm_protocol = protocol,
    };
    if (!msg)
        return NULL;
    if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
        (table && nla_put_u32(msg, RTA_TABLE, table) < 0)) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

/* lengths of the attributes read (libnl checks them before anything is read) */
static struct nla_policy route_policy[RTA_MAX + 1] = {
    [RTA_DST] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
    [RTA_TABLE] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
    [RTA_NH_ID] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
    [RTA_PRIORITY] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
};

int rt_parse_route(struct nlmsghdr *hdr, struct rt_route_msg *r)
{
    struct nlattr *tb[RTA_MAX + 1];
    struct rtmsg *rtm;
    size_t alen;

    if (hdr->nlmsg_type != RTM_NEWROUTE && hdr->nlmsg_type != RTM_DELROUTE)
        return 0;
    if (nlmsg_parse(hdr, sizeof(*rtm), tb, RTA_MAX, route_policy) < 0)
        return -EINVAL;
    rtm = nlmsg_data(hdr);
    if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
        return 0;
    memset(r, 0, sizeof(*r));
    alen = rt_addr_len(rtm->rtm_family);
    if (rtm->rtm_dst_len > alen * 8)
        return -EINVAL; /* longer than the address: never a prefix */
    r->dst.family = rtm->rtm_family;
    r->dst.plen = rtm->rtm_dst_len;
    if (tb[RTA_DST]) {
        if ((size_t)nla_len(tb[RTA_DST]) != alen)
            return -EINVAL;
        memcpy(r->dst.addr, nla_data(tb[RTA_DST]), alen);
    }
    r->table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
    r->protocol = rtm->rtm_protocol;
    r->type = rtm->rtm_type;
    if (tb[RTA_NH_ID]) {
        r->nhid = nla_get_u32(tb[RTA_NH_ID]);
        r->has_nhid = true;
    }
    if (tb[RTA_PRIORITY]) {
        r->priority = nla_get_u32(tb[RTA_PRIORITY]);
        r->has_priority = true;
    }
    return 1;
}
