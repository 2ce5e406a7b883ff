/*
 * monitor.c - the notification socket: link, address, route, nexthop,
 * rule and neighbour groups. Notifications caused by the engine's own request socket are
 * dropped in the kernel by a socket filter on nlmsg_pid, so a bulk install
 * does not flood this socket. What remains is someone else's change (or the
 * kernel's): it updates the mirror and schedules a repair; an overflow
 * (ENOBUFS) schedules a full resynchronisation.
 *
 * Threading: runs with the engine mutex held (from routes_process_events()
 * and between batch windows of an apply).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "internal.h"

#define RT_MON_RCVBUF (32 * 1024 * 1024)
#define RT_MON_MSGBUF (64 * 1024)

static int attach_filter(int fd, uint32_t own_portid)
{
    /* classic BPF loads words in network order: compare with htonl() */
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_pid)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(own_portid), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0),
        BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

int rt_monitor_open(struct routes_engine *eng, char *err, size_t errlen)
{
    int size = eng->opts.monitor_rcvbuf ? (int)eng->opts.monitor_rcvbuf : RT_MON_RCVBUF, fd, rc;
    eng->mon = nl_socket_alloc();
    if (!eng->mon) {
        snprintf(err, errlen, "cannot allocate the monitor socket");
        return -ENOMEM;
    }
    nl_socket_disable_seq_check(eng->mon);
    rc = nl_connect(eng->mon, NETLINK_ROUTE);
    if (rc < 0) {
        snprintf(err, errlen, "cannot open the monitor socket: %s", nl_geterror(rc));
        goto fail;
    }
    fd = nl_socket_get_fd(eng->mon);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (attach_filter(fd, eng->nl.portid) < 0) {
        snprintf(err, errlen, "cannot attach the notification filter: %s", strerror(errno));
        goto fail;
    }
    rc = nl_socket_add_memberships(eng->mon, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                   RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_NEXTHOP,
                                   RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE, RTNLGRP_NEIGH, 0);
    if (rc < 0) {
        snprintf(err, errlen, "cannot join rtnetlink groups: %s", nl_geterror(rc));
        goto fail;
    }
    nl_socket_set_msg_buf_size(eng->mon, RT_MON_MSGBUF);
    if (nl_socket_set_nonblocking(eng->mon) < 0) {
        snprintf(err, errlen, "cannot make the monitor socket non-blocking");
        goto fail;
    }
    return 0;
fail:
    nl_socket_free(eng->mon);
    eng->mon = NULL;
    return -EIO;
}

void rt_monitor_close(struct routes_engine *eng)
{
    if (eng->mon)
        nl_socket_free(eng->mon);
    eng->mon = NULL;
}

static bool link_used(const struct routes_engine *eng, int ifindex, const char *name)
{
    /* a frozen site's paths are unknown: any link may be one of them */
    for (size_t s = 0; s < eng->n_sites; s++)
        if (eng->sites[s].frozen)
            return true;
    for (size_t s = 0; s < eng->n_sites; s++)
        for (size_t p = 0; p < eng->sites[s].spec.n_paths; p++)
            if (eng->sites[s].oif[p] == ifindex || !strcmp(eng->sites[s].spec.paths[p].dev, name))
                return true;
    return false;
}

static void on_link(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    char name[IF_NAMESIZE];
    const struct rt_link *old;
    int ifindex;
    unsigned flags;
    bool used;
    if (rt_parse_link(hdr, &ifindex, &flags, name) != 1)
        return;
    old = rt_mirror_link_by_index(&eng->m, ifindex);
    used = link_used(eng, ifindex, name) || (old && link_used(eng, ifindex, old->name));
    if (hdr->nlmsg_type == RTM_DELLINK) {
        rt_mirror_link_del(&eng->m, ifindex);
    } else {
        bool known = old != NULL, was_usable = rt_link_usable(old);
        bool same_name = old && !strcmp(old->name, name);
        rt_mirror_link_put(&eng->m, ifindex, flags, name);
        if (known && same_name &&
            was_usable == rt_link_usable(rt_mirror_link_by_index(&eng->m, ifindex)))
            return; /* statistics or other flags: nothing for us */
    }
    if (!used)
        return;
    /* the kernel silently drops nexthops (and the routes of emptied groups)
     * on a link going down: re-read the owned nexthops before repairing,
     * and the probe routes through it */
    eng->nh_resync = true;
    eng->probe_resync = true;
    rt_paths_refresh(eng);
    rt_schedule_repair(eng, 0);
}

