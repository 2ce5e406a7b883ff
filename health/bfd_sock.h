/*
 * bfd_sock: the UDP sockets of BFD. Receive sockets listen on 3784 (RFC 5881)
 * or 4784 (RFC 5883) and report each datagram's TTL/hop limit, destination
 * address and interface; transmit sockets send with TTL/hop limit 255 from a
 * source port in 49152-65535, marked (SO_MARK) and bound to a device and a
 * source address when asked, so that they leave through their path.
 *
 * Threading: plain system calls on caller-owned descriptors, any thread;
 * every socket is non-blocking.
 */
#ifndef TUNNELD_BFD_SOCK_H
#define TUNNELD_BFD_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define BFD_SRC_PORT_MIN 49152
#define BFD_SRC_PORT_MAX 65535

struct bfd_rxinfo {
    struct sockaddr_storage src; /* the sender (port included) */
    struct sockaddr_storage dst; /* our address it was sent to (port 0) */
    int ifindex;                 /* 0 unknown */
    int ttl;                     /* TTL or hop limit, -1 not reported */
};

/* Parses an IPv4/IPv6 literal ("fe80::1%eth0" keeps its scope) into sa with
 * port; 0 or -1. */
int bfd_addr_parse(const char *s, uint16_t port, struct sockaddr_storage *sa);
/* Same family and address (ports and IPv6 scope ignored). */
bool bfd_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* "192.0.2.1" / "2001:db8::1" into buf (INET6_ADDRSTRLEN is enough). */
void bfd_addr_str(const struct sockaddr_storage *sa, char *buf, size_t len);

/* Receive socket for family (AF_INET/AF_INET6) on port; -1 with err. */
int bfd_sock_rx_open(int family, uint16_t port, char *err, size_t errlen);
/* One datagram: its length (truncated datagrams are reported as their full
 * length, larger than len), 0 none pending, -1 error (errno). */
long bfd_sock_recv(int fd, uint8_t *buf, size_t len, struct bfd_rxinfo *info);

/* Transmit socket towards remote's family, bound to local (may be NULL),
 * dev (may be NULL) and marked with mark (0 none); -1 with err naming what
 * failed. rnd picks the first source port tried. */
int bfd_sock_tx_open(const struct sockaddr_storage *local, const char *dev, uint32_t mark,
                     int family, uint32_t rnd, char *err, size_t errlen);
/* The source address the kernel would choose towards remote for a socket
 * with this mark (0 none) and device (NULL none): a connected UDP socket's
 * name (no packet is sent). 0, or -1 (no route, errno). */
int bfd_sock_route_src(const struct sockaddr_storage *remote, const char *dev, uint32_t mark,
                       struct sockaddr_storage *src);
int bfd_sock_send(int fd, const uint8_t *buf, size_t len, const struct sockaddr_storage *to);

#endif
