/* json_reader: see json_reader.h. Grammar: RFC 8259 (strict). */
#include "json_reader.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jr_init(json_reader_t *r, const char *buf, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->buf = r->p = buf;
    r->end = buf + len;
}

void jr_free(json_reader_t *r)
{
    free(r->err);
    free(r->scratch);
    free(r->arena);
    r->err = r->scratch = r->arena = NULL;
}

bool jr_failed(const json_reader_t *r)
{
    return r->failed;
}

const char *jr_error(const json_reader_t *r)
{
    return !r->failed ? NULL : r->err ? r->err : "out of memory describing a JSON error";
}

char *jr_take_error(json_reader_t *r)
{
    char *e = r->failed && !r->err ? strdup(jr_error(r)) : r->err;
    r->err = NULL;
    return e;
}

char *jr_take_arena(json_reader_t *r)
{
    char *a = r->arena;
    r->arena = NULL;
    r->arena_used = r->arena_cap = 0;
    return a;
}

bool jr_reserve(json_reader_t *r, void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 4;
    if (ncap > SIZE_MAX / size)
        return jr_fail(r, "too many elements");
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return jr_fail(r, "out of memory for %zu elements", ncap);
    *arr = p;
    *cap = ncap;
    return true;
}

/* "sas[3].children[0].name", or "document" at the top */
static void put_path(FILE *f, const json_reader_t *r)
{
    bool any = false;

    for (int i = 0; i < r->nframes; i++) {
        const struct jr_frame *fr = &r->frames[i];
        if (!fr->keys) {
            if (fr->started) {
                fprintf(f, "[%zu]", fr->index);
                any = true;
            }
        } else if (fr->cur >= 0) {
            fprintf(f, "%s%s", any ? "." : "", fr->keys[fr->cur]);
            any = true;
        }
    }
    if (!any)
        fputs("document", f);
}

bool jr_fail(json_reader_t *r, const char *fmt, ...)
{
    char *text = NULL;
    size_t len = 0;
    va_list ap;

    if (r->failed)
        return false;
    r->failed = true;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        put_path(f, r);
        fputs(": ", f);
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        if (fclose(f) != 0) {
            free(text);
            text = NULL;
        }
    }
    r->err = text;
    return false;
}

static void skip_ws(json_reader_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static size_t offset(const json_reader_t *r)
{
    return (size_t)(r->p - r->buf);
}

static bool syntax(json_reader_t *r, const char *what)
{
    return jr_fail(r, "invalid JSON at byte %zu: %s", offset(r), what);
}

/* what the next value is, for "expected X, got Y" */
static const char *next_kind(json_reader_t *r)
{
    skip_ws(r);
    if (r->p >= r->end)
        return "the end of the reply";
    switch (*r->p) {
    case '{':
        return "an object";
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) ? "a number" : "invalid JSON";
    }
}

bool jr_expected(json_reader_t *r, const char *what)
{
    return jr_fail(r, "expected %s, got %s", what, next_kind(r));
}

char jr_peek(json_reader_t *r)
{
    skip_ws(r);
    return r->p < r->end ? *r->p : '\0';
}

static bool literal(json_reader_t *r, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return syntax(r, "unknown literal");
    r->p += n;
    return true;
}

