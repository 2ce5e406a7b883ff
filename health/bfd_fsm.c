/*
 * bfd_fsm: RFC 5880 asynchronous-mode session state machine and timer
 * negotiation, pure (see bfd_fsm.h).
 *
 * Threading: pure functions on a caller-owned struct, any thread.
 */
#include "bfd_fsm.h"

static uint32_t max32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* Moves to state s; d is the diagnostic when leaving Init/Up for Down or
 * AdminDown. */
static void go(struct bfd_fsm *f, enum hl_bfd_state s, enum hl_bfd_diag d)
{
    if (s == HL_BFD_UP) {
        f->diag = HL_DIAG_NONE;
    } else if (s == HL_BFD_DOWN || s == HL_BFD_ADMIN_DOWN) {
        f->diag = d;
        if (f->state == HL_BFD_UP || f->state == HL_BFD_INIT)
            f->down_diag = d;
    }
    f->state = s;
}

/* Brings the advertised intervals to what the configuration and the state
 * ask for: at once while not Up, by a poll sequence while Up (6.8.3). */
static unsigned retarget(struct bfd_fsm *f)
{
    uint32_t tx = f->state == HL_BFD_UP ? f->cfg_tx : max32(f->cfg_tx, BFD_SLOW_TX_US);

    bool same = tx == f->adv_tx && f->cfg_rx == f->adv_rx && f->cfg_mult == f->mult;

    if (f->state != HL_BFD_UP) {
        /* a poll sequence ends with the session (6.8.3 applies while Up) */
        bool was_polling = f->poll;

        f->poll = f->poll_pending = false;
        if (same && f->eff_tx == tx && f->eff_rx == f->cfg_rx)
            return was_polling ? BFD_OUT_PARAMS : 0;
        f->adv_tx = f->eff_tx = tx;
        f->adv_rx = f->eff_rx = f->cfg_rx;
        f->mult = f->cfg_mult;
        return BFD_OUT_PARAMS;
    }
    if (same)
        return 0;
    if (f->poll) {
        /* one poll sequence at a time (6.5): the next starts at its Final */
        f->poll_pending = true;
        return 0;
    }
    f->mult = f->cfg_mult;
    if (tx == f->adv_tx && f->cfg_rx == f->adv_rx)
        return BFD_OUT_PARAMS;
    /* a faster transmission or a longer detection time is safe at once; a
     * slower transmission or a shorter detection time waits for the Final */
    if (tx < f->eff_tx)
        f->eff_tx = tx;
    if (f->cfg_rx > f->eff_rx)
        f->eff_rx = f->cfg_rx;
    f->adv_tx = tx;
    f->adv_rx = f->cfg_rx;
    f->poll = true;
    return BFD_OUT_PARAMS;
}

void bfd_fsm_init(struct bfd_fsm *f, uint32_t local_disc, uint32_t tx_us, uint32_t rx_us,
                  uint8_t mult, bool passive)
{
    *f = (struct bfd_fsm){
        .state = HL_BFD_DOWN,
        .remote_state = HL_BFD_DOWN,
        .local_disc = local_disc,
        .remote_min_rx = 1,
        .passive = passive,
        .cfg_tx = tx_us,
        .cfg_rx = rx_us,
        .cfg_mult = mult,
    };
    retarget(f);
}

uint32_t bfd_fsm_tx_interval(const struct bfd_fsm *f)
{
    return max32(f->eff_tx, f->remote_min_rx);
}

uint32_t bfd_fsm_rx_interval(const struct bfd_fsm *f)
{
    return max32(f->eff_rx, f->remote_min_tx);
}

uint64_t bfd_fsm_detect_time(const struct bfd_fsm *f)
{
    return (uint64_t)f->remote_mult * bfd_fsm_rx_interval(f);
}

uint64_t bfd_fsm_detect_deadline(const struct bfd_fsm *f)
{
    if (f->state == HL_BFD_ADMIN_DOWN || f->remote_mult == 0 || f->last_rx == 0)
        return 0;
    return f->last_rx + bfd_fsm_detect_time(f);
}

/* The state transitions of a received packet (6.8.6). */
static bool rx_transition(struct bfd_fsm *f)
{
    enum hl_bfd_state old = f->state;

    if (f->remote_state == HL_BFD_ADMIN_DOWN) {
        if (f->state != HL_BFD_DOWN)
            go(f, HL_BFD_DOWN, HL_DIAG_NEIGHBOR_DOWN);
    } else if (f->state == HL_BFD_DOWN) {
        if (f->remote_state == HL_BFD_DOWN)
            go(f, HL_BFD_INIT, HL_DIAG_NONE);
        else if (f->remote_state == HL_BFD_INIT)
            go(f, HL_BFD_UP, HL_DIAG_NONE);
    } else if (f->state == HL_BFD_INIT) {
        if (f->remote_state == HL_BFD_INIT || f->remote_state == HL_BFD_UP)
            go(f, HL_BFD_UP, HL_DIAG_NONE);
    } else if (f->remote_state == HL_BFD_DOWN) {
        go(f, HL_BFD_DOWN, HL_DIAG_NEIGHBOR_DOWN);
    }
    return f->state != old;
}

