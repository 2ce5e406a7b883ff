/*
 * bfd_sock: BFD's UDP sockets (see bfd_sock.h).
 *
 * Threading: plain system calls on caller-owned descriptors, any thread.
 */
#define _GNU_SOURCE
#include "bfd_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int bfd_addr_parse(const char *s, uint16_t port, struct sockaddr_storage *sa)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_DGRAM}, *res;

    if (!s || getaddrinfo(s, NULL, &hints, &res) != 0)
        return -1;
    memset(sa, 0, sizeof(*sa));
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (sa->ss_family == AF_INET)
        ((struct sockaddr_in *)sa)->sin_port = htons(port);
    else if (sa->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
    else
        return -1;
    return 0;
}

bool bfd_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return false;
}

void bfd_addr_str(const struct sockaddr_storage *sa, char *buf, size_t len)
{
    const void *a = sa->ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

    if (!inet_ntop(sa->ss_family, a, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

static socklen_t sa_len(const struct sockaddr_storage *sa)
{
    return sa->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static int sopt(int fd, int level, int name, int v)
{
    return setsockopt(fd, level, name, &v, sizeof(v));
}

static int fail(int fd, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

int bfd_sock_rx_open(int family, uint16_t port, char *err, size_t errlen)
{
    struct sockaddr_storage sa = {.ss_family = (sa_family_t)family};
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);

    if (fd < 0)
        return fail(fd, err, errlen, "BFD receive socket");
    if (family == AF_INET) {
        ((struct sockaddr_in *)&sa)->sin_port = htons(port);
        if (sopt(fd, IPPROTO_IP, IP_RECVTTL, 1) || sopt(fd, IPPROTO_IP, IP_PKTINFO, 1))
            return fail(fd, err, errlen, "IP_RECVTTL/IP_PKTINFO");
    } else {
        ((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
        if (sopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) ||
            sopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) ||
            sopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1))
            return fail(fd, err, errlen, "IPV6_RECVHOPLIMIT/IPV6_RECVPKTINFO");
    }
    if (bind(fd, (struct sockaddr *)&sa, sa_len(&sa)) != 0) {
        char what[64];
        snprintf(what, sizeof(what), "bind UDP port %u (%s)", port,
                 family == AF_INET ? "IPv4" : "IPv6");
        return fail(fd, err, errlen, what);
    }
    return fd;
}

static void rx_cmsg(struct msghdr *m, struct bfd_rxinfo *info)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
            int v;
            memcpy(&v, CMSG_DATA(c), sizeof(v));
            info->ttl = v;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            info->dst.ss_family = AF_INET;
            ((struct sockaddr_in *)&info->dst)->sin_addr = pi.ipi_addr;
            info->ifindex = pi.ipi_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
            int v;
            memcpy(&v, CMSG_DATA(c), sizeof(v));
            info->ttl = v;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            info->dst.ss_family = AF_INET6;
            ((struct sockaddr_in6 *)&info->dst)->sin6_addr = pi.ipi6_addr;
            info->ifindex = (int)pi.ipi6_ifindex;
        }
    }
}

long bfd_sock_recv(int fd, uint8_t *buf, size_t len, struct bfd_rxinfo *info)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
    } cbuf;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {.msg_name = &info->src,
                       .msg_namelen = sizeof(info->src),
                       .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = cbuf.buf,
                       .msg_controllen = sizeof(cbuf.buf)};

    memset(&info->src, 0, sizeof(info->src));
    memset(&info->dst, 0, sizeof(info->dst));
    info->ifindex = 0;
    info->ttl = -1;
    ssize_t n = recvmsg(fd, &m, MSG_TRUNC);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    rx_cmsg(&m, info);
    /* a datagram of zero bytes is reported as 1 so that it is not "none" */
    return n == 0 ? 1 : (long)n;
}

static int bind_port(int fd, const struct sockaddr_storage *local, int family, uint32_t rnd)
{
    const uint32_t span = BFD_SRC_PORT_MAX - BFD_SRC_PORT_MIN + 1;
    struct sockaddr_storage sa;

    if (local)
        sa = *local;
    else
        sa = (struct sockaddr_storage){.ss_family = (sa_family_t)family};
    for (uint32_t i = 0; i < span; i++) {
        uint16_t port = (uint16_t)(BFD_SRC_PORT_MIN + (rnd + i) % span);
        if (family == AF_INET)
            ((struct sockaddr_in *)&sa)->sin_port = htons(port);
        else
            ((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
        if (bind(fd, (struct sockaddr *)&sa, sa_len(&sa)) == 0)
            return 0;
        if (errno != EADDRINUSE)
            return -1;
    }
    return -1; /* every port of the range in use (errno EADDRINUSE) */
}

int bfd_sock_tx_open(const struct sockaddr_storage *local, const char *dev, uint32_t mark,
                     int family, uint32_t rnd, char *err, size_t errlen)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);

    if (fd < 0)
        return fail(fd, err, errlen, "BFD transmit socket");
    if (family == AF_INET) {
        if (sopt(fd, IPPROTO_IP, IP_TTL, 255))
            return fail(fd, err, errlen, "IP_TTL 255");
    } else if (sopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) ||
               sopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255)) {
        return fail(fd, err, errlen, "IPV6_UNICAST_HOPS 255");
    }
    if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0)
        return fail(fd, err, errlen, "SO_MARK");
    if (dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)) != 0) {
        char what[IF_NAMESIZE + 32];
        snprintf(what, sizeof(what), "SO_BINDTODEVICE %s", dev);
        return fail(fd, err, errlen, what);
    }
    if (bind_port(fd, local, family, rnd) != 0)
        return fail(fd, err, errlen, "bind a source port in 49152-65535");
    return fd;
}

int bfd_sock_send(int fd, const uint8_t *buf, size_t len, const struct sockaddr_storage *to)
{
    ssize_t n = sendto(fd, buf, len, 0, (const struct sockaddr *)to, sa_len(to));

    return n == (ssize_t)len ? 0 : -1;
}

int bfd_sock_route_src(const struct sockaddr_storage *remote, const char *dev, uint32_t mark,
                       struct sockaddr_storage *src)
{
    int fd = socket(remote->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    socklen_t len = sizeof(*src);
    int rc = -1;

    if (fd < 0)
        return -1;
    memset(src, 0, sizeof(*src));
    if ((!mark || setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == 0) &&
        (!dev || setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)) == 0) &&
        connect(fd, (const struct sockaddr *)remote, sa_len(remote)) == 0 &&
        getsockname(fd, (struct sockaddr *)src, &len) == 0)
        rc = 0;
    close(fd);
    return rc;
}
