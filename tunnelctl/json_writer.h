/*
 * json_writer: pretty-printed JSON streamed to a FILE, one value at a time
 * (no document tree: memory does not grow with the output). Strings are
 * always valid JSON and safe on a terminal: control characters, DEL, C1
 * controls and invisible or bidirectional format characters become \uNNNN
 * escapes (lossless), bytes that are not valid UTF-8 become U+FFFD.
 *
 * Threading: a writer belongs to one thread.
 */
#ifndef TUNNELCTL_JSON_WRITER_H
#define TUNNELCTL_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16 /* deeper nesting is a bug in the caller: it aborts */

typedef struct {
    FILE *out;
    int depth;
    bool has_items[JW_MAX_DEPTH]; /* the container at each depth has a value */
    char close[JW_MAX_DEPTH];     /* '}' or ']' */
    bool after_key;
} json_writer_t;

void jw_init(json_writer_t *w, FILE *out);
void jw_object(json_writer_t *w);
void jw_array(json_writer_t *w);
void jw_end(json_writer_t *w); /* closes the innermost object or array */
void jw_key(json_writer_t *w, const char *key);
void jw_string(json_writer_t *w, const char *s); /* NULL writes null */
void jw_int(json_writer_t *w, int64_t v);
void jw_uint(json_writer_t *w, uint64_t v);
/* at most 3 decimals, trailing zeros cut ("12.5"); null when not finite */
void jw_double(json_writer_t *w, double v);
void jw_bool(json_writer_t *w, bool v);
void jw_null(json_writer_t *w);
/* the newline after the document */
void jw_finish(json_writer_t *w);

#endif
