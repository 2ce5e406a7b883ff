/*
 * text: a bounded text builder for reasons and event texts (internal to
 * tunneld_health_pure). Appends never overflow; a text that does not fit
 * ends with a visible " [...]" instead of being cut silently.
 *
 * Threading: none; a builder belongs to its caller.
 */
#ifndef TUNNELD_HEALTH_TEXT_H
#define TUNNELD_HEALTH_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct hl_text {
    char *buf;
    size_t cap; /* bytes of buf, >= 1 */
    size_t len;
    bool cut; /* something did not fit: the text ends with the marker */
};

#define HL_TEXT_CUT_MARK " [...]"

void hl_text_init(struct hl_text *t, char *buf, size_t cap);
void hl_text_add(struct hl_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A figure as people write it: "23", "12.5" (one decimal unless whole). */
void hl_text_num(struct hl_text *t, double v);

#endif
