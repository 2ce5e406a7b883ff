/*
 * test_parse.c - unit tests (cmocka) of the engine's netlink input: crafted
 * route (probe-table routes too), nexthop, rule, link, address and neighbour
 * messages with attributes of the
 * wrong length and prefix lengths past the address are refused (-EINVAL)
 * instead of being read past their end; replies and notifications sent to
 * the engine's sockets by another process (netlink port not 0) are dropped.
 *
 * The spoofing tests use netlink sockets in the test's own network
 * namespace and only read from the kernel (a link dump); no privilege needed.
 *
 * Threading: single-threaded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "internal.h"

/* ---- crafted messages ------------------------------------------------------ */

static struct nl_msg *route_msg(uint8_t family, uint8_t dst_len)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWROUTE, 0);
    struct rtmsg rtm = {.rtm_family = family, .rtm_dst_len = dst_len, .rtm_protocol = 116};
    assert_non_null(msg);
    assert_int_equal(nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO), 0);
    return msg;
}

static int parse_route(struct nl_msg *msg)
{
    struct rt_route_msg r;
    int rc = rt_parse_route(nlmsg_hdr(msg), &r);
    nlmsg_free(msg);
    return rc;
}

static void test_route_ok(void **state)
{
    uint8_t a[4] = {203, 0, 113, 0};
    struct nl_msg *msg = route_msg(AF_INET, 24);
    struct rt_route_msg r;
    (void)state;
    nla_put(msg, RTA_DST, 4, a);
    nla_put_u32(msg, RTA_TABLE, 1160);
    nla_put_u32(msg, RTA_NH_ID, 7);
    assert_int_equal(rt_parse_route(nlmsg_hdr(msg), &r), 1);
    assert_int_equal(r.table, 1160);
    assert_int_equal(r.nhid, 7);
    assert_int_equal(r.dst.plen, 24);
    nlmsg_free(msg);
}

static void test_route_plen_past_address(void **state)
{
    uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8};
    struct nl_msg *msg = route_msg(AF_INET, 33);
    (void)state;
    assert_int_equal(parse_route(msg), -EINVAL);
    msg = route_msg(AF_INET6, 200);
    nla_put(msg, RTA_DST, 16, a6);
    assert_int_equal(parse_route(msg), -EINVAL);
}

static void test_route_short_attributes(void **state)
{
    uint8_t one = 1;
    uint16_t two = 2;
    uint8_t a3[3] = {1, 2, 3};
    struct nl_msg *msg;
    (void)state;
    msg = route_msg(AF_INET, 0);
    nla_put(msg, RTA_TABLE, 1, &one); /* a u32 of one byte */
    assert_int_equal(parse_route(msg), -EINVAL);
    msg = route_msg(AF_INET, 0);
    nla_put(msg, RTA_NH_ID, 2, &two);
    assert_int_equal(parse_route(msg), -EINVAL);
    msg = route_msg(AF_INET, 0);
    nla_put(msg, RTA_PRIORITY, 1, &one);
    assert_int_equal(parse_route(msg), -EINVAL);
    msg = route_msg(AF_INET, 24);
    nla_put(msg, RTA_DST, 3, a3);
    assert_int_equal(parse_route(msg), -EINVAL);
}

/* probe-table routes: a gateway of the wrong length is refused; IPv6
 * rejects (shown on lo) compare without their interface */
