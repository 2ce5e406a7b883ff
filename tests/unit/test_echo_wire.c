/*
 * Unit tests of the echo probes' packets (echo_wire.c): the RFC 1071
 * checksum, requests as built, and every reason a received packet is not
 * this probe's reply.
 *
 * Threading: single-threaded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "echo_wire.h"

#define ID     0xbeef
#define COOKIE 0x0123456789abcdefull

static void test_checksum_rfc1071(void **state)
{
    /* RFC 1071 section 3's example: the sum is ddf2, its complement 220d */
    const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(echo_wire_checksum(b, sizeof(b)), 0x220d);
    const uint8_t odd[] = {0x01}; /* padded with a zero byte: ~0x0100 */
    assert_int_equal(echo_wire_checksum(odd, 1), 0xfeff);
}

static void test_build_icmp4(void **state)
{
    uint8_t b[64];
    size_t n = echo_wire_build(ECHO_WIRE_ICMP4, ID, COOKIE, 0x10002, 20, b);

    assert_int_equal(n, 28);
    assert_int_equal(echo_wire_request_len(ECHO_WIRE_ICMP4, 20), 28);
    assert_int_equal(b[0], 8); /* echo request */
    assert_int_equal(b[1], 0);
    assert_int_equal(b[4] << 8 | b[5], ID);
    assert_int_equal(b[6] << 8 | b[7], 2); /* low 16 bits of the sequence */
    assert_int_equal(echo_wire_checksum(b, n), 0);
    assert_true(echo_wire_get64(b + 8) == COOKIE);
    assert_true(echo_wire_get64(b + 16) == 0x10002);
    assert_int_equal(b[24], 16); /* fill */
}

/* the reply an RFC 792 host makes of our request: IPv4 header + type 0 */
static size_t reply4(uint8_t *out, const uint8_t *req, size_t n, size_t ihl)
{
    memset(out, 0, ihl);
    out[0] = (uint8_t)(0x40 | ihl / 4);
    out[2] = (uint8_t)((ihl + n) >> 8);
    out[3] = (uint8_t)(ihl + n);
    out[8] = 64;
    out[9] = 1;
    memcpy(out + ihl, req, n);
    out[ihl] = 0;
    out[ihl + 2] = out[ihl + 3] = 0;
    uint16_t c = echo_wire_checksum(out + ihl, n);
    out[ihl + 2] = (uint8_t)(c >> 8);
    out[ihl + 3] = (uint8_t)c;
    return ihl + n;
}

static void test_parse_icmp4(void **state)
{
    uint8_t req[64], r[128];
    uint64_t seq = 0;
    size_t n = echo_wire_build(ECHO_WIRE_ICMP4, ID, COOKIE, 70000, 16, req);
    size_t m = reply4(r, req, n, 20);

    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_MATCH);
    assert_true(seq == 70000);
    /* with IP options (IHL 6) */
    m = reply4(r, req, n, 24);
    seq = 0;
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_MATCH);
    assert_true(seq == 70000);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID + 1, COOKIE, &seq),
                     ECHO_WIRE_OTHER_ID);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE + 1, &seq),
                     ECHO_WIRE_OTHER_COOKIE);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m - 1, ID, COOKIE, &seq),
                     ECHO_WIRE_SHORT); /* IP total length says one byte more */
    /* our own request looped back is not a reply */
    m = reply4(r, req, n, 20);
    r[20] = 8;
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_NOT_REPLY);
    /* a flipped payload bit breaks the checksum */
    m = reply4(r, req, n, 20);
    r[m - 1] ^= 1;
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq),
                     ECHO_WIRE_BAD_CHECKSUM);
    /* header sequence 70000 & 0xffff must agree with the payload's */
    m = reply4(r, req, n, 20);
    r[20 + 16 + 7] ^= 1; /* payload seq 70001 */
    r[20 + 2] = r[20 + 3] = 0;
    uint16_t c = echo_wire_checksum(r + 20, n);
    r[22] = (uint8_t)(c >> 8);
    r[23] = (uint8_t)c;
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq),
                     ECHO_WIRE_SEQ_MISMATCH);
}

static void test_parse_ip4_header(void **state)
{
    uint8_t req[64], r[128];
    uint64_t seq;
    size_t n = echo_wire_build(ECHO_WIRE_ICMP4, ID, COOKIE, 1, 16, req);
    size_t m = reply4(r, req, n, 20);

    r[9] = 17; /* UDP */
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_BAD_IP);
    r[9] = 1;
    r[0] = 0x44; /* IHL 16 bytes */
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_BAD_IP);
    r[0] = 0x65; /* version 6 */
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_BAD_IP);
    r[0] = 0x45;
    r[2] = 0;
    r[3] = 10; /* total length below the header */
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_BAD_IP);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, 19, ID, COOKIE, &seq), ECHO_WIRE_SHORT);
    /* an ICMP header and no payload */
    m = reply4(r, req, 8, 20);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_SHORT);
    m = reply4(r, req, 4, 20);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP4, r, m, ID, COOKIE, &seq), ECHO_WIRE_SHORT);
}

static void test_icmp6(void **state)
{
    uint8_t b[64];
    uint64_t seq = 0;
    size_t n = echo_wire_build(ECHO_WIRE_ICMP6, ID, COOKIE, 5, 16, b);

    assert_int_equal(n, 24);
    assert_int_equal(b[0], 128);
    assert_int_equal(b[2] | b[3], 0); /* the kernel computes it */
    b[0] = 129;                       /* as the peer answers (no IP header on raw ICMPv6) */
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP6, b, n, ID, COOKIE, &seq), ECHO_WIRE_MATCH);
    assert_true(seq == 5);
    b[2] = 0x12; /* checksums are the kernel's business for ICMPv6 */
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP6, b, n, ID, COOKIE, &seq), ECHO_WIRE_MATCH);
    b[0] = 0; /* an ICMPv4 reply type is not an ICMPv6 one */
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP6, b, n, ID, COOKIE, &seq), ECHO_WIRE_NOT_REPLY);
    b[0] = 129;
    b[1] = 1; /* code */
    assert_int_equal(echo_wire_parse(ECHO_WIRE_ICMP6, b, n, ID, COOKIE, &seq), ECHO_WIRE_NOT_REPLY);
}

static void test_udp(void **state)
{
    uint8_t b[64];
    uint64_t seq = 0;
    size_t n = echo_wire_build(ECHO_WIRE_UDP, 0, COOKIE, 0xfffffffffull, 40, b);

    assert_int_equal(n, 40);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_UDP, b, n, 0, COOKIE, &seq), ECHO_WIRE_MATCH);
    assert_true(seq == 0xfffffffffull);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_UDP, b, 15, 0, COOKIE, &seq), ECHO_WIRE_SHORT);
    assert_int_equal(echo_wire_parse(ECHO_WIRE_UDP, b, n, 0, ~COOKIE, &seq),
                     ECHO_WIRE_OTHER_COOKIE);
    assert_string_equal(echo_wire_verdict_name(ECHO_WIRE_OTHER_COOKIE), "another probe's payload");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_rfc1071),
        cmocka_unit_test(test_build_icmp4),
        cmocka_unit_test(test_parse_icmp4),
        cmocka_unit_test(test_parse_ip4_header),
        cmocka_unit_test(test_icmp6),
        cmocka_unit_test(test_udp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
