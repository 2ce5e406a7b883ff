/*
 * sm_groups: a site's sensor groups (issue 10), `tunneld.sites.<site>.
 * sensors.<group>`: the sensors' subnets, their endpoint set (the list and
 * the file: sm_endpoints_file.c), their way out (method direct or proxy:
 * the first hop, the chain's hop names, credentials, the authentication
 * schemes offered), the checks' source address, and the TLS policy
 * (tunneld.checks.tls with the group's `tls` keys over it: sm_checks.c).
 *
 * Threading: the loading thread (see site_model.h).
 */
#include "sm_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sm_endpoint.h"

#define VIA_MAX 8 /* hops of a chain named for status (the checks engine's limit) */

static const char *const group_keys[] = {"legacy",     "subnets", "endpoints", "endpoints_file",
                                         "method",     "proxy",   "via",       "credentials",
                                         "proxy_auth", "source",  NULL};
static const char *const group_sections[] = {"tls", NULL};
static const char *const proxy_only[] = {"proxy", "via", "credentials", "proxy_auth", NULL};
static const char *const auth_names[] = {"basic", "digest", "ntlm", "negotiate", NULL};
/* IoT Hub's ports: HTTPS (and AMQP/MQTT over WebSockets), AMQPS, MQTTS */
static const uint16_t hub_ports[] = {443, 5671, 8883};

static bool push(char ***arr, size_t *n, const char *s)
{
    char **grown = realloc(*arr, (*n + 1) * sizeof(*grown));

    if (!grown)
        return false;
    *arr = grown;
    if (!(grown[*n] = strdup(s)))
        return false;
    (*n)++;
    return true;
}

static bool listed(char **arr, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(arr[i], s))
            return true;
    return false;
}

static bool read_subnets(sm_ctx_t *c, struct sm_group *g)
{
    const char *list = sm_path_get(c, NULL, "subnets");
    enumerator_t *e;
    char *tok;
    bool ok = true;
    int af;
    sm_quoted_t q;

    if (!list)
        return sm_fail(c,
                       "%s.subnets: missing (expected the sensors' subnets, e.g. subnets = "
                       "100.64.1.0/24)",
                       c->where);
    e = enumerator_create_token(list, ",", " \t");
    while (ok && e->enumerate(e, &tok))
        if (!sm_prefix_valid(tok, &af))
            ok = sm_fail(c,
                         "%s.subnets: '%s' is not a prefix (expected address/length with no "
                         "host bits set, e.g. 100.64.1.0/24)",
                         c->where, sm_quote(tok, &q));
        else if (listed(g->subnets, g->n_subnets, tok))
            ok = sm_fail(c, "%s.subnets: '%s' is listed twice", c->where, sm_quote(tok, &q));
        else if (!push(&g->subnets, &g->n_subnets, tok))
            ok = sm_fail(c, "%s.subnets: out of memory", c->where);
    e->destroy(e);
    if (ok && !g->n_subnets)
        return sm_fail(c, "%s.subnets: empty (expected at least one subnet)", c->where);
    return ok;
}

static bool read_endpoints(sm_ctx_t *c, struct sm_group *g)
{
    const char *list = sm_path_get(c, NULL, "endpoints");
    const char *file = sm_path_get(c, NULL, "endpoints_file");

    if (list && !sm_read_endpoints_list(c, g, list))
        return false;
    if (file && !file[0])
        return sm_fail(c, "%s.endpoints_file: empty (expected the path of a file)", c->where);
    if (file && !(g->endpoints_file = strdup(file)))
        return sm_fail(c, "%s.endpoints_file: out of memory", c->where);
    if (file && !sm_read_endpoints_file(c, g, file))
        return false;
    if (g->n_endpoints)
        return true;
    if (list || file)
        return sm_fail(c, "%s.%s: no endpoint in it (expected at least one host:port)", c->where,
                       file ? "endpoints_file" : "endpoints");
    return sm_fail(c,
                   "%s.endpoints: missing (expected endpoints = host:port, ... and/or "
                   "endpoints_file = PATH)",
                   c->where);
}

static bool read_method(sm_ctx_t *c, struct sm_group *g)
{
    const char *v = sm_path_get(c, NULL, "method");
    sm_quoted_t q;

    g->method = SM_METHOD_DIRECT;
    if (v && strcmp(v, "direct") && strcmp(v, "proxy"))
        return sm_fail(c, "%s.method: '%s' is not a method (expected direct or proxy)", c->where,
                       sm_quote(v, &q));
    if (v && !strcmp(v, "proxy"))
        g->method = SM_METHOD_PROXY;
    for (size_t i = 0; g->method == SM_METHOD_DIRECT && proxy_only[i]; i++)
        if (sm_path_get(c, NULL, proxy_only[i]))
            return sm_fail(c,
                           "%s.%s: only method = proxy takes it (this group is method = direct%s)",
                           c->where, proxy_only[i], v ? "" : ", the default");
    return true;
}

