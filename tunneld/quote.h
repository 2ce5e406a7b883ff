/*
 * quote: a value a user gave, made safe to print in a message: control
 * bytes, '\' and bytes outside printable ASCII become \xNN, and a value
 * longer than QUOTE_MAX bytes is cut with an explicit "...(N bytes)" so
 * that a message never silently shows a different name.
 *
 * Threading: no state; any thread.
 */
#ifndef TUNNELD_QUOTE_H
#define TUNNELD_QUOTE_H

#include <stddef.h>

#define QUOTE_MAX 64
/* enough for QUOTE_MAX escaped bytes and the length note */
#define QUOTE_BUF (QUOTE_MAX * 4 + 32)

typedef struct {
    char s[QUOTE_BUF];
} quoted_t;

/* returns q->s; in may be NULL (quoted as "") */
const char *quote(const char *in, quoted_t *q);

#endif
