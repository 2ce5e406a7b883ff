/*
 * output_paths_checks: the application checks (issue 10) in `tunnelctl
 * paths`: the posture and check rounds at the top, a path's own verdict in
 * its details, and per site two blocks, "sensor groups (22.x)" and "legacy
 * groups (IoT Hub)": each group (its way out and sensors), then one line per
 * group x endpoint x path with the verdict, the time of each phase, the TLS
 * session, the certificate's expiry and why. A failure says whose fault it
 * is ("service: ..." fails on every path, "path: ..." only on this one).
 * Columns are as wide as their widest cell, up to a cap (a longer cell pushes
 * its line, never cut). Every string from the socket goes through
 * text_escape.
 *
 * Threading: single-threaded (tunnelctl).
 */
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "text_escape.h"
#include "text_time.h"

enum {
    COL_GROUP,
    COL_ENDPOINT,
    COL_PATH,
    COL_VERDICT,
    COL_CONNECT,
    COL_PROXY,
    COL_TLS,
    COL_PROTO,
    COL_CIPHER,
    COL_EXPIRES,
    NCOL /* then WHY, unpadded */
};

static const char *const headers[NCOL] = {"GROUP",   "ENDPOINT",    "PATH", "VERDICT",
                                          "CONNECT", "PROXY",       "TLS",  "PROTOCOL",
                                          "CIPHER",  "CERT EXPIRES"};
#define COL_CAP 48 /* widest a column grows for its cells */

/* the cells of one check line (strings from the socket or formatted here) */
struct cells {
    const char *cell[NCOL];
    char verdict[32], connect[32], proxy[48], tls[32], expires[TEXT_TIME_LEN];
};

/* "12ms"; "-" when not reached */
static void fmt_ms(char *buf, size_t len, int64_t ms)
{
    if (ms < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%lldms", (long long)ms);
}

/* "200 4ms", "407 2ms", "407" (no time), "4ms" (no code), "-" (direct) */
static void fmt_proxy(char *buf, size_t len, const struct paths_check *c)
{
    char ms[32];

    fmt_ms(ms, sizeof(ms), c->proxy_ms);
    if (c->proxy_status && c->proxy_ms >= 0)
        snprintf(buf, len, "%d %s", c->proxy_status, ms);
    else if (c->proxy_status)
        snprintf(buf, len, "%d", c->proxy_status);
    else
        snprintf(buf, len, "%s", ms);
}

static void fill_cells(struct cells *x, const struct paths_check *c)
{
    const char *v = paths_verdict_name(c->verdict);

    if (c->verdict == PATHS_V_FAIL && c->phase != PATHS_PH_NONE)
        snprintf(x->verdict, sizeof(x->verdict), "%s(%s)", v, paths_phase_name(c->phase));
    else
        snprintf(x->verdict, sizeof(x->verdict), "%s", v ? v : "?");
    fmt_ms(x->connect, sizeof(x->connect), c->connect_ms);
    fmt_proxy(x->proxy, sizeof(x->proxy), c);
    fmt_ms(x->tls, sizeof(x->tls), c->tls_ms);
    if (c->cert_not_after)
        text_utc_date(x->expires, c->cert_not_after);
    else
        snprintf(x->expires, sizeof(x->expires), "-");
    x->cell[COL_GROUP] = c->group;
    x->cell[COL_ENDPOINT] = c->endpoint;
    x->cell[COL_PATH] = c->path;
    x->cell[COL_VERDICT] = x->verdict;
    x->cell[COL_CONNECT] = x->connect;
    x->cell[COL_PROXY] = x->proxy;
    x->cell[COL_TLS] = x->tls;
    x->cell[COL_PROTO] = c->tls_version ? c->tls_version : "-";
    x->cell[COL_CIPHER] = c->cipher ? c->cipher : "-";
    x->cell[COL_EXPIRES] = x->expires;
}

/* the WHY column: whose fault a failure is, then the reason */
static void put_why(FILE *out, const struct paths_check *c)
{
    if (c->verdict == PATHS_V_PENDING && !c->reason) {
        fputs("not run yet", out);
        return;
    }
    if (c->verdict == PATHS_V_FAIL && c->fault == PATHS_FAULT_SERVICE)
        fputs("service: ", out);
    else if (c->verdict == PATHS_V_FAIL && c->fault == PATHS_FAULT_PATH)
        fputs("path: ", out);
    text_put(out, c->reason ? c->reason : "-");
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const struct paths_group *const *)a)->name,
                  (*(const struct paths_group *const *)b)->name);
}

