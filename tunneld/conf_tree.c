/*
 * conf_tree: see conf_tree.h. Keys are looked up with a fixed format per
 * depth ("connections.%s.%s") and the names as arguments, so that no name
 * is ever read as a format.
 */
#define _GNU_SOURCE /* asprintf */
#include "conf_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <settings/settings.h>

#include "capture.h"
#include "conf_value.h"

/* swanctl.conf sections that tunneld does not load (refused, not ignored) */
static const char *unsupported[] = {"pools", "authorities"};

/* secret section names start with their type, as in swanctl.conf */
static const char *secret_types[] = {"ike", "eap", "xauth", "ntlm", "ppk"};

typedef struct {
    settings_t *cfg;
    conf_tree_t *t;
    const char *path;
    char **err;
} walk_t;

/* the names of a section path below `connections` (at most 1 + CONF_SECTION_DEPTH) */
typedef struct {
    const char *seg[1 + CONF_SECTION_DEPTH];
    size_t n;
} sec_path_t;

static enumerator_t *enum_at(settings_t *cfg, const sec_path_t *p, bool sections)
{
    enumerator_t *(*create)(settings_t *, char *, ...) =
        sections ? cfg->create_section_enumerator : cfg->create_key_value_enumerator;

    switch (p->n) {
    case 1:
        return create(cfg, "connections.%s", p->seg[0]);
    case 2:
        return create(cfg, "connections.%s.%s", p->seg[0], p->seg[1]);
    case 3:
        return create(cfg, "connections.%s.%s.%s", p->seg[0], p->seg[1], p->seg[2]);
    default:
        return create(cfg, "connections.%s.%s.%s.%s", p->seg[0], p->seg[1], p->seg[2], p->seg[3]);
    }
}

/* "connections.a.b" + (optional) ".last", the last name quoted when it is invalid */
static char *display(const sec_path_t *p, const char *last, bool quote_last)
{
    char *s = strdup("connections"), *next;

    for (size_t i = 0; s && i <= p->n; i++) {
        const char *seg = i < p->n ? p->seg[i] : last;
        if (!seg)
            break;
        if (asprintf(&next, "%s.%s", s, i == p->n && quote_last ? CONF_Q(seg) : seg) < 0)
            next = NULL;
        free(s);
        s = next;
    }
    return s;
}

