/*
 * paths_parse_util: see paths_parse_util.h.
 *
 * Threading: pure functions; any thread (tunnelctl's only thread).
 */
#include "paths_parse_util.h"

#include <stdio.h>
#include <string.h>

/* "expected one of: a, b, c" over the non-NULL names of [0, n) */
static bool bad_word(json_reader_t *r, paths_word_fn name, int n, bool nullable)
{
    char list[256] = "";
    size_t len = 0;

    for (int i = 0; i < n; i++)
        if (name(i) && len < sizeof(list))
            len +=
                (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", name(i));
    return jr_fail(r, "expected one of: %s%s", list, nullable ? ", null" : "");
}

bool paths_read_word(json_reader_t *r, paths_word_fn name, int n, bool nullable, int *out)
{
    const char *s;
    size_t len;

    if (nullable && jr_null(r)) {
        *out = -1;
        return true;
    }
    if (jr_peek(r) != '"')
        return jr_expected(r, nullable ? "a string or null" : "a string");
    if (!jr_string(r, &s, &len))
        return false;
    for (int i = 0; i < n; i++)
        if (name(i) && strlen(name(i)) == len && memcmp(name(i), s, len) == 0) {
            *out = i;
            return true;
        }
    return bad_word(r, name, n, nullable);
}

bool paths_read_word_or_null(json_reader_t *r, paths_word_fn name, int n, int none, int *v)
{
    if (!paths_read_word(r, name, n, true, v))
        return false;
    if (*v < 0)
        *v = none;
    return true;
}

bool paths_string_or_null(json_reader_t *r, const char **s)
{
    *s = NULL;
    if (jr_null(r))
        return true;
    if (jr_peek(r) != '"')
        return jr_expected(r, "a string or null");
    return jr_string_keep(r, s);
}

bool paths_read_u32(json_reader_t *r, uint32_t *v)
{
    uint64_t x;

    if (!jr_uint(r, UINT32_MAX, &x))
        return false;
    *v = (uint32_t)x;
    return true;
}

bool paths_read_time(json_reader_t *r, int64_t *v)
{
    return jr_int(r, 0, INT64_MAX, v);
}

bool paths_read_bool_or_null(json_reader_t *r, paths_bool_t *v)
{
    bool b;

    *v = PATHS_NULL;
    if (jr_null(r))
        return true;
    if (jr_peek(r) != 't' && jr_peek(r) != 'f')
        return jr_expected(r, "a boolean or null");
    if (!jr_bool(r, &b))
        return false;
    *v = b ? PATHS_TRUE : PATHS_FALSE;
    return true;
}
