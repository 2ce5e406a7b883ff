/*
 * sm_probes: a path's probes (bfd, echo), SLA thresholds and dampening,
 * with their defaults and the checks that span keys: families of the BFD
 * and echo addresses against each other and against the path's next hops,
 * SLA thresholds against each other, dampening thresholds that can work.
 *
 * Threading: the loading thread (see site_model.h).
 */
#include "sm_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BFD_MIN_MS 1     /* RFC 5880 intervals are microseconds, 32 bits: */
#define BFD_MAX_MS 60000 /* a minute keeps well inside them */

static const char *const no_names[] = {NULL};
static const char *const bfd_keys[] = {"remote", "local",      "multihop", "min_tx",
                                       "min_rx", "multiplier", "min_ttl",  NULL};
static const char *const echo_keys[] = {"type",    "target", "source", "port", "interval",
                                        "timeout", "window", "size",   NULL};
static const char *const sla_keys[] = {"loss", "rtt", "jitter", "down_loss", NULL};
static const char *const damp_keys[] = {"enabled",   "reuse",        "penalty", "suppress",
                                        "half_life", "max_suppress", NULL};

static const char *family_name(int af)
{
    return af == AF_INET6 ? "IPv6" : "IPv4";
}

/*
 * The family a probe of the path may use: a path with only gateway4 carries
 * only IPv4 (the route engine gives it no IPv6 route), only gateway6 only
 * IPv6; a path with both or neither (a tunnel device) any.
 */
static int probe_family(const struct sm_path *p)
{
    if (p->gw4 && !p->gw6)
        return AF_INET;
    if (p->gw6 && !p->gw4)
        return AF_INET6;
    return 0;
}

/* target (required) and source (same family) of a probe section */
static bool probe_addrs(sm_ctx_t *c, const struct sm_path *p, const char *sub, const char *tkey,
                        const char *skey, char **target, char **source)
{
    int want = probe_family(p);

    if (!sm_path_get(c, sub, tkey))
        return sm_fail(c, "%s.%s.%s: missing (expected the %s address of the far side)", c->where,
                       sub, tkey, !strcmp(sub, "bfd") ? "BFD peer's" : "echo responder's");
    if (!sm_get_addr(c, sub, tkey, 0, target))
        return false;
    if (want && sm_addr_family(*target) != want)
        return sm_fail(c,
                       "%s.%s.%s: %s is %s but the path has only gateway%s (expected an %s "
                       "address, or gateway%s on the path too)",
                       c->where, sub, tkey, *target, family_name(sm_addr_family(*target)),
                       want == AF_INET ? "4" : "6", family_name(want), want == AF_INET ? "6" : "4");
    if (!sm_get_addr(c, sub, skey, 0, source))
        return false;
    if (*source && sm_addr_family(*source) != sm_addr_family(*target))
        return sm_fail(c, "%s.%s.%s: %s is %s but %s is %s (expected one family for both)",
                       c->where, sub, skey, *source, family_name(sm_addr_family(*source)), tkey,
                       family_name(sm_addr_family(*target)));
    return true;
}

/* min_ttl: multihop only (RFC 5883 leaves the TTL check to configuration);
 * single hop always requires 255 (RFC 5881 5) */
static bool read_bfd_ttl(sm_ctx_t *c, struct sm_bfd *b)
{
    uint64_t ttl = 0;

    if (!sm_path_get(c, "bfd", "min_ttl"))
        return true;
    if (!b->multihop)
        return sm_fail(c,
                       "%s.bfd.min_ttl: only a multihop session has a configurable minimum TTL "
                       "(single hop always requires 255; expected multihop = yes, or no min_ttl)",
                       c->where);
    if (!sm_get_uint(c, "bfd", "min_ttl", 1, 255, &ttl))
        return false;
    b->min_ttl = (uint8_t)ttl;
    return true;
}

static bool read_bfd(sm_ctx_t *c, struct sm_path *p)
{
    struct sm_bfd *b = &p->bfd;
    uint64_t tx = 300, rx = 300, mult = 3;

    if (!sm_path_has_section(c, "bfd"))
        return true;
    b->enabled = true;
    if (!sm_path_only_known(c, "bfd", bfd_keys, no_names) ||
        !probe_addrs(c, p, "bfd", "remote", "local", &b->remote, &b->local) ||
        !sm_get_bool(c, "bfd", "multihop", &b->multihop) ||
        !sm_get_ms(c, "bfd", "min_tx", BFD_MIN_MS, BFD_MAX_MS, &tx) ||
        !sm_get_ms(c, "bfd", "min_rx", BFD_MIN_MS, BFD_MAX_MS, &rx) ||
        !sm_get_uint(c, "bfd", "multiplier", 1, 255, &mult))
        return false;
    b->min_tx_us = (uint32_t)(tx * 1000);
    b->min_rx_us = (uint32_t)(rx * 1000);
    b->multiplier = (uint8_t)mult;
    return read_bfd_ttl(c, b);
}