static int hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* \uXXXX (and its low surrogate) at r->p, after "\u"; errors point at the backslash */
static bool unicode_escape(json_reader_t *r, unsigned *cp)
{
    const char *bs = r->p - 2;
    int hi = (r->end - r->p >= 4) ? hex4(r->p) : -1, lo = -1;
    const char *why = NULL;

    if (hi < 0)
        why = "\\u needs 4 hex digits";
    else if (hi >= 0xdc00 && hi <= 0xdfff)
        why = "lone low surrogate in \\u escape";
    else if (hi >= 0xd800 && hi <= 0xdbff) {
        const char *q = r->p + 4;
        lo = (r->end - q >= 6 && q[0] == '\\' && q[1] == 'u') ? hex4(q + 2) : -1;
        if (lo < 0xdc00 || lo > 0xdfff)
            why = "high surrogate without its low surrogate in \\u escape";
    } else if (hi == 0)
        why = "\\u0000 in a string (NUL cannot be shown or kept)";
    if (why) {
        r->p = bs;
        return syntax(r, why);
    }
    if (lo >= 0) {
        r->p += 10;
        *cp = 0x10000 + (((unsigned)hi - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
    } else {
        r->p += 4;
        *cp = (unsigned)hi;
    }
    return true;
}

static bool escape(json_reader_t *r, char *o, size_t *n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    unsigned cp = 0;

    const char *hit = r->p < r->end && *r->p ? strchr(from, *r->p) : NULL;
    if (hit) {
        o[(*n)++] = to[hit - from];
        r->p++;
        return true;
    }
    if (r->p >= r->end || *r->p != 'u') {
        r->p--;
        return syntax(r, "invalid escape in a string");
    }
    r->p++;
    if (!unicode_escape(r, &cp))
        return false;
    *n += put_utf8(o + *n, cp);
    return true;
}

/* room for the string at r->p ('"'): its raw length bounds the decoded one */
static bool reserve_scratch(json_reader_t *r)
{
    const char *q = r->p + 1;

    while (q < r->end && *q != '"')
        q += (*q == '\\' && r->end - q > 1) ? 2 : 1;
    if (q >= r->end)
        return syntax(r, "unterminated string");
    size_t need = (size_t)(q - r->p);
    if (need > r->scap) {
        char *s = realloc(r->scratch, need);
        if (!s)
            return jr_fail(r, "out of memory for a string of %zu bytes", need);
        r->scratch = s;
        r->scap = need;
    }
    return true;
}

static bool read_string(json_reader_t *r, const char **s, size_t *len)
{
    size_t n = 0;

    if (r->failed)
        return false;
    skip_ws(r);
    if (r->p >= r->end || *r->p != '"')
        return jr_expected(r, "a string");
    if (!reserve_scratch(r))
        return false;
    for (r->p++;; r->p++) {
        unsigned char c = (unsigned char)*r->p;
        if (c == '"')
            break;
        if (c < 0x20)
            return syntax(r, "raw control character in a string (must be escaped)");
        if (c == '\\') {
            r->p++;
            if (!escape(r, r->scratch, &n))
                return false;
            r->p--;
            continue;
        }
        r->scratch[n++] = (char)c;
    }
    r->p++;
    r->scratch[n] = '\0';
    *s = r->scratch;
    *len = n;
    return true;
}

bool jr_string(json_reader_t *r, const char **s, size_t *len)
{
    return read_string(r, s, len);
}

bool jr_string_into(json_reader_t *r, char *dst, size_t cap)
{
    const char *s;
    size_t n;

    if (!read_string(r, &s, &n))
        return false;
    if (n >= cap)
        return jr_fail(r, "string of %zu bytes, longer than the limit of %zu", n, cap - 1);
    memcpy(dst, s, n + 1);
    return true;
}

bool jr_string_dup(json_reader_t *r, char **dst)
{
    const char *s;
    size_t n;
    char *copy = NULL;

    if (!read_string(r, &s, &n))
        return false;
    if (n && !(copy = malloc(n + 1)))
        return jr_fail(r, "out of memory for a string of %zu bytes", n);
    if (n)
        memcpy(copy, s, n + 1);
    free(*dst);
    *dst = copy;
    return true;
}

bool jr_string_keep(json_reader_t *r, const char **out)
{
    const char *s;
    size_t n;

    if (!read_string(r, &s, &n))
        return false;
    if (!r->arena) {
        /* every decoded string and its NUL fit in the raw bytes of the reply */
        r->arena_cap = (size_t)(r->end - r->buf) + 1;
        r->arena = malloc(r->arena_cap);
        if (!r->arena)
            return jr_fail(r, "out of memory for %zu bytes of strings", r->arena_cap);
    }
    if (r->arena_cap - r->arena_used < n + 1)
        return jr_fail(r, "internal error: string arena full");
    char *dst = r->arena + r->arena_used;
    memcpy(dst, s, n + 1);
    r->arena_used += n + 1;
    *out = dst;
    return true;
}

/* a JSON number at r->p; *integral says it has no fraction or exponent */
static bool scan_number(json_reader_t *r, const char **digits, size_t *ndigits, bool *neg,
                        bool *integral)
{
    const char *p = r->p;
    *neg = p < r->end && *p == '-';
    if (*neg)
        p++;
    *digits = p;
    if (p >= r->end || *p < '0' || *p > '9')
        return syntax(r, "invalid number");
    if (*p == '0')
        p++;
    else
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    *ndigits = (size_t)(p - *digits);
    *integral = true;
    if (p < r->end && *p == '.') {
        *integral = false;
        if (++p >= r->end || *p < '0' || *p > '9')
            return syntax(r, "invalid number (digits after '.')");
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < r->end && (*p == 'e' || *p == 'E')) {
        *integral = false;
        if (++p < r->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= r->end || *p < '0' || *p > '9')
            return syntax(r, "invalid number (exponent digits)");
        while (p < r->end && *p >= '0' && *p <= '9')
            p++;
    }
    r->p = p;
    return true;
}

/* magnitude of an integer token; false on overflow of UINT64_MAX */
static bool magnitude(const char *d, size_t n, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned digit = (unsigned)(d[i] - '0');
        if (*v > (UINT64_MAX - digit) / 10)
            return false;
        *v = *v * 10 + digit;
    }
    return true;
}

static bool read_integer(json_reader_t *r, bool *neg, uint64_t *mag, bool *fits)
{
    const char *d;
    size_t nd;
    bool integral;

    if (r->failed)
        return false;
    skip_ws(r);
    if (r->p >= r->end || (*r->p != '-' && (*r->p < '0' || *r->p > '9')))
        return jr_expected(r, "an integer");
    if (!scan_number(r, &d, &nd, neg, &integral))
        return false;
    if (!integral)
        return jr_fail(r, "expected an integer, got a number with a fraction or exponent");
    *fits = magnitude(d, nd, mag);
    return true;
}

bool jr_uint(json_reader_t *r, uint64_t max, uint64_t *v)
{
    bool neg, fits;
    uint64_t mag;

    if (!read_integer(r, &neg, &mag, &fits))
        return false;
    if ((neg && mag) || !fits || mag > max)
        return jr_fail(r, "expected an integer from 0 to %llu", (unsigned long long)max);
    *v = mag;
    return true;
}

bool jr_int(json_reader_t *r, int64_t min, int64_t max, int64_t *v)
{
    bool neg, fits;
    uint64_t mag;

    if (!read_integer(r, &neg, &mag, &fits))
        return false;
    bool ok = fits && (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX);
    int64_t x = !ok   ? 0
                : neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag)
                      : (int64_t)mag;
    if (!ok || x < min || x > max)
        return jr_fail(r, "expected an integer from %lld to %lld", (long long)min, (long long)max);
    *v = x;
    return true;
}

