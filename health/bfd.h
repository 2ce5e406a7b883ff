/*
 * bfd: BFD (RFC 5880 asynchronous mode, RFC 5881 single hop, RFC 5883
 * multihop) sessions on a libev loop.
 *
 * One struct bfd_ctx per loop owns the receive sockets (UDP 3784 single hop
 * with the TTL/hop limit 255 check, 4784 multihop with a configurable minimum
 * TTL, any by default; IPv4 and IPv6, opened on
 * first use) and demultiplexes packets to sessions by Your Discriminator, or
 * by addresses (and interface for single hop) while it is zero; either way
 * the packet's source must be the session's remote and its destination the
 * session's source address (its local, or the one the kernel chooses
 * towards the remote). Looped packets are dropped. Each session
 * sends from its own socket (source port 49152-65535, TTL 255, SO_MARK and
 * device when given, so it leaves through its path), runs the RFC 5880 state
 * machine with slow rate (1 s) until Up, poll/final for parameter changes,
 * diagnostic codes, and the transmit jitter of section 6.8.7. Demand mode and
 * authentication are not implemented (a packet with the A bit is dropped and
 * counted).
 *
 * Threading: every function must be called from the thread that runs the
 * loop (the health thread); callbacks run there. Nothing blocks.
 */
#ifndef TUNNELD_BFD_H
#define TUNNELD_BFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health_types.h"

struct ev_loop;
struct bfd_ctx;
struct bfd_session;

struct bfd_session_config {
    const char *remote; /* IPv4 or IPv6 literal */
    const char *local;  /* source address literal, NULL: chosen by the kernel */
    const char *dev;    /* interface to bind (single hop: required to match), NULL none */
    uint32_t mark;      /* SO_MARK for the transmit socket, 0 none */
    bool multihop;      /* RFC 5883 */
    uint8_t min_ttl;    /* multihop: lowest accepted TTL; 0 = default: any (1). Single
                         * hop ignores it and always requires 255 (RFC 5881 5) */
    uint32_t min_tx_us; /* desired min TX interval */
    uint32_t min_rx_us; /* required min RX interval */
    uint8_t multiplier; /* detect multiplier */
    bool passive;       /* wait for the peer's first packet */
    const char *label;  /* names the session in log lines ("site azure path er"), NULL
                         * none; sessions with different labels must differ in
                         * their addresses (see bfd_session_new) */
};

/* Called on every state change, and when negotiated intervals change. It
 * must not free its own session (free it later, e.g. from an ev_idle). */
typedef void (*bfd_state_fn)(struct bfd_session *s, const struct hl_bfd_status *st, void *ctx);
typedef void (*bfd_log_fn)(int level, const char *msg, void *ctx); /* 0 err .. 3 debug */

struct bfd_ctx *bfd_ctx_new(struct ev_loop *loop, bfd_log_fn log, void *log_ctx);
void bfd_ctx_free(struct bfd_ctx *c); /* sessions must be freed first */

/* NULL with err set (naming the key and the value) when the config is invalid
 * or a socket cannot be opened; also when the remote is an address of this
 * host, or another session of c with a different label has the same
 * remote, source address and kind (and interface, single hop): RFC
 * 5881/5883 tell sessions apart by those, so the second could never be sure
 * to get its packets. A session with the same label (or both none) is taken
 * for the one this replaces (a reload): allowed, and packets both would
 * take are dropped until the owner frees the old one. */
struct bfd_session *bfd_session_new(struct bfd_ctx *c, const struct bfd_session_config *cfg,
                                    bfd_state_fn fn, void *ctx, char *err, size_t errlen);
/* Changes the intervals/multiplier of a running session (poll sequence). */
int bfd_session_set_params(struct bfd_session *s, uint32_t min_tx_us, uint32_t min_rx_us,
                           uint8_t multiplier);
/* AdminDown (diag 7) and back. */
void bfd_session_set_admin_down(struct bfd_session *s, bool down);
void bfd_session_status(const struct bfd_session *s, struct hl_bfd_status *out);
/* Sends AdminDown once, then frees. */
void bfd_session_free(struct bfd_session *s);

/* Packets no session took (malformed, unknown discriminator, wrong TTL or
 * address, authentication), and those of them with the A bit. */
uint64_t bfd_ctx_dropped(const struct bfd_ctx *c);
uint64_t bfd_ctx_dropped_auth(const struct bfd_ctx *c);
/* Of those, the looped ones: sent from one of our addresses to itself, or
 * carrying the receiving session's own discriminator as My Discriminator. */
uint64_t bfd_ctx_dropped_loop(const struct bfd_ctx *c);
/* Sessions currently open. */
size_t bfd_ctx_sessions(const struct bfd_ctx *c);

const char *bfd_state_name(enum hl_bfd_state s);
const char *bfd_diag_name(enum hl_bfd_diag d); /* "control detection time expired", ... */

#endif
