/* ss_fmt: see ss_fmt.h. Compiled with -Wno-format (strongSwan printf hooks). */
#include "ss_fmt.h"

#include <stdio.h>

void fmt_host(char *buf, size_t len, host_t *host)
{
    if (host)
        snprintf(buf, len, "%H", host);
    else
        snprintf(buf, len, "%s", "");
}

void fmt_id(char *buf, size_t len, identification_t *id)
{
    if (id)
        snprintf(buf, len, "%Y", id);
    else
        snprintf(buf, len, "%s", "");
}

void fmt_proposal(char *buf, size_t len, proposal_t *proposal)
{
    if (proposal)
        snprintf(buf, len, "%P", proposal);
    else
        snprintf(buf, len, "%s", "");
}

void fmt_ts(char *buf, size_t len, child_sa_t *child, bool local)
{
    enumerator_t *e = child->create_ts_enumerator(child, local);
    traffic_selector_t *ts;
    size_t off = 0;

    buf[0] = '\0';
    while (off < len && e->enumerate(e, &ts)) {
        int n = snprintf(buf + off, len - off, "%s%R", off ? "," : "", ts);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    e->destroy(e);
}
