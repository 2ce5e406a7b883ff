/*
 * sa_json: the SA table as JSON (docs/schema/sa.schema.json) and back.
 * Pure functions over snapshots; any thread. tunneld's control socket
 * renders with sa_json_render, tunnelctl parses with sa_json_parse and hands
 * the rows to its text or JSON output.
 */
#ifndef TUNNELD_SA_JSON_H
#define TUNNELD_SA_JSON_H

#include <json-c/json.h>

#include "sa_table.h"

#define SA_JSON_VERSION 1

/* {"version":1,"sas":[...]}; caller owns the result */
json_object *sa_json_render(const sa_ike_rec_t *rows, size_t n);
/* rows from a document made by sa_json_render; -1 if it is not one */
long sa_json_parse(json_object *doc, sa_ike_rec_t **rows);

#endif