static void on_addr(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    struct rt_addr a;
    const struct rt_link *l;
    if (rt_parse_addr(hdr, &a) != 1)
        return;
    if (hdr->nlmsg_type == RTM_DELADDR)
        rt_mirror_addr_del(&eng->m, &a);
    else
        rt_mirror_addr_put(&eng->m, &a);
    l = rt_mirror_link_by_index(&eng->m, a.ifindex);
    if (l && link_used(eng, a.ifindex, l->name)) {
        rt_paths_refresh(eng);
        rt_schedule_repair(eng, 0);
    }
}

/* one of our throw routes added or deleted by someone else: true when the
 * mirror changed (a repair is due) */
static bool throw_changed(struct routes_engine *eng, struct nlmsghdr *hdr,
                          const struct rt_route_msg *r, const char *p)
{
    bool had = rt_rtable_get(&eng->m.bypass, &r->dst) != NULL;

    if (hdr->nlmsg_type == RTM_DELROUTE ? !rt_rtable_del(&eng->m.bypass, &r->dst) : had)
        return false;
    if (hdr->nlmsg_type != RTM_DELROUTE)
        rt_rtable_set(&eng->m.bypass, &r->dst, 0);
    if (eng->tamper_logs++ < RT_TAMPER_LOGS)
        rt_log(eng, ROUTES_LOG_WARN, "owned throw route %s table %u was %s by netlink port %u", p,
               r->table, hdr->nlmsg_type == RTM_DELROUTE ? "deleted" : "added", hdr->nlmsg_pid);
    return true;
}

/* one of our covers changed or deleted */
static bool cover_changed(struct routes_engine *eng, struct nlmsghdr *hdr,
                          const struct rt_route_msg *r, const char *p)
{
    const struct rt_rentry *e = rt_rtable_get(&eng->m.fallback, &r->dst);
    uint32_t nhid = r->has_nhid ? r->nhid : 0;

    if (hdr->nlmsg_type == RTM_DELROUTE ? !rt_rtable_del(&eng->m.fallback, &r->dst)
                                        : e && e->nhid == nhid)
        return false;
    if (hdr->nlmsg_type != RTM_DELROUTE)
        rt_rtable_set(&eng->m.fallback, &r->dst, nhid);
    if (eng->tamper_logs++ >= RT_TAMPER_LOGS)
        ; /* the repair logs the totals */
    else if (hdr->nlmsg_pid == 0 && hdr->nlmsg_type == RTM_DELROUTE)
        rt_log(eng, ROUTES_LOG_INFO,
               "owned cover route %s table %u was removed by the kernel (its cover group "
               "went away)",
               p, r->table);
    else
        rt_log(eng, ROUTES_LOG_WARN,
               "owned cover route %s table %u metric %u was %s by netlink port %u", p, r->table,
               ROUTES_FALLBACK_METRIC, hdr->nlmsg_type == RTM_DELROUTE ? "deleted" : "changed",
               hdr->nlmsg_pid);
    return true;
}

