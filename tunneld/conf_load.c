/*
 * conf_load: see conf_load.h. The vici messages follow the layout swanctl
 * uses for load-conn / load-shared: a section per connection holding its
 * keys, comma-separated values sent as lists for the keys vici expects as
 * lists, and sub-sections (local*, remote*, children) nested as they are.
 */
#define _GNU_SOURCE /* asprintf */
#include "conf_load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <collections/hashtable.h>
#include <collections/linked_list.h>
#include <library.h>
#include <libvici.h>

#include "conf_tree.h"
#include "conf_value.h"
#include "conf_vici.h"
#include "dataplane.h"

/* charon's vici socket drops longer messages (VICI_MESSAGE_SIZE_MAX in 5.9.8) */
#define VICI_MESSAGE_MAX (512 * 1024)

static void add_item(void *req, const char *token)
{
    vici_add_list_itemf(req, "%s", token);
}

static void count_item(void *size, const char *token)
{
    *(size_t *)size += 3 + strlen(token); /* type, 16-bit length, value */
}

static bool skip_key(const conf_kv_t *kv, bool top, bool force_encap)
{
    return top && force_encap && streq(kv->key, "encap");
}

/* adds the keys and sub-sections of s */
static void add_section(vici_req_t *req, const conf_sec_t *s, bool top, bool force_encap)
{
    for (size_t i = 0; i < s->n_kv; i++) {
        const conf_kv_t *kv = &s->kv[i];
        if (skip_key(kv, top, force_encap))
            continue;
        if (!conf_vici_list_key(kv->key)) {
            vici_add_key_valuef(req, kv->key, "%s", kv->value);
            continue;
        }
        vici_begin_list(req, kv->key);
        conf_vici_each_item(kv->value, add_item, req);
        vici_end_list(req);
    }
    if (top && force_encap)
        vici_add_key_valuef(req, "encap", "%s", "yes");
    for (size_t i = 0; i < s->n_sub; i++) {
        vici_begin_section(req, s->sub[i].name);
        add_section(req, &s->sub[i], FALSE, force_encap);
        vici_end_section(req);
    }
}

/* bytes of the section s as add_section encodes it (libvici's wire format) */
static size_t section_size(const conf_sec_t *s, bool top)
{
    size_t size = 2 + strlen(s->name) + 1; /* section start, end */

    for (size_t i = 0; i < s->n_kv; i++) {
        const conf_kv_t *kv = &s->kv[i];
        if (conf_vici_list_key(kv->key)) {
            size += 2 + strlen(kv->key) + 1; /* list start, end */
            conf_vici_each_item(kv->value, count_item, &size);
        } else {
            size += 4 + strlen(kv->key) + strlen(kv->value);
        }
    }
    if (top)
        size += 4 + strlen("encap") + strlen("yes");
    for (size_t i = 0; i < s->n_sub; i++)
        size += section_size(&s->sub[i], FALSE);
    return size;
}

/* NULL if connection c fits in one vici message, else why not (malloc'd) */
static char *conn_too_big(const conf_sec_t *c)
{
    size_t size = 2 + strlen("load-conn") + section_size(c, TRUE);
    char *why = NULL;

    if (size > VICI_MESSAGE_MAX &&
        asprintf(&why, "its vici message would be %zu bytes, charon accepts at most %d", size,
                 VICI_MESSAGE_MAX) < 0)
        why = strdup("too large for one vici message");
    return why;
}

/* sends req; true on success, else errmsg (or the transport error) in *err */
static bool submit(vici_conn_t *conn, vici_req_t *req, char **err)
{
    vici_res_t *res = vici_submit(req, conn);

    if (!res) {
        conf_err(err, "vici request failed: %s", strerror(errno));
        return FALSE;
    }
    bool ok = streq(vici_find_str(res, "no", "success"), "yes");
    if (!ok)
        conf_err(err, "%s", vici_find_str(res, "rejected by charon", "errmsg"));
    vici_free_res(res);
    return ok;
}

/* names listed under key `list` in the reply of a get-* command */
static int collect_list(void *user, vici_res_t *res, char *name, void *value, int len)
{
    linked_list_t *names = user;
    char *copy = strndup(value, len);

    if (copy)
        names->insert_last(names, copy);
    return 0;
}

static linked_list_t *get_names(vici_conn_t *conn, const char *cmd)
{
    linked_list_t *names = linked_list_create();
    vici_res_t *res = vici_submit(vici_begin((char *)cmd), conn);

    if (res) {
        vici_parse_cb(res, NULL, NULL, collect_list, names);
        vici_free_res(res);
    }
    return names;
}

static void conn_failed(const conf_load_opts_t *opts, const conf_tree_t *t, const char *name,
                        const char *why, conf_load_result_t *res)
{
    DBG1(DBG_CFG, "connection '%s' from %s rejected: %s", name,
         conf_tree_where(t, CONF_TOP_CONNECTIONS, name, opts->path), why);
    if (opts->table)
        sa_table_conn_error(opts->table, name, why);
    res->conns_failed++;
}

