/*
 * paths_json: rendering, see paths_json.h. Keys are fixed by
 * docs/schema/paths.schema.json.
 *
 * Threading: pure functions; any thread (tunneld renders on its control
 * socket thread from rows its wiring copied).
 */
#include "paths_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* a string, or null for NULL */
static void put_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void put_int(json_object *o, const char *k, int64_t v)
{
    json_object_object_add(o, k, json_object_new_int64(v));
}

static void put_uint(json_object *o, const char *k, uint64_t v)
{
    json_object_object_add(o, k, json_object_new_uint64(v));
}

static void put_bool(json_object *o, const char *k, bool v)
{
    json_object_object_add(o, k, json_object_new_boolean(v));
}

/*
 * A number with at most 3 decimals, trailing zeros cut ("12.5", "3"), the
 * same text whatever json-c's own double format; null when not finite.
 */
static void put_double(json_object *o, const char *k, double v)
{
    char text[400]; /* DBL_MAX with 3 decimals fits */

    if (!isfinite(v)) {
        json_object_object_add(o, k, NULL);
        return;
    }
    int n = snprintf(text, sizeof(text), "%.3f", v);
    if (n <= 0 || (size_t)n >= sizeof(text)) {
        json_object_object_add(o, k, NULL);
        return;
    }
    for (char *c = text; *c; c++)
        if (*c == ',') /* a decimal comma, should anything set LC_NUMERIC */
            *c = '.';
    while (n > 1 && text[n - 1] == '0')
        text[--n] = '\0';
    if (text[n - 1] == '.')
        text[--n] = '\0';
    if (strcmp(text, "-0") == 0)
        strcpy(text, "0");
    json_object_object_add(o, k, json_object_new_double_s(v, text));
}

static json_object *render_bfd(const struct paths_bfd *b)
{
    if (!b->configured)
        return NULL;
    json_object *o = json_object_new_object();
    put_str(o, "remote", b->remote);
    put_bool(o, "multihop", b->multihop);
    put_str(o, "state", paths_bfd_state_name(b->state));
    put_uint(o, "local_diag", b->local_diag);
    put_str(o, "local_diag_name", paths_diag_name(b->local_diag));
    put_uint(o, "remote_diag", b->remote_diag);
    put_str(o, "remote_diag_name", paths_diag_name(b->remote_diag));
    put_uint(o, "local_discriminator", b->local_disc);
    put_uint(o, "remote_discriminator", b->remote_disc);
    put_uint(o, "tx_interval_us", b->tx_interval_us);
    put_uint(o, "rx_interval_us", b->rx_interval_us);
    put_uint(o, "detect_time_us", b->detect_time_us);
    put_uint(o, "remote_multiplier", b->remote_multiplier);
    put_int(o, "last_change", b->last_change);
    if (b->min_ttl)
        put_uint(o, "min_ttl", b->min_ttl);
    if (b->has_rx_dropped)
        put_uint(o, "rx_dropped", b->rx_dropped);
    return o;
}

static json_object *render_echo(const struct paths_echo *e)
{
    if (!e->configured)
        return NULL;
    json_object *o = json_object_new_object();
    put_str(o, "type", paths_echo_type_name(e->type));
    put_str(o, "target", e->target);
    put_bool(o, "valid", e->valid);
    put_double(o, "loss_pct", e->loss_pct);
    put_double(o, "rtt_avg_ms", e->rtt_avg_ms);
    put_double(o, "jitter_ms", e->jitter_ms);
    put_uint(o, "samples", e->samples);
    put_uint(o, "received", e->received);
    put_uint(o, "lost_in_row", e->lost_in_row);
    return o;
}

static json_object *render_sa(const struct paths_sa *s)
{
    if (!s->child)
        return NULL;
    json_object *o = json_object_new_object();
    put_str(o, "child", s->child);
    put_str(o, "state", s->has_state ? sa_state_name(s->state) : NULL);
    return o;
}

static void render_path_health(json_object *o, const struct paths_path *p)
{
    put_str(o, "state", paths_state_name(p->state));
    put_str(o, "reason", p->reason ? p->reason : "");
    put_bool(o, "eligible", p->eligible);
    put_bool(o, "active", p->active);
    put_int(o, "since", p->since);
    put_uint(o, "good_remaining_ms", p->good_remaining_ms);
    put_double(o, "penalty", p->penalty);
    put_uint(o, "flaps", p->flaps);
    json_object_object_add(o, "carrier",
                           p->carrier == PATHS_NULL ? NULL : json_object_new_boolean(p->carrier));
    put_str(o, "next_hop", paths_next_hop_name(p->next_hop));
    put_uint(o, "probe_mark", p->probe_mark);
}

/* a boolean, or null for PATHS_NULL */
static void put_nbool(json_object *o, const char *k, paths_bool_t v)
{
    json_object_object_add(o, k, v == PATHS_NULL ? NULL : json_object_new_boolean(v));
}

/* an integer, or null when it is none */
static void put_int_or_null(json_object *o, const char *k, int64_t v, int64_t none)
{
    json_object_object_add(o, k, v == none ? NULL : json_object_new_int64(v));
}

static json_object *string_array(const char *const *v, size_t n)
{
    json_object *a = json_object_new_array();

    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i] ? v[i] : ""));
    return a;
}

static json_object *render_group(const struct paths_group *g)
{
    json_object *o = json_object_new_object();

    put_str(o, "name", g->name);
    put_bool(o, "legacy", g->legacy);
    put_str(o, "proxy", g->proxy);
    json_object_object_add(o, "via", string_array(g->via, g->n_via));
    json_object_object_add(o, "subnets", string_array(g->subnets, g->n_subnets));
    return o;
}

