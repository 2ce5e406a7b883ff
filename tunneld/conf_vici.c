/*
 * conf_vici: see conf_vici.h. The tables below list the keys vici 5.9.8
 * parses at each level of a load-conn message and how it reads each value;
 * the value checks follow vici's parsers step by step (the text a value is
 * read from, its buffer size, the libstrongswan function that parses it).
 */
#define _GNU_SOURCE /* asprintf */
#include "conf_vici.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <library.h>
#include <config/child_cfg.h>
#include <crypto/proposal/proposal.h>
#include <ipsec/ipsec_types.h>
#include <selectors/sec_label.h>
#include <selectors/traffic_selector.h>

#include "capture.h"
#include "conf_value.h"

/* vici's buffer for most values (BUF_LEN) */
#define VBUF 512

/* keys whose comma-separated value tunneld sends as a vici list */
static const char *list_keys[] = {
    "local_addrs", "remote_addrs", "proposals", "esp_proposals", "ah_proposals", "local_ts",
    "remote_ts",   "vips",         "pools",     "groups",        "cert_policy",
};

bool conf_vici_list_key(const char *key)
{
    for (size_t i = 0; i < countof(list_keys); i++)
        if (strcaseeq(key, list_keys[i]))
            return true;
    return false;
}

void conf_vici_each_item(const char *value, void (*item)(void *ctx, const char *element), void *ctx)
{
    enumerator_t *tokens = enumerator_create_token(value, ",", " ");
    char *token;

    while (tokens->enumerate(tokens, &token))
        item(ctx, token);
    tokens->destroy(tokens);
}

/* vici_stringify: every byte printable (C locale), then at most size - 1 of them */
static bool text(const char *v, char *buf, size_t size)
{
    size_t n = 0;

    for (const unsigned char *c = (const unsigned char *)v; *c; c++, n++)
        if (*c < 0x20 || *c > 0x7e)
            return false;
    n = n < size - 1 ? n : size - 1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    return true;
}

static bool printable(const char *v)
{
    char buf[2];

    return text(v, buf, sizeof(buf));
}

static bool in_map(const char *v, const char *const *names, size_t n)
{
    char buf[VBUF];

    if (!text(v, buf, sizeof(buf)))
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcaseeq(names[i], buf))
            return true;
    return false;
}

#define MAP(fn, ...)                                                                               \
    static bool fn(const char *v)                                                                  \
    {                                                                                              \
        static const char *const names[] = {__VA_ARGS__};                                          \
        return in_map(v, names, countof(names));                                                   \
    }

MAP(v_bool, "yes", "true", "enabled", "1", "no", "false", "disabled", "0")
MAP(v_mode, "tunnel", "transport", "transport_proxy", "beet", "drop", "pass")
MAP(v_copy_dscp, "no", "in", "out", "yes")
MAP(v_hw_offload, "no", "yes", "auto")
MAP(v_revocation, "strict", "ifuri", "relaxed")
MAP(v_frag, "yes", "accept", "no", "force")
MAP(v_childless, "allow", "never", "force")
MAP(v_send_cert, "ifasked", "always", "never")
MAP(v_unique, "never", "no", "replace", "keep")

static bool v_action(const char *v)
{
    static const char *const names[] = {"start", "restart", "route", "trap", "none", "clear"};
    char buf[VBUF];
    action_t action;

    if (in_map(v, names, countof(names)))
        return true;
    return text(v, buf, sizeof(buf)) && enum_flags_from_string(action_names, buf, &action);
}

/* a number read with strtoul from vici's 16-byte buffer, nothing after it */
static bool number(const char *v, int base)
{
    char buf[16], *end;

    if (!text(v, buf, sizeof(buf)))
        return false;
    strtoul(buf, &end, base);
    return *end == '\0';
}

static bool v_uint32(const char *v)
{
    return number(v, 0);
}

static bool v_dscp(const char *v)
{
    return number(v, 2);
}

static bool v_uint64(const char *v)
{
    char buf[16], *end;

    if (!text(v, buf, sizeof(buf)))
        return false;
    strtoull(buf, &end, 0);
    return *end == '\0';
}

