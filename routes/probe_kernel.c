/*
 * probe_kernel.c - the kernel side of probe pinning: the routes of the
 * probe tables as messages (a target via the path's gateway or device, the
 * unreachable default), their parsing, and the mirror of the owned ones
 * (eng->pk): adopted at open, re-read after a link change (IPv4 drops the
 * routes of a link going down without a notification), followed through
 * notifications (tampering schedules a repair).
 *
 * Threading: runs with the engine mutex held; message building and parsing
 * are pure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "internal.h"

bool rt_probe_table(const struct routes_options *o, uint32_t table)
{
    return table >= o->probe_table_base &&
           (uint64_t)table < (uint64_t)o->probe_table_base + ROUTES_MAX_PROBE_PATHS;
}

int rt_proute_cmp(const void *pa, const void *pb)
{
    const struct rt_proute *a = pa, *b = pb;
    int c;
    if (a->table != b->table)
        return a->table < b->table ? -1 : 1;
    c = rt_prefix_cmp(&a->dst, &b->dst);
    if (c)
        return c;
    return a->metric < b->metric ? -1 : a->metric > b->metric;
}

bool rt_proute_same_key(const struct rt_proute *a, const struct rt_proute *b)
{
    return rt_proute_cmp(a, b) == 0;
}

bool rt_proute_same(const struct rt_proute *a, const struct rt_proute *b)
{
    return rt_proute_same_key(a, b) && a->type == b->type && a->has_gw == b->has_gw &&
           a->oif == b->oif && (!a->has_gw || !memcmp(a->gw, b->gw, 16));
}

void rt_proute_describe(const struct rt_proute *r, const struct rt_mirror *m, char *buf, size_t len)
{
    const struct rt_link *l = rt_mirror_link_by_index(m, (int)r->oif);
    char dst[64], gw[64] = "";
    rt_prefix_format(&r->dst, dst, sizeof(dst));
    if (r->type != RTN_UNICAST) {
        snprintf(buf, len, "unreachable %s table %u metric %u", dst, r->table, r->metric);
        return;
    }
    if (r->has_gw)
        rt_addr_format(r->dst.family, r->gw, gw, sizeof(gw));
    snprintf(buf, len, "%s%s%s dev %s table %u metric %u", dst, r->has_gw ? " via " : "", gw,
             l ? l->name : "?", r->table, r->metric);
}

struct nl_msg *rt_msg_proute(int type, const struct rt_proute *r, uint8_t protocol, int flags)
{
    struct nl_msg *msg = nlmsg_alloc_simple(type, flags);
    size_t alen = rt_addr_len(r->dst.family);
    struct rtmsg rtm = {
        .rtm_family = r->dst.family,
        .rtm_dst_len = r->dst.plen,
        .rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC,
        .rtm_protocol = protocol,
        .rtm_scope = type == RTM_DELROUTE     ? RT_SCOPE_NOWHERE
                     : r->type != RTN_UNICAST ? RT_SCOPE_UNIVERSE
                     : r->has_gw              ? RT_SCOPE_UNIVERSE
                                              : RT_SCOPE_LINK,
        .rtm_type = r->type,
    };
    if (!msg)
        return NULL;
    if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
        (r->dst.plen && nla_put(msg, RTA_DST, (int)alen, r->dst.addr) < 0) ||
        nla_put_u32(msg, RTA_TABLE, r->table) < 0 || nla_put_u32(msg, RTA_PRIORITY, r->metric) < 0)
        goto fail;
    if (type == RTM_NEWROUTE && r->type == RTN_UNICAST &&
        (nla_put_u32(msg, RTA_OIF, r->oif) < 0 ||
         (r->has_gw && nla_put(msg, RTA_GATEWAY, (int)alen, r->gw) < 0)))
        goto fail;
    return msg;
fail:
    nlmsg_free(msg);
    return NULL;
}

static struct nla_policy proute_policy[RTA_MAX + 1] = {
    [RTA_OIF] = {.type = NLA_U32, .minlen = 4, .maxlen = 4},
    [RTA_GATEWAY] = {.type = NLA_UNSPEC, .minlen = 4, .maxlen = 16},
};

int rt_parse_proute(struct nlmsghdr *hdr, struct rt_proute *r, uint8_t *protocol)
{
    struct nlattr *tb[RTA_MAX + 1];
    struct rt_route_msg m;
    int rc = rt_parse_route(hdr, &m);

    if (rc != 1)
        return rc;
    if (nlmsg_parse(hdr, sizeof(struct rtmsg), tb, RTA_MAX, proute_policy) < 0)
        return -EINVAL;
    memset(r, 0, sizeof(*r));
    r->table = m.table;
    r->dst = m.dst;
    r->metric = m.has_priority ? m.priority : 0;
    r->type = m.type;
    *protocol = m.protocol;
    if (r->type != RTN_UNICAST)
        return 1; /* (IPv6 shows its rejects on lo) */
    r->oif = tb[RTA_OIF] ? nla_get_u32(tb[RTA_OIF]) : 0;
    if (tb[RTA_GATEWAY]) {
        if ((size_t)nla_len(tb[RTA_GATEWAY]) != rt_addr_len(r->dst.family))
            return -EINVAL;
        r->has_gw = true;
        memcpy(r->gw, nla_data(tb[RTA_GATEWAY]), rt_addr_len(r->dst.family));
    }
    return 1;
}

