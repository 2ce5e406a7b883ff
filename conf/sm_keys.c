/*
 * sm_keys: settings lookups of the site model: the value of a path's key,
 * the unknown-key check of one level, typed reads with their error
 * messages. Settings keys are built from constant formats; site and path
 * names (checked before) are only ever arguments.
 *
 * Threading: the loading thread (see site_model.h).
 */
#define _GNU_SOURCE /* vasprintf */
#include "sm_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

bool sm_fail(sm_ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->err, c->errlen, "%s: ", c->file);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errlen)
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

bool sm_warn(struct sm_model *m, const char *fmt, ...)
{
    char **grown, *msg = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    grown = realloc(m->warnings, (m->n_warnings + 1) * sizeof(*grown));
    if (!grown) {
        free(msg);
        return false;
    }
    m->warnings = grown;
    m->warnings[m->n_warnings++] = msg;
    return true;
}

/* "<level>[.<sub>][.<key>]": level, sub and key are constants */
static void path_fmt(const sm_ctx_t *c, const char *sub, const char *key, char *fmt, size_t len)
{
    snprintf(fmt, len, "%s%s%s%s%s", c->level, sub ? "." : "", sub ? sub : "", key ? "." : "",
             key ? key : "");
}

const char *sm_path_get(sm_ctx_t *c, const char *sub, const char *key)
{
    char fmt[128];

    path_fmt(c, sub, key, fmt, sizeof(fmt));
    return c->s->get_str(c->s, fmt, NULL, c->site, c->path);
}

static bool listed(const char *const *names, const char *s)
{
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], s))
            return true;
    return false;
}

