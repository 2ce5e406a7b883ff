/*
 * Unit tests of health/bfd_packet: the RFC 5880 4.1 layout byte by byte and
 * every reception check of 6.8.6 that needs no session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bfd_packet.h"

static const struct bfd_pkt sample = {
    .diag = 1,
    .state = 3,
    .flags = BFD_FLAG_P,
    .mult = 3,
    .my_disc = 0x01020304,
    .your_disc = 0x0a0b0c0d,
    .min_tx_us = 100000,
    .min_rx_us = 200000,
    .min_echo_rx_us = 0,
};

static void test_encode_layout(void **state)
{
    uint8_t b[BFD_PKT_LEN];

    bfd_pkt_encode(&sample, b);
    assert_int_equal(b[0], 0x21); /* version 1, diag 1 */
    assert_int_equal(b[1], 0xe0); /* Up (3) << 6 | P */
    assert_int_equal(b[2], 3);
    assert_int_equal(b[3], 24);
    assert_memory_equal(b + 4, "\x01\x02\x03\x04\x0a\x0b\x0c\x0d", 8);
    assert_memory_equal(b + 12, "\x00\x01\x86\xa0\x00\x03\x0d\x40\x00\x00\x00\x00", 12);
}

static void test_roundtrip(void **state)
{
    uint8_t b[BFD_PKT_LEN];
    struct bfd_pkt p;

    bfd_pkt_encode(&sample, b);
    assert_int_equal(bfd_pkt_decode(b, sizeof(b), &p), BFD_PKT_OK);
    assert_memory_equal(&p, &sample, sizeof(p));
}

static enum bfd_pkt_err mutate(size_t len, int byte, uint8_t val)
{
    uint8_t b[64] = {0};
    struct bfd_pkt p;

    bfd_pkt_encode(&sample, b);
    if (byte >= 0)
        b[byte] = val;
    return bfd_pkt_decode(b, len, &p);
}

static void test_checks(void **state)
{
    assert_int_equal(mutate(23, -1, 0), BFD_PKT_SHORT);
    assert_int_equal(mutate(0, -1, 0), BFD_PKT_SHORT);
    assert_int_equal(mutate(24, 0, 0x41), BFD_PKT_VERSION); /* version 2 */
    assert_int_equal(mutate(24, 0, 0x01), BFD_PKT_VERSION); /* version 0 */
    assert_int_equal(mutate(24, 3, 23), BFD_PKT_SHORT);
    assert_int_equal(mutate(24, 3, 25), BFD_PKT_LENGTH);
    assert_int_equal(mutate(25, 3, 25), BFD_PKT_OK); /* trailing bytes within Length */
    assert_int_equal(mutate(24, 2, 0), BFD_PKT_MULT);
    assert_int_equal(mutate(24, 1, 0xc1), BFD_PKT_MULTIPT);
    assert_int_equal(mutate(24, 1, 0xc4), BFD_PKT_AUTH);
    uint8_t b[BFD_PKT_LEN];
    struct bfd_pkt p = sample;
    p.my_disc = 0;
    bfd_pkt_encode(&p, b);
    assert_int_equal(bfd_pkt_decode(b, sizeof(b), &p), BFD_PKT_MY_DISC);
    /* Your Discriminator zero: only in Down and AdminDown */
    for (uint8_t st = 0; st < 4; st++) {
        p = sample;
        p.your_disc = 0;
        p.state = st;
        bfd_pkt_encode(&p, b);
        assert_int_equal(bfd_pkt_decode(b, sizeof(b), &p),
                         st >= 2 ? BFD_PKT_YOUR_ZERO : BFD_PKT_OK);
    }
}

static void test_names(void **state)
{
    for (int e = BFD_PKT_OK; e <= BFD_PKT_YOUR_ZERO; e++)
        assert_true(strlen(bfd_pkt_err_name((enum bfd_pkt_err)e)) > 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_layout),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
