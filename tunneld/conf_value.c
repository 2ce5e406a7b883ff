/* conf_value: see conf_value.h. */
#define _GNU_SOURCE /* asprintf */
#include "conf_value.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* bytes of a name shown in messages before it is cut (its length is stated) */
#define QUOTE_SHOWN 64

static bool name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool conf_name_ok(const char *name, size_t max, conf_text_t *why)
{
    size_t len = strlen(name);

    if (!len) {
        snprintf(why->s, sizeof(why->s), "is empty");
        return false;
    }
    if (len > max) {
        snprintf(why->s, sizeof(why->s), "is %zu bytes long (at most %zu)", len, max);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (name_char(c))
            continue;
        if (c > 0x20 && c < 0x7f)
            snprintf(why->s, sizeof(why->s),
                     "contains '%c' (byte %zu): only letters, digits, '-' and '_' are allowed", c,
                     i + 1);
        else
            snprintf(
                why->s, sizeof(why->s),
                "contains byte 0x%02x (byte %zu): only letters, digits, '-' and '_' are allowed", c,
                i + 1);
        return false;
    }
    return true;
}

const char *conf_quote(const char *name, conf_text_t *q)
{
    size_t len = strlen(name), o = 0;

    q->s[o++] = '\'';
    for (size_t i = 0; i < len && i < QUOTE_SHOWN; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
            q->s[o++] = (char)c;
        else
            o += (size_t)snprintf(q->s + o, sizeof(q->s) - o, "\\x%02x", c);
    }
    q->s[o++] = '\'';
    q->s[o] = '\0';
    if (len > QUOTE_SHOWN)
        snprintf(q->s + o, sizeof(q->s) - o, " (the first %d of %zu bytes)", QUOTE_SHOWN, len);
    return q->s;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* pairs of hex digits, either all adjacent or each pair separated by one ':' */
static bool decode_hex(const char *s, chunk_t *out)
{
    size_t len = strlen(s), i = 0;
    bool colons = strchr(s, ':') != NULL;

    *out = chunk_alloc(len / 2 + 1);
    out->len = 0;
    while (i < len) {
        if (colons && out->len > 0 && s[i++] != ':')
            return false;
        if (i + 2 > len || hex_digit(s[i]) < 0 || hex_digit(s[i + 1]) < 0)
            return false;
        out->ptr[out->len++] = (u_char)(hex_digit(s[i]) << 4 | hex_digit(s[i + 1]));
        i += 2;
    }
    return out->len > 0;
}

static int b64_digit(char c)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(alphabet, c) : NULL;

    return p ? (int)(p - alphabet) : -1;
}

/* RFC 4648 base64 with padding */
static bool decode_base64(const char *s, chunk_t *out)
{
    size_t len = strlen(s), pad = 0, n = 0;

    *out = chunk_alloc(len / 4 * 3 + 1);
    out->len = 0;
    if (!len || len % 4)
        return false;
    while (pad < 2 && s[len - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int d = i + j >= len - pad ? 0 : b64_digit(s[i + j]);
            if (d < 0)
                return false;
            v = v << 6 | (uint32_t)d;
        }
        out->ptr[n++] = (u_char)(v >> 16);
        out->ptr[n++] = (u_char)(v >> 8);
        out->ptr[n++] = (u_char)v;
    }
    out->len = n - pad;
    return out->len > 0;
}

bool conf_secret_decode(const char *value, chunk_t *out, const char **why)
{
    bool ok;

    *out = chunk_empty;
    if (!value || !value[0]) {
        *why = "is empty";
        return false;
    }
    if (strncasecmp(value, "0x", 2) == 0) {
        ok = decode_hex(value + 2, out);
        *why = "is not valid hex after 0x (expected pairs of hex digits, optionally "
               "separated by ':')";
    } else if (strncasecmp(value, "0s", 2) == 0) {
        ok = decode_base64(value + 2, out);
        *why = "is not valid base64 after 0s (expected the characters A-Z a-z 0-9 + / with "
               "'=' padding to a multiple of 4)";
    } else {
        *out = chunk_clone(chunk_from_str((char *)value));
        ok = true;
    }
    if (!ok)
        chunk_clear(out);
    else
        *why = NULL;
    return ok;
}

void conf_err(char **err, const char *fmt, ...)
{
    va_list args;

    if (*err)
        return;
    va_start(args, fmt);
    if (vasprintf(err, fmt, args) < 0)
        *err = NULL;
    va_end(args);
}

void conf_err_copy(char *buf, size_t len, const char *msg)
{
    if (!len)
        return;
    if (!msg)
        msg = "out of memory";
    if ((size_t)snprintf(buf, len, "%s", msg) >= len && len > 4)
        memcpy(buf + len - 4, "...", 4);
}
