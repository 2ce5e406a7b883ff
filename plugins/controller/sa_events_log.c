/*
 * sa_events_log: sa_events' log lines (sized to fit, names escaped) and the
 * over-long names it refuses, each logged once (see SA_EVENTS_REFUSED_MAX).
 *
 * Threading: callers hold sa_events' mutex; the log callback never blocks.
 */
#include "sa_events_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *escape(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    char *out = malloc(4 * len + 1), *o = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch > 0x7e || ch == '\\')
            o += sprintf(o, "\\x%02x", ch);
        else
            *o++ = (char)ch;
    }
    *o = '\0';
    return out;
}

void say(sa_events_t *e, const char *fmt, ...)
{
    va_list ap;
    char *line;

    if (!e->log)
        return;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || !(line = malloc((size_t)len + 1)))
        return;
    va_start(ap, fmt);
    vsnprintf(line, (size_t)len + 1, fmt, ap);
    va_end(ap);
    e->log(e->log_ctx, line);
    free(line);
}

char *who(const char *conn, const char *child)
{
    char *c = escape(conn), *n = child ? escape(child) : NULL, *out = NULL;
    size_t len = (c ? strlen(c) : 0) + (n ? strlen(n) : 0) + 32;

    if (c && (!child || n) && (out = malloc(len))) {
        if (child)
            snprintf(out, len, "connection '%s' child '%s'", c, n);
        else
            snprintf(out, len, "connection '%s'", c);
    }
    free(c);
    free(n);
    return out;
}

/* what an allocation that failed meant, in one line (no allocation of its own) */
static void say_oom(sa_events_t *e, const char *what)
{
    if (e->log)
        e->log(e->log_ctx, what);
}

char *detail_fmt(sa_events_t *e, const char *fmt, ...)
{
    va_list ap;
    char *text = NULL;

    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len >= 0 && (text = malloc((size_t)len + 1))) {
        va_start(ap, fmt);
        vsnprintf(text, (size_t)len + 1, fmt, ap);
        va_end(ap);
    } else {
        say_oom(e, "tunneld: out of memory: the detail of a down reason is left empty");
    }
    return text;
}

void keep_detail(sa_events_t *e, char **dst, const char *src)
{
    if (!sa_text_set(dst, src))
        say_oom(e, "tunneld: out of memory: the detail of a down reason is left empty");
}

void report_lost(sa_events_t *e)
{
    size_t n = sa_table_texts_lost(e->t);

    if (n)
        say(e, "tunneld: out of memory: %zu texts of the SA table are left empty", n);
}

/* FNV-1a */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bool refused_before(sa_events_t *e, size_t len, uint64_t hash)
{
    for (size_t i = 0; i < e->n_refused; i++)
        if (e->refused[i].len == len && e->refused[i].hash == hash)
            return true;
    return false;
}

/* a name as shown in a log line: escaped, the first SHOWN bytes of a huge one */
#define SHOWN 256

static void refuse(sa_events_t *e, const char *kind, const char *name)
{
    size_t len = strlen(name);
    uint64_t hash = name_hash(name);

    if (e->refused_full || refused_before(e, len, hash))
        return;
    if (e->n_refused == SA_EVENTS_REFUSED_MAX) {
        e->refused_full = true;
        say(e, "tunneld: more than %d over-long names refused: further ones are not logged",
            SA_EVENTS_REFUSED_MAX);
        return;
    }
    if (!e->refused && !(e->refused = calloc(SA_EVENTS_REFUSED_MAX, sizeof(*e->refused))))
        return;
    e->refused[e->n_refused++] = (refused_t){.len = len, .hash = hash};
    char *head = strndup(name, SHOWN), *shown = head ? escape(head) : NULL;
    say(e,
        "tunneld: %s '%s%s': a name of %zu characters is not tracked in the SA table (names "
        "are limited to %d characters)",
        kind, shown ? shown : "?", len > SHOWN ? "..." : "", len, SA_NAME_MAX - 1);
    free(shown);
    free(head);
}

bool names_fit(sa_events_t *e, const char *conn, const char *child)
{
    if (!conn)
        return false;
    if (!sa_table_name_fits(conn)) {
        refuse(e, "connection", conn);
        return false;
    }
    if (child && !sa_table_name_fits(child)) {
        refuse(e, "child", child);
        return false;
    }
    return true;
}

void refused_free(sa_events_t *e)
{
    free(e->refused);
    e->refused = NULL;
    e->n_refused = 0;
}
