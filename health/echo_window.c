/*
 * echo_window: sliding window statistics of an echo probe (echo_window.h).
 *
 * Threading: none; the owner serialises.
 */
#include "echo_window.h"

#include <stdlib.h>

int echo_window_init(struct echo_window *w, uint32_t size, uint32_t loss_run)
{
    *w = (struct echo_window){0};
    if (size == 0 || size > ECHO_WINDOW_MAX)
        return -1;
    w->cap = 2 * size + 2;
    w->slots = calloc(w->cap, sizeof(*w->slots));
    if (!w->slots)
        return -1;
    w->size = size;
    w->loss_run = loss_run;
    return 0;
}

void echo_window_free(struct echo_window *w)
{
    free(w->slots);
    *w = (struct echo_window){0};
}

static uint64_t oldest_seq(const struct echo_window *w)
{
    return w->next_seq > w->cap ? w->next_seq - w->cap : 0;
}

const struct echo_slot *echo_window_slot(const struct echo_window *w, uint64_t seq)
{
    if (seq >= w->next_seq || seq < oldest_seq(w))
        return NULL;
    return &w->slots[seq % w->cap];
}

static void lose(struct echo_window *w, struct echo_slot *s)
{
    s->state = ECHO_SLOT_LOST;
    w->completed++;
    if (w->lost_in_row < UINT32_MAX)
        w->lost_in_row++;
}

uint64_t echo_window_sent(struct echo_window *w, uint64_t now_us)
{
    uint64_t seq = w->next_seq++;
    struct echo_slot *s = &w->slots[seq % w->cap];

    if (s->state == ECHO_SLOT_PENDING)
        lose(w, s); /* pushed out before its timeout */
    *s = (struct echo_slot){.seq = seq, .sent_us = now_us, .state = ECHO_SLOT_PENDING};
    return seq;
}

enum echo_reply_result echo_window_reply(struct echo_window *w, uint64_t seq, uint64_t now_us)
{
    struct echo_slot *s = (struct echo_slot *)echo_window_slot(w, seq);

    if (!s)
        return ECHO_REPLY_UNKNOWN;
    if (s->state == ECHO_SLOT_LOST)
        return ECHO_REPLY_LATE;
    if (s->state == ECHO_SLOT_RECEIVED)
        return ECHO_REPLY_DUP;
    s->state = ECHO_SLOT_RECEIVED;
    s->rtt_us = now_us > s->sent_us ? now_us - s->sent_us : 0;
    w->completed++;
    w->lost_in_row = 0;
    return ECHO_REPLY_OK;
}

uint32_t echo_window_expire(struct echo_window *w, uint64_t now_us, uint64_t timeout_us)
{
    uint32_t n = 0;

    for (uint64_t seq = oldest_seq(w); seq < w->next_seq; seq++) {
        struct echo_slot *s = &w->slots[seq % w->cap];
        if (s->state != ECHO_SLOT_PENDING)
            continue;
        if (s->sent_us + timeout_us > now_us)
            break; /* later ones were sent later still */
        lose(w, s);
        n++;
    }
    return n;
}

bool echo_window_next_expiry(const struct echo_window *w, uint64_t timeout_us, uint64_t *at_us,
                             uint64_t *seq_out)
{
    for (uint64_t seq = oldest_seq(w); seq < w->next_seq; seq++) {
        const struct echo_slot *s = &w->slots[seq % w->cap];
        if (s->state == ECHO_SLOT_PENDING) {
            *at_us = s->sent_us + timeout_us;
            if (seq_out)
                *seq_out = seq;
            return true;
        }
    }
    return false;
}

void echo_window_stats(const struct echo_window *w, struct hl_echo_stats *out)
{
    uint32_t done = 0, got = 0, pairs = 0;
    uint64_t rtt_sum = 0, diff_sum = 0, prev = 0;
    bool have_prev = false;

    /* newest first, the last N completed ones (|a - b| = |b - a|: the order
     * of the pairs does not matter) */
    for (uint64_t seq = w->next_seq; seq > oldest_seq(w) && done < w->size; seq--) {
        const struct echo_slot *s = &w->slots[(seq - 1) % w->cap];
        if (s->state == ECHO_SLOT_LOST)
            done++;
        if (s->state != ECHO_SLOT_RECEIVED)
            continue;
        done++;
        got++;
        rtt_sum += s->rtt_us;
        if (have_prev) {
            diff_sum += s->rtt_us > prev ? s->rtt_us - prev : prev - s->rtt_us;
            pairs++;
        }
        prev = s->rtt_us;
        have_prev = true;
    }
    *out = (struct hl_echo_stats){
        .sent = done,
        .received = got,
        .loss_pct = done ? 100.0 * (double)(done - got) / (double)done : 0.0,
        .rtt_avg_ms = got ? (double)rtt_sum / got / 1000.0 : 0.0,
        .jitter_ms = pairs ? (double)diff_sum / pairs / 1000.0 : 0.0,
        .lost_in_row = w->lost_in_row,
    };
    out->valid = w->completed >= w->size || (w->loss_run && w->lost_in_row >= w->loss_run);
}