static void render_check_tls(json_object *o, const struct paths_check *c)
{
    put_str(o, "tls_version", c->tls_version);
    put_str(o, "cipher", c->cipher);
    put_uint(o, "cipher_bits", c->cipher_bits);
    put_str(o, "cert_subject", c->cert_subject);
    put_str(o, "cert_issuer", c->cert_issuer);
    put_int(o, "cert_not_after", c->cert_not_after);
}

static json_object *render_check(const struct paths_check *c)
{
    json_object *o = json_object_new_object();

    put_str(o, "group", c->group);
    put_str(o, "path", c->path);
    put_str(o, "endpoint", c->endpoint ? c->endpoint : "");
    put_str(o, "verdict", paths_verdict_name(c->verdict));
    put_str(o, "phase", paths_phase_name(c->phase));
    put_str(o, "fault", paths_fault_name(c->fault));
    put_str(o, "reason", c->reason);
    put_int(o, "at", c->at);
    put_int_or_null(o, "connect_ms", c->connect_ms < 0 ? -1 : c->connect_ms, -1);
    put_int_or_null(o, "proxy_ms", c->proxy_ms < 0 ? -1 : c->proxy_ms, -1);
    put_int_or_null(o, "tls_ms", c->tls_ms < 0 ? -1 : c->tls_ms, -1);
    /* a code is three digits (RFC 9110 section 15): anything else is no answer */
    put_int_or_null(o, "proxy_status",
                    c->proxy_status >= 100 && c->proxy_status <= 999 ? c->proxy_status : 0, 0);
    put_str(o, "proxy_line", c->proxy_line);
    put_str(o, "proxy_hop", c->proxy_hop);
    put_str(o, "proxy_error", c->proxy_error);
    render_check_tls(o, c);
    return o;
}

static json_object *render_path(const struct paths_path *p)
{
    json_object *o = json_object_new_object();

    put_str(o, "name", p->name);
    put_str(o, "type", paths_type_name(p->type));
    put_str(o, "routing", paths_routing_name(p->routing));
    put_str(o, "provider", p->provider);
    put_str(o, "dev", p->dev ? p->dev : "");
    put_uint(o, "priority", p->priority);
    put_uint(o, "weight", p->weight);
    render_path_health(o, p);
    json_object_object_add(o, "bfd", render_bfd(&p->bfd));
    json_object_object_add(o, "echo", render_echo(&p->echo));
    json_object_object_add(o, "sa", render_sa(&p->sa));
    put_nbool(o, "app_ok", p->app_ok);
    put_str(o, "app_reason", p->app_reason);
    return o;
}

static json_object *render_site(const struct paths_site *s)
{
    json_object *o = json_object_new_object();
    json_object *active = json_object_new_array(), *events = json_object_new_array();
    json_object *paths = json_object_new_array();

    put_str(o, "name", s->name);
    put_str(o, "fail_mode", paths_fail_mode_name(s->fail_mode));
    put_str(o, "pinned", s->pinned);
    for (size_t i = 0; i < s->n_active; i++)
        json_object_array_add(active, json_object_new_string(s->active[i] ? s->active[i] : ""));
    json_object_object_add(o, "active", active);
    for (size_t i = 0; i < s->n_events; i++) {
        json_object *e = json_object_new_object();
        put_int(e, "time", s->events[i].time);
        put_str(e, "text", s->events[i].text ? s->events[i].text : "");
        json_object_array_add(events, e);
    }
    json_object_object_add(o, "decisions", events);
    for (size_t i = 0; i < s->n_paths; i++)
        json_object_array_add(paths, render_path(&s->paths[i]));
    json_object_object_add(o, "paths", paths);
    json_object *groups = json_object_new_array(), *checks = json_object_new_array();
    for (size_t i = 0; i < s->n_groups; i++)
        json_object_array_add(groups, render_group(&s->groups[i]));
    json_object_object_add(o, "groups", groups);
    for (size_t i = 0; i < s->n_checks; i++)
        json_object_array_add(checks, render_check(&s->checks[i]));
    json_object_object_add(o, "checks", checks);
    return o;
}

static json_object *render_posture(const struct paths_posture *p)
{
    json_object *o = json_object_new_object();

    put_str(o, "state", paths_posture_name(p->state));
    put_str(o, "reason", p->reason);
    return o;
}

static json_object *render_rounds(const struct paths_doc *doc)
{
    json_object *o = json_object_new_object();

    put_uint(o, "rounds", doc->checks_rounds);
    put_int(o, "last_round", doc->checks_last_round);
    return o;
}

json_object *paths_json_render(const struct paths_doc *doc)
{
    json_object *o = json_object_new_object(), *sites = json_object_new_array();
    json_object *problems = json_object_new_array();

    if (!o || !sites || !problems) {
        json_object_put(o);
        json_object_put(sites);
        json_object_put(problems);
        return NULL;
    }
    put_int(o, "version", PATHS_JSON_VERSION);
    for (size_t i = 0; i < doc->n_sites; i++)
        json_object_array_add(sites, render_site(&doc->sites[i]));
    json_object_object_add(o, "sites", sites);
    for (size_t i = 0; i < doc->n_problems; i++)
        json_object_array_add(problems, json_object_new_string(doc->problems[i]));
    json_object_object_add(o, "problems", problems);
    json_object_object_add(o, "posture", render_posture(&doc->posture));
    json_object_object_add(o, "checks", render_rounds(doc));
    return o;
}