/*
 * Per check, its group (NULL: not in the document's groups), found through
 * a sorted index so that a hostile reply with many of both stays fast.
 * NULL on no memory or no checks.
 */
static const struct paths_group **check_groups(const struct paths_site *s)
{
    const struct paths_group **of = NULL, **sorted = NULL;

    if (s->n_checks)
        of = calloc(s->n_checks, sizeof(*of));
    if (of && s->n_groups)
        sorted = calloc(s->n_groups, sizeof(*sorted));
    if (!sorted) /* no groups: none is found */
        return of;
    for (size_t i = 0; i < s->n_groups; i++)
        sorted[i] = &s->groups[i];
    qsort(sorted, s->n_groups, sizeof(*sorted), by_name);
    for (size_t i = 0; i < s->n_checks; i++) {
        struct paths_group key = {.name = s->checks[i].group};
        const struct paths_group *k = &key, **hit;
        hit = bsearch(&k, sorted, s->n_groups, sizeof(*sorted), by_name);
        of[i] = hit ? *hit : NULL;
    }
    free(sorted);
    return of;
}

/* a check of a group the document does not list is shown with the 22.x groups */
static bool check_legacy(const struct paths_group *const *of, size_t i)
{
    return of && of[i] && of[i]->legacy;
}

static void put_strings(FILE *out, const char *const *v, size_t n, const char *sep)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputs(sep, out);
        text_put(out, v[i]);
    }
}

/* per group, how many of its checks have each verdict (one pass: no group x check loop) */
static size_t (*verdict_counts(const struct paths_site *s,
                               const struct paths_group *const *of))[PATHS_V_MAX]
{
    size_t(*n)[PATHS_V_MAX] = s->n_groups ? calloc(s->n_groups, sizeof(*n)) : NULL;

    for (size_t i = 0; n && of && i < s->n_checks; i++)
        if (of[i] && s->checks[i].verdict < PATHS_V_MAX)
            n[of[i] - s->groups][s->checks[i].verdict]++;
    return n;
}

/* "    group line2: proxy dmz:3128 (chain dmz-proxy → azure-proxy); sensors ...; 2 pass" */
static void put_group(FILE *out, const struct paths_group *g, const size_t *n)
{
    fputs("    group ", out);
    text_put(out, g->name);
    fputs(g->proxy ? ": proxy " : ": direct", out);
    if (g->proxy)
        text_put(out, g->proxy);
    if (g->n_via) {
        fputs(" (chain ", out);
        put_strings(out, g->via, g->n_via, " \u2192 ");
        fputc(')', out);
    }
    fputs("; sensors ", out);
    if (g->n_subnets)
        put_strings(out, g->subnets, g->n_subnets, ", ");
    else
        fputs("none listed", out);
    if (n)
        fprintf(out, "; %zu pass, %zu warn, %zu fail, %zu pending", n[PATHS_V_PASS],
                n[PATHS_V_WARN], n[PATHS_V_FAIL], n[PATHS_V_PENDING]);
    fputc('\n', out);
}