static bool read_proxy(sm_ctx_t *c, struct sm_group *g)
{
    const char *v = sm_path_get(c, NULL, "proxy"), *why = NULL;
    struct sm_endpoint_text ep;
    sm_quoted_t q;

    if (!v)
        return sm_fail(c,
                       "%s.proxy: missing (method = proxy needs the first hop, e.g. proxy = "
                       "azure-proxy.example:3128)",
                       c->where);
    if (!sm_endpoint_parse(v, strlen(v), &ep, &why))
        return sm_fail(c, "%s.proxy: '%s': %s (expected host:port of the first proxy)", c->where,
                       sm_quote(v, &q), why);
    g->proxy_port = ep.port;
    g->proxy_host = strdup(ep.host);
    return g->proxy_host || sm_fail(c, "%s.proxy: out of memory", c->where);
}

/* a via list with an empty item ("a,,b", ",a", "a,"): the settings
 * tokenizer would drop it silently */
static bool empty_item(const char *list)
{
    const char *p = list;

    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (strspn(p, " \t") >= n)
            return true;
        if (!end)
            return false;
        p = end + 1;
    }
}

static bool read_via(sm_ctx_t *c, struct sm_group *g)
{
    const char *list = sm_path_get(c, NULL, "via");
    enumerator_t *e;
    char *tok;
    bool ok = true;
    sm_quoted_t q;

    if (!list)
        return true;
    if (*list && empty_item(list))
        return sm_fail(c, "%s.via: an empty hop name (two commas, or a comma at an end)", c->where);
    e = enumerator_create_token(list, ",", " \t");
    while (ok && e->enumerate(e, &tok))
        if (!sm_name_valid(tok))
            ok = sm_fail(c,
                         "%s.via: '%s' is not a hop name (expected 1..%d characters of A-Z a-z "
                         "0-9 _ -)",
                         c->where, sm_quote(tok, &q), SM_NAME_MAX);
        else if (listed(g->via, g->n_via, tok))
            ok = sm_fail(c, "%s.via: '%s' is listed twice", c->where, tok);
        else if (g->n_via >= VIA_MAX)
            ok = sm_fail(c, "%s.via: more than %d hops", c->where, VIA_MAX);
        else if (!push(&g->via, &g->n_via, tok))
            ok = sm_fail(c, "%s.via: out of memory", c->where);
    e->destroy(e);
    if (ok && !g->n_via)
        return sm_fail(c, "%s.via: empty (expected the chain's hop names, first hop first)",
                       c->where);
    return ok;
}

/* proxy_auth = any | basic, digest, ntlm, negotiate */
static bool read_auth(sm_ctx_t *c, struct sm_group *g)
{
    const char *list = sm_path_get(c, NULL, "proxy_auth");
    enumerator_t *e;
    char *tok;
    bool ok = true, any = false;
    size_t i;
    sm_quoted_t q;

    g->auth = 15; /* CHECKS_AUTH_ANY */
    if (!list)
        return true;
    g->auth = 0;
    e = enumerator_create_token(list, ",", " \t");
    while (ok && e->enumerate(e, &tok)) {
        for (i = 0; auth_names[i] && strcmp(auth_names[i], tok); i++)
            ;
        any = any || !strcmp(tok, "any");
        if (auth_names[i])
            g->auth |= 1u << i;
        else if (strcmp(tok, "any"))
            ok = sm_fail(c,
                         "%s.proxy_auth: '%s' is not a scheme (expected any, or a list of "
                         "basic, digest, ntlm, negotiate)",
                         c->where, sm_quote(tok, &q));
    }
    e->destroy(e);
    if (ok && any && g->auth)
        return sm_fail(c, "%s.proxy_auth: 'any' with other schemes (expected one or the other)",
                       c->where);
    if (ok && !any && !g->auth)
        return sm_fail(c, "%s.proxy_auth: empty (expected any, or basic, digest, ntlm, negotiate)",
                       c->where);
    if (any)
        g->auth = 15;
    return ok;
}

static bool read_credentials(sm_ctx_t *c, struct sm_group *g)
{
    const char *v = sm_path_get(c, NULL, "credentials");
    sm_quoted_t q;

    if (!v)
        return true;
    if (!sm_name_valid(v))
        return sm_fail(c,
                       "%s.credentials: '%s' is not a name (expected 1..%d characters of A-Z a-z "
                       "0-9 _ -: the section secrets.proxy-<name> of the connections file)",
                       c->where, sm_quote(v, &q), SM_NAME_MAX);
    g->credentials = strdup(v);
    return g->credentials || sm_fail(c, "%s.credentials: out of memory", c->where);
}