/* a number, blanks, then at most one of the unit letters */
static bool with_unit(const char *v, const char *units)
{
    char buf[16], *end;

    if (!text(v, buf, sizeof(buf)))
        return false;
    strtoull(buf, &end, 0);
    while (*end == ' ')
        end++;
    if (*end && strchr(units, *end))
        end++;
    return *end == '\0';
}

static bool v_time(const char *v)
{
    return with_unit(v, "dDhHmMsS");
}

static bool v_bytes(const char *v)
{
    return with_unit(v, "gGmMkK");
}

static bool v_tfc(const char *v)
{
    return streq(v, "mtu") || v_uint32(v);
}

static bool v_mark(const char *v)
{
    char buf[32];
    mark_t mark;

    return text(v, buf, sizeof(buf)) && mark_from_string(buf, MARK_OP_UNIQUE, &mark);
}

static bool v_set_mark(const char *v)
{
    char buf[32];
    mark_t mark;

    return text(v, buf, sizeof(buf)) && mark_from_string(buf, MARK_OP_SAME, &mark);
}

static bool v_if_id(const char *v)
{
    char buf[32];
    uint32_t id;

    return text(v, buf, sizeof(buf)) && if_id_from_string(buf, &id);
}

static bool v_label(const char *v)
{
    char buf[VBUF];
    sec_label_t *label;

    if (!text(v, buf, sizeof(buf)) || !(label = sec_label_from_string(buf)))
        return false;
    label->destroy(label);
    return true;
}

static bool v_label_mode(const char *v)
{
    char buf[VBUF];
    sec_label_mode_t mode;

    return text(v, buf, sizeof(buf)) && sec_label_mode_from_string(buf, &mode);
}

/* public key prefixes, psk, xauth*, eap* (read from vici's 64-byte buffer) */
static bool v_auth(const char *v)
{
    char buf[64];

    if (!text(v, buf, sizeof(buf)))
        return false;
    return strpfx(buf, "ike:") || strpfx(buf, "pubkey") || strpfx(buf, "rsa") ||
           strpfx(buf, "ecdsa") || strpfx(buf, "bliss") || strcaseeq(buf, "psk") ||
           strcasepfx(buf, "xauth") || strcasepfx(buf, "eap");
}

static bool v_host(const char *v)
{
    char buf[64];
    host_t *host;

    if (!text(v, buf, sizeof(buf)) || !(host = host_create_from_string(buf, 0)))
        return false;
    host->destroy(host);
    return true;
}

static bool proposal(const char *v, protocol_id_t proto)
{
    char buf[VBUF];
    proposal_t *p;

    if (!text(v, buf, sizeof(buf)))
        return false;
    if (strcaseeq(buf, "default"))
        return true;
    p = proposal_create_from_string(proto, buf);
    if (p)
        p->destroy(p);
    return p != NULL;
}

static bool v_ike_proposal(const char *v)
{
    return proposal(v, PROTO_IKE);
}

static bool v_esp_proposal(const char *v)
{
    return proposal(v, PROTO_ESP);
}

static bool v_ah_proposal(const char *v)
{
    return proposal(v, PROTO_AH);
}

static bool v_string(const char *v)
{
    return printable(v);
}

static bool v_id(const char *v)
{
    char buf[VBUF];

    return text(v, buf, sizeof(buf));
}

/* the protocol of a selector's [proto/port]: "any", a name from /etc/protocols, 0..255 */
static bool ts_proto(const char *s, uint8_t *proto)
{
    struct protoent *pe;
    char *end;
    long p;

    if (streq(s, "any")) {
        *proto = 0;
        return true;
    }
    if ((pe = getprotobyname(s))) {
        *proto = (uint8_t)pe->p_proto;
        return true;
    }
    p = strtol(s, &end, 0);
    *proto = (uint8_t)p;
    return !(*s && *end) && p >= 0 && p <= 0xff;
}

