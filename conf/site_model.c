/*
 * site_model: see site_model.h (threading there). This file walks the
 * sites and paths and reads a path's routing keys; sm_probes.c reads its
 * probes, SLA and dampening; sm_keys.c the settings lookups.
 */
#include "sm_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const no_names[] = {NULL};
static const char *const site_keys[] = {"prefixes", "prefixes_file", "when_all_down", NULL};
static const char *const legacy_site_keys[] = {"prefixes", NULL};
static const char *const site_sections[] = {"paths", "sensors", NULL};
static const char *const legacy_site_sections[] = {"paths", NULL};
static const char *const path_keys[] = {
    "type",   "routing",   "provider", "child",          "dev", "gateway4", "gateway6", "priority",
    "weight", "hold_down", "min_good", "dpd_on_failure", NULL};
static const char *const path_sections[] = {"bfd", "echo", "sla", "dampening", NULL};
/* tunneld.routes.sites (deprecated) keeps the keys it had */
static const char *const legacy_path_keys[] = {"dev",    "gateway4", "gateway6", "priority",
                                               "weight", "child",    NULL};

/* A name a settings key may be built from: 1..SM_NAME_MAX of [A-Za-z0-9_-]. */
bool sm_name_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > SM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

bool sm_bad_name(sm_ctx_t *c, const char *where, const char *what, const char *name)
{
    sm_quoted_t q;

    return sm_fail(c,
                   "%s: %s name '%s' is invalid (expected 1..%d characters of A-Z a-z 0-9 _ -; "
                   "'%%' and other characters are refused)",
                   where, what, sm_quote(name, &q), SM_NAME_MAX);
}

static bool dup_to(sm_ctx_t *c, const char *key, const char *v, char **out)
{
    *out = strdup(v);
    return *out || sm_fail(c, "%s.%s: out of memory", c->where, key);
}

/* child = <connection>.<child>; vpn only */
static bool read_child(sm_ctx_t *c, struct sm_path *p)
{
    const char *v = sm_path_get(c, NULL, "child"), *dot = v ? strchr(v, '.') : NULL;
    sm_quoted_t q;

    if (!v)
        return true;
    if (!dot || dot == v || !dot[1] || strchr(dot + 1, '.'))
        return sm_fail(c, "%s.child: expected <connection>.<child>, got '%s'", c->where,
                       sm_quote(v, &q));
    p->conn = strndup(v, (size_t)(dot - v));
    return (p->conn || sm_fail(c, "%s.child: out of memory", c->where)) &&
           dup_to(c, "child", dot + 1, &p->child);
}

/* an optional key that only one path type takes */
static bool only_for(sm_ctx_t *c, const char *key, const struct sm_path *p, enum sm_path_type t)
{
    if (p->type == t || !sm_path_get(c, NULL, key))
        return true;
    return sm_fail(c, "%s.%s: only %s paths take it (this path is type = %s)", c->where, key,
                   sm_path_type_name(t), sm_path_type_name(p->type));
}

/* type, routing, provider (child read before) */
static bool read_type(sm_ctx_t *c, struct sm_path *p)
{
    const char *t = sm_path_get(c, NULL, "type"), *r = sm_path_get(c, NULL, "routing");
    const char *prov = sm_path_get(c, NULL, "provider");
    sm_quoted_t q;

    p->type = p->conn ? SM_PATH_VPN : SM_PATH_EXPRESSROUTE;
    if (t && strcmp(t, "vpn") && strcmp(t, "expressroute"))
        return sm_fail(c, "%s.type: '%s' is not a path type (expected expressroute or vpn)",
                       c->where, sm_quote(t, &q));
    if (t)
        p->type = strcmp(t, "vpn") ? SM_PATH_EXPRESSROUTE : SM_PATH_VPN;
    if (p->type == SM_PATH_VPN && !p->conn)
        return sm_fail(c, "%s.child: missing (a vpn path needs child = <connection>.<child>)",
                       c->where);
    if (p->type == SM_PATH_EXPRESSROUTE && p->conn)
        return sm_fail(c,
                       "%s.child: an expressroute path has no CHILD_SA (expected type = vpn, or "
                       "no child)",
                       c->where);
    if (!only_for(c, "routing", p, SM_PATH_EXPRESSROUTE) ||
        !only_for(c, "provider", p, SM_PATH_EXPRESSROUTE) ||
        !only_for(c, "dpd_on_failure", p, SM_PATH_VPN))
        return false;
    if (p->type == SM_PATH_EXPRESSROUTE)
        p->routing = SM_ER_CUSTOMER_MANAGED;
    if (r && strcmp(r, "customer-managed") && strcmp(r, "exchange-provider"))
        return sm_fail(c,
                       "%s.routing: '%s' is not an ExpressRoute routing (expected "
                       "customer-managed or exchange-provider)",
                       c->where, sm_quote(r, &q));
    if (r && !strcmp(r, "exchange-provider"))
        p->routing = SM_ER_EXCHANGE_PROVIDER;
    if (!prov)
        return true;
    for (size_t i = 0; prov[i]; i++)
        if ((unsigned char)prov[i] < 0x20 || (unsigned char)prov[i] >= 0x7f)
            return sm_fail(c, "%s.provider: '%s' has a byte outside printable ASCII", c->where,
                           sm_quote(prov, &q));
    if (!prov[0] || strlen(prov) > SM_NAME_MAX)
        return sm_fail(c, "%s.provider: expected 1..%d bytes of printable ASCII, got %zu", c->where,
                       SM_NAME_MAX, strlen(prov));
    return dup_to(c, "provider", prov, &p->provider);
}