static bool fail_at(walk_t *w, conf_top_t top, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool fail_at(walk_t *w, conf_top_t top, const char *name, const char *fmt, ...)
{
    const char *where = conf_tree_where(w->t, top, name, w->path);
    char *what = NULL;
    va_list args;

    va_start(args, fmt);
    if (vasprintf(&what, fmt, args) < 0)
        what = NULL;
    va_end(args);
    conf_err(w->err, "%s: %s", where, what ? what : "out of memory");
    free(what);
    return false;
}

static bool oom(walk_t *w)
{
    conf_err(w->err, "%s: out of memory reading the connections", w->path);
    return false;
}

/* appends one element of size `size` to *arr (count *n); NULL when out of memory */
static void *grow(void *arr, size_t *n, size_t size, void **out)
{
    void *grown = realloc(*(void **)arr, (*n + 1) * size);

    if (!grown)
        return NULL;
    *(void **)arr = grown;
    *out = (char *)grown + (*n)++ * size;
    memset(*out, 0, size);
    return *out;
}

static bool name_ok(walk_t *w, const sec_path_t *p, const char *name, size_t max, const char *what)
{
    conf_text_t why;
    char *at;

    if (conf_name_ok(name, max, &why))
        return true;
    at = display(p, name, true);
    fail_at(w, CONF_TOP_CONNECTIONS, p->seg[0] ? p->seg[0] : name, "%s: %s name %s",
            at ? at : "connections", what, why.s);
    free(at);
    return false;
}

static bool read_keys(walk_t *w, const sec_path_t *p, conf_sec_t *s)
{
    enumerator_t *e = enum_at(w->cfg, p, false);
    char *key, *value;
    bool ok = true;
    conf_kv_t *kv;

    while (ok && e->enumerate(e, &key, &value)) {
        ok = name_ok(w, p, key, CONF_NAME_MAX, "key");
        if (ok && strlen(value) > CONF_VALUE_MAX) {
            char *at = display(p, key, false);
            ok = fail_at(w, CONF_TOP_CONNECTIONS, p->seg[0],
                         "%s: the value is %zu bytes (at most %d)", at ? at : key, strlen(value),
                         CONF_VALUE_MAX);
            free(at);
        }
        if (ok && !grow(&s->kv, &s->n_kv, sizeof(*kv), (void **)&kv))
            ok = oom(w);
        if (ok && (!(kv->key = strdup(key)) || !(kv->value = strdup(value))))
            ok = oom(w);
    }
    e->destroy(e);
    return ok;
}

static bool read_sec(walk_t *w, sec_path_t *p, conf_sec_t *s);

static bool read_subs(walk_t *w, sec_path_t *p, conf_sec_t *s)
{
    enumerator_t *e = enum_at(w->cfg, p, true);
    char *name;
    bool ok = true;
    conf_sec_t *sub;

    while (ok && e->enumerate(e, &name)) {
        bool child = p->n == 2 && streq(p->seg[1], "children");
        ok = name_ok(w, p, name, child ? CONF_CONN_NAME_MAX : CONF_NAME_MAX,
                     child ? "child" : "section");
        if (ok && p->n > CONF_SECTION_DEPTH) {
            char *at = display(p, name, false);
            ok = fail_at(w, CONF_TOP_CONNECTIONS, p->seg[0],
                         "%s: sections nest at most %d deep in a connection", at ? at : name,
                         CONF_SECTION_DEPTH);
            free(at);
        }
        if (ok &&
            (!grow(&s->sub, &s->n_sub, sizeof(*sub), (void **)&sub) || !(sub->name = strdup(name))))
            ok = oom(w);
        if (ok) {
            p->seg[p->n++] = name;
            ok = read_sec(w, p, sub);
            p->n--;
        }
    }
    e->destroy(e);
    return ok;
}

static bool read_sec(walk_t *w, sec_path_t *p, conf_sec_t *s)
{
    return read_keys(w, p, s) && read_subs(w, p, s);
}

static bool read_conns(walk_t *w)
{
    enumerator_t *e = w->cfg->create_section_enumerator(w->cfg, "connections");
    sec_path_t p = {.n = 0};
    conf_sec_t *c;
    char *name;
    bool ok = true;

    while (ok && e->enumerate(e, &name)) {
        ok = name_ok(w, &p, name, CONF_CONN_NAME_MAX, "connection");
        if (ok && (!grow(&w->t->conns, &w->t->n_conns, sizeof(*c), (void **)&c) ||
                   !(c->name = strdup(name))))
            ok = oom(w);
        if (ok) {
            p.seg[p.n++] = name;
            ok = read_sec(w, &p, c);
            p.n--;
        }
    }
    e->destroy(e);
    return ok;
}

static const char *secret_type(const char *name)
{
    for (size_t i = 0; i < countof(secret_types); i++)
        if (strpfx(name, secret_types[i]))
            return secret_types[i];
    return NULL;
}

/* a proxy secret's user: printable ASCII without ':', 1..CONF_PROXY_USER_MAX bytes */
static bool read_user(walk_t *w, conf_secret_t *s, const char *value)
{
    size_t n = strlen(value);

    if (s->user)
        return fail_at(w, CONF_TOP_SECRETS, s->name, "secrets.%s.user: set twice", s->name);
    if (!n || n > CONF_PROXY_USER_MAX)
        return fail_at(w, CONF_TOP_SECRETS, s->name,
                       "secrets.%s.user: %zu bytes (expected 1..%d bytes of a user name)", s->name,
                       n, CONF_PROXY_USER_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] >= 0x7f || value[i] == ':')
            return fail_at(w, CONF_TOP_SECRETS, s->name,
                           "secrets.%s.user: a byte that is not printable ASCII, or ':' (expected "
                           "a user name a proxy takes; ':' separates user and password in Basic "
                           "authentication)",
                           s->name);
    s->user = strdup(value);
    return s->user || oom(w);
}

