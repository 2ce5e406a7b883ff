/*
 * text_escape: see text_escape.h.
 * Threading: pure functions; any thread.
 */
#include "text_escape.h"

#include <string.h>

#include "utf8.h"

/* writes s escaped to out, or only counts with out NULL; returns the columns */
static size_t escape(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), cols = 0;

    while (n) {
        uint32_t cp;
        size_t len = utf8_decode(p, n, &cp);
        if (len == 0 || (len == 1 && utf8_unsafe(cp))) {
            if (out)
                fprintf(out, "\\x%02x", p[0]);
            cols += 4;
            len = 1;
        } else if (utf8_unsafe(cp)) {
            if (out)
                fprintf(out, "\\u%04x", (unsigned)cp);
            cols += cp > 0xffff ? 7 : 6;
        } else if (cp == '\\') {
            if (out)
                fputs("\\\\", out);
            cols += 2;
        } else {
            if (out)
                fwrite(p, 1, len, out);
            cols++;
        }
        p += len;
        n -= len;
    }
    return cols;
}

size_t text_put(FILE *out, const char *s)
{
    return escape(out, s);
}

size_t text_width(const char *s)
{
    return escape(NULL, s);
}

void text_field(FILE *out, const char *s, size_t width)
{
    for (size_t cols = text_put(out, s); cols < width; cols++)
        fputc(' ', out);
}