/* the source's family against literal hosts it must reach first */
static bool source_family(sm_ctx_t *c, const struct sm_group *g)
{
    int af = sm_addr_family(g->source), other;

    if (!g->source)
        return true;
    if (g->method == SM_METHOD_PROXY) {
        other = sm_addr_family(g->proxy_host);
        if (other && other != af)
            return sm_fail(c,
                           "%s.source: %s and the proxy %s are of different families (expected "
                           "one family for both)",
                           c->where, g->source, g->proxy_host);
        return true;
    }
    for (size_t i = 0; i < g->n_endpoints; i++) {
        other = sm_addr_family(g->endpoints[i].host);
        if (other && other != af)
            return sm_fail(c,
                           "%s.source: %s and the endpoint %s are of different families "
                           "(expected one family, or the endpoint by name)",
                           c->where, g->source, g->endpoints[i].host);
    }
    return true;
}

/* legacy: IoT Hub ports only, else a warning per endpoint */
static bool legacy_ports(sm_ctx_t *c, const struct sm_group *g)
{
    for (size_t i = 0; g->legacy && i < g->n_endpoints; i++) {
        bool hub = false;
        for (size_t k = 0; k < sizeof(hub_ports) / sizeof(hub_ports[0]); k++)
            hub = hub || g->endpoints[i].port == hub_ports[k];
        if (!hub && !sm_warn(c->m,
                             "%s: %s: legacy endpoint %s port %u is not an IoT Hub port (443, "
                             "5671 or 8883): is it right?",
                             c->file, c->where, g->endpoints[i].host, g->endpoints[i].port))
            return sm_fail(c, "%s: out of memory", c->where);
    }
    return true;
}

static bool read_group(sm_ctx_t *c, struct sm_site *site, const char *name)
{
    struct sm_group *g, *grown = realloc(site->groups, (site->n_groups + 1) * sizeof(*grown));

    snprintf(c->where, sizeof(c->where), "%s.%s.sensors.%s", c->ns, c->site, name);
    snprintf(c->level, sizeof(c->level), "%s.%%s.sensors.%%s", c->ns);
    c->path = name;
    if (!grown)
        return sm_fail(c, "%s: out of memory", c->where);
    site->groups = grown;
    g = &grown[site->n_groups++];
    memset(g, 0, sizeof(*g));
    if (!(g->name = strdup(name)))
        return sm_fail(c, "%s: out of memory", c->where);
    if (!sm_path_only_known(c, NULL, group_keys, group_sections) ||
        !sm_get_bool(c, NULL, "legacy", &g->legacy) || !read_subnets(c, g) ||
        !read_endpoints(c, g) || !read_method(c, g))
        return false;
    if (g->method == SM_METHOD_PROXY &&
        (!read_proxy(c, g) || !read_via(c, g) || !read_credentials(c, g) || !read_auth(c, g)))
        return false;
    if (g->method == SM_METHOD_DIRECT)
        g->auth = 15;
    return sm_get_addr(c, NULL, "source", 0, &g->source) && source_family(c, g) &&
           sm_read_tls(c, "tls", &c->m->checks.tls, &g->tls) && legacy_ports(c, g);
}

/* a group of the site whose name differs from name only in case (status
 * and logs would show two groups an operator reads as one) */
static const char *case_twin(const struct sm_site *site, const char *name)
{
    for (size_t i = 0; i < site->n_groups; i++)
        if (strcasecmp(site->groups[i].name, name) == 0)
            return site->groups[i].name;
    return NULL;
}

bool sm_read_groups(sm_ctx_t *c, struct sm_site *site, const char *where)
{
    char fmt[64], sw[SM_WHERE_MAX], *name;
    enumerator_t *e;
    bool ok = true;

    snprintf(fmt, sizeof(fmt), "%s.%%s.sensors", c->ns);
    snprintf(sw, sizeof(sw), "%s.sensors", where);
    if (!sm_only_known(c, c->s->create_key_value_enumerator(c->s, fmt, c->site),
                       c->s->create_section_enumerator(c->s, fmt, c->site), sw,
                       (const char *const[]){NULL}, NULL))
        return false;
    e = c->s->create_section_enumerator(c->s, fmt, c->site);
    while (ok && e->enumerate(e, &name))
        ok = !sm_name_valid(name)    ? sm_bad_name(c, sw, "sensor group", name)
             : case_twin(site, name) ? sm_fail(c,
                                               "%s.%s: the same name as group '%s' but for case "
                                               "(expected names that differ in letters)",
                                               sw, name, case_twin(site, name))
                                     : read_group(c, site, name);
    e->destroy(e);
    return ok;
}

static void free_strs(char **arr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(arr[i]);
    free(arr);
}

void sm_groups_free(struct sm_site *site)
{
    for (size_t i = 0; i < site->n_groups; i++) {
        struct sm_group *g = &site->groups[i];
        free(g->name);
        free_strs(g->subnets, g->n_subnets);
        for (size_t k = 0; k < g->n_endpoints; k++)
            free(g->endpoints[k].host);
        free(g->endpoints);
        free(g->endpoints_file);
        free(g->proxy_host);
        free_strs(g->via, g->n_via);
        free(g->credentials);
        free(g->source);
        sm_tls_free(&g->tls);
    }
    free(site->groups);
    site->groups = NULL;
    site->n_groups = 0;
}
