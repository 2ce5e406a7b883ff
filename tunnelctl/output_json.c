/* output_json: the same rows as JSON, through sa_json (one schema). */
#include "output.h"
#include "sa_json.h"

static void json_sa(FILE *out, const sa_ike_rec_t *rows, size_t n)
{
    json_object *doc = sa_json_render(rows, n);
    fprintf(out, "%s\n",
            json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(doc);
}

static void json_routes(FILE *out, json_object *doc)
{
    fprintf(out, "%s\n",
            json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE));
}

const struct output output_json = {.sa = json_sa, .routes = json_routes};
