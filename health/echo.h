/*
 * echo: ICMP echo (IPv4 and IPv6) and UDP echo probes of one path, on a
 * libev loop, with loss, average RTT and jitter over a sliding window of the
 * last N probes (like pfSense's dpinger per gateway). The statistics and the
 * jitter estimator are defined in echo_window.h: jitter is the mean absolute
 * difference of successive RTTs over the window (the quantity RFC 3550's
 * interarrival jitter estimates, without its exponential smoothing).
 *
 * Each probe sends from its own socket, marked (SO_MARK) and optionally bound
 * to a device and a source address, so it measures its path even while the
 * site's traffic uses another (echo_sock.h). With dev set, replies must come
 * back through that device too. Replies are matched by identifier, sequence
 * and a random per-probe cookie in the payload (echo_wire.h); late replies
 * (after the timeout) count as losses.
 *
 * The first probe leaves at a random time within the first interval, so that
 * many probes started together spread over the interval.
 *
 * Threading: every function must be called from the loop's thread (the
 * health thread); the callback runs there and must not free its probe.
 * Nothing blocks.
 */
#ifndef TUNNELD_ECHO_H
#define TUNNELD_ECHO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health_types.h"

struct ev_loop;
struct echo_probe;

enum echo_kind { ECHO_ICMP, ECHO_UDP };

/* Defaults of the fields left 0 (those of tunneld.sites, conf/site_model.h). */
#define ECHO_DEFAULT_INTERVAL_MS 1000
#define ECHO_DEFAULT_TIMEOUT_MS  2000
#define ECHO_DEFAULT_WINDOW      10
#define ECHO_DEFAULT_SIZE        56
#define ECHO_DEFAULT_UDP_PORT    7
#define ECHO_DEFAULT_LOSS_RUN    3
#define ECHO_INTERVAL_MIN_MS     10
#define ECHO_INTERVAL_MAX_MS     3600000

struct echo_config {
    enum echo_kind kind;
    const char *target;   /* IPv4 or IPv6 literal (link-local: needs dev) */
    const char *source;   /* NULL: the kernel's choice */
    const char *dev;      /* NULL: not bound */
    uint32_t mark;        /* SO_MARK, 0 none */
    uint16_t port;        /* UDP: destination port (0: 7) */
    uint32_t interval_ms; /* between probes, 10 ms .. 1 h (0: 1000) */
    uint32_t timeout_ms;  /* a reply later than this is a loss (0: 2000); at most
                             interval_ms * window */
    uint32_t window;      /* samples kept, 1..4096 (0: 10) */
    uint16_t size;        /* payload bytes, 16..8192 (0: 56) */
    uint32_t loss_run;    /* losses in a row that make the stats valid before the
                             window is full (0: 3) */
    uint32_t count;       /* sends this many probes, then only waits for their
                             replies (0: no end) */
};

/* Called after every sample (reply or timeout) with the window's stats. */
typedef void (*echo_fn)(struct echo_probe *p, const struct hl_echo_stats *st, void *ctx);

/* The sample that caused the last call of the callback. */
struct echo_sample {
    uint64_t seq;  /* 0 for the first probe */
    bool lost;     /* timed out */
    double rtt_ms; /* when received */
};

/* What the probe saw since it started. */
struct echo_counters {
    uint64_t sent;        /* requests handed to the kernel */
    uint64_t send_errors; /* requests the kernel refused (counted lost at their timeout) */
    uint64_t received;    /* replies in time */
    uint64_t late;        /* replies after their probe's timeout */
    uint64_t duplicates;  /* second replies to one probe */
    uint64_t foreign;     /* packets that were not our replies (other source, payload, id) */
    int last_send_errno;  /* 0: none yet */
};

/* Added (issue 9 fix): 0 when echo_probe_new would accept cfg's values, else
 * -1 with err naming the field (no socket is made: a dry run before start). */
int echo_config_check(const struct echo_config *cfg, char *err, size_t errlen);

/* NULL with err set when the config is invalid or the socket cannot be made. */
struct echo_probe *echo_probe_new(struct ev_loop *loop, const struct echo_config *cfg, echo_fn fn,
                                  void *ctx, char *err, size_t errlen);
void echo_probe_stats(const struct echo_probe *p, struct hl_echo_stats *out);
void echo_probe_last(const struct echo_probe *p, struct echo_sample *out);
void echo_probe_counters(const struct echo_probe *p, struct echo_counters *out);
/* Stops the watchers, closes the socket, frees (not from its own callback). */
void echo_probe_free(struct echo_probe *p);

#endif
