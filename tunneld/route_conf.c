/* route_conf: see route_conf.h (threading there). */
#define _GNU_SOURCE /* vasprintf */
#include "route_conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <library.h>

#include "conf_info.h"
#include "quote.h"
#include "route_peers.h"
#include "sa_table.h"
#include "sm_values.h"

#define NS "tunneld.routes"
/* strongSwan's configure default for routing_table (--with-routing-table) */
#define CHARON_ROUTING_TABLE 220

/* what one parse needs while it walks the sections */
typedef struct {
    const char *file;
    char *err;
    size_t errlen;
    conf_info_t info;
    peer_index_t peers; /* every remote_addrs entry of info, read once */
    route_conf_t *out;
} ctx_t;

static const char *const top_keys[] = {"table",
                                       "protocol",
                                       "flush_on_exit",
                                       "fail_closed",
                                       "nexthop_compat_mode",
                                       "probe_table_base",
                                       "probe_mark_base",
                                       "probe_rule_priority",
                                       NULL};
static const char *const top_sections[] = {"sites", NULL};
/* the section the sites were read from: tunneld.sites (or the deprecated
 * tunneld.routes.sites) */
#define SEC(c) sm_model_section(&(c)->out->model)

static bool fail(ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->err, c->errlen, "%s: ", c->file);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errlen)
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static bool listed(const char *const *names, const char *s)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return true;
    return false;
}