/* one of our group routes changed or deleted */
static bool route_changed(struct routes_engine *eng, struct nlmsghdr *hdr,
                          const struct rt_route_msg *r, const char *p)
{
    const struct rt_rentry *e;

    if (hdr->nlmsg_type != RTM_DELROUTE) {
        e = rt_rtable_get(&eng->m.routes, &r->dst);
        if (e && r->has_nhid && e->nhid == r->nhid)
            return false;
        rt_rtable_set(&eng->m.routes, &r->dst, r->has_nhid ? r->nhid : 0);
        if (eng->tamper_logs++ < RT_TAMPER_LOGS)
            rt_log(eng, ROUTES_LOG_WARN, "owned route %s table %u was changed by netlink port %u",
                   p, r->table, hdr->nlmsg_pid);
        return true;
    }
    if (!rt_rtable_del(&eng->m.routes, &r->dst))
        return false;
    /* port 0 is the kernel itself: the route went with its group (a link
     * went down; IPv6 says so, IPv4 does not) -- not tampering, and the
     * link event that follows explains it */
    if (eng->tamper_logs++ >= RT_TAMPER_LOGS)
        return true;
    if (hdr->nlmsg_pid == 0)
        rt_log(eng, ROUTES_LOG_INFO,
               "owned route %s table %u was removed by the kernel (its group went away)", p,
               r->table);
    else
        rt_log(eng, ROUTES_LOG_WARN, "owned route %s table %u was deleted by netlink port %u", p,
               r->table, hdr->nlmsg_pid);
    return true;
}

/* someone else's route in our table: if it replaced one of ours, only a
 * dump tells what is left */
static bool foreign_route(struct routes_engine *eng, struct nlmsghdr *hdr,
                          const struct rt_route_msg *r, const char *p)
{
    if (!rt_rtable_get(&eng->m.routes, &r->dst) && !rt_rtable_get(&eng->m.fallback, &r->dst) &&
        !rt_rtable_get(&eng->m.bypass, &r->dst)) {
        /* gone while a repair keeps failing (a collision): retry now */
        if (hdr->nlmsg_type == RTM_DELROUTE && eng->repair_failures)
            rt_schedule_repair(eng, eng->opts.repair_delay_ms);
        return false;
    }
    if (eng->tamper_logs++ < RT_TAMPER_LOGS)
        rt_log(eng, ROUTES_LOG_WARN,
               "route %s table %u proto %u from netlink port %u collides with an owned route", p,
               r->table, r->protocol, hdr->nlmsg_pid);
    eng->resync_needed = true;
    return true;
}

static void on_route(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    struct rt_route_msg r;
    char p[64];
    bool changed;

    if (rt_parse_route(hdr, &r) != 1)
        return;
    if (rt_probe_table(&eng->opts, r.table)) {
        rt_probe_on_route(eng, hdr);
        return;
    }
    if (r.table != eng->opts.table) {
        /* a table an earlier (or equal) rule of others looks up: does it
         * now route part of the sites? */
        if (rt_table_watched(eng, r.table))
            rt_schedule_shadow(eng);
        return;
    }
    rt_prefix_format(&r.dst, p, sizeof(p));
    if (r.protocol != eng->opts.protocol)
        changed = foreign_route(eng, hdr, &r, p);
    else if (r.type == RTN_THROW)
        changed = throw_changed(eng, hdr, &r, p);
    else if (rt_route_is_fallback(&r))
        changed = cover_changed(eng, hdr, &r, p);
    else
        changed = route_changed(eng, hdr, &r, p);
    if (changed)
        rt_schedule_repair(eng, eng->opts.repair_delay_ms);
}