static bool read_echo_type(sm_ctx_t *c, struct sm_echo *e)
{
    const char *t = sm_path_get(c, "echo", "type");
    sm_quoted_t q;

    e->type = SM_ECHO_ICMP;
    if (t && strcmp(t, "icmp") && strcmp(t, "udp"))
        return sm_fail(c, "%s.echo.type: '%s' is not an echo type (expected icmp or udp)", c->where,
                       sm_quote(t, &q));
    if (t && !strcmp(t, "udp"))
        e->type = SM_ECHO_UDP;
    if (e->type == SM_ECHO_ICMP && sm_path_get(c, "echo", "port"))
        return sm_fail(c, "%s.echo.port: only UDP echo has a port (this echo is type = icmp)",
                       c->where);
    return true;
}

/*
 * What health/echo.c's check_config refuses at start, refused here too,
 * naming the key: interval ECHO_INTERVAL_MIN_MS (10 ms) or more, a payload
 * of ECHO_PAYLOAD_MIN..MAX (16..8192) bytes, timeout <= interval * window
 * (else a probe leaves the window before its timeout). The window's own
 * range (1..1000) is inside echo's (1..4096). A window slower to fill
 * than the startup grace is judged on the replies so far: a warning.
 */
#define ECHO_INTERVAL_MIN 10
#define ECHO_SIZE_MIN     16
#define ECHO_SIZE_MAX     8192
#define STARTUP_GRACE_MS  15000 /* HL_STARTUP_GRACE_MS (health/path_sm.h) */

static bool echo_limits(sm_ctx_t *c, uint64_t interval, uint64_t timeout, uint64_t window,
                        uint64_t size)
{
    if (interval < ECHO_INTERVAL_MIN)
        return sm_fail(c, "%s.echo.interval: %llu ms: expected at least %d ms", c->where,
                       (unsigned long long)interval, ECHO_INTERVAL_MIN);
    if (size < ECHO_SIZE_MIN || size > ECHO_SIZE_MAX)
        return sm_fail(c, "%s.echo.size: %llu bytes: expected %d to %d payload bytes", c->where,
                       (unsigned long long)size, ECHO_SIZE_MIN, ECHO_SIZE_MAX);
    if (timeout > interval * window)
        return sm_fail(c,
                       "%s.echo.timeout: %llu ms: expected at most interval * window (%llu ms), "
                       "or a probe would leave the window before its timeout",
                       c->where, (unsigned long long)timeout,
                       (unsigned long long)(interval * window));
    if (interval * window + timeout > STARTUP_GRACE_MS)
        return sm_warn(c->m,
                       "%s.echo: the window fills in up to %llu ms (window * interval + timeout), "
                       "after the %d ms startup grace: the path is judged on the replies so far "
                       "when the grace ends",
                       c->where, (unsigned long long)(interval * window + timeout),
                       STARTUP_GRACE_MS);
    return true;
}

static bool read_echo(sm_ctx_t *c, struct sm_path *p)
{
    struct sm_echo *e = &p->echo;
    uint64_t port = 7, interval = 1000, timeout = 2000, window = 10, size = 56;

    if (!sm_path_has_section(c, "echo"))
        return true;
    if (!sm_path_only_known(c, "echo", echo_keys, no_names) || !read_echo_type(c, e) ||
        !probe_addrs(c, p, "echo", "target", "source", &e->target, &e->source) ||
        !sm_get_uint(c, "echo", "port", 1, 65535, &port) ||
        !sm_get_ms(c, "echo", "interval", 1, 60000, &interval) ||
        !sm_get_ms(c, "echo", "timeout", 1, 60000, &timeout) ||
        !sm_get_uint(c, "echo", "window", 1, 1000, &window) ||
        !sm_get_uint(c, "echo", "size", 0, 9000, &size))
        return false;
    if (!echo_limits(c, interval, timeout, window, size))
        return false;
    e->port = (uint16_t)port;
    e->interval_ms = (uint32_t)interval;
    e->timeout_ms = (uint32_t)timeout;
    e->window = (uint32_t)window;
    e->size = (uint16_t)size;
    return true;
}

