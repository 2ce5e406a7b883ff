/* dataplane: see dataplane.h. */
#include "dataplane.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/xfrmi.h>

#define COMMON_PLUGINS                                                                             \
    "random nonce openssl pem pkcs1 x509 revocation constraints pubkey kdf curve25519"
#define IKE_PLUGINS "socket-default vici updown"
#define KEY         "tunneld.xfrm.interfaces"

bool dataplane_parse(const char *text, dataplane_kind_t *kind)
{
    if (text && strcmp(text, "xfrm") == 0)
        *kind = DATAPLANE_XFRM;
    else if (text && strcmp(text, "libipsec") == 0)
        *kind = DATAPLANE_LIBIPSEC;
    else
        return false;
    return true;
}

const char *dataplane_name(dataplane_kind_t kind)
{
    return kind == DATAPLANE_LIBIPSEC ? "libipsec" : "xfrm";
}

const char *dataplane_default_plugins(dataplane_kind_t kind)
{
    /* kernel-libipsec must come before kernel-netlink */
    return kind == DATAPLANE_LIBIPSEC ? COMMON_PLUGINS
               " kernel-libipsec kernel-netlink " IKE_PLUGINS
                                      : COMMON_PLUGINS " kernel-netlink " IKE_PLUGINS;
}

/* the kernel's answer to one request: errno (0: done) and its extended ACK */
typedef struct {
    bool done;
    int error;
    char msg[256];
} ack_t;

/* copies NLMSGERR_ATTR_MSG out of an error message's TLVs, if any */
static void ack_message(const struct nlmsgerr *e, ack_t *a)
{
    const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
    size_t total = h->nlmsg_len - NLMSG_HDRLEN, off = sizeof(*e);

    if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || e->msg.nlmsg_len < NLMSG_HDRLEN)
        return;
    if (!(h->nlmsg_flags & NLM_F_CAPPED))
        off += e->msg.nlmsg_len - NLMSG_HDRLEN;
    for (off = NLMSG_ALIGN(off); off + NLA_HDRLEN <= total;) {
        const struct nlattr *at = (const struct nlattr *)((const char *)e + off);
        if (at->nla_len < NLA_HDRLEN || off + at->nla_len > total)
            return;
        if ((at->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
            size_t len = at->nla_len - NLA_HDRLEN;
            const char *s = (const char *)at + NLA_HDRLEN;
            len = strnlen(s, len);
            if (len >= sizeof(a->msg))
                len = sizeof(a->msg) - 1; /* a diagnostic, not a name */
            memcpy(a->msg, s, len);
            a->msg[len] = '\0';
            return;
        }
        off += NLA_ALIGN(at->nla_len);
    }
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
    ack_t *a = arg;

    a->done = true;
    a->error = e->error < 0 ? -e->error : e->error;
    ack_message(e, a);
    return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
    ((ack_t *)arg)->done = true;
    return NL_STOP;
}

/* RTM_NEWLINK for l; 0 or the kernel's errno, its message in a->msg */
static int add_link(struct nl_sock *sk, struct rtnl_link *l, ack_t *a)
{
    struct nl_msg *msg = NULL;
    int one = 1, rc;

    memset(a, 0, sizeof(*a));
    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    rc = rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg);
    if (rc < 0)
        return ENOMEM;
    nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, on_error, a);
    nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, on_ack, a);
    rc = nl_send_auto(sk, msg);
    nlmsg_free(msg);
    for (int i = 0; rc >= 0 && !a->done && i < 16; i++)
        rc = nl_recvmsgs_default(sk);
    if (!a->done) {
        snprintf(a->msg, sizeof(a->msg), "no answer from the kernel (%s)", nl_geterror(rc));
        return EIO;
    }
    return a->error;
}

static void explain(const xfrm_if_t *x, int error, const ack_t *a, char *err, size_t errlen)
{
    /* the kernel's rtnl_newlink says so when it has no such link kind */
    bool unknown_kind = error == EOPNOTSUPP && strstr(a->msg, "Unknown device type");

    snprintf(err, errlen,
             "%s.%s: cannot create XFRM interface %s (if_id %u): the kernel says: %s%s%s%s%s", KEY,
             x->name, x->name, x->if_id, strerror(error), a->msg[0] ? " (" : "", a->msg,
             a->msg[0] ? ")" : "",
             unknown_kind ? ": this kernel has no XFRM interfaces (CONFIG_XFRM_INTERFACE); use "
                            "dataplane = libipsec on this host"
                          : "");
}

