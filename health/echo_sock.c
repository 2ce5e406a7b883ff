/*
 * echo_sock: probe sockets pinned to their path (echo_sock.h).
 *
 * Threading: the identifier table has its own mutex; the rest runs on the
 * caller's thread and only touches the caller's socket.
 */
#include "echo_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h> /* before the linux/ headers (libc-compat) */
#include <linux/filter.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t ids_used[65536 / 8];
static uint32_t ids_next;
static bool ids_seeded;

bool echo_id_alloc(uint16_t *id)
{
    bool ok = false;

    pthread_mutex_lock(&ids_lock);
    if (!ids_seeded) {
        /* a random start: two processes probing one target rarely share ids
         * (and the payload's cookie tells them apart when they do) */
        uint16_t r = 0;
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
            r = (uint16_t)getpid();
        ids_next = r;
        ids_seeded = true;
    }
    for (uint32_t i = 0; i < 65536 && !ok; i++) {
        uint16_t c = (uint16_t)(ids_next + i);
        if (!(ids_used[c / 8] & (1u << (c % 8)))) {
            ids_used[c / 8] |= (uint8_t)(1u << (c % 8));
            *id = c;
            ids_next = (uint32_t)c + 1;
            ok = true;
        }
    }
    pthread_mutex_unlock(&ids_lock);
    return ok;
}

void echo_id_release(uint16_t id)
{
    pthread_mutex_lock(&ids_lock);
    ids_used[id / 8] &= (uint8_t) ~(1u << (id % 8));
    pthread_mutex_unlock(&ids_lock);
}

int echo_sock_addr(const char *key, const char *literal, uint16_t port, const char *dev,
                   struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, literal, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        *len = sizeof(*s4);
        return 0;
    }
    if (inet_pton(AF_INET6, literal, &s6->sin6_addr) != 1) {
        snprintf(err, errlen, "%s '%s' is not an IPv4 or IPv6 address literal", key, literal);
        return -1;
    }
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    *len = sizeof(*s6);
    if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr)) {
        if (!dev) {
            snprintf(err, errlen, "%s '%s' is link-local: dev must name its interface", key,
                     literal);
            return -1;
        }
        s6->sin6_scope_id = if_nametoindex(dev);
        if (!s6->sin6_scope_id) {
            snprintf(err, errlen, "%s '%s': no interface '%s' (dev) for its scope", key, literal,
                     dev);
            return -1;
        }
    }
    return 0;
}

/* Passes echo replies with our identifier only (IPv4: after the IP header). */
static int attach_filter(int fd, enum echo_wire_kind kind, uint16_t id)
{
    struct sock_filter f4[] = {
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
        BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0 /* echo reply */, 0, 3),
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_filter f6[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 129 /* echo reply */, 0, 3),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffffffffu),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {.len = 7, .filter = f4};

    if (kind == ECHO_WIRE_ICMP6) {
        prog = (struct sock_fprog){.len = 6, .filter = f6};
        struct icmp6_filter t;
        ICMP6_FILTER_SETBLOCKALL(&t);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &t);
        if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &t, sizeof(t)) != 0)
            return -1;
    } else {
        struct icmp_filter t = {.data = ~(1u << ICMP_ECHOREPLY)};
        if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &t, sizeof(t)) != 0)
            return -1;
    }
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

static int bind_source(int fd, int family, const char *source, const char *dev, char *err,
                       size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len;

    if (echo_sock_addr("source", source, 0, dev, &ss, &len, err, errlen) != 0)
        return -1;
    if (ss.ss_family != family) {
        snprintf(err, errlen, "source '%s' is not of the target's address family", source);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        snprintf(err, errlen, "source '%s': cannot bind the probe socket to it: %s", source,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int pin(int fd, const struct echo_sock_spec *spec, char *err, size_t errlen)
{
    if (spec->mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &spec->mark, sizeof(spec->mark))) {
        snprintf(err, errlen, "mark 0x%x: SO_MARK on the probe socket: %s (needs CAP_NET_ADMIN)",
                 (unsigned)spec->mark, strerror(errno));
        return -1;
    }
    if (spec->dev) {
        size_t n = strlen(spec->dev);
        if (n == 0 || n >= IFNAMSIZ) {
            snprintf(err, errlen, "dev: an interface name is 1 to %d bytes (got %zu)", IFNAMSIZ - 1,
                     n);
            return -1;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, spec->dev, (socklen_t)n + 1) != 0) {
            snprintf(err, errlen, "dev '%s': cannot bind the probe socket to it: %s", spec->dev,
                     strerror(errno));
            return -1;
        }
    }
    if (spec->source)
        return bind_source(fd, spec->target->ss_family, spec->source, spec->dev, err, errlen);
    return 0;
}

int echo_sock_open(const struct echo_sock_spec *spec, char *err, size_t errlen)
{
    int family = spec->target->ss_family, fd;
    const int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;

    if (spec->kind == ECHO_WIRE_UDP)
        fd = socket(family, SOCK_DGRAM | flags, IPPROTO_UDP);
    else
        fd = socket(family, SOCK_RAW | flags,
                    spec->kind == ECHO_WIRE_ICMP4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the %s probe socket: %s%s",
                 spec->kind == ECHO_WIRE_UDP ? "UDP" : "raw ICMP", strerror(errno),
                 spec->kind == ECHO_WIRE_UDP ? "" : " (needs CAP_NET_RAW)");
        return -1;
    }
    if (spec->kind != ECHO_WIRE_UDP && attach_filter(fd, spec->kind, spec->id) != 0) {
        snprintf(err, errlen, "cannot filter the ICMP probe socket: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (pin(fd, spec, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int echo_sock_connect(int fd, const struct sockaddr_storage *target)
{
    socklen_t len =
        target->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);

    return connect(fd, (const struct sockaddr *)target, len) == 0 ? 0 : errno;
}

bool echo_sock_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
                         bool with_port)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_addr.s_addr == y->sin_addr.s_addr &&
               (!with_port || x->sin_port == y->sin_port);
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) &&
           (!with_port || x->sin6_port == y->sin6_port);
}
