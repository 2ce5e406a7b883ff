/*
 * fuzz_paths: libFuzzer harness for the paths document parser
 * (output/paths_json_parse.c) and what prints its rows: tunnelctl's text and
 * -j renderers and tunneld's own renderer (paths_json_render). Invariants
 * (fuzz_checks.h): errors are plain text, the text output cannot act on a
 * terminal, the -j output is terminal-safe JSON that parses back to rows
 * printing the same -j output, and tunneld's rendering of the rows is read
 * back by tunnelctl into rows printing that same output too.
 *
 * Threading: single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "output.h"
#include "paths_json.h"

/* tunnelctl -j of doc (terminal-safe JSON, checked); caller frees */
static char *json_of(const struct paths_doc *doc, size_t *len)
{
    char *buf;

    FILE *f = fuzz_stream(&buf, len);
    output_json.paths(f, doc);
    fuzz_stream_close(f);
    fuzz_check_terminal_safe(buf, *len);
    fuzz_check_json(buf, *len);
    return buf;
}

/* text parses into rows whose -j output is want */
static void check_reads_as(const char *text, size_t len, const char *want, size_t want_len)
{
    struct paths_doc back;
    char *err, *again;
    size_t len2;

    if (paths_json_parse(text, len, &back, &err) != 0)
        abort(); /* written by us, refused by us */
    again = json_of(&back, &len2);
    if (len2 != want_len || memcmp(again, want, len2) != 0)
        abort();
    free(again);
    paths_doc_free(&back);
}

static void check_json(const struct paths_doc *doc)
{
    size_t len;
    char *buf = json_of(doc, &len);

    check_reads_as(buf, len, buf, len);
    json_object *o = paths_json_render(doc);
    if (!o)
        abort();
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    check_reads_as(text, strlen(text), buf, len);
    json_object_put(o);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct paths_doc doc;
    char *err, *buf;
    size_t len;

    if (paths_json_parse((const char *)data, size, &doc, &err) != 0) {
        if (err)
            fuzz_check_plain(err);
        free(err);
        return 0;
    }
    FILE *f = fuzz_stream(&buf, &len);
    output_text.paths(f, &doc);
    fuzz_stream_close(f);
    fuzz_check_terminal_safe(buf, len);
    free(buf);
    check_json(&doc);
    paths_doc_free(&doc);
    return 0;
}
