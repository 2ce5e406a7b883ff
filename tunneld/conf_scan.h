/*
 * conf_scan: reads the text of one file in strongswan.conf / swanctl.conf
 * syntax the way libstrongswan's settings lexer (5.9.8) tokenizes it, to find
 * what tunneld must check before it hands the file to that parser:
 *  - every `include` statement, with its pattern unescaped as the lexer does
 *    (the parser globs it and opens the matches itself);
 *  - whether the file holds secrets: a key named `secret` anywhere, or any
 *    content of the top-level `secrets` section;
 *  - where each section directly under `connections` or `secrets` starts
 *    (for error messages naming file:line);
 *  - every template reference (libstrongswan uses its text as a printf
 *    format when it resolves it: tunneld checks it first).
 * It follows the lexer's start conditions (comments, values, quoted strings
 * with escapes, template references, include patterns) and counts section
 * braces; it is not a parser (no grammar, no settings are built). The state
 * (open sections) is carried from a file into the files it includes and
 * back, as the parser's token stream is.
 *
 * Threading: pure function over a buffer; any thread.
 */
#ifndef TUNNELD_CONF_SCAN_H
#define TUNNELD_CONF_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Longest line, and longest quoted string (which may span lines), in bytes:
 * libstrongswan's lexer rescans a token from its start whenever its buffer
 * is refilled, so a token's cost grows with the square of its length (a
 * 10 MB name took a minute); no valid name or value comes near this.
 */
#define CONF_LINE_MAX 65536

typedef enum {
    CONF_TOP_NONE,        /* outside any section */
    CONF_TOP_CONNECTIONS, /* inside top-level "connections" */
    CONF_TOP_SECRETS,     /* inside top-level "secrets" */
    CONF_TOP_OTHER,       /* inside another top-level section */
} conf_top_t;

typedef struct {
    size_t depth;   /* sections open */
    conf_top_t top; /* the outermost open section */
} conf_scan_state_t;

typedef struct {
    /*
     * An include statement at line `line` with its pattern (NUL-terminated
     * as the parser uses it). The callee checks (and scans) the included
     * files with *state, which it leaves as they leave it. Returning false
     * stops the scan (conf_scan then returns false).
     */
    bool (*include)(void *ctx, const char *pattern, unsigned line, conf_scan_state_t *state);
    /* a section named `name` opened directly under connections or secrets */
    bool (*section)(void *ctx, conf_top_t top, const char *name, unsigned line);
    /* content that is a secret or inside secrets, at `line` (called once per line at most) */
    void (*secret)(void *ctx, unsigned line);
    /* a template reference (`name : ref, ref {`), as the parser keeps it; may be NULL */
    bool (*reference)(void *ctx, const char *ref, unsigned line);
    /* what ("a line", "a quoted string") at `line` is longer than CONF_LINE_MAX: the scan stops */
    void (*too_long)(void *ctx, const char *what, unsigned line);
} conf_scan_ops_t;

/*
 * Scans text[0..len). False when a callback stopped it, a line or string was
 * too long (too_long was called) or out of memory.
 */
bool conf_scan(const char *text, size_t len, conf_scan_state_t *state, const conf_scan_ops_t *ops,
               void *ctx);

#endif