/* dev, gateways, priority, weight, timers */
static bool read_routing(sm_ctx_t *c, struct sm_path *p)
{
    const char *dev = sm_path_get(c, NULL, "dev");
    const char *g4 = sm_path_get(c, NULL, "gateway4"), *g6 = sm_path_get(c, NULL, "gateway6");
    uint64_t prio = 100, weight = 1, hold = 1000, good = 10000;

    if (!dev || !dev[0])
        return sm_fail(c, "%s.dev: missing (expected the path's interface)", c->where);
    if (!dup_to(c, "dev", dev, &p->dev))
        return false;
    /* an empty gateway is none (as tunneld.routes read it) */
    if ((g4 && g4[0] && !sm_get_addr(c, NULL, "gateway4", AF_INET, &p->gw4)) ||
        (g6 && g6[0] && !sm_get_addr(c, NULL, "gateway6", AF_INET6, &p->gw6)) ||
        !sm_get_uint(c, NULL, "priority", 0, UINT32_MAX, &prio) ||
        !sm_get_uint(c, NULL, "weight", 1, 255, &weight) ||
        !sm_get_ms(c, NULL, "hold_down", 0, 600000, &hold) ||
        !sm_get_ms(c, NULL, "min_good", 0, 3600000, &good))
        return false;
    p->priority = (unsigned)prio;
    p->weight = (unsigned)weight;
    p->hold_down_ms = (uint32_t)hold;
    p->min_good_ms = (uint32_t)good;
    p->dpd_on_failure = p->type == SM_PATH_VPN;
    return sm_get_bool(c, NULL, "dpd_on_failure", &p->dpd_on_failure);
}

static bool read_path(sm_ctx_t *c, struct sm_site *site, const char *name)
{
    struct sm_path *p, *grown = realloc(site->paths, (site->n_paths + 1) * sizeof(*grown));
    bool legacy = c->m->legacy;

    snprintf(c->where, sizeof(c->where), "%s.%s.paths.%s", c->ns, c->site, name);
    snprintf(c->level, sizeof(c->level), "%s.%%s.paths.%%s", c->ns);
    if (!grown)
        return sm_fail(c, "%s: out of memory", c->where);
    site->paths = grown;
    p = &grown[site->n_paths++];
    memset(p, 0, sizeof(*p));
    c->path = name;
    if (!dup_to(c, "name", name, &p->name) ||
        !sm_path_only_known(c, NULL, legacy ? legacy_path_keys : path_keys,
                            legacy ? no_names : path_sections))
        return false;
    return read_child(c, p) && read_type(c, p) && read_routing(c, p) && sm_read_probes(c, p);
}

/* prefixes = a, b, ... (each checked) */
static bool read_prefix_list(sm_ctx_t *c, struct sm_site *site, const char *where, const char *list)
{
    char *tok;
    enumerator_t *e;
    bool ok = true;
    int af;
    sm_quoted_t q;

    e = enumerator_create_token(list, ",", " ");
    while (ok && e->enumerate(e, &tok)) {
        char **grown = realloc(site->prefixes, (site->n_prefixes + 1) * sizeof(*grown));
        if (!sm_prefix_valid(tok, &af))
            ok = sm_fail(c,
                         "%s.prefixes: '%s' is not a prefix (expected address/length with no "
                         "host bits set, e.g. 203.0.113.0/24 or 2001:db8:100::/48)",
                         where, sm_quote(tok, &q));
        else if (!grown || !(grown[site->n_prefixes] = strdup(tok)))
            ok = sm_fail(c, "%s.prefixes: out of memory", where);
        if (grown)
            site->prefixes = grown;
        if (ok)
            site->n_prefixes++;
    }
    e->destroy(e);
    return ok;
}