/* ---- the mirror of owned probe routes --------------------------------------- */

static ssize_t pk_find(const struct routes_engine *eng, const struct rt_proute *r)
{
    for (size_t i = 0; i < eng->n_pk; i++)
        if (rt_proute_same_key(&eng->pk[i], r))
            return (ssize_t)i;
    return -1;
}

/* Puts r (replacing the route of the same key); 0 or -ENOMEM. */
static int pk_put(struct routes_engine *eng, const struct rt_proute *r)
{
    ssize_t i = pk_find(eng, r);
    if (i >= 0) {
        eng->pk[i] = *r;
        return 0;
    }
    if (eng->n_pk == eng->cap_pk) {
        size_t cap = eng->cap_pk ? eng->cap_pk * 2 : 16;
        struct rt_proute *v = realloc(eng->pk, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        eng->pk = v;
        eng->cap_pk = cap;
    }
    eng->pk[eng->n_pk++] = *r;
    return 0;
}

static bool pk_del(struct routes_engine *eng, const struct rt_proute *r)
{
    ssize_t i = pk_find(eng, r);
    if (i < 0)
        return false;
    eng->pk[i] = eng->pk[--eng->n_pk];
    return true;
}

int rt_probe_adopt(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    struct rt_proute r;
    uint8_t proto;
    if (rt_parse_proute(hdr, &r, &proto) != 1 || proto != eng->opts.protocol ||
        !rt_probe_table(&eng->opts, r.table))
        return 0;
    return pk_put(eng, &r);
}

/* ---- dumps ------------------------------------------------------------------ */

struct pdump {
    struct routes_engine *eng;
    uint32_t table;
    size_t foreign;
    char first[160];
};

static int on_table_route(void *ctx, struct nlmsghdr *hdr)
{
    struct pdump *d = ctx;
    struct rt_proute r;
    uint8_t proto;
    if (rt_parse_proute(hdr, &r, &proto) != 1 || r.table != d->table)
        return 0;
    if (proto == d->eng->opts.protocol)
        return pk_put(d->eng, &r);
    if (!d->foreign++) {
        char desc[128];
        rt_proute_describe(&r, &d->eng->m, desc, sizeof(desc));
        snprintf(d->first, sizeof(d->first), "%s proto %u", desc, proto);
    }
    return 0;
}

/* One probe table, both families, into the mirror (foreign ones counted). */
static int dump_table(struct routes_engine *eng, struct pdump *d)
{
    for (size_t i = 0; i < eng->n_pk;) {
        if (eng->pk[i].table == d->table)
            eng->pk[i] = eng->pk[--eng->n_pk];
        else
            i++;
    }
    for (int f = 0; f < RT_NFAM; f++) {
        int rc = -EINTR;
        for (int k = 0; k < 5 && rc == -EINTR; k++) {
            struct nl_msg *req = rt_msg_route_dump(rt_fam_af(f), d->table, 0);
            if (!req)
                return -ENOMEM;
            rc = rt_nl_dump(&eng->nl, req, on_table_route, d);
        }
        if (rc < 0 && rc != -ENOENT)
            return rc;
    }
    return 0;
}

static bool slot_used(const struct routes_engine *eng, uint32_t slot)
{
    for (size_t s = 0; s < eng->n_sites; s++)
        for (size_t p = 0; p < eng->sites[s].spec.n_paths; p++)
            if (eng->sites[s].pslot[p] == slot + 1)
                return true;
    return false;
}

int rt_probe_sync(struct routes_engine *eng)
{
    for (uint32_t k = 0; k < ROUTES_MAX_PROBE_PATHS; k++) {
        struct pdump d = {.eng = eng, .table = eng->opts.probe_table_base + k};
        bool known = false;
        int rc;
        for (size_t i = 0; i < eng->n_pk && !known; i++)
            known = eng->pk[i].table == d.table;
        if (!known && !slot_used(eng, k))
            continue;
        rc = dump_table(eng, &d);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int rt_probe_conflicts(struct routes_engine *eng, char *err, size_t errlen)
{
    for (uint32_t k = 0; k < ROUTES_MAX_PROBE_PATHS; k++) {
        struct pdump d = {.eng = eng, .table = eng->opts.probe_table_base + k};
        int rc = dump_table(eng, &d);
        if (rc < 0) {
            snprintf(err, errlen, "cannot dump probe table %u: %s", d.table, rt_strerror(rc));
            return rc;
        }
        if (d.foreign) {
            snprintf(err, errlen,
                     "probe table %u (probe_table_base %u + %u) is already used by something "
                     "else: %zu route(s) not made by tunneld, e.g. %s (expected tables %u..%u "
                     "for tunneld's probes alone; choose another probe_table_base)",
                     d.table, eng->opts.probe_table_base, k, d.foreign, d.first,
                     eng->opts.probe_table_base,
                     eng->opts.probe_table_base + ROUTES_MAX_PROBE_PATHS - 1);
            return -EEXIST;
        }
    }
    return 0;
}

/* ---- notifications ------------------------------------------------------------ */

void rt_probe_on_route(struct routes_engine *eng, struct nlmsghdr *hdr)
{
    struct rt_proute r;
    char desc[160];
    uint8_t proto;
    ssize_t i;

    if (rt_parse_proute(hdr, &r, &proto) != 1)
        return;
    rt_proute_describe(&r, &eng->m, desc, sizeof(desc));
    if (proto != eng->opts.protocol) {
        /* someone else's route in a probe table: a repair sees whether
         * it takes one of ours */
        if (hdr->nlmsg_type == RTM_NEWROUTE && eng->tamper_logs++ < RT_TAMPER_LOGS)
            rt_log(eng, ROUTES_LOG_WARN,
                   "route %s proto %u from netlink port %u is in a probe table of tunneld", desc,
                   proto, hdr->nlmsg_pid);
        if (hdr->nlmsg_type == RTM_NEWROUTE || eng->repair_failures)
            rt_schedule_repair(eng, eng->opts.repair_delay_ms);
        return;
    }
    i = pk_find(eng, &r);
    if (hdr->nlmsg_type == RTM_DELROUTE) {
        if (!pk_del(eng, &r))
            return;
    } else {
        if (i >= 0 && rt_proute_same(&eng->pk[i], &r))
            return;
        if (pk_put(eng, &r) < 0)
            eng->probe_resync = true;
    }
    if (eng->tamper_logs++ < RT_TAMPER_LOGS)
        rt_log(eng, hdr->nlmsg_pid ? ROUTES_LOG_WARN : ROUTES_LOG_INFO,
               "owned probe route %s was %s by %s%u", desc,
               hdr->nlmsg_type == RTM_DELROUTE ? "deleted" : "changed",
               hdr->nlmsg_pid ? "netlink port " : "the kernel, port ", hdr->nlmsg_pid);
    rt_schedule_repair(eng, eng->opts.repair_delay_ms);
}
