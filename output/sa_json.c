/* sa_json: see sa_json.h. Keys are fixed by docs/schema/sa.schema.json. */
#include "sa_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v));
}

static void put_int(json_object *o, const char *k, int64_t v)
{
    json_object_object_add(o, k, json_object_new_int64(v));
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
    put_int(o, "bytes_in", (int64_t)c->counters.bytes_in);
    put_int(o, "bytes_out", (int64_t)c->counters.bytes_out);
    put_int(o, "packets_in", (int64_t)c->counters.packets_in);
    put_int(o, "packets_out", (int64_t)c->counters.packets_out);
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

static const char *get_str(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : "";
}

static int64_t get_int(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static sa_state_t parse_state(const char *s)
{
    for (int i = 0; i < SA_STATE_MAX; i++)
        if (strcmp(sa_state_name(i), s) == 0)
            return i;
    return SA_STATE_NONE;
}

static void parse_down(json_object *o, sa_reason_t *r, char *detail, time_t *when)
{
    json_object *d;

    *r = SA_REASON_NONE;
    if (!json_object_object_get_ex(o, "last_down", &d) || !json_object_is_type(d, json_type_object))
        return;
    const char *name = get_str(d, "reason");
    for (int i = 0; i < SA_REASON_MAX; i++)
        if (strcmp(sa_reason_name(i), name) == 0)
            *r = i;
    snprintf(detail, SA_TEXT_MAX, "%s", get_str(d, "detail"));
    *when = (time_t)get_int(d, "time");
}

#define COPY(dst, o, k) snprintf((dst), sizeof(dst), "%s", get_str((o), (k)))

static void parse_child(json_object *o, sa_child_rec_t *c)
{
    memset(c, 0, sizeof(*c));
    COPY(c->name, o, "name");
    c->state = parse_state(get_str(o, "state"));
    c->unique_id = (uint32_t)get_int(o, "unique_id");
    c->reqid = (uint32_t)get_int(o, "reqid");
    c->if_id_in = (uint32_t)get_int(o, "if_id_in");
    c->if_id_out = (uint32_t)get_int(o, "if_id_out");
    c->spi_in = (uint32_t)strtoul(get_str(o, "spi_in"), NULL, 16);
    c->spi_out = (uint32_t)strtoul(get_str(o, "spi_out"), NULL, 16);
    COPY(c->local_ts, o, "local_ts");
    COPY(c->remote_ts, o, "remote_ts");
    COPY(c->proposal, o, "proposal");
    c->established = (time_t)get_int(o, "established");
    c->rekeys = (uint32_t)get_int(o, "rekeys");
    c->counters.bytes_in = (uint64_t)get_int(o, "bytes_in");
    c->counters.bytes_out = (uint64_t)get_int(o, "bytes_out");
    c->counters.packets_in = (uint64_t)get_int(o, "packets_in");
    c->counters.packets_out = (uint64_t)get_int(o, "packets_out");
    parse_down(o, &c->last_down, c->last_down_detail, &c->last_down_time);
}

long sa_json_parse(json_object *doc, sa_ike_rec_t **out)
{
    json_object *sas, *children;

    *out = NULL;
    if (!doc || get_int(doc, "version") != SA_JSON_VERSION ||
        !json_object_object_get_ex(doc, "sas", &sas) || !json_object_is_type(sas, json_type_array))
        return -1;
    size_t n = json_object_array_length(sas);
    sa_ike_rec_t *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(sas, i);
        sa_ike_rec_t *r = &rows[i];
        COPY(r->name, o, "name");
        r->state = parse_state(get_str(o, "state"));
        r->unique_id = (uint32_t)get_int(o, "unique_id");
        COPY(r->local_addr, o, "local_addr");
        COPY(r->remote_addr, o, "remote_addr");
        COPY(r->local_id, o, "local_id");
        COPY(r->remote_id, o, "remote_id");
        COPY(r->proposal, o, "proposal");
        r->established = (time_t)get_int(o, "established");
        r->rekeys = (uint32_t)get_int(o, "rekeys");
        parse_down(o, &r->last_down, r->last_down_detail, &r->last_down_time);
        if (json_object_object_get_ex(o, "children", &children) &&
            json_object_is_type(children, json_type_array)) {
            r->n_children = json_object_array_length(children);
            r->children = calloc(r->n_children ? r->n_children : 1, sizeof(sa_child_rec_t));
            for (size_t j = 0; r->children && j < r->n_children; j++)
                parse_child(json_object_array_get_idx(children, j), &r->children[j]);
            if (!r->children)
                r->n_children = 0;
        }
    }
    *out = rows;
    return (long)n;
}
