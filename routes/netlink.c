/*
 * netlink.c - the engine's request socket: batched requests (many messages
 * per sendmsg, every one acknowledged and matched back to its caller's
 * index by sequence number) and dumps. Built on libnl's socket, send and
 * receive functions.
 *
 * Threading: one rt_nl belongs to one engine; called with its mutex held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* A window must fit in the socket's receive buffer as acknowledgements
 * (each ack is a small skb, ~1 KiB of truesize) and in one sendmsg. */
#define RT_WINDOW_MSGS  1024
#define RT_WINDOW_BYTES (120 * 1024)
#define RT_RCVBUF       (16 * 1024 * 1024)
#define RT_SNDBUF       (1024 * 1024)
#define RT_MSGBUF       (64 * 1024)
#define RT_ACK_TIMEOUT  10 /* seconds without any reply: give up */
/* chunks from other processes dropped before one read gives up */
#define RT_MAX_FOREIGN_CHUNKS 4096

static void set_buf(int fd, int force_opt, int opt, int size)
{
    if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

int rt_nl_open(struct rt_nl *nl, char *err, size_t errlen)
{
    int one = 1, fd, rc;
    struct timeval tv = {.tv_sec = RT_ACK_TIMEOUT};

    memset(nl, 0, sizeof(*nl));
    nl->sk = nl_socket_alloc();
    if (!nl->sk) {
        snprintf(err, errlen, "cannot allocate a netlink socket");
        return -ENOMEM;
    }
    rc = nl_connect(nl->sk, NETLINK_ROUTE);
    if (rc < 0) {
        snprintf(err, errlen, "cannot open an rtnetlink socket: %s", nl_geterror(rc));
        nl_socket_free(nl->sk);
        nl->sk = NULL;
        return -EIO;
    }
    fd = nl_socket_get_fd(nl->sk);
    set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, RT_RCVBUF);
    set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, RT_SNDBUF);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    /* kernel error strings in acks; acks without the request echoed;
     * dump filters (table, protocol) honoured by the kernel */
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    if (setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one)) < 0) {
        snprintf(err, errlen, "kernel lacks NETLINK_GET_STRICT_CHK (expected Linux >= 4.20)");
        rt_nl_close(nl);
        return -EOPNOTSUPP;
    }
    /* a fixed buffer disables libnl's MSG_PEEK double read */
    nl_socket_set_msg_buf_size(nl->sk, RT_MSGBUF);
    nl->portid = nl_socket_get_local_port(nl->sk);
    nl->seq = (uint32_t)time(NULL);
    nl->out_cap = RT_WINDOW_BYTES + RT_MSGBUF;
    nl->out = malloc(nl->out_cap);
    if (!nl->out) {
        snprintf(err, errlen, "out of memory");
        rt_nl_close(nl);
        return -ENOMEM;
    }
    return 0;
}

void rt_nl_close(struct rt_nl *nl)
{
    if (nl->sk)
        nl_socket_free(nl->sk);
    free(nl->out);
    memset(nl, 0, sizeof(*nl));
}

/* the message is a NUL-terminated string (libnl checks it) */
static struct nla_policy extack_policy[NLMSGERR_ATTR_MAX + 1] = {
    [NLMSGERR_ATTR_MSG] = {.type = NLA_STRING, .minlen = 1},
};

static const char *extack_msg(struct nlmsghdr *hdr)
{
    struct nlmsgerr *e = nlmsg_data(hdr);
    struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
    size_t off = sizeof(*e), total = (size_t)nlmsg_datalen(hdr);

    if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
        return NULL;
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
        off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
    if (off >= total)
        return NULL;
    if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off), (int)(total - off),
                  extack_policy) < 0)
        return NULL;
    if (!tb[NLMSGERR_ATTR_MSG] || nla_len(tb[NLMSGERR_ATTR_MSG]) < 1)
        return NULL;
    /* the kernel NUL-terminates the string */
    return nla_data(tb[NLMSGERR_ATTR_MSG]);
}