/* the site's prefixes: the list, the file (prefixes_file), or both */
static bool read_prefixes(sm_ctx_t *c, struct sm_site *site, const char *where)
{
    const char *list, *file = NULL;
    char fmt[64];

    snprintf(fmt, sizeof(fmt), "%s.%%s.prefixes", c->ns);
    list = c->s->get_str(c->s, fmt, NULL, c->site);
    if (!c->m->legacy) {
        snprintf(fmt, sizeof(fmt), "%s.%%s.prefixes_file", c->ns);
        file = c->s->get_str(c->s, fmt, NULL, c->site);
    }
    if (!list && !file)
        return sm_fail(c,
                       "%s.prefixes: missing (expected a comma-separated list of prefixes, or "
                       "prefixes_file = PATH with one prefix per line)",
                       where);
    if (list && !read_prefix_list(c, site, where, list))
        return false;
    if (file && (!*file || !(site->prefixes_file = strdup(file))))
        return sm_fail(c, "%s.prefixes_file: %s", where,
                       *file ? "out of memory" : "empty (expected the path of a file)");
    if (file && !sm_read_prefix_file(c, site, where, file))
        return false;
    if (!site->n_prefixes)
        return sm_fail(c, "%s.%s: empty (expected at least one prefix)", where,
                       list ? "prefixes" : "prefixes_file");
    return true;
}

static bool read_fail_mode(sm_ctx_t *c, struct sm_site *site, const char *where)
{
    char fmt[64];
    const char *v;
    sm_quoted_t q;

    snprintf(fmt, sizeof(fmt), "%s.%%s.when_all_down", c->ns);
    v = c->s->get_str(c->s, fmt, NULL, c->site);
    site->fail_mode = SM_FAIL_CLOSED;
    if (!v || !strcmp(v, "fail-closed"))
        return true;
    if (!strcmp(v, "keep-last")) {
        site->fail_mode = SM_FAIL_KEEP_LAST;
        return true;
    }
    return sm_fail(c, "%s.when_all_down: '%s' is not a mode (expected fail-closed or keep-last)",
                   where, sm_quote(v, &q));
}

static bool read_paths(sm_ctx_t *c, struct sm_site *site, const char *where)
{
    char fmt[64], pw[SM_WHERE_MAX], *name;
    enumerator_t *e;
    bool ok;

    snprintf(fmt, sizeof(fmt), "%s.%%s.paths", c->ns);
    snprintf(pw, sizeof(pw), "%s.paths", where);
    if (!sm_only_known(c, c->s->create_key_value_enumerator(c->s, fmt, c->site),
                       c->s->create_section_enumerator(c->s, fmt, c->site), pw, no_names, NULL))
        return false;
    ok = true;
    e = c->s->create_section_enumerator(c->s, fmt, c->site);
    while (ok && e->enumerate(e, &name))
        ok = sm_name_valid(name) ? read_path(c, site, name) : sm_bad_name(c, pw, "path", name);
    e->destroy(e);
    if (ok && !site->n_paths)
        return sm_fail(c, "%s: expected at least one path", pw);
    return ok;
}

static bool read_site(sm_ctx_t *c, const char *name)
{
    struct sm_model *m = c->m;
    struct sm_site *site, *grown = realloc(m->sites, (m->n_sites + 1) * sizeof(*grown));
    char where[SM_WHERE_MAX], fmt[64];

    snprintf(where, sizeof(where), "%s.%s", c->ns, name);
    if (!grown)
        return sm_fail(c, "%s: out of memory", where);
    m->sites = grown;
    site = &grown[m->n_sites++];
    memset(site, 0, sizeof(*site));
    c->site = name;
    snprintf(fmt, sizeof(fmt), "%s.%%s", c->ns);
    if (!(site->name = strdup(name)))
        return sm_fail(c, "%s: out of memory", where);
    if (!sm_only_known(c, c->s->create_key_value_enumerator(c->s, fmt, name),
                       c->s->create_section_enumerator(c->s, fmt, name), where,
                       m->legacy ? legacy_site_keys : site_keys,
                       m->legacy ? legacy_site_sections : site_sections))
        return false;
    return read_prefixes(c, site, where) && read_fail_mode(c, site, where) &&
           read_paths(c, site, where) && (m->legacy || sm_read_groups(c, site, where));
}

/* anything (key or section) under ns */
static bool has_content(settings_t *s, const char *ns)
{
    enumerator_t *kv = s->create_key_value_enumerator(s, (char *)ns);
    enumerator_t *sec = s->create_section_enumerator(s, (char *)ns);
    char *k, *v;
    bool any = kv->enumerate(kv, &k, &v) || sec->enumerate(sec, &k);

    kv->destroy(kv);
    sec->destroy(sec);
    return any;
}

