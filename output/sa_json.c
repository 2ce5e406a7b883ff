/* sa_json: rendering, see sa_json.h. Keys are fixed by docs/schema/sa.schema.json. */
#include "sa_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a string; a text field's NULL is "" (sa_text) */
static void put_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(sa_text(v)));
}

static void put_int(json_object *o, const char *k, int64_t v)
{
    json_object_object_add(o, k, json_object_new_int64(v));
}

static void put_uint(json_object *o, const char *k, uint64_t v)
{
    json_object_object_add(o, k, json_object_new_uint64(v));
}

static json_object *render_down(sa_reason_t r, const char *detail, time_t when)
{
    if (r == SA_REASON_NONE)
        return NULL;
    json_object *o = json_object_new_object();
    put_str(o, "reason", sa_reason_name(r));
    put_str(o, "detail", detail);
    put_int(o, "time", (int64_t)when);
    return o;
}

static json_object *render_child(const sa_child_rec_t *c)
{
    json_object *o = json_object_new_object();
    char spi[16];

    put_str(o, "name", c->name);
    put_str(o, "state", sa_state_name(c->state));
    put_int(o, "unique_id", c->unique_id);
    put_int(o, "reqid", c->reqid);
    put_int(o, "if_id_in", c->if_id_in);
    put_int(o, "if_id_out", c->if_id_out);
    snprintf(spi, sizeof(spi), "%08x", c->spi_in);
    put_str(o, "spi_in", spi);
    snprintf(spi, sizeof(spi), "%08x", c->spi_out);
    put_str(o, "spi_out", spi);
    put_str(o, "local_ts", c->local_ts);
    put_str(o, "remote_ts", c->remote_ts);
    put_str(o, "proposal", c->proposal);
    put_int(o, "established", (int64_t)c->established);
    put_int(o, "rekeys", c->rekeys);
    put_uint(o, "bytes_in", c->counters.bytes_in);
    put_uint(o, "bytes_out", c->counters.bytes_out);
    put_uint(o, "packets_in", c->counters.packets_in);
    put_uint(o, "packets_out", c->counters.packets_out);
    json_object_object_add(o, "last_down",
                           render_down(c->last_down, c->last_down_detail, c->last_down_time));
    return o;
}

json_object *sa_json_render(const sa_ike_rec_t *rows, size_t n)
{
    json_object *doc = json_object_new_object();
    json_object *sas = json_object_new_array();

    put_int(doc, "version", SA_JSON_VERSION);
    for (size_t i = 0; i < n; i++) {
        const sa_ike_rec_t *r = &rows[i];
        json_object *o = json_object_new_object();
        json_object *children = json_object_new_array();

        put_str(o, "name", r->name);
        put_str(o, "state", sa_state_name(r->state));
        put_int(o, "unique_id", r->unique_id);
        put_str(o, "local_addr", r->local_addr);
        put_str(o, "remote_addr", r->remote_addr);
        put_str(o, "local_id", r->local_id);
        put_str(o, "remote_id", r->remote_id);
        put_str(o, "proposal", r->proposal);
        put_int(o, "established", (int64_t)r->established);
        put_int(o, "rekeys", r->rekeys);
        json_object_object_add(o, "last_down",
                               render_down(r->last_down, r->last_down_detail, r->last_down_time));
        for (size_t j = 0; j < r->n_children; j++)
            json_object_array_add(children, render_child(&r->children[j]));
        json_object_object_add(o, "children", children);
        json_object_array_add(sas, o);
    }
    json_object_object_add(doc, "sas", sas);
    return doc;
}