/* a proxy password is a C string for libcurl: no NUL byte in the decoded secret */
static bool proxy_secret_ok(walk_t *w, conf_secret_t *s)
{
    if (!streq(s->type, CONF_SECRET_PROXY) || !memchr(s->data.ptr, 0, s->data.len))
        return true;
    return fail_at(w, CONF_TOP_SECRETS, s->name,
                   "secrets.%s.secret: the decoded secret holds a NUL byte (a proxy password "
                   "cannot)",
                   s->name);
}

/* the keys of secrets.<name>: secret (decoded) and id* (owners), or for a
 * proxy secret secret and user; nothing else */
static bool read_secret_keys(walk_t *w, conf_secret_t *s)
{
    bool proxy = streq(s->type, CONF_SECRET_PROXY);
    enumerator_t *e = w->cfg->create_key_value_enumerator(w->cfg, "secrets.%s", s->name);
    char *key, *value, **owner;
    const char *why;
    conf_text_t kwhy;
    bool ok = true;

    while (ok && e->enumerate(e, &key, &value)) {
        if (!conf_name_ok(key, CONF_NAME_MAX, &kwhy)) {
            ok = fail_at(w, CONF_TOP_SECRETS, s->name, "secrets.%s.%s: key name %s", s->name,
                         CONF_Q(key), kwhy.s);
        } else if (streq(key, "secret")) {
            chunk_clear(&s->data);
            if (!conf_secret_decode(value, &s->data, &why))
                ok = fail_at(w, CONF_TOP_SECRETS, s->name, "secrets.%s.secret: the value %s",
                             s->name, why);
            else if (s->data.len > CONF_VALUE_MAX)
                ok = fail_at(w, CONF_TOP_SECRETS, s->name,
                             "secrets.%s.secret: the secret is longer than %d bytes", s->name,
                             CONF_VALUE_MAX);
            else
                ok = proxy_secret_ok(w, s);
        } else if (proxy && streq(key, "user")) {
            ok = read_user(w, s, value);
        } else if (proxy) {
            ok = fail_at(w, CONF_TOP_SECRETS, s->name,
                         "secrets.%s.%s: unknown key (a proxy secret has 'user' and 'secret')",
                         s->name, key);
        } else if (strpfx(key, "id")) {
            if (strlen(value) > CONF_VALUE_MAX)
                ok = fail_at(w, CONF_TOP_SECRETS, s->name, "secrets.%s.%s: longer than %d bytes",
                             s->name, key, CONF_VALUE_MAX);
            else if (!grow(&s->owners, &s->n_owners, sizeof(*owner), (void **)&owner) ||
                     !(*owner = strdup(value)))
                ok = oom(w);
        } else {
            ok = fail_at(w, CONF_TOP_SECRETS, s->name,
                         "secrets.%s.%s: unknown key (expected 'secret' and 'id' keys)", s->name,
                         key);
        }
    }
    e->destroy(e);
    if (ok && !s->data.ptr)
        ok = fail_at(w, CONF_TOP_SECRETS, s->name, "secrets.%s: no 'secret' key", s->name);
    if (ok && proxy && !s->user)
        ok = fail_at(w, CONF_TOP_SECRETS, s->name,
                     "secrets.%s: no 'user' key (a proxy secret has 'user' and 'secret')", s->name);
    return ok;
}

/* proxy-<name>: the name of a sensor group's credentials */
static const char *proxy_type(walk_t *w, const char *name, bool *ok)
{
    size_t n = strlen(name) - strlen(CONF_PROXY_PREFIX);

    *ok = true;
    if (!strpfx(name, CONF_SECRET_PROXY))
        return NULL;
    if (strpfx(name, CONF_PROXY_PREFIX) && n >= 1 && n <= CONF_PROXY_NAME_MAX)
        return CONF_SECRET_PROXY;
    *ok = fail_at(w, CONF_TOP_SECRETS, name,
                  "secrets.%s: expected proxy-<name> with a name of 1..%d characters (the "
                  "credentials = <name> of a sensor group)",
                  name, CONF_PROXY_NAME_MAX);
    return NULL;
}

