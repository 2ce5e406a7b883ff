/* conf_info: see conf_info.h. */
#include "conf_info.h"

#include <stdlib.h>
#include <string.h>

#include <library.h>
#include <settings/settings.h>

#include "conf_load.h"

/* appends s to a growing array of strings; false when out of memory */
static bool push(char ***arr, size_t *n, const char *s)
{
    char **grown = realloc(*arr, (*n + 1) * sizeof(**arr));
    char *copy = strdup(s);

    if (!grown || !copy) {
        free(copy);
        if (grown)
            *arr = grown;
        return false;
    }
    *arr = grown;
    (*arr)[(*n)++] = copy;
    return true;
}

static void free_strs(char **arr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(arr[i]);
    free(arr);
}

/* children and remote_addrs of one connection; '%' in names is never a format here */
static bool read_conn(settings_t *cfg, const char *name, conf_conn_info_t *c)
{
    enumerator_t *e, *tok;
    char *child, *addrs, *a;
    bool ok = true;

    c->name = strdup(name);
    if (!c->name)
        return false;
    e = cfg->create_section_enumerator(cfg, "connections.%s.children", name);
    while (ok && e->enumerate(e, &child))
        ok = push(&c->children, &c->n_children, child);
    e->destroy(e);
    addrs = cfg->get_str(cfg, "connections.%s.remote_addrs", NULL, name);
    if (ok && addrs) {
        tok = enumerator_create_token(addrs, ",", " ");
        while (ok && tok->enumerate(tok, &a))
            ok = push(&c->remote_addrs, &c->n_remote_addrs, a);
        tok->destroy(tok);
    }
    return ok;
}

bool conf_info_read(const char *path, conf_info_t *out, char *err, size_t errlen)
{
    settings_t *cfg;
    enumerator_t *e;
    char *name;
    bool ok = true;

    memset(out, 0, sizeof(*out));
    cfg = conf_load_parse(path, err, errlen);
    if (!cfg)
        return false;
    e = cfg->create_section_enumerator(cfg, "connections");
    while (ok && e->enumerate(e, &name)) {
        conf_conn_info_t *grown = realloc(out->conns, (out->n_conns + 1) * sizeof(*grown));
        if (!grown) {
            ok = false;
            break;
        }
        out->conns = grown;
        memset(&out->conns[out->n_conns], 0, sizeof(*grown));
        ok = read_conn(cfg, name, &out->conns[out->n_conns++]);
    }
    e->destroy(e);
    cfg->destroy(cfg);
    if (!ok) {
        snprintf(err, errlen, "%s: out of memory reading the connections", path);
        conf_info_free(out);
    }
    return ok;
}

void conf_info_free(conf_info_t *info)
{
    for (size_t i = 0; info && i < info->n_conns; i++) {
        free(info->conns[i].name);
        free_strs(info->conns[i].children, info->conns[i].n_children);
        free_strs(info->conns[i].remote_addrs, info->conns[i].n_remote_addrs);
    }
    if (info) {
        free(info->conns);
        memset(info, 0, sizeof(*info));
    }
}

const conf_conn_info_t *conf_info_conn(const conf_info_t *info, const char *name)
{
    for (size_t i = 0; i < info->n_conns; i++)
        if (strcmp(info->conns[i].name, name) == 0)
            return &info->conns[i];
    return NULL;
}

bool conf_info_has_child(const conf_info_t *info, const char *conn, const char *child)
{
    const conf_conn_info_t *c = conf_info_conn(info, conn);

    for (size_t i = 0; c && i < c->n_children; i++)
        if (strcmp(c->children[i], child) == 0)
            return true;
    return false;
}
