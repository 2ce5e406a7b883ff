/*
 * conf_scan: see conf_scan.h. The rules below follow settings_lexer.l of
 * libstrongswan 5.9.8 start condition by start condition:
 *  INITIAL  whitespace, `#` comments, `{` `}` `.` `,`, `:` (-> ref),
 *           `=` (-> val), `include` + blanks + a character other than `=`
 *           (-> inc), names: runs of [^#{}:.,="\r\n\t ];
 *  ref      template names (name(.name)*), commas, comments; any other
 *           character ends it (not consumed);
 *  val      blanks; `#`, `}`, newline or the end end it (not consumed);
 *           `"` starts a string; other runs are the value;
 *  inc      `\r` ignored; `#`, `}`, newline, blank or the end end the
 *           pattern; `\` before one of `"#} ` escapes it, a lone `\` is
 *           kept; `"` starts a string that completes the include;
 *  str      `\n` `\r` `\t` escapes, `\` + newline joins lines, `\` + any
 *           other character is that character; `"` ends it.
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
    const char *name; /* last name token in INITIAL (not terminated), or NULL */
    size_t name_len;
    char *buf; /* include pattern being collected */
    size_t len, cap;
    bool failed;
} scan_t;

static bool is_name_char(char c)
{
    return !strchr("#{}:.,=\"\r\n\t ", c) || c == '\0';
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

static bool name_is(const scan_t *s, const char *word)
{
    return s->name && s->name_len == strlen(word) && strncasecmp(s->name, word, s->name_len) == 0;
}

/* a name token (up to its first NUL, as the parser's strdup keeps it) */
static bool report_section(scan_t *s, conf_top_t top)
{
    size_t n = strnlen(s->name, s->name_len);
    char *name = strndup(s->name, n);
    bool ok;

    if (!name) {
        s->failed = true;
        return false;
    }
    ok = s->ops->section(s->ctx, top, name, s->line);
    free(name);
    return ok;
}

static bool open_section(scan_t *s)
{
    if (s->st->depth == 0) {
        if (name_is(s, "connections"))
            s->st->top = CONF_TOP_CONNECTIONS;
        else if (name_is(s, "secrets"))
            s->st->top = CONF_TOP_SECRETS;
        else
            s->st->top = CONF_TOP_OTHER;
    } else if (s->st->depth == 1 && s->name && s->ops->section &&
               (s->st->top == CONF_TOP_CONNECTIONS || s->st->top == CONF_TOP_SECRETS)) {
        if (!report_section(s, s->st->top))
            return false;
    }
    s->st->depth++;
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

/* a quoted string from after its `"`; into s->buf if collect; false if unterminated */
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
        char c = *s->p++;
        if (c == '"')
            return true;
        if (c == '\r')
            continue;
        if (c == '\n')
            s->line++;
        if (c != '\\') {
            if (collect)
                add(s, &c, 1);
            continue;
        }
        if (s->p == s->end)
            return false;
        char e = *s->p;
        if (e == '\n' || (e == '\r' && s->p + 1 < s->end && s->p[1] == '\n')) {
            s->p += e == '\r' ? 2 : 1;
            s->line++;
            continue;
        }
        s->p++;
        char out = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
        if (collect)
            add(s, &out, 1);
    }
    return false;
}

static void skip_comment(scan_t *s)
{
    while (s->p < s->end && *s->p != '\n')
        s->p++;
}

/* after `=`: the value up to `#`, `}`, a newline or the end (not consumed) */
static void scan_value(scan_t *s)
{
    while (s->p < s->end) {
        char c = *s->p;
        if (c == '#' || c == '}' || c == '\n')
            return;
        s->p++;
        if (c == '"' && !scan_string(s, false))
            return;
    }
}

/* one reference name at s->p (already known to start with a name character) */
static bool scan_ref(scan_t *s)
{
    const char *start = s->p;

    while (s->p < s->end &&
           (is_name_char(*s->p) || (*s->p == '.' && s->p + 1 < s->end && is_name_char(s->p[1]))))
        s->p++;
    if (!s->ops->reference)
        return true;
    /* the parser keeps it up to its first NUL */
    char *ref = strndup(start, strnlen(start, (size_t)(s->p - start)));
    if (!ref) {
        s->failed = true;
        return false;
    }
    bool ok = s->ops->reference(s->ctx, ref, s->line);
    free(ref);
    return ok;
}

/* after `:`: template references; false to stop */
static bool scan_refs(scan_t *s)
{
    while (s->p < s->end) {
        char c = *s->p;
        if (c == ' ' || c == '\t' || c == '\r' || c == ',') {
            s->p++;
        } else if (c == '\n') {
            s->p++;
            s->line++;
        } else if (c == '#') {
            skip_comment(s);
        } else if (is_name_char(c)) {
            if (!scan_ref(s))
                return false;
        } else {
            return true;
        }
    }
    return true;
}

/* after `include` and its blanks: the pattern, then the include itself */
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
        if (c == ' ' || c == '\t')
            break;
        if (c == '\r')
            continue;
        if (c == '"') {
            if (!scan_string(s, true))
                return true; /* unterminated: the parser fails here, nothing is included */
            break;
        }
        if (c == '\\' && s->p < s->end && strchr("\"#} ", *s->p) && *s->p) {
            add(s, s->p++, 1);
            continue;
        }
        add(s, &c, 1);
    }
    if (s->failed)
        return false;
    /* the parser keeps the pattern up to its first NUL */
    return s->ops->include(s->ctx, s->buf, line, s->st);
}

/* `include` + blanks + a character other than `=` at s->p */
static bool at_include(const scan_t *s)
{
    const char *q = s->p + 7;

    if (s->end - s->p < 8 || memcmp(s->p, "include", 7) != 0 || (*q != ' ' && *q != '\t'))
        return false;
    while (q < s->end && (*q == ' ' || *q == '\t'))
        q++;
    return q < s->end && *q != '=';
}

static bool scan_name(scan_t *s)
{
    s->name = s->p;
    while (s->p < s->end && is_name_char(*s->p))
        s->p++;
    s->name_len = (size_t)(s->p - s->name);
    if (in_secrets(s))
        mark_secret(s);
    return true;
}

/* one token in INITIAL; false to stop */
static bool scan_token(scan_t *s)
{
    char c = *s->p;

    if (at_include(s)) {
        s->p += 7;
        while (*s->p == ' ' || *s->p == '\t')
            s->p++;
        s->name = NULL;
        return scan_include(s);
    }
    if (is_name_char(c))
        return scan_name(s);
    s->p++;
    switch (c) {
    case '\n':
        s->line++;
        return true;
    case ' ':
    case '\t':
    case '\r':
        return true;
    case '#':
        skip_comment(s);
        return true;
    case ':':
        return scan_refs(s); /* the section name before `:` stays pending for `{` */
    case '{': {
        bool ok = open_section(s);
        s->name = NULL;
        return ok;
    }
    case '}':
        close_section(s);
        break;
    case '=':
        if (name_is(s, "secret") || in_secrets(s))
            mark_secret(s);
        scan_value(s);
        break;
    default: /* `.`, `,` and a stray `"` (a syntax error for the parser) */
        break;
    }
    s->name = NULL;
    return true;
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
        ok = scan_token(&s);
    free(s.buf);
    return ok && !s.failed;
}
