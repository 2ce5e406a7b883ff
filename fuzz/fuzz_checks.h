/*
 * fuzz_checks: invariants the harnesses assert on what tunnelctl would
 * print (abort() on a violation, so that libFuzzer and the corpus replay
 * report it): nothing that can act on a terminal, and -j output that is JSON
 * reading back to the same document.
 *
 * Threading: single-threaded (one harness call at a time).
 */
#ifndef TUNNELD_FUZZ_CHECKS_H
#define TUNNELD_FUZZ_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* valid UTF-8; no C0 control (but newline), DEL or C1 control */
void fuzz_check_terminal_safe(const char *buf, size_t len);
/* one strict JSON document (json-c, UTF-8 validated), then a newline */
void fuzz_check_json(const char *buf, size_t len);
/* a message tunnelctl prints unescaped: printable ASCII only */
void fuzz_check_plain(const char *msg);

/* a memory stream for a renderer; fuzz_stream_close returns its text */
FILE *fuzz_stream(char **buf, size_t *len);
void fuzz_stream_close(FILE *f);

#endif
