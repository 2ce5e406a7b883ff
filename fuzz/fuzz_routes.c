/*
 * fuzz_routes: libFuzzer harness for the routes document parser
 * (output/routes_json) and tunnelctl's renderers of it. Invariants
 * (fuzz_checks.h): errors are plain text, the text output cannot act on a
 * terminal, the -j output is terminal-safe JSON that parses back to a
 * document rendering the same output.
 *
 * Threading: single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "output.h"
#include "routes_json.h"

static void check_json(const routes_doc_t *doc)
{
    char *buf, *again, *err;
    size_t len, len2;
    routes_doc_t back;

    FILE *f = fuzz_stream(&buf, &len);
    output_json.routes(f, doc);
    fuzz_stream_close(f);
    fuzz_check_terminal_safe(buf, len);
    fuzz_check_json(buf, len);
    if (routes_json_parse(buf, len, &back, &err) != 0)
        abort(); /* tunnelctl -j wrote what tunnelctl cannot read */
    if (back.n_sites != doc->n_sites || back.n_problems != doc->n_problems)
        abort();
    f = fuzz_stream(&again, &len2);
    output_json.routes(f, &back);
    fuzz_stream_close(f);
    if (len != len2 || memcmp(buf, again, len) != 0)
        abort();
    routes_doc_free(&back);
    free(buf);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    routes_doc_t doc;
    char *err, *buf;
    size_t len;

    if (routes_json_parse((const char *)data, size, &doc, &err) != 0) {
        if (err)
            fuzz_check_plain(err);
        free(err);
        return 0;
    }
    FILE *f = fuzz_stream(&buf, &len);
    output_text.routes(f, &doc);
    fuzz_stream_close(f);
    fuzz_check_terminal_safe(buf, len);
    free(buf);
    check_json(&doc);
    routes_doc_free(&doc);
    return 0;
}