static void load_conn(vici_conn_t *conn, const conf_tree_t *t, const conf_sec_t *c,
                      const conf_load_opts_t *opts, conf_load_result_t *res)
{
    char *err = conn_too_big(c);
    vici_req_t *req;

    if (!err)
        err = conf_vici_long_id(c);

    if (err) {
        conn_failed(opts, t, c->name, err, res);
        free(err);
        return;
    }
    req = vici_begin("load-conn");
    vici_begin_section(req, c->name);
    add_section(req, c, TRUE, opts->force_encap);
    vici_end_section(req);
    if (!submit(conn, req, &err)) {
        conn_failed(opts, t, c->name, err ? err : "out of memory", res);
        free(err);
        return;
    }
    const conf_sec_t *children = conf_sec_sub(c, "children");
    size_t n = children ? children->n_sub : 0;
    const char **list = calloc(n ? n : 1, sizeof(*list));
    for (size_t i = 0; list && i < n; i++)
        list[i] = children->sub[i].name;
    if (opts->table && list)
        sa_table_conn_loaded(opts->table, c->name, list, n);
    else if (opts->table)
        DBG1(DBG_CFG, "connection '%s': out of memory listing its children", c->name);
    free(list);
    DBG1(DBG_CFG, "loaded connection '%s'", c->name);
    res->conns_loaded++;
}

static void load_secret(vici_conn_t *conn, const conf_tree_t *t, const conf_secret_t *s,
                        const conf_load_opts_t *opts, conf_load_result_t *res)
{
    vici_req_t *req;
    char *err = NULL;

    for (size_t i = 0; i < s->n_owners; i++)
        if (strlen(s->owners[i]) >= CONF_VICI_OWNER_MAX) {
            DBG1(DBG_CFG,
                 "%s: secret 'secrets.%s' rejected: an identity of %zu bytes: charon's vici "
                 "keeps at most %d bytes of a shared key's owner and cuts the rest without a word "
                 "(expected a shorter identity)",
                 conf_tree_where(t, CONF_TOP_SECRETS, s->name, opts->path), s->name,
                 strlen(s->owners[i]), CONF_VICI_OWNER_MAX - 1);
            res->secrets_failed++;
            return;
        }
    req = vici_begin("load-shared");

    vici_add_key_valuef(req, "id", "%s", s->name);
    vici_add_key_valuef(req, "type", "%s", s->type);
    vici_add_key_value(req, "data", s->data.ptr, (int)s->data.len);
    vici_begin_list(req, "owners");
    for (size_t i = 0; i < s->n_owners; i++)
        vici_add_list_itemf(req, "%s", s->owners[i]);
    vici_end_list(req);
    /* never log the secret itself: only its section name */
    if (submit(conn, req, &err)) {
        res->secrets_loaded++;
    } else {
        DBG1(DBG_CFG, "%s: secret 'secrets.%s' rejected: %s",
             conf_tree_where(t, CONF_TOP_SECRETS, s->name, opts->path), s->name,
             err ? err : "out of memory");
        res->secrets_failed++;
    }
    free(err);
}

static void unload(vici_conn_t *conn, const char *cmd, const char *key, const char *name)
{
    char *err = NULL;
    vici_req_t *req = vici_begin((char *)cmd);

    vici_add_key_valuef(req, (char *)key, "%s", name);
    if (!submit(conn, req, &err))
        DBG1(DBG_CFG, "%s '%s' failed: %s", cmd, name, err ? err : "out of memory");
    free(err);
}

/* a set of names (keys borrowed from the tree) */
static hashtable_t *name_set(size_t n, const char *(*name_at)(const conf_tree_t *, size_t),
                             const conf_tree_t *t)
{
    hashtable_t *set = hashtable_create(hashtable_hash_str, hashtable_equals_str, n ? n : 1);

    for (size_t i = 0; i < n; i++)
        set->put(set, (void *)name_at(t, i), (void *)name_at(t, i));
    return set;
}

static const char *conn_name(const conf_tree_t *t, size_t i)
{
    return t->conns[i].name;
}

static const char *secret_name(const conf_tree_t *t, size_t i)
{
    return t->secrets[i].name;
}

static void log_warnings(const conf_tree_t *t)
{
    const char *w;

    for (size_t i = 0; (w = conf_files_warning(t->files, i)); i++)
        DBG1(DBG_CFG, "warning: %s", w);
}