static bool read_secret(walk_t *w, conf_secret_t *s)
{
    enumerator_t *e;
    char *sub;
    bool ok = true;

    s->type = proxy_type(w, s->name, &ok);
    if (!ok)
        return false;
    if (!s->type)
        s->type = secret_type(s->name);
    if (!s->type)
        return fail_at(w, CONF_TOP_SECRETS, s->name,
                       "secrets.%s: expected a name starting with the secret's type: ike, eap, "
                       "xauth, ntlm or ppk (tunneld loads shared secrets only), or proxy-<name> "
                       "(a sensor group's proxy credentials)",
                       s->name);
    e = w->cfg->create_section_enumerator(w->cfg, "secrets.%s", s->name);
    if (e->enumerate(e, &sub))
        ok = fail_at(w, CONF_TOP_SECRETS, s->name,
                     "secrets.%s: unexpected section %s (a secret has keys only)", s->name,
                     CONF_Q(sub));
    e->destroy(e);
    return ok && read_secret_keys(w, s);
}

static bool read_secrets(walk_t *w)
{
    enumerator_t *e = w->cfg->create_section_enumerator(w->cfg, "secrets");
    conf_secret_t *s;
    conf_text_t why;
    char *name;
    bool ok = true;

    while (ok && e->enumerate(e, &name)) {
        if (!conf_name_ok(name, CONF_NAME_MAX, &why))
            ok = fail_at(w, CONF_TOP_SECRETS, name, "secrets.%s: section name %s", CONF_Q(name),
                         why.s);
        else if (!grow(&w->t->secrets, &w->t->n_secrets, sizeof(*s), (void **)&s) ||
                 !(s->name = strdup(name)))
            ok = oom(w);
        else
            ok = read_secret(w, s);
    }
    e->destroy(e);
    return ok;
}

/* top-level sections: connections, secrets, templates; swanctl's others are refused */
static bool check_top(walk_t *w)
{
    enumerator_t *e = w->cfg->create_section_enumerator(w->cfg, "");
    char *name;
    bool ok = true;

    while (ok && e->enumerate(e, &name))
        for (size_t i = 0; ok && i < countof(unsupported); i++)
            if (streq(name, unsupported[i]))
                ok = fail_at(w, CONF_TOP_NONE, name,
                             "section '%s' is not supported by tunneld (it loads connections "
                             "and secrets; other sections serve as templates)",
                             name);
    e->destroy(e);
    return ok;
}

/* whether section `name` is among the sub-sections of the first n parts of ref */
static bool has_sub(settings_t *cfg, char **part, size_t n, const char *name)
{
    enumerator_t *e;
    char *sub;
    bool found = false;

    switch (n) {
    case 0:
        e = cfg->create_section_enumerator(cfg, "");
        break;
    case 1:
        e = cfg->create_section_enumerator(cfg, "%s", part[0]);
        break;
    case 2:
        e = cfg->create_section_enumerator(cfg, "%s.%s", part[0], part[1]);
        break;
    default:
        e = cfg->create_section_enumerator(cfg, "%s.%s.%s", part[0], part[1], part[2]);
        break;
    }
    while (!found && e->enumerate(e, &sub))
        found = streq(sub, name);
    e->destroy(e);
    return found;
}

/* every template reference names a section (conf_files checked their names and parts) */
static bool check_refs(walk_t *w)
{
    const char *ref, *where;
    bool ok = true;

    for (size_t i = 0; ok && (ref = conf_files_ref(w->t->files, i, &where)); i++) {
        char *copy = strdup(ref), *part[CONF_REF_PARTS], *save = NULL;
        size_t n = 0;
        if (!copy)
            return oom(w);
        for (char *p = strtok_r(copy, ".", &save); p && n < CONF_REF_PARTS;
             p = strtok_r(NULL, ".", &save))
            part[n++] = p;
        if (n && !has_sub(w->cfg, part, n - 1, part[n - 1])) {
            conf_err(w->err, "%s: template '%s' not found (no section of that name)", where, ref);
            ok = false;
        }
        free(copy);
    }
    return ok;
}

