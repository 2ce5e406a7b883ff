/*
 * output_paths_json: the paths rows as JSON again, with the keys of
 * docs/schema/paths.schema.json (the document tunneld sends, written by
 * json_writer: valid JSON, safe on a terminal).
 *
 * Threading: single-threaded (tunnelctl).
 */
#include "json_writer.h"
#include "output.h"

static void key_str(json_writer_t *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_string(w, v); /* NULL: null */
}

static void key_uint(json_writer_t *w, const char *k, uint64_t v)
{
    jw_key(w, k);
    jw_uint(w, v);
}

static void key_int(json_writer_t *w, const char *k, int64_t v)
{
    jw_key(w, k);
    jw_int(w, v);
}

static void key_bool(json_writer_t *w, const char *k, bool v)
{
    jw_key(w, k);
    jw_bool(w, v);
}

static void key_double(json_writer_t *w, const char *k, double v)
{
    jw_key(w, k);
    jw_double(w, v); /* NAN (null in the reply): null */
}

static void bfd(json_writer_t *w, const struct paths_bfd *b)
{
    jw_key(w, "bfd");
    if (!b->configured) {
        jw_null(w);
        return;
    }
    jw_object(w);
    key_str(w, "remote", b->remote);
    key_bool(w, "multihop", b->multihop);
    key_str(w, "state", paths_bfd_state_name(b->state));
    key_uint(w, "local_diag", b->local_diag);
    key_str(w, "local_diag_name", paths_diag_name(b->local_diag));
    key_uint(w, "remote_diag", b->remote_diag);
    key_str(w, "remote_diag_name", paths_diag_name(b->remote_diag));
    key_uint(w, "local_discriminator", b->local_disc);
    key_uint(w, "remote_discriminator", b->remote_disc);
    key_uint(w, "tx_interval_us", b->tx_interval_us);
    key_uint(w, "rx_interval_us", b->rx_interval_us);
    key_uint(w, "detect_time_us", b->detect_time_us);
    key_uint(w, "remote_multiplier", b->remote_multiplier);
    key_int(w, "last_change", b->last_change);
    if (b->min_ttl)
        key_uint(w, "min_ttl", b->min_ttl);
    if (b->has_rx_dropped)
        key_uint(w, "rx_dropped", b->rx_dropped);
    jw_end(w);
}

static void echo(json_writer_t *w, const struct paths_echo *e)
{
    jw_key(w, "echo");
    if (!e->configured) {
        jw_null(w);
        return;
    }
    jw_object(w);
    key_str(w, "type", paths_echo_type_name(e->type));
    key_str(w, "target", e->target);
    key_bool(w, "valid", e->valid);
    key_double(w, "loss_pct", e->loss_pct);
    key_double(w, "rtt_avg_ms", e->rtt_avg_ms);
    key_double(w, "jitter_ms", e->jitter_ms);
    key_uint(w, "samples", e->samples);
    key_uint(w, "received", e->received);
    key_uint(w, "lost_in_row", e->lost_in_row);
    jw_end(w);
}

static void sa(json_writer_t *w, const struct paths_sa *s)
{
    jw_key(w, "sa");
    if (!s->child) {
        jw_null(w);
        return;
    }
    jw_object(w);
    key_str(w, "child", s->child);
    key_str(w, "state", s->has_state ? sa_state_name(s->state) : NULL);
    jw_end(w);
}

static void path_health(json_writer_t *w, const struct paths_path *p)
{
    key_str(w, "state", paths_state_name(p->state));
    key_str(w, "reason", p->reason);
    key_bool(w, "eligible", p->eligible);
    key_bool(w, "active", p->active);
    key_int(w, "since", p->since);
    key_uint(w, "good_remaining_ms", p->good_remaining_ms);
    key_double(w, "penalty", p->penalty);
    key_uint(w, "flaps", p->flaps);
    jw_key(w, "carrier");
    if (p->carrier == PATHS_NULL)
        jw_null(w);
    else
        jw_bool(w, p->carrier == PATHS_TRUE);
    key_str(w, "next_hop", paths_next_hop_name(p->next_hop));
    key_uint(w, "probe_mark", p->probe_mark);
}

static void path(json_writer_t *w, const struct paths_path *p)
{
    jw_object(w);
    key_str(w, "name", p->name);
    key_str(w, "type", paths_type_name(p->type));
    key_str(w, "routing", paths_routing_name(p->routing));
    key_str(w, "provider", p->provider);
    key_str(w, "dev", p->dev);
    key_uint(w, "priority", p->priority);
    key_uint(w, "weight", p->weight);
    path_health(w, p);
    bfd(w, &p->bfd);
    echo(w, &p->echo);
    sa(w, &p->sa);
    jw_end(w);
}

static void site(json_writer_t *w, const struct paths_site *s)
{
    jw_object(w);
    key_str(w, "name", s->name);
    key_str(w, "fail_mode", paths_fail_mode_name(s->fail_mode));
    key_str(w, "pinned", s->pinned);
    jw_key(w, "active");
    jw_array(w);
    for (size_t i = 0; i < s->n_active; i++)
        jw_string(w, s->active[i]);
    jw_end(w);
    jw_key(w, "decisions");
    jw_array(w);
    for (size_t i = 0; i < s->n_events; i++) {
        jw_object(w);
        key_int(w, "time", s->events[i].time);
        key_str(w, "text", s->events[i].text);
        jw_end(w);
    }
    jw_end(w);
    jw_key(w, "paths");
    jw_array(w);
    for (size_t i = 0; i < s->n_paths; i++)
        path(w, &s->paths[i]);
    jw_end(w);
    jw_end(w);
}

void output_paths_json(FILE *out, const struct paths_doc *doc)
{
    json_writer_t w;

    jw_init(&w, out);
    jw_object(&w);
    key_int(&w, "version", PATHS_JSON_VERSION);
    jw_key(&w, "sites");
    jw_array(&w);
    for (size_t i = 0; i < doc->n_sites; i++)
        site(&w, &doc->sites[i]);
    jw_end(&w);
    jw_key(&w, "problems");
    jw_array(&w);
    for (size_t i = 0; i < doc->n_problems; i++)
        jw_string(&w, doc->problems[i]);
    jw_end(&w);
    jw_end(&w);
    jw_finish(&w);
}
