/*
 * paths_json: the paths document (docs/schema/paths.schema.json) from rows
 * (tunneld, json-c) and back into rows (tunnelctl, the strict streaming
 * reader json_reader.h).
 *
 * The parser treats the reply as hostile: every type, range and word is
 * checked against the schema, an error names the key path and what was
 * expected ("sites[0].paths[1].bfd.state: expected one of: ..."), strings are
 * kept whole in one arena sized by the reply, and memory follows the rows
 * kept (an element costs memory only once it starts), never the raw shape of
 * the reply.
 *
 * Threading: pure functions over their arguments; any thread.
 */
#ifndef TUNNELD_PATHS_JSON_H
#define TUNNELD_PATHS_JSON_H

#include <json-c/json.h>

#include "paths_rows.h"

/*
 * The document for doc (its strings and arrays are only read); caller owns
 * the result. NULL on no memory. Names must not be NULL.
 */
json_object *paths_json_render(const struct paths_doc *doc);

/*
 * Parses len bytes of text (no NUL needed) into *doc. Returns 0, or -1 with
 * *err (malloc'd, may be NULL on no memory) and *doc empty. Free with
 * paths_doc_free.
 */
int paths_json_parse(const char *text, size_t len, struct paths_doc *doc, char **err);
/* frees what paths_json_parse allocated (not for rows filled by tunneld) */
void paths_doc_free(struct paths_doc *doc);

#endif