const char *sm_settings_section(struct settings_t *settings)
{
    settings_t *s = settings;

    if (!has_content(s, SM_SITES_NS) && has_content(s, SM_LEGACY_NS))
        return SM_LEGACY_NS;
    return SM_SITES_NS;
}

static bool has_section(settings_t *s, const char *ns)
{
    enumerator_t *e = s->create_section_enumerator(s, (char *)ns);
    char *name;
    bool any = e->enumerate(e, &name);

    e->destroy(e); /* it holds the settings' read lock */
    return any;
}

bool sm_settings_has_sites(struct settings_t *settings)
{
    return has_section(settings, SM_SITES_NS) || has_section(settings, SM_LEGACY_NS);
}

/* the location: tunneld.sites, or tunneld.routes.sites with a warning */
static bool pick_location(sm_ctx_t *c)
{
    bool now = has_content(c->s, SM_SITES_NS), old = has_content(c->s, SM_LEGACY_NS);

    c->ns = SM_SITES_NS;
    if (now && old)
        return sm_fail(c,
                       "%s: both %s and %s are set (expected the sites in %s only; %s is "
                       "deprecated)",
                       SM_LEGACY_NS, SM_SITES_NS, SM_LEGACY_NS, SM_SITES_NS, SM_LEGACY_NS);
    if (!old)
        return true;
    c->ns = SM_LEGACY_NS;
    c->m->legacy = true;
    return sm_warn(c->m,
                   "%s: %s is deprecated and read for one release only: move the sites to %s "
                   "(same site and path keys; %s keeps the engine options; tunneld.conf(5))",
                   c->file, SM_LEGACY_NS, SM_SITES_NS, "tunneld.routes") ||
           sm_fail(c, "%s: out of memory", SM_LEGACY_NS);
}

static bool load_all(sm_ctx_t *c)
{
    enumerator_t *e;
    char *name;
    bool ok;

    if (!pick_location(c) || !sm_read_checks(c))
        return false;
    if (!sm_only_known(c, c->s->create_key_value_enumerator(c->s, (char *)c->ns),
                       c->s->create_section_enumerator(c->s, (char *)c->ns), c->ns, no_names, NULL))
        return false;
    ok = true;
    e = c->s->create_section_enumerator(c->s, (char *)c->ns);
    while (ok && e->enumerate(e, &name))
        ok = sm_name_valid(name) ? read_site(c, name) : sm_bad_name(c, c->ns, "site", name);
    e->destroy(e);
    return ok && sm_bfd_check_sessions(c);
}

int sm_model_load(struct settings_t *settings, const char *file, struct sm_model *out, char *err,
                  size_t errlen)
{
    sm_ctx_t c = {.s = settings, .file = file, .err = err, .errlen = errlen, .m = out};

    memset(out, 0, sizeof(*out));
    if (errlen)
        err[0] = '\0';
    if (load_all(&c))
        return 0;
    sm_model_free(out);
    return -1;
}

static void path_free(struct sm_path *p)
{
    free(p->name);
    free(p->provider);
    free(p->conn);
    free(p->child);
    free(p->dev);
    free(p->gw4);
    free(p->gw6);
    sm_probes_free(p);
}

void sm_model_free(struct sm_model *m)
{
    for (size_t i = 0; i < m->n_sites; i++) {
        struct sm_site *s = &m->sites[i];
        free(s->name);
        for (size_t k = 0; k < s->n_prefixes; k++)
            free(s->prefixes[k]);
        free(s->prefixes);
        free(s->prefixes_file);
        for (size_t k = 0; k < s->n_paths; k++)
            path_free(&s->paths[k]);
        free(s->paths);
        sm_groups_free(s);
    }
    free(m->sites);
    sm_checks_free(m);
    for (size_t i = 0; i < m->n_warnings; i++)
        free(m->warnings[i]);
    free(m->warnings);
    memset(m, 0, sizeof(*m));
}

const struct sm_site *sm_model_site(const struct sm_model *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->n_sites; i++)
        if (!strcmp(m->sites[i].name, name))
            return &m->sites[i];
    return NULL;
}

const char *sm_path_type_name(enum sm_path_type t)
{
    switch (t) {
    case SM_PATH_EXPRESSROUTE:
        return "expressroute";
    case SM_PATH_VPN:
        return "vpn";
    default:
        return "other";
    }
}

const char *sm_model_section(const struct sm_model *m)
{
    return m && m->legacy ? SM_LEGACY_NS : SM_SITES_NS;
}
