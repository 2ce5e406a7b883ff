/*
 * sm_bfd_check: the checks of BFD sessions that span paths or look at the
 * host. Two sessions the peer cannot tell apart are refused: the same
 * remote, the same multihop flag, (single hop) the same dev, and the same
 * local address, where a session without `local` may use any of them (its
 * packets are told apart only by the address they were sent to). A remote
 * that is one of this host's own addresses is refused: the session would
 * talk to itself and come up with nothing on the far side.
 *
 * Threading: the loading thread (see site_model.h).
 */
#include "sm_internal.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct bin_addr {
    int af;
    unsigned char b[16];
};

static bool parse(const char *s, struct bin_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (!s)
        return false;
    a->af = strchr(s, ':') ? AF_INET6 : AF_INET;
    return inet_pton(a->af, s, a->b) == 1;
}

static bool addr_eq(const struct bin_addr *x, const struct bin_addr *y)
{
    return x->af == y->af && memcmp(x->b, y->b, sizeof(x->b)) == 0;
}

/* is a one of the addresses of this host (its network namespace)? */
static bool host_has(const struct bin_addr *a)
{
    struct ifaddrs *all = NULL;
    bool found = false;

    if (getifaddrs(&all) != 0)
        return false; /* nothing known: the session's own loop checks remain */
    for (struct ifaddrs *i = all; i && !found; i = i->ifa_next) {
        struct bin_addr h = {0};
        if (!i->ifa_addr || i->ifa_addr->sa_family != a->af)
            continue;
        h.af = a->af;
        if (a->af == AF_INET)
            memcpy(h.b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
        else
            memcpy(h.b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
        found = addr_eq(a, &h);
    }
    freeifaddrs(all);
    return found;
}

int sm_model_check_host(const struct sm_model *m, const char *file, char *err, size_t errlen)
{
    const char *ns = sm_model_section(m);

    for (size_t i = 0; i < m->n_sites; i++)
        for (size_t j = 0; j < m->sites[i].n_paths; j++) {
            const struct sm_path *p = &m->sites[i].paths[j];
            struct bin_addr r;
            if (!p->bfd.enabled || !parse(p->bfd.remote, &r) || !host_has(&r))
                continue;
            snprintf(err, errlen,
                     "%s: %s.%s.paths.%s.bfd.remote: %s is an address of this host (expected "
                     "the BFD peer's address on the far side; are remote and local swapped?)",
                     file, ns, m->sites[i].name, p->name, p->bfd.remote);
            return -1;
        }
    return 0;
}

/* could the peer's packets for a be taken for b's? */
static bool ambiguous(const struct sm_path *a, const struct sm_path *b)
{
    struct bin_addr ra, rb, la, lb;

    if (!a->bfd.enabled || !b->bfd.enabled || a->bfd.multihop != b->bfd.multihop)
        return false;
    if (!parse(a->bfd.remote, &ra) || !parse(b->bfd.remote, &rb) || !addr_eq(&ra, &rb))
        return false;
    if (!a->bfd.multihop && (!a->dev || !b->dev || strcmp(a->dev, b->dev) != 0))
        return false;
    if (!a->bfd.local || !b->bfd.local)
        return true;
    return parse(a->bfd.local, &la) && parse(b->bfd.local, &lb) && addr_eq(&la, &lb);
}

static bool check_pair(sm_ctx_t *c, const struct sm_site *sa, const struct sm_path *a,
                       const struct sm_site *sb, const struct sm_path *b)
{
    if (!ambiguous(a, b))
        return true;
    return sm_fail(c,
                   "%s.%s.paths.%s.bfd and %s.%s.paths.%s.bfd: both are %s BFD sessions to %s "
                   "from %s%s%s (the peer cannot tell them apart; expected a different `local` "
                   "address on each path)",
                   c->ns, sa->name, a->name, c->ns, sb->name, b->name,
                   a->bfd.multihop ? "multihop" : "single hop", a->bfd.remote,
                   a->bfd.local && b->bfd.local ? a->bfd.local : "the same or any local address",
                   a->bfd.multihop ? "" : " on ", a->bfd.multihop ? "" : a->dev);
}

bool sm_bfd_check_sessions(sm_ctx_t *c)
{
    const struct sm_model *m = c->m;

    for (size_t i = 0; i < m->n_sites; i++)
        for (size_t j = 0; j < m->sites[i].n_paths; j++)
            for (size_t k = i; k < m->n_sites; k++)
                for (size_t l = (k == i ? j + 1 : 0); l < m->sites[k].n_paths; l++)
                    if (!check_pair(c, &m->sites[i], &m->sites[i].paths[j], &m->sites[k],
                                    &m->sites[k].paths[l]))
                        return false;
    return true;
}
