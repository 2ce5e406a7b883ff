/*
 * paths_json_parse_checks: issue 10's members of the paths document read
 * into rows (see paths_json.h, docs/schema/paths.schema.json): a site's
 * sensor groups and its checks, the document's posture and check rounds.
 * Every member is required, as elsewhere in the document; the caller asks
 * for these objects only in version 2 and later documents.
 *
 * Threading: pure functions; any thread (tunnelctl's only thread).
 */
#include <stdlib.h>
#include <string.h>

#include "paths_parse_util.h"

static const char *const group_keys[] = {"name", "legacy", "proxy", "via", "subnets"};
enum { G_NAME, G_LEGACY, G_PROXY, G_VIA, G_SUBNETS };

static const char *const check_keys[] = {
    "group",        "path",        "endpoint",      "verdict",     "phase",  "fault",
    "reason",       "at",          "connect_ms",    "proxy_ms",    "tls_ms", "proxy_status",
    "proxy_line",   "proxy_hop",   "proxy_error",   "tls_version", "cipher", "cipher_bits",
    "cert_subject", "cert_issuer", "cert_not_after"};
enum {
    C_GROUP,
    C_PATH,
    C_ENDPOINT,
    C_VERDICT,
    C_PHASE,
    C_FAULT,
    C_REASON,
    C_AT,
    C_CONNECT_MS,
    C_PROXY_MS,
    C_TLS_MS,
    C_PROXY_STATUS,
    C_PROXY_LINE,
    C_PROXY_HOP,
    C_PROXY_ERROR,
    C_TLS_VERSION,
    C_CIPHER,
    C_CIPHER_BITS,
    C_CERT_SUBJECT,
    C_CERT_ISSUER,
    C_CERT_NOT_AFTER
};

static const char *const posture_keys[] = {"state", "reason"};
static const char *const rounds_keys[] = {"rounds", "last_round"};

static const char *verdict_word(int i)
{
    return paths_verdict_name((enum paths_verdict)i);
}
static const char *fault_word(int i)
{
    return paths_fault_name((enum paths_fault)i);
}
static const char *phase_word(int i)
{
    return paths_phase_name((enum paths_phase)i);
}
static const char *posture_word(int i)
{
    return paths_posture_name((enum paths_posture_state)i);
}

static void group_free(struct paths_group *g)
{
    free(g->via);
    free(g->subnets);
    g->via = g->subnets = NULL;
}

static bool read_group(json_reader_t *r, struct paths_group *g)
{
    int k;

    memset(g, 0, sizeof(*g));
    if (!jr_object(r, group_keys, NKEYS(group_keys)))
        return false;
    while ((k = jr_member(r)) >= 0) {
        bool ok = k == G_NAME     ? jr_string_keep(r, &g->name)
                  : k == G_LEGACY ? jr_bool(r, &g->legacy)
                  : k == G_PROXY  ? paths_string_or_null(r, &g->proxy)
                  : k == G_VIA    ? jr_string_array(r, &g->via, &g->n_via)
                                  : jr_string_array(r, &g->subnets, &g->n_subnets);
        if (!ok)
            return false;
    }
    return jr_object_end(r, ALL_KEYS(group_keys));
}

/* s->n_groups counts complete groups; a partial one is freed here */
bool paths_read_groups(json_reader_t *r, struct paths_site *s)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, s->n_groups, sizeof(struct paths_group)))
            break;
        s->groups = arr;
        if (!read_group(r, &s->groups[s->n_groups])) {
            group_free(&s->groups[s->n_groups]);
            break;
        }
        s->n_groups++;
    }
    s->groups = arr;
    return !jr_failed(r);
}

/* a phase's milliseconds, or null (-1: not reached) */
static bool read_ms(json_reader_t *r, int64_t *v)
{
    *v = -1;
    return jr_null(r) || jr_int(r, 0, INT64_MAX, v);
}

/* the CONNECT answer's code (three digits), or null (0: none) */
static bool read_status(json_reader_t *r, int *v)
{
    int64_t x;

    *v = 0;
    if (jr_null(r))
        return true;
    if (!jr_int(r, 100, 999, &x))
        return false;
    *v = (int)x;
    return true;
}

