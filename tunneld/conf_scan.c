/*
 * conf_scan: see conf_scan.h. The rules below are those of settings_lexer.l
 * of libstrongswan 5.9.8, per start condition; where several match, flex
 * takes the longest match (a trailing context counts), then the first rule:
 *  INITIAL  R1 `[\t ]*#[^\r\n]*` (a comment, up to a CR or newline),
 *           R2 `[\t\r ]+`, R3 `\n|#.*\n` (a comment with its newline: it
 *           wins over R1 when the '#' starts the token and a newline
 *           follows, even past a CR; with blanks before the '#', R1 wins
 *           and the comment ends at the CR), `{` `}` `.` `,`, `:` (-> ref),
 *           `=` (-> val), `include[\t ]+` followed by a byte other than `=`
 *           (-> inc), `"` (an error), names: runs of [^#{}:.,="\r\n\t ];
 *  ref      R1-R3, `,`, names `N+(\.N+)*`; any other byte ends it (not
 *           consumed); at the end of a file it goes on in the next one;
 *  val      `\r` and blanks skipped; the end, `#`, `}` or a newline end it
 *           (not consumed); `"` starts a string; other runs are the value;
 *  inc      `\r` skipped; the end, `#`, `}`, a newline (not consumed) or a
 *           blank end the pattern; `\` before one of `"#} ` is that byte, a
 *           lone `\` is kept; `"` starts a string that completes it; other
 *           runs are added;
 *  str      `\r` skipped; `"` ends it, the end (or a `\` at the end) is an
 *           error; `\n` `\r` `\t` escapes, `\` + newline (or CR newline)
 *           joins lines, `\` + another byte is that byte; other runs added.
 * Every run of text the lexer keeps (names, runs added to a string or a
 * pattern) is kept up to its first NUL byte, as strdup and string_add do.
 */
#include "conf_scan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *p, *end;
    unsigned line, secret_line;
    conf_scan_state_t *st;
    const conf_scan_ops_t *ops;
    void *ctx;
    char *buf; /* include pattern being collected */
    size_t len, cap;
    bool failed;
} scan_t;

/* [^#{}:.,="\r\n\t ] (NUL included) */
static bool is_name_char(char c)
{
    return c == '\0' || !strchr("#{}:.,=\"\r\n\t ", c);
}