/* the ports of [proto/port]: "opaque", "any" or none, a service name, N or N-M */
static bool ts_ports(const char *port, uint16_t *from, uint16_t *to)
{
    struct servent *se;
    char *end;
    long p;

    if (streq(port, "opaque")) {
        *from = 0xffff;
        *to = 0;
        return true;
    }
    if (!*port || streq(port, "any"))
        return true;
    if ((se = getservbyname(port, NULL))) {
        *from = *to = ntohs((uint16_t)se->s_port);
        return true;
    }
    p = strtol(port, &end, 0);
    if (p < 0 || p > 0xffff)
        return false;
    *from = (uint16_t)p;
    if (*end == '-') {
        p = strtol(end + 1, &end, 0);
        if (p < 0 || p > 0xffff)
            return false;
    }
    *to = (uint16_t)p;
    return *end == '\0';
}

/* the selector itself: dynamic, a range a-b, or a subnet / address */
static bool ts_make(char *addr, uint8_t proto, uint16_t from, uint16_t to)
{
    traffic_selector_t *ts = NULL;
    host_t *lower, *upper;

    if (streq(addr, "dynamic")) {
        ts = traffic_selector_create_dynamic(proto, from, to);
    } else if (strchr(addr, '-')) {
        if (host_create_from_range(addr, &lower, &upper)) {
            ts = traffic_selector_create_from_bytes(
                proto,
                lower->get_family(lower) == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE,
                lower->get_address(lower), from, upper->get_address(upper), to);
            lower->destroy(lower);
            upper->destroy(upper);
        }
    } else {
        ts = traffic_selector_create_from_cidr(addr, proto, from, to);
    }
    if (ts)
        ts->destroy(ts);
    return ts != NULL;
}

/* a traffic selector: address part, then an optional [proto/port] */
static bool v_ts(const char *v)
{
    char buf[VBUF], *pp, *close, *slash, *port = "";
    uint16_t from = 0, to = 0xffff;
    uint8_t proto = 0;

    if (!text(v, buf, sizeof(buf)))
        return false;
    if ((pp = strchr(buf, '['))) {
        *pp++ = '\0';
        if (!(close = strrchr(pp, ']')))
            return false;
        *close = '\0';
        if ((slash = strchr(pp, '/'))) {
            *slash = '\0';
            port = slash + 1;
        }
        if (!ts_proto(pp, &proto) || !ts_ports(port, &from, &to))
            return false;
    }
    return ts_make(buf, proto, from, to);
}

typedef struct {
    const char *key;
    bool (*ok)(const char *value);
} rule_t;

/* the keys of one level, sent as a value (kv) or as a list (li); NULL: vici ignores them */
typedef struct {
    const rule_t *kv, *li;
    size_t n_kv, n_li;
} keys_t;

#define LEVEL(kv, li)                                                                              \
    {                                                                                              \
        kv, li, countof(kv), countof(li)                                                           \
    }

