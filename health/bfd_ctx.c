/*
 * bfd_ctx: one BFD context per libev loop: the receive sockets (single hop
 * 3784 and multihop 4784, IPv4 and IPv6, opened on first use), the checks of
 * each datagram (RFC 5880 6.8.6, the TTL rules of RFC 5881 section 5 and RFC
 * 5883 section 2) and the choice of its session: by Your Discriminator, or
 * by addresses and interface while it is zero (the destination must be the
 * session's source address either way), and the loop checks.
 *
 * Threading: the loop's thread only; callbacks run there and never block.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bfd_int.h"

#define RX_BURST 64 /* datagrams per wakeup, then other watchers get a turn */

uint64_t bfd_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint32_t bfd_random(struct bfd_ctx *c)
{
    /* xorshift64*: jitter and port choice need spread, not secrecy */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return (uint32_t)((c->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

void bfd_logf(struct bfd_ctx *c, int level, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;

    if (!c->log)
        return;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    c->log(level, n >= 0 ? msg : "out of memory formatting a log line", c->log_ctx);
    if (n >= 0)
        free(msg);
}

static void rx_cb(struct ev_loop *loop, ev_io *w, int revents);

struct bfd_ctx *bfd_ctx_new(struct ev_loop *loop, bfd_log_fn log, void *log_ctx)
{
    struct bfd_ctx *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->loop = loop;
    c->log = log;
    c->log_ctx = log_ctx;
    for (int i = 0; i < 4; i++)
        c->rx_fd[i] = -1;
    if (getrandom(&c->rng, sizeof(c->rng), 0) != sizeof(c->rng))
        c->rng = bfd_now_us() ^ (uint64_t)getpid() << 32;
    c->rng |= 1;
    return c;
}

void bfd_ctx_free(struct bfd_ctx *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->n_slots; i++)
        if (c->slots[i])
            bfd_session_free(c->slots[i]);
    for (int i = 0; i < 4; i++) {
        if (c->rx_fd[i] >= 0) {
            ev_io_stop(c->loop, &c->rx_w[i]);
            close(c->rx_fd[i]);
        }
    }
    free(c->slots);
    free(c);
}

uint64_t bfd_ctx_dropped(const struct bfd_ctx *c)
{
    return c->dropped;
}

uint64_t bfd_ctx_dropped_auth(const struct bfd_ctx *c)
{
    return c->dropped_auth;
}

uint64_t bfd_ctx_dropped_loop(const struct bfd_ctx *c)
{
    return c->dropped_loop;
}

size_t bfd_ctx_sessions(const struct bfd_ctx *c)
{
    return c->n_sessions;
}

int bfd_ctx_listen(struct bfd_ctx *c, int family, bool multihop, char *err, size_t errlen)
{
    int i = (family == AF_INET6) * 2 + multihop;

    if (c->rx_fd[i] >= 0)
        return 0;
    c->rx_fd[i] =
        bfd_sock_rx_open(family, multihop ? BFD_PORT_MULTI : BFD_PORT_SINGLE, err, errlen);
    if (c->rx_fd[i] < 0)
        return -1;
    ev_io_init(&c->rx_w[i], rx_cb, c->rx_fd[i], EV_READ);
    /* packets first: a detection timer due in the same loop iteration must
     * see the packets already waiting (libev runs timers before I/O of the
     * same priority) */
    ev_set_priority(&c->rx_w[i], EV_MAXPRI);
    c->rx_w[i].data = c;
    ev_io_start(c->loop, &c->rx_w[i]);
    return 0;
}

int bfd_ctx_attach(struct bfd_ctx *c, struct bfd_session *s)
{
    uint32_t i;

    for (i = 0; i < c->n_slots && c->slots[i]; i++)
        ;
    if (i == c->n_slots) {
        if (c->n_slots == BFD_SLOT_MAX)
            return -1;
        if (c->n_slots == c->cap) {
            uint32_t cap = c->cap ? c->cap * 2 : 16;
            if (cap > BFD_SLOT_MAX)
                cap = BFD_SLOT_MAX;
            struct bfd_session **n = realloc(c->slots, cap * sizeof(*n));
            if (!n)
                return -1;
            c->slots = n;
            c->cap = cap;
        }
        c->n_slots++;
    }
    c->slots[i] = s;
    s->slot = i;
    c->n_sessions++;
    return 0;
}

void bfd_ctx_detach(struct bfd_ctx *c, struct bfd_session *s)
{
    c->slots[s->slot] = NULL;
    c->n_sessions--;
}

/* Your Discriminator zero: the one session of these addresses (remote =
 * source, session's source = destination) and interface (single hop). NULL
 * when none, or when more than one would take it (*ambiguous). */
static struct bfd_session *by_addr(struct bfd_ctx *c, const struct bfd_rxinfo *ri, bool mh,
                                   bool *ambiguous)
{
    struct bfd_session *found = NULL;

    *ambiguous = false;
    for (uint32_t i = 0; i < c->n_slots; i++) {
        struct bfd_session *s = c->slots[i];
        if (!s || s->multihop != mh || !bfd_addr_equal(&s->remote, &ri->src))
            continue;
        if (!mh && s->ifindex && s->ifindex != ri->ifindex)
            continue;
        if (!bfd_session_src_is(s, &ri->dst))
            continue;
        if (found) {
            *ambiguous = true;
            return NULL;
        }
        found = s;
    }
    return found;
}

static struct bfd_session *by_disc(struct bfd_ctx *c, uint32_t disc)
{
    uint32_t slot = (disc & BFD_SLOT_MAX) - 1;

    if ((disc & BFD_SLOT_MAX) == 0 || slot >= c->n_slots || !c->slots[slot])
        return NULL;
    return c->slots[slot]->f.local_disc == disc ? c->slots[slot] : NULL;
}

/* The sender's address and interface, and the address it was sent to, must
 * be the session's even when it was found by discriminator. */
static bool admissible(struct bfd_session *s, const struct bfd_rxinfo *ri)
{
    if (!bfd_addr_equal(&s->remote, &ri->src))
        return false;
    if (!s->multihop && s->ifindex && s->ifindex != ri->ifindex)
        return false;
    return bfd_session_src_is(s, &ri->dst);
}

/* The TTL rules: 255 for single hop (RFC 5881 5, s->min_ttl is 255), at
 * least min_ttl for multihop (RFC 5883 2). The first packet of a session
 * that fails it is logged as a warning (the peer's TTL is what an operator
 * needs to choose bfd.min_ttl); later ones are counted only. */
static bool ttl_ok(struct bfd_ctx *c, struct bfd_session *s, const struct bfd_rxinfo *ri)
{
    if (ri->ttl >= s->min_ttl)
        return true;
    if (!s->ttl_warned) {
        s->ttl_warned = true;
        bfd_logf(c, 1,
                 "%s: dropped a packet with TTL %d, below the %s %u (%s); further ones "
                 "are only counted (rx_dropped)",
                 s->desc, ri->ttl, s->multihop ? "configured min_ttl" : "single hop's", s->min_ttl,
                 s->multihop ? "the peer sends a lower TTL: lower bfd.min_ttl, or leave it unset "
                               "to accept any"
                             : "RFC 5881: the peer is not directly connected, or does not send "
                               "255");
    }
    return false;
}

static void drop(struct bfd_ctx *c, struct bfd_session *s, enum bfd_pkt_err e,
                 const struct bfd_rxinfo *ri, const char *why)
{
    char a[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

    c->dropped++;
    if (e == BFD_PKT_AUTH)
        c->dropped_auth++;
    if (s)
        s->rx_dropped++;
    if (c->log) {
        bfd_addr_str(&ri->src, a, sizeof(a));
        bfd_addr_str(&ri->dst, d, sizeof(d));
        bfd_logf(c, 3, "%s%sdropped a packet from %s to %s (TTL %d): %s", s ? s->desc : "",
                 s ? ": " : "", a, d, ri->ttl, e != BFD_PKT_OK ? bfd_pkt_err_name(e) : why);
    }
}

static void drop_loop(struct bfd_ctx *c, struct bfd_session *s, const struct bfd_rxinfo *ri,
                      const char *why)
{
    c->dropped_loop++;
    drop(c, s, BFD_PKT_OK, ri, why);
}

/* The session this valid packet is for, or NULL (dropped and counted). */
static struct bfd_session *select_session(struct bfd_ctx *c, const struct bfd_pkt *p,
                                          const struct bfd_rxinfo *ri, bool mh)
{
    bool ambiguous = false;
    struct bfd_session *s;

    if (bfd_addr_equal(&ri->src, &ri->dst)) {
        drop_loop(c, NULL, ri, "looped: sent from one of our addresses to itself");
        return NULL;
    }
    s = p->your_disc ? by_disc(c, p->your_disc) : by_addr(c, ri, mh, &ambiguous);
    if (!s || s->multihop != mh) {
        drop(c, NULL, BFD_PKT_OK, ri,
             p->your_disc ? "unknown discriminator"
             : ambiguous  ? "more than one session has these addresses"
                          : "no session for its addresses");
        return NULL;
    }
    if (p->my_disc == s->f.local_disc) {
        drop_loop(c, s, ri, "looped: My Discriminator is the session's own");
        return NULL;
    }
    if (!admissible(s, ri)) {
        drop(c, s, BFD_PKT_OK, ri, "wrong address or interface for its session");
        return NULL;
    }
    if (!ttl_ok(c, s, ri)) {
        drop(c, s, BFD_PKT_OK, ri, "TTL below the session's minimum");
        return NULL;
    }
    return s;
}

static void datagram(struct bfd_ctx *c, const uint8_t *buf, long n, const struct bfd_rxinfo *ri,
                     bool mh)
{
    struct bfd_pkt p;
    enum bfd_pkt_err e = bfd_pkt_decode(buf, (size_t)n, &p);
    struct bfd_session *s;

    if (e != BFD_PKT_OK) {
        /* an authenticated packet is counted on its session when it names one */
        s = e == BFD_PKT_AUTH && n >= BFD_PKT_LEN ? by_disc(c, p.your_disc) : NULL;
        drop(c, s, e, ri, NULL);
        return;
    }
    if ((s = select_session(c, &p, ri, mh)))
        bfd_session_input(s, &p, bfd_now_us());
}

static void rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct bfd_ctx *c = w->data;
    bool mh = w == &c->rx_w[1] || w == &c->rx_w[3];
    uint8_t buf[512];
    struct bfd_rxinfo ri;

    for (int i = 0; i < RX_BURST; i++) {
        long n = bfd_sock_recv(w->fd, buf, sizeof(buf), &ri);
        if (n == 0)
            return;
        if (n < 0) {
            if (errno != EINTR)
                bfd_logf(c, 1, "receive on UDP %u: %s", mh ? BFD_PORT_MULTI : BFD_PORT_SINGLE,
                         strerror(errno));
            return;
        }
        datagram(c, buf, n > (long)sizeof(buf) ? (long)sizeof(buf) : n, &ri, mh);
    }
}
