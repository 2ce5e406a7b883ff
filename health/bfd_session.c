/*
 * bfd_session: one BFD session on the loop: its configuration checks, its
 * transmit socket, the transmit timer (jittered, 6.8.7), the detection timer
 * (lazy: re-armed only when it fires early or the detection time changes),
 * and the reports to its owner.
 *
 * Threading: the loop's thread only; timer callbacks run there and never
 * block (sends are non-blocking; a failed send is logged once and counted
 * as not sent).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bfd_int.h"

#define INTERVAL_MIN_US 1000u     /* 1 ms */
#define INTERVAL_MAX_US 60000000u /* 60 s */
/* multihop: any TTL unless configured (RFC 5883 2 leaves it to configuration;
 * BIRD 2 sends 64, FRR 255: GTSM only works where the peer sends 255) */
#define MULTIHOP_MIN_TTL_DEFAULT 1

static hl_time_t ms(uint64_t us)
{
    return us / 1000u;
}

static void send_pkt(struct bfd_session *s, bool final)
{
    struct bfd_pkt p;
    uint8_t buf[BFD_PKT_LEN];

    bfd_fsm_build(&s->f, final, &p);
    bfd_pkt_encode(&p, buf);
    if (bfd_sock_send(s->tx_fd, buf, sizeof(buf), &s->remote) == 0) {
        s->tx_packets++;
        s->tx_failing = false;
    } else if (!s->tx_failing) {
        s->tx_failing = true;
        bfd_logf(s->c, 1, "%s: send failed: %m (logged once until a send succeeds)", s->desc);
    }
}

static double sec(uint64_t us)
{
    return (double)us / 1e6;
}

/* Next periodic packet after a jittered interval. */
static void arm_tx(struct bfd_session *s, bool only_if_sooner)
{
    uint32_t iv = bfd_fsm_jitter(bfd_fsm_tx_interval(&s->f), s->f.mult, bfd_random(s->c));

    if (!bfd_fsm_may_send(&s->f)) {
        ev_timer_stop(s->c->loop, &s->tx_w);
        return;
    }
    if (only_if_sooner && ev_is_active(&s->tx_w) &&
        ev_timer_remaining(s->c->loop, &s->tx_w) <= sec(iv))
        return;
    ev_timer_stop(s->c->loop, &s->tx_w);
    ev_timer_set(&s->tx_w, sec(iv), 0.);
    ev_timer_start(s->c->loop, &s->tx_w);
}

static void arm_detect(struct bfd_session *s, uint64_t now)
{
    uint64_t deadline = bfd_fsm_detect_deadline(&s->f);

    ev_timer_stop(s->c->loop, &s->detect_w);
    if (!deadline)
        return;
    ev_timer_set(&s->detect_w, deadline > now ? sec(deadline - now) : 0., 0.);
    ev_timer_start(s->c->loop, &s->detect_w);
}

static void report(struct bfd_session *s, bool state_changed)
{
    struct hl_bfd_status st;

    bfd_session_status(s, &st);
    if (!state_changed && st.tx_interval_us == s->reported.tx_interval_us &&
        st.rx_interval_us == s->reported.rx_interval_us &&
        st.detect_time_us == s->reported.detect_time_us &&
        st.remote_multiplier == s->reported.remote_multiplier && st.poll == s->reported.poll)
        return;
    s->reported = st;
    if (s->fn)
        s->fn(s, &st, s->fn_ctx);
}

/* Carries out what the state machine asked for. */
static void act(struct bfd_session *s, unsigned out, enum hl_bfd_state old, uint64_t now)
{
    if (out & BFD_OUT_STATE) {
        s->last_change = ms(now);
        bfd_logf(s->c, 2, "%s: %s -> %s (%s)", s->desc, bfd_state_name(old),
                 bfd_state_name(s->f.state), bfd_diag_name(s->f.diag));
    }
    if (out & BFD_OUT_FINAL)
        send_pkt(s, true);
    if (out & BFD_OUT_STATE) {
        /* tell the peer at once rather than after a (slow) interval */
        if (bfd_fsm_may_send(&s->f))
            send_pkt(s, false);
        arm_tx(s, false);
    } else if (out & BFD_OUT_PARAMS || !ev_is_active(&s->tx_w)) {
        arm_tx(s, true);
    }
    if (out & (BFD_OUT_PARAMS | BFD_OUT_STATE) || !ev_is_active(&s->detect_w))
        arm_detect(s, now);
    if (out & (BFD_OUT_PARAMS | BFD_OUT_STATE))
        report(s, out & BFD_OUT_STATE);
}

