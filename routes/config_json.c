/*
 * config_json.c - loads engine options and a desired state from JSON
 * (format in docs/routes.md). Unknown keys are errors, so typos do not go
 * unnoticed.
 *
 * Threading: works on caller-owned data only; any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "internal.h"

struct jctx {
    char *err;
    size_t errlen;
};

static bool check_keys(struct jctx *c, json_object *obj, const char *where, const char *const *keys)
{
    json_object_object_foreach(obj, key, val)
    {
        bool known = false;
        (void)val;
        for (size_t i = 0; keys[i] && !known; i++)
            known = !strcmp(keys[i], key);
        if (!known) {
            snprintf(c->err, c->errlen, "%s: unknown key '%s'", where, key);
            return false;
        }
    }
    return true;
}

/* An optional boolean key: absent leaves *out alone. */
static int get_bool(struct jctx *c, json_object *obj, const char *key, bool *out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_boolean)) {
        snprintf(c->err, c->errlen, "config: '%s' must be true or false", key);
        return -EINVAL;
    }
    *out = json_object_get_boolean(v);
    return 0;
}

static int get_uint(struct jctx *c, json_object *obj, const char *key, const char *where,
                    uint64_t max, uint64_t *out, bool *present)
{
    json_object *v;
    int64_t x;
    if (present)
        *present = false;
    if (!json_object_object_get_ex(obj, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_int)) {
        snprintf(c->err, c->errlen, "%s: '%s' must be an integer", where, key);
        return -EINVAL;
    }
    x = json_object_get_int64(v);
    if (x < 0 || (uint64_t)x > max) {
        snprintf(c->err, c->errlen, "%s: '%s' = %lld is out of range (expected 0..%llu)", where,
                 key, (long long)x, (unsigned long long)max);
        return -EINVAL;
    }
    *out = (uint64_t)x;
    if (present)
        *present = true;
    return 0;
}

static int get_str(struct jctx *c, json_object *obj, const char *key, const char *where,
                   const char **out)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_string)) {
        snprintf(c->err, c->errlen, "%s: '%s' must be a string", where, key);
        return -EINVAL;
    }
    *out = json_object_get_string(v);
    return 0;
}

static int get_array(struct jctx *c, json_object *obj, const char *key, const char *where,
                     json_object **out)
{
    *out = NULL;
    if (!json_object_object_get_ex(obj, key, out))
        return 0;
    if (!json_object_is_type(*out, json_type_array)) {
        snprintf(c->err, c->errlen, "%s: '%s' must be an array", where, key);
        return -EINVAL;
    }
    return 0;
}

void routes_options_free_rules(struct routes_options *o)
{
    if (!o->rules || o->rules == rt_default_rules)
        return;
    for (size_t i = 0; i < o->n_rules; i++)
        free((char *)o->rules[i].from);
    free((void *)o->rules);
    o->rules = NULL;
    o->n_rules = 0;
}

/* "family", else the family of "from" */
static int rule_family(struct jctx *c, const char *where, const char *family, const char *from,
                       int *out)
{
    if (family && !strcmp(family, "ipv4"))
        *out = AF_INET;
    else if (family && !strcmp(family, "ipv6"))
        *out = AF_INET6;
    else if (family) {
        snprintf(c->err, c->errlen, "%s: family '%s' (expected \"ipv4\" or \"ipv6\")", where,
                 family);
        return -EINVAL;
    } else if (from) {
        *out = strchr(from, ':') ? AF_INET6 : AF_INET;
    } else {
        snprintf(c->err, c->errlen, "%s: needs \"family\" or \"from\"", where);
        return -EINVAL;
    }
    return 0;
}

