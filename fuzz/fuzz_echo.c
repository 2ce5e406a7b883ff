/*
 * fuzz_echo: arbitrary bytes as packets received by an echo probe
 * (health/echo_wire.c) and as a sequence of window events
 * (health/echo_window.c).
 *
 * Input: byte 0 picks the kind (ICMPv4 with its IP header, ICMPv6, UDP); the
 * rest is the packet, checked against the probe (id 0x4242, cookie below).
 * The same bytes then drive a window of 8 slots: each byte sends, replies to
 * a recent sequence or expires. Checked: a match is only ever reported for a
 * packet long enough to hold what it carries, with the sequence of its
 * payload; the window's figures stay consistent (received <= sent <= size,
 * loss within 0..100, jitter and RTT not negative, valid as defined).
 *
 * Threading: single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "echo_window.h"
#include "echo_wire.h"

#define ID     0x4242
#define COOKIE 0x5a5a5a5a01020304ull

static void check(int ok)
{
    if (!ok)
        abort();
}

static void fuzz_parse(const uint8_t *data, size_t size)
{
    enum echo_wire_kind kind = (enum echo_wire_kind)(data[0] % 3);
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    uint64_t seq = UINT64_MAX;

    if (echo_wire_parse(kind, p, n, ID, COOKIE, &seq) != ECHO_WIRE_MATCH)
        return;
    size_t off = kind == ECHO_WIRE_UDP ? 0 : ECHO_ICMP_HDR;
    if (kind == ECHO_WIRE_ICMP4)
        off += (size_t)(p[0] & 0x0f) * 4;
    check(n >= off + ECHO_PAYLOAD_MIN);
    check(echo_wire_get64(p + off) == COOKIE);
    check(echo_wire_get64(p + off + 8) == seq);
    if (kind != ECHO_WIRE_UDP)
        check((uint64_t)(p[off - 2] << 8 | p[off - 1]) == (seq & 0xffff));
}

static void fuzz_window(const uint8_t *data, size_t size)
{
    struct echo_window w;
    uint64_t now = 0;
    struct hl_echo_stats st;

    if (echo_window_init(&w, 8, 2) != 0)
        abort();
    for (size_t i = 0; i < size; i++) {
        now += data[i] & 0x0f;
        switch (data[i] >> 6) {
        case 0:
            echo_window_sent(&w, now);
            break;
        case 1:
            echo_window_reply(&w, w.next_seq - 1 - ((data[i] >> 4) & 3), now);
            break;
        default:
            echo_window_expire(&w, now, 20);
            break;
        }
        echo_window_stats(&w, &st);
        check(st.received <= st.sent && st.sent <= w.size);
        check(st.loss_pct >= 0.0 && st.loss_pct <= 100.0);
        check(st.rtt_avg_ms >= 0.0 && st.jitter_ms >= 0.0);
        check(st.valid == (w.completed >= w.size || st.lost_in_row >= 2));
    }
    echo_window_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fuzz_parse(data, size);
    fuzz_window(data, size);
    return 0;
}
