/*
 * sm_checks: the settings of issue 10's application checks and posture:
 * `tunneld.checks` (rounds, concurrency, per phase timeouts, what a failing
 * path becomes, the TLS policy in `tls`), `tunneld.posture` (enforce,
 * table), and the TLS policy reader that a sensor group's `tls` section
 * shares (a group's keys override tunneld.checks.tls key by key).
 *
 * Threading: the loading thread (see site_model.h).
 */
#include "sm_internal.h"

#include <stdlib.h>
#include <string.h>

#define TLS_BITS_MIN  128
#define TLS_BITS_MAX  256
#define WARN_DAYS_MAX 3650
#define CA_MARK       "-----BEGIN CERTIFICATE-----"

static const char *const no_names[] = {NULL};
static const char *const checks_keys[] = {
    "interval",      "jitter",      "concurrency", "connect_timeout",
    "proxy_timeout", "tls_timeout", "on_failure",  NULL};
static const char *const checks_sections[] = {"tls", NULL};
static const char *const tls_keys[] = {"min_version", "cipher_bits", "require_aes",
                                       "ca_file",     "cert_warn",   NULL};
static const char *const posture_keys[] = {"enforce", "table", NULL};

/* "<where>[.<sub>].<key>" */
static void key_at(const sm_ctx_t *c, const char *sub, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s.%s", c->where, sub ? "." : "", sub ? sub : "", key);
}

static bool read_version(sm_ctx_t *c, const char *sub, struct sm_tls *t)
{
    const char *v = sm_path_get(c, sub, "min_version");
    char name[SM_WHERE_MAX + 32];
    sm_quoted_t q;

    if (!v)
        return true;
    if (!strcmp(v, "1.2") || !strcmp(v, "1.3")) {
        t->min_version = strcmp(v, "1.2") ? 0x0304 : 0x0303;
        return true;
    }
    key_at(c, sub, "min_version", name, sizeof(name));
    return sm_fail(c,
                   "%s: '%s' is not a TLS version the policy takes (expected 1.2 or 1.3; "
                   "Defender for IoT requires TLS 1.2 or newer)",
                   name, sm_quote(v, &q));
}

/* "14" or "14d": whole days */
static bool read_warn(sm_ctx_t *c, const char *sub, struct sm_tls *t)
{
    const char *v = sm_path_get(c, sub, "cert_warn");
    char name[SM_WHERE_MAX + 32], num[16];
    size_t n = v ? strlen(v) : 0;
    uint64_t days;
    sm_quoted_t q;

    if (!v)
        return true;
    if (n && v[n - 1] == 'd')
        n--;
    if (n && n < sizeof(num)) {
        memcpy(num, v, n);
        num[n] = '\0';
        if (sm_parse_uint(num, 0, WARN_DAYS_MAX, &days)) {
            t->warn_days = (unsigned)days;
            return true;
        }
    }
    key_at(c, sub, "cert_warn", name, sizeof(name));
    return sm_fail(c,
                   "%s: '%s' is not a number of days from 0 to %d (expected e.g. 14 or 14d: warn "
                   "that many days before a certificate expires)",
                   name, sm_quote(v, &q), WARN_DAYS_MAX);
}

/* a PEM bundle: a regular file (the settings file's limits) with a certificate */
static bool read_ca(sm_ctx_t *c, const char *sub, struct sm_tls *t)
{
    const char *v = sm_path_get(c, sub, "ca_file"), *why = NULL;
    char name[SM_WHERE_MAX + 32], *full, *buf;
    size_t len;
    sm_quoted_t q;

    if (!v)
        return true;
    key_at(c, sub, "ca_file", name, sizeof(name));
    if (!v[0])
        return sm_fail(c, "%s: empty (expected the path of a PEM file of CA certificates)", name);
    if (!(full = sm_file_resolve(c->file, v)))
        return sm_fail(c, "%s: out of memory", name);
    buf = sm_file_slurp(full, &len, &why);
    if (buf && !strstr(buf, CA_MARK))
        why = "holds no PEM certificate (expected \"" CA_MARK "\" blocks)";
    free(buf);
    if (why) {
        sm_fail(c, "%s: %s: %s", name, sm_quote(full, &q), why);
        free(full);
        return false;
    }
    free(t->ca_file);
    t->ca_file = full;
    return true;
}

bool sm_read_tls(sm_ctx_t *c, const char *sub, const struct sm_tls *base, struct sm_tls *out)
{
    uint64_t bits;

    *out = *base;
    out->ca_file = NULL;
    if (base->ca_file && !(out->ca_file = strdup(base->ca_file)))
        return sm_fail(c, "%s.%s: out of memory", c->where, sub);
    bits = out->min_bits;
    if (!sm_path_only_known(c, sub, tls_keys, no_names) || !read_version(c, sub, out) ||
        !sm_get_uint(c, sub, "cipher_bits", TLS_BITS_MIN, TLS_BITS_MAX, &bits) ||
        !sm_get_bool(c, sub, "require_aes", &out->require_aes) || !read_warn(c, sub, out) ||
        !read_ca(c, sub, out))
        return false;
    out->min_bits = (unsigned)bits;
    return true;
}

