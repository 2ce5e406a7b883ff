/*
 * checks_snap: the published copy of the results. The checks thread makes
 * a whole new copy after each round and each reload and swaps it in under
 * slock; checks_snapshot deep-copies it under the same short lock.
 *
 * Threading: csnap_publish on the checks thread; checks_snapshot and
 * checks_snapshot_free on any thread.
 */
#define _GNU_SOURCE
#include "checks_int.h"

#include <stdlib.h>
#include <string.h>

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

void cresult_clear(struct checks_result *r)
{
    free(r->reason);
    free(r->proxy_line);
    free(r->proxy_hop);
    free(r->proxy_error);
    free(r->tls_version);
    free(r->cipher);
    free(r->cert_subject);
    free(r->cert_issuer);
    *r = (struct checks_result){
        .connect_ms = UINT32_MAX, .proxy_ms = UINT32_MAX, .tls_ms = UINT32_MAX};
}

int cresult_copy(struct checks_result *dst, const struct checks_result *src)
{
    *dst = *src;
    int rc = dup_opt(&dst->reason, src->reason) | dup_opt(&dst->proxy_line, src->proxy_line) |
             dup_opt(&dst->proxy_hop, src->proxy_hop) |
             dup_opt(&dst->proxy_error, src->proxy_error) |
             dup_opt(&dst->tls_version, src->tls_version) | dup_opt(&dst->cipher, src->cipher) |
             dup_opt(&dst->cert_subject, src->cert_subject) |
             dup_opt(&dst->cert_issuer, src->cert_issuer);
    return rc ? -1 : 0;
}

static void row_free(struct checks_row *row)
{
    free(row->site);
    free(row->group);
    free(row->path);
    free(row->host);
    free(row->proxy);
    for (size_t v = 0; v < row->n_via; v++)
        free(row->via[v]);
    free(row->via);
    cresult_clear(&row->r);
}

void checks_snapshot_free(struct checks_snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_rows; i++)
        row_free(&s->rows[i]);
    free(s->rows);
    memset(s, 0, sizeof(*s));
}

static int row_copy(struct checks_row *dst, const struct checks_row *src)
{
    int rc = dup_opt(&dst->site, src->site) | dup_opt(&dst->group, src->group) |
             dup_opt(&dst->path, src->path) | dup_opt(&dst->host, src->host) |
             dup_opt(&dst->proxy, src->proxy);

    dst->port = src->port;
    dst->legacy = src->legacy;
    dst->use_proxy = src->use_proxy;
    dst->via = calloc(src->n_via ? src->n_via : 1, sizeof(*dst->via));
    if (!dst->via)
        rc = -1;
    for (size_t v = 0; dst->via && v < src->n_via; v++, dst->n_via++)
        rc |= dup_opt(&dst->via[v], src->via[v]);
    rc |= cresult_copy(&dst->r, &src->r);
    return rc ? -1 : 0;
}

static int snap_copy(struct checks_snapshot *dst, const struct checks_snapshot *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->rounds = src->rounds;
    dst->last_round = src->last_round;
    dst->rows = calloc(src->n_rows ? src->n_rows : 1, sizeof(*dst->rows));
    if (!dst->rows)
        return -1;
    for (size_t i = 0; i < src->n_rows; i++) {
        dst->n_rows++;
        if (row_copy(&dst->rows[i], &src->rows[i]) != 0) {
            checks_snapshot_free(dst);
            return -1;
        }
    }
    return 0;
}

/* an item as a row (the result copied) */
static int item_row(struct checks_row *row, const struct citem *ci)
{
    const struct checks_item *it = &ci->it;
    struct checks_row view = {.site = (char *)it->site,
                              .group = (char *)it->group,
                              .path = (char *)it->path,
                              .host = (char *)it->host,
                              .port = it->port,
                              .legacy = it->legacy,
                              .use_proxy = it->use_proxy,
                              .via = (char **)it->proxy.via,
                              .n_via = it->proxy.n_via,
                              .r = ci->r};
    char *proxy = NULL;

    if (it->use_proxy && asprintf(&proxy, strchr(it->proxy.host, ':') ? "[%s]:%u" : "%s:%u",
                                  it->proxy.host, it->proxy.port) < 0)
        return -1;
    view.proxy = proxy;
    int rc = row_copy(row, &view);
    free(proxy);
    return rc;
}

void csnap_publish(struct checks *c)
{
    struct checks_snapshot s = {.rounds = c->rounds, .last_round = c->last_round}, old;

    s.rows = calloc(c->cur.n_items ? c->cur.n_items : 1, sizeof(*s.rows));
    for (size_t i = 0; s.rows && i < c->cur.n_items; i++) {
        s.n_rows++;
        if (item_row(&s.rows[i], &c->cur.items[i]) != 0) {
            checks_snapshot_free(&s);
            s.rows = NULL;
        }
    }
    if (!s.rows) {
        clog_(c, 0, "checks: out of memory publishing the results (the last copy stays)");
        return;
    }
    pthread_mutex_lock(&c->slock);
    old = c->pub;
    c->pub = s;
    pthread_mutex_unlock(&c->slock);
    checks_snapshot_free(&old);
}

int checks_snapshot(struct checks *c, struct checks_snapshot *out)
{
    int rc;

    if (!c || !out)
        return -1;
    pthread_mutex_lock(&c->slock);
    rc = snap_copy(out, &c->pub);
    pthread_mutex_unlock(&c->slock);
    return rc;
}
