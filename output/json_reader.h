/*
 * json_reader: a strict JSON pull parser over one buffer, for documents that
 * come from a socket and may be hostile (tunnelctl reads tunneld's replies
 * with it). It builds no tree: the caller walks the document with the schema
 * in hand and copies each value into its own typed rows, so memory follows
 * what the caller keeps, never the shape of the input.
 *
 * Every type is checked before use. The first error sticks: it names the
 * path of the value (e.g. "sas[3].children[0].name") and what was expected,
 * and every later call fails. Strings may hold any bytes but NUL (invalid
 * UTF-8 is kept as it came: renderers escape it); raw control characters,
 * lone surrogates and \u0000 are refused.
 *
 * Nesting is bounded (JR_MAX_DEPTH), unknown members are skipped (their
 * syntax is still checked), duplicate known members are an error.
 *
 * Threading: none inside; a reader belongs to one thread at a time.
 */
#ifndef TUNNELD_JSON_READER_H
#define TUNNELD_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JR_MAX_DEPTH 32 /* containers open at once, known or skipped */
#define JR_MAX_KEYS  64 /* known keys of one object (a bitmask) */

struct jr_frame {
    const char *const *keys; /* object: its known member names; NULL: array */
    size_t nkeys;
    uint64_t seen; /* object: known members read so far */
    int cur;       /* object: member being read, -1 between members */
    size_t index;  /* array: element being read */
    bool started;  /* a member or element was read (a comma comes next) */
};

typedef struct {
    const char *buf, *p, *end;
    int depth; /* containers open, including skipped ones */
    struct jr_frame frames[JR_MAX_DEPTH];
    int nframes;
    bool failed;
    char *err;     /* the first error (NULL if it could not be described) */
    char *scratch; /* the last decoded string */
    size_t scap;   /* its capacity */
    char *arena;   /* strings kept by jr_string_keep (len + 1 bytes) */
    size_t arena_used, arena_cap;
} json_reader_t;

void jr_init(json_reader_t *r, const char *buf, size_t len);
/* frees everything the reader owns (not an arena taken with jr_take_arena) */
void jr_free(json_reader_t *r);
bool jr_failed(const json_reader_t *r);
/* the first error ("path: what was expected"), or NULL */
const char *jr_error(const json_reader_t *r);
/* hands the error over to the caller (free it); NULL if none */
char *jr_take_error(json_reader_t *r);
/* records an error at the current path (if none yet); returns false */
bool jr_fail(json_reader_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* records "expected <what>, got <the next value's type>"; returns false */
bool jr_expected(json_reader_t *r, const char *what);
/* the first character of the next value ('\0' at the end): to tell types apart */
char jr_peek(json_reader_t *r);

/* '{': members named in keys[] (at most JR_MAX_KEYS) are returned by jr_member */
bool jr_object(json_reader_t *r, const char *const *keys, size_t nkeys);
/*
 * The next known member's index in keys (its value comes next), or -1 at
 * the end of the object or on error. Unknown members are skipped.
 */
int jr_member(json_reader_t *r);
/* after jr_member returned -1: every key in required (bits) was there */
bool jr_object_end(json_reader_t *r, uint64_t required);
/* '[' */
bool jr_array(json_reader_t *r);
/* true when another element follows (read it next); false at ']' or error */
bool jr_element(json_reader_t *r);

/*
 * room for element n in *arr (cap elements of size bytes), doubling; call it
 * as each element starts, so that only complete elements cost memory
 */
bool jr_reserve(json_reader_t *r, void **arr, size_t *cap, size_t n, size_t size);

/* a string, decoded; valid until the next call on r. len excludes the NUL */
bool jr_string(json_reader_t *r, const char **s, size_t *len);
/* a string copied into dst; longer than cap - 1 bytes is an error */
bool jr_string_into(json_reader_t *r, char *dst, size_t cap);
/*
 * a string in a heap string of its own size (free it; NULL for ""), into
 * *dst (whose old value is freed): the memory it costs follows the reply
 */
bool jr_string_dup(json_reader_t *r, char **dst);
/* a string kept in the reader's arena until jr_free or jr_take_arena */
bool jr_string_keep(json_reader_t *r, const char **s);
/* an array of strings kept in the arena: *out (heap, the caller frees the
 * array, not the strings) and *n grow as they are read */
bool jr_string_array(json_reader_t *r, const char ***out, size_t *n);
/* a document's "version": an integer equal to want (else an error naming
 * both: tunneld and tunnelctl of different releases) */
bool jr_version(json_reader_t *r, int want);
/* the arena (free it after the last use of its strings); NULL if empty */
char *jr_take_arena(json_reader_t *r);
/* integers in [min, max] (no fraction, no exponent) */
bool jr_int(json_reader_t *r, int64_t min, int64_t max, int64_t *v);
bool jr_uint(json_reader_t *r, uint64_t max, uint64_t *v);
/*
 * a number (fraction and exponent allowed) in [min, max]; converted with
 * strtod in the C locale (tunnelctl never calls setlocale)
 */
bool jr_double(json_reader_t *r, double min, double max, double *v);
bool jr_bool(json_reader_t *r, bool *v);
/* consumes a null and returns true; false (no error) for anything else */
bool jr_null(json_reader_t *r);
/* any value, syntax checked */
bool jr_skip(json_reader_t *r);
/* only whitespace is left */
bool jr_end(json_reader_t *r);

#endif
