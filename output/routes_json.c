/*
 * routes_json: see routes_json.h.
 * Threading: pure functions; any thread.
 */
#include "routes_json.h"

#include <stdlib.h>
#include <string.h>

#include "json_reader.h"

#define NKEYS(a)    (sizeof(a) / sizeof((a)[0]))
#define ALL_KEYS(a) ((1ULL << NKEYS(a)) - 1)

static const char *const top_keys[] = {"version", "table", "protocol", "sites", "problems"};
enum { T_VERSION, T_TABLE, T_PROTOCOL, T_SITES, T_PROBLEMS };
#define TOP_REQUIRED ((1ULL << T_VERSION) | (1ULL << T_SITES))

static const char *const site_keys[] = {"name", "paths"};

static const char *const path_keys[] = {"name",   "dev",    "gateway4", "gateway6", "priority",
                                        "weight", "usable", "child",    "child_up"};
enum { P_NAME, P_DEV, P_GW4, P_GW6, P_PRIORITY, P_WEIGHT, P_USABLE, P_CHILD, P_CHILD_UP };

/* a string kept in the arena, or NULL for null */
static bool string_or_null(json_reader_t *r, const char **s)
{
    *s = NULL;
    if (jr_null(r))
        return true;
    if (jr_peek(r) != '"')
        return jr_expected(r, "a string or null");
    return jr_string_keep(r, s);
}

static bool bool_or_null(json_reader_t *r, routes_bool_t *v)
{
    bool b;

    *v = RJ_NULL;
    if (jr_null(r))
        return true;
    if (jr_peek(r) != 't' && jr_peek(r) != 'f')
        return jr_expected(r, "a boolean or null");
    if (!jr_bool(r, &b))
        return false;
    *v = b ? RJ_TRUE : RJ_FALSE;
    return true;
}

static bool read_path_member(json_reader_t *r, int k, routes_path_t *p)
{
    switch (k) {
    case P_NAME:
        return jr_string_keep(r, &p->name);
    case P_DEV:
        return jr_string_keep(r, &p->dev);
    case P_GW4:
        return string_or_null(r, &p->gateway4);
    case P_GW6:
        return string_or_null(r, &p->gateway6);
    case P_PRIORITY:
        return jr_int(r, INT64_MIN, INT64_MAX, &p->priority);
    case P_WEIGHT:
        return jr_int(r, INT64_MIN, INT64_MAX, &p->weight);
    case P_USABLE:
        return bool_or_null(r, &p->usable);
    case P_CHILD:
        return string_or_null(r, &p->child);
    default:
        return bool_or_null(r, &p->child_up);
    }
}

static bool read_path(json_reader_t *r, routes_path_t *p)
{
    int k;

    memset(p, 0, sizeof(*p));
    if (!jr_object(r, path_keys, NKEYS(path_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!read_path_member(r, k, p))
            return false;
    return jr_object_end(r, ALL_KEYS(path_keys));
}

static bool read_paths(json_reader_t *r, routes_site_t *s)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, s->n_paths, sizeof(routes_path_t)))
            break;
        s->paths = arr;
        if (!read_path(r, &s->paths[s->n_paths]))
            break;
        s->n_paths++;
    }
    s->paths = arr;
    return !jr_failed(r);
}

static bool read_site(json_reader_t *r, routes_site_t *s)
{
    int k;

    memset(s, 0, sizeof(*s));
    if (!jr_object(r, site_keys, NKEYS(site_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!(k == 0 ? jr_string_keep(r, &s->name) : read_paths(r, s)))
            return false;
    return jr_object_end(r, ALL_KEYS(site_keys));
}

/* doc->n_sites counts complete sites: only they own paths on failure */
static bool read_sites(json_reader_t *r, routes_doc_t *doc)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, doc->n_sites, sizeof(routes_site_t)))
            break;
        doc->sites = arr;
        if (!read_site(r, &doc->sites[doc->n_sites])) {
            free(doc->sites[doc->n_sites].paths);
            break;
        }
        doc->n_sites++;
    }
    doc->sites = arr;
    return !jr_failed(r);
}

static bool read_problems(json_reader_t *r, routes_doc_t *doc)
{
    size_t cap = 0;
    void *arr = NULL;

    doc->has_problems = true;
    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, doc->n_problems, sizeof(char *)))
            break;
        doc->problems = arr;
        if (!jr_string_keep(r, &doc->problems[doc->n_problems]))
            break;
        doc->n_problems++;
    }
    doc->problems = arr;
    return !jr_failed(r);
}

static bool read_top_member(json_reader_t *r, int k, routes_doc_t *doc)
{
    uint64_t v;

    switch (k) {
    case T_VERSION:
        return jr_version(r, ROUTES_JSON_VERSION);
    case T_TABLE:
        doc->has_table = jr_uint(r, UINT32_MAX, &v);
        doc->table = (uint32_t)v;
        return doc->has_table;
    case T_PROTOCOL:
        doc->has_protocol = jr_uint(r, UINT8_MAX, &v);
        doc->protocol = (uint8_t)v;
        return doc->has_protocol;
    case T_SITES:
        return read_sites(r, doc);
    default:
        return read_problems(r, doc);
    }
}

int routes_json_parse(const char *text, size_t len, routes_doc_t *doc, char **err)
{
    json_reader_t r;
    int k;

    memset(doc, 0, sizeof(*doc));
    *err = NULL;
    jr_init(&r, text, len);
    if (jr_object(&r, top_keys, NKEYS(top_keys)))
        while ((k = jr_member(&r)) >= 0)
            if (!read_top_member(&r, k, doc))
                break;
    bool ok = jr_object_end(&r, TOP_REQUIRED) && jr_end(&r);
    doc->strings = jr_take_arena(&r);
    if (!ok) {
        *err = jr_take_error(&r);
        routes_doc_free(doc);
    }
    jr_free(&r);
    return ok ? 0 : -1;
}

void routes_doc_free(routes_doc_t *doc)
{
    for (size_t i = 0; i < doc->n_sites; i++)
        free(doc->sites[i].paths);
    free(doc->sites);
    free(doc->problems);
    free(doc->strings);
    memset(doc, 0, sizeof(*doc));
}
