/* ss_fmt: see ss_fmt.h. Compiled with -Wno-format (strongSwan printf hooks). */
#include "ss_fmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a text cut to fit buf ends in "..." instead of stopping silently */
static void mark_cut(char *buf, size_t len)
{
    if (len >= 4)
        memcpy(buf + len - 4, "...", 4);
}

void fmt_host(char *buf, size_t len, host_t *host)
{
    if (host)
        snprintf(buf, len, "%H", host);
    else
        snprintf(buf, len, "%s", "");
}

void fmt_id(char *buf, size_t len, identification_t *id)
{
    int n;

    if (id)
        n = snprintf(buf, len, "%Y", id);
    else
        n = snprintf(buf, len, "%s", "");
    if (n >= 0 && (size_t)n >= len)
        mark_cut(buf, len);
}

char *fmt_id_dup(identification_t *id)
{
    int n = snprintf(NULL, 0, "%Y", id);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;

    if (s)
        snprintf(s, (size_t)n + 1, "%Y", id);
    return s;
}

void fmt_proposal(char *buf, size_t len, proposal_t *proposal)
{
    int n;

    if (proposal)
        n = snprintf(buf, len, "%P", proposal);
    else
        n = snprintf(buf, len, "%s", "");
    if (n >= 0 && (size_t)n >= len)
        mark_cut(buf, len);
}

void fmt_ts(char *buf, size_t len, child_sa_t *child, bool local)
{
    enumerator_t *e = child->create_ts_enumerator(child, local);
    traffic_selector_t *ts;
    size_t off = 0;

    buf[0] = '\0';
    while (e->enumerate(e, &ts)) {
        int n = snprintf(buf + off, len - off, "%s%R", off ? "," : "", ts);
        if (n < 0)
            break;
        if ((size_t)n >= len - off) {
            mark_cut(buf, len);
            break;
        }
        off += (size_t)n;
    }
    e->destroy(e);
}