static void test_probe_route(void **state)
{
    uint8_t gw[16] = {198, 51, 100, 1}, dst[4] = {203, 0, 113, 1};
    struct rt_proute r,
        want = {.table = 11601, .metric = 10, .type = RTN_UNICAST, .has_gw = true, .oif = 3};
    struct nl_msg *msg = route_msg(AF_INET, 32);
    uint8_t proto;
    (void)state;
    ((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_type = RTN_UNICAST;
    nla_put(msg, RTA_DST, 4, dst);
    nla_put_u32(msg, RTA_TABLE, 11601);
    nla_put_u32(msg, RTA_PRIORITY, 10);
    nla_put_u32(msg, RTA_OIF, 3);
    nla_put(msg, RTA_GATEWAY, 4, gw);
    assert_int_equal(rt_parse_proute(nlmsg_hdr(msg), &r, &proto), 1);
    nlmsg_free(msg);
    want.dst.family = AF_INET;
    want.dst.plen = 32;
    memcpy(want.dst.addr, dst, 4);
    memcpy(want.gw, gw, 4);
    assert_true(rt_proute_same(&r, &want));
    assert_int_equal(proto, 116);
    msg = route_msg(AF_INET, 32);
    ((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_type = RTN_UNICAST;
    nla_put(msg, RTA_GATEWAY, 16, gw); /* an IPv6-sized gateway on IPv4 */
    assert_int_equal(rt_parse_proute(nlmsg_hdr(msg), &r, &proto), -EINVAL);
    nlmsg_free(msg);
    msg = route_msg(AF_INET, 32);
    nla_put(msg, RTA_OIF, 2, gw); /* a u32 of two bytes */
    assert_int_equal(rt_parse_proute(nlmsg_hdr(msg), &r, &proto), -EINVAL);
    nlmsg_free(msg);
    msg = route_msg(AF_INET6, 0);
    ((struct rtmsg *)nlmsg_data(nlmsg_hdr(msg)))->rtm_type = RTN_UNREACHABLE;
    nla_put_u32(msg, RTA_OIF, 1);
    assert_int_equal(rt_parse_proute(nlmsg_hdr(msg), &r, &proto), 1);
    assert_int_equal(r.oif, 0);
    nlmsg_free(msg);
}

/* neighbour messages: a destination of the wrong length is not read */
static void test_neigh(void **state)
{
    uint8_t a[16] = {198, 51, 100, 1};
    struct ndmsg ndm = {.ndm_family = AF_INET, .ndm_ifindex = 4, .ndm_state = NUD_FAILED};
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEIGH, 0);
    struct rt_nbr n;
    uint16_t st;
    (void)state;
    assert_int_equal(nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO), 0);
    nla_put(msg, NDA_DST, 4, a);
    assert_int_equal(rt_parse_neigh(nlmsg_hdr(msg), &n, &st), 1);
    assert_int_equal(n.ifindex, 4);
    assert_int_equal(st, NUD_FAILED);
    assert_memory_equal(n.addr, a, 4);
    nlmsg_free(msg);
    msg = nlmsg_alloc_simple(RTM_NEWNEIGH, 0);
    assert_int_equal(nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO), 0);
    nla_put(msg, NDA_DST, 16, a); /* IPv6-sized on IPv4: not ours to read */
    assert_int_equal(rt_parse_neigh(nlmsg_hdr(msg), &n, &st), 0);
    nlmsg_free(msg);
    msg = nlmsg_alloc_simple(RTM_NEWNEIGH, 0);
    assert_int_equal(nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO), 0);
    nla_put(msg, NDA_DST, 3, a); /* shorter than any address */
    assert_int_equal(rt_parse_neigh(nlmsg_hdr(msg), &n, &st), -EINVAL);
    nlmsg_free(msg);
    msg = nlmsg_alloc_simple(RTM_NEWNEIGH, 0);
    assert_int_equal(nlmsg_append(msg, &ndm, 4, NLMSG_ALIGNTO), 0); /* a cut header */
    assert_int_equal(rt_parse_neigh(nlmsg_hdr(msg), &n, &st), -EINVAL);
    nlmsg_free(msg);
}

static struct nl_msg *nh_msg(uint8_t family)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEXTHOP, 0);
    struct nhmsg h = {.nh_family = family, .nh_protocol = 116};
    assert_non_null(msg);
    assert_int_equal(nlmsg_append(msg, &h, sizeof(h), NLMSG_ALIGNTO), 0);
    return msg;
}

static int parse_nh(struct nl_msg *msg)
{
    struct rt_nh nh;
    int rc = rt_parse_nh(nlmsg_hdr(msg), &nh);
    nlmsg_free(msg);
    return rc;
}

