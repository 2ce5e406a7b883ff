/*
 * echo_wire: echo request building and reply checking (echo_wire.h).
 *
 * Threading: none (pure functions).
 */
#include "echo_wire.h"

#include <string.h>

#define ICMP4_ECHO_REPLY   0
#define ICMP4_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY   129
#define IPPROTO_ICMP4      1

void echo_wire_put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t echo_wire_get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint16_t echo_wire_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (; len > 1; p += 2, len -= 2)
        sum += get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

size_t echo_wire_request_len(enum echo_wire_kind kind, size_t payload)
{
    return kind == ECHO_WIRE_UDP ? payload : ECHO_ICMP_HDR + payload;
}

static void fill_payload(uint8_t *p, uint64_t cookie, uint64_t seq, size_t payload)
{
    echo_wire_put64(p, cookie);
    echo_wire_put64(p + 8, seq);
    for (size_t i = ECHO_PAYLOAD_MIN; i < payload; i++)
        p[i] = (uint8_t)i;
}

size_t echo_wire_build(enum echo_wire_kind kind, uint16_t id, uint64_t cookie, uint64_t seq,
                       size_t payload, uint8_t *buf)
{
    if (kind == ECHO_WIRE_UDP) {
        fill_payload(buf, cookie, seq, payload);
        return payload;
    }
    buf[0] = kind == ECHO_WIRE_ICMP4 ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
    buf[1] = 0;
    buf[2] = buf[3] = 0;
    buf[4] = (uint8_t)(id >> 8);
    buf[5] = (uint8_t)id;
    buf[6] = (uint8_t)(seq >> 8);
    buf[7] = (uint8_t)seq;
    fill_payload(buf + ECHO_ICMP_HDR, cookie, seq, payload);
    if (kind == ECHO_WIRE_ICMP4) { /* the kernel fills ICMPv6's (pseudo-header) */
        uint16_t c = echo_wire_checksum(buf, ECHO_ICMP_HDR + payload);
        buf[2] = (uint8_t)(c >> 8);
        buf[3] = (uint8_t)c;
    }
    return ECHO_ICMP_HDR + payload;
}

static enum echo_wire_verdict check_payload(const uint8_t *p, size_t len, uint64_t cookie,
                                            uint64_t *seq)
{
    if (len < ECHO_PAYLOAD_MIN)
        return ECHO_WIRE_SHORT;
    if (echo_wire_get64(p) != cookie)
        return ECHO_WIRE_OTHER_COOKIE;
    *seq = echo_wire_get64(p + 8);
    return ECHO_WIRE_MATCH;
}

/* The ICMP part of an IPv4 packet (header checked), or a verdict. */
static enum echo_wire_verdict strip_ip4(const uint8_t **buf, size_t *len)
{
    const uint8_t *p = *buf;

    if (*len < 20)
        return ECHO_WIRE_SHORT;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4, total = get16(p + 2);
    if (p[0] >> 4 != 4 || ihl < 20 || p[9] != IPPROTO_ICMP4)
        return ECHO_WIRE_BAD_IP;
    if (total < ihl || total > *len)
        return total > *len ? ECHO_WIRE_SHORT : ECHO_WIRE_BAD_IP;
    *buf = p + ihl;
    *len = total - ihl;
    return ECHO_WIRE_MATCH;
}

static enum echo_wire_verdict parse_icmp(enum echo_wire_kind kind, const uint8_t *p, size_t len,
                                         uint16_t id, uint64_t cookie, uint64_t *seq)
{
    uint8_t want = kind == ECHO_WIRE_ICMP4 ? ICMP4_ECHO_REPLY : ICMP6_ECHO_REPLY;

    if (len < ECHO_ICMP_HDR)
        return ECHO_WIRE_SHORT;
    if (p[0] != want || p[1] != 0)
        return ECHO_WIRE_NOT_REPLY;
    if (kind == ECHO_WIRE_ICMP4 && echo_wire_checksum(p, len) != 0)
        return ECHO_WIRE_BAD_CHECKSUM;
    if (get16(p + 4) != id)
        return ECHO_WIRE_OTHER_ID;
    enum echo_wire_verdict v = check_payload(p + ECHO_ICMP_HDR, len - ECHO_ICMP_HDR, cookie, seq);
    if (v != ECHO_WIRE_MATCH)
        return v;
    return get16(p + 6) == (uint16_t)*seq ? ECHO_WIRE_MATCH : ECHO_WIRE_SEQ_MISMATCH;
}

enum echo_wire_verdict echo_wire_parse(enum echo_wire_kind kind, const uint8_t *buf, size_t len,
                                       uint16_t id, uint64_t cookie, uint64_t *seq)
{
    if (kind == ECHO_WIRE_UDP)
        return check_payload(buf, len, cookie, seq);
    if (kind == ECHO_WIRE_ICMP4) {
        enum echo_wire_verdict v = strip_ip4(&buf, &len);
        if (v != ECHO_WIRE_MATCH)
            return v;
    }
    return parse_icmp(kind, buf, len, id, cookie, seq);
}

const char *echo_wire_verdict_name(enum echo_wire_verdict v)
{
    switch (v) {
    case ECHO_WIRE_MATCH:
        return "match";
    case ECHO_WIRE_SHORT:
        return "truncated";
    case ECHO_WIRE_BAD_IP:
        return "malformed IPv4 header";
    case ECHO_WIRE_NOT_REPLY:
        return "not an echo reply";
    case ECHO_WIRE_BAD_CHECKSUM:
        return "bad ICMP checksum";
    case ECHO_WIRE_OTHER_ID:
        return "another identifier";
    case ECHO_WIRE_OTHER_COOKIE:
        return "another probe's payload";
    case ECHO_WIRE_SEQ_MISMATCH:
        return "header and payload sequence differ";
    }
    return "unknown";
}
