/*
 * checks_conf: the configuration of the checks. Defaults; what checks_start
 * and checks_reload refuse (ranges, names, lengths, literals, a reason that
 * could not fit, duplicates), each error naming the item and the key; the
 * owned copy the checks thread runs on (made whole on the caller's thread,
 * so that taking it cannot fail half way); the results of unchanged items
 * carried over a reload.
 *
 * Threading: cprep_make and checks_check_config on the caller's thread,
 * cprep_carry and cprep_free on whichever owns the copy (no shared state).
 */
#define _GNU_SOURCE
#include "checks_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAME_MAX_BYTES 63  /* a site, group, path or hop name (as conf/site_model.h) */
#define HOST_MAX_BYTES 253 /* a DNS name */
#define VIA_MAX        8   /* hops listed for status */

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

static bool literal(const char *s)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool hostname(const char *s)
{
    size_t n = strlen(s);

    if (!n || n > HOST_MAX_BYTES)
        return false;
    if (literal(s))
        return true;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_'))
            return false;
    return s[0] != '.' && s[0] != '-';
}

/* "checks: item 3 (site a, group g, path p, endpoint h:443): " */
static void fail(char *err, size_t errlen, size_t i, const struct checks_item *it, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
static void fail(char *err, size_t errlen, size_t i, const struct checks_item *it, const char *fmt,
                 ...)
{
    char s[72], g[72], p[72], h[72], what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
#define CLEAN(buf, str)                                                                            \
    ch_clean(buf, sizeof(buf), (str) ? (str) : "(none)", strlen((str) ? (str) : "(none)"))
    snprintf(err, errlen, "checks: item %zu (site %s, group %s, path %s, endpoint %s:%u): %s",
             i + 1, CLEAN(s, it->site), CLEAN(g, it->group), CLEAN(p, it->path), CLEAN(h, it->host),
             it->port, what);
#undef CLEAN
}

static const char *name_problem(const char *s)
{
    if (!s || !s[0])
        return "expected a name (got none)";
    if (strlen(s) > NAME_MAX_BYTES)
        return "expected at most 63 bytes";
    if (!printable(s))
        return "expected printable ASCII without spaces";
    return NULL;
}

/* the mask libcurl can do of the asked one */
static unsigned auth_effective(unsigned mask)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    unsigned m = 0;

    if (mask & CHECKS_AUTH_BASIC)
        m |= (unsigned)CURLAUTH_BASIC;
    if (mask & CHECKS_AUTH_DIGEST)
        m |= (unsigned)CURLAUTH_DIGEST;
    if ((mask & CHECKS_AUTH_NTLM) && (v->features & CURL_VERSION_NTLM))
        m |= (unsigned)CURLAUTH_NTLM;
    if ((mask & CHECKS_AUTH_NEGOTIATE) && (v->features & CURL_VERSION_SPNEGO))
        m |= (unsigned)CURLAUTH_NEGOTIATE;
    return m;
}

static bool check_proxy(const struct checks_item *it, size_t i, char *err, size_t errlen)
{
    const struct checks_proxy *p = &it->proxy;
    const char *np;

    if (!p->host || !hostname(p->host)) {
        fail(err, errlen, i, it,
             "proxy host: expected a name or an address literal of at most %d bytes",
             HOST_MAX_BYTES);
        return false;
    }
    if (!p->port) {
        fail(err, errlen, i, it, "proxy port: expected 1..65535");
        return false;
    }
    if (p->n_via > VIA_MAX || (p->n_via && !p->via)) {
        fail(err, errlen, i, it, "via: expected at most %d hop names", VIA_MAX);
        return false;
    }
    for (size_t v = 0; v < p->n_via; v++)
        if ((np = name_problem(p->via[v])) != NULL) {
            fail(err, errlen, i, it, "via hop %zu: %s", v + 1, np);
            return false;
        }
    if (p->password && !p->user) {
        fail(err, errlen, i, it, "proxy credentials: a password without a user name");
        return false;
    }
    if (p->user && (!p->user[0] || strchr(p->user, '\n') || strchr(p->user, '\r'))) {
        fail(err, errlen, i, it, "proxy user: expected a non-empty name without line breaks");
        return false;
    }
    if (!p->auth || (p->auth & ~(unsigned)CHECKS_AUTH_ANY) || !auth_effective(p->auth)) {
        fail(err, errlen, i, it,
             "proxy auth: expected basic, digest, ntlm or negotiate (that this libcurl offers)");
        return false;
    }
    return true;
}

