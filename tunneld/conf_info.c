/* conf_info: see conf_info.h. */
#include "conf_info.h"

#include <stdlib.h>
#include <string.h>

#include <library.h>

#include "conf_tree.h"
#include "conf_value.h"

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

/* children and remote_addrs of one connection (names already checked by conf_tree) */
static bool read_conn(const conf_sec_t *sec, conf_conn_info_t *c)
{
    const conf_sec_t *children = conf_sec_sub(sec, "children");
    const char *addrs = conf_sec_value(sec, "remote_addrs");
    enumerator_t *tok;
    char *a;
    bool ok = true;

    c->name = strdup(sec->name);
    if (!c->name)
        return false;
    for (size_t i = 0; ok && children && i < children->n_sub; i++)
        ok = push(&c->children, &c->n_children, children->sub[i].name);
    if (ok && addrs) {
        tok = enumerator_create_token(addrs, ",", " ");
        while (ok && tok->enumerate(tok, &a))
            ok = push(&c->remote_addrs, &c->n_remote_addrs, a);
        tok->destroy(tok);
    }
    return ok;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const conf_conn_info_t *)a)->name, ((const conf_conn_info_t *)b)->name);
}

bool conf_info_read(const char *path, conf_info_t *out, char *err, size_t errlen)
{
    char *why = NULL;
    conf_tree_t *t;
    bool ok = true;

    memset(out, 0, sizeof(*out));
    t = conf_tree_read(path, &why);
    if (!t) {
        conf_err_copy(err, errlen, why);
        free(why);
        return false;
    }
    out->conns = calloc(t->n_conns ? t->n_conns : 1, sizeof(*out->conns));
    ok = out->conns != NULL;
    for (size_t i = 0; ok && i < t->n_conns; i++)
        ok = read_conn(&t->conns[i], &out->conns[out->n_conns++]);
    conf_tree_free(t);
    if (!ok) {
        conf_err_copy(err, errlen, "out of memory reading the connections");
        conf_info_free(out);
        return false;
    }
    qsort(out->conns, out->n_conns, sizeof(*out->conns), by_name);
    return true;
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
    conf_conn_info_t key = {.name = (char *)name};

    /* sorted by name when read */
    return info->n_conns ? bsearch(&key, info->conns, info->n_conns, sizeof(key), by_name) : NULL;
}

bool conf_info_has_child(const conf_info_t *info, const char *conn, const char *child)
{
    const conf_conn_info_t *c = conf_info_conn(info, conn);

    for (size_t i = 0; c && i < c->n_children; i++)
        if (strcmp(c->children[i], child) == 0)
            return true;
    return false;
}