/* Reads the next chunk the kernel sent. Anything another process sent to
 * this socket's port (nl_pid not 0) is dropped unread: a local process
 * could otherwise answer a request in the kernel's place. */
static int recv_chunk(struct rt_nl *nl, unsigned char **buf)
{
    for (int dropped = 0; dropped < RT_MAX_FOREIGN_CHUNKS; dropped++) {
        struct sockaddr_nl peer = {0};
        int n = nl_recv(nl->sk, &peer, buf, NULL);
        if (n == 0 || n == -NLE_AGAIN)
            return -ETIMEDOUT; /* SO_RCVTIMEO expired */
        if (n == -NLE_NOMEM)
            return -ENOBUFS; /* libnl's mapping of ENOBUFS: replies were lost */
        if (n < 0)
            return -EIO;
        if (peer.nl_pid == 0)
            return n;
        free(*buf);
        *buf = NULL;
    }
    return -EIO; /* flooded by another process */
}

const char rt_nl_ack_lost[] = "acknowledgement lost";
const char rt_nl_send_failed[] = "sending to the kernel failed";
const char rt_nl_build_failed[] = "cannot build the request";

const char *rt_nl_failure_prefix(const char *extack, bool unsent)
{
    if (unsent || extack == rt_nl_send_failed || extack == rt_nl_build_failed)
        return "request not sent:";
    if (extack == rt_nl_ack_lost)
        return "outcome unknown (acknowledgement lost):";
    return "kernel refused";
}

const char *rt_nl_kernel_extack(const char *extack)
{
    if (extack == rt_nl_ack_lost || extack == rt_nl_send_failed || extack == rt_nl_build_failed)
        return NULL;
    return extack;
}

/* One window of a batch in flight: which request each sequence number is. */
struct window {
    size_t map[RT_WINDOW_MSGS];
    bool acked[RT_WINDOW_MSGS];
    size_t k;      /* requests in the window */
    uint32_t seq0; /* sequence number of the first */
};

/* Fills the output buffer with requests from *i on (a request that cannot
 * be built is acknowledged with -ENOMEM at once). */
static void fill_window(struct rt_nl *nl, struct window *w, size_t *i, size_t n, rt_build_fn build,
                        rt_ack_fn ack, void *ctx)
{
    w->k = 0;
    w->seq0 = nl->seq;
    nl->out_len = 0;
    while (*i < n && w->k < RT_WINDOW_MSGS && nl->out_len < RT_WINDOW_BYTES) {
        struct nl_msg *msg = build(ctx, *i);
        struct nlmsghdr *hdr;
        if (!msg) {
            ack(ctx, (*i)++, -ENOMEM, rt_nl_build_failed);
            continue;
        }
        hdr = nlmsg_hdr(msg);
        hdr->nlmsg_seq = w->seq0 + (uint32_t)w->k;
        hdr->nlmsg_pid = nl->portid;
        hdr->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        memcpy(nl->out + nl->out_len, hdr, hdr->nlmsg_len);
        nl->out_len += NLMSG_ALIGN(hdr->nlmsg_len);
        nlmsg_free(msg);
        w->map[w->k] = (*i)++;
        w->acked[w->k] = false;
        w->k++;
    }
    nl->seq = w->seq0 + (uint32_t)w->k;
}

/* Reads acknowledgements until every request of the window has one; 0, or
 * the socket's negative errno (the missing ones are reported as lost). */
