/* status_line: see status_line.h. */
#include "status_line.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t used; /* bytes written, < STATUS_LINE_MAX */
} line_t;

/*
 * appends text made printable, at most max bytes of it; "..." shows a cut
 * (by max or by the end of the line)
 */
static void put(line_t *l, const char *text, size_t max)
{
    size_t room = STATUS_LINE_MAX - 1 - l->used;
    size_t len = strlen(text);
    size_t n = len < max ? len : max;
    bool cut = len > max || len > room;

    if (cut && n > (room >= 3 ? room - 3 : 0))
        n = room >= 3 ? room - 3 : 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        l->buf[l->used++] = (c >= 0x20 && c < 0x7f)    ? (char)c
                            : (c == '\n' || c == '\t') ? ' '
                                                       : '?';
    }
    if (cut) {
        if (room < 3) /* the line is full: its last bytes say so */
            l->used = STATUS_LINE_MAX - 4;
        memcpy(l->buf + l->used, "...", 3);
        l->used += 3;
    }
    l->buf[l->used] = '\0';
}

static void put_count(line_t *l, const char *fmt, size_t a, const char *b)
{
    char tmp[64];

    snprintf(tmp, sizeof(tmp), fmt, a, b);
    put(l, tmp, sizeof(tmp));
}

static const char *str_of(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* "NAME on A+B" or "NAME down" */
static void put_site(line_t *l, json_object *site)
{
    json_object *active;
    const char *name = str_of(site, "name");
    size_t n = 0;

    put(l, name ? name : "?", STATUS_LINE_NAME);
    if (json_object_object_get_ex(site, "active", &active) &&
        json_object_is_type(active, json_type_array))
        n = json_object_array_length(active);
    put(l, n ? " on " : " down", STATUS_LINE_NAME);
    for (size_t i = 0; i < n; i++) {
        const char *p = json_object_get_string(json_object_array_get_idx(active, i));
        if (i)
            put(l, "+", 1);
        put(l, p ? p : "?", STATUS_LINE_NAME);
    }
}

static void put_sites(line_t *l, json_object *paths)
{
    json_object *sites = NULL;
    size_t n = 0;

    if (paths && json_object_object_get_ex(paths, "sites", &sites) &&
        json_object_is_type(sites, json_type_array))
        n = json_object_array_length(sites);
    if (!n) {
        put(l, "no sites", 16);
        return;
    }
    put_count(l, "%zu site%s: ", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < STATUS_LINE_SITES; i++) {
        if (i)
            put(l, ", ", 2);
        put_site(l, json_object_array_get_idx(sites, i));
    }
    if (n > STATUS_LINE_SITES)
        put_count(l, ", +%zu more%s", n - STATUS_LINE_SITES, "");
}

char *status_line(char buf[STATUS_LINE_MAX], json_object *paths, const sa_ike_rec_t *rows,
                  size_t n_rows, const char *note)
{
    line_t l = {.buf = buf};
    size_t up = 0, all = 0;
    char sas[64];

    buf[0] = '\0';
    put_sites(&l, paths);
    for (size_t i = 0; i < n_rows; i++)
        for (size_t j = 0; j < rows[i].n_children; j++) {
            sa_state_t s = rows[i].children[j].state;
            all++;
            up += s == SA_STATE_ESTABLISHED || s == SA_STATE_REKEYING;
        }
    snprintf(sas, sizeof(sas), "; SAs %zu/%zu up", up, all);
    put(&l, sas, sizeof(sas));
    if (note && note[0]) {
        put(&l, "; ", 2);
        put(&l, note, STATUS_LINE_MAX);
    }
    return buf;
}
