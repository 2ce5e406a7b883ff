/*
 * echo_wire: the packets of the echo probes (pure: builds requests, checks
 * replies; no sockets).
 *
 * Every probe's payload starts with the probe's 64-bit cookie (random per
 * probe) and the probe's 64-bit sequence number, both big-endian, then a fill
 * pattern up to the configured size. An ICMP reply must be an echo reply
 * (type 0, or 129 for ICMPv6) of code 0 carrying the probe's identifier, the
 * low 16 bits of the sequence in its header and the same cookie and sequence
 * in its payload; an IPv4 reply arrives with its IP header (raw socket), which
 * is checked too, and its ICMP checksum must verify (the kernel checks
 * ICMPv6's). A UDP reply (RFC 862: the datagram sent back as it came) must
 * carry the cookie and a sequence.
 *
 * Threading: none (pure functions).
 */
#ifndef TUNNELD_ECHO_WIRE_H
#define TUNNELD_ECHO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define ECHO_PAYLOAD_MIN 16   /* cookie + sequence */
#define ECHO_PAYLOAD_MAX 8192 /* bytes of payload a probe may send */
#define ECHO_ICMP_HDR    8
#define ECHO_IP4_HDR_MAX 60

enum echo_wire_kind { ECHO_WIRE_ICMP4, ECHO_WIRE_ICMP6, ECHO_WIRE_UDP };

/* Why a received packet is not a reply of this probe. */
enum echo_wire_verdict {
    ECHO_WIRE_MATCH = 0,
    ECHO_WIRE_SHORT,        /* truncated header or payload */
    ECHO_WIRE_BAD_IP,       /* IPv4 header malformed or not ICMP */
    ECHO_WIRE_NOT_REPLY,    /* another ICMP type or code */
    ECHO_WIRE_BAD_CHECKSUM, /* ICMPv4 checksum does not verify */
    ECHO_WIRE_OTHER_ID,     /* another probe's identifier */
    ECHO_WIRE_OTHER_COOKIE, /* not one of our payloads */
    ECHO_WIRE_SEQ_MISMATCH, /* header sequence differs from the payload's */
};

/* The Internet checksum (RFC 1071) of len bytes. */
uint16_t echo_wire_checksum(const uint8_t *p, size_t len);

/* Bytes a request of payload bytes takes (the buffer echo_wire_build needs). */
size_t echo_wire_request_len(enum echo_wire_kind kind, size_t payload);
/* Writes the request of probe (id, cookie) number seq into buf (of
 * echo_wire_request_len bytes); returns its length. payload must be within
 * ECHO_PAYLOAD_MIN..ECHO_PAYLOAD_MAX. */
size_t echo_wire_build(enum echo_wire_kind kind, uint16_t id, uint64_t cookie, uint64_t seq,
                       size_t payload, uint8_t *buf);
/* Checks a received packet against the probe (id, cookie); on a match sets
 * *seq to the sequence it answers. */
enum echo_wire_verdict echo_wire_parse(enum echo_wire_kind kind, const uint8_t *buf, size_t len,
                                       uint16_t id, uint64_t cookie, uint64_t *seq);
const char *echo_wire_verdict_name(enum echo_wire_verdict v);

/* Big-endian helpers (shared with the test tools). */
void echo_wire_put64(uint8_t *p, uint64_t v);
uint64_t echo_wire_get64(const uint8_t *p);

#endif
