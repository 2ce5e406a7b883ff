/* ss_fmt: see ss_fmt.h. Compiled with -Wno-format (strongSwan printf hooks). */
#include "ss_fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* one object printed with fmt into a string of its own size */
static char *fmt_dup(const char *fmt, const void *obj)
{
    int n = snprintf(NULL, 0, fmt, obj);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;

    if (s && snprintf(s, (size_t)n + 1, fmt, obj) != n) {
        /* the object printed differently the second time: never keep a cut text */
        free(s);
        s = NULL;
    }
    return s;
}

char *fmt_host(host_t *host)
{
    return host ? fmt_dup("%H", host) : strdup("");
}

char *fmt_id(identification_t *id)
{
    return id ? fmt_dup("%Y", id) : strdup("");
}

char *fmt_proposal(proposal_t *proposal)
{
    return proposal ? fmt_dup("%P", proposal) : strdup("");
}

/* appends ",<ts>" (no comma first) to *buf, grown to fit; false if out of memory */
static bool append_ts(char **buf, size_t *len, size_t *cap, traffic_selector_t *ts)
{
    const char *sep = *len ? "," : "";
    int n = snprintf(NULL, 0, "%s%R", sep, ts);

    if (n < 0)
        return FALSE;
    if (*len + (size_t)n + 1 > *cap) {
        size_t want = *cap * 2 > *len + (size_t)n + 1 ? *cap * 2 : *len + (size_t)n + 1;
        char *grown = realloc(*buf, want);
        if (!grown)
            return FALSE;
        *buf = grown;
        *cap = want;
    }
    if (snprintf(*buf + *len, *cap - *len, "%s%R", sep, ts) != n)
        return FALSE;
    *len += (size_t)n;
    return TRUE;
}

char *fmt_ts(child_sa_t *child, bool local)
{
    enumerator_t *e = child->create_ts_enumerator(child, local);
    traffic_selector_t *ts;
    size_t len = 0, cap = 64;
    char *buf = malloc(cap);
    bool ok = buf != NULL;

    if (ok)
        buf[0] = '\0';
    while (ok && e->enumerate(e, &ts))
        ok = append_ts(&buf, &len, &cap, ts);
    e->destroy(e);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}
