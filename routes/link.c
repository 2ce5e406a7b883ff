/*
 * link.c - link and address dumps/notifications: interface names, up and
 * carrier state, connected subnets.
 *
 * Threading: pure message construction/parsing; any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "internal.h"

struct nl_msg *rt_msg_link_dump(void)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
    if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

struct nl_msg *rt_msg_addr_dump(void)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);
    struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
    if (msg && nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0) {
        nlmsg_free(msg);
        return NULL;
    }
    return msg;
}

/* a name fits IF_NAMESIZE with its NUL (checked by libnl: NLA_STRING) */
static struct nla_policy link_policy[IFLA_MAX + 1] = {
    [IFLA_IFNAME] = {.type = NLA_STRING, .minlen = 1, .maxlen = IF_NAMESIZE},
};

static struct nla_policy addr_policy[IFA_MAX + 1] = {
    [IFA_ADDRESS] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
    [IFA_LOCAL] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
};

int rt_parse_link(struct nlmsghdr *hdr, int *ifindex, unsigned *flags, char *name)
{
    struct nlattr *tb[IFLA_MAX + 1];
    struct ifinfomsg *ifi;
    if (hdr->nlmsg_type != RTM_NEWLINK && hdr->nlmsg_type != RTM_DELLINK)
        return 0;
    if (nlmsg_parse(hdr, sizeof(*ifi), tb, IFLA_MAX, link_policy) < 0)
        return -EINVAL;
    ifi = nlmsg_data(hdr);
    *ifindex = ifi->ifi_index;
    *flags = ifi->ifi_flags;
    name[0] = '\0';
    if (tb[IFLA_IFNAME])
        snprintf(name, IF_NAMESIZE, "%.*s", nla_len(tb[IFLA_IFNAME]),
                 (const char *)nla_data(tb[IFLA_IFNAME]));
    return 1;
}

int rt_parse_addr(struct nlmsghdr *hdr, struct rt_addr *a)
{
    struct nlattr *tb[IFA_MAX + 1];
    struct ifaddrmsg *ifa;
    struct nlattr *addr;
    if (hdr->nlmsg_type != RTM_NEWADDR && hdr->nlmsg_type != RTM_DELADDR)
        return 0;
    if (nlmsg_parse(hdr, sizeof(*ifa), tb, IFA_MAX, addr_policy) < 0)
        return -EINVAL;
    ifa = nlmsg_data(hdr);
    if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
        return 0;
    if (ifa->ifa_prefixlen > rt_addr_len(ifa->ifa_family) * 8)
        return -EINVAL; /* longer than the address */
    /* IFA_ADDRESS is the peer on point-to-point links: its subnet is the
     * connected one; IFA_LOCAL otherwise equals it */
    addr = tb[IFA_ADDRESS] ? tb[IFA_ADDRESS] : tb[IFA_LOCAL];
    if (!addr || (size_t)nla_len(addr) != rt_addr_len(ifa->ifa_family))
        return 0;
    memset(a, 0, sizeof(*a));
    a->ifindex = (int)ifa->ifa_index;
    a->family = ifa->ifa_family;
    a->plen = ifa->ifa_prefixlen;
    memcpy(a->addr, nla_data(addr), rt_addr_len(ifa->ifa_family));
    return 1;
}
