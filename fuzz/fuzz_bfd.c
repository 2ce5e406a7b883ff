/*
 * fuzz_bfd: libFuzzer harness of the BFD packet decoder (health/bfd_packet)
 * and of the state machine fed with what it accepts (health/bfd_fsm).
 * Invariants: an accepted packet encodes back to the same 24 bytes (Length
 * normalised); the session's state, intervals and detection deadline stay
 * sane whatever a peer sends (no overflow, no zero transmit interval while
 * sending, P and F never together); a refusal has a name.
 *
 * Input: a sequence of datagrams, each a length byte then that many bytes;
 * odd length bytes also let the detection timer expire before the datagram.
 *
 * Threading: single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_fsm.h"
#include "bfd_packet.h"

static void check_roundtrip(const uint8_t *d, const struct bfd_pkt *p)
{
    uint8_t out[BFD_PKT_LEN];

    bfd_pkt_encode(p, out);
    if (memcmp(out, d, 3) != 0 || memcmp(out + 4, d + 4, BFD_PKT_LEN - 4) != 0 ||
        out[3] != BFD_PKT_LEN)
        abort();
}

static void check_fsm(const struct bfd_fsm *f)
{
    struct bfd_pkt p;

    if (f->state > HL_BFD_UP || f->remote_state > HL_BFD_UP)
        abort();
    if (bfd_fsm_may_send(f) && bfd_fsm_tx_interval(f) == 0)
        abort();
    if (f->state != HL_BFD_UP && (f->adv_tx < BFD_SLOW_TX_US || f->poll))
        abort(); /* slow rate and no poll sequence until Up */
    if (f->eff_tx == 0 || f->eff_rx == 0)
        abort();
    bfd_fsm_build(f, false, &p);
    if ((p.flags & BFD_FLAG_P) && (p.flags & BFD_FLAG_F))
        abort();
    if (bfd_fsm_jitter(bfd_fsm_tx_interval(f), f->mult, 0xffffffffu) > bfd_fsm_tx_interval(f))
        abort();
    uint64_t dl = bfd_fsm_detect_deadline(f);
    if (dl && dl < f->last_rx)
        abort(); /* overflowed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bfd_fsm f;
    uint64_t now = 1000000;

    bfd_fsm_init(&f, 0x12300001, 50000, 50000, 3, false);
    while (size > 0) {
        size_t len = data[0];
        data++;
        size--;
        if (len > size)
            len = size;
        if (len & 1)
            now = bfd_fsm_detect_deadline(&f) ? bfd_fsm_detect_deadline(&f) : now;
        bfd_fsm_timeout(&f, now);
        struct bfd_pkt p;
        enum bfd_pkt_err e = bfd_pkt_decode(data, len, &p);
        if (e == BFD_PKT_OK) {
            check_roundtrip(data, &p);
            now += 1000;
            bfd_fsm_rx(&f, &p, now);
        } else if (!bfd_pkt_err_name(e)[0]) {
            abort();
        }
        if (len == 1)
            bfd_fsm_set_params(&f, 20000 + data[0] * 1000u, 30000, (uint8_t)(1 + data[0] % 5));
        check_fsm(&f);
        data += len;
        size -= len;
    }
    return 0;
}