static const rule_t peer_kv[] = {
    {"version", v_uint32},      {"aggressive", v_bool},   {"pull", v_bool},
    {"dscp", v_dscp},           {"encap", v_bool},        {"mobike", v_bool},
    {"dpd_delay", v_time},      {"dpd_timeout", v_time},  {"fragmentation", v_frag},
    {"childless", v_childless}, {"send_certreq", v_bool}, {"send_cert", v_send_cert},
    {"keyingtries", v_uint32},  {"unique", v_unique},     {"local_port", v_uint32},
    {"remote_port", v_uint32},  {"reauth_time", v_time},  {"rekey_time", v_time},
    {"over_time", v_time},      {"rand_time", v_time},    {"ppk_id", v_id},
    {"ppk_required", v_bool},   {"if_id_in", v_if_id},    {"if_id_out", v_if_id},
};
static const rule_t peer_li[] = {
    {"local_addrs", v_string}, {"remote_addrs", v_string}, {"proposals", v_ike_proposal},
    {"vips", v_host},          {"pools", v_string},
};
static const rule_t auth_kv[] = {
    {"auth", v_auth},
    {"id", v_id},
    {"ca_id", v_id},
    {"aaa_id", v_id},
    {"eap_id", v_id},
    {"xauth_id", v_id},
    {"revocation", v_revocation},
    {"round", v_uint32},
};
/* certs, cacerts and pubkeys are lists for vici: tunneld sends them as values (unknown) */
static const rule_t auth_li[] = {
    {"groups", v_id},
    {"cert_policy", v_id},
};
static const rule_t child_kv[] = {
    {"updown", v_string},        {"hostaccess", v_bool},       {"mode", v_mode},
    {"policies", v_bool},        {"policies_fwd_out", v_bool}, {"replay_window", v_uint32},
    {"rekey_time", v_time},      {"life_time", v_time},        {"rand_time", v_time},
    {"rekey_bytes", v_bytes},    {"life_bytes", v_bytes},      {"rand_bytes", v_bytes},
    {"rekey_packets", v_uint64}, {"life_packets", v_uint64},   {"rand_packets", v_uint64},
    {"dpd_action", v_action},    {"start_action", v_action},   {"close_action", v_action},
    {"ipcomp", v_bool},          {"inactivity", v_time},       {"reqid", v_uint32},
    {"mark_in", v_mark},         {"mark_in_sa", v_bool},       {"mark_out", v_mark},
    {"set_mark_in", v_set_mark}, {"set_mark_out", v_set_mark}, {"tfc_padding", v_tfc},
    {"priority", v_uint32},      {"interface", v_string},      {"hw_offload", v_hw_offload},
    {"sha256_96", v_bool},       {"copy_df", v_bool},          {"copy_ecn", v_bool},
    {"copy_dscp", v_copy_dscp},  {"if_id_in", v_if_id},        {"if_id_out", v_if_id},
    {"label", v_label},          {"label_mode", v_label_mode},
};
static const rule_t child_li[] = {
    {"ah_proposals", v_ah_proposal},
    {"esp_proposals", v_esp_proposal},
    {"local_ts", v_ts},
    {"remote_ts", v_ts},
};
static const rule_t cert_kv[] = {
    {"handle", v_string},
    {"slot", v_uint32},
    {"module", v_string},
    {"file", v_string},
};

static const keys_t peer = LEVEL(peer_kv, peer_li), auth = LEVEL(auth_kv, auth_li),
                    child = LEVEL(child_kv, child_li), cert = {cert_kv, NULL, countof(cert_kv), 0};

/* one check: the first reason, the warnings */
typedef struct {
    char *why;
    char *warnings;
} check_t;

