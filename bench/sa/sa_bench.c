/*
 * sa_bench: heap memory per SA table row, with the records' texts as heap
 * strings of their own size, against the fixed-size records they replaced
 * (identities in 128 bytes, traffic selectors, proposals and details in
 * 256, addresses in 64; a value that did not fit was cut), measured in the
 * same run. Three places hold rows: the table itself (tunneld), a snapshot
 * (the control socket and the route glue take one per request or state
 * change) and the rows tunnelctl parses from a reply.
 *
 *   sa_bench [N]   (default 1000 connections of one child each)
 *
 * Two kinds of rows: "typical" (an IPv4 site: addresses as identities, one
 * subnet each side, a negotiated proposal, a short down detail) and "long"
 * (30 selectors each side, identities of about 320 bytes, a detail naming
 * two of them; the fixed records could not hold these and cut them). The
 * fixed records are allocated as the table allocated them (a row array, a
 * child array of 4 per connection and its side array). Heap use is read
 * with mallinfo2() before and after; nothing is timed.
 *
 * Threading: one thread.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sa_json.h"
#include "sa_table.h"

/* the records as they were (commit 4f43745, sa_table.h and sa_table_priv.h) */
typedef struct {
    char name[64];
    uint32_t unique_id, state, reqid, if_id_in, if_id_out, spi_in, spi_out;
    char local_ts[256], remote_ts[256], proposal[256];
    time_t established;
    uint32_t rekeys;
    sa_counters_t counters;
    uint32_t last_down;
    char last_down_detail[256];
    time_t last_down_time;
} fixed_child_t;

typedef struct {
    char name[64];
    uint32_t unique_id, state;
    char local_addr[64], remote_addr[64], local_id[128], remote_id[128], proposal[256];
    time_t established;
    uint32_t rekeys, last_down;
    char last_down_detail[256];
    time_t last_down_time;
    size_t n_children;
    fixed_child_t *children;
} fixed_ike_t;

typedef struct {
    fixed_ike_t rec;
    uint32_t *priv;
    size_t cap_children;
    uint32_t rekeyed_from, pending, pending_uid;
    char pending_detail[256];
} fixed_row_t;

#define CHILDREN_CAP 4 /* the table's first child array */

/* bytes in use: small chunks and mmapped large ones */
static size_t heap_used(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

/* the texts of one kind of row */
typedef struct {
    const char *name;
    char *laddr, *raddr, *lid, *rid, *ike_prop, *lts, *rts, *child_prop, *detail;
} kind_t;

static char *ts_list(int octet, int n)
{
    char *s = malloc((size_t)n * 20 + 1), *p = s;

    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s100.64.%d.%d/%d", i ? "," : "", octet, n > 1 ? i * 8 : 0,
                     n > 1 ? 29 : 24);
    return s;
}

static char *repeat(const char *head, char c, size_t n, const char *tail)
{
    size_t h = strlen(head), t = strlen(tail);
    char *s = malloc(h + n + t + 1);

    memcpy(s, head, h);
    memset(s + h, c, n);
    memcpy(s + h + n, tail, t + 1);
    return s;
}

static kind_t typical(void)
{
    return (kind_t){
        .name = "typical",
        .laddr = strdup("198.51.100.1"),
        .raddr = strdup("203.0.113.10"),
        .lid = strdup("198.51.100.1"),
        .rid = strdup("203.0.113.10"),
        .ike_prop = strdup("AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024"),
        .lts = ts_list(1, 1),
        .rts = ts_list(2, 1),
        .child_prop = strdup("AES_GCM_16_256"),
        .detail = strdup("peer stopped answering (DPD/retransmit timeout)"),
    };
}

static kind_t long_values(void)
{
    return (kind_t){
        .name = "long",
        .laddr = strdup("198.51.100.1"),
        .raddr = strdup("203.0.113.10"),
        .lid = repeat("C=US, O=Contoso Sensors ", 'q', 280, ", CN=gateway.sensors.example"),
        .rid = repeat("", 'q', 290, ".azure.example"),
        .ike_prop = strdup("AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024"),
        .lts = ts_list(1, 30),
        .rts = ts_list(2, 30),
        .child_prop = strdup("AES_GCM_16_256"),
        .detail = repeat("the peer presented identity '", 'q', 600, "', remote.id requires '*.x'"),
    };
}

static void kind_free(kind_t *k)
{
    char *all[] = {k->laddr, k->raddr, k->lid,        k->rid,   k->ike_prop,
                   k->lts,   k->rts,   k->child_prop, k->detail};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        free(all[i]);
}

