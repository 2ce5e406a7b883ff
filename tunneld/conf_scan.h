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
 * It emulates the lexer's rules exactly, start condition by start condition
 * (longest match first, as flex picks them; conf_scan.c lists them), also
 * where they surprise: a comment ends at a CR unless a newline follows it on
 * the same token, a token is cut at its first NUL byte (the parser keeps
 * strdup'ed text), an escaped NUL in a quoted string is dropped. It counts
 * section braces; it is not a parser (no grammar, no settings are built).
 * What the lexer carries from a file into the files it includes and back
 * (it reads them as one token stream) is carried in conf_scan_state_t: open
 * sections, the start condition (template references), and a name token
 * whose '{', ':' or '=' comes from another file. Unit tests compare it with
 * libstrongswan's parser on random files (tests/unit/test_conf_scan_random.c).
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
    bool in_refs;   /* the lexer is reading template references (after ':') */
    char *pending;  /* the name token just read (up to its first NUL), or NULL */
} conf_scan_state_t;

/* frees what a state holds (after the last file of a load); it can be used again */
void conf_scan_state_clear(conf_scan_state_t *state);

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