static void test_nexthop(void **state)
{
    struct nexthop_grp g[2] = {{.id = 5}, {.id = 6}};
    uint16_t two = 2;
    uint8_t gw[4] = {198, 51, 100, 1};
    struct nl_msg *msg;
    (void)state;
    msg = nh_msg(AF_UNSPEC);
    nla_put_u32(msg, NHA_ID, 9);
    nla_put(msg, NHA_GROUP, sizeof(g), g);
    assert_int_equal(parse_nh(msg), 1);
    /* a group of one member and a half */
    msg = nh_msg(AF_UNSPEC);
    nla_put_u32(msg, NHA_ID, 9);
    nla_put(msg, NHA_GROUP, (int)sizeof(g[0]) + 4, g);
    assert_int_equal(parse_nh(msg), -EINVAL);
    msg = nh_msg(AF_INET);
    nla_put(msg, NHA_ID, 2, &two);
    assert_int_equal(parse_nh(msg), -EINVAL);
    msg = nh_msg(AF_INET);
    nla_put_u32(msg, NHA_ID, 9);
    nla_put(msg, NHA_OIF, 2, &two);
    assert_int_equal(parse_nh(msg), -EINVAL);
    /* an IPv4 gateway in a nexthop of no address family */
    msg = nh_msg(AF_UNSPEC);
    nla_put_u32(msg, NHA_ID, 9);
    nla_put(msg, NHA_GATEWAY, 4, gw);
    assert_int_equal(parse_nh(msg), -EINVAL);
}

static struct nl_msg *rule_msg(uint8_t family, uint8_t src_len)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWRULE, 0);
    struct fib_rule_hdr frh = {.family = family, .src_len = src_len, .action = FR_ACT_TO_TBL};
    assert_non_null(msg);
    assert_int_equal(nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO), 0);
    return msg;
}

static int parse_rule(struct nl_msg *msg)
{
    struct rt_rule r;
    uint8_t proto;
    int rc = rt_parse_rule(nlmsg_hdr(msg), &r, &proto);
    nlmsg_free(msg);
    return rc;
}

static void test_rule(void **state)
{
    uint8_t one = 1;
    uint16_t two = 2;
    uint8_t src[4] = {100, 64, 0, 0};
    struct nl_msg *msg;
    (void)state;
    msg = rule_msg(AF_INET, 16);
    nla_put_u32(msg, FRA_PRIORITY, 1160);
    nla_put(msg, FRA_SRC, 4, src);
    nla_put_u8(msg, FRA_PROTOCOL, 116);
    assert_int_equal(parse_rule(msg), 1);
    msg = rule_msg(AF_INET, 40);
    nla_put(msg, FRA_SRC, 4, src);
    assert_int_equal(parse_rule(msg), -EINVAL);
    msg = rule_msg(AF_INET6, 0);
    nla_put(msg, FRA_PRIORITY, 2, &two);
    assert_int_equal(parse_rule(msg), -EINVAL);
    msg = rule_msg(AF_INET, 0);
    nla_put(msg, FRA_FWMARK, 1, &one);
    assert_int_equal(parse_rule(msg), -EINVAL);
}

static void test_link(void **state)
{
    char name[IF_NAMESIZE], longname[40];
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = 3};
    int ifindex;
    unsigned flags;
    struct nl_msg *msg;
    (void)state;
    msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
    nla_put_string(msg, IFLA_IFNAME, "er1");
    assert_int_equal(rt_parse_link(nlmsg_hdr(msg), &ifindex, &flags, name), 1);
    assert_string_equal(name, "er1");
    nlmsg_free(msg);
    /* longer than any interface name: refused, not cut to a name that may exist */
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
    nla_put_string(msg, IFLA_IFNAME, longname);
    assert_int_equal(rt_parse_link(nlmsg_hdr(msg), &ifindex, &flags, name), -EINVAL);
    nlmsg_free(msg);
    /* not NUL-terminated */
    msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
    nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
    nla_put(msg, IFLA_IFNAME, 4, "er12");
    assert_int_equal(rt_parse_link(nlmsg_hdr(msg), &ifindex, &flags, name), -EINVAL);
    nlmsg_free(msg);
}

static int parse_addr(uint8_t family, uint8_t plen, int alen)
{
    uint8_t a[20] = {198, 51, 100, 2};
    struct ifaddrmsg ifa = {.ifa_family = family, .ifa_prefixlen = plen, .ifa_index = 2};
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWADDR, 0);
    struct rt_addr out;
    int rc;
    nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO);
    nla_put(msg, IFA_ADDRESS, alen, a);
    rc = rt_parse_addr(nlmsg_hdr(msg), &out);
    nlmsg_free(msg);
    return rc;
}

