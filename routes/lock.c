/*
 * lock.c - one engine per routing table and per protocol number in a
 * network namespace. Two engines with the same table (or protocol) would
 * delete each other's routes and repair them for ever; the second one
 * must refuse to open instead.
 *
 * The lock is an abstract unix socket name per table and per protocol
 * ("tunneld-routes/table/1160", "tunneld-routes/protocol/116"): abstract
 * names belong to the network namespace, binding one is exclusive, and the
 * kernel releases it when its holder exits, however it ends. Beside each
 * the engine binds a name made of its owner (routes_options.owner, e.g.
 * tunneld's settings file), so that routes_precheck() can tell the engine
 * of the same owner (tunneld -n while that tunneld runs) from another one.
 *
 * Threading: routes_open() / routes_close() / routes_precheck() only.
 */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define RT_LOCK_PREFIX "tunneld-routes"

/* FNV-1a: a short, fixed-size name for any owner string */
static uint64_t owner_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* what: "table" or "protocol"; owner NULL for the exclusive name */
static void lock_name(char *buf, size_t len, const char *what, uint32_t id, const char *owner)
{
    if (owner)
        snprintf(buf, len, RT_LOCK_PREFIX "/%s/%u/owner/%016llx", what, id,
                 (unsigned long long)owner_hash(owner));
    else
        snprintf(buf, len, RT_LOCK_PREFIX "/%s/%u", what, id);
}

/* the abstract address of name; its length in *len (0: too long) */
static struct sockaddr_un abstract_addr(const char *name, socklen_t *len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(name);

    *len = 0;
    if (n + 1 > sizeof(sa.sun_path))
        return sa;
    memcpy(sa.sun_path + 1, name, n); /* sun_path[0] = '\0': abstract */
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    return sa;
}

/* binds the abstract name and listens on it (so that another process can
 * learn who holds it, see holder()): the fd, or a negative errno
 * (-EADDRINUSE: held) */
static int bind_abstract(const char *name)
{
    socklen_t len;
    struct sockaddr_un sa = abstract_addr(name, &len);
    int fd, err;

    if (!len)
        return -ENAMETOOLONG;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* backlog 1: nothing is ever accepted; a full queue only hides the
     * holder's pid from later checks */
    if (bind(fd, (struct sockaddr *)&sa, len) == 0 && listen(fd, 1) == 0)
        return fd;
    err = -errno;
    close(fd);
    return err;
}

/* " (held by pid N, uid U)" of the process listening on name, or "" */
static void holder(const char *name, char *buf, size_t len)
{
    socklen_t alen, clen = sizeof(struct ucred);
    struct sockaddr_un sa = abstract_addr(name, &alen);
    struct ucred cred;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    buf[0] = '\0';
    if (fd < 0)
        return;
    if (alen && connect(fd, (struct sockaddr *)&sa, alen) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && cred.pid > 0)
        snprintf(buf, len, " (held by pid %d, uid %u)", (int)cred.pid, (unsigned)cred.uid);
    close(fd);
}

static void refusal(char *err, size_t errlen, const char *what, uint32_t id, int rc)
{
    char name[160], who[64];

    lock_name(name, sizeof(name), what, id, NULL);
    holder(name, who, sizeof(who));
    if (rc == -EADDRINUSE)
        snprintf(err, errlen,
                 "%s %u is already held by another route engine in this network namespace%s "
                 "(another tunneld: it would delete this one's routes and both would repair "
                 "them for ever; expected one tunneld per %s, choose another one)",
                 what, id, who, what);
    else
        snprintf(err, errlen, "%s %u: cannot take the lock of the %s (abstract unix socket): %s",
                 what, id, what, rt_strerror(rc));
}

static int take_one(int fds[2], const char *what, uint32_t id, const char *owner, char *err,
                    size_t errlen)
{
    char name[160];

    lock_name(name, sizeof(name), what, id, NULL);
    fds[0] = bind_abstract(name);
    if (fds[0] < 0) {
        refusal(err, errlen, what, id, fds[0]);
        return -EBUSY;
    }
    if (!owner)
        return 0;
    lock_name(name, sizeof(name), what, id, owner);
    fds[1] = bind_abstract(name);
    if (fds[1] < 0) {
        refusal(err, errlen, what, id, fds[1]);
        return -EBUSY;
    }
    return 0;
}

int rt_lock_take(struct rt_lock *l, const struct routes_options *o, char *err, size_t errlen)
{
    for (int i = 0; i < 4; i++)
        l->fd[i] = -1;
    if (take_one(&l->fd[0], "table", o->table, o->owner, err, errlen) < 0 ||
        take_one(&l->fd[2], "protocol", o->protocol, o->owner, err, errlen) < 0) {
        rt_lock_release(l);
        return -EBUSY;
    }
    return 0;
}

void rt_lock_release(struct rt_lock *l)
{
    for (int i = 0; i < 4; i++) {
        if (l->fd[i] >= 0)
            close(l->fd[i]);
        l->fd[i] = -1;
    }
}

/* free, or held by an engine of the same owner: 0; else -EBUSY with err */
static int check_one(const char *what, uint32_t id, const char *owner, char *err, size_t errlen)
{
    char name[160];
    int fd;

    lock_name(name, sizeof(name), what, id, NULL);
    fd = bind_abstract(name);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (fd == -EADDRINUSE && owner) {
        /* the name of our owner is taken: the holder is the engine of the
         * same owner (tunneld -n while that tunneld runs) */
        lock_name(name, sizeof(name), what, id, owner);
        fd = bind_abstract(name);
        if (fd == -EADDRINUSE)
            return 0;
        if (fd >= 0)
            close(fd);
    }
    refusal(err, errlen, what, id, fd >= 0 ? -EADDRINUSE : fd);
    return -EBUSY;
}

int rt_lock_check(const struct routes_options *o, char *err, size_t errlen)
{
    if (check_one("table", o->table, o->owner, err, errlen) < 0 ||
        check_one("protocol", o->protocol, o->owner, err, errlen) < 0)
        return -EBUSY;
    return 0;
}