static bool read_check_word(json_reader_t *r, int k, struct paths_check *c)
{
    int v;

    switch (k) {
    case C_VERDICT:
        if (!paths_read_word(r, verdict_word, PATHS_V_MAX, false, &v))
            return false;
        c->verdict = (enum paths_verdict)v;
        return true;
    case C_PHASE:
        if (!paths_read_word_or_null(r, phase_word, PATHS_PH_MAX, PATHS_PH_NONE, &v))
            return false;
        c->phase = (enum paths_phase)v;
        return true;
    default: /* C_FAULT */
        if (!paths_read_word(r, fault_word, PATHS_FAULT_MAX, false, &v))
            return false;
        c->fault = (enum paths_fault)v;
        return true;
    }
}

/* the members that are strings */
static bool read_check_string(json_reader_t *r, int k, struct paths_check *c)
{
    switch (k) {
    case C_GROUP:
        return jr_string_keep(r, &c->group);
    case C_PATH:
        return jr_string_keep(r, &c->path);
    case C_ENDPOINT:
        return jr_string_keep(r, &c->endpoint);
    case C_REASON:
        return paths_string_or_null(r, &c->reason);
    case C_PROXY_LINE:
        return paths_string_or_null(r, &c->proxy_line);
    case C_PROXY_HOP:
        return paths_string_or_null(r, &c->proxy_hop);
    case C_PROXY_ERROR:
        return paths_string_or_null(r, &c->proxy_error);
    case C_TLS_VERSION:
        return paths_string_or_null(r, &c->tls_version);
    case C_CIPHER:
        return paths_string_or_null(r, &c->cipher);
    case C_CERT_SUBJECT:
        return paths_string_or_null(r, &c->cert_subject);
    default: /* C_CERT_ISSUER */
        return paths_string_or_null(r, &c->cert_issuer);
    }
}

static bool read_check_member(json_reader_t *r, int k, struct paths_check *c)
{
    uint32_t bits;

    switch (k) {
    case C_VERDICT:
    case C_PHASE:
    case C_FAULT:
        return read_check_word(r, k, c);
    case C_AT:
        return paths_read_time(r, &c->at);
    case C_CONNECT_MS:
        return read_ms(r, &c->connect_ms);
    case C_PROXY_MS:
        return read_ms(r, &c->proxy_ms);
    case C_TLS_MS:
        return read_ms(r, &c->tls_ms);
    case C_PROXY_STATUS:
        return read_status(r, &c->proxy_status);
    case C_CIPHER_BITS:
        if (!paths_read_u32(r, &bits))
            return false;
        c->cipher_bits = bits;
        return true;
    case C_CERT_NOT_AFTER: /* a certificate may say 1950: any time, 0 unknown */
        return jr_int(r, INT64_MIN, INT64_MAX, &c->cert_not_after);
    default:
        return read_check_string(r, k, c);
    }
}

static bool read_check(json_reader_t *r, struct paths_check *c)
{
    int k;

    memset(c, 0, sizeof(*c));
    if (!jr_object(r, check_keys, NKEYS(check_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!read_check_member(r, k, c))
            return false;
    return jr_object_end(r, ALL_KEYS(check_keys));
}

bool paths_read_checks(json_reader_t *r, struct paths_site *s)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, s->n_checks, sizeof(struct paths_check)))
            break;
        s->checks = arr;
        if (!read_check(r, &s->checks[s->n_checks]))
            break;
        s->n_checks++;
    }
    s->checks = arr;
    return !jr_failed(r);
}

bool paths_read_posture(json_reader_t *r, struct paths_posture *p)
{
    int k, v;

    memset(p, 0, sizeof(*p));
    if (!jr_object(r, posture_keys, NKEYS(posture_keys)))
        return false;
    while ((k = jr_member(r)) >= 0) {
        if (k == 0) {
            if (!paths_read_word(r, posture_word, PATHS_POSTURE_MAX, false, &v))
                return false;
            p->state = (enum paths_posture_state)v;
        } else if (!paths_string_or_null(r, &p->reason)) {
            return false;
        }
    }
    return jr_object_end(r, ALL_KEYS(posture_keys));
}

bool paths_read_rounds(json_reader_t *r, struct paths_doc *doc)
{
    int k;

    if (!jr_object(r, rounds_keys, NKEYS(rounds_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!(k == 0 ? jr_uint(r, UINT64_MAX, &doc->checks_rounds)
                     : paths_read_time(r, &doc->checks_last_round)))
            return false;
    return jr_object_end(r, ALL_KEYS(rounds_keys));
}

void paths_site_checks_free(struct paths_site *s)
{
    for (size_t i = 0; i < s->n_groups; i++)
        group_free(&s->groups[i]);
    free(s->groups);
    free(s->checks);
    s->groups = NULL;
    s->checks = NULL;
    s->n_groups = s->n_checks = 0;
}
