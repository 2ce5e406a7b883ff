/*
 * conf_value: the rules for names and secret values of the connections file
 * (docs/connections.md), and error-message helpers that never truncate
 * silently.
 *
 * Names: every section name under `connections` and `secrets` (connections,
 * children, local/remote, secret sections) and every key name there is 1 to
 * CONF_NAME_MAX bytes of ASCII letters, digits, '-' and '_'; connection and
 * child names at most CONF_CONN_NAME_MAX bytes (the SA table's limit). A name
 * is checked before any settings key is built from it.
 *
 * Secrets: `0x` + hex digits (pairs, optionally separated by ':'), `0s` +
 * base64 (RFC 4648 alphabet, '=' padding, length a multiple of 4), or the
 * value itself; never empty. Errors say what is wrong, never the value.
 *
 * Threading: pure functions; any thread.
 */
#ifndef TUNNELD_CONF_VALUE_H
#define TUNNELD_CONF_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include <library.h>

#include "sa_table.h"

/* libstrongswan looks keys up one segment at a time in a 128-byte buffer */
#define CONF_NAME_MAX 127
/* the SA table stores connection and child names in SA_NAME_MAX bytes */
#define CONF_CONN_NAME_MAX (SA_NAME_MAX - 1)
/* vici values carry a 16-bit length */
#define CONF_VALUE_MAX 65535

/* a reason or a quoted name, sized for the longest one (never cut) */
typedef struct {
    char s[320];
} conf_text_t;

/* true if name is valid (at most max bytes), else false and why->s says why, e.g. "is 70 bytes
 * long (at most 63)" */
bool conf_name_ok(const char *name, size_t max, conf_text_t *why);

/* name for a message: in quotes, bytes other than printable ASCII as \xNN; a name longer than
 * 64 bytes is shown by its first 64 and its length; returns q->s */
const char *conf_quote(const char *name, conf_text_t *q);
#define CONF_Q(name) conf_quote((name), &(conf_text_t){{0}})

/* decodes a secret value; false with *why (static text, never the value) */
bool conf_secret_decode(const char *value, chunk_t *out, const char **why);

/* *err = formatted message unless already set (first error wins) */
void conf_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* copies msg into buf; a message that does not fit ends in "..." (never cut silently) */
void conf_err_copy(char *buf, size_t len, const char *msg);

#endif
