/*
 * bfd_packet: the BFD Control packet of RFC 5880 section 4.1 (the 24-byte
 * mandatory section; authentication is not supported) to and from bytes,
 * with the reception checks of section 6.8.6 that need no session.
 *
 * Threading: pure functions, any thread.
 */
#ifndef TUNNELD_BFD_PACKET_H
#define TUNNELD_BFD_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFD_PKT_LEN     24
#define BFD_VERSION     1
#define BFD_PORT_SINGLE 3784 /* RFC 5881 */
#define BFD_PORT_MULTI  4784 /* RFC 5883 */

/* flag bits of byte 1 (after the 2-bit state) */
#define BFD_FLAG_P 0x20 /* poll */
#define BFD_FLAG_F 0x10 /* final */
#define BFD_FLAG_C 0x08 /* control plane independent */
#define BFD_FLAG_A 0x04 /* authentication present */
#define BFD_FLAG_D 0x02 /* demand */
#define BFD_FLAG_M 0x01 /* multipoint (must be zero) */

struct bfd_pkt {
    uint8_t diag;  /* 5 bits */
    uint8_t state; /* 2 bits: enum hl_bfd_state 0..3 */
    uint8_t flags; /* BFD_FLAG_* */
    uint8_t mult;
    uint32_t my_disc, your_disc;
    uint32_t min_tx_us, min_rx_us, min_echo_rx_us;
};

/* Why a packet was refused before any session saw it. */
enum bfd_pkt_err {
    BFD_PKT_OK = 0,
    BFD_PKT_SHORT,    /* fewer than 24 bytes, or Length below 24 */
    BFD_PKT_VERSION,  /* version is not 1 */
    BFD_PKT_LENGTH,   /* Length field larger than what arrived */
    BFD_PKT_MULT,     /* detect multiplier zero */
    BFD_PKT_MULTIPT,  /* M bit set */
    BFD_PKT_MY_DISC,  /* My Discriminator zero */
    BFD_PKT_AUTH,     /* A bit set: authentication is not supported */
    BFD_PKT_YOUR_ZERO /* Your Discriminator zero in state Init or Up */
};

/* Writes 24 bytes into out (at least BFD_PKT_LEN long). */
void bfd_pkt_encode(const struct bfd_pkt *p, uint8_t out[BFD_PKT_LEN]);
/* Decodes and checks len bytes; BFD_PKT_OK or why not (p is then unspecified). */
enum bfd_pkt_err bfd_pkt_decode(const uint8_t *buf, size_t len, struct bfd_pkt *p);
const char *bfd_pkt_err_name(enum bfd_pkt_err e);

#endif
