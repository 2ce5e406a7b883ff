/* dataplane: see dataplane.h. */
#include "dataplane.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <net/if.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/xfrmi.h>

#define COMMON_PLUGINS                                                                             \
    "random nonce openssl pem pkcs1 x509 revocation constraints pubkey kdf curve25519"
#define IKE_PLUGINS "socket-default vici updown"

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

static void explain(int nlerr, const char *name, uint32_t if_id, char *err, size_t errlen)
{
    int e = nlerr < 0 ? -nlerr : nlerr;
    /* the kernel answers EOPNOTSUPP (libnl: NLE_OPNOTSUPP) for an unknown link kind */
    if (e == NLE_OPNOTSUPP || e == NLE_NOATTR || e == NLE_INVAL)
        snprintf(err, errlen,
                 "XFRM interface %s (if_id %u): the kernel cannot create it (%s): it lacks "
                 "XFRM interfaces (CONFIG_XFRM_INTERFACE); use dataplane = libipsec on "
                 "this host",
                 name, if_id, nl_geterror(nlerr));
    else
        snprintf(err, errlen, "XFRM interface %s (if_id %u): %s", name, if_id, nl_geterror(nlerr));
}

static void remove_links(struct nl_sock *sk, const xfrm_if_t *ifs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct rtnl_link *l = rtnl_link_alloc();
        rtnl_link_set_name(l, ifs[i].name);
        rtnl_link_delete(sk, l);
        rtnl_link_put(l);
    }
}

bool dataplane_xfrm_setup(const xfrm_if_t *ifs, size_t n, char *err, size_t errlen)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct nl_cache *cache = NULL;
    size_t created = 0;
    bool ok = true;
    int rc;

    if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 ||
        rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0) {
        snprintf(err, errlen, "XFRM interfaces: cannot open rtnetlink");
        nl_socket_free(sk);
        return false;
    }
    /* made in order; on failure the ones made here are removed again */
    xfrm_if_t made[64];
    for (size_t i = 0; ok && i < n; i++) {
        const xfrm_if_t *x = &ifs[i];
        struct rtnl_link *have = rtnl_link_get_by_name(cache, x->name);
        if (have) {
            uint32_t have_id = 0;
            if (!rtnl_link_is_xfrmi(have) || rtnl_link_xfrmi_get_if_id(have, &have_id) < 0 ||
                have_id != x->if_id) {
                snprintf(err, errlen,
                         "XFRM interface %s (if_id %u): a link of that name exists and is not "
                         "an XFRM interface with if_id %u",
                         x->name, x->if_id, x->if_id);
                ok = false;
            }
            rtnl_link_put(have);
            continue;
        }
        struct rtnl_link *l = rtnl_link_xfrmi_alloc();
        rtnl_link_set_name(l, x->name);
        rtnl_link_xfrmi_set_if_id(l, x->if_id);
        if (x->dev[0]) {
            int idx = rtnl_link_name2i(cache, x->dev);
            if (!idx) {
                snprintf(err, errlen, "XFRM interface %s: underlying device %s does not exist",
                         x->name, x->dev);
                ok = false;
                rtnl_link_put(l);
                continue;
            }
            rtnl_link_xfrmi_set_link(l, (uint32_t)idx);
        }
        rtnl_link_set_flags(l, IFF_UP);
        rc = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
        rtnl_link_put(l);
        if (rc < 0) {
            explain(rc, x->name, x->if_id, err, errlen);
            ok = false;
        } else if (created < sizeof(made) / sizeof(made[0])) {
            made[created++] = *x;
        }
    }
    if (!ok)
        remove_links(sk, made, created);
    nl_cache_free(cache);
    nl_socket_free(sk);
    return ok;
}
