/* output_text: human tables for tunnelctl. */
#include <string.h>
#include <time.h>

#include "output.h"

static void fmt_age(char *buf, size_t len, time_t since)
{
    if (!since) {
        snprintf(buf, len, "-");
        return;
    }
    long s = (long)(time(NULL) - since);
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(buf, len, "%lds", s);
    else if (s < 7200)
        snprintf(buf, len, "%ldm", s / 60);
    else
        snprintf(buf, len, "%ldh%02ldm", s / 3600, (s / 60) % 60);
}

static void fmt_reason(char *buf, size_t len, sa_reason_t r, const char *detail)
{
    if (r == SA_REASON_NONE)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%s%s%s", sa_reason_name(r), detail[0] ? ": " : "", detail);
}

static void text_sa(FILE *out, const sa_ike_rec_t *rows, size_t n)
{
    char age[32], why[300];

    if (!n) {
        fprintf(out, "no connections loaded\n");
        return;
    }
    fprintf(out, "%-20s %-12s %-5s %-18s %-18s %-8s %-6s %s\n", "CONNECTION", "STATE", "UID",
            "LOCAL", "REMOTE", "UP", "REKEYS", "LAST DOWN");
    for (size_t i = 0; i < n; i++) {
        const sa_ike_rec_t *r = &rows[i];
        fmt_age(age, sizeof(age), r->state == SA_STATE_ESTABLISHED ? r->established : 0);
        fmt_reason(why, sizeof(why), r->last_down, r->last_down_detail);
        fprintf(out, "%-20s %-12s %-5u %-18s %-18s %-8s %-6u %s\n", r->name,
                sa_state_name(r->state), r->unique_id, r->local_addr[0] ? r->local_addr : "-",
                r->remote_addr[0] ? r->remote_addr : "-", age, r->rekeys, why);
        for (size_t j = 0; j < r->n_children; j++) {
            const sa_child_rec_t *c = &r->children[j];
            fmt_age(age, sizeof(age), c->state == SA_STATE_ESTABLISHED ? c->established : 0);
            fmt_reason(why, sizeof(why), c->last_down, c->last_down_detail);
            fprintf(out, "  %-18s %-12s %-5u %-18s %-18s %-8s %-6u %s\n", c->name,
                    sa_state_name(c->state), c->unique_id, c->local_ts[0] ? c->local_ts : "-",
                    c->remote_ts[0] ? c->remote_ts : "-", age, c->rekeys, why);
            if (c->state == SA_STATE_ESTABLISHED || c->state == SA_STATE_REKEYING)
                fprintf(out,
                        "  %-18s reqid %u spi %08x/%08x if_id %u/%u  in %llu B %llu pkt  out "
                        "%llu B %llu pkt  %s\n",
                        "", c->reqid, c->spi_in, c->spi_out, c->if_id_in, c->if_id_out,
                        (unsigned long long)c->counters.bytes_in,
                        (unsigned long long)c->counters.packets_in,
                        (unsigned long long)c->counters.bytes_out,
                        (unsigned long long)c->counters.packets_out, c->proposal);
        }
    }
}

static const char *jstr(json_object *o, const char *k, const char *def)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : def;
}

static void text_routes(FILE *out, json_object *doc)
{
    json_object *sites, *paths;
    size_t shown = 0;

    if (!json_object_object_get_ex(doc, "sites", &sites) || !json_object_array_length(sites)) {
        fprintf(out, "no routed sites (tunneld.routes.sites is empty)\n");
        return;
    }
    fprintf(out, "table %s, protocol %s\n", jstr(doc, "table", "?"), jstr(doc, "protocol", "?"));
    fprintf(out, "%-16s %-14s %-12s %-16s %-5s %-3s %-7s %s\n", "SITE", "PATH", "DEV", "GATEWAY",
            "PRIO", "W", "USABLE", "CHILD_SA");
    for (size_t i = 0; i < json_object_array_length(sites); i++) {
        json_object *site = json_object_array_get_idx(sites, i);
        if (!json_object_object_get_ex(site, "paths", &paths))
            continue;
        for (size_t j = 0; j < json_object_array_length(paths); j++) {
            json_object *p = json_object_array_get_idx(paths, j), *u;
            const char *usable = "?";
            char child[160] = "-";
            if (json_object_object_get_ex(p, "usable", &u) && u)
                usable = json_object_get_boolean(u) ? "yes" : "no";
            if (strcmp(jstr(p, "child", "-"), "-") != 0)
                snprintf(child, sizeof(child), "%s (%s)", jstr(p, "child", "-"),
                         strcmp(jstr(p, "child_up", "false"), "true") == 0 ? "up" : "down");
            fprintf(out, "%-16s %-14s %-12s %-16s %-5s %-3s %-7s %s\n",
                    j ? "" : jstr(site, "name", "?"), jstr(p, "name", "?"), jstr(p, "dev", "-"),
                    jstr(p, "gateway4", jstr(p, "gateway6", "-")), jstr(p, "priority", "?"),
                    jstr(p, "weight", "?"), usable, child);
            shown++;
        }
    }
    if (!shown)
        fprintf(out, "no paths\n");
}

const struct output output_text = {.sa = text_sa, .routes = text_routes};
