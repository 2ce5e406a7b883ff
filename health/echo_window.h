/*
 * echo_window: the sliding window of one echo probe's last N probes and the
 * statistics over it (pure: no sockets, clocks or threads; time is an
 * argument, in microseconds of a monotonic clock).
 *
 * A probe is recorded when it is sent (pending) and completes when its reply
 * arrives in time (received, with its RTT) or its timeout passes (lost). The
 * statistics cover the last N completed probes (the window; pending ones are
 * not counted yet). The ring keeps 2N + 2 probes, so that up to N + 2 may be
 * pending (a timeout up to N intervals); one still pending when its slot is
 * reused counts as lost then.
 *  - loss_pct   = 100 * lost / completed;
 *  - rtt_avg_ms = mean RTT of the received ones;
 *  - jitter_ms  = mean of |RTT(i) - RTT(i-1)| over successive received probes
 *    in sequence order: the quantity RFC 3550's interarrival jitter estimates
 *    (J += (|D| - J) / 16, with D the change of transit time between two
 *    packets), computed over the window instead of smoothed exponentially,
 *    so that it is exact, reproducible and forgets what left the window;
 *    a step change of RTT counts once, not for the whole window as a standard
 *    deviation would.
 *  - lost_in_row: timeouts since the last reply that arrived in time (not
 *    bounded by the window).
 * The figures are valid once N probes have completed, or earlier when
 * loss_run probes in a row were lost (a dead target is reported without
 * waiting for a whole window).
 *
 * Threading: none; one owner serialises (the probe, on the health thread).
 */
#ifndef TUNNELD_ECHO_WINDOW_H
#define TUNNELD_ECHO_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health_types.h"

#define ECHO_WINDOW_MAX 4096 /* slots */

enum echo_slot_state { ECHO_SLOT_EMPTY, ECHO_SLOT_PENDING, ECHO_SLOT_RECEIVED, ECHO_SLOT_LOST };

struct echo_slot {
    uint64_t seq;
    uint64_t sent_us;
    uint64_t rtt_us;
    enum echo_slot_state state;
};

struct echo_window {
    struct echo_slot *slots;
    uint32_t size;      /* N */
    uint32_t cap;       /* slots in the ring: 2N + 2 */
    uint32_t loss_run;  /* valid early after this many losses in a row */
    uint64_t next_seq;  /* sequence of the next probe sent (first is 0) */
    uint64_t completed; /* probes completed since the start */
    uint32_t lost_in_row;
};

/* What a reply meant for the window. */
enum echo_reply_result {
    ECHO_REPLY_OK,      /* in time: the probe is received */
    ECHO_REPLY_LATE,    /* its probe already timed out (stays lost) */
    ECHO_REPLY_DUP,     /* its probe was already received */
    ECHO_REPLY_UNKNOWN, /* no such probe in the ring (never sent, or long gone) */
};

/* 0, or -1 when size is 0 or above ECHO_WINDOW_MAX, or out of memory. */
int echo_window_init(struct echo_window *w, uint32_t size, uint32_t loss_run);
void echo_window_free(struct echo_window *w);

/* Records a probe sent at now_us; returns its sequence number. A pending probe
 * pushed out of the ring counts as lost. */
uint64_t echo_window_sent(struct echo_window *w, uint64_t now_us);
/* A reply to probe seq arrived at now_us. */
enum echo_reply_result echo_window_reply(struct echo_window *w, uint64_t seq, uint64_t now_us);
/* Marks lost every pending probe sent at or before now_us - timeout_us, in
 * sequence order; returns how many. */
uint32_t echo_window_expire(struct echo_window *w, uint64_t now_us, uint64_t timeout_us);
/* The deadline (sent_us + timeout_us) and the sequence of the oldest pending
 * probe; false when none is pending. seq may be NULL. */
bool echo_window_next_expiry(const struct echo_window *w, uint64_t timeout_us, uint64_t *at_us,
                             uint64_t *seq);
/* The statistics over the window. */
void echo_window_stats(const struct echo_window *w, struct hl_echo_stats *out);
/* The slot of seq, NULL when it is not in the ring. */
const struct echo_slot *echo_window_slot(const struct echo_window *w, uint64_t seq);

#endif
