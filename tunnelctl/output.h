/*
 * output: tunnelctl's renderers behind one callback struct (as bgpctl's
 * output.c / output_json.c): the same rows printed as a table for people or
 * as JSON (docs/schema/sa.schema.json) for programs. Single-threaded.
 */
#ifndef TUNNELCTL_OUTPUT_H
#define TUNNELCTL_OUTPUT_H

#include <stdio.h>

#include <json-c/json.h>

#include "sa_table.h"

struct output {
    void (*sa)(FILE *out, const sa_ike_rec_t *rows, size_t n);
    /* doc: docs/schema/routes.schema.json */
    void (*routes)(FILE *out, json_object *doc);
};

extern const struct output output_text;
extern const struct output output_json;

#endif
