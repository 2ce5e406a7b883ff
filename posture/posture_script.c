/*
 * posture_script: writes the posture's nftables transaction
 * (posture_script.h). The forward chain has policy accept (what is not
 * between Azure and the sensors is not tunneld's business) and, per family
 * with both an Azure prefix and a sensor subnet:
 *   <proto> saddr @azureN <proto> daddr @sensorsN ct state established,related accept
 *   <proto> saddr @azureN <proto> daddr @sensorsN counter drop
 *
 * Threading: none; pure functions.
 */
#include "posture_script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;

    if (b->oom)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if (!b->p || b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (!grown) {
            b->oom = true;
            return;
        }
        b->p = grown;
        b->cap = cap;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

static char *sb_done(struct sbuf *b)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

static void add_set(struct sbuf *b, int fam, bool sensors, const struct pp_prefix *v, size_t n)
{
    sb_add(b, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n", posture_set_name(fam, sensors),
           fam == PP_V4 ? "ipv4_addr" : "ipv6_addr");
    for (size_t i = 0; i < n; i++) {
        char txt[PP_TEXT_MAX];
        pp_format(&v[i], txt, sizeof(txt));
        sb_add(b, "%s%s", i ? ",\n\t\t\t" : "\t\telements = { ", txt);
    }
    sb_add(b, "%s\t}\n", n ? " }\n" : "");
}

static void add_rules(struct sbuf *b, int fam)
{
    const char *pr = posture_proto(fam);
    const char *az = posture_set_name(fam, false), *se = posture_set_name(fam, true);

    sb_add(b, "\t\t%s saddr @%s %s daddr @%s ct state established,related accept\n", pr, az, pr,
           se);
    sb_add(b, "\t\t%s saddr @%s %s daddr @%s counter drop\n", pr, az, pr, se);
}

char *posture_script_apply(const struct posture_plan *p)
{
    struct sbuf b = {0};

    sb_add(&b, "table inet %s\ndelete table inet %s\ntable inet %s {\n", p->table, p->table,
           p->table);
    for (int fam = 0; fam < PP_NFAM; fam++) {
        add_set(&b, fam, false, p->azure[fam], p->n_azure[fam]);
        add_set(&b, fam, true, p->sensors[fam], p->n_sensors[fam]);
    }
    sb_add(&b, "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n");
    for (int fam = 0; fam < PP_NFAM; fam++) {
        if (posture_plan_active(p, fam))
            add_rules(&b, fam);
    }
    sb_add(&b, "\t}\n}\n");
    return sb_done(&b);
}

char *posture_script_remove(const char *table)
{
    struct sbuf b = {0};

    sb_add(&b, "table inet %s\ndelete table inet %s\n", table, table);
    return sb_done(&b);
}
