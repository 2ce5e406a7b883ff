/*
 * routes_json: tunneld's routes document (docs/schema/routes.schema.json,
 * control command "routes") read into typed rows, so that tunnelctl's
 * renderers never touch raw JSON. Every type is checked against the schema
 * as it is read; a mismatch is an error naming the key path and what was
 * expected. Strings are kept whole (one arena sized by the reply), memory
 * follows the rows kept, never the raw shape of the reply.
 *
 * Threading: pure functions over their arguments; any thread.
 */
#ifndef TUNNELD_ROUTES_JSON_H
#define TUNNELD_ROUTES_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROUTES_JSON_VERSION 1

/* a JSON boolean that may be null (unknown) */
typedef enum { RJ_NULL = -1, RJ_FALSE = 0, RJ_TRUE = 1 } routes_bool_t;

typedef struct {
    const char *name;
    const char *dev;
    const char *gateway4; /* NULL: null */
    const char *gateway6; /* NULL: null */
    int64_t priority;
    int64_t weight;
    routes_bool_t usable;
    const char *child; /* "<connection>.<child>", NULL: null */
    routes_bool_t child_up;
} routes_path_t;

typedef struct {
    const char *name;
    routes_path_t *paths;
    size_t n_paths;
} routes_site_t;

typedef struct {
    bool has_table, has_protocol;
    uint32_t table;
    uint8_t protocol;
    routes_site_t *sites;
    size_t n_sites;
    bool has_problems; /* the optional "problems" member was there */
    const char **problems;
    size_t n_problems;
    char *strings; /* every string above points into it */
} routes_doc_t;

/*
 * Parses len bytes of text into *doc. Returns 0, or -1 with *err (malloc'd,
 * may be NULL on no memory) and *doc empty. Free with routes_doc_free.
 */
int routes_json_parse(const char *text, size_t len, routes_doc_t *doc, char **err);
void routes_doc_free(routes_doc_t *doc);

#endif
