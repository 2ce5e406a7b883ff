/*
 * checks_copy: the owned copy of a checked configuration (struct cprep),
 * its paths, and the carrying of results over a reload (an item with the
 * same site, group, path, endpoint and settings keeps its result; a path
 * keeps what on_path last said of it).
 *
 * Threading: cprep_make on the caller's thread; the rest on whichever
 * thread owns the copy (no shared state).
 */
#define _GNU_SOURCE
#include "checks_int.h"

#include <stdlib.h>
#include <string.h>

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int dup_str(const char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

static void item_free(struct citem *ci)
{
    struct checks_item *it = &ci->it;

    free((char *)it->site);
    free((char *)it->group);
    free((char *)it->path);
    free((char *)it->host);
    free((char *)it->proxy.host);
    for (size_t v = 0; v < it->proxy.n_via; v++)
        free((char *)it->proxy.via[v]);
    free((char **)it->proxy.via);
    free((char *)it->proxy.user);
    if (it->proxy.password) { /* a secret: not left in freed memory */
        explicit_bzero((char *)it->proxy.password, strlen(it->proxy.password));
        free((char *)it->proxy.password);
    }
    free((char *)it->pin.dev);
    free((char *)it->pin.source);
    free((char *)it->tls.ca_file);
    free(ci->tls12_ciphers);
    free(ci->tls13_suites);
    cresult_clear(&ci->r);
}

static int item_copy(struct citem *ci, const struct checks_item *src)
{
    struct checks_item *it = &ci->it;
    int rc = 0;

    *it = *src;
    rc |= dup_str(&it->site, src->site) | dup_str(&it->group, src->group) |
          dup_str(&it->path, src->path) | dup_str(&it->host, src->host) |
          dup_str(&it->pin.dev, src->pin.dev) | dup_str(&it->pin.source, src->pin.source) |
          dup_str(&it->tls.ca_file, src->tls.ca_file);
    it->proxy = (struct checks_proxy){.port = src->proxy.port, .auth = src->proxy.auth};
    if (src->use_proxy) {
        const char **via = calloc(src->proxy.n_via ? src->proxy.n_via : 1, sizeof(*via));
        it->proxy.via = via;
        rc |= via ? 0 : -1;
        for (size_t v = 0; via && v < src->proxy.n_via; v++, it->proxy.n_via++)
            rc |= dup_str(&via[v], src->proxy.via[v]);
        rc |= dup_str(&it->proxy.host, src->proxy.host) |
              dup_str(&it->proxy.user, src->proxy.user) |
              dup_str(&it->proxy.password, src->proxy.password);
    }
    ci->r = (struct checks_result){
        .connect_ms = UINT32_MAX, .proxy_ms = UINT32_MAX, .tls_ms = UINT32_MAX};
    ci->auth = 0;
    if (it->proxy.auth & CHECKS_AUTH_BASIC)
        ci->auth |= (unsigned)CURLAUTH_BASIC;
    if (it->proxy.auth & CHECKS_AUTH_DIGEST)
        ci->auth |= (unsigned)CURLAUTH_DIGEST;
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    if ((it->proxy.auth & CHECKS_AUTH_NTLM) && (cv->features & CURL_VERSION_NTLM))
        ci->auth |= (unsigned)CURLAUTH_NTLM;
    if ((it->proxy.auth & CHECKS_AUTH_NEGOTIATE) && (cv->features & CURL_VERSION_SPNEGO))
        ci->auth |= (unsigned)CURLAUTH_NEGOTIATE;
    if (rc == 0)
        rc = ctls_policy_lists(&it->tls, &ci->tls12_ciphers, &ci->tls13_suites);
    return rc;
}

void cprep_free(struct cprep *p)
{
    for (size_t i = 0; i < p->n_items; i++)
        item_free(&p->items[i]);
    free(p->items);
    for (size_t i = 0; i < p->n_paths; i++) {
        free(p->paths[i].site);
        free(p->paths[i].path);
        free(p->paths[i].reason);
    }
    free(p->paths);
    memset(p, 0, sizeof(*p));
}

static int add_path(struct cprep *p, const struct checks_item *it)
{
    for (size_t i = 0; i < p->n_paths; i++)
        if (!strcmp(p->paths[i].site, it->site) && !strcmp(p->paths[i].path, it->path))
            return 0;
    struct cpath *cp = &p->paths[p->n_paths];
    *cp = (struct cpath){.site = strdup(it->site), .path = strdup(it->path)};
    p->n_paths++;
    return cp->site && cp->path ? 0 : -1;
}

int cprep_make(const struct checks_config *cfg, struct cprep *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!checks_check_config(cfg, err, errlen))
        return -1;
    out->cfg = *cfg;
    out->cfg.items = NULL;
    out->cfg.n_items = 0;
    out->items = calloc(cfg->n_items ? cfg->n_items : 1, sizeof(*out->items));
    out->paths = calloc(cfg->n_items ? cfg->n_items : 1, sizeof(*out->paths));
    int rc = out->items && out->paths ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < cfg->n_items; i++) {
        out->n_items++;
        rc = item_copy(&out->items[i], &cfg->items[i]);
        if (rc == 0)
            rc = add_path(out, &cfg->items[i]);
    }
    if (rc != 0) {
        cprep_free(out);
        snprintf(err, errlen, "checks: out of memory copying the configuration");
        return -1;
    }
    return 0;
}

bool citem_same(const struct checks_item *a, const struct checks_item *b)
{
    const struct checks_proxy *p = &a->proxy, *q = &b->proxy;

    if (!str_eq(a->site, b->site) || !str_eq(a->group, b->group) || !str_eq(a->path, b->path) ||
        !str_eq(a->host, b->host) || a->port != b->port || a->legacy != b->legacy ||
        a->use_proxy != b->use_proxy || a->pin.mark != b->pin.mark ||
        !str_eq(a->pin.dev, b->pin.dev) || !str_eq(a->pin.source, b->pin.source) ||
        a->tls.min_version != b->tls.min_version || a->tls.min_bits != b->tls.min_bits ||
        a->tls.require_aes != b->tls.require_aes || a->tls.warn_days != b->tls.warn_days ||
        !str_eq(a->tls.ca_file, b->tls.ca_file))
        return false;
    if (!a->use_proxy)
        return true;
    if (!str_eq(p->host, q->host) || p->port != q->port || p->n_via != q->n_via ||
        !str_eq(p->user, q->user) || !str_eq(p->password, q->password) || p->auth != q->auth)
        return false;
    for (size_t v = 0; v < p->n_via; v++)
        if (!str_eq(p->via[v], q->via[v]))
            return false;
    return true;
}

void cprep_carry(struct cprep *p, struct cprep *old)
{
    for (size_t i = 0; i < p->n_items; i++)
        for (size_t j = 0; j < old->n_items; j++)
            if (citem_same(&p->items[i].it, &old->items[j].it)) {
                struct checks_result t = p->items[i].r;
                p->items[i].r = old->items[j].r;
                old->items[j].r = t;
                break;
            }
    for (size_t i = 0; i < p->n_paths; i++)
        for (size_t j = 0; j < old->n_paths; j++)
            if (!strcmp(p->paths[i].site, old->paths[j].site) &&
                !strcmp(p->paths[i].path, old->paths[j].path)) {
                struct cpath *a = &p->paths[i], *b = &old->paths[j];
                a->reported = b->reported;
                a->ok = b->ok;
                a->reason = b->reason;
                b->reason = NULL;
                break;
            }
}
