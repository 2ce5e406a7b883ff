/*
 * text: see text.h.
 *
 * Threading: none; a builder belongs to its caller. No allocation.
 */
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hl_text_init(struct hl_text *t, char *buf, size_t cap)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    t->cut = false;
    if (cap)
        buf[0] = '\0';
}

static void mark_cut(struct hl_text *t)
{
    size_t m = strlen(HL_TEXT_CUT_MARK);
    t->cut = true;
    if (t->cap <= m) {
        t->len = 0;
        if (t->cap)
            t->buf[0] = '\0';
        return;
    }
    if (t->len > t->cap - 1 - m)
        t->len = t->cap - 1 - m;
    memcpy(t->buf + t->len, HL_TEXT_CUT_MARK, m + 1);
    t->len += m;
}

void hl_text_add(struct hl_text *t, const char *fmt, ...)
{
    if (t->cut || t->cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->buf[t->len] = '\0';
        mark_cut(t);
        return;
    }
    if ((size_t)n >= t->cap - t->len) {
        t->len = t->cap - 1; /* what fitted stays, up to the marker */
        mark_cut(t);
        return;
    }
    t->len += (size_t)n;
}

void hl_text_num(struct hl_text *t, double v)
{
    if (!isfinite(v))
        hl_text_add(t, "?");
    else if (fabs(v - nearbyint(v)) < 0.05)
        hl_text_add(t, "%.0f", v);
    else
        hl_text_add(t, "%.1f", v);
}