void sm_tls_free(struct sm_tls *t)
{
    free(t->ca_file);
    t->ca_file = NULL;
}

/* jitter = 10% or 10: a whole percentage 0..50 */
static bool read_jitter(sm_ctx_t *c, struct sm_checks *k)
{
    const char *v = sm_path_get(c, NULL, "jitter");
    double pct;
    sm_quoted_t q;

    if (!v)
        return true;
    if (sm_parse_percent(v, &pct) && pct <= 50.0 && pct == (double)(uint32_t)pct) {
        k->jitter_pct = (uint32_t)pct;
        return true;
    }
    return sm_fail(c,
                   "%s.jitter: '%s' is not a whole percentage from 0 to 50 (expected e.g. 10%%: "
                   "each round starts up to that share of interval early or late)",
                   c->where, sm_quote(v, &q));
}

static bool read_on_failure(sm_ctx_t *c, struct sm_checks *k)
{
    const char *v = sm_path_get(c, NULL, "on_failure");
    sm_quoted_t q;

    if (!v || !strcmp(v, "degraded"))
        return true;
    if (!strcmp(v, "down")) {
        k->on_failure = SM_APP_DOWN;
        return true;
    }
    return sm_fail(c,
                   "%s.on_failure: '%s' is not what a path failing its checks becomes (expected "
                   "degraded or down)",
                   c->where, sm_quote(v, &q));
}

static void level(sm_ctx_t *c, const char *section)
{
    snprintf(c->where, sizeof(c->where), "tunneld.%s", section);
    snprintf(c->level, sizeof(c->level), "tunneld.%s", section);
    c->site = c->path = NULL;
}

static bool read_timers(sm_ctx_t *c, struct sm_checks *k)
{
    uint64_t interval = 30000, conc = 8, conn = 5000, proxy = 5000, tls = 5000;

    if (!sm_get_ms(c, NULL, "interval", 1000, 3600000, &interval) ||
        !sm_get_uint(c, NULL, "concurrency", 1, 256, &conc) ||
        !sm_get_ms(c, NULL, "connect_timeout", 100, 60000, &conn) ||
        !sm_get_ms(c, NULL, "proxy_timeout", 100, 60000, &proxy) ||
        !sm_get_ms(c, NULL, "tls_timeout", 100, 60000, &tls))
        return false;
    k->interval_ms = (uint32_t)interval;
    k->concurrency = (uint32_t)conc;
    k->connect_ms = (uint32_t)conn;
    k->proxy_ms = (uint32_t)proxy;
    k->tls_ms = (uint32_t)tls;
    if (conn + proxy + tls <= interval)
        return true;
    return sm_warn(c->m,
                   "%s: tunneld.checks: connect_timeout + proxy_timeout + tls_timeout (%llu ms) "
                   "exceed interval (%llu ms): a slow check may still run when the next round "
                   "is due (it then waits for it)",
                   c->file, (unsigned long long)(conn + proxy + tls),
                   (unsigned long long)interval) ||
           sm_fail(c, "tunneld.checks: out of memory");
}

static bool read_checks_section(sm_ctx_t *c)
{
    struct sm_checks *k = &c->m->checks;
    struct sm_tls base = {
        .min_version = 0x0303, .min_bits = 256, .require_aes = true, .warn_days = 14};

    k->jitter_pct = 10;
    k->on_failure = SM_APP_DEGRADE;
    level(c, "checks");
    return sm_path_only_known(c, NULL, checks_keys, checks_sections) && read_timers(c, k) &&
           read_jitter(c, k) && read_on_failure(c, k) && sm_read_tls(c, "tls", &base, &k->tls);
}

/* an nftables table name: a letter or '_' first, then A-Z a-z 0-9 _ -, at most SM_NAME_MAX */
static bool table_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (!n || n > SM_NAME_MAX ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static bool read_posture(sm_ctx_t *c)
{
    struct sm_posture *p = &c->m->posture;
    const char *t;
    sm_quoted_t q;

    level(c, "posture");
    if (!sm_path_only_known(c, NULL, posture_keys, no_names) ||
        !sm_get_bool(c, NULL, "enforce", &p->enforce))
        return false;
    t = sm_path_get(c, NULL, "table");
    if (t && !table_name_ok(t))
        return sm_fail(c,
                       "tunneld.posture.table: '%s' is not a table name (expected 1..%d "
                       "characters of A-Z a-z 0-9 _ -, a letter or _ first)",
                       sm_quote(t, &q), SM_NAME_MAX);
    p->table = strdup(t ? t : "tunneld_posture");
    return p->table || sm_fail(c, "tunneld.posture.table: out of memory");
}

bool sm_read_checks(sm_ctx_t *c)
{
    bool ok = read_checks_section(c) && read_posture(c);

    c->where[0] = c->level[0] = '\0';
    return ok;
}

void sm_checks_free(struct sm_model *m)
{
    sm_tls_free(&m->checks.tls);
    free(m->posture.table);
    m->posture.table = NULL;
}
