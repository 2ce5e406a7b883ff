/*
 * output: tunnelctl's renderers behind one callback struct (as bgpctl's
 * output.c / output_json.c): the same typed rows printed as a table for
 * people or as JSON (docs/schema/sa.schema.json, routes.schema.json,
 * paths.schema.json) for programs. Renderers never see raw JSON from the
 * socket: sa_json, routes_json and paths_json have checked it into rows
 * first. Every string from the socket is escaped (text_escape.h,
 * json_writer.h).
 *
 * Threading: single-threaded (tunnelctl).
 */
#ifndef TUNNELCTL_OUTPUT_H
#define TUNNELCTL_OUTPUT_H

#include <stdio.h>

#include "paths_rows.h"
#include "routes_json.h"
#include "sa_table.h"

struct output {
    void (*sa)(FILE *out, const sa_ike_rec_t *rows, size_t n);
    void (*routes)(FILE *out, const routes_doc_t *doc);
    void (*paths)(FILE *out, const struct paths_doc *doc);
};

extern const struct output output_text;
extern const struct output output_json;

/* the paths renderers, in their own files (output_paths_text.c, output_paths_json.c) */
void output_paths_text(FILE *out, const struct paths_doc *doc);
void output_paths_json(FILE *out, const struct paths_doc *doc);
/* issue 10's parts of the text (output_paths_checks.c): the posture and check
 * rounds (top), a path's own check verdict (its details), a site's groups
 * and checks (after its paths) */
void output_paths_posture_text(FILE *out, const struct paths_doc *doc);
void output_paths_app_text(FILE *out, const struct paths_path *p);
void output_paths_checks_text(FILE *out, const struct paths_site *s);

#endif