void bfd_session_input(struct bfd_session *s, const struct bfd_pkt *p, uint64_t now)
{
    enum hl_bfd_state old = s->f.state;
    unsigned out = bfd_fsm_rx(&s->f, p, now);

    if (out & BFD_OUT_ADMIN)
        return;
    s->rx_packets++;
    act(s, out, old, now);
}

static void tx_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct bfd_session *s = w->data;

    if (bfd_fsm_may_send(&s->f))
        send_pkt(s, false);
    arm_tx(s, false);
}

static void detect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct bfd_session *s = w->data;
    uint64_t now = bfd_now_us();
    enum hl_bfd_state old = s->f.state;
    unsigned out = bfd_fsm_timeout(&s->f, now);

    if (!out) {
        arm_detect(s, now); /* packets came meanwhile: not yet */
        return;
    }
    act(s, out, old, now);
}

/* Checks and copies the configuration; 0 or -1 with err. */
static int configure(struct bfd_session *s, const struct bfd_session_config *cfg, char *err,
                     size_t errlen)
{
    uint16_t port = cfg->multihop ? BFD_PORT_MULTI : BFD_PORT_SINGLE;

    if (bfd_addr_parse(cfg->remote, port, &s->remote) != 0) {
        snprintf(err, errlen, "remote: '%.64s%s' is not an IPv4 or IPv6 address",
                 cfg->remote ? cfg->remote : "(none)",
                 cfg->remote && strlen(cfg->remote) > 64 ? "..." : "");
        return -1;
    }
    if (cfg->local) {
        if (bfd_addr_parse(cfg->local, 0, &s->local) != 0 ||
            s->local.ss_family != s->remote.ss_family) {
            snprintf(err, errlen, "local: '%.64s%s' is not an address of the remote's family",
                     cfg->local, strlen(cfg->local) > 64 ? "..." : "");
            return -1;
        }
        s->has_local = true;
    }
    if (cfg->dev) {
        if (strlen(cfg->dev) >= IF_NAMESIZE || !(s->ifindex = (int)if_nametoindex(cfg->dev))) {
            snprintf(err, errlen, "dev: no interface named '%.64s%s' (at most %d bytes)", cfg->dev,
                     strlen(cfg->dev) > 64 ? "..." : "", IF_NAMESIZE - 1);
            return -1;
        }
    }
    const struct {
        const char *key;
        uint32_t v;
    } iv[] = {{"min_tx", cfg->min_tx_us}, {"min_rx", cfg->min_rx_us}};
    for (size_t i = 0; i < 2; i++) {
        if (iv[i].v < INTERVAL_MIN_US || iv[i].v > INTERVAL_MAX_US) {
            snprintf(err, errlen, "%s: %u us is outside %u-%u us", iv[i].key, iv[i].v,
                     INTERVAL_MIN_US, INTERVAL_MAX_US);
            return -1;
        }
    }
    if (cfg->multiplier == 0) {
        snprintf(err, errlen, "multiplier: must be 1-255, not 0");
        return -1;
    }
    s->multihop = cfg->multihop;
    /* single hop always requires 255 (RFC 5881 5), whatever min_ttl says */
    s->min_ttl = !cfg->multihop ? 255 : cfg->min_ttl ? cfg->min_ttl : MULTIHOP_MIN_TTL_DEFAULT;
    return 0;
}

/* str with bytes outside printable ASCII as \xNN (names may hold any byte);
 * NULL: out of memory. */
static char *escaped(const char *str)
{
    char *out = malloc(4 * strlen(str) + 1), *o = out;

    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)str; *p; p++)
        o += sprintf(o, *p > 0x20 && *p < 0x7f ? "%c" : "\\x%02x", *p);
    *o = 0;
    return out;
}

/* "label: remote 100.64.2.1, local 192.0.2.1 (multihop, dev eth0, mark
 * 0x11600000)"; local "chosen by the kernel" when unset. */
