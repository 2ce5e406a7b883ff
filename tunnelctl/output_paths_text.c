/*
 * output_paths_text: `tunnelctl paths` for people. One table of paths
 * (site, path, state, since, BFD, loss/RTT/jitter, SA, why), then per site
 * its active path(s), each path's details (BFD discriminators and
 * negotiated intervals, echo counts, dampening, link) and its last
 * decisions. Every string from the socket goes through text_escape.
 *
 * Threading: single-threaded (tunnelctl).
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "text_escape.h"
#include "text_time.h"

/* "5s", "3m", "2h05m" since a wall time; "-" for 0 (never) */
static void fmt_age(char *buf, size_t len, int64_t since)
{
    int64_t now = (int64_t)time(NULL);

    if (!since) {
        snprintf(buf, len, "-");
        return;
    }
    long long s = since < now ? (long long)(now - since) : 0; /* both >= 0: no overflow */
    if (s < 120)
        snprintf(buf, len, "%llds", s);
    else if (s < 7200)
        snprintf(buf, len, "%lldm", s / 60);
    else
        snprintf(buf, len, "%lldh%02lldm", s / 3600, (s / 60) % 60);
}

/* "12.5%", "0%", "1.23ms" (at most two decimals, trailing zeros cut), "?" when unknown */
static void fmt_num(char *buf, size_t len, double v, const char *unit)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "?");
        return;
    }
    if (v >= 1e9 || v <= -1e9) {
        snprintf(buf, len, "%.3g%s", v, unit);
        return;
    }
    int n = snprintf(buf, len, "%.2f", v); /* under 1e9: a dozen characters */
    while (n > 1 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 1 && buf[n - 1] == '.')
        buf[--n] = '\0';
    snprintf(buf + n, len - (size_t)n, "%s", unit);
}

/* microseconds as "300ms" or "1500us" */
static void fmt_us(char *buf, size_t len, uint32_t us)
{
    if (us % 1000 == 0)
        snprintf(buf, len, "%ums", us / 1000);
    else
        snprintf(buf, len, "%uus", us);
}

static void put_echo_cols(FILE *out, const struct paths_echo *e)
{
    char loss[48] = "-", rtt[48] = "-", jit[48] = "-";

    if (e->configured && !e->valid) {
        strcpy(loss, "wait");
        strcpy(rtt, "wait");
        strcpy(jit, "wait");
    } else if (e->configured) {
        fmt_num(loss, sizeof(loss), e->loss_pct, "%");
        fmt_num(rtt, sizeof(rtt), e->rtt_avg_ms, "ms");
        fmt_num(jit, sizeof(jit), e->jitter_ms, "ms");
    }
    fprintf(out, " %-7s %-9s %-9s", loss, rtt, jit);
}

static const char *sa_col(const struct paths_sa *s)
{
    if (!s->child)
        return "-";
    return s->has_state ? sa_state_name(s->state) : "?";
}

static void put_row(FILE *out, const char *site, const struct paths_path *p)
{
    char age[48];

    text_field(out, site, 16);
    fputc(' ', out);
    text_field(out, p->name, 14);
    fmt_age(age, sizeof(age), p->since);
    fprintf(out, " %-10s %-8s %-10s", paths_state_name(p->state), age,
            p->bfd.configured ? paths_bfd_state_name(p->bfd.state) : "-");
    put_echo_cols(out, &p->echo);
    fprintf(out, " %-12s ", sa_col(&p->sa));
    text_put(out, p->reason && p->reason[0] ? p->reason : "-");
    fputc('\n', out);
}

static void put_table(FILE *out, const struct paths_doc *doc)
{
    fprintf(out, "%-16s %-14s %-10s %-8s %-10s %-7s %-9s %-9s %-12s %s\n", "SITE", "PATH", "STATE",
            "SINCE", "BFD", "LOSS", "RTT", "JITTER", "SA", "WHY");
    for (size_t i = 0; i < doc->n_sites; i++) {
        const struct paths_site *s = &doc->sites[i];
        if (!s->n_paths) {
            text_field(out, s->name, 16);
            fputs(" (no paths)\n", out);
        }
        for (size_t j = 0; j < s->n_paths; j++)
            put_row(out, j ? "" : s->name, &s->paths[j]);
    }
}

static void put_bfd(FILE *out, const struct paths_bfd *b)
{
    char tx[32], rx[32], det[32], age[48];

    if (!b->configured)
        return;
    fmt_us(tx, sizeof(tx), b->tx_interval_us);
    fmt_us(rx, sizeof(rx), b->rx_interval_us);
    fmt_us(det, sizeof(det), b->detect_time_us);
    fmt_age(age, sizeof(age), b->last_change);
    fputs("      bfd ", out);
    text_put(out, b->remote);
    fprintf(out,
            " %s: %s, discriminators local %u remote %u, tx %s rx %s detect %s, remote "
            "multiplier %u, diag local %u (%s) remote %u (%s), changed %s%s\n",
            b->multihop ? "multihop" : "single hop", paths_bfd_state_name(b->state), b->local_disc,
            b->remote_disc, tx, rx, det, b->remote_multiplier, b->local_diag,
            paths_diag_name(b->local_diag), b->remote_diag, paths_diag_name(b->remote_diag), age,
            b->last_change ? " ago" : "");
    if (b->rx_dropped && b->min_ttl)
        fprintf(out,
                "        %" PRIu64 " packets dropped by our checks (a TTL below %u, or a wrong "
                "address or interface; the log names the first TTL drop)\n",
                b->rx_dropped, b->min_ttl);
    else if (b->rx_dropped)
        fprintf(out, "        %" PRIu64 " packets dropped by our checks (the log says why)\n",
                b->rx_dropped);
}

