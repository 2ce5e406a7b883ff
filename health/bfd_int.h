/*
 * bfd_int: what bfd_ctx.c (sockets, demultiplexing) and bfd_session.c
 * (sessions, timers, transmission) share. Not for other modules.
 *
 * Threading: the loop's thread only (see bfd.h).
 */
#ifndef TUNNELD_BFD_INT_H
#define TUNNELD_BFD_INT_H

#include <ev.h>

#include "bfd.h"
#include "bfd_fsm.h"
#include "bfd_sock.h"

#define BFD_SLOT_BITS 20 /* discriminator = random 12 bits | slot + 1 */
#define BFD_SLOT_MAX  ((1u << BFD_SLOT_BITS) - 1)

struct bfd_session {
    struct bfd_ctx *c;
    uint32_t slot;
    struct bfd_fsm f;
    struct sockaddr_storage remote, local;
    struct sockaddr_storage src; /* source towards remote: local, or the kernel's choice */
    bool has_local, has_src, multihop;
    char *dev;       /* as configured (route lookups of the source), NULL none */
    uint32_t mark;   /* as configured */
    char *label;     /* as configured, NULL none */
    int ifindex;     /* 0: any */
    uint8_t min_ttl; /* lowest accepted TTL: 255 single hop, multihop as configured */
    int tx_fd;
    char *desc; /* "er: 192.0.2.2 from 192.0.2.1 (single hop, dev eth0)" for logs */
    ev_timer tx_w, detect_w;
    bfd_state_fn fn;
    void *fn_ctx;
    uint64_t tx_packets, rx_packets, rx_dropped;
    hl_time_t last_change;
    struct hl_bfd_status reported; /* last handed to fn */
    bool tx_failing;               /* a send failed (logged once until one succeeds) */
    bool ttl_warned;               /* a packet below min_ttl was logged (once per session) */
};

struct bfd_ctx {
    struct ev_loop *loop;
    bfd_log_fn log;
    void *log_ctx;
    int rx_fd[4]; /* [v6 * 2 + multihop] */
    ev_io rx_w[4];
    struct bfd_session **slots;
    uint32_t n_slots, cap, n_sessions;
    uint64_t rng;
    uint64_t dropped, dropped_auth, dropped_loop;
};

uint64_t bfd_now_us(void);
uint32_t bfd_random(struct bfd_ctx *c);
void bfd_logf(struct bfd_ctx *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Opens the receive socket of this family and kind if not yet open. */
int bfd_ctx_listen(struct bfd_ctx *c, int family, bool multihop, char *err, size_t errlen);
/* Slot management: a free slot for s (sets s->slot), or -1. */
int bfd_ctx_attach(struct bfd_ctx *c, struct bfd_session *s);
void bfd_ctx_detach(struct bfd_ctx *c, struct bfd_session *s);
/* Whether addr is s's source address; refreshes s->src from the routes when
 * s has no local and addr differs (routes change). */
bool bfd_session_src_is(struct bfd_session *s, const struct sockaddr_storage *addr);
/* A packet selected for s, with its arrival time. */
void bfd_session_input(struct bfd_session *s, const struct bfd_pkt *p, uint64_t now);

#endif