static void put_table(FILE *out, const struct paths_site *s, const struct paths_group *const *of,
                      bool legacy)
{
    size_t w[NCOL];
    struct cells x;

    for (int j = 0; j < NCOL; j++)
        w[j] = strlen(headers[j]);
    for (size_t i = 0; i < s->n_checks; i++) {
        if (check_legacy(of, i) != legacy)
            continue;
        fill_cells(&x, &s->checks[i]);
        for (int j = 0; j < NCOL; j++) {
            size_t cw = text_width(x.cell[j]);
            if (cw > w[j])
                w[j] = cw < COL_CAP ? cw : COL_CAP;
        }
    }
    fputs("    ", out);
    for (int j = 0; j < NCOL; j++)
        fprintf(out, "%-*s ", (int)w[j], headers[j]);
    fputs("WHY\n", out);
    for (size_t i = 0; i < s->n_checks; i++) {
        if (check_legacy(of, i) != legacy)
            continue;
        fill_cells(&x, &s->checks[i]);
        fputs("    ", out);
        for (int j = 0; j < NCOL; j++) {
            text_field(out, x.cell[j], w[j]);
            fputc(' ', out);
        }
        put_why(out, &s->checks[i]);
        fputc('\n', out);
    }
}

static void put_block(FILE *out, const struct paths_site *s, const struct paths_group *const *of,
                      size_t (*counts)[PATHS_V_MAX], bool legacy)
{
    size_t groups = 0, checks = 0;

    for (size_t i = 0; i < s->n_groups; i++)
        groups += s->groups[i].legacy == legacy;
    for (size_t i = 0; i < s->n_checks; i++)
        checks += check_legacy(of, i) == legacy;
    if (!groups && !checks)
        return;
    fputs(legacy ? "  legacy groups (IoT Hub):\n" : "  sensor groups (22.x):\n", out);
    for (size_t i = 0; i < s->n_groups; i++)
        if (s->groups[i].legacy == legacy)
            put_group(out, &s->groups[i], counts ? counts[i] : NULL);
    if (checks)
        put_table(out, s, of, legacy);
    else
        fputs("    no checks yet\n", out);
}

void output_paths_checks_text(FILE *out, const struct paths_site *s)
{
    const struct paths_group **of = check_groups(s);
    size_t(*counts)[PATHS_V_MAX] = verdict_counts(s, of);

    if ((s->n_checks && !of) || (s->n_groups && !counts)) {
        fputs("  checks: out of memory sorting them\n", out);
    } else {
        put_block(out, s, of, counts, false);
        put_block(out, s, of, counts, true);
    }
    free(counts);
    free(of);
}

void output_paths_app_text(FILE *out, const struct paths_path *p)
{
    if (p->app_ok == PATHS_NULL)
        return;
    fputs("      application checks: ", out);
    if (p->app_ok == PATHS_TRUE) {
        fputs("ok\n", out);
        return;
    }
    fputs("path fault: ", out);
    text_put(out, p->app_reason ? p->app_reason : "(no reason given)");
    fputc('\n', out);
}

static bool any_checks(const struct paths_doc *doc)
{
    for (size_t i = 0; i < doc->n_sites; i++)
        if (doc->sites[i].n_groups || doc->sites[i].n_checks)
            return true;
    return doc->checks_rounds != 0;
}

void output_paths_posture_text(FILE *out, const struct paths_doc *doc)
{
    static const char prefix[] = "not enforced: ";
    const struct paths_posture *p = &doc->posture;
    char when[TEXT_TIME_LEN];

    if (p->state == PATHS_POSTURE_ENFORCED) {
        fputs("posture: enforced\n", out);
    } else if (p->state == PATHS_POSTURE_NOT_ENFORCED) {
        const char *why = p->reason ? p->reason : "(no reason given)";
        if (strncmp(why, prefix, sizeof(prefix) - 1) == 0) /* not said twice */
            why += sizeof(prefix) - 1;
        fputs("posture: not enforced: ", out);
        text_put(out, why);
        fputc('\n', out);
    } else {
        fputs("posture: off (outbound-only policy not asked for)\n", out);
    }
    if (!any_checks(doc))
        return;
    if (!doc->checks_rounds) {
        fputs("checks: no round yet\n", out);
        return;
    }
    text_utc(when, doc->checks_last_round);
    fprintf(out, "checks: %llu rounds, last %s\n", (unsigned long long)doc->checks_rounds,
            doc->checks_last_round ? when : "never");
}