/* strtod on a copy of the token (the buffer has no NUL); C locale (see the header) */
static bool token_double(json_reader_t *r, const char *tok, size_t n, double *v)
{
    char *copy = malloc(n + 1);

    if (!copy)
        return jr_fail(r, "out of memory");
    memcpy(copy, tok, n);
    copy[n] = '\0';
    errno = 0;
    *v = strtod(copy, NULL);
    bool ok = errno != ERANGE || *v == 0; /* underflow to 0 is fine, overflow is not */
    free(copy);
    return ok && isfinite(*v);
}

bool jr_double(json_reader_t *r, double min, double max, double *v)
{
    const char *d;
    size_t nd;
    bool neg, integral;
    double x = 0;

    if (r->failed)
        return false;
    skip_ws(r);
    if (r->p >= r->end || (*r->p != '-' && (*r->p < '0' || *r->p > '9')))
        return jr_expected(r, "a number");
    const char *tok = r->p;
    if (!scan_number(r, &d, &nd, &neg, &integral))
        return false;
    if (!token_double(r, tok, (size_t)(r->p - tok), &x) || x < min || x > max) {
        if (max >= DBL_MAX)
            return jr_fail(r, "expected a finite number of at least %g", min);
        return jr_fail(r, "expected a number from %g to %g", min, max);
    }
    *v = x;
    return true;
}

bool jr_bool(json_reader_t *r, bool *v)
{
    if (r->failed)
        return false;
    skip_ws(r);
    if (r->p < r->end && *r->p == 't') {
        *v = true;
        return literal(r, "true");
    }
    if (r->p < r->end && *r->p == 'f') {
        *v = false;
        return literal(r, "false");
    }
    return jr_expected(r, "a boolean");
}

bool jr_null(json_reader_t *r)
{
    if (r->failed)
        return false;
    skip_ws(r);
    if (r->end - r->p >= 4 && memcmp(r->p, "null", 4) == 0) {
        r->p += 4;
        return true;
    }
    return false;
}

static bool open_container(json_reader_t *r)
{
    if (r->depth >= JR_MAX_DEPTH)
        return jr_fail(r, "nested deeper than %d levels at byte %zu", JR_MAX_DEPTH, offset(r));
    r->depth++;
    r->p++;
    return true;
}

static bool skip_container(json_reader_t *r, char close)
{
    const char *s;
    size_t n;

    if (!open_container(r))
        return false;
    for (bool first = true;; first = false) {
        skip_ws(r);
        if (r->p < r->end && *r->p == close && first)
            break;
        if (close == '}') {
            if (!read_string(r, &s, &n))
                return false;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':')
                return syntax(r, "':' expected after a key");
            r->p++;
        }
        if (!jr_skip(r))
            return false;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close)
            break;
        return syntax(r, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
    }
    r->p++;
    r->depth--;
    return true;
}

bool jr_skip(json_reader_t *r)
{
    const char *s, *d;
    size_t n;
    bool neg, integral;

    if (r->failed)
        return false;
    skip_ws(r);
    if (r->p >= r->end)
        return syntax(r, "a value expected, got the end of the reply");
    switch (*r->p) {
    case '{':
        return skip_container(r, '}');
    case '[':
        return skip_container(r, ']');
    case '"':
        return read_string(r, &s, &n);
    case 't':
        return literal(r, "true");
    case 'f':
        return literal(r, "false");
    case 'n':
        return literal(r, "null");
    default:
        return scan_number(r, &d, &n, &neg, &integral);
    }
}

