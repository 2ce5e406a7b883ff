/*
 * output_text: human tables for tunnelctl. Every string that came from the
 * socket goes through text_escape: a name can never act on the terminal.
 * Threading: single-threaded (tunnelctl).
 */
#include <string.h>
#include <time.h>

#include "output.h"
#include "text_escape.h"

static void fmt_age(char *buf, size_t len, time_t since)
{
    time_t now = time(NULL);

    if (!since) {
        snprintf(buf, len, "-");
        return;
    }
    /* both are >= 0 (the parser checks since): no overflow */
    long long s = since < now ? (long long)(now - since) : 0;
    if (s < 120)
        snprintf(buf, len, "%llds", s);
    else if (s < 7200)
        snprintf(buf, len, "%lldm", s / 60);
    else
        snprintf(buf, len, "%lldh%02lldm", s / 3600, (s / 60) % 60);
}

/* a text field, or "-" when it is empty */
static const char *or_dash(const char *text)
{
    return text && text[0] ? text : "-";
}

/* "-", or "reason" or "reason: detail" (detail whole, escaped), then the newline */
static void put_reason(FILE *out, sa_reason_t r, const char *detail)
{
    if (r == SA_REASON_NONE) {
        fputs("-\n", out);
        return;
    }
    fputs(sa_reason_name(r), out);
    if (detail && detail[0]) {
        fputs(": ", out);
        text_put(out, detail);
    }
    fputc('\n', out);
}

static void put_child(FILE *out, const sa_child_rec_t *c)
{
    char age[48];

    fmt_age(age, sizeof(age), c->state == SA_STATE_ESTABLISHED ? c->established : 0);
    fputs("  ", out);
    text_field(out, c->name, 18);
    fprintf(out, " %-12s %-5u ", sa_state_name(c->state), c->unique_id);
    text_field(out, or_dash(c->local_ts), 18);
    fputc(' ', out);
    text_field(out, or_dash(c->remote_ts), 18);
    fprintf(out, " %-8s %-6u ", age, c->rekeys);
    put_reason(out, c->last_down, c->last_down_detail);
    if (c->state == SA_STATE_ESTABLISHED || c->state == SA_STATE_REKEYING) {
        fprintf(
            out,
            "  %-18s reqid %u spi %08x/%08x if_id %u/%u  in %llu B %llu pkt  out "
            "%llu B %llu pkt  ",
            "", c->reqid, c->spi_in, c->spi_out, c->if_id_in, c->if_id_out,
            (unsigned long long)c->counters.bytes_in, (unsigned long long)c->counters.packets_in,
            (unsigned long long)c->counters.bytes_out, (unsigned long long)c->counters.packets_out);
        text_put(out, sa_text(c->proposal));
        fputc('\n', out);
    }
}

static void put_ike(FILE *out, const sa_ike_rec_t *r)
{
    char age[48];

    fmt_age(age, sizeof(age), r->state == SA_STATE_ESTABLISHED ? r->established : 0);
    text_field(out, r->name, 20);
    fprintf(out, " %-12s %-5u ", sa_state_name(r->state), r->unique_id);
    text_field(out, or_dash(r->local_addr), 18);
    fputc(' ', out);
    text_field(out, or_dash(r->remote_addr), 18);
    fprintf(out, " %-8s %-6u ", age, r->rekeys);
    put_reason(out, r->last_down, r->last_down_detail);
    for (size_t j = 0; j < r->n_children; j++)
        put_child(out, &r->children[j]);
}

static void text_sa(FILE *out, const sa_ike_rec_t *rows, size_t n)
{
    if (!n) {
        fprintf(out, "no connections loaded\n");
        return;
    }
    fprintf(out, "%-20s %-12s %-5s %-18s %-18s %-8s %-6s %s\n", "CONNECTION", "STATE", "UID",
            "LOCAL", "REMOTE", "UP", "REKEYS", "LAST DOWN");
    for (size_t i = 0; i < n; i++)
        put_ike(out, &rows[i]);
}

static const char *yes_no(routes_bool_t v)
{
    return v == RJ_NULL ? "?" : v == RJ_TRUE ? "yes" : "no";
}

static void put_path(FILE *out, const char *site, const routes_path_t *p)
{
    char num[32];

    text_field(out, site, 16);
    fputc(' ', out);
    text_field(out, p->name, 14);
    fputc(' ', out);
    text_field(out, p->dev, 12);
    fputc(' ', out);
    text_field(out, p->gateway4 ? p->gateway4 : p->gateway6 ? p->gateway6 : "-", 16);
    snprintf(num, sizeof(num), "%lld", (long long)p->priority);
    fprintf(out, " %-5s ", num);
    snprintf(num, sizeof(num), "%lld", (long long)p->weight);
    fprintf(out, "%-3s %-7s ", num, yes_no(p->usable));
    if (p->child) {
        text_put(out, p->child);
        fprintf(out, " (%s)",
                p->child_up == RJ_NULL   ? "?"
                : p->child_up == RJ_TRUE ? "up"
                                         : "down");
    } else {
        fputc('-', out);
    }
    fputc('\n', out);
}

static void put_problems(FILE *out, const routes_doc_t *doc)
{
    for (size_t i = 0; i < doc->n_problems; i++) {
        fputs("problem: ", out);
        text_put(out, doc->problems[i]);
        fputc('\n', out);
    }
}

static void text_routes(FILE *out, const routes_doc_t *doc)
{
    if (!doc->n_sites) {
        /* with problems, an empty list may be a failure, not the configuration */
        fputs(doc->n_problems ? "no routed sites\n"
                              : "no routed sites (tunneld.routes.sites is empty)\n",
              out);
        put_problems(out, doc);
        return;
    }
    if (doc->has_table)
        fprintf(out, "table %u, ", doc->table);
    else
        fputs("table ?, ", out);
    if (doc->has_protocol)
        fprintf(out, "protocol %u\n", doc->protocol);
    else
        fputs("protocol ?\n", out);
    fprintf(out, "%-16s %-14s %-12s %-16s %-5s %-3s %-7s %s\n", "SITE", "PATH", "DEV", "GATEWAY",
            "PRIO", "W", "USABLE", "CHILD_SA");
    for (size_t i = 0; i < doc->n_sites; i++) {
        const routes_site_t *s = &doc->sites[i];
        if (!s->n_paths) {
            text_field(out, s->name, 16);
            fputs(" (no paths)\n", out);
        }
        for (size_t j = 0; j < s->n_paths; j++)
            put_path(out, j ? "" : s->name, &s->paths[j]);
    }
    put_problems(out, doc);
}

const struct output output_text = {
    .sa = text_sa, .routes = text_routes, .paths = output_paths_text};
