/*
 * echo_sock: the socket of one echo probe, pinned to its path: SO_MARK,
 * optionally bound to a device and a source address. ICMP probes use a raw
 * socket (CAP_NET_RAW) with a kernel filter (classic BPF) that passes only
 * echo replies carrying the probe's identifier, so that a hundred probes in
 * one process each wake up for their own replies only; identifiers are unique
 * within the process. An ICMP socket is also connected to its target once a
 * route to it exists (echo_sock_connect, retried by the probe before each
 * request until it succeeds): the kernel then copies each reply only to the
 * sockets of probes of that target, not to every raw socket (a path without
 * a route at start shows loss, it does not refuse the probe). Connecting
 * fixes the source address the route gave (set source where a path's source
 * address may change). UDP probes use an unconnected datagram socket of their
 * own (its ephemeral port tells the replies apart). The probe checks each
 * reply's source itself in every case.
 *
 * Threading: echo_id_alloc/echo_id_release take a mutex (any thread); the
 * rest is plain system calls on the caller's socket.
 */
#ifndef TUNNELD_ECHO_SOCK_H
#define TUNNELD_ECHO_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "echo_wire.h"

struct echo_sock_spec {
    enum echo_wire_kind kind;
    const struct sockaddr_storage *target; /* family decides v4/v6 */
    const char *source;                    /* literal or NULL */
    const char *dev;                       /* or NULL */
    uint32_t mark;                         /* 0: not set */
    uint16_t id;                           /* ICMP identifier for the kernel filter */
};

/* Parses literal (IPv4 or IPv6; an IPv6 link-local one takes its scope from
 * dev, which it then needs) with port into *ss. 0, or -1 with err naming key. */
int echo_sock_addr(const char *key, const char *literal, uint16_t port, const char *dev,
                   struct sockaddr_storage *ss, socklen_t *len, char *err, size_t errlen);
/* Opens the probe's socket, non-blocking: fd, or -1 with err set. */
int echo_sock_open(const struct echo_sock_spec *spec, char *err, size_t errlen);
/* Connects an ICMP probe's socket to its target: 0, or an errno (no route). */
int echo_sock_connect(int fd, const struct sockaddr_storage *target);
/* Same address (and port for UDP) as the target? */
bool echo_sock_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
                         bool with_port);

/* A process-wide unique ICMP identifier; false when all 65536 are in use. */
bool echo_id_alloc(uint16_t *id);
void echo_id_release(uint16_t id);

#endif
