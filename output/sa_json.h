/*
 * sa_json: the SA table as JSON (docs/schema/sa.schema.json) and back.
 * tunneld's control socket renders with sa_json_render; tunnelctl parses a
 * reply with sa_json_parse_text (sa_json_parse.c) into rows for its text or
 * JSON output.
 *
 * The parser treats the document as hostile: every type, range and enum is
 * checked against the schema, a name longer than a row's name field
 * (SA_NAME_MAX - 1 bytes) is an error (never truncated), every other string
 * is kept whole in a heap string of its own size (its length is bounded only
 * by the reply's), and memory follows the rows kept (each row is allocated
 * only once the previous one is complete), never the raw shape of the reply.
 *
 * Threading: pure functions over their arguments; any thread.
 */
#ifndef TUNNELD_SA_JSON_H
#define TUNNELD_SA_JSON_H

#include <json-c/json.h>

#include "sa_table.h"

#define SA_JSON_VERSION 1

/* {"version":1,"sas":[...]}; caller owns the result */
json_object *sa_json_render(const sa_ike_rec_t *rows, size_t n);
/*
 * Rows from the document text (len bytes, no NUL needed); they own their
 * texts. Returns their number, or -1 with *err (malloc'd, may be NULL on no
 * memory) naming the key path and what was expected. Free rows with
 * sa_table_snapshot_free.
 */
long sa_json_parse_text(const char *text, size_t len, sa_ike_rec_t **rows, char **err);
/* the same for a json-c document; -1 if it is not a valid one */
long sa_json_parse(json_object *doc, sa_ike_rec_t **rows);

#endif