/* "a, b, c" into buf */
static void join(const char *const *names, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Every key and section of one level must be known. kv and sec are
 * enumerators of that level (made by the caller with names as arguments). */
static bool only_known(ctx_t *c, enumerator_t *kv, enumerator_t *sec, const char *where,
                       const char *const *keys, const char *const *sections, bool any_section)
{
    char *k, *v, valid[512]; /* every name of top_keys and the model's lists, whole */
    bool ok = true;
    quoted_t q;

    while (ok && kv->enumerate(kv, &k, &v)) {
        if (listed(keys, k))
            continue;
        join(keys, valid, sizeof(valid));
        ok = keys[0]
                 ? fail(c, "%s: unknown key '%s' (expected one of: %s)", where, quote(k, &q), valid)
                 : fail(c, "%s: unexpected key '%s' (expected only sections)", where, quote(k, &q));
    }
    while (ok && !any_section && sec->enumerate(sec, &k)) {
        if (listed(sections, k))
            continue;
        join(sections, valid, sizeof(valid));
        ok = sections[0]
                 ? fail(c, "%s: unknown section '%s' (expected one of: %s)", where, quote(k, &q),
                        valid)
                 : fail(c, "%s: unexpected section '%s' (expected only keys)", where, quote(k, &q));
    }
    kv->destroy(kv);
    sec->destroy(sec);
    return ok;
}

/*
 * charon's own routing table: kernel-netlink's routing_table, read as
 * charon reads it (lib->ns "tunneld", falling back to the charon section;
 * strongSwan's configure default 220 when unset, as in the pinned build; 0
 * means none of its own). kernel-libipsec always routes into it, and charon
 * installs a rule for it: tunneld's table must be another one, or charon's
 * routes would replace the engine's (and its rule shadow the engine's).
 */
static bool table_not_charons(ctx_t *c, uint32_t table)
{
    uint32_t charons = (uint32_t)lib->settings->get_int(lib->settings, "%s.routing_table",
                                                        CHARON_ROUTING_TABLE, lib->ns);

    if (!charons || charons != table)
        return true;
    return fail(c,
                "%s.table: table %u is charon's own routing table (%s.routing_table or "
                "charon.routing_table, default %d), where it installs its IPsec routes (expected "
                "another table for tunneld's routes)",
                NS, table, lib->ns, CHARON_ROUTING_TABLE);
}

/* a fwmark: decimal, or hexadecimal with 0x as ip-rule(8) writes it, in full */
static bool parse_mark(const char *t, uint64_t max, uint64_t *v)
{
    char *end;

    if ((t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) && isxdigit((unsigned char)t[2])) {
        for (const char *p = t + 2; *p; p++)
            if (!isxdigit((unsigned char)*p))
                return false;
        if (strlen(t + 2) > 8)
            return false;
        errno = 0;
        *v = strtoull(t + 2, &end, 16);
        return !errno && !*end && *v >= 1 && *v <= max;
    }
    return sm_parse_uint(t, 1, max, v);
}

/*
 * The probe tables, marks and rule priority (routes_options probe_*): the
 * engine claims ROUTES_MAX_PROBE_PATHS tables and marks from each base; it
 * checks the ranges against its table and the reserved ones, and refuses a
 * probe table something else uses (engine_error names the key).
 */
static bool probe_options(ctx_t *c)
{
    struct routes_options *o = &c->out->opts;
    settings_t *s = lib->settings;
    const uint64_t last = UINT32_MAX - (ROUTES_MAX_PROBE_PATHS - 1);
    uint64_t v;
    const char *t;
    quoted_t q;

    t = s->get_str(s, NS ".probe_table_base", NULL);
    if (t && (!sm_parse_uint(t, 256, last, &v) ||
              (o->table >= v && o->table <= v + ROUTES_MAX_PROBE_PATHS - 1)))
        return fail(c,
                    "%s.probe_table_base: '%s' is not a first probe table (expected 256..%llu, "
                    "the %u tables from it not including tunneld's table %u)",
                    NS, quote(t, &q), (unsigned long long)last, ROUTES_MAX_PROBE_PATHS, o->table);
    if (t)
        o->probe_table_base = (uint32_t)v;
    uint32_t charons = (uint32_t)lib->settings->get_int(lib->settings, "%s.routing_table",
                                                        CHARON_ROUTING_TABLE, lib->ns);
    if (charons && charons >= o->probe_table_base &&
        charons - o->probe_table_base < ROUTES_MAX_PROBE_PATHS)
        return fail(c,
                    "%s.probe_table_base: the probe tables %u..%u include charon's own routing "
                    "table %u (%s.routing_table or charon.routing_table), where it installs its "
                    "IPsec routes (expected another probe_table_base)",
                    NS, o->probe_table_base, o->probe_table_base + ROUTES_MAX_PROBE_PATHS - 1,
                    charons, lib->ns);
    t = s->get_str(s, NS ".probe_mark_base", NULL);
    if (t && !parse_mark(t, last, &v))
        return fail(c,
                    "%s.probe_mark_base: '%s' is not a first probe fwmark (expected 1..%llu, "
                    "decimal or 0x hexadecimal: the %u marks from it are tunneld's alone)",
                    NS, quote(t, &q), (unsigned long long)last, ROUTES_MAX_PROBE_PATHS);
    if (t)
        o->probe_mark_base = (uint32_t)v;
    t = s->get_str(s, NS ".probe_rule_priority", NULL);
    if (t && !sm_parse_uint(t, 1, ROUTES_DEFAULT_RULE_PRIORITY - 1, &v))
        return fail(c,
                    "%s.probe_rule_priority: '%s' is not a rule priority before tunneld's "
                    "rules (expected 1..%u: tunneld's own rules are at %u; 0 is the kernel's "
                    "local table)",
                    NS, quote(t, &q), ROUTES_DEFAULT_RULE_PRIORITY - 1,
                    ROUTES_DEFAULT_RULE_PRIORITY);
    if (t)
        o->probe_rule_priority = (uint32_t)v;
    return true;
}

static bool top_options(ctx_t *c)
{
    struct routes_options *o = &c->out->opts;
    settings_t *s = lib->settings;
    uint64_t v;
    const char *t;
    quoted_t q;

    if (!only_known(c, s->create_key_value_enumerator(s, NS), s->create_section_enumerator(s, NS),
                    NS, top_keys, top_sections, false))
        return false;
    t = s->get_str(s, NS ".table", NULL);
    if (t && (!sm_parse_uint(t, 1, UINT32_MAX, &v) || (v >= 252 && v <= 255)))
        return fail(c,
                    "%s.table: '%s' is not a routing table (expected 1..4294967295, not 252, "
                    "253, 254 or 255: the kernel's compat, default, main, local)",
                    NS, quote(t, &q));
    if (t)
        o->table = (uint32_t)v;
    if (!table_not_charons(c, o->table))
        return false;
    t = s->get_str(s, NS ".protocol", NULL);
    if (t && !sm_parse_uint(t, 5, 255, &v))
        return fail(c,
                    "%s.protocol: '%s' is not a protocol number (expected 5..255; 0..4 are "
                    "the kernel's)",
                    NS, quote(t, &q));
    if (t)
        o->protocol = (uint8_t)v;
    t = s->get_str(s, NS ".flush_on_exit", NULL);
    if (t && !sm_parse_bool(t, &o->flush_on_exit))
        return fail(c, "%s.flush_on_exit: '%s' is not a boolean (expected yes or no)", NS,
                    quote(t, &q));
    t = s->get_str(s, NS ".fail_closed", NULL);
    if (t && !sm_parse_bool(t, &o->fail_closed))
        return fail(c, "%s.fail_closed: '%s' is not a boolean (expected yes or no)", NS,
                    quote(t, &q));
    t = s->get_str(s, NS ".nexthop_compat_mode", NULL);
    if (t && strcmp(t, "0") != 0 && strcmp(t, "1") != 0)
        return fail(c, "%s.nexthop_compat_mode: expected 0 or 1, got '%s'", NS, quote(t, &q));
    c->out->compat_mode = t ? t[0] - '0' : -1;
    return probe_options(c);
}

/* "a, b, c" of as many names as fit, "... (N in all)" when not all do;
 * "none" for none (names NULL: out of memory, said so) */
static void name_list(const char **names, size_t n, char *buf, size_t len)
{
    size_t used = 0, i;
    if (!names || !n) {
        snprintf(buf, len, "%s", names ? "none" : "(out of memory)");
        return;
    }
    buf[0] = '\0';
    for (i = 0; i < n; i++) {
        size_t need = strlen(names[i]) + (i ? 2 : 0);
        if (used + need + 24 >= len)
            break;
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
    }
    if (i < n)
        snprintf(buf + used, len - used, "%s... (%zu in all)", i ? ", " : "", n);
}

/* the path's CHILD_SA (the model checked <connection>.<child>): both in
 * the connections file, names that fit the SA table */
static bool bind_child(ctx_t *c, const char *where, const struct sm_path *sp, route_path_conf_t *p)
{
    const conf_conn_info_t *conn;
    char list[200];
    quoted_t q;

    p->conn = strdup(sp->conn);
    p->child = strdup(sp->child);
    if (!p->conn || !p->child)
        return fail(c, "%s.child: out of memory", where);
    if (strlen(p->conn) >= SA_NAME_MAX || strlen(p->child) >= SA_NAME_MAX)
        return fail(c,
                    "%s.child: connection and child names longer than %d characters cannot be "
                    "tracked by the SA table (got %zu and %zu)",
                    where, SA_NAME_MAX - 1, strlen(p->conn), strlen(p->child));
    conn = conf_info_conn(&c->info, p->conn);
    if (!conn) {
        const char **names = calloc(c->info.n_conns + 1, sizeof(*names));
        for (size_t i = 0; names && i < c->info.n_conns; i++)
            names[i] = c->info.conns[i].name;
        name_list(names, c->info.n_conns, list, sizeof(list));
        free(names);
        return fail(c, "%s.child: no connection '%s' in the connections file (connections: %s)",
                    where, quote(p->conn, &q), list);
    }
    if (!conf_info_has_child(&c->info, p->conn, p->child)) {
        name_list((const char **)conn->children, conn->n_children, list, sizeof(list));
        return fail(c, "%s.child: connection '%s' has no child '%s' (children: %s)", where, p->conn,
                    quote(p->child, &q), list);
    }
    return true;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* the path as tunneld keeps it (status, CHILD_SA binding); NULL when out of
 * memory (err set) */
static route_path_conf_t *keep_path(ctx_t *c, const char *where, const char *site,
                                    const struct sm_path *sp)
{
    route_path_conf_t *p, *grown = realloc(c->out->paths, (c->out->n_paths + 1) * sizeof(*grown));

    if (!grown) {
        fail(c, "%s: out of memory", where);
        return NULL;
    }
    c->out->paths = grown;
    p = &grown[c->out->n_paths++];
    memset(p, 0, sizeof(*p));
    p->site = strdup(site);
    p->path = strdup(sp->name);
    p->dev = strdup(sp->dev);
    p->gw4 = dup_or_null(sp->gw4);
    p->gw6 = dup_or_null(sp->gw6);
    p->priority = sp->priority;
    p->weight = sp->weight;
    if (p->site && p->path && p->dev && (!sp->gw4 || p->gw4) && (!sp->gw6 || p->gw6))
        return p;
    fail(c, "%s: out of memory", where);
    return NULL;
}

/* one path of the model into the engine's state */
static bool add_path(ctx_t *c, int idx, const char *site, const struct sm_path *sp)
{
    char where[2 * ROUTES_NAME_MAX + 64];
    struct routes_path_spec spec = {.name = sp->name,
                                    .dev = sp->dev,
                                    .gateway4 = sp->gw4,
                                    .gateway6 = sp->gw6,
                                    .priority = sp->priority,
                                    .weight = sp->weight};
    route_path_conf_t *p;
    quoted_t q;

    snprintf(where, sizeof(where), "%s.%s.paths.%s", SEC(c), site, sp->name);
    if (!routes_ifname_valid(sp->dev))
        return fail(c, "%s.dev: '%s' is not a usable interface name (expected %s)", where,
                    quote(sp->dev, &q), ROUTES_IFNAME_RULE);
    if (routes_state_add_path(c->out->st, idx, &spec, c->err, c->errlen) != 0) {
        char why[384];
        snprintf(why, sizeof(why), "%s", c->err);
        return fail(c, "%s: %s", where, why);
    }
    p = keep_path(c, where, site, sp);
    return p && (!sp->conn || bind_child(c, where, sp, p));
}

/* a prefix "a/len" (or a bare address) into family, bytes and length */
static bool parse_prefix(const char *text, int *family, uint8_t addr[16], unsigned *plen)
{
    char buf[INET6_ADDRSTRLEN + 8], *slash;
    if (strlen(text) >= sizeof(buf))
        return false;
    strcpy(buf, text);
    slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    *family = strchr(buf, ':') ? AF_INET6 : AF_INET;
    memset(addr, 0, 16);
    if (inet_pton(*family, buf, addr) != 1)
        return false;
    *plen = slash ? (unsigned)strtoul(slash + 1, NULL, 10) : (*family == AF_INET ? 32 : 128);
    return true;
}

/* the refusal of a site prefix that overlaps what a peer entry stands for */
static bool peer_inside(ctx_t *c, const char *site, const char *prefix, const peer_ref_t *r)
{
    char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
    quoted_t q;

    route_peer_addr_text(r->span.family, r->span.from, from, sizeof(from));
    route_peer_addr_text(r->span.family, r->span.to, to, sizeof(to));
    if (r->kind == PEER_HOST && !strcmp(r->entry, from))
        return fail(c,
                    "%s.%s.prefixes: prefix %s contains %s, the remote address of "
                    "connection '%s': IKE and ESP to that peer would be routed into its own "
                    "tunnel (expected site prefixes that leave every VPN peer's address out)",
                    SEC(c), site, prefix, from, r->conn);
    if (r->kind == PEER_HOST)
        return fail(c,
                    "%s.%s.prefixes: prefix %s contains %s, the remote address '%s' of "
                    "connection '%s' as charon reads it: IKE and ESP to that peer would be "
                    "routed into its own tunnel (expected site prefixes that leave every VPN "
                    "peer's address out)",
                    SEC(c), site, prefix, from, quote(r->entry, &q), r->conn);
    return fail(c,
                "%s.%s.prefixes: prefix %s overlaps the remote addresses '%s' of "
                "connection '%s' (%s to %s): IKE and ESP to a peer there would be routed into "
                "the site (expected site prefixes that leave every VPN peer's address out)",
                SEC(c), site, prefix, quote(r->entry, &q), r->conn, from, to);
}

/* a site prefix must leave every peer's own addresses out (checked after
 * the engine accepted the prefix's syntax) */
static bool peers_outside(ctx_t *c, const char *site, const char *prefix)
{
    const peer_ref_t *r;
    uint8_t net[16];
    unsigned plen;
    int pf;

    if (!parse_prefix(prefix, &pf, net, &plen))
        return true;
    r = route_peer_index_find(&c->peers, pf, net, plen);
    return !r || peer_inside(c, site, prefix, r);
}

/* every remote_addrs entry, read once (c->peers) */
static bool index_peers(ctx_t *c)
{
    for (size_t i = 0; i < c->info.n_conns; i++) {
        const conf_conn_info_t *conn = &c->info.conns[i];
        for (size_t k = 0; k < conn->n_remote_addrs; k++)
            if (!route_peer_index_add(&c->peers, conn->name, conn->remote_addrs[k]))
                return fail(c, "%s: out of memory", NS);
    }
    return route_peer_index_done(&c->peers) || fail(c, "%s: out of memory", NS);
}

/* one site of the model into the engine's state */
static bool add_site(ctx_t *c, const struct sm_site *site)
{
    char where[ROUTES_NAME_MAX + 32];
    bool ok = true;
    int idx;

    snprintf(where, sizeof(where), "%s.%s", SEC(c), site->name);
    idx = routes_state_add_site(c->out->st, site->name, c->err, c->errlen);
    if (idx < 0)
        return fail(c, "%s: site '%s' cannot be added", where, site->name);
    for (size_t i = 0; ok && i < site->n_prefixes; i++) {
        if (routes_state_add_prefix(c->out->st, idx, site->prefixes[i], c->err, c->errlen)) {
            char why[384];
            snprintf(why, sizeof(why), "%s", c->err);
            ok = fail(c, "%s.prefixes: %s", where, why);
        } else {
            ok = peers_outside(c, site->name, site->prefixes[i]);
        }
    }
    for (size_t i = 0; ok && i < site->n_paths; i++)
        ok = add_path(c, idx, site->name, &site->paths[i]);
    return ok;
}

static bool warn(route_conf_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool warn(route_conf_t *out, const char *fmt, ...)
{
    char **grown, *msg = NULL;
    va_list ap;
    int n;

    if (!out)
        return true;
    va_start(ap, fmt);
    n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    grown = n < 0 ? NULL : realloc(out->warnings, (out->n_warnings + 1) * sizeof(*grown));
    if (!grown) {
        free(n < 0 ? NULL : msg);
        return false;
    }
    out->warnings = grown;
    out->warnings[out->n_warnings++] = msg;
    return true;
}

/* an entry no throw route can be made for, said once per parse */
static bool warn_entry(route_conf_t *out, const char *conn, const char *entry, peer_kind_t kind)
{
    quoted_t q;

    if (kind == PEER_NAME)
        return warn(out,
                    "connection '%s': remote address '%s' is a DNS name (or not an address): "
                    "tunneld cannot check that the peer's address stays out of the sites' "
                    "prefixes, nor throw it out of its table (docs/routes.md)",
                    conn, quote(entry, &q));
    if (kind == PEER_ANY)
        return warn(out,
                    "connection '%s': remote address '%s' accepts any peer: tunneld cannot keep "
                    "the peers' addresses out of the sites' prefixes",
                    conn, quote(entry, &q));
    return warn(out,
                "connection '%s': remote address range '%s' is empty (its first address is "
                "above its last): charon accepts no peer with it",
                conn, quote(entry, &q));
}

struct bypass_ctx {
    ctx_t *c;
    struct routes_state *st;
    const char *conn;
};

static bool bypass_one(void *arg, const char *cidr)
{
    struct bypass_ctx *b = arg;

    if (routes_state_add_bypass(b->st, cidr, b->c->err, b->c->errlen) == 0)
        return true;
    return fail(b->c, "connection '%s': remote address %s: out of memory", b->conn, cidr);
}

/*
 * every peer address charon may use: a throw route of the engine (hosts,
 * subnets, ranges as CIDR blocks); DNS names and wildcards cannot be
 * thrown (warnings into warn_to, when not NULL)
 */
static bool add_bypass(ctx_t *c, struct routes_state *st, route_conf_t *warn_to)
{
    for (size_t i = 0; i < c->info.n_conns; i++) {
        const conf_conn_info_t *conn = &c->info.conns[i];
        struct bypass_ctx b = {.c = c, .st = st, .conn = conn->name};
        for (size_t k = 0; k < conn->n_remote_addrs; k++) {
            peer_addr_t pa;
            route_peer_parse(conn->remote_addrs[k], &pa);
            if (!pa.n_span && !warn_entry(warn_to, conn->name, conn->remote_addrs[k], pa.kind))
                return fail(c, "connection '%s': out of memory", conn->name);
            for (size_t j = 0; j < pa.n_span; j++)
                if (!route_peer_cidrs(&pa.span[j], bypass_one, &b))
                    return false;
        }
    }
    return true;
}

bool route_conf_bypass(const char *file, const char *swanctl, struct routes_state *st, char *err,
                       size_t errlen)
{
    ctx_t c = {.file = file, .err = err, .errlen = errlen};
    bool ok = conf_info_read(swanctl, &c.info, err, errlen);

    if (ok) {
        routes_state_clear_bypass(st);
        ok = add_bypass(&c, st, NULL);
    }
    conf_info_free(&c.info);
    return ok;
}

static bool parse_all(ctx_t *c, const char *swanctl)
{
    const struct sm_model *m = &c->out->model;

    if (!top_options(c) ||
        sm_model_load(lib->settings, c->file, &c->out->model, c->err, c->errlen) != 0 ||
        sm_model_check_host(m, c->file, c->err, c->errlen) != 0)
        return false;
    for (size_t i = 0; i < m->n_warnings; i++)
        if (!warn(c->out, "%s", m->warnings[i]))
            return fail(c, "%s: out of memory", NS);
    if (!m->n_sites)
        return true; /* routing not configured */
    if (!conf_info_read(swanctl, &c->info, c->err, c->errlen)) {
        char why[384];
        snprintf(why, sizeof(why), "%s", c->err);
        return fail(c, "%s: the connections file is needed to check the routes: %s", SEC(c), why);
    }
    if (!index_peers(c))
        return false;
    for (size_t i = 0; i < m->n_sites; i++)
        if (!add_site(c, &m->sites[i]))
            return false;
    return add_bypass(c, c->out->st, c->out);
}

bool route_conf_parse(const char *file, const char *swanctl, route_conf_t *out, char *err,
                      size_t errlen)
{
    ctx_t c = {.file = file, .err = err, .errlen = errlen, .out = out};
    bool ok;

    memset(out, 0, sizeof(*out));
    err[0] = '\0';
    routes_options_init(&out->opts);
    out->compat_mode = -1;
    out->st = routes_state_new();
    if (!out->st)
        return fail(&c, "%s: out of memory", NS);
    ok = parse_all(&c, swanctl);
    route_peer_index_free(&c.peers);
    conf_info_free(&c.info);
    if (!ok)
        route_conf_free(out);
    return ok;
}

void route_conf_free(route_conf_t *c)
{
    for (size_t i = 0; i < c->n_paths; i++) {
        route_path_conf_t *p = &c->paths[i];
        free(p->site);
        free(p->path);
        free(p->dev);
        free(p->gw4);
        free(p->gw6);
        free(p->conn);
        free(p->child);
    }
    free(c->paths);
    for (size_t i = 0; i < c->n_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    routes_state_free(c->st);
    routes_options_free_rules(&c->opts);
    sm_model_free(&c->model);
    memset(c, 0, sizeof(*c));
    c->compat_mode = -1;
}