static bool push(json_reader_t *r, const char *const *keys, size_t nkeys)
{
    if (!open_container(r))
        return false;
    r->frames[r->nframes++] = (struct jr_frame){.keys = keys, .nkeys = nkeys, .cur = -1};
    return true;
}

static void pop(json_reader_t *r)
{
    r->nframes--;
    r->depth--;
}

bool jr_object(json_reader_t *r, const char *const *keys, size_t nkeys)
{
    if (r->failed)
        return false;
    if (nkeys > JR_MAX_KEYS)
        return jr_fail(r, "internal error: more than %d keys", JR_MAX_KEYS);
    skip_ws(r);
    if (r->p >= r->end || *r->p != '{')
        return jr_expected(r, "an object");
    return push(r, keys, nkeys);
}

/* the member name at r->p, then ':'; its index in keys or -1 */
static int member_name(json_reader_t *r, struct jr_frame *f)
{
    const char *k;
    size_t n;

    if (!read_string(r, &k, &n))
        return -2;
    skip_ws(r);
    if (r->p >= r->end || *r->p != ':')
        return syntax(r, "':' expected after a key"), -2;
    r->p++;
    for (size_t i = 0; i < f->nkeys; i++)
        if (strlen(f->keys[i]) == n && memcmp(f->keys[i], k, n) == 0)
            return (int)i;
    return -1;
}

int jr_member(json_reader_t *r)
{
    struct jr_frame *f = r->nframes ? &r->frames[r->nframes - 1] : NULL;

    if (r->failed || !f || !f->keys)
        return -1;
    for (f->cur = -1;;) {
        skip_ws(r);
        if (r->p < r->end && *r->p == '}')
            return -1; /* jr_object_end consumes it */
        if (f->started) {
            if (r->p >= r->end || *r->p != ',')
                return syntax(r, "',' or '}' expected"), -1;
            r->p++;
            skip_ws(r);
        }
        f->started = true;
        int i = member_name(r, f);
        if (i == -2)
            return -1;
        if (i < 0) {
            if (!jr_skip(r))
                return -1;
            continue;
        }
        if (f->seen & (1ULL << i)) {
            f->cur = i;
            return jr_fail(r, "duplicate key"), -1;
        }
        f->seen |= 1ULL << i;
        f->cur = i;
        return i;
    }
}

bool jr_object_end(json_reader_t *r, uint64_t required)
{
    struct jr_frame *f = r->nframes ? &r->frames[r->nframes - 1] : NULL;

    if (r->failed)
        return false;
    if (!f || !f->keys)
        return jr_fail(r, "internal error: no object open");
    while (jr_member(r) >= 0)
        if (!jr_skip(r)) /* members the caller left unread */
            return false;
    if (r->failed)
        return false;
    f->cur = -1;
    uint64_t missing = required & ~f->seen;
    for (size_t i = 0; i < f->nkeys; i++)
        if (missing & (1ULL << i))
            return jr_fail(r, "missing key \"%s\"", f->keys[i]);
    r->p++; /* the '}' jr_member stopped at */
    pop(r);
    return true;
}

bool jr_array(json_reader_t *r)
{
    if (r->failed)
        return false;
    skip_ws(r);
    if (r->p >= r->end || *r->p != '[')
        return jr_expected(r, "an array");
    return push(r, NULL, 0);
}

bool jr_element(json_reader_t *r)
{
    struct jr_frame *f = r->nframes ? &r->frames[r->nframes - 1] : NULL;

    if (r->failed || !f || f->keys)
        return false;
    skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        pop(r);
        return false;
    }
    if (f->started) {
        if (r->p >= r->end || *r->p != ',')
            return syntax(r, "',' or ']' expected");
        r->p++;
        f->index++;
    }
    f->started = true;
    return true;
}

bool jr_end(json_reader_t *r)
{
    if (r->failed)
        return false;
    skip_ws(r);
    if (r->p != r->end)
        return syntax(r, "data after the end of the document");
    return true;
}

bool jr_string_array(json_reader_t *r, const char ***out, size_t *n)
{
    size_t cap = 0;
    void *arr = *out;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, *n, sizeof(char *)))
            break;
        *out = arr;
        if (!jr_string_keep(r, &(*out)[*n]))
            break;
        (*n)++;
    }
    *out = arr;
    return !jr_failed(r);
}

bool jr_version(json_reader_t *r, int want)
{
    int64_t v;

    if (!jr_int(r, INT64_MIN, INT64_MAX, &v))
        return false;
    if (v != want)
        return jr_fail(r, "expected %d, got %lld (tunneld and tunnelctl of different releases?)",
                       want, (long long)v);
    return true;
}
