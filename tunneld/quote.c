/* quote: see quote.h. */
#include "quote.h"

#include <stdio.h>
#include <string.h>

const char *quote(const char *in, quoted_t *q)
{
    size_t len = in ? strlen(in) : 0, o = 0;

    for (size_t i = 0; i < len && i < QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            q->s[o++] = (char)c;
        else
            o += (size_t)snprintf(q->s + o, sizeof(q->s) - o, "\\x%02x", c);
    }
    if (len > QUOTE_MAX)
        snprintf(q->s + o, sizeof(q->s) - o, "...(%zu bytes)", len);
    else
        q->s[o] = '\0';
    return q->s;
}
