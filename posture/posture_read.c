/*
 * posture_read: parses libnftables' JSON listing into a posture_seen
 * (posture_read.h). Objects of other families or tables are skipped.
 *
 * Threading: none; pure functions.
 */
#include "posture_read.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;

    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *jget(json_object *o, const char *key)
{
    json_object *v;

    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool jis(json_object *o, const char *key, const char *want)
{
    const char *s = jstr(o, key);
    return s && strcmp(s, want) == 0;
}

/* an object of inet <table> */
static bool ours(json_object *o, const char *table, const char *table_key)
{
    return jis(o, "family", "inet") && jis(o, table_key, table);
}

/* an address text of family into r (lo = hi) */
static bool addr_range(const char *s, int af, struct pp_range *r)
{
    *r = (struct pp_range){.family = af};
    if (!s || inet_pton(af, s, r->lo) != 1)
        return false;
    memcpy(r->hi, r->lo, sizeof(r->hi));
    return true;
}

/* one element: "addr", {"prefix":{"addr","len"}}, {"range":[lo,hi]}, {"elem":{"val":...}} */
static bool elem_range(json_object *e, int af, struct pp_range *r)
{
    json_object *v;

    if (json_object_is_type(e, json_type_string))
        return addr_range(json_object_get_string(e), af, r);
    if ((v = jget(e, "elem")))
        return elem_range(jget(v, "val"), af, r);
    if ((v = jget(e, "prefix"))) {
        json_object *len = jget(v, "len");
        char txt[80];
        if (!jstr(v, "addr") || !json_object_is_type(len, json_type_int))
            return false;
        snprintf(txt, sizeof(txt), "%.60s/%d", jstr(v, "addr"), json_object_get_int(len));
        struct pp_prefix p;
        char why[128];
        if (!pp_parse(txt, &p, why, sizeof(why)) || p.family != af)
            return false;
        pp_to_range(&p, r);
        return true;
    }
    v = jget(e, "range");
    struct pp_range hi;
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2 ||
        !addr_range(json_object_get_string(json_object_array_get_idx(v, 0)), af, r) ||
        !addr_range(json_object_get_string(json_object_array_get_idx(v, 1)), af, &hi))
        return false;
    memcpy(r->hi, hi.lo, sizeof(r->hi));
    return memcmp(r->lo, r->hi, sizeof(r->lo)) <= 0;
}

static bool read_set(json_object *o, struct pr_set *set, int fam)
{
    int af = fam == PP_V4 ? AF_INET : AF_INET6;
    json_object *elems = jget(o, "elem");
    size_t n = elems ? json_object_array_length(elems) : 0;

    set->found = true;
    set->readable = !elems || json_object_is_type(elems, json_type_array);
    set->type_ok = jis(o, "type", fam == PP_V4 ? "ipv4_addr" : "ipv6_addr");
    if (!set->readable || !n)
        return true;
    if (!(set->r = calloc(n, sizeof(*set->r))))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!elem_range(json_object_array_get_idx(elems, i), af, &set->r[i])) {
            set->readable = false;
            return true;
        }
    }
    set->n = pp_merge(set->r, n);
    return true;
}

/* {"match":{"op":"==","left":{"payload":{"protocol":P,"field":F}},"right":"@S"}} */
static bool is_addr_match(json_object *e, const char *proto, const char *field, const char *set)
{
    json_object *m = jget(e, "match"), *pl = jget(jget(m, "left"), "payload");
    const char *right = jstr(m, "right");

    return jis(m, "op", "==") && jis(pl, "protocol", proto) && jis(pl, "field", field) && right &&
           right[0] == '@' && strcmp(right + 1, set) == 0;
}

/* {"match":{"op":"in","left":{"ct":{"key":"state"}},"right":["established","related"]}} */
static bool is_ct_established(json_object *e)
{
    json_object *m = jget(e, "match"), *right = jget(m, "right");
    bool est = false, rel = false;

    if (!jis(m, "op", "in") || !jis(jget(jget(m, "left"), "ct"), "key", "state") ||
        !json_object_is_type(right, json_type_array) || json_object_array_length(right) != 2)
        return false;
    for (size_t i = 0; i < 2; i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(right, i));
        est = est || (s && strcmp(s, "established") == 0);
        rel = rel || (s && strcmp(s, "related") == 0);
    }
    return est && rel;
}

