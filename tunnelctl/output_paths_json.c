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

/* a boolean, or null for PATHS_NULL */
static void key_nbool(json_writer_t *w, const char *k, paths_bool_t v)
{
    jw_key(w, k);
    if (v == PATHS_NULL)
        jw_null(w);
    else
        jw_bool(w, v == PATHS_TRUE);
}

/* an integer, or null when it is none */
static void key_int_or_null(json_writer_t *w, const char *k, int64_t v, int64_t none)
{
    jw_key(w, k);
    if (v == none)
        jw_null(w);
    else
        jw_int(w, v);
}

static void key_strings(json_writer_t *w, const char *k, const char *const *v, size_t n)
{
    jw_key(w, k);
    jw_array(w);
    for (size_t i = 0; i < n; i++)
        jw_string(w, v[i]);
    jw_end(w);
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
    key_nbool(w, "app_ok", p->app_ok);
    key_str(w, "app_reason", p->app_reason);
    jw_end(w);
}

static void group(json_writer_t *w, const struct paths_group *g)
{
    jw_object(w);
    key_str(w, "name", g->name);
    key_bool(w, "legacy", g->legacy);
    key_str(w, "proxy", g->proxy);
    key_strings(w, "via", g->via, g->n_via);
    key_strings(w, "subnets", g->subnets, g->n_subnets);
    jw_end(w);
}

static void check(json_writer_t *w, const struct paths_check *c)
{
    jw_object(w);
    key_str(w, "group", c->group);
    key_str(w, "path", c->path);
    key_str(w, "endpoint", c->endpoint);
    key_str(w, "verdict", paths_verdict_name(c->verdict));
    key_str(w, "phase", paths_phase_name(c->phase));
    key_str(w, "fault", paths_fault_name(c->fault));
    key_str(w, "reason", c->reason);
    key_int(w, "at", c->at);
    key_int_or_null(w, "connect_ms", c->connect_ms < 0 ? -1 : c->connect_ms, -1);
    key_int_or_null(w, "proxy_ms", c->proxy_ms < 0 ? -1 : c->proxy_ms, -1);
    key_int_or_null(w, "tls_ms", c->tls_ms < 0 ? -1 : c->tls_ms, -1);
    key_int_or_null(w, "proxy_status",
                    c->proxy_status >= 100 && c->proxy_status <= 999 ? c->proxy_status : 0, 0);
    key_str(w, "proxy_line", c->proxy_line);
    key_str(w, "proxy_hop", c->proxy_hop);
    key_str(w, "proxy_error", c->proxy_error);
    key_str(w, "tls_version", c->tls_version);
    key_str(w, "cipher", c->cipher);
    key_uint(w, "cipher_bits", c->cipher_bits);
    key_str(w, "cert_subject", c->cert_subject);
    key_str(w, "cert_issuer", c->cert_issuer);
    key_int(w, "cert_not_after", c->cert_not_after);
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
    jw_key(w, "groups");
    jw_array(w);
    for (size_t i = 0; i < s->n_groups; i++)
        group(w, &s->groups[i]);
    jw_end(w);
    jw_key(w, "checks");
    jw_array(w);
    for (size_t i = 0; i < s->n_checks; i++)
        check(w, &s->checks[i]);
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
    jw_key(&w, "posture");
    jw_object(&w);
    key_str(&w, "state", paths_posture_name(doc->posture.state));
    key_str(&w, "reason", doc->posture.reason);
    jw_end(&w);
    jw_key(&w, "checks");
    jw_object(&w);
    key_uint(&w, "rounds", doc->checks_rounds);
    key_int(&w, "last_round", doc->checks_last_round);
    jw_end(&w);
    jw_end(&w);
    jw_finish(&w);
}