static bool reject(check_t *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool reject(check_t *k, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    if (!k->why && vasprintf(&k->why, fmt, args) < 0)
        k->why = NULL;
    va_end(args);
    if (!k->why)
        k->why = strdup("out of memory checking the connection");
    return false;
}

static void warn(check_t *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(check_t *k, const char *fmt, ...)
{
    char *msg = NULL, *all = NULL;
    va_list args;

    va_start(args, fmt);
    if (vasprintf(&msg, fmt, args) < 0)
        msg = NULL;
    va_end(args);
    if (msg && asprintf(&all, "%s%s%s", k->warnings ? k->warnings : "", k->warnings ? "\n" : "",
                        msg) >= 0) {
        free(k->warnings);
        k->warnings = all;
    }
    free(msg);
}

static const rule_t *find(const rule_t *rules, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (streq(rules[i].key, key))
            return &rules[i];
    return NULL;
}

/* one value (or list element) of key at path */
static bool check_value(check_t *k, const char *path, const char *key, const rule_t *r,
                        const char *value)
{
    if (!r)
        return reject(k,
                      "%s.%s: not a key charon knows here (charon: \"unknown option: %s, "
                      "config discarded\")",
                      path, key, key);
    if (r->ok == v_id && strlen(value) >= VBUF)
        return reject(k,
                      "%s.%s: an identity of %zu bytes: charon's vici keeps at most %d bytes of "
                      "it and cuts the rest without a word (expected a shorter identity)",
                      path, key, strlen(value), VBUF - 1);
    capture_t *cap = capture_begin();
    bool ok = r->ok(value);
    char *detail = capture_end(cap);
    if (!ok)
        reject(k,
               "%s.%s: %s is not valid%s%s (charon: \"invalid value for: %s, config discarded\")",
               path, key, CONF_Q(value), detail ? ": " : "", detail ? detail : "", key);
    free(detail);
    return ok;
}

typedef struct {
    check_t *k;
    const char *path, *key;
    const rule_t *r;
    bool ok;
} items_t;

static void check_item(void *ctx, const char *element)
{
    items_t *it = ctx;

    if (it->ok)
        it->ok = check_value(it->k, it->path, it->key, it->r, element);
}

/* the keys of s at one level, in the order tunneld sends them */
static bool check_keys(check_t *k, const char *path, const conf_sec_t *s, const keys_t *lvl,
                       bool skip_encap)
{
    for (size_t i = 0; i < s->n_kv; i++) {
        const conf_kv_t *kv = &s->kv[i];
        if (skip_encap && streq(kv->key, "encap"))
            continue;
        if (conf_vici_list_key(kv->key)) {
            if (!lvl->li)
                continue; /* vici ignores lists here */
            items_t it = {k, path, kv->key, find(lvl->li, lvl->n_li, kv->key), true};
            conf_vici_each_item(kv->value, check_item, &it);
            if (!it.ok)
                return false;
        } else if (!check_value(k, path, kv->key, find(lvl->kv, lvl->n_kv, kv->key), kv->value)) {
            return false;
        }
    }
    return true;
}

static char *sub_path(const char *path, const char *name)
{
    char *p = NULL;

    return asprintf(&p, "%s.%s", path, name) < 0 ? NULL : p;
}

/* sections vici ignores below s (a child, a cert section) */
static void ignored_sections(check_t *k, const char *path, const conf_sec_t *s)
{
    for (size_t i = 0; i < s->n_sub; i++)
        warn(k, "%s.%s: charon ignores sections here", path, s->sub[i].name);
}

/* a cert* / cacert* section: its keys, then a handle or a file */
static bool check_cert(check_t *k, const char *path, const conf_sec_t *s)
{
    bool handle = conf_sec_value(s, "handle") != NULL, file = conf_sec_value(s, "file") != NULL;

    if (!check_keys(k, path, s, &cert, false))
        return false;
    ignored_sections(k, path, s);
    if (handle == file)
        return reject(k, "%s: expected a handle or a file (charon: \"handle %s file path %s: %s\")",
                      path, handle ? "and" : "or", handle ? "given" : "missing", s->name);
    return true;
}

static bool check_auth(check_t *k, const char *path, const conf_sec_t *s)
{
    if (!check_keys(k, path, s, &auth, false))
        return false;
    for (size_t i = 0; i < s->n_sub; i++) {
        const conf_sec_t *sub = &s->sub[i];
        char *p = sub_path(path, sub->name);
        bool ok = p != NULL;
        if (ok && (strcasepfx(sub->name, "cert") || strcasepfx(sub->name, "cacert")))
            ok = check_cert(k, p, sub);
        else if (ok)
            ok = reject(k,
                        "%s: only cert* and cacert* sections are allowed here (charon: "
                        "\"invalid section: %s\")",
                        p, sub->name);
        free(p);
        if (!ok)
            return k->why ? false : reject(k, "%s: out of memory", path);
    }
    return true;
}

static bool check_children(check_t *k, const char *path, const conf_sec_t *s)
{
    for (size_t i = 0; i < s->n_kv; i++)
        warn(k, "%s.%s: charon ignores keys directly under children (in a child they count)", path,
             s->kv[i].key);
    for (size_t i = 0; i < s->n_sub; i++) {
        char *p = sub_path(path, s->sub[i].name);
        bool ok = p && check_keys(k, p, &s->sub[i], &child, false);
        if (ok)
            ignored_sections(k, p, &s->sub[i]);
        free(p);
        if (!ok)
            return k->why ? false : reject(k, "%s: out of memory", path);
    }
    return true;
}

static bool check_peer(check_t *k, const char *path, const conf_sec_t *c, bool force_encap)
{
    if (!check_keys(k, path, c, &peer, force_encap))
        return false;
    for (size_t i = 0; i < c->n_sub; i++) {
        const conf_sec_t *sub = &c->sub[i];
        char *p = sub_path(path, sub->name);
        bool ok = p != NULL;
        if (ok && strcaseeq(sub->name, "children"))
            ok = check_children(k, p, sub);
        else if (ok && (strcasepfx(sub->name, "local") || strcasepfx(sub->name, "remote")))
            ok = check_auth(k, p, sub);
        else if (ok)
            ok = reject(k,
                        "%s: a connection has children, local* and remote* sections only "
                        "(charon: \"invalid section: %s\")",
                        p, sub->name);
        free(p);
        if (!ok)
            return k->why ? false : reject(k, "%s: out of memory", path);
    }
    return true;
}

char *conf_vici_check_conn(const conf_sec_t *c, bool force_encap, char **warnings)
{
    check_t k = {0};
    char *path = sub_path("connections", c->name);

    if (!path)
        return strdup("out of memory checking the connection");
    check_peer(&k, path, c, force_encap);
    free(path);
    *warnings = k.warnings;
    return k.why;
}

/* a single identity over vici's buffer anywhere under section s (path names s), or NULL */
static char *long_id(const conf_sec_t *s, const char *path)
{
    static const char *const keys[] = {"id", "ca_id", "aaa_id", "eap_id", "xauth_id", "ppk_id"};
    char *why = NULL, *sub;

    for (size_t i = 0; i < s->n_kv; i++)
        for (size_t j = 0; j < countof(keys); j++)
            if (streq(s->kv[i].key, keys[j]) && strlen(s->kv[i].value) >= VBUF &&
                asprintf(&why,
                         "%s.%s: an identity of %zu bytes: charon's vici keeps at most %d bytes "
                         "of it and cuts the rest without a word (expected a shorter identity)",
                         path, keys[j], strlen(s->kv[i].value), VBUF - 1) >= 0)
                return why;
    for (size_t i = 0; !why && i < s->n_sub; i++)
        if (asprintf(&sub, "%s.%s", path, s->sub[i].name) >= 0) {
            why = long_id(&s->sub[i], sub);
            free(sub);
        }
    return why;
}

char *conf_vici_long_id(const conf_sec_t *c)
{
    char *path, *why;

    if (asprintf(&path, "connections.%s", c->name) < 0)
        return strdup("out of memory checking the connection");
    why = long_id(c, path);
    free(path);
    return why;
}

char *conf_vici_check_secret(const conf_secret_t *s)
{
    char *why = NULL;

    for (size_t i = 0; i < s->n_owners; i++)
        if (strlen(s->owners[i]) >= CONF_VICI_OWNER_MAX &&
            asprintf(&why,
                     "secrets.%s: an identity of %zu bytes: charon's vici keeps at most %d bytes "
                     "of a shared key's owner and cuts the rest without a word (expected a "
                     "shorter identity)",
                     s->name, strlen(s->owners[i]), CONF_VICI_OWNER_MAX - 1) >= 0)
            return why;
        else if (!printable(s->owners[i]) &&
                 asprintf(&why,
                          "secrets.%s: the identity %s holds a byte other than printable ASCII "
                          "(charon: \"parsing shared key owners failed\")",
                          s->name, CONF_Q(s->owners[i])) >= 0)
            return why;
    return NULL;
}

const char *conf_vici_scope(void)
{
    return "checked: files, includes, permissions of secrets files, syntax, names, templates, "
           "secret encodings, and every key and value of each connection as charon's vici "
           "parses them (proposals, traffic selectors, addresses of virtual IPs, times, "
           "numbers, enums, auth methods, identities, marks, interface ids, labels); not "
           "checked: certificates, whether peers' addresses and DNS names resolve, whether the "
           "peer accepts the proposals and the kernel or data plane supports the algorithms "
           "(charon finds out when it connects)";
}
