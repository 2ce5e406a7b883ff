/*
 * posture_plan: checks a posture_config and normalises its prefixes per
 * family (posture_plan.h); posture_check_config and posture_state_name.
 *
 * Threading: none; pure functions on the caller's values.
 */
#include "posture_plan.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *posture_set_name(int fam, bool sensors)
{
    if (sensors)
        return fam == PP_V4 ? "sensors4" : "sensors6";
    return fam == PP_V4 ? "azure4" : "azure6";
}

const char *posture_proto(int fam)
{
    return fam == PP_V4 ? "ip" : "ip6";
}

const char *posture_quote(const char *in, char *out, size_t outlen)
{
    size_t len = strlen(in), o = 0;

    for (size_t i = 0; i < len && i < 64 && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
    }
    out[o < outlen ? o : outlen - 1] = '\0';
    if (len > 64 && o < outlen)
        snprintf(out + o, outlen - o, "...(%zu bytes)", len);
    return out;
}

static bool name_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return true;
    return !first && ((c >= '0' && c <= '9') || c == '-');
}

bool posture_table_valid(const char *name, char *err, size_t errlen)
{
    char q[POSTURE_QUOTE_MAX];
    size_t len = strlen(name);

    if (len == 0 || len > POSTURE_TABLE_MAX) {
        snprintf(err, errlen, "posture: table '%s' is %zu bytes (expected 1 to %d)",
                 posture_quote(name, q, sizeof(q)), len, POSTURE_TABLE_MAX);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!name_char(name[i], i == 0)) {
            snprintf(err, errlen,
                     "posture: table '%s': byte %zu is not allowed (expected letters, digits, "
                     "'_' and '-', starting with a letter or '_')",
                     posture_quote(name, q, sizeof(q)), i + 1);
            return false;
        }
    }
    return true;
}

/* parses list into p (per family, normalised); what names it in errors */
static bool read_list(const char *const *list, size_t n, const char *what, struct pp_prefix **out,
                      size_t *n_out, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char why[128], q[POSTURE_QUOTE_MAX];
        struct pp_prefix pfx;
        if (!list[i]) {
            snprintf(err, errlen, "posture: %s %zu is missing (NULL)", what, i + 1);
            return false;
        }
        if (!pp_parse(list[i], &pfx, why, sizeof(why))) {
            snprintf(err, errlen, "posture: %s '%s': %s", what,
                     posture_quote(list[i], q, sizeof(q)), why);
            return false;
        }
        int fam = pfx.family == AF_INET ? PP_V4 : PP_V6;
        if (!out[fam] && !(out[fam] = calloc(n, sizeof(*out[fam])))) {
            snprintf(err, errlen, "posture: out of memory for %zu prefixes", n);
            return false;
        }
        out[fam][n_out[fam]++] = pfx;
    }
    for (int fam = 0; fam < PP_NFAM; fam++)
        n_out[fam] = pp_normalize(out[fam], n_out[fam]);
    return true;
}

bool posture_plan_active(const struct posture_plan *p, int fam)
{
    return p->n_azure[fam] && p->n_sensors[fam];
}

static bool check_enforce(const struct posture_config *cfg, const struct posture_plan *p, char *err,
                          size_t errlen)
{
    if (!cfg->n_sensors) {
        snprintf(err, errlen,
                 "posture: enforce = yes with no sensor subnet (expected the "
                 "sensor groups' subnets)");
        return false;
    }
    if (!cfg->n_azure) {
        snprintf(err, errlen,
                 "posture: enforce = yes with no Azure prefix (expected the sites' "
                 "prefixes)");
        return false;
    }
    if (!posture_plan_active(p, PP_V4) && !posture_plan_active(p, PP_V6)) {
        snprintf(err, errlen,
                 "posture: enforce = yes but no family has both an Azure prefix and a sensor "
                 "subnet (IPv4 Azure prefixes %zu, IPv4 sensor subnets %zu, IPv6 %zu and %zu)",
                 p->n_azure[PP_V4], p->n_sensors[PP_V4], p->n_azure[PP_V6], p->n_sensors[PP_V6]);
        return false;
    }
    return true;
}

bool posture_plan_build(const struct posture_config *cfg, struct posture_plan *p, char *err,
                        size_t errlen)
{
    const char *table = cfg->table ? cfg->table : POSTURE_TABLE_DEFAULT;

    *p = (struct posture_plan){0};
    if (!posture_table_valid(table, err, errlen))
        return false;
    memcpy(p->table, table, strlen(table) + 1);
    if (!read_list(cfg->azure, cfg->n_azure, "Azure prefix", p->azure, p->n_azure, err, errlen) ||
        !read_list(cfg->sensors, cfg->n_sensors, "sensor subnet", p->sensors, p->n_sensors, err,
                   errlen) ||
        (cfg->enforce && !check_enforce(cfg, p, err, errlen))) {
        posture_plan_free(p);
        return false;
    }
    return true;
}

void posture_plan_free(struct posture_plan *p)
{
    for (int fam = 0; fam < PP_NFAM; fam++) {
        free(p->azure[fam]);
        free(p->sensors[fam]);
    }
    *p = (struct posture_plan){0};
}

bool posture_check_config(const struct posture_config *cfg, char *err, size_t errlen)
{
    struct posture_plan p;

    if (!posture_plan_build(cfg, &p, err, errlen))
        return false;
    posture_plan_free(&p);
    return true;
}

const char *posture_state_name(enum posture_state s)
{
    switch (s) {
    case POSTURE_OFF:
        return "off";
    case POSTURE_ENFORCED:
        return "enforced";
    case POSTURE_NOT_ENFORCED:
        return "not-enforced";
    }
    return NULL;
}
