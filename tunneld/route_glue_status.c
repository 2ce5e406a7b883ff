/*
 * route_glue_status: the "routes" document (docs/schema/routes.schema.json):
 * sites and paths with whether each is usable now and, for bound paths, the
 * CHILD_SA's state, and the problems of the last apply and of the running
 * engine.
 *
 * Threading: the control server's thread; reads under the glue's lock and
 * the engine's own.
 */
#define _GNU_SOURCE /* asprintf */
#include "route_glue_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *path_json(const route_glue_t *g, const route_path_conf_t *p,
                              const sa_ike_rec_t *rows, size_t n)
{
    json_object *o = json_object_new_object();
    int usable = routes_path_usable(g->eng, p->site, p->path);

    json_object_object_add(o, "name", json_object_new_string(p->path));
    json_object_object_add(o, "dev", json_object_new_string(p->dev));
    json_object_object_add(o, "gateway4", p->gw4 ? json_object_new_string(p->gw4) : NULL);
    json_object_object_add(o, "gateway6", p->gw6 ? json_object_new_string(p->gw6) : NULL);
    json_object_object_add(o, "priority", json_object_new_int64(p->priority));
    json_object_object_add(o, "weight", json_object_new_int64(p->weight));
    json_object_object_add(o, "usable", usable < 0 ? NULL : json_object_new_boolean(usable));
    if (p->conn) {
        char *child = NULL;
        if (asprintf(&child, "%s.%s", p->conn, p->child) < 0)
            child = NULL;
        json_object_object_add(o, "child", child ? json_object_new_string(child) : NULL);
        json_object_object_add(o, "child_up", json_object_new_boolean(rg_child_up(rows, n, p)));
        free(child);
    } else {
        json_object_object_add(o, "child", NULL);
        json_object_object_add(o, "child_up", NULL);
    }
    return o;
}

/* what the engine hits while it runs (repairs that fail, e.g. a collision
 * with someone else's route; rules of others shadowing tunneld's), for as
 * long as it stands */
static void add_engine_problems(route_glue_t *g, json_object *problems)
{
    struct routes_result res;

    routes_get_problems(g->eng, &res);
    for (size_t i = 0; i < res.n_errors; i++) {
        char *s = NULL;
        if (asprintf(&s, "running: %s", res.errors[i].message) >= 0) {
            json_object_array_add(problems, json_object_new_string(s));
            free(s);
        }
    }
    routes_result_free(&res);
}

json_object *route_glue_status(route_glue_t *g)
{
    json_object *doc = json_object_new_object(), *sites = json_object_new_array();
    json_object *problems = json_object_new_array(), *site = NULL, *paths = NULL;
    const char *cur = "";
    sa_ike_rec_t *rows = NULL;
    size_t n = g && g->table ? sa_table_snapshot(g->table, &rows) : 0;

    json_object_object_add(doc, "version", json_object_new_int(ROUTE_STATUS_VERSION));
    if (!g) {
        const char *start_problem = rg_start_problem_lock();
        if (start_problem)
            json_object_array_add(problems, json_object_new_string(start_problem));
        rg_start_problem_unlock();
        json_object_object_add(doc, "sites", sites);
        json_object_object_add(doc, "problems", problems);
        return doc;
    }
    json_object_object_add(doc, "table", json_object_new_int64(g->table_id));
    json_object_object_add(doc, "protocol", json_object_new_int(g->protocol));
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->n_paths; i++) {
        const route_path_conf_t *p = &g->paths[i];
        if (!site || strcmp(cur, p->site) != 0) {
            site = json_object_new_object();
            paths = json_object_new_array();
            json_object_object_add(site, "name", json_object_new_string(p->site));
            json_object_object_add(site, "paths", paths);
            json_object_array_add(sites, site);
            cur = p->site;
        }
        json_object_array_add(paths, path_json(g, p, rows, n));
    }
    for (size_t i = 0; i < g->n_problems; i++)
        json_object_array_add(problems, json_object_new_string(g->problems[i]));
    pthread_mutex_unlock(&g->lock);
    add_engine_problems(g, problems);
    if (rows)
        sa_table_snapshot_free(rows, n);
    json_object_object_add(doc, "sites", sites);
    json_object_object_add(doc, "problems", problems);
    return doc;
}
