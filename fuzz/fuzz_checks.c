/*
 * fuzz_checks: see fuzz_checks.h. The checks are written independently of
 * tunnelctl's own escaping (no shared tables).
 * Threading: single-threaded.
 */
#include "fuzz_checks.h"

#include <stdlib.h>

#include <json-c/json.h>

/* length of a valid UTF-8 sequence at p (RFC 3629), 0 if invalid */
static size_t seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len = c < 0x80             ? 1
                 : (c & 0xe0) == 0xc0 ? 2
                 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4
                                      : 0;
    unsigned long cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;

    if (!len || len > n)
        return 0;
    if (len == 1)
        return 1;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void fuzz_check_terminal_safe(const char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)buf;

    for (size_t i = 0; i < len;) {
        size_t n = seq_len(p + i, len - i);
        if (n == 0)
            abort(); /* invalid UTF-8 reached the output */
        if (n == 1 && ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7f))
            abort(); /* a C0 control or DEL */
        if (n == 2 && p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            abort(); /* a C1 control */
        i += n;
    }
}

void fuzz_check_plain(const char *msg)
{
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            abort();
}

FILE *fuzz_stream(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f)
        abort();
    return f;
}

void fuzz_stream_close(FILE *f)
{
    if (fclose(f) != 0)
        abort();
}

void fuzz_check_json(const char *buf, size_t len)
{
    struct json_tokener *tok = json_tokener_new();

    if (!tok)
        abort();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
    /* one document, then only the final newline (json-c reads it too) */
    if (!o || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len || buf[len - 1] != '\n')
        abort();
    json_object_put(o);
    json_tokener_free(tok);
}
