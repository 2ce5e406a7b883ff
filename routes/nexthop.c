/*
 * nexthop.c - RTM_*NEXTHOP messages. libnl 3.7 has no nexthop objects, so
 * they are built and parsed with its nlmsg/nla API (linux/nexthop.h).
 *
 * Threading: pure message construction/parsing; any thread.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "internal.h"

struct nl_msg *rt_msg_nh_new(const struct rt_nh *nh, uint8_t protocol, int nlflags)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEXTHOP, nlflags);
    struct nhmsg hdr = {
        .nh_family = nh->kind == RT_NH_GROUP ? AF_UNSPEC : nh->family,
        .nh_protocol = protocol,
    };
    if (!msg)
        return NULL;
    if (nlmsg_append(msg, &hdr, sizeof(hdr), NLMSG_ALIGNTO) < 0 ||
        nla_put_u32(msg, NHA_ID, nh->id) < 0)
        goto fail;
    switch (nh->kind) {
    case RT_NH_GROUP: {
        struct nexthop_grp grp[ROUTES_MAX_PATHS];
        memset(grp, 0, sizeof(grp));
        for (size_t i = 0; i < nh->n_members; i++) {
            grp[i].id = nh->members[i].id;
            /* the kernel stores weight - 1 */
            grp[i].weight = (uint8_t)(nh->members[i].weight - 1);
        }
        if (nla_put(msg, NHA_GROUP, (int)(nh->n_members * sizeof(grp[0])), grp) < 0)
            goto fail;
        break;
    }
    case RT_NH_BLACKHOLE:
        if (nla_put_flag(msg, NHA_BLACKHOLE) < 0)
            goto fail;
        break;
    case RT_NH_GW:
        if (nla_put(msg, NHA_GATEWAY, (int)rt_addr_len(nh->family), nh->gw) < 0)
            goto fail;
        /* fall through */
    case RT_NH_DEV:
        if (nla_put_u32(msg, NHA_OIF, nh->oif) < 0)
            goto fail;
        break;
    }
    return msg;
fail:
    nlmsg_free(msg);
    return NULL;
}

struct nl_msg *rt_msg_nh_del(uint32_t id)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_DELNEXTHOP, 0);
    struct nhmsg hdr = {.nh_family = AF_UNSPEC};
    if (!msg)
        return NULL;
    if (nlmsg_append(msg, &hdr, sizeof(hdr), NLMSG_ALIGNTO) < 0 ||
        nla_put_u32(msg, NHA_ID, id) < 0) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

struct nl_msg *rt_msg_nh_dump(void)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEXTHOP, NLM_F_DUMP);
    struct nhmsg hdr = {.nh_family = AF_UNSPEC};
    if (msg && nlmsg_append(msg, &hdr, sizeof(hdr), NLMSG_ALIGNTO) < 0) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

static int member_cmp(const void *a, const void *b)
{
    const struct rt_member *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static struct nla_policy nh_policy[NHA_MAX + 1] = {
    [NHA_ID] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
    [NHA_GROUP] = {.type = NLA_UNSPEC, .minlen = sizeof(struct nexthop_grp)},
    [NHA_BLACKHOLE] = {.type = NLA_FLAG},
    [NHA_GATEWAY] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
    [NHA_OIF] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
};

int rt_parse_nh(struct nlmsghdr *hdr, struct rt_nh *nh)
{
    struct nlattr *tb[NHA_MAX + 1];
    struct nhmsg *h;

    if (hdr->nlmsg_type != RTM_NEWNEXTHOP && hdr->nlmsg_type != RTM_DELNEXTHOP)
        return 0;
    if (nlmsg_parse(hdr, sizeof(*h), tb, NHA_MAX, nh_policy) < 0)
        return -EINVAL;
    if (tb[NHA_GROUP] && nla_len(tb[NHA_GROUP]) % (int)sizeof(struct nexthop_grp))
        return -EINVAL; /* not a whole number of members */
    h = nlmsg_data(hdr);
    memset(nh, 0, sizeof(*nh));
    if (!tb[NHA_ID])
        return -EINVAL;
    nh->id = nla_get_u32(tb[NHA_ID]);
    nh->family = h->nh_family;
    nh->protocol = h->nh_protocol;
    if (tb[NHA_GROUP]) {
        const struct nexthop_grp *g = nla_data(tb[NHA_GROUP]);
        size_t n = (size_t)nla_len(tb[NHA_GROUP]) / sizeof(*g);
        nh->kind = RT_NH_GROUP;
        nh->family = AF_UNSPEC;
        if (n > ROUTES_MAX_PATHS)
            n = ROUTES_MAX_PATHS; /* not one of ours: we never build such */
        for (size_t i = 0; i < n; i++) {
            nh->members[i].id = g[i].id;
            nh->members[i].weight = (uint16_t)(g[i].weight + 1);
        }
        nh->n_members = (uint8_t)n;
        qsort(nh->members, n, sizeof(nh->members[0]), member_cmp);
    } else if (tb[NHA_BLACKHOLE]) {
        nh->kind = RT_NH_BLACKHOLE;
    } else if (tb[NHA_GATEWAY]) {
        size_t len = (size_t)nla_len(tb[NHA_GATEWAY]);
        nh->kind = RT_NH_GW;
        if (rt_fam_index(nh->family) < 0 || len != rt_addr_len(nh->family))
            return -EINVAL;
        memcpy(nh->gw, nla_data(tb[NHA_GATEWAY]), len);
    } else {
        nh->kind = RT_NH_DEV;
    }
    if (tb[NHA_OIF])
        nh->oif = nla_get_u32(tb[NHA_OIF]);
    return 1;
}