/* [^"\\#}\r\n\t ] (NUL included): a run of an include pattern */
static bool is_pattern_char(char c)
{
    return c == '\0' || !strchr("\"\\#}\r\n\t ", c);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

void conf_scan_state_clear(conf_scan_state_t *state)
{
    free(state->pending);
    *state = (conf_scan_state_t){0};
}

static void mark_secret(scan_t *s)
{
    if (s->ops->secret && s->secret_line != s->line) {
        s->secret_line = s->line;
        s->ops->secret(s->ctx, s->line);
    }
}

static bool in_secrets(const scan_t *s)
{
    return s->st->depth > 0 && s->st->top == CONF_TOP_SECRETS;
}

static void add(scan_t *s, const char *data, size_t n)
{
    if (s->failed)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = (s->len + n + 1) * 2;
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            s->failed = true;
            return;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

/* a run of text as the lexer keeps it: up to its first NUL */
static void add_run(scan_t *s, const char *run, size_t n)
{
    add(s, run, strnlen(run, n));
}

static bool pending_is(const scan_t *s, const char *word)
{
    return s->st->pending && strcasecmp(s->st->pending, word) == 0;
}

static void clear_pending(scan_t *s)
{
    free(s->st->pending);
    s->st->pending = NULL;
}

static bool open_section(scan_t *s)
{
    conf_scan_state_t *st = s->st;

    if (st->depth == 0) {
        if (pending_is(s, "connections"))
            st->top = CONF_TOP_CONNECTIONS;
        else if (pending_is(s, "secrets"))
            st->top = CONF_TOP_SECRETS;
        else
            st->top = CONF_TOP_OTHER;
    } else if (st->depth == 1 && st->pending && s->ops->section &&
               (st->top == CONF_TOP_CONNECTIONS || st->top == CONF_TOP_SECRETS)) {
        if (!s->ops->section(s->ctx, st->top, st->pending, s->line))
            return false;
    }
    st->depth++;
    return true;
}

static void close_section(scan_t *s)
{
    if (s->st->depth > 0 && --s->st->depth == 0)
        s->st->top = CONF_TOP_NONE;
}

static void too_long(scan_t *s, const char *what)
{
    if (!s->failed && s->ops->too_long)
        s->ops->too_long(s->ctx, what, s->line);
    s->failed = true;
}

/* str: a quoted string from after its `"`; into s->buf if collect; false if unterminated */
static bool scan_string(scan_t *s, bool collect)
{
    const char *start = s->p;
    unsigned line = s->line;

    while (s->p < s->end) {
        if (s->p - start > CONF_LINE_MAX) {
            s->line = line;
            too_long(s, "a quoted string");
            return false;
        }
        char c = *s->p;
        if (c == '"' || c == '\r') {
            s->p++;
            if (c == '"')
                return true;
            continue;
        }
        if (c == '\\') {
            if (s->p + 1 == s->end) {
                s->p++;
                return false; /* a `\` at the end: "unterminated string" */
            }
            char e = s->p[1];
            if (e == '\n' || (e == '\r' && s->p + 2 < s->end && s->p[2] == '\n')) {
                s->p += e == '\n' ? 2 : 3;
                s->line++;
                continue;
            }
            s->p += 2;
            char out = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
            if (collect)
                add_run(s, &out, 1); /* an escaped NUL adds nothing */
            continue;
        }
        const char *run = s->p;
        while (s->p < s->end && *s->p != '\\' && *s->p != '\r' && *s->p != '"')
            s->line += *s->p++ == '\n';
        if (collect)
            add_run(s, run, (size_t)(s->p - run));
    }
    return false;
}

/* R1, R2, R3 at s->p (INITIAL and ref), longest match first; false if none applies */
static bool skip_space(scan_t *s)
{
    const char *q = s->p;
    char c = *q;

    if (c == '\n') {
        s->p++;
        s->line++;
        return true;
    }
    if (c == '#') {
        const char *nl = memchr(q, '\n', (size_t)(s->end - q));
        if (nl) { /* R3 */
            s->p = nl + 1;
            s->line++;
            return true;
        }
    } else if (c == ' ' || c == '\t' || c == '\r') {
        while (q < s->end && is_blank(*q))
            q++;
        if (q == s->end || *q != '#') { /* R2 */
            while (s->p < s->end && (is_blank(*s->p) || *s->p == '\r'))
                s->p++;
            return true;
        }
    } else {
        return false;
    }
    /* R1: blanks, '#', up to a CR or a newline */
    s->p = q + 1;
    while (s->p < s->end && *s->p != '\r' && *s->p != '\n')
        s->p++;
    return true;
}

/* val: after `=`, up to the end, `#`, `}` or a newline (not consumed) */
static void scan_value(scan_t *s)
{
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '#' || c == '}' || c == '\n')
            return;
        s->p++;
        if (c == '"' && !scan_string(s, false))
            return; /* unterminated: the parse fails here */
    }
}

/* ref: one reference name N+(\.N+)* at s->p */
static bool scan_ref(scan_t *s)
{
    const char *start = s->p;

    while (s->p < s->end &&
           (is_name_char(*s->p) || (*s->p == '.' && s->p + 1 < s->end && is_name_char(s->p[1]))))
        s->p++;
    if (!s->ops->reference)
        return true;
    char *ref = strndup(start, strnlen(start, (size_t)(s->p - start)));
    if (!ref) {
        s->failed = true;
        return false;
    }
    bool ok = s->ops->reference(s->ctx, ref, s->line);
    free(ref);
    return ok;
}