static char *describe(const struct bfd_session *s, const struct bfd_session_config *cfg)
{
    char r[INET6_ADDRSTRLEN], l[INET6_ADDRSTRLEN] = "chosen by the kernel", mark[24] = "";
    char *label = cfg->label ? escaped(cfg->label) : NULL,
         *dev = cfg->dev ? escaped(cfg->dev) : NULL;
    char *d = NULL;

    bfd_addr_str(&s->remote, r, sizeof(r));
    if (s->has_local)
        bfd_addr_str(&s->local, l, sizeof(l));
    if (cfg->mark)
        snprintf(mark, sizeof(mark), ", mark 0x%x", cfg->mark);
    if ((!cfg->label || label) && (!cfg->dev || dev) &&
        asprintf(&d, "%s%sremote %s, local %s (%s%s%s%s)", label ? label : "", label ? ": " : "", r,
                 l, s->multihop ? "multihop" : "single hop", dev ? ", dev " : "", dev ? dev : "",
                 mark) < 0)
        d = NULL;
    free(label);
    free(dev);
    return d;
}

/* The remote must not be an address of this host: a session would talk to
 * itself. The kernel's route to it answers (a local address is its own
 * source), whatever the ip_nonlocal_bind setting. */
static int check_not_self(const struct bfd_session *s, char *err, size_t errlen)
{
    struct sockaddr_storage src;
    char r[INET6_ADDRSTRLEN];

    if (!(s->has_local && bfd_addr_equal(&s->local, &s->remote)) &&
        (bfd_sock_route_src(&s->remote, NULL, 0, &src) != 0 || !bfd_addr_equal(&src, &s->remote)))
        return 0;
    bfd_addr_str(&s->remote, r, sizeof(r));
    snprintf(err, errlen,
             "remote: %s is an address of this host: the session would talk to itself "
             "(expected the far end's address)",
             r);
    return -1;
}

bool bfd_session_src_is(struct bfd_session *s, const struct sockaddr_storage *addr)
{
    if (s->has_local)
        return bfd_addr_equal(&s->local, addr);
    if (s->has_src && bfd_addr_equal(&s->src, addr))
        return true;
    s->has_src = bfd_sock_route_src(&s->remote, s->dev, s->mark, &s->src) == 0;
    return s->has_src && bfd_addr_equal(&s->src, addr);
}