/* rules[i] into spec */
static int parse_rule(struct jctx *c, json_object *r, size_t i, struct routes_rule_spec *spec)
{
    static const char *const keys[] = {"family", "priority", "from", "fwmark", "fwmask", NULL};
    const char *family = NULL, *from = NULL;
    uint64_t prio = ROUTES_DEFAULT_RULE_PRIORITY, mark = 0, mask = 0;
    char where[48];

    snprintf(where, sizeof(where), "rules[%zu]", i);
    if (!json_object_is_type(r, json_type_object)) {
        snprintf(c->err, c->errlen, "%s must be an object", where);
        return -EINVAL;
    }
    if (!check_keys(c, r, where, keys) || get_str(c, r, "family", where, &family) < 0 ||
        get_str(c, r, "from", where, &from) < 0 ||
        get_uint(c, r, "priority", where, UINT32_MAX, &prio, NULL) < 0 ||
        get_uint(c, r, "fwmark", where, UINT32_MAX, &mark, NULL) < 0 ||
        get_uint(c, r, "fwmask", where, UINT32_MAX, &mask, NULL) < 0 ||
        rule_family(c, where, family, from, &spec->family) < 0)
        return -EINVAL;
    spec->priority = (uint32_t)prio;
    spec->fwmark = (uint32_t)mark;
    spec->fwmask = (uint32_t)mask;
    if (from && !(spec->from = strdup(from))) {
        snprintf(c->err, c->errlen, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

static int parse_rules(struct jctx *c, json_object *arr, struct routes_options *o)
{
    size_t n = json_object_array_length(arr);
    struct routes_rule_spec *rules = calloc(n ? n : 1, sizeof(*rules));

    if (!rules) {
        snprintf(c->err, c->errlen, "out of memory");
        return -ENOMEM;
    }
    routes_options_free_rules(o);
    o->rules = rules;
    o->n_rules = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = parse_rule(c, json_object_array_get_idx(arr, i), i, &rules[i]);
        if (rc < 0)
            return rc;
        o->n_rules++;
    }
    return 0;
}

static int parse_options(struct jctx *c, json_object *root, struct routes_options *o)
{
    uint64_t v;
    bool present;
    json_object *rules;
    if (get_uint(c, root, "table", "config", UINT32_MAX, &v, &present) < 0)
        return -EINVAL;
    if (present)
        o->table = (uint32_t)v;
    if (get_uint(c, root, "protocol", "config", 255, &v, &present) < 0)
        return -EINVAL;
    if (present)
        o->protocol = (uint8_t)v;
    if (get_uint(c, root, "nh_id_base", "config", UINT32_MAX, &v, &present) < 0)
        return -EINVAL;
    if (present)
        o->nh_id_base = (uint32_t)v;
    if (get_uint(c, root, "repair_delay_ms", "config", 60000, &v, &present) < 0)
        return -EINVAL;
    if (present)
        o->repair_delay_ms = (unsigned)v;
    if (get_uint(c, root, "monitor_rcvbuf", "config", 1u << 30, &v, &present) < 0)
        return -EINVAL;
    if (present)
        o->monitor_rcvbuf = (unsigned)v;
    if (get_uint(c, root, "probe_mark_base", "config", UINT32_MAX, &v, &present) < 0)
        return -EINVAL;
    if (present)
        o->probe_mark_base = (uint32_t)v;
    if (get_uint(c, root, "probe_table_base", "config", UINT32_MAX, &v, &present) < 0)
        return -EINVAL;
    if (present)
        o->probe_table_base = (uint32_t)v;
    if (get_uint(c, root, "probe_rule_priority", "config", UINT32_MAX, &v, &present) < 0)
        return -EINVAL;
    if (present)
        o->probe_rule_priority = (uint32_t)v;
    if (get_bool(c, root, "flush_on_exit", &o->flush_on_exit) < 0 ||
        get_bool(c, root, "fail_closed", &o->fail_closed) < 0)
        return -EINVAL;
    if (get_array(c, root, "rules", "config", &rules) < 0)
        return -EINVAL;
    if (rules)
        return parse_rules(c, rules, o);
    return 0;
}

/* "probe": ["203.0.113.1", ...]: the path's probe targets */
static int parse_probes(struct jctx *c, struct routes_state *st, int site, const char *path,
                        json_object *p, const char *where)
{
    json_object *arr;
    if (get_array(c, p, "probe", where, &arr) < 0)
        return -EINVAL;
    for (size_t k = 0; arr && k < json_object_array_length(arr); k++) {
        json_object *v = json_object_array_get_idx(arr, k);
        if (!json_object_is_type(v, json_type_string)) {
            snprintf(c->err, c->errlen, "%s: probe[%zu] must be a string", where, k);
            return -EINVAL;
        }
        if (routes_state_add_probe(st, site, path, json_object_get_string(v), c->err, c->errlen) <
            0)
            return -EINVAL;
    }
    return 0;
}

static int parse_path(struct jctx *c, struct routes_state *st, int site, const char *sname,
                      json_object *p, size_t idx)
{
    static const char *const keys[] = {"name",     "dev",    "gateway", "gateway4", "gateway6",
                                       "priority", "weight", "probe",   NULL};
    struct routes_path_spec spec = {0};
    const char *gw = NULL;
    uint64_t prio = 0, weight = 1;
    char where[ROUTES_NAME_MAX + 32];
    snprintf(where, sizeof(where), "site '%s' paths[%zu]", sname, idx);
    if (!json_object_is_type(p, json_type_object)) {
        snprintf(c->err, c->errlen, "%s must be an object", where);
        return -EINVAL;
    }
    if (!check_keys(c, p, where, keys) || get_str(c, p, "name", where, &spec.name) < 0 ||
        get_str(c, p, "dev", where, &spec.dev) < 0 || get_str(c, p, "gateway", where, &gw) < 0 ||
        get_str(c, p, "gateway4", where, &spec.gateway4) < 0 ||
        get_str(c, p, "gateway6", where, &spec.gateway6) < 0 ||
        get_uint(c, p, "priority", where, UINT32_MAX, &prio, NULL) < 0 ||
        get_uint(c, p, "weight", where, 255, &weight, NULL) < 0)
        return -EINVAL;
    if (gw) {
        const char **slot = strchr(gw, ':') ? &spec.gateway6 : &spec.gateway4;
        if (*slot) {
            snprintf(c->err, c->errlen, "%s: 'gateway' and '%s' both give an %s next hop", where,
                     strchr(gw, ':') ? "gateway6" : "gateway4", strchr(gw, ':') ? "IPv6" : "IPv4");
            return -EINVAL;
        }
        *slot = gw;
    }
    if (!spec.name) {
        snprintf(c->err, c->errlen, "%s: 'name' is required", where);
        return -EINVAL;
    }
    spec.priority = (unsigned)prio;
    spec.weight = (unsigned)weight;
    if (routes_state_add_path(st, site, &spec, c->err, c->errlen) < 0)
        return -EINVAL;
    return parse_probes(c, st, site, spec.name, p, where);
}

static int parse_sites(struct jctx *c, json_object *arr, struct routes_state *st)
{
    static const char *const keys[] = {"name", "prefixes", "paths", NULL};
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *s = json_object_array_get_idx(arr, i), *pfx, *paths;
        const char *name = NULL;
        char where[48];
        int idx;
        snprintf(where, sizeof(where), "sites[%zu]", i);
        if (!json_object_is_type(s, json_type_object)) {
            snprintf(c->err, c->errlen, "%s must be an object", where);
            return -EINVAL;
        }
        if (!check_keys(c, s, where, keys) || get_str(c, s, "name", where, &name) < 0 ||
            get_array(c, s, "prefixes", where, &pfx) < 0 ||
            get_array(c, s, "paths", where, &paths) < 0)
            return -EINVAL;
        idx = routes_state_add_site(st, name, c->err, c->errlen);
        if (idx < 0)
            return -EINVAL;
        for (size_t k = 0; paths && k < json_object_array_length(paths); k++)
            if (parse_path(c, st, idx, name, json_object_array_get_idx(paths, k), k) < 0)
                return -EINVAL;
        for (size_t k = 0; pfx && k < json_object_array_length(pfx); k++) {
            json_object *v = json_object_array_get_idx(pfx, k);
            if (!json_object_is_type(v, json_type_string)) {
                snprintf(c->err, c->errlen, "site '%s' prefixes[%zu] must be a string", name, k);
                return -EINVAL;
            }
            if (routes_state_add_prefix(st, idx, json_object_get_string(v), c->err, c->errlen) < 0)
                return -EINVAL;
        }
    }
    return 0;
}

/* "bypass": ["198.51.100.2", "2001:db8::2"]: the VPN peers' addresses */
static int parse_bypass(struct jctx *c, json_object *root, struct routes_state *st)
{
    json_object *arr;
    if (get_array(c, root, "bypass", "config", &arr) < 0)
        return -EINVAL;
    for (size_t k = 0; arr && k < json_object_array_length(arr); k++) {
        json_object *v = json_object_array_get_idx(arr, k);
        if (!json_object_is_type(v, json_type_string)) {
            snprintf(c->err, c->errlen, "config: bypass[%zu] must be a string", k);
            return -EINVAL;
        }
        if (routes_state_add_bypass(st, json_object_get_string(v), c->err, c->errlen) < 0)
            return -EINVAL;
    }
    return 0;
}

static int load(json_object *root, struct routes_options *opts, struct routes_state **stp,
                char *err, size_t errlen)
{
    static const char *const keys[] = {"table",
                                       "protocol",
                                       "nh_id_base",
                                       "repair_delay_ms",
                                       "rules",
                                       "flush_on_exit",
                                       "sites",
                                       "fail_closed",
                                       "monitor_rcvbuf",
                                       "bypass",
                                       "probe_mark_base",
                                       "probe_table_base",
                                       "probe_rule_priority",
                                       NULL};
    struct jctx c = {.err = err, .errlen = errlen};
    struct routes_state *st = NULL;
    json_object *sites;
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(err, errlen, "config: the document must be a JSON object");
        return -1;
    }
    if (!check_keys(&c, root, "config", keys))
        return -1;
    if (opts && parse_options(&c, root, opts) < 0)
        return -1;
    if (!stp)
        return 0;
    if (get_array(&c, root, "sites", "config", &sites) < 0)
        return -1;
    st = routes_state_new();
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if ((sites && parse_sites(&c, sites, st) < 0) || parse_bypass(&c, root, st) < 0) {
        routes_state_free(st);
        return -1;
    }
    *stp = st;
    return 0;
}

int routes_load_json_string(const char *text, struct routes_options *opts, struct routes_state **st,
                            char *err, size_t errlen)
{
    enum json_tokener_error jerr;
    json_object *root = json_tokener_parse_verbose(text, &jerr);
    int rc;
    if (!root) {
        snprintf(err, errlen, "config: invalid JSON: %s", json_tokener_error_desc(jerr));
        return -1;
    }
    rc = load(root, opts, st, err, errlen);
    json_object_put(root);
    return rc;
}

int routes_load_json_file(const char *path, struct routes_options *opts, struct routes_state **st,
                          char *err, size_t errlen)
{
    json_object *root = json_object_from_file(path);
    int rc;
    if (!root) {
        snprintf(err, errlen, "%s: cannot read or parse: %s", path, json_util_get_last_err());
        return -1;
    }
    rc = load(root, opts, st, err, errlen);
    json_object_put(root);
    return rc;
}