/* the table with n connections of kind k (each up, its child down once) */
static sa_table_t *fill(size_t n, const kind_t *k)
{
    sa_table_t *t = sa_table_create();
    const char *children[] = {"net"};

    for (size_t i = 0; i < n; i++) {
        sa_ike_rec_t r = {.unique_id = (uint32_t)i + 1, .state = SA_STATE_ESTABLISHED};
        sa_child_rec_t c = {.unique_id = (uint32_t)i + 1, .state = SA_STATE_ESTABLISHED};
        snprintf(r.name, sizeof(r.name), "site-%zu", i);
        snprintf(c.name, sizeof(c.name), "net");
        r.local_addr = k->laddr;
        r.remote_addr = k->raddr;
        r.local_id = k->lid;
        r.remote_id = k->rid;
        r.proposal = k->ike_prop;
        c.local_ts = k->lts;
        c.remote_ts = k->rts;
        c.proposal = k->child_prop;
        sa_table_conn_loaded(t, r.name, children, 1);
        sa_table_ike_update(t, &r);
        sa_table_child_update(t, r.name, &c);
        sa_table_child_down(t, r.name, r.unique_id, "net", c.unique_id, SA_REASON_DPD_TIMEOUT,
                            k->detail);
        sa_table_child_update(t, r.name, &c);
    }
    return t;
}

/* the row array's capacity for n rows (doubling from 8, as the table grows it) */
static size_t row_cap(size_t n)
{
    size_t cap = 8;

    while (cap < n)
        cap *= 2;
    return cap;
}

/* the fixed records as the table held them: rows, 4 children and their side array each */
static size_t fixed_table(size_t n)
{
    size_t before = heap_used();
    fixed_row_t *rows = calloc(row_cap(n), sizeof(*rows));

    for (size_t i = 0; i < n; i++) {
        rows[i].rec.children = calloc(CHILDREN_CAP, sizeof(fixed_child_t));
        rows[i].priv = calloc(CHILDREN_CAP, sizeof(uint32_t));
    }
    size_t used = heap_used() - before;
    for (size_t i = 0; i < n; i++) {
        free(rows[i].rec.children);
        free(rows[i].priv);
    }
    free(rows);
    return used;
}

/* a snapshot or parsed rows of the fixed records: a row array, one child each */
static size_t fixed_rows(size_t n)
{
    size_t before = heap_used();
    fixed_ike_t *rows = calloc(n, sizeof(*rows));

    for (size_t i = 0; i < n; i++)
        rows[i].children = calloc(1, sizeof(fixed_child_t));
    size_t used = heap_used() - before;
    for (size_t i = 0; i < n; i++)
        free(rows[i].children);
    free(rows);
    return used;
}

static void line(const char *what, const kind_t *k, size_t n, size_t fixed, size_t heap)
{
    printf("%-9s %-8s %10.0f %10.0f %8.2f\n", what, k->name, (double)fixed / n, (double)heap / n,
           (double)heap / fixed);
}

static void measure(size_t n, const kind_t *k)
{
    size_t before = heap_used();
    sa_table_t *t = fill(n, k);
    size_t table = heap_used() - before;
    sa_ike_rec_t *rows, *parsed;
    char *err;

    before = heap_used();
    size_t m = sa_table_snapshot(t, &rows);
    size_t snap = heap_used() - before;
    json_object *doc = sa_json_render(rows, m);
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    before = heap_used();
    long p = sa_json_parse_text(text, strlen(text), &parsed, &err);
    size_t parse = heap_used() - before;
    if (p != (long)n || m != n) {
        fprintf(stderr, "sa_bench: %s: %zu rows in the snapshot, %ld parsed (%s)\n", k->name, m, p,
                err ? err : "");
        exit(1);
    }
    line("table", k, n, fixed_table(n), table);
    line("snapshot", k, n, fixed_rows(n), snap);
    line("parsed", k, n, fixed_rows(n), parse);
    sa_table_snapshot_free(parsed, (size_t)p);
    json_object_put(doc);
    sa_table_snapshot_free(rows, m);
    sa_table_destroy(t);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
    kind_t kinds[] = {typical(), long_values()};

    if (n == 0) {
        fprintf(stderr, "usage: sa_bench [N > 0]\n");
        return 2;
    }
    if (fixed_rows(1) == 0) {
        fprintf(stderr, "sa_bench: mallinfo2() sees no allocations (a sanitizer build?): "
                        "run the RelWithDebInfo build's sa_bench\n");
        return 1;
    }
    printf("heap bytes per connection (one child), %zu connections\n", n);
    printf("%-9s %-8s %10s %10s %8s\n", "where", "rows", "fixed", "heap", "ratio");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        measure(n, &kinds[i]);
        kind_free(&kinds[i]);
    }
    printf("(fixed: the records before; their long rows were cut at 128/256 bytes)\n");
    return 0;
}