static void test_addr(void **state)
{
    (void)state;
    assert_int_equal(parse_addr(AF_INET, 30, 4), 1);
    assert_int_equal(parse_addr(AF_INET6, 64, 16), 1);
    /* a prefix length past the address would make the subnet check read
     * past it (rt_addr_in_subnet) */
    assert_int_equal(parse_addr(AF_INET, 33, 4), -EINVAL);
    assert_int_equal(parse_addr(AF_INET6, 129, 16), -EINVAL);
    assert_int_equal(parse_addr(AF_INET6, 255, 16), -EINVAL);
    /* an address attribute longer than any address */
    assert_int_equal(parse_addr(AF_INET6, 64, 20), -EINVAL);
}

/* ---- replies and notifications from another process ------------------------- */

/* a plain netlink socket of another "process": sends to a port of ours */
static void spoof(uint32_t to_port, uint16_t type, uint32_t seq, const void *payload, size_t len)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl dst = {.nl_family = AF_NETLINK, .nl_pid = to_port};
    unsigned char buf[256] = {0};
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    assert_true(fd >= 0);
    assert_true(len + NLMSG_HDRLEN <= sizeof(buf));
    h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
    h->nlmsg_type = type;
    h->nlmsg_seq = seq;
    memcpy(NLMSG_DATA(h), payload, len);
    assert_int_equal(sendto(fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&dst, sizeof(dst)),
                     (ssize_t)h->nlmsg_len);
    close(fd);
}

static int count_link(void *ctx, struct nlmsghdr *hdr)
{
    (void)hdr;
    (*(int *)ctx)++;
    return 0;
}

/* A forged "end of dump" queued before the kernel's answer must not end a
 * dump of the links (before: the dump saw no link at all). */
static void test_dump_ignores_other_senders(void **state)
{
    struct rt_nl nl;
    char err[256];
    int done = 0, links = 0;
    (void)state;
    assert_int_equal(rt_nl_open(&nl, err, sizeof(err)), 0);
    spoof(nl.portid, NLMSG_DONE, nl.seq, &done, sizeof(done));
    assert_int_equal(rt_nl_dump(&nl, rt_msg_link_dump(), count_link, &links), 0);
    assert_true(links >= 1); /* lo, at least */
    rt_nl_close(&nl);
}

/* A forged link notification sent to the monitor socket is not taken for
 * the kernel's (before: it was processed, and a link named by the sender
 * appeared in the mirror). */
static void test_monitor_ignores_other_senders(void **state)
{
    struct routes_engine *eng = calloc(1, sizeof(*eng));
    struct {
        struct ifinfomsg ifi;
        struct nlattr nla;
        char name[8];
    } __attribute__((packed)) m = {
        .ifi = {.ifi_family = AF_UNSPEC, .ifi_index = 4242, .ifi_flags = 1},
        .nla = {.nla_len = NLA_HDRLEN + 6, .nla_type = IFLA_IFNAME},
        .name = "forged",
    };
    char err[256];
    (void)state;
    assert_non_null(eng);
    routes_options_init(&eng->opts);
    rt_mirror_init(&eng->m);
    eng->nl.portid = 1; /* no request socket: its filter matches nothing */
    assert_int_equal(rt_monitor_open(eng, err, sizeof(err)), 0);
    spoof(nl_socket_get_local_port(eng->mon), RTM_NEWLINK, 0, &m, sizeof(m));
    rt_monitor_drain(eng);
    assert_null(rt_mirror_link_by_name(&eng->m, "forged"));
    rt_monitor_close(eng);
    rt_mirror_free(&eng->m);
    free(eng->logq);
    free(eng->evq);
    free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_ok),
        cmocka_unit_test(test_route_plen_past_address),
        cmocka_unit_test(test_route_short_attributes),
        cmocka_unit_test(test_nexthop),
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_probe_route),
        cmocka_unit_test(test_neigh),
        cmocka_unit_test(test_link),
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_dump_ignores_other_senders),
        cmocka_unit_test(test_monitor_ignores_other_senders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
