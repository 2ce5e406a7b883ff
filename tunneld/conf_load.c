/*
 * conf_load: see conf_load.h. The vici messages follow the layout swanctl
 * uses for load-conn / load-shared: a section per connection holding its
 * keys, comma-separated values sent as lists for the keys vici expects as
 * lists, and sub-sections (local*, remote*, children) nested as they are.
 */
#include "conf_load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <library.h>
#include <collections/linked_list.h>
#include <settings/settings.h>
#include <libvici.h>

#include "capture.h"

/* keys whose comma-separated value vici takes as a list */
static const char *list_keys[] = {
    "local_addrs", "remote_addrs", "proposals", "esp_proposals", "ah_proposals", "local_ts",
    "remote_ts",   "vips",         "pools",     "groups",        "cert_policy",
};

static bool is_list_key(const char *key)
{
    for (size_t i = 0; i < countof(list_keys); i++)
        if (strcaseeq(key, list_keys[i]))
            return TRUE;
    return FALSE;
}

static void add_value(vici_req_t *req, const char *key, const char *value)
{
    if (!is_list_key(key)) {
        vici_add_key_valuef(req, (char *)key, "%s", value);
        return;
    }
    enumerator_t *tokens = enumerator_create_token(value, ",", " ");
    char *token;

    vici_begin_list(req, (char *)key);
    while (tokens->enumerate(tokens, &token))
        vici_add_list_itemf(req, "%s", token);
    tokens->destroy(tokens);
    vici_end_list(req);
}

/*
 * settings_t expands printf arguments within one key segment, so a dotted
 * path must be the format itself; '%' in names is escaped.
 */
static char *key_fmt(char *buf, size_t len, const char *path)
{
    size_t o = 0;

    for (const char *p = path; *p && o + 2 < len; p++) {
        if (*p == '%')
            buf[o++] = '%';
        buf[o++] = *p;
    }
    buf[o] = '\0';
    return buf;
}

/* adds the keys and sub-sections of section `path` (a settings key) */
static void add_section(vici_req_t *req, settings_t *cfg, const char *path, bool top,
                        bool force_encap)
{
    enumerator_t *e;
    char *key, *value, sub[512], fmt[1024];

    e = cfg->create_key_value_enumerator(cfg, key_fmt(fmt, sizeof(fmt), path));
    while (e->enumerate(e, &key, &value)) {
        if (top && force_encap && streq(key, "encap"))
            continue;
        add_value(req, key, value);
    }
    e->destroy(e);
    if (top && force_encap)
        vici_add_key_valuef(req, "encap", "%s", "yes");

    e = cfg->create_section_enumerator(cfg, key_fmt(fmt, sizeof(fmt), path));
    while (e->enumerate(e, &key)) {
        snprintf(sub, sizeof(sub), "%s.%s", path, key);
        vici_begin_section(req, key);
        add_section(req, cfg, sub, FALSE, force_encap);
        vici_end_section(req);
    }
    e->destroy(e);
}

/* sends req; true on success, else errmsg (or the transport error) in err */
static bool submit(vici_conn_t *conn, vici_req_t *req, const char *what, char *err, size_t errlen)
{
    vici_res_t *res = vici_submit(req, conn);

    if (!res) {
        snprintf(err, errlen, "%s: vici request failed: %s", what, strerror(errno));
        return FALSE;
    }
    bool ok = streq(vici_find_str(res, "no", "success"), "yes");
    if (!ok)
        snprintf(err, errlen, "%s", vici_find_str(res, "rejected by charon", "errmsg"));
    vici_free_res(res);
    return ok;
}