static void remove_link(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = rtnl_link_alloc();

    if (!l)
        return;
    rtnl_link_set_name(l, name);
    rtnl_link_delete(sk, l);
    rtnl_link_put(l);
}

static struct nl_sock *open_route(struct nl_cache **cache, char *err, size_t errlen)
{
    struct nl_sock *sk = nl_socket_alloc();
    int rc = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;

    if (rc >= 0)
        rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, cache);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot read the links over rtnetlink: %s", KEY, nl_geterror(rc));
        nl_socket_free(sk);
        return NULL;
    }
    return sk;
}

/* 1: a fitting interface exists; 0: none of that name; -1: refused (err set) */
static int existing(struct nl_cache *cache, const xfrm_if_t *x, char *err, size_t errlen)
{
    struct rtnl_link *have = rtnl_link_get_by_name(cache, x->name);
    uint32_t have_id = 0;
    int rc = 1;

    if (!have) {
        if (x->dev[0] && !rtnl_link_name2i(cache, x->dev)) {
            snprintf(err, errlen, "%s.%s.dev: the underlying device %s does not exist", KEY,
                     x->name, x->dev);
            return -1;
        }
        return 0;
    }
    if (!rtnl_link_is_xfrmi(have) || rtnl_link_xfrmi_get_if_id(have, &have_id) < 0 ||
        have_id != x->if_id) {
        snprintf(err, errlen,
                 "%s.%s: a link named %s exists and is not an XFRM interface with if_id %u: "
                 "not touched",
                 KEY, x->name, x->name, x->if_id);
        rc = -1;
    }
    rtnl_link_put(have);
    return rc;
}

bool dataplane_xfrm_check(const xfrm_if_t *ifs, size_t n, char *err, size_t errlen)
{
    struct nl_cache *cache = NULL;
    struct nl_sock *sk;
    bool ok = true;

    if (!n)
        return true;
    sk = open_route(&cache, err, errlen);
    if (!sk)
        return false;
    for (size_t i = 0; ok && i < n; i++)
        ok = existing(cache, &ifs[i], err, errlen) >= 0;
    nl_cache_free(cache);
    nl_socket_free(sk);
    return ok;
}

static bool create_one(struct nl_sock *sk, struct nl_cache *cache, const xfrm_if_t *x, char *err,
                       size_t errlen)
{
    struct rtnl_link *l = rtnl_link_xfrmi_alloc();
    ack_t a;
    int error;

    if (!l) {
        snprintf(err, errlen, "%s.%s: out of memory", KEY, x->name);
        return false;
    }
    rtnl_link_set_name(l, x->name);
    rtnl_link_xfrmi_set_if_id(l, x->if_id);
    if (x->dev[0])
        rtnl_link_xfrmi_set_link(l, (uint32_t)rtnl_link_name2i(cache, x->dev));
    rtnl_link_set_flags(l, IFF_UP);
    error = add_link(sk, l, &a);
    rtnl_link_put(l);
    if (error)
        explain(x, error, &a, err, errlen);
    return !error;
}

bool dataplane_xfrm_setup(const xfrm_if_t *ifs, size_t n, bool *made, char *err, size_t errlen)
{
    struct nl_cache *cache = NULL;
    struct nl_sock *sk;
    bool *created = calloc(n ? n : 1, sizeof(*created));
    bool ok = created != NULL;

    if (!ok) {
        snprintf(err, errlen, "%s: out of memory", KEY);
        return false;
    }
    sk = n ? open_route(&cache, err, errlen) : NULL;
    ok = !n || sk;
    for (size_t i = 0; ok && i < n; i++) {
        int have = existing(cache, &ifs[i], err, errlen);
        ok = have >= 0 && (have || create_one(sk, cache, &ifs[i], err, errlen));
        created[i] = ok && !have;
    }
    for (size_t i = 0; !ok && i < n; i++)
        if (created[i])
            remove_link(sk, ifs[i].name);
    if (ok && made)
        memcpy(made, created, n * sizeof(*made));
    free(created);
    if (cache)
        nl_cache_free(cache);
    nl_socket_free(sk);
    return ok;
}

void dataplane_xfrm_remove(const xfrm_if_t *ifs, size_t n, const bool *made)
{
    struct nl_sock *sk = nl_socket_alloc();

    if (sk && nl_connect(sk, NETLINK_ROUTE) >= 0)
        for (size_t i = 0; i < n; i++)
            if (made[i])
                remove_link(sk, ifs[i].name);
    nl_socket_free(sk);
}