/* "file:NUMBER: " at the start of a parser message */
static bool names_line(const char *msg)
{
    for (const char *c = strchr(msg, ':'); c; c = strchr(c + 1, ':')) {
        const char *d = c + 1;
        while (*d >= '0' && *d <= '9')
            d++;
        if (d > c + 1 && *d == ':')
            return true;
    }
    return false;
}

static settings_t *parse(const char *path, char **err)
{
    settings_t *cfg = settings_create(NULL);
    capture_t *cap = capture_begin();
    bool ok = cfg->load_files(cfg, (char *)path, FALSE);
    char *first = capture_end(cap);

    if (!ok) {
        if (first && names_line(first))
            conf_err(err, "%s", first);
        else
            conf_err(err, "%s: %s (at the end of the file: a '}' is missing?)", path,
                     first ? first : "invalid");
        cfg->destroy_clear(cfg);
        cfg = NULL;
    }
    free(first);
    return cfg;
}

conf_tree_t *conf_tree_build(settings_t *cfg, conf_files_t *files, const char *path, char **err)
{
    conf_tree_t *t = calloc(1, sizeof(*t));
    walk_t w = {.cfg = cfg, .t = t, .path = path, .err = err};

    if (!t) {
        conf_files_free(files);
        conf_err(err, "%s: out of memory", path);
        return NULL;
    }
    t->files = files;
    if (!check_top(&w) || !check_refs(&w) || !read_conns(&w) || !read_secrets(&w)) {
        if (!*err)
            conf_err(err, "%s: out of memory", path);
        conf_tree_free(t);
        return NULL;
    }
    return t;
}

conf_tree_t *conf_tree_read(const char *path, char **err)
{
    conf_files_t *files;
    settings_t *cfg;
    conf_tree_t *t;

    *err = NULL;
    files = conf_files_check(path, err);
    if (!files)
        return NULL;
    cfg = parse(path, err);
    if (!cfg) {
        conf_files_free(files);
        return NULL;
    }
    t = conf_tree_build(cfg, files, path, err);
    cfg->destroy_clear(cfg);
    return t;
}

static void free_sec(conf_sec_t *s)
{
    for (size_t i = 0; i < s->n_kv; i++) {
        free(s->kv[i].key);
        free(s->kv[i].value);
    }
    for (size_t i = 0; i < s->n_sub; i++)
        free_sec(&s->sub[i]);
    free(s->kv);
    free(s->sub);
    free(s->name);
}

void conf_tree_free(conf_tree_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_conns; i++)
        free_sec(&t->conns[i]);
    for (size_t i = 0; i < t->n_secrets; i++) {
        conf_secret_t *s = &t->secrets[i];
        chunk_clear(&s->data);
        for (size_t j = 0; j < s->n_owners; j++)
            free(s->owners[j]);
        free(s->owners);
        free(s->name);
        if (s->user)
            memwipe(s->user, strlen(s->user));
        free(s->user);
    }
    free(t->conns);
    free(t->secrets);
    conf_files_free(t->files);
    free(t);
}

const conf_sec_t *conf_sec_sub(const conf_sec_t *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_sub; i++)
        if (streq(s->sub[i].name, name))
            return &s->sub[i];
    return NULL;
}

const char *conf_sec_value(const conf_sec_t *s, const char *key)
{
    for (size_t i = 0; s && i < s->n_kv; i++)
        if (streq(s->kv[i].key, key))
            return s->kv[i].value;
    return NULL;
}

const char *conf_tree_where(const conf_tree_t *t, conf_top_t top, const char *name,
                            const char *path)
{
    const char *where = t ? conf_files_where(t->files, top, name) : NULL;

    return where ? where : path;
}