/* names listed under key `list` in the reply of a get-* command */
static int collect_list(void *user, vici_res_t *res, char *name, void *value, int len)
{
    linked_list_t *names = user;

    names->insert_last(names, strndup(value, len));
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

static bool name_in(linked_list_t *names, const char *name)
{
    enumerator_t *e = names->create_enumerator(names);
    char *n;
    bool found = FALSE;

    while (!found && e->enumerate(e, &n))
        found = streq(n, name);
    e->destroy(e);
    return found;
}

static linked_list_t *section_names(settings_t *cfg, const char *path)
{
    linked_list_t *names = linked_list_create();
    char fmt[1024];
    enumerator_t *e = cfg->create_section_enumerator(cfg, key_fmt(fmt, sizeof(fmt), path));
    char *name;

    while (e->enumerate(e, &name))
        names->insert_last(names, strdup(name));
    e->destroy(e);
    return names;
}

static void load_conn(vici_conn_t *conn, settings_t *cfg, const char *name,
                      const conf_load_opts_t *opts, conf_load_result_t *res)
{
    char path[256], err[512];
    vici_req_t *req = vici_begin("load-conn");

    snprintf(path, sizeof(path), "connections.%s", name);
    vici_begin_section(req, (char *)name);
    add_section(req, cfg, path, TRUE, opts->force_encap);
    vici_end_section(req);
    if (!submit(conn, req, name, err, sizeof(err))) {
        DBG1(DBG_CFG, "connection '%s' from %s rejected: %s", name, opts->path, err);
        if (opts->table)
            sa_table_conn_error(opts->table, name, err);
        res->conns_failed++;
        return;
    }
    snprintf(path, sizeof(path), "connections.%s.children", name);
    linked_list_t *children = section_names(cfg, path);
    const char *list[32];
    size_t n = 0;
    enumerator_t *e = children->create_enumerator(children);
    char *child;
    while (n < countof(list) && e->enumerate(e, &child))
        list[n++] = child;
    e->destroy(e);
    if (opts->table)
        sa_table_conn_loaded(opts->table, name, list, n);
    children->destroy_function(children, free);
    DBG1(DBG_CFG, "loaded connection '%s'", name);
    res->conns_loaded++;
}

/* secret section names are prefixed by their type, as in swanctl.conf */
static const char *secret_type(const char *section)
{
    static const char *types[] = {"ike", "eap", "xauth", "ntlm", "ppk"};

    for (size_t i = 0; i < countof(types); i++)
        if (strpfx(section, types[i]))
            return types[i];
    return NULL;
}

static void load_secret(vici_conn_t *conn, settings_t *cfg, const char *name,
                        const conf_load_opts_t *opts, conf_load_result_t *res)
{
    const char *type = secret_type(name);
    char *value, *key, err[512];
    chunk_t data;

    if (!type) {
        DBG1(DBG_CFG,
             "%s: secret 'secrets.%s' ignored: expected a name starting with ike, "
             "eap, xauth, ntlm or ppk",
             opts->path, name);
        res->secrets_failed++;
        return;
    }
    value = cfg->get_str(cfg, "secrets.%s.secret", NULL, name);
    if (!value) {
        DBG1(DBG_CFG, "%s: secret 'secrets.%s' has no 'secret' key", opts->path, name);
        res->secrets_failed++;
        return;
    }
    if (strcasepfx(value, "0x"))
        data = chunk_from_hex(chunk_from_str(value + 2), NULL);
    else if (strcasepfx(value, "0s"))
        data = chunk_from_base64(chunk_from_str(value + 2), NULL);
    else
        data = chunk_clone(chunk_from_str(value));

    vici_req_t *req = vici_begin("load-shared");
    vici_add_key_valuef(req, "id", "%s", name);
    vici_add_key_valuef(req, "type", "%s", type);
    vici_add_key_value(req, "data", data.ptr, data.len);
    chunk_clear(&data);
    vici_begin_list(req, "owners");
    enumerator_t *e = cfg->create_key_value_enumerator(cfg, "secrets.%s", name);
    while (e->enumerate(e, &key, &value))
        if (strpfx(key, "id"))
            vici_add_list_itemf(req, "%s", value);
    e->destroy(e);
    vici_end_list(req);
    /* never log the secret itself: only its section name */
    if (submit(conn, req, name, err, sizeof(err))) {
        res->secrets_loaded++;
    } else {
        DBG1(DBG_CFG, "%s: secret 'secrets.%s' rejected: %s", opts->path, name, err);
        res->secrets_failed++;
    }
}

static void unload(vici_conn_t *conn, const char *cmd, const char *key, const char *name)
{
    char err[512];
    vici_req_t *req = vici_begin((char *)cmd);

    vici_add_key_valuef(req, (char *)key, "%s", name);
    if (!submit(conn, req, name, err, sizeof(err)))
        DBG1(DBG_CFG, "%s '%s' failed: %s", cmd, name, err);
}

settings_t *conf_load_parse(const char *path, char *err, size_t errlen)
{
    char first[512];
    settings_t *cfg;

    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    cfg = settings_create(NULL);
    capture_t *cap = capture_begin();
    bool ok = cfg->load_files(cfg, (char *)path, FALSE);
    capture_end(cap, first, sizeof(first));
    if (!ok) {
        char file[256];
        int line;
        /* the parser names file:line, except for errors at the end of the file */
        if (sscanf(first, "%255[^:]:%d:", file, &line) == 2)
            snprintf(err, errlen, "%s", first);
        else
            snprintf(err, errlen, "%s: %s (at the end of the file: a '}' is missing?)", path,
                     first[0] ? first : "invalid");
        cfg->destroy(cfg);
        return NULL;
    }
    return cfg;
}

bool conf_load_apply(const conf_load_opts_t *opts, conf_load_result_t *res, char *err,
                     size_t errlen)
{
    settings_t *cfg;
    vici_conn_t *conn;
    linked_list_t *want, *have;
    enumerator_t *e;
    char *name;

    memset(res, 0, sizeof(*res));
    cfg = conf_load_parse(opts->path, err, errlen);
    if (!cfg)
        return FALSE;
    conn = vici_connect((char *)opts->vici_uri);
    if (!conn) {
        snprintf(err, errlen, "cannot connect to vici at %s: %s", opts->vici_uri, strerror(errno));
        cfg->destroy(cfg);
        return FALSE;
    }

    /* secrets first, so that connections that start at once find them */
    want = section_names(cfg, "secrets");
    have = get_names(conn, "get-shared");
    e = want->create_enumerator(want);
    while (e->enumerate(e, &name))
        load_secret(conn, cfg, name, opts, res);
    e->destroy(e);
    e = have->create_enumerator(have);
    while (e->enumerate(e, &name))
        if (!name_in(want, name)) {
            unload(conn, "unload-shared", "id", name);
            res->secrets_unloaded++;
        }
    e->destroy(e);
    want->destroy_function(want, free);
    have->destroy_function(have, free);

    want = section_names(cfg, "connections");
    have = get_names(conn, "get-conns");
    e = have->create_enumerator(have);
    while (e->enumerate(e, &name))
        if (!name_in(want, name)) {
            unload(conn, "unload-conn", "name", name);
            if (opts->table)
                sa_table_conn_removed(opts->table, name);
            DBG1(DBG_CFG, "unloaded connection '%s' (no longer in %s)", name, opts->path);
            res->conns_unloaded++;
        }
    e->destroy(e);
    e = want->create_enumerator(want);
    while (e->enumerate(e, &name))
        load_conn(conn, cfg, name, opts, res);
    e->destroy(e);
    want->destroy_function(want, free);
    have->destroy_function(have, free);

    vici_disconnect(conn);
    cfg->destroy(cfg);
    return TRUE;
}

bool conf_load_check(const char *path, unsigned *conns, unsigned *problems, char *err,
                     size_t errlen)
{
    settings_t *cfg = conf_load_parse(path, err, errlen);
    enumerator_t *e;
    char *name;

    *conns = 0;
    *problems = 0;
    if (!cfg) {
        *problems = 1;
        return FALSE;
    }
    err[0] = '\0';
    e = cfg->create_section_enumerator(cfg, "connections");
    while (e->enumerate(e, &name)) {
        (*conns)++;
        const char *missing = NULL;
        if (!cfg->get_str(cfg, "connections.%s.remote_addrs", NULL, name))
            missing = "remote_addrs (tunneld initiates: the peer's address)";
        linked_list_t *children = NULL;
        if (!missing) {
            char path2[256];
            snprintf(path2, sizeof(path2), "connections.%s.children", name);
            children = section_names(cfg, path2);
            if (!children->get_count(children))
                missing = "a children { <name> { ... } } section";
            children->destroy_function(children, free);
        }
        if (missing) {
            (*problems)++;
            if (!err[0])
                snprintf(err, errlen, "%s: connection '%s': expected %s", path, name, missing);
        }
    }
    e->destroy(e);
    cfg->destroy(cfg);
    return *problems == 0;
}
