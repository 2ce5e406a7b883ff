/*
 * bfd_packet: BFD Control packet encoding and the session-independent
 * reception checks (RFC 5880 sections 4.1 and 6.8.6).
 *
 * Threading: pure functions, any thread.
 */
#include "bfd_packet.h"

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void bfd_pkt_encode(const struct bfd_pkt *p, uint8_t out[BFD_PKT_LEN])
{
    out[0] = (uint8_t)(BFD_VERSION << 5 | (p->diag & 0x1f));
    out[1] = (uint8_t)((p->state & 0x3) << 6 | (p->flags & 0x3f));
    out[2] = p->mult;
    out[3] = BFD_PKT_LEN;
    put32(out + 4, p->my_disc);
    put32(out + 8, p->your_disc);
    put32(out + 12, p->min_tx_us);
    put32(out + 16, p->min_rx_us);
    put32(out + 20, p->min_echo_rx_us);
}

enum bfd_pkt_err bfd_pkt_decode(const uint8_t *buf, size_t len, struct bfd_pkt *p)
{
    if (len < BFD_PKT_LEN)
        return BFD_PKT_SHORT;
    if (buf[0] >> 5 != BFD_VERSION)
        return BFD_PKT_VERSION;
    if (buf[3] < BFD_PKT_LEN)
        return BFD_PKT_SHORT;
    if (buf[3] > len)
        return BFD_PKT_LENGTH;
    p->diag = buf[0] & 0x1f;
    p->state = buf[1] >> 6;
    p->flags = buf[1] & 0x3f;
    p->mult = buf[2];
    p->my_disc = get32(buf + 4);
    p->your_disc = get32(buf + 8);
    p->min_tx_us = get32(buf + 12);
    p->min_rx_us = get32(buf + 16);
    p->min_echo_rx_us = get32(buf + 20);
    if (p->mult == 0)
        return BFD_PKT_MULT;
    if (p->flags & BFD_FLAG_M)
        return BFD_PKT_MULTIPT;
    if (p->my_disc == 0)
        return BFD_PKT_MY_DISC;
    if (p->flags & BFD_FLAG_A)
        return BFD_PKT_AUTH;
    /* states 2 (Init) and 3 (Up) need the peer to know us */
    if (p->your_disc == 0 && p->state >= 2)
        return BFD_PKT_YOUR_ZERO;
    return BFD_PKT_OK;
}

const char *bfd_pkt_err_name(enum bfd_pkt_err e)
{
    switch (e) {
    case BFD_PKT_OK:
        return "ok";
    case BFD_PKT_SHORT:
        return "shorter than 24 bytes";
    case BFD_PKT_VERSION:
        return "version is not 1";
    case BFD_PKT_LENGTH:
        return "length field exceeds the datagram";
    case BFD_PKT_MULT:
        return "detect multiplier is zero";
    case BFD_PKT_MULTIPT:
        return "multipoint bit set";
    case BFD_PKT_MY_DISC:
        return "my discriminator is zero";
    case BFD_PKT_AUTH:
        return "authentication bit set (not supported)";
    case BFD_PKT_YOUR_ZERO:
        return "your discriminator is zero in state Init or Up";
    }
    return "unknown";
}