/* "a, b, c": the lists are the model's own constants (short) */
static void join(const char *const *names, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static bool unknown(sm_ctx_t *c, const char *where, const char *what, const char *name,
                    const char *const *valid)
{
    char list[256];
    sm_quoted_t q;

    join(valid, list, sizeof(list));
    if (!valid[0])
        return sm_fail(c, "%s: unexpected %s '%s' (expected only %s)", where, what,
                       sm_quote(name, &q), strcmp(what, "key") ? "keys" : "sections");
    return sm_fail(c, "%s: unknown %s '%s' (expected one of: %s)", where, what, sm_quote(name, &q),
                   list);
}

bool sm_only_known(sm_ctx_t *c, enumerator_t *kv, enumerator_t *sec, const char *where,
                   const char *const *keys, const char *const *sections)
{
    char *k, *v;
    bool ok = true;

    while (ok && kv->enumerate(kv, &k, &v))
        if (!listed(keys, k))
            ok = unknown(c, where, "key", k, keys);
    while (ok && sections && sec->enumerate(sec, &k))
        if (!listed(sections, k))
            ok = unknown(c, where, "section", k, sections);
    kv->destroy(kv);
    sec->destroy(sec);
    return ok;
}

bool sm_path_only_known(sm_ctx_t *c, const char *sub, const char *const *keys,
                        const char *const *sections)
{
    char fmt[128], where[SM_WHERE_MAX + 16];

    path_fmt(c, sub, NULL, fmt, sizeof(fmt));
    snprintf(where, sizeof(where), "%s%s%s", c->where, sub ? "." : "", sub ? sub : "");
    return sm_only_known(c, c->s->create_key_value_enumerator(c->s, fmt, c->site, c->path),
                         c->s->create_section_enumerator(c->s, fmt, c->site, c->path), where, keys,
                         sections);
}

bool sm_path_has_section(sm_ctx_t *c, const char *sub)
{
    char fmt[128], *name;
    enumerator_t *e;
    bool found = false;

    path_fmt(c, NULL, NULL, fmt, sizeof(fmt));
    e = c->s->create_section_enumerator(c->s, fmt, c->site, c->path);
    while (!found && e->enumerate(e, &name))
        found = !strcmp(name, sub);
    e->destroy(e);
    return found;
}

/* "<where>[.<sub>].<key>" for messages */
static const char *key_name(const sm_ctx_t *c, const char *sub, const char *key, char *buf,
                            size_t len)
{
    snprintf(buf, len, "%s%s%s.%s", c->where, sub ? "." : "", sub ? sub : "", key);
    return buf;
}

bool sm_get_uint(sm_ctx_t *c, const char *sub, const char *key, uint64_t min, uint64_t max,
                 uint64_t *out)
{
    const char *v = sm_path_get(c, sub, key);
    char name[SM_WHERE_MAX + 32];
    sm_quoted_t q;

    if (!v || sm_parse_uint(v, min, max, out))
        return true;
    return sm_fail(c, "%s: '%s' is not a number from %llu to %llu",
                   key_name(c, sub, key, name, sizeof(name)), sm_quote(v, &q),
                   (unsigned long long)min, (unsigned long long)max);
}

bool sm_get_bool(sm_ctx_t *c, const char *sub, const char *key, bool *out)
{
    const char *v = sm_path_get(c, sub, key);
    char name[SM_WHERE_MAX + 32];
    sm_quoted_t q;

    if (!v || sm_parse_bool(v, out))
        return true;
    return sm_fail(c, "%s: '%s' is not a boolean (expected yes or no)",
                   key_name(c, sub, key, name, sizeof(name)), sm_quote(v, &q));
}

/* "300ms", "1s", "2m" */
static void show_ms(uint64_t ms, char *buf, size_t len)
{
    if (ms && ms % 3600000 == 0)
        snprintf(buf, len, "%lluh", (unsigned long long)(ms / 3600000));
    else if (ms && ms % 60000 == 0)
        snprintf(buf, len, "%llum", (unsigned long long)(ms / 60000));
    else if (ms && ms % 1000 == 0)
        snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
    else
        snprintf(buf, len, "%llums", (unsigned long long)ms);
}

bool sm_get_ms(sm_ctx_t *c, const char *sub, const char *key, uint64_t min_ms, uint64_t max_ms,
               uint64_t *out)
{
    const char *v = sm_path_get(c, sub, key);
    char name[SM_WHERE_MAX + 32], lo[32], hi[32];
    uint64_t ms;
    sm_quoted_t q;

    if (!v)
        return true;
    if (sm_parse_duration_ms(v, &ms) && ms >= min_ms && ms <= max_ms) {
        *out = ms;
        return true;
    }
    show_ms(min_ms, lo, sizeof(lo));
    show_ms(max_ms, hi, sizeof(hi));
    return sm_fail(c,
                   "%s: '%s' is not a duration from %s to %s (expected a whole number with "
                   "ms, s, m or h; a bare number is seconds)",
                   key_name(c, sub, key, name, sizeof(name)), sm_quote(v, &q), lo, hi);
}

bool sm_get_pct(sm_ctx_t *c, const char *sub, const char *key, double *out)
{
    const char *v = sm_path_get(c, sub, key);
    char name[SM_WHERE_MAX + 32];
    sm_quoted_t q;

    if (!v || sm_parse_percent(v, out))
        return true;
    return sm_fail(c,
                   "%s: '%s' is not a percentage (expected 0 to 100, e.g. 10%% or 2.5%%, at most "
                   "two decimals)",
                   key_name(c, sub, key, name, sizeof(name)), sm_quote(v, &q));
}

bool sm_get_addr(sm_ctx_t *c, const char *sub, const char *key, int want, char **out)
{
    const char *v = sm_path_get(c, sub, key);
    char name[SM_WHERE_MAX + 32];
    int af = sm_addr_family(v);
    sm_quoted_t q;

    if (!v)
        return true;
    key_name(c, sub, key, name, sizeof(name));
    if (!af || (want && af != want))
        return sm_fail(c, "%s: '%s' is not an %s address (expected a literal such as %s)", name,
                       sm_quote(v, &q),
                       want == AF_INET    ? "IPv4"
                       : want == AF_INET6 ? "IPv6"
                                          : "IPv4 or IPv6",
                       want == AF_INET6 ? "2001:db8::1" : "192.0.2.1");
    *out = strdup(v);
    return *out || sm_fail(c, "%s: out of memory", name);
}