static void apply_secrets(vici_conn_t *conn, const conf_tree_t *t, const conf_load_opts_t *opts,
                          conf_load_result_t *res)
{
    hashtable_t *want = name_set(t->n_secrets, secret_name, t);
    linked_list_t *have = get_names(conn, "get-shared");
    enumerator_t *e;
    char *name;

    for (size_t i = 0; i < t->n_secrets; i++)
        if (!streq(t->secrets[i].type, CONF_SECRET_PROXY)) /* tunneld's own, never charon's */
            load_secret(conn, t, &t->secrets[i], opts, res);
    e = have->create_enumerator(have);
    while (e->enumerate(e, &name))
        if (!want->get(want, name)) {
            unload(conn, "unload-shared", "id", name);
            res->secrets_unloaded++;
        }
    e->destroy(e);
    want->destroy(want);
    have->destroy_function(have, free);
}

static void apply_conns(vici_conn_t *conn, const conf_tree_t *t, const conf_load_opts_t *opts,
                        conf_load_result_t *res)
{
    hashtable_t *want = name_set(t->n_conns, conn_name, t);
    linked_list_t *have = get_names(conn, "get-conns");
    enumerator_t *e;
    char *name;

    e = have->create_enumerator(have);
    while (e->enumerate(e, &name))
        if (!want->get(want, name)) {
            unload(conn, "unload-conn", "name", name);
            if (opts->table)
                sa_table_conn_removed(opts->table, name);
            DBG1(DBG_CFG, "unloaded connection '%s' (no longer in %s)", name, opts->path);
            res->conns_unloaded++;
        }
    e->destroy(e);
    for (size_t i = 0; i < t->n_conns; i++)
        load_conn(conn, t, &t->conns[i], opts, res);
    want->destroy(want);
    have->destroy_function(have, free);
}

bool conf_load_apply(const conf_load_opts_t *opts, conf_load_result_t *res, char **err)
{
    conf_tree_t *t;
    vici_conn_t *conn;

    memset(res, 0, sizeof(*res));
    t = conf_tree_read(opts->path, err);
    if (!t)
        return FALSE;
    log_warnings(t);
    conn = vici_connect((char *)opts->vici_uri);
    if (!conn) {
        conf_err(err, "cannot connect to vici at %s: %s", opts->vici_uri, strerror(errno));
        conf_tree_free(t);
        return FALSE;
    }
    /* secrets first, so that connections that start at once find them */
    apply_secrets(conn, t, opts, res);
    apply_conns(conn, t, opts, res);
    vici_disconnect(conn);
    conf_tree_free(t);
    return TRUE;
}

/* what -n finds wrong with connection c beyond the tree's checks, or NULL (malloc'd) */
static char *conn_problem(const conf_sec_t *c, bool force_encap, char **warnings)
{
    const conf_sec_t *children = conf_sec_sub(c, "children");
    char *why;

    *warnings = NULL;
    if (!conf_sec_value(c, "remote_addrs"))
        return strdup("expected remote_addrs (tunneld initiates: the peer's address)");
    if (!children || !children->n_sub)
        return strdup("expected a children { <name> { ... } } section");
    why = conn_too_big(c);
    return why ? why : conf_vici_check_conn(c, force_encap, warnings);
}

/* the data plane of the settings read (tunneld.dataplane): libipsec forces encap */
static bool settings_force_encap(void)
{
    dataplane_kind_t kind;

    return dataplane_parse(lib->settings->get_str(lib->settings, "tunneld.dataplane", "xfrm"),
                           &kind) &&
           kind == DATAPLANE_LIBIPSEC;
}

static void log_lines(const char *where, const char *lines)
{
    char *copy = lines ? strdup(lines) : NULL, *save = NULL;

    for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
        DBG1(DBG_CFG, "warning: %s: %s", where, l);
    free(copy);
}

bool conf_load_check(const char *path, unsigned *conns, unsigned *problems, char **err)
{
    conf_tree_t *t = conf_tree_read(path, err);
    bool force_encap = settings_force_encap();

    *conns = 0;
    *problems = 0;
    if (!t) {
        *problems = 1;
        return FALSE;
    }
    log_warnings(t);
    for (size_t i = 0; i < t->n_conns; i++) {
        const conf_sec_t *c = &t->conns[i];
        const char *where = conf_tree_where(t, CONF_TOP_CONNECTIONS, c->name, path);
        char *warnings, *why = conn_problem(c, force_encap, &warnings);
        (*conns)++;
        log_lines(where, warnings);
        free(warnings);
        if (why) {
            (*problems)++;
            conf_err(err, "%s: connection '%s': %s", where, c->name, why);
            free(why);
        }
    }
    for (size_t i = 0; i < t->n_secrets; i++) {
        char *why = conf_vici_check_secret(&t->secrets[i]);
        if (why) {
            (*problems)++;
            conf_err(err, "%s: %s", conf_tree_where(t, CONF_TOP_SECRETS, t->secrets[i].name, path),
                     why);
            free(why);
        }
    }
    if (*problems == 0)
        printf("tunneld: %s: %s\n", path, conf_vici_scope());
    conf_tree_free(t);
    return *problems == 0;
}
