/*
 * utf8: decoding one UTF-8 sequence (RFC 3629: no overlongs, no surrogates,
 * nothing past U+10FFFF) and the code points that must never reach a
 * terminal raw. Shared by tunnelctl's text and JSON escaping.
 *
 * Threading: pure functions; any thread.
 */
#ifndef TUNNELCTL_UTF8_H
#define TUNNELCTL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length (1..4) of the valid sequence at s (n > 0 bytes available) and its
 * code point in *cp; 0 if the byte at s does not start a valid sequence.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * Code points that act on a terminal or hide text: C0 controls, DEL, C1
 * controls, bidirectional overrides and isolates, zero-width and other
 * invisible format characters, line and paragraph separators.
 */
bool utf8_unsafe(uint32_t cp);

#endif
