/*
 * output: tunnelctl's renderers behind one callback struct (as bgpctl's
 * output.c / output_json.c): the same typed rows printed as a table for
 * people or as JSON (docs/schema/sa.schema.json, routes.schema.json) for
 * programs. Renderers never see raw JSON from the socket: sa_json and
 * routes_json have checked it into rows first. Every string from the
 * socket is escaped (text_escape.h, json_writer.h).
 *
 * Threading: single-threaded (tunnelctl).
 */
#ifndef TUNNELCTL_OUTPUT_H
#define TUNNELCTL_OUTPUT_H

#include <stdio.h>

#include "routes_json.h"
#include "sa_table.h"

struct output {
    void (*sa)(FILE *out, const sa_ike_rec_t *rows, size_t n);
    void (*routes)(FILE *out, const routes_doc_t *doc);
};

extern const struct output output_text;
extern const struct output output_json;

#endif