static void put_echo(FILE *out, const struct paths_echo *e)
{
    char loss[48], rtt[48], jit[48];

    if (!e->configured)
        return;
    fmt_num(loss, sizeof(loss), e->loss_pct, "%");
    fmt_num(rtt, sizeof(rtt), e->rtt_avg_ms, "ms");
    fmt_num(jit, sizeof(jit), e->jitter_ms, "ms");
    fprintf(out, "      echo %s ", paths_echo_type_name(e->type));
    text_put(out, e->target);
    fprintf(out, ": %u sent, %u answered, %u lost in a row, loss %s rtt %s jitter %s%s\n",
            e->samples, e->received, e->lost_in_row, loss, rtt, jit,
            e->valid ? "" : " (too few samples for a verdict)");
}

static void put_kind(FILE *out, const struct paths_path *p)
{
    fprintf(out, "    ");
    text_put(out, p->name);
    fprintf(out, ": %s", paths_type_name(p->type));
    if (p->routing != PATHS_ROUTING_NONE)
        fprintf(out, " %s", paths_routing_name(p->routing));
    if (p->provider) {
        fputs(" (", out);
        text_put(out, p->provider);
        fputc(')', out);
    }
    fputs(", dev ", out);
    text_put(out, p->dev);
    fprintf(out, ", priority %u weight %u", p->priority, p->weight);
    if (p->sa.child) {
        fputs(", child ", out);
        text_put(out, p->sa.child);
        fprintf(out, " (%s)", sa_col(&p->sa));
    }
    fputc('\n', out);
}

static void put_details(FILE *out, const struct paths_path *p)
{
    char pen[48];

    put_kind(out, p);
    fmt_num(pen, sizeof(pen), p->penalty, "");
    fprintf(out, "      %s, %s, carrier %s, next hop %s, probe mark 0x%x, penalty %s, flaps %u",
            p->active ? "active" : "not active", p->eligible ? "eligible" : "not eligible",
            p->carrier == PATHS_NULL   ? "?"
            : p->carrier == PATHS_TRUE ? "up"
                                       : "down",
            p->next_hop == PATHS_NH_NONE ? "-" : paths_next_hop_name(p->next_hop), p->probe_mark,
            pen, p->flaps);
    if (p->good_remaining_ms)
        fprintf(out, ", good time left %llums", (unsigned long long)p->good_remaining_ms);
    fputc('\n', out);
    put_bfd(out, &p->bfd);
    put_echo(out, &p->echo);
    output_paths_app_text(out, p);
}

static void put_active(FILE *out, const struct paths_site *s)
{
    fputs("site ", out);
    text_put(out, s->name);
    fputs(": active ", out);
    for (size_t i = 0; i < s->n_active; i++) {
        if (i)
            fputs(", ", out);
        text_put(out, s->active[i]);
    }
    if (!s->n_active)
        fputs(s->fail_mode == PATHS_FAIL_CLOSED ? "none (fail-closed: traffic blackholed)" : "none",
              out);
    fprintf(out, "; when all down %s", paths_fail_mode_name(s->fail_mode));
    if (s->pinned) {
        fputs("; pinned to ", out);
        text_put(out, s->pinned);
    }
    fputc('\n', out);
}

static void put_site(FILE *out, const struct paths_site *s)
{
    char when[TEXT_TIME_LEN];

    fputc('\n', out);
    put_active(out, s);
    for (size_t i = 0; i < s->n_paths; i++)
        put_details(out, &s->paths[i]);
    output_paths_checks_text(out, s);
    fputs(s->n_events ? "  decisions (oldest first):\n" : "  decisions: none yet\n", out);
    for (size_t i = 0; i < s->n_events; i++) {
        text_utc(when, s->events[i].time);
        fprintf(out, "    %s ", when);
        text_put(out, s->events[i].text);
        fputc('\n', out);
    }
}

void output_paths_text(FILE *out, const struct paths_doc *doc)
{
    output_paths_posture_text(out, doc);
    if (!doc->n_sites)
        fputs(doc->n_problems ? "no sites\n" : "no sites (tunneld.sites is empty)\n", out);
    else
        put_table(out, doc);
    for (size_t i = 0; i < doc->n_sites; i++)
        put_site(out, &doc->sites[i]);
    for (size_t i = 0; i < doc->n_problems; i++) {
        fputs("problem: ", out);
        text_put(out, doc->problems[i]);
        fputc('\n', out);
    }
}