static void on_nexthop(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    struct rt_nh nh;
    const struct rt_nh *cur;
    if (rt_parse_nh(hdr, &nh) != 1)
        return;
    cur = rt_mirror_nh(&eng->m, nh.id);
    if (hdr->nlmsg_type == RTM_DELNEXTHOP) {
        if (!cur) {
            rt_mirror_foreign_del(&eng->m, nh.id);
            return;
        }
        rt_log(eng, ROUTES_LOG_WARN, "owned nexthop %u was deleted by netlink port %u", nh.id,
               hdr->nlmsg_pid);
        rt_mirror_nh_del(&eng->m, nh.id);
        /* IPv4 routes using it vanished without notification */
        eng->resync_needed = true;
    } else if (nh.protocol == eng->opts.protocol) {
        if (cur && rt_nh_same_target(cur, &nh))
            return;
        rt_log(eng, ROUTES_LOG_WARN, "owned nexthop %u was changed by netlink port %u", nh.id,
               hdr->nlmsg_pid);
        rt_mirror_nh_put(&eng->m, &nh);
    } else {
        if (cur) {
            rt_log(eng, ROUTES_LOG_WARN,
                   "owned nexthop %u was taken over (proto %u) by netlink port %u", nh.id,
                   nh.protocol, hdr->nlmsg_pid);
            rt_mirror_nh_del(&eng->m, nh.id);
            eng->resync_needed = true;
        }
        if (nh.id >= eng->opts.nh_id_base)
            rt_mirror_foreign_add(&eng->m, nh.id);
        if (!cur)
            return;
    }
    rt_schedule_repair(eng, eng->opts.repair_delay_ms);
}

static void on_rule(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    struct rt_rule r;
    uint8_t proto;
    bool wanted = false;
    if (rt_parse_rule(hdr, &r, &proto) != 1)
        return;
    for (size_t i = 0; i < eng->n_want_rules; i++)
        wanted |= rt_rule_eq(&r, &eng->want_rules[i]);
    if (proto != eng->opts.protocol && !wanted) {
        /* someone else's rule: does it shadow ours now (or no longer)? */
        rt_schedule_shadow(eng);
        return;
    }
    rt_log(eng, ROUTES_LOG_WARN, "owned policy rule %u (%s) was %s by netlink port %u", r.priority,
           r.family == AF_INET ? "IPv4" : "IPv6",
           hdr->nlmsg_type == RTM_DELRULE ? "deleted" : "changed", hdr->nlmsg_pid);
    eng->rules_dirty = true;
    rt_schedule_repair(eng, eng->opts.repair_delay_ms);
}

static void dispatch(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    eng->stats.notifications++;
    switch (hdr->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
        on_link(eng, hdr);
        break;
    case RTM_NEWADDR:
    case RTM_DELADDR:
        on_addr(eng, hdr);
        break;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
        on_route(eng, hdr);
        break;
    case RTM_NEWNEXTHOP:
    case RTM_DELNEXTHOP:
        on_nexthop(eng, hdr);
        break;
    case RTM_NEWRULE:
    case RTM_DELRULE:
        on_rule(eng, hdr);
        break;
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH:
        rt_neigh_notify(eng, hdr);
        break;
    default:
        break;
    }
}

void rt_monitor_drain(struct routes_engine *eng)
{
    /* bounded: at most this many reads per call, the rest stays queued */
    for (int reads = 0; eng->mon && reads < 100000; reads++) {
        struct sockaddr_nl peer = {0};
        unsigned char *buf = NULL;
        struct nlmsghdr *hdr;
        int len = nl_recv(eng->mon, &peer, &buf, NULL);
        if (len == 0 || len == -NLE_AGAIN)
            return; /* drained */
        if (len < 0) {
            if (len == -NLE_NOMEM) {
                rt_log(eng, ROUTES_LOG_WARN,
                       "notification overflow (ENOBUFS): resynchronising with a full dump");
                eng->resync_needed = true;
                eng->links_resync = true;
                eng->rules_dirty = true;
                rt_schedule_repair(eng, 0);
                continue;
            }
            rt_log(eng, ROUTES_LOG_ERROR, "monitor socket: %s", nl_geterror(len));
            return;
        }
        if (peer.nl_pid != 0) {
            /* sent by another process to our port, not by the kernel */
            free(buf);
            continue;
        }
        hdr = (struct nlmsghdr *)buf;
        for (; nlmsg_ok(hdr, len); hdr = nlmsg_next(hdr, &len))
            dispatch(eng, hdr);
        free(buf);
    }
}
