/*
 * json_writer: see json_writer.h. The layout is json-c's pretty printer's
 * (JSON_C_TO_STRING_PRETTY): two spaces per level, "key":value, closing
 * brackets on their own line.
 * Threading: a writer belongs to one thread.
 */
#include "json_writer.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void jw_init(json_writer_t *w, FILE *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
}

static void indent(json_writer_t *w)
{
    fputc('\n', w->out);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->out);
}

/* separator and indentation before a value (or a key) */
static void before(json_writer_t *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->has_items[w->depth - 1])
        fputc(',', w->out);
    w->has_items[w->depth - 1] = true;
    indent(w);
}

static void open(json_writer_t *w, char c)
{
    before(w);
    fputc(c, w->out);
    if (w->depth >= JW_MAX_DEPTH)
        abort();
    w->close[w->depth] = c == '{' ? '}' : ']';
    w->has_items[w->depth++] = false;
}

void jw_object(json_writer_t *w)
{
    open(w, '{');
}

void jw_array(json_writer_t *w)
{
    open(w, '[');
}

void jw_end(json_writer_t *w)
{
    if (w->depth == 0)
        abort();
    w->depth--;
    indent(w); /* as json-c: even an empty container closes on its own line */
    fputc(w->close[w->depth], w->out);
}

static void put_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);

    fputc('"', out);
    while (n) {
        uint32_t cp;
        size_t len = utf8_decode(p, n, &cp);
        if (len == 0 || cp == 0xfffd) {
            /* not UTF-8: JSON cannot carry the byte (U+FFFD itself is escaped too, so
             * that the output written again from its own parse is the same) */
            fputs("\\ufffd", out);
        } else if (cp == '"' || cp == '\\') {
            fputc('\\', out);
            fputc((int)cp, out);
        } else if (cp == '\n' || cp == '\t' || cp == '\r') {
            fputs(cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : "\\r", out);
        } else if (utf8_unsafe(cp) && cp > 0xffff) {
            uint32_t v = cp - 0x10000;
            fprintf(out, "\\u%04x\\u%04x", (unsigned)(0xd800 + (v >> 10)),
                    (unsigned)(0xdc00 + (v & 0x3ff)));
        } else if (utf8_unsafe(cp)) {
            fprintf(out, "\\u%04x", (unsigned)cp);
        } else {
            fwrite(p, 1, len, out);
        }
        len = len ? len : 1;
        p += len;
        n -= len;
    }
    fputc('"', out);
}

void jw_key(json_writer_t *w, const char *key)
{
    before(w);
    put_string(w->out, key);
    fputc(':', w->out);
    w->after_key = true;
}

void jw_string(json_writer_t *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    before(w);
    put_string(w->out, s);
}

void jw_int(json_writer_t *w, int64_t v)
{
    before(w);
    fprintf(w->out, "%" PRId64, v);
}

void jw_uint(json_writer_t *w, uint64_t v)
{
    before(w);
    fprintf(w->out, "%" PRIu64, v);
}

void jw_double(json_writer_t *w, double v)
{
    char text[400]; /* DBL_MAX with 3 decimals fits */

    int n = isfinite(v) ? snprintf(text, sizeof(text), "%.3f", v) : -1;
    if (n <= 0 || (size_t)n >= sizeof(text)) {
        jw_null(w);
        return;
    }
    while (text[n - 1] == '0')
        text[--n] = '\0';
    if (text[n - 1] == '.')
        text[--n] = '\0';
    before(w);
    fputs(strcmp(text, "-0") == 0 ? "0" : text, w->out);
}

void jw_bool(json_writer_t *w, bool v)
{
    before(w);
    fputs(v ? "true" : "false", w->out);
}

void jw_null(json_writer_t *w)
{
    before(w);
    fputs("null", w->out);
}

void jw_finish(json_writer_t *w)
{
    fputc('\n', w->out);
}
