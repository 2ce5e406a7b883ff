/*
 * sm_endpoints_file: a sensor group's endpoint set: the `endpoints` list
 * and the `endpoints_file` (the portal's "Download endpoint details" list,
 * format in sm_endpoint.h), read with the same file checks as
 * prefixes_file (sm_file_slurp: regular file, not /proc or /sys, at most
 * 16 MiB). Duplicates (host compared without regard to case, and port) are
 * dropped; at most SM_ENDPOINTS_MAX endpoints a group. Errors name the key,
 * and for the file its path and line.
 *
 * Threading: the loading thread (see site_model.h). Blocks on file I/O.
 */
#include "sm_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sm_endpoint.h"

typedef struct {
    sm_ctx_t *c;
    struct sm_group *g;
} add_ctx_t;

/* false with *why: out of memory or too many; a duplicate is dropped */
static bool add(void *ctx, const struct sm_endpoint_text *ep, size_t line, const char **why)
{
    struct sm_group *g = ((add_ctx_t *)ctx)->g;
    struct sm_endpoint *grown;

    (void)line;
    for (size_t i = 0; i < g->n_endpoints; i++)
        if (g->endpoints[i].port == ep->port && !strcasecmp(g->endpoints[i].host, ep->host))
            return true;
    if (g->n_endpoints >= SM_ENDPOINTS_MAX)
        return *why = "more than " SM_STR(SM_ENDPOINTS_MAX) " endpoints in one group", false;
    grown = realloc(g->endpoints, (g->n_endpoints + 1) * sizeof(*grown));
    if (!grown)
        return *why = "out of memory", false;
    g->endpoints = grown;
    if (!(grown[g->n_endpoints].host = strdup(ep->host)))
        return *why = "out of memory", false;
    grown[g->n_endpoints++].port = ep->port;
    return true;
}

bool sm_read_endpoints_list(sm_ctx_t *c, struct sm_group *g, const char *list)
{
    add_ctx_t a = {.c = c, .g = g};
    struct sm_endpoint_text ep;
    const char *why = NULL;
    enumerator_t *e;
    char *tok;
    bool ok = true;
    sm_quoted_t q;

    e = enumerator_create_token(list, ",", " \t");
    while (ok && e->enumerate(e, &tok))
        if (!sm_endpoint_parse(tok, strlen(tok), &ep, &why) || !add(&a, &ep, 0, &why))
            ok = sm_fail(c,
                         "%s.endpoints: '%s': %s; a list of host:port, e.g. "
                         "blob.core.windows.net:443, [2001:db8::1]:443",
                         c->where, sm_quote(tok, &q), why);
    e->destroy(e);
    return ok;
}

bool sm_read_endpoints_file(sm_ctx_t *c, struct sm_group *g, const char *path)
{
    add_ctx_t a = {.c = c, .g = g};
    struct sm_scan_error se;
    const char *why = NULL;
    char *full = sm_file_resolve(c->file, path), *buf;
    size_t len, header, before = g->n_endpoints;
    sm_quoted_t qp, qt;
    bool ok;

    if (!full)
        return sm_fail(c, "%s.endpoints_file: out of memory", c->where);
    buf = sm_file_slurp(full, &len, &why);
    if (!buf) {
        ok = sm_fail(c, "%s.endpoints_file: %s: %s", c->where, sm_quote(full, &qp), why);
    } else if ((ok = sm_endpoints_scan(buf, len, add, &a, &header, &se)) && header &&
               g->n_endpoints == before) {
        /* the only line with text was taken for the portal's header */
        ok = sm_fail(c,
                     "%s.endpoints_file: %s: no endpoint in it (line %zu was taken for the "
                     "portal's header: expected host:port lines after it)",
                     c->where, sm_quote(full, &qp), header);
    } else if (!ok) {
        if (se.line)
            sm_fail(c,
                    "%s.endpoints_file: %s:%zu: '%s': %s (expected one host:port a line; "
                    "tunneld.conf(5))",
                    c->where, sm_quote(full, &qp), se.line, sm_quote(se.text, &qt), se.why);
        else
            sm_fail(c, "%s.endpoints_file: %s: %s", c->where, sm_quote(full, &qp), se.why);
    }
    free(buf);
    free(full);
    return ok;
}
