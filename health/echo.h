/*
 * echo: ICMP echo (IPv4 and IPv6) and UDP echo probes of one path, on a
 * libev loop, with loss, average RTT and jitter over a sliding window of the
 * last N probes (like pfSense's dpinger per gateway). Jitter is RFC 3550's
 * interarrival estimator applied to successive RTTs (J += (|D| - J) / 16).
 *
 * Each probe sends from its own socket, marked (SO_MARK) and optionally bound
 * to a device and a source address, so it measures its path even while the
 * site's traffic uses another. Replies are matched by identifier and
 * sequence; late replies (after the timeout) count as losses.
 *
 * Threading: every function must be called from the loop's thread (the
 * health thread); the callback runs there. Nothing blocks.
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

struct echo_config {
    enum echo_kind kind;
    const char *target;   /* IPv4 or IPv6 literal */
    const char *source;   /* NULL: the kernel's choice */
    const char *dev;      /* NULL: not bound */
    uint32_t mark;        /* SO_MARK, 0 none */
    uint16_t port;        /* UDP: destination port */
    uint32_t interval_ms; /* between probes */
    uint32_t timeout_ms;  /* a reply later than this is a loss */
    uint32_t window;      /* samples kept */
    uint16_t size;        /* payload bytes */
};

/* Called after every sample (reply or timeout) with the window's stats. */
typedef void (*echo_fn)(struct echo_probe *p, const struct hl_echo_stats *st, void *ctx);

/* NULL with err set when the config is invalid or the socket cannot be made. */
struct echo_probe *echo_probe_new(struct ev_loop *loop, const struct echo_config *cfg, echo_fn fn,
                                  void *ctx, char *err, size_t errlen);
void echo_probe_stats(const struct echo_probe *p, struct hl_echo_stats *out);
void echo_probe_free(struct echo_probe *p);

#endif
