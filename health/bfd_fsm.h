/*
 * bfd_fsm: the RFC 5880 asynchronous-mode session as pure code: the state
 * variables of section 6.8.1, reception (6.8.6), the detection timer (6.8.4),
 * timer negotiation with the 1 s slow rate until Up and the poll sequence
 * (6.8.2, 6.8.3), transmit intervals with jitter (6.8.7) and AdminDown
 * (6.8.16). No sockets, no clock: times are microseconds given by the caller,
 * random numbers too, so every transition is unit-tested.
 *
 * Threading: pure functions on a caller-owned struct, any thread.
 */
#ifndef TUNNELD_BFD_FSM_H
#define TUNNELD_BFD_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "bfd_packet.h"
#include "health_types.h"

#define BFD_SLOW_TX_US 1000000u /* 6.8.3: at least 1 s while not Up */

struct bfd_fsm {
    /* section 6.8.1 */
    enum hl_bfd_state state, remote_state;
    uint32_t local_disc, remote_disc;
    enum hl_bfd_diag diag;        /* bfd.LocalDiag, sent on the wire */
    enum hl_bfd_diag down_diag;   /* why we last left Up (status) */
    enum hl_bfd_diag remote_diag; /* the peer's last diagnostic */
    uint32_t remote_min_rx;       /* bfd.RemoteMinRxInterval */
    uint32_t remote_min_tx;       /* the peer's Desired Min TX */
    uint8_t remote_mult;          /* 0: nothing received */
    bool passive;
    /* configured (latest asked for) */
    uint32_t cfg_tx, cfg_rx;
    uint8_t cfg_mult;
    /* advertised in our packets */
    uint32_t adv_tx, adv_rx;
    uint8_t mult;
    /* in use locally while a poll sequence runs (6.8.3) */
    uint32_t eff_tx, eff_rx;
    bool poll;         /* our poll sequence is in progress: P in every packet */
    bool poll_pending; /* parameters changed again during it */
    uint64_t last_rx;  /* time of the last accepted packet, 0 never */
};

/* What bfd_fsm_rx / bfd_fsm_timeout / setters ask of their caller. */
#define BFD_OUT_STATE  0x1 /* session state changed */
#define BFD_OUT_FINAL  0x2 /* send a packet with F now (the peer polled) */
#define BFD_OUT_PARAMS 0x4 /* negotiated intervals changed: reschedule timers, report */
#define BFD_OUT_ADMIN  0x8 /* received while AdminDown: ignored */

void bfd_fsm_init(struct bfd_fsm *f, uint32_t local_disc, uint32_t tx_us, uint32_t rx_us,
                  uint8_t mult, bool passive);
/* A packet that passed bfd_pkt_decode and was selected for this session. */
unsigned bfd_fsm_rx(struct bfd_fsm *f, const struct bfd_pkt *p, uint64_t now);
/* Detection time: returns when it expires (0: not running). */
uint64_t bfd_fsm_detect_deadline(const struct bfd_fsm *f);
/* Call when now passed the deadline (and no packet came since). */
unsigned bfd_fsm_timeout(struct bfd_fsm *f, uint64_t now);
/* New configured intervals: a poll sequence when Up, at once otherwise. */
unsigned bfd_fsm_set_params(struct bfd_fsm *f, uint32_t tx_us, uint32_t rx_us, uint8_t mult);
unsigned bfd_fsm_set_admin_down(struct bfd_fsm *f, bool down);

/* May we send periodic packets at all (6.8.7: not to a peer asking for
 * none, not before the peer spoke when passive)? */
bool bfd_fsm_may_send(const struct bfd_fsm *f);
/* Negotiated values (6.8.2, 6.8.4). */
uint32_t bfd_fsm_tx_interval(const struct bfd_fsm *f);
uint32_t bfd_fsm_rx_interval(const struct bfd_fsm *f);
uint64_t bfd_fsm_detect_time(const struct bfd_fsm *f);
/* The interval to wait before the next periodic packet: 75-100% of
 * interval, 75-90% with a multiplier of 1 (6.8.7); rnd is uniform. */
uint32_t bfd_fsm_jitter(uint32_t interval_us, uint8_t mult, uint32_t rnd);
/* The next packet: periodic (final false, P while polling) or the answer to
 * a poll (final true). */
void bfd_fsm_build(const struct bfd_fsm *f, bool final, struct bfd_pkt *out);

#endif
