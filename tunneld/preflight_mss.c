/* preflight_mss: see preflight_mss.h. */
#define _GNU_SOURCE /* vasprintf */
#include "preflight_mss.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "posture_nft.h"

/* a growing string; on failure it is freed and stays NULL */
struct buf {
    char *s;
    size_t len;
};

static void add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    char *more;

    if (!b->s)
        return;
    va_start(ap, fmt);
    int n = vasprintf(&more, fmt, ap);
    va_end(ap);
    char *grown = n < 0 ? NULL : realloc(b->s, b->len + (size_t)n + 1);
    if (!grown) {
        if (n >= 0)
            free(more);
        free(b->s);
        b->s = NULL;
        return;
    }
    memcpy(grown + b->len, more, (size_t)n + 1);
    b->s = grown;
    b->len += (size_t)n;
    free(more);
}

bool pf_mss_name_ok(const char *name)
{
    return name[0] && !strpbrk(name, "\"\\*");
}

char *pf_mss_script(const char *table, const struct pf_mss *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!pf_mss_name_ok(m[i].name))
            return NULL;
    struct buf b = {.s = calloc(1, 1)};

    /* declaring it first makes the delete valid when it is absent */
    add(&b, "table inet %s\ndelete table inet %s\n", table, table);
    if (!n)
        return b.s;
    add(&b,
        "table inet %s {\n\tchain forward {\n\t\ttype filter hook forward priority mangle; "
        "policy accept;\n",
        table);
    /* mss is IPv4's; an IPv6 header is 20 bytes longer, so its MSS is 20 less */
    for (size_t i = 0; i < n; i++)
        for (int dir = 0; dir < 2; dir++)
            for (int v6 = 0; v6 < 2; v6++) {
                unsigned mss = m[i].mss - (v6 ? PF_MSS_V6_LESS : 0);
                add(&b,
                    "\t\tmeta nfproto %s %s \"%s\" tcp flags syn / syn,rst tcp option maxseg "
                    "size > %u tcp option maxseg size set %u\n",
                    v6 ? "ipv6" : "ipv4", dir ? "iifname" : "oifname", m[i].name, mss, mss);
            }
    add(&b, "\t}\n}\n");
    return b.s;
}

bool pf_mss_list(const char *table, char **listing, char *err, size_t errlen)
{
    char cmd[96];

    snprintf(cmd, sizeof(cmd), "list table inet %s", table);
    return posture_nft_run(cmd, false, listing, "mss clamp: listing", table, err, errlen);
}

bool pf_mss_apply(const char *table, const struct pf_mss *m, size_t n, char **listing, char *err,
                  size_t errlen)
{
    char *cmds = pf_mss_script(table, m, n);

    if (listing)
        *listing = NULL;
    if (!cmds) {
        snprintf(
            err, errlen,
            "mss clamp: table inet %s: out of memory or an interface name with '\"', '\\' or '*'",
            table);
        return false;
    }
    bool ok = posture_nft_run(
        cmds, false, NULL, n ? "mss clamp: installing" : "mss clamp: removing", table, err, errlen);
    free(cmds);
    if (ok && n && listing)
        ok = pf_mss_list(table, listing, err, errlen);
    return ok;
}