unsigned bfd_fsm_rx(struct bfd_fsm *f, const struct bfd_pkt *p, uint64_t now)
{
    uint32_t tx = bfd_fsm_tx_interval(f), rx = bfd_fsm_rx_interval(f);
    uint64_t det = bfd_fsm_detect_time(f);
    unsigned out = 0;

    if (f->state == HL_BFD_ADMIN_DOWN)
        return BFD_OUT_ADMIN;
    f->remote_disc = p->my_disc;
    f->remote_state = (enum hl_bfd_state)p->state;
    f->remote_diag = (enum hl_bfd_diag)p->diag;
    f->remote_min_rx = p->min_rx_us;
    f->remote_min_tx = p->min_tx_us;
    f->remote_mult = p->mult;
    f->last_rx = now;
    if ((p->flags & BFD_FLAG_F) && f->poll) {
        f->poll = false;
        f->eff_tx = f->adv_tx;
        f->eff_rx = f->adv_rx;
        out |= BFD_OUT_PARAMS;
        if (f->poll_pending) {
            f->poll_pending = false;
            out |= retarget(f);
        }
    }
    if (rx_transition(f))
        out |= BFD_OUT_STATE | retarget(f);
    if (p->flags & BFD_FLAG_P)
        out |= BFD_OUT_FINAL;
    if (tx != bfd_fsm_tx_interval(f) || rx != bfd_fsm_rx_interval(f) ||
        det != bfd_fsm_detect_time(f))
        out |= BFD_OUT_PARAMS;
    return out;
}

unsigned bfd_fsm_timeout(struct bfd_fsm *f, uint64_t now)
{
    uint64_t deadline = bfd_fsm_detect_deadline(f);
    unsigned out = BFD_OUT_PARAMS;

    if (deadline == 0 || now < deadline)
        return 0;
    if (f->state == HL_BFD_INIT || f->state == HL_BFD_UP) {
        go(f, HL_BFD_DOWN, HL_DIAG_DETECT_EXPIRED);
        out |= BFD_OUT_STATE;
    }
    /* 6.8.1: the peer is forgotten when a detection time passes in silence */
    f->remote_disc = 0;
    f->remote_state = HL_BFD_DOWN;
    f->remote_mult = 0;
    f->remote_min_rx = 1;
    f->remote_min_tx = 0;
    return out | retarget(f);
}

unsigned bfd_fsm_set_params(struct bfd_fsm *f, uint32_t tx_us, uint32_t rx_us, uint8_t mult)
{
    f->cfg_tx = tx_us;
    f->cfg_rx = rx_us;
    f->cfg_mult = mult;
    return retarget(f);
}

unsigned bfd_fsm_set_admin_down(struct bfd_fsm *f, bool down)
{
    if (down == (f->state == HL_BFD_ADMIN_DOWN))
        return 0;
    if (down)
        go(f, HL_BFD_ADMIN_DOWN, HL_DIAG_ADMIN_DOWN);
    else
        f->state = HL_BFD_DOWN; /* the diagnostic stays until Up */
    return BFD_OUT_STATE | retarget(f);
}

bool bfd_fsm_may_send(const struct bfd_fsm *f)
{
    if (f->remote_min_rx == 0)
        return false;
    return !(f->passive && f->remote_disc == 0);
}

uint32_t bfd_fsm_jitter(uint32_t interval_us, uint8_t mult, uint32_t rnd)
{
    /* reduction in 1/10000ths: 0-25 %, or 10-25 % with a multiplier of 1 */
    uint64_t r = mult == 1 ? 1000 + rnd % 1501 : rnd % 2501;

    return (uint32_t)(interval_us - (uint64_t)interval_us * r / 10000);
}

void bfd_fsm_build(const struct bfd_fsm *f, bool final, struct bfd_pkt *out)
{
    *out = (struct bfd_pkt){
        .diag = (uint8_t)f->diag,
        .state = (uint8_t)f->state,
        .flags = final ? BFD_FLAG_F : (f->poll ? BFD_FLAG_P : 0),
        .mult = f->mult,
        .my_disc = f->local_disc,
        .your_disc = f->remote_disc,
        .min_tx_us = f->adv_tx,
        .min_rx_us = f->adv_rx,
        .min_echo_rx_us = 0,
    };
}
