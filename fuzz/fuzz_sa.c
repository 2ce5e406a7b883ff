/*
 * fuzz_sa: libFuzzer harness for the SA document parser (output/sa_json)
 * and tunnelctl's handling of a reply to "sa": tunneld's error reply,
 * the parse, both renderers. Invariants (fuzz_checks.h): errors are plain
 * text, the text output cannot act on a terminal, the -j output is
 * terminal-safe strict JSON that parses back to rows rendering the same
 * output (a name that grew past its row field by U+FFFD replacements of
 * invalid UTF-8 is refused on the way back, by design).
 *
 * Threading: single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "fuzz_checks.h"
#include "output.h"
#include "sa_json.h"
#include "text_escape.h"

static void check_error_reply(const char *data, size_t size)
{
    ctl_reply_t reply = {(char *)data, size};
    char *msg, *buf;
    size_t len;

    if (!ctl_reply_error(&reply, &msg))
        return;
    if (msg) {
        FILE *f = fuzz_stream(&buf, &len);
        text_put(f, msg);
        fuzz_stream_close(f);
        fuzz_check_terminal_safe(buf, len);
        free(buf);
    }
    free(msg);
}

/* -j output: safe, JSON, and a fixed point of parse + render */
static void check_json(const sa_ike_rec_t *rows, size_t n)
{
    char *buf, *again, *err;
    size_t len, len2;
    sa_ike_rec_t *back;

    FILE *f = fuzz_stream(&buf, &len);
    output_json.sa(f, rows, n);
    fuzz_stream_close(f);
    fuzz_check_terminal_safe(buf, len);
    fuzz_check_json(buf, len);
    /* read back (unless a name grew past its row by U+FFFD replacements) */
    long m = sa_json_parse_text(buf, len, &back, &err);
    if (m < 0) {
        if (!err || !strstr(err, "longer than the limit"))
            abort(); /* tunnelctl -j wrote what tunnelctl cannot read */
        free(err);
        free(buf);
        return;
    }
    if (m != (long)n)
        abort();
    f = fuzz_stream(&again, &len2);
    output_json.sa(f, back, (size_t)m);
    fuzz_stream_close(f);
    if (len != len2 || memcmp(buf, again, len) != 0)
        abort();
    sa_table_snapshot_free(back, (size_t)m);
    free(buf);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sa_ike_rec_t *rows;
    char *err, *buf;
    size_t len;

    check_error_reply((const char *)data, size);
    long n = sa_json_parse_text((const char *)data, size, &rows, &err);
    if (n < 0) {
        if (err)
            fuzz_check_plain(err);
        free(err);
        return 0;
    }
    FILE *f = fuzz_stream(&buf, &len);
    output_text.sa(f, rows, (size_t)n);
    fuzz_stream_close(f);
    fuzz_check_terminal_safe(buf, len);
    free(buf);
    check_json(rows, (size_t)n);
    sa_table_snapshot_free(rows, (size_t)n);
    return 0;
}