/* ref: template references, until a byte that ends them (or the end of the file) */
static bool scan_refs(scan_t *s)
{
    while (s->p < s->end) {
        if (skip_space(s))
            continue;
        char c = *s->p;
        if (c == ',') {
            s->p++;
        } else if (is_name_char(c)) {
            if (!scan_ref(s))
                return false;
        } else {
            s->st->in_refs = false;
            return true;
        }
    }
    return true;
}

/* inc: the pattern after `include` and its blanks, then the include itself */
static bool scan_include(scan_t *s)
{
    unsigned line = s->line;

    s->len = 0;
    add(s, "", 0);
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '#' || c == '}' || c == '\n')
            break;
        s->p++;
        if (is_blank(c))
            break;
        if (c == '\r')
            continue;
        if (c == '"') {
            if (!scan_string(s, true))
                return !s->failed; /* unterminated: the parse fails, nothing is included */
            break;
        }
        if (c == '\\') {
            if (s->p < s->end && *s->p && strchr("\"#} ", *s->p))
                add(s, s->p++, 1);
            else
                add(s, "\\", 1);
            continue;
        }
        const char *run = s->p - 1;
        while (s->p < s->end && is_pattern_char(*s->p))
            s->p++;
        add_run(s, run, (size_t)(s->p - run));
    }
    if (s->failed)
        return false;
    return s->ops->include(s->ctx, s->buf, line, s->st);
}

/*
 * the length of `include[\t ]+` at s->p when that rule matches (followed by a
 * byte other than `=`; with two blanks or more, the last blank may be that
 * byte), else 0
 */
static size_t include_at(const scan_t *s)
{
    const char *q = s->p + 7;
    size_t k = 0;

    if (s->end - s->p < 8 || memcmp(s->p, "include", 7) != 0)
        return 0;
    while (q + k < s->end && is_blank(q[k]))
        k++;
    if (k && q + k < s->end && q[k] != '=')
        return 7 + k;
    return k >= 2 ? 7 + k - 1 : 0;
}

static bool scan_name(scan_t *s)
{
    const char *start = s->p;

    while (s->p < s->end && is_name_char(*s->p))
        s->p++;
    clear_pending(s);
    s->st->pending = strndup(start, strnlen(start, (size_t)(s->p - start)));
    if (!s->st->pending)
        s->failed = true;
    if (in_secrets(s))
        mark_secret(s);
    return !s->failed;
}

/* one token in INITIAL; false to stop */
static bool scan_token(scan_t *s)
{
    size_t inc;
    bool ok = true;

    if (skip_space(s))
        return true;
    if ((inc = include_at(s))) {
        s->p += inc; /* not a token: a pending name stays pending */
        return scan_include(s);
    }
    char c = *s->p;
    if (is_name_char(c))
        return scan_name(s);
    s->p++;
    switch (c) {
    case ':':
        s->st->in_refs = true; /* the name before `:` stays pending for `{` */
        return true;
    case '{':
        ok = open_section(s);
        break;
    case '}':
        close_section(s);
        break;
    case '=':
        if (pending_is(s, "secret") || in_secrets(s))
            mark_secret(s);
        scan_value(s);
        break;
    default: /* `.`, `,` and a `"` (a syntax error for the parser) */
        break;
    }
    clear_pending(s);
    return ok;
}

/* the first line longer than CONF_LINE_MAX, reported; false if there is one */
static bool lines_fit(scan_t *s)
{
    const char *p = s->p, *nl;

    for (unsigned line = 1; p < s->end; line++, p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(s->end - p));
        if (!nl)
            nl = s->end;
        if (nl - p > CONF_LINE_MAX) {
            s->line = line;
            too_long(s, "a line");
            return false;
        }
    }
    return true;
}

bool conf_scan(const char *text, size_t len, conf_scan_state_t *state, const conf_scan_ops_t *ops,
               void *ctx)
{
    scan_t s = {.p = text, .end = text + len, .line = 1, .st = state, .ops = ops, .ctx = ctx};
    bool ok = lines_fit(&s);

    while (ok && s.p < s.end)
        ok = state->in_refs ? scan_refs(&s) : scan_token(&s);
    free(s.buf);
    return ok && !s.failed;
}