static bool check_tls(const struct checks_item *it, size_t i, char *err, size_t errlen)
{
    const struct checks_tls_policy *t = &it->tls;
    char *l12 = NULL, *l13 = NULL;

    if (t->min_version != 0x0303 && t->min_version != 0x0304) {
        fail(err, errlen, i, it, "tls min_version: expected 1.2 or 1.3");
        return false;
    }
    if (t->min_bits > 256 || t->warn_days > 3650) {
        fail(err, errlen, i, it, "tls: expected cipher_bits 0..256 and cert_warn 0..3650 days");
        return false;
    }
    if (t->ca_file && (!t->ca_file[0] || access(t->ca_file, R_OK) != 0)) {
        fail(err, errlen, i, it, "tls ca_file '%s': cannot be read (%s)", t->ca_file,
             t->ca_file[0] ? strerror(errno) : "empty name");
        return false;
    }
    if (ctls_policy_lists(t, &l12, &l13) != 0) {
        fail(err, errlen, i, it, "tls: cannot list the ciphers (out of memory)");
        return false;
    }
    bool none = !(l13 && l13[0]) && (t->min_version >= 0x0304 || !(l12 && l12[0]));
    free(l12);
    free(l13);
    if (none) {
        fail(err, errlen, i, it, "tls: no cipher of this OpenSSL meets the policy (%u-bit%s)",
             t->min_bits, t->require_aes ? " AES" : "");
        return false;
    }
    return true;
}

static bool check_pin(const struct checks_item *it, size_t i, char *err, size_t errlen)
{
    if (it->pin.dev &&
        (!it->pin.dev[0] || strlen(it->pin.dev) >= IFNAMSIZ || !printable(it->pin.dev))) {
        fail(err, errlen, i, it, "device: expected an interface name of 1..%d bytes", IFNAMSIZ - 1);
        return false;
    }
    if (it->pin.source && !literal(it->pin.source)) {
        fail(err, errlen, i, it, "source: expected an IPv4 or IPv6 address literal");
        return false;
    }
    return true;
}

static bool same_key(const struct checks_item *a, const struct checks_item *b)
{
    return a->port == b->port && !strcmp(a->site, b->site) && !strcmp(a->group, b->group) &&
           !strcmp(a->path, b->path) && !strcmp(a->host, b->host);
}

static bool check_item(const struct checks_config *cfg, size_t i, char *err, size_t errlen)
{
    const struct checks_item *it = &cfg->items[i];
    const char *np;
    size_t worst;

    if ((np = name_problem(it->site)) || (np = name_problem(it->group)) ||
        (np = name_problem(it->path))) {
        fail(err, errlen, i, it, "site, group and path names: %s", np);
        return false;
    }
    if (!it->host || !hostname(it->host)) {
        fail(err, errlen, i, it,
             "endpoint host: expected a name or an address literal of at most %d bytes",
             HOST_MAX_BYTES);
        return false;
    }
    if (!it->port) {
        fail(err, errlen, i, it, "endpoint port: expected 1..65535");
        return false;
    }
    if ((it->use_proxy && !check_proxy(it, i, err, errlen)) || !check_pin(it, i, err, errlen) ||
        !check_tls(it, i, err, errlen))
        return false;
    if ((worst = cr_worst_len(it)) >= CHECKS_REASON_MAX) {
        fail(err, errlen, i, it,
             "a reason could take %zu bytes (at most %d): shorten the host, group, hop or CA "
             "file names",
             worst, CHECKS_REASON_MAX - 1);
        return false;
    }
    for (size_t j = 0; j < i; j++)
        if (same_key(&cfg->items[j], it)) {
            fail(err, errlen, i, it, "the same check as item %zu", j + 1);
            return false;
        }
    return true;
}

bool checks_check_config(const struct checks_config *cfg, char *err, size_t errlen)
{
    if (!cfg || (cfg->n_items && !cfg->items)) {
        snprintf(err, errlen, "checks: no configuration");
        return false;
    }
    if (cfg->interval_ms < 1000 || cfg->interval_ms > 86400000 || cfg->jitter_pct > 50 ||
        cfg->concurrency < 1 || cfg->concurrency > 256) {
        snprintf(err, errlen,
                 "checks: expected interval 1 s..1 day (got %u ms), jitter 0..50%% "
                 "(got %u), concurrency 1..256 (got %u)",
                 cfg->interval_ms, cfg->jitter_pct, cfg->concurrency);
        return false;
    }
    if (cfg->connect_ms < 100 || cfg->connect_ms > 600000 || cfg->proxy_ms < 100 ||
        cfg->proxy_ms > 600000 || cfg->tls_ms < 100 || cfg->tls_ms > 600000) {
        snprintf(err, errlen,
                 "checks: expected connect, proxy and tls timeouts of 100 ms..10 min "
                 "(got %u, %u, %u ms)",
                 cfg->connect_ms, cfg->proxy_ms, cfg->tls_ms);
        return false;
    }
    if (cfg->n_items > 100000) {
        snprintf(err, errlen, "checks: %zu checks (at most 100000)", cfg->n_items);
        return false;
    }
    for (size_t i = 0; i < cfg->n_items; i++)
        if (!check_item(cfg, i, err, errlen))
            return false;
    return true;
}