static bool same_label(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Another session that packets could not be told from s's: same kind and
 * remote, same source address, and for single hop an interface in common.
 * One with the same label (none: the same) is the one s replaces (a reload
 * creates the new session before it frees the old): allowed, and a packet
 * that both would take is dropped until the old one is freed. */
static int check_distinct(struct bfd_ctx *c, const struct bfd_session *s, char *err, size_t errlen)
{
    char r[INET6_ADDRSTRLEN], l[INET6_ADDRSTRLEN];

    if (!s->has_src)
        return 0; /* no route yet: packets are told apart once there is one */
    for (uint32_t i = 0; i < c->n_slots; i++) {
        struct bfd_session *o = c->slots[i];
        if (!o || o->multihop != s->multihop || !bfd_addr_equal(&o->remote, &s->remote))
            continue;
        if (!s->multihop && s->ifindex && o->ifindex && s->ifindex != o->ifindex)
            continue;
        if (same_label(o->label, s->label) || !bfd_session_src_is(o, &s->src))
            continue;
        bfd_addr_str(&s->remote, r, sizeof(r));
        bfd_addr_str(&s->src, l, sizeof(l));
        snprintf(err, errlen,
                 "remote %s, local %s: another %s BFD session (%s) has the same addresses%s; "
                 "sessions are told apart by their addresses%s (RFC %s): expected a different "
                 "local or remote",
                 r, l, s->multihop ? "multihop" : "single hop", o->desc,
                 s->multihop ? "" : " and interface", s->multihop ? "" : " and interface",
                 s->multihop ? "5883" : "5881");
        return -1;
    }
    return 0;
}

struct bfd_session *bfd_session_new(struct bfd_ctx *c, const struct bfd_session_config *cfg,
                                    bfd_state_fn fn, void *ctx, char *err, size_t errlen)
{
    struct bfd_session *s = calloc(1, sizeof(*s));

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->c = c;
    s->tx_fd = -1;
    if (configure(s, cfg, err, errlen) != 0 || check_not_self(s, err, errlen) != 0)
        goto fail;
    if (cfg->dev && !(s->dev = strdup(cfg->dev))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->mark = cfg->mark;
    if (cfg->label && !(s->label = strdup(cfg->label))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (s->has_local) {
        s->src = s->local;
        s->has_src = true;
    } else {
        s->has_src = bfd_sock_route_src(&s->remote, s->dev, s->mark, &s->src) == 0;
    }
    if (check_distinct(c, s, err, errlen) != 0 ||
        bfd_ctx_listen(c, s->remote.ss_family, s->multihop, err, errlen) != 0)
        goto fail;
    s->tx_fd = bfd_sock_tx_open(s->has_local ? &s->local : NULL, cfg->dev, cfg->mark,
                                s->remote.ss_family, bfd_random(c), err, errlen);
    if (s->tx_fd < 0)
        goto fail;
    if (!(s->desc = describe(s, cfg)) || bfd_ctx_attach(c, s) != 0) {
        snprintf(err, errlen, "out of memory or sessions (at most %u)", BFD_SLOT_MAX);
        goto fail;
    }
    uint32_t disc = (bfd_random(c) & ~BFD_SLOT_MAX) | (s->slot + 1);
    bfd_fsm_init(&s->f, disc, cfg->min_tx_us, cfg->min_rx_us, cfg->multiplier, cfg->passive);
    s->fn = fn;
    s->fn_ctx = ctx;
    s->last_change = ms(bfd_now_us());
    ev_init(&s->tx_w, tx_cb);
    ev_init(&s->detect_w, detect_cb);
    s->tx_w.data = s->detect_w.data = s;
    /* received packets (EV_MAXPRI), then transmissions, then detection */
    ev_set_priority(&s->tx_w, EV_MAXPRI - 1);
    ev_set_priority(&s->detect_w, EV_MINPRI);
    /* the first packet goes out within a (jittered) slow interval */
    if (bfd_fsm_may_send(&s->f)) {
        ev_timer_set(&s->tx_w, sec(bfd_random(c) % 100000u), 0.);
        ev_timer_start(c->loop, &s->tx_w);
    }
    bfd_session_status(s, &s->reported);
    return s;
fail:
    if (s->tx_fd >= 0)
        close(s->tx_fd);
    free(s->desc);
    free(s->dev);
    free(s->label);
    free(s);
    return NULL;
}

int bfd_session_set_params(struct bfd_session *s, uint32_t min_tx_us, uint32_t min_rx_us,
                           uint8_t multiplier)
{
    enum hl_bfd_state old = s->f.state;

    if (min_tx_us < INTERVAL_MIN_US || min_tx_us > INTERVAL_MAX_US || min_rx_us < INTERVAL_MIN_US ||
        min_rx_us > INTERVAL_MAX_US || multiplier == 0)
        return -1;
    unsigned out = bfd_fsm_set_params(&s->f, min_tx_us, min_rx_us, multiplier);
    if (out & BFD_OUT_PARAMS && s->f.poll && bfd_fsm_may_send(&s->f))
        send_pkt(s, false); /* start the poll sequence now */
    act(s, out, old, bfd_now_us());
    return 0;
}

void bfd_session_set_admin_down(struct bfd_session *s, bool down)
{
    enum hl_bfd_state old = s->f.state;

    act(s, bfd_fsm_set_admin_down(&s->f, down), old, bfd_now_us());
}

void bfd_session_status(const struct bfd_session *s, struct hl_bfd_status *out)
{
    uint64_t det = bfd_fsm_detect_time(&s->f);

    *out = (struct hl_bfd_status){
        .state = s->f.state,
        .local_diag = s->f.down_diag,
        .remote_diag = s->f.remote_diag,
        .local_disc = s->f.local_disc,
        .remote_disc = s->f.remote_disc,
        .tx_interval_us = bfd_fsm_tx_interval(&s->f),
        .rx_interval_us = bfd_fsm_rx_interval(&s->f),
        .detect_time_us = det > UINT32_MAX ? UINT32_MAX : (uint32_t)det,
        .remote_multiplier = s->f.remote_mult,
        .last_change = s->last_change,
        .tx_packets = s->tx_packets,
        .rx_packets = s->rx_packets,
        .rx_dropped = s->rx_dropped,
        .last_rx = ms(s->f.last_rx),
        .poll = s->f.poll,
        .min_ttl = s->min_ttl,
    };
}

void bfd_session_free(struct bfd_session *s)
{
    if (!s)
        return;
    /* tell the peer (6.8.16) rather than let it time out */
    if (s->f.state != HL_BFD_ADMIN_DOWN)
        bfd_fsm_set_admin_down(&s->f, true);
    send_pkt(s, false);
    ev_timer_stop(s->c->loop, &s->tx_w);
    ev_timer_stop(s->c->loop, &s->detect_w);
    bfd_ctx_detach(s->c, s);
    close(s->tx_fd);
    free(s->desc);
    free(s->dev);
    free(s->label);
    free(s);
}