static int collect_acks(struct rt_nl *nl, struct window *w, rt_ack_fn ack, void *ctx)
{
    size_t pending = w->k;

    while (pending) {
        unsigned char *buf = NULL;
        struct nlmsghdr *hdr;
        int len = recv_chunk(nl, &buf);
        if (len < 0) {
            for (size_t j = 0; j < w->k; j++)
                if (!w->acked[j])
                    ack(ctx, w->map[j], len, rt_nl_ack_lost);
            return len;
        }
        hdr = (struct nlmsghdr *)buf;
        for (; nlmsg_ok(hdr, len); hdr = nlmsg_next(hdr, &len)) {
            uint32_t off = hdr->nlmsg_seq - w->seq0;
            struct nlmsgerr *e;
            if (hdr->nlmsg_type != NLMSG_ERROR || off >= w->k || w->acked[off] ||
                nlmsg_datalen(hdr) < (int)sizeof(*e))
                continue;
            e = nlmsg_data(hdr);
            w->acked[off] = true;
            pending--;
            ack(ctx, w->map[off], e->error, e->error ? extack_msg(hdr) : NULL);
        }
        free(buf);
    }
    return 0;
}

int rt_nl_batch(struct rt_nl *nl, size_t n, rt_build_fn build, rt_ack_fn ack, rt_idle_fn idle,
                void *ctx)
{
    struct window w;
    size_t i = 0;

    while (i < n) {
        int rc;
        fill_window(nl, &w, &i, n, build, ack, ctx);
        if (!w.k)
            continue;
        rc = nl_sendto(nl->sk, nl->out, nl->out_len);
        if (rc < 0) {
            for (size_t j = 0; j < w.k; j++)
                ack(ctx, w.map[j], -EIO, rt_nl_send_failed);
            return -EIO;
        }
        nl->sent += w.k;
        rc = collect_acks(nl, &w, ack, ctx);
        if (rc < 0)
            return rc;
        if (idle && i < n)
            idle(ctx);
    }
    return 0;
}

void rt_nl_discard(struct rt_nl *nl)
{
    int fd = nl_socket_get_fd(nl->sk);
    /* bounded: a socket cannot hold more than its receive buffer */
    for (int i = 0; i < 1000000; i++) {
        ssize_t r = recv(fd, nl->out, nl->out_cap, MSG_DONTWAIT);
        if (r < 0 && (errno == EINTR || errno == ENOBUFS))
            continue;
        if (r <= 0)
            return; /* EAGAIN: empty */
    }
}

int rt_nl_dump(struct rt_nl *nl, struct nl_msg *req, rt_dump_fn cb, void *ctx)
{
    struct nlmsghdr *rh = nlmsg_hdr(req);
    uint32_t seq = nl->seq++;
    bool interrupted = false;
    int rc;

    rh->nlmsg_seq = seq;
    rh->nlmsg_pid = nl->portid;
    rh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
    rc = nl_sendto(nl->sk, rh, rh->nlmsg_len);
    nlmsg_free(req);
    if (rc < 0)
        return -EIO;
    nl->dumps++;
    for (;;) {
        unsigned char *buf = NULL;
        struct nlmsghdr *hdr;
        int len = recv_chunk(nl, &buf);
        int result = 1; /* 1: continue reading */
        if (len < 0)
            return len;
        hdr = (struct nlmsghdr *)buf;
        for (; nlmsg_ok(hdr, len) && result == 1; hdr = nlmsg_next(hdr, &len)) {
            if (hdr->nlmsg_seq != seq)
                continue;
            if (hdr->nlmsg_flags & NLM_F_DUMP_INTR)
                interrupted = true;
            if (hdr->nlmsg_type == NLMSG_DONE) {
                int *err = nlmsg_data(hdr);
                result = nlmsg_datalen(hdr) >= (int)sizeof(int) && *err < 0 ? *err : 0;
            } else if (hdr->nlmsg_type == NLMSG_ERROR) {
                struct nlmsgerr *e = nlmsg_data(hdr);
                result = nlmsg_datalen(hdr) >= (int)sizeof(*e) ? e->error : -EINVAL;
            } else {
                int r = cb(ctx, hdr);
                if (r < 0)
                    result = r;
            }
        }
        free(buf);
        if (result != 1) {
            if (result == 0 && interrupted)
                return -EINTR; /* the set changed during the dump: redo */
            return result;
        }
    }
}