static void classify(json_object *expr, struct pr_rule *r)
{
    *r = (struct pr_rule){.kind = PR_OTHER};
    if (!json_object_is_type(expr, json_type_array) || json_object_array_length(expr) != 4)
        return;
    json_object *e[4];
    for (size_t i = 0; i < 4; i++)
        e[i] = json_object_array_get_idx(expr, i);
    for (int fam = 0; fam < PP_NFAM; fam++) {
        const char *pr = posture_proto(fam);
        if (!is_addr_match(e[0], pr, "saddr", posture_set_name(fam, false)) ||
            !is_addr_match(e[1], pr, "daddr", posture_set_name(fam, true)))
            continue;
        json_object *ctr = jget(e[2], "counter");
        if (is_ct_established(e[2]) && jget(e[3], "accept") == NULL &&
            json_object_object_get_ex(e[3], "accept", NULL))
            *r = (struct pr_rule){.kind = PR_ACCEPT, .fam = fam};
        else if (ctr && json_object_object_get_ex(e[3], "drop", NULL))
            *r = (struct pr_rule){.kind = PR_DROP,
                                  .fam = fam,
                                  .packets = (uint64_t)json_object_get_int64(jget(ctr, "packets")),
                                  .bytes = (uint64_t)json_object_get_int64(jget(ctr, "bytes"))};
    }
}

static bool add_rule(json_object *o, struct posture_seen *s)
{
    struct pr_rule *grown = realloc(s->rules, (s->n_rules + 1) * sizeof(*grown));

    if (!grown)
        return false;
    s->rules = grown;
    classify(jget(o, "expr"), &s->rules[s->n_rules++]);
    return true;
}

static void read_chain(json_object *o, struct posture_seen *s)
{
    s->chain = true;
    snprintf(s->chain_type, sizeof(s->chain_type), "%s", jstr(o, "type") ?: "");
    snprintf(s->chain_hook, sizeof(s->chain_hook), "%s", jstr(o, "hook") ?: "");
    snprintf(s->chain_policy, sizeof(s->chain_policy), "%s", jstr(o, "policy") ?: "");
}

/* any other object of the table (a chain, a rule of another chain, a set,
 * map, flowtable, counter ... tunneld did not write): counted, the first
 * named */
static void read_extra(json_object *item, const char *table, struct posture_seen *s)
{
    if (!json_object_is_type(item, json_type_object))
        return;
    json_object_object_foreach(item, kind, o)
    {
        if (!json_object_is_type(o, json_type_object) || !ours(o, table, "table"))
            continue;
        if (!s->n_extra++) {
            const char *name = jstr(o, "name");
            snprintf(s->extra, sizeof(s->extra), "%.24s %.64s",
                     strcmp(kind, "rule") == 0 ? "a rule of chain" : kind,
                     strcmp(kind, "rule") == 0 ? (jstr(o, "chain") ?: "?") : (name ?: "?"));
        }
    }
}

static bool our_set(json_object *o)
{
    for (int fam = 0; fam < PP_NFAM; fam++)
        for (int se = 0; se < 2; se++)
            if (jis(o, "name", posture_set_name(fam, se)))
                return true;
    return false;
}

static bool read_object(json_object *item, const char *table, struct posture_seen *s)
{
    json_object *o;

    if ((o = jget(item, "table")) && ours(o, table, "name"))
        s->table = true;
    else if ((o = jget(item, "chain")) && ours(o, table, "table") && jis(o, "name", "forward"))
        read_chain(o, s);
    else if ((o = jget(item, "rule")) && ours(o, table, "table") && jis(o, "chain", "forward"))
        return add_rule(o, s);
    else if ((o = jget(item, "set")) && ours(o, table, "table") && our_set(o)) {
        for (int fam = 0; fam < PP_NFAM; fam++) {
            for (int se = 0; se < 2; se++) {
                if (jis(o, "name", posture_set_name(fam, se)) && !s->sets[fam][se].found)
                    return read_set(o, &s->sets[fam][se], fam);
            }
        }
    } else
        read_extra(item, table, s);
    return true;
}

bool posture_seen_parse(const char *json, const char *table, struct posture_seen *s, char *err,
                        size_t errlen)
{
    json_object *root = json_tokener_parse(json);
    json_object *list = jget(root, "nftables");
    bool ok = true;

    *s = (struct posture_seen){0};
    if (!json_object_is_type(list, json_type_array)) {
        snprintf(err, errlen, "libnftables' listing is not a JSON {\"nftables\": [...]} document");
        json_object_put(root);
        return false;
    }
    for (size_t i = 0; ok && i < json_object_array_length(list); i++)
        ok = read_object(json_object_array_get_idx(list, i), table, s);
    json_object_put(root);
    if (!ok) {
        snprintf(err, errlen, "out of memory reading table inet %s", table);
        posture_seen_free(s);
    }
    return ok;
}

void posture_seen_free(struct posture_seen *s)
{
    for (int fam = 0; fam < PP_NFAM; fam++) {
        for (int se = 0; se < 2; se++)
            free(s->sets[fam][se].r);
    }
    free(s->rules);
    *s = (struct posture_seen){0};
}