static bool read_sla(sm_ctx_t *c, struct sm_path *p)
{
    struct sm_sla *s = &p->sla;
    uint64_t rtt = 0, jitter = 0;

    s->loss_pct = 10;
    s->down_loss_pct = 100;
    if (!sm_path_has_section(c, "sla"))
        return true;
    if (!sm_path_only_known(c, "sla", sla_keys, no_names) ||
        !sm_get_pct(c, "sla", "loss", &s->loss_pct) ||
        !sm_get_ms(c, "sla", "rtt", 0, 60000, &rtt) ||
        !sm_get_ms(c, "sla", "jitter", 0, 60000, &jitter) ||
        !sm_get_pct(c, "sla", "down_loss", &s->down_loss_pct))
        return false;
    s->rtt_ms = (uint32_t)rtt;
    s->jitter_ms = (uint32_t)jitter;
    if (s->down_loss_pct <= 0)
        return sm_fail(c,
                       "%s.sla.down_loss: 0%% would make the path down with no loss at all "
                       "(expected more than 0%%, up to 100%%)",
                       c->where);
    if (s->loss_pct > s->down_loss_pct)
        return sm_fail(c,
                       "%s.sla.loss: %g%% is above down_loss %g%% (expected the degraded "
                       "threshold at or below the down one)",
                       c->where, s->loss_pct, s->down_loss_pct);
    if (p->echo.type == SM_ECHO_NONE &&
        !sm_warn(c->m,
                 "%s: %s.sla: loss, RTT and jitter are measured by echo probes and this path "
                 "has no echo section: its SLA thresholds never apply",
                 c->file, c->where))
        return sm_fail(c, "%s.sla: out of memory", c->where);
    return true;
}

/* RFC 2439: a penalty decaying from its ceiling reaches reuse after
 * max_suppress; below suppress, no flap could ever suppress the path */
static bool damp_can_suppress(sm_ctx_t *c, const struct sm_dampening *d)
{
    double ceiling = d->reuse * exp2((double)d->max_suppress_ms / d->half_life_ms);

    if (ceiling >= d->suppress)
        return true;
    return sm_fail(c,
                   "%s.dampening: the penalty is capped at reuse x 2^(max_suppress / half_life) "
                   "= %.0f, below suppress %u: the path could never be suppressed (expected a "
                   "longer max_suppress, a shorter half_life or a lower suppress)",
                   c->where, ceiling, d->suppress);
}

static bool read_dampening(sm_ctx_t *c, struct sm_path *p)
{
    struct sm_dampening *d = &p->damp;
    uint64_t pen = 1000, sup = 3000, reuse = 750, half = 15000, max = 120000;

    d->enabled = true;
    if (sm_path_has_section(c, "dampening") &&
        (!sm_path_only_known(c, "dampening", damp_keys, no_names) ||
         !sm_get_bool(c, "dampening", "enabled", &d->enabled) ||
         !sm_get_uint(c, "dampening", "penalty", 1, 1000000, &pen) ||
         !sm_get_uint(c, "dampening", "suppress", 1, 1000000, &sup) ||
         !sm_get_uint(c, "dampening", "reuse", 1, 1000000, &reuse) ||
         !sm_get_ms(c, "dampening", "half_life", 1000, 3600000, &half) ||
         !sm_get_ms(c, "dampening", "max_suppress", 1000, 86400000, &max)))
        return false;
    d->penalty = (uint32_t)pen;
    d->suppress = (uint32_t)sup;
    d->reuse = (uint32_t)reuse;
    d->half_life_ms = (uint32_t)half;
    d->max_suppress_ms = (uint32_t)max;
    if (!d->enabled)
        return true;
    if (d->reuse >= d->suppress)
        return sm_fail(c,
                       "%s.dampening.reuse: %u is not below suppress %u (expected reuse < "
                       "suppress)",
                       c->where, d->reuse, d->suppress);
    return damp_can_suppress(c, d);
}

bool sm_read_probes(sm_ctx_t *c, struct sm_path *p)
{
    return read_bfd(c, p) && read_echo(c, p) && read_sla(c, p) && read_dampening(c, p);
}

void sm_probes_free(struct sm_path *p)
{
    free(p->bfd.remote);
    free(p->bfd.local);
    free(p->echo.target);
    free(p->echo.source);
}
