/*
 * output_json: the rows as JSON again, with the keys of
 * docs/schema/sa.schema.json and routes.schema.json (the same documents
 * tunneld sends, written by json_writer: valid JSON, safe on a terminal).
 * Threading: single-threaded (tunnelctl).
 */
#include <stdio.h>

#include "json_writer.h"
#include "output.h"
#include "sa_json.h"

static void key_str(json_writer_t *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_string(w, v);
}

/* a text field of the SA rows: NULL is "" (sa_text) */
static void key_text(json_writer_t *w, const char *k, const char *v)
{
    key_str(w, k, sa_text(v));
}

static void key_int(json_writer_t *w, const char *k, int64_t v)
{
    jw_key(w, k);
    jw_int(w, v);
}

static void key_uint(json_writer_t *w, const char *k, uint64_t v)
{
    jw_key(w, k);
    jw_uint(w, v);
}

static void down(json_writer_t *w, sa_reason_t r, const char *detail, time_t when)
{
    jw_key(w, "last_down");
    if (r == SA_REASON_NONE) {
        jw_null(w);
        return;
    }
    jw_object(w);
    key_str(w, "reason", sa_reason_name(r));
    key_text(w, "detail", detail);
    key_int(w, "time", (int64_t)when);
    jw_end(w);
}

static void child(json_writer_t *w, const sa_child_rec_t *c)
{
    char spi[16];

    jw_object(w);
    key_str(w, "name", c->name);
    key_str(w, "state", sa_state_name(c->state));
    key_uint(w, "unique_id", c->unique_id);
    key_uint(w, "reqid", c->reqid);
    key_uint(w, "if_id_in", c->if_id_in);
    key_uint(w, "if_id_out", c->if_id_out);
    snprintf(spi, sizeof(spi), "%08x", c->spi_in);
    key_str(w, "spi_in", spi);
    snprintf(spi, sizeof(spi), "%08x", c->spi_out);
    key_str(w, "spi_out", spi);
    key_text(w, "local_ts", c->local_ts);
    key_text(w, "remote_ts", c->remote_ts);
    key_text(w, "proposal", c->proposal);
    key_int(w, "established", (int64_t)c->established);
    key_uint(w, "rekeys", c->rekeys);
    key_uint(w, "bytes_in", c->counters.bytes_in);
    key_uint(w, "bytes_out", c->counters.bytes_out);
    key_uint(w, "packets_in", c->counters.packets_in);
    key_uint(w, "packets_out", c->counters.packets_out);
    down(w, c->last_down, c->last_down_detail, c->last_down_time);
    jw_end(w);
}

static void ike(json_writer_t *w, const sa_ike_rec_t *r)
{
    jw_object(w);
    key_str(w, "name", r->name);
    key_str(w, "state", sa_state_name(r->state));
    key_uint(w, "unique_id", r->unique_id);
    key_text(w, "local_addr", r->local_addr);
    key_text(w, "remote_addr", r->remote_addr);
    key_text(w, "local_id", r->local_id);
    key_text(w, "remote_id", r->remote_id);
    key_text(w, "proposal", r->proposal);
    key_int(w, "established", (int64_t)r->established);
    key_uint(w, "rekeys", r->rekeys);
    down(w, r->last_down, r->last_down_detail, r->last_down_time);
    jw_key(w, "children");
    jw_array(w);
    for (size_t j = 0; j < r->n_children; j++)
        child(w, &r->children[j]);
    jw_end(w);
    jw_end(w);
}

static void json_sa(FILE *out, const sa_ike_rec_t *rows, size_t n)
{
    json_writer_t w;

    jw_init(&w, out);
    jw_object(&w);
    key_int(&w, "version", SA_JSON_VERSION);
    jw_key(&w, "sas");
    jw_array(&w);
    for (size_t i = 0; i < n; i++)
        ike(&w, &rows[i]);
    jw_end(&w);
    jw_end(&w);
    jw_finish(&w);
}

static void key_bool(json_writer_t *w, const char *k, routes_bool_t v)
{
    jw_key(w, k);
    if (v == RJ_NULL)
        jw_null(w);
    else
        jw_bool(w, v == RJ_TRUE);
}

static void path(json_writer_t *w, const routes_path_t *p)
{
    jw_object(w);
    key_str(w, "name", p->name);
    key_str(w, "dev", p->dev);
    key_str(w, "gateway4", p->gateway4);
    key_str(w, "gateway6", p->gateway6);
    key_int(w, "priority", p->priority);
    key_int(w, "weight", p->weight);
    key_bool(w, "usable", p->usable);
    key_str(w, "child", p->child);
    key_bool(w, "child_up", p->child_up);
    jw_end(w);
}

static void json_routes(FILE *out, const routes_doc_t *doc)
{
    json_writer_t w;

    jw_init(&w, out);
    jw_object(&w);
    key_int(&w, "version", ROUTES_JSON_VERSION);
    if (doc->has_table)
        key_uint(&w, "table", doc->table);
    if (doc->has_protocol)
        key_uint(&w, "protocol", doc->protocol);
    jw_key(&w, "sites");
    jw_array(&w);
    for (size_t i = 0; i < doc->n_sites; i++) {
        jw_object(&w);
        key_str(&w, "name", doc->sites[i].name);
        jw_key(&w, "paths");
        jw_array(&w);
        for (size_t j = 0; j < doc->sites[i].n_paths; j++)
            path(&w, &doc->sites[i].paths[j]);
        jw_end(&w);
        jw_end(&w);
    }
    jw_end(&w);
    if (doc->has_problems) {
        jw_key(&w, "problems");
        jw_array(&w);
        for (size_t i = 0; i < doc->n_problems; i++)
            jw_string(&w, doc->problems[i]);
        jw_end(&w);
    }
    jw_end(&w);
    jw_finish(&w);
}

const struct output output_json = {
    .sa = json_sa, .routes = json_routes, .paths = output_paths_json};
