/*
 * Unit tests of the paths document: tunneld's renderer (paths_json_render)
 * read back by tunnelctl's strict parser (paths_json_parse) field by field,
 * tunnelctl's -j writer against the renderer, the numbers (jr_double, the
 * decimal form of both writers), the words and the errors that name a key.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_reader.h"
#include "json_writer.h"
#include "output.h"
#include "paths_json.h"

static const char *active_a[] = {"er-cmr", "er-2"};

static struct paths_event events_a[] = {
    {1714564805, "site a: none -> er-cmr (er-cmr: up)"},
    {INT64_MAX, "site a: er-cmr -> er-cmr, er-2 (er-2: up) \x1b[2J %s"},
};

static void fill_er(struct paths_path *p)
{
    memset(p, 0, sizeof(*p));
    p->name = "er-cmr";
    p->type = PATHS_TYPE_EXPRESSROUTE;
    p->routing = PATHS_ROUTING_EXCHANGE_PROVIDER;
    p->provider = "Megaport";
    p->dev = "er0";
    p->priority = UINT32_MAX;
    p->weight = 255;
    p->state = HL_PATH_SUPPRESSED;
    p->reason = "dampened: penalty 3001 >= 3000";
    p->eligible = false;
    p->active = true;
    p->since = 1714564805;
    p->good_remaining_ms = UINT64_MAX;
    p->penalty = 3001.25;
    p->flaps = UINT32_MAX;
    p->carrier = PATHS_FALSE;
    p->next_hop = PATHS_NH_FAILED;
    p->probe_mark = 0x80000001u;
    p->bfd = (struct paths_bfd){.configured = true,
                                .remote = "2001:db8::2",
                                .multihop = true,
                                .state = HL_BFD_ADMIN_DOWN,
                                .local_diag = 7,
                                .remote_diag = 31,
                                .local_disc = UINT32_MAX,
                                .remote_disc = 0,
                                .tx_interval_us = 20000,
                                .rx_interval_us = 1500,
                                .detect_time_us = UINT32_MAX,
                                .remote_multiplier = 255,
                                .last_change = 0,
                                .min_ttl = 254,
                                .rx_dropped = UINT64_MAX,
                                .has_rx_dropped = true};
    p->echo = (struct paths_echo){.configured = true,
                                  .type = PATHS_ECHO_UDP,
                                  .target = "198.51.100.7",
                                  .valid = true,
                                  .loss_pct = 100,
                                  .rtt_avg_ms = NAN,
                                  .jitter_ms = 0.125,
                                  .samples = 10,
                                  .received = 0,
                                  .lost_in_row = 12};
}

static void fill_vpn(struct paths_path *p)
{
    memset(p, 0, sizeof(*p));
    p->name = "vpn";
    p->type = PATHS_TYPE_VPN;
    p->dev = "xfrm1";
    p->priority = 0;
    p->weight = 1;
    p->state = HL_PATH_INIT;
    p->reason = "";
    p->carrier = PATHS_NULL;
    p->next_hop = PATHS_NH_NONE;
    p->sa =
        (struct paths_sa){.child = "azure.sensors", .has_state = true, .state = SA_STATE_REKEYING};
}

static struct paths_path paths_a[3];
static struct paths_site sites[2];
static const char *problems[] = {"health: echo 203.0.113.9: socket: Operation not permitted"};

/* issue 10: strings with %, quotes, control bytes, backslashes and UTF-8 (arrows) */
static const char *via_a[] = {"dmz-proxy", "azure\u2192proxy \"%s\" \x01\x1b[2J"};
static const char *subnets_a[] = {"100.64.10.0/24", "100.64.11.0/25"};
static struct paths_group groups_a[] = {
    {.name = "line1", .legacy = false, .subnets = subnets_a, .n_subnets = 2},
    {.name = "line2 %n \"q\"",
     .proxy = "dmz-proxy:3128",
     .via = via_a,
     .n_via = 2,
     .subnets = subnets_a,
     .n_subnets = 1},
    {.name = "old", .legacy = true},
};
static struct paths_check checks_a[] = {
    {.group = "line1",
     .path = "er-cmr",
     .endpoint = "sensor.blob.core.windows.net:443",
     .verdict = PATHS_V_PASS,
     .at = 1714564805,
     .connect_ms = 0,
     .proxy_ms = -1,
     .tls_ms = 14,
     .tls_version = "TLSv1.3",
     .cipher = "TLS_AES_256_GCM_SHA384",
     .cipher_bits = 256,
     .cert_subject = "CN=sensor.blob.core.windows.net",
     .cert_issuer = "CN=CA \u00e9",
     .cert_not_after = -631152000},
    {.group = "line2 %n \"q\"",
     .path = "vpn",
     .endpoint = "ns1.servicebus.windows.net:443",
     .verdict = PATHS_V_FAIL,
     .phase = PATHS_PH_PROXY,
     .fault = PATHS_FAULT_SERVICE,
     .reason = "dmz-proxy \u2192 azure-proxy: 503 ERR_CONNECT_FAIL \"%s%n\" \x07\x7f \\",
     .at = INT64_MAX,
     .connect_ms = INT64_MAX,
     .proxy_ms = 1002,
     .tls_ms = -1,
     .proxy_status = 503,
     .proxy_line = "HTTP/1.1 503 Service Unavailable",
     .proxy_hop = "azure-proxy",
     .proxy_error = "ERR_CONNECT_FAIL 111",
     .cipher_bits = UINT32_MAX,
     .cert_not_after = INT64_MIN},
    {.group = "old",
     .path = "vpn",
     .endpoint = "hub.azure-devices.net:8883",
     .verdict = PATHS_V_WARN,
     .phase = PATHS_PH_NONE,
     .fault = PATHS_FAULT_NONE,
     .reason = "certificate expires in 5 days",
     .connect_ms = -1,
     .proxy_ms = -1,
     .tls_ms = -1},
    {.group = "old",
     .path = "er-cmr",
     .endpoint = "hub.azure-devices.net:443",
     .verdict = PATHS_V_FAIL,
     .phase = PATHS_PH_POLICY,
     .fault = PATHS_FAULT_PATH,
     .reason = "cipher AES128-GCM-SHA256 is not AES-256",
     .connect_ms = 3,
     .proxy_ms = -1,
     .tls_ms = 9},
    {.group = "old",
     .path = "er-2",
     .endpoint = "x:1",
     .verdict = PATHS_V_PENDING,
     .connect_ms = -1,
     .proxy_ms = -1,
     .tls_ms = -1},
};

static void fill_doc(struct paths_doc *doc)
{
    fill_er(&paths_a[0]);
    fill_vpn(&paths_a[1]);
    fill_er(&paths_a[2]);
    paths_a[2].name = "er-2";
    paths_a[2].bfd.configured = false;
    paths_a[2].echo.configured = false;
    paths_a[2].state = HL_PATH_UP;
    paths_a[2].routing = PATHS_ROUTING_CUSTOMER_MANAGED;
    paths_a[2].provider = NULL;
    paths_a[2].carrier = PATHS_TRUE;
    paths_a[2].next_hop = PATHS_NH_OK;
    paths_a[2].penalty = 0;
    paths_a[0].app_ok = PATHS_FALSE;
    paths_a[0].app_reason = "old hub.azure-devices.net:443: cipher \u2192 %s \"AES128\" \x1b[1A";
    paths_a[1].app_ok = PATHS_TRUE;
    paths_a[2].app_ok = PATHS_NULL;
    sites[0] = (struct paths_site){.name = "a",
                                   .active = active_a,
                                   .n_active = 2,
                                   .fail_mode = PATHS_FAIL_KEEP_LAST,
                                   .pinned = "er-cmr",
                                   .events = events_a,
                                   .n_events = 2,
                                   .paths = paths_a,
                                   .n_paths = 3,
                                   .groups = groups_a,
                                   .n_groups = 3,
                                   .checks = checks_a,
                                   .n_checks = sizeof(checks_a) / sizeof(checks_a[0])};
    sites[1] = (struct paths_site){.name = "empty", .fail_mode = PATHS_FAIL_CLOSED};
    *doc = (struct paths_doc){.sites = sites,
                              .n_sites = 2,
                              .problems = problems,
                              .n_problems = 1,
                              .posture = {PATHS_POSTURE_NOT_ENFORCED,
                                          "a new connection from Azure \u2192 sensors %s \x1b"},
                              .checks_last_round = 1714564805,
                              .checks_rounds = UINT64_MAX};
}

static void assert_same_double(double a, double b)
{
    if (isnan(a) || isnan(b)) {
        assert_true(isnan(a) && isnan(b));
        return;
    }
    assert_true(fabs(a - b) < 0.0005);
}

static void assert_same_str(const char *a, const char *b)
{
    if (!a || !b) {
        assert_ptr_equal(a, b);
        return;
    }
    assert_string_equal(a, b);
}

static void assert_same_path(const struct paths_path *a, const struct paths_path *b)
{
    assert_same_str(a->name, b->name);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->routing, b->routing);
    assert_same_str(a->provider, b->provider);
    assert_same_str(a->dev, b->dev);
    assert_int_equal(a->priority, b->priority);
    assert_int_equal(a->weight, b->weight);
    assert_int_equal(a->state, b->state);
    assert_same_str(a->reason, b->reason);
    assert_int_equal(a->eligible, b->eligible);
    assert_int_equal(a->active, b->active);
    assert_true(a->since == b->since);
    assert_true(a->good_remaining_ms == b->good_remaining_ms);
    assert_same_double(a->penalty, b->penalty);
    assert_int_equal(a->flaps, b->flaps);
    assert_int_equal(a->carrier, b->carrier);
    assert_int_equal(a->next_hop, b->next_hop);
    assert_int_equal(a->probe_mark, b->probe_mark);
    assert_int_equal(a->bfd.configured, b->bfd.configured);
    if (a->bfd.configured) {
        assert_same_str(a->bfd.remote, b->bfd.remote);
        assert_int_equal(a->bfd.multihop, b->bfd.multihop);
        assert_int_equal(a->bfd.state, b->bfd.state);
        assert_int_equal(a->bfd.local_diag, b->bfd.local_diag);
        assert_int_equal(a->bfd.remote_diag, b->bfd.remote_diag);
        assert_int_equal(a->bfd.local_disc, b->bfd.local_disc);
        assert_int_equal(a->bfd.remote_disc, b->bfd.remote_disc);
        assert_int_equal(a->bfd.tx_interval_us, b->bfd.tx_interval_us);
        assert_int_equal(a->bfd.rx_interval_us, b->bfd.rx_interval_us);
        assert_int_equal(a->bfd.detect_time_us, b->bfd.detect_time_us);
        assert_int_equal(a->bfd.remote_multiplier, b->bfd.remote_multiplier);
        assert_true(a->bfd.last_change == b->bfd.last_change);
        assert_int_equal(a->bfd.min_ttl, b->bfd.min_ttl);
        assert_true(a->bfd.rx_dropped == b->bfd.rx_dropped);
        assert_int_equal(a->bfd.has_rx_dropped, b->bfd.has_rx_dropped);
    }
    assert_int_equal(a->echo.configured, b->echo.configured);
    if (a->echo.configured) {
        assert_int_equal(a->echo.type, b->echo.type);
        assert_same_str(a->echo.target, b->echo.target);
        assert_int_equal(a->echo.valid, b->echo.valid);
        assert_same_double(a->echo.loss_pct, b->echo.loss_pct);
        assert_same_double(a->echo.rtt_avg_ms, b->echo.rtt_avg_ms);
        assert_same_double(a->echo.jitter_ms, b->echo.jitter_ms);
        assert_int_equal(a->echo.samples, b->echo.samples);
        assert_int_equal(a->echo.received, b->echo.received);
        assert_int_equal(a->echo.lost_in_row, b->echo.lost_in_row);
    }
    assert_same_str(a->sa.child, b->sa.child);
    assert_int_equal(a->sa.has_state, b->sa.has_state);
    if (a->sa.has_state)
        assert_int_equal(a->sa.state, b->sa.state);
    assert_int_equal(a->app_ok, b->app_ok);
    assert_same_str(a->app_reason, b->app_reason);
}

static void assert_same_strings(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++)
        assert_same_str(a[i], b[i]);
}

static void assert_same_check(const struct paths_check *a, const struct paths_check *b)
{
    assert_same_str(a->group, b->group);
    assert_same_str(a->path, b->path);
    assert_same_str(a->endpoint, b->endpoint);
    assert_int_equal(a->verdict, b->verdict);
    assert_int_equal(a->phase, b->phase);
    assert_int_equal(a->fault, b->fault);
    assert_same_str(a->reason, b->reason);
    assert_true(a->at == b->at);
    assert_true(a->connect_ms == b->connect_ms);
    assert_true(a->proxy_ms == b->proxy_ms);
    assert_true(a->tls_ms == b->tls_ms);
    assert_int_equal(a->proxy_status, b->proxy_status);
    assert_same_str(a->proxy_line, b->proxy_line);
    assert_same_str(a->proxy_hop, b->proxy_hop);
    assert_same_str(a->proxy_error, b->proxy_error);
    assert_same_str(a->tls_version, b->tls_version);
    assert_same_str(a->cipher, b->cipher);
    assert_int_equal(a->cipher_bits, b->cipher_bits);
    assert_same_str(a->cert_subject, b->cert_subject);
    assert_same_str(a->cert_issuer, b->cert_issuer);
    assert_true(a->cert_not_after == b->cert_not_after);
}

static void assert_same_checks(const struct paths_site *x, const struct paths_site *y)
{
    assert_int_equal(x->n_groups, y->n_groups);
    for (size_t j = 0; j < x->n_groups; j++) {
        const struct paths_group *a = &x->groups[j], *b = &y->groups[j];
        assert_same_str(a->name, b->name);
        assert_int_equal(a->legacy, b->legacy);
        assert_same_str(a->proxy, b->proxy);
        assert_same_strings(a->via, a->n_via, b->via, b->n_via);
        assert_same_strings(a->subnets, a->n_subnets, b->subnets, b->n_subnets);
    }
    assert_int_equal(x->n_checks, y->n_checks);
    for (size_t j = 0; j < x->n_checks; j++)
        assert_same_check(&x->checks[j], &y->checks[j]);
}

static void assert_same_doc(const struct paths_doc *a, const struct paths_doc *b)
{
    assert_int_equal(a->n_sites, b->n_sites);
    for (size_t i = 0; i < a->n_sites; i++) {
        const struct paths_site *x = &a->sites[i], *y = &b->sites[i];
        assert_same_str(x->name, y->name);
        assert_int_equal(x->fail_mode, y->fail_mode);
        assert_same_str(x->pinned, y->pinned);
        assert_int_equal(x->n_active, y->n_active);
        for (size_t j = 0; j < x->n_active; j++)
            assert_same_str(x->active[j], y->active[j]);
        assert_int_equal(x->n_events, y->n_events);
        for (size_t j = 0; j < x->n_events; j++) {
            assert_true(x->events[j].time == y->events[j].time);
            assert_same_str(x->events[j].text, y->events[j].text);
        }
        assert_int_equal(x->n_paths, y->n_paths);
        for (size_t j = 0; j < x->n_paths; j++)
            assert_same_path(&x->paths[j], &y->paths[j]);
        assert_same_checks(x, y);
    }
    assert_int_equal(a->n_problems, b->n_problems);
    for (size_t i = 0; i < a->n_problems; i++)
        assert_same_str(a->problems[i], b->problems[i]);
    assert_int_equal(a->posture.state, b->posture.state);
    assert_same_str(a->posture.reason, b->posture.reason);
    assert_true(a->checks_last_round == b->checks_last_round);
    assert_true(a->checks_rounds == b->checks_rounds);
}

/* what tunneld renders, tunnelctl reads back whole, every field */
static void test_render_parse(void **state)
{
    struct paths_doc doc, back;
    char *err = NULL;

    (void)state;
    fill_doc(&doc);
    json_object *o = paths_json_render(&doc);
    assert_non_null(o);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
    if (paths_json_parse(text, strlen(text), &back, &err) != 0)
        fail_msg("rendered document refused: %s\n%s", err ? err : "(no memory)", text);
    assert_same_doc(&doc, &back);
    paths_doc_free(&back);
    json_object_put(o);
}

/* tunnelctl -j writes the very document tunneld renders, and it parses back */
static void test_writer_matches_render(void **state)
{
    struct paths_doc doc, again;
    char *err = NULL, *buf = NULL;
    size_t len = 0;

    (void)state;
    fill_doc(&doc);
    /* both read from their text: a number's type is what its text says */
    json_object *tree = paths_json_render(&doc);
    json_object *rendered = json_tokener_parse(json_object_to_json_string(tree));
    json_object_put(tree);
    assert_non_null(rendered);
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    output_json.paths(f, &doc);
    fclose(f);
    json_object *written = json_tokener_parse(buf);
    assert_non_null(written);
    if (!json_object_equal(written, rendered)) {
        /* whole (fail_msg cuts long messages) */
        fprintf(stderr, "-j output differs from tunneld's: %s\nvs %s\n", buf,
                json_object_to_json_string(rendered));
        fail();
    }
    assert_int_equal(paths_json_parse(buf, len, &again, &err), 0);
    assert_same_doc(&doc, &again);
    paths_doc_free(&again);
    json_object_put(written);
    json_object_put(rendered);
    free(buf);
}

/* tunneld's rendering parsed and rendered again is the same text, byte for byte */
static void test_render_parse_render(void **state)
{
    struct paths_doc doc, back;
    char *err = NULL;

    (void)state;
    fill_doc(&doc);
    json_object *o = paths_json_render(&doc);
    assert_non_null(o);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    if (paths_json_parse(text, strlen(text), &back, &err) != 0)
        fail_msg("rendered document refused: %s", err ? err : "(no memory)");
    json_object *again = paths_json_render(&back);
    assert_non_null(again);
    const char *text2 = json_object_to_json_string_ext(again, JSON_C_TO_STRING_PLAIN);
    if (strcmp(text, text2) != 0) {
        fprintf(stderr, "first:  %s\nsecond: %s\n", text, text2);
        fail();
    }
    /* the hostile strings came back whole */
    assert_string_equal(back.sites[0].checks[1].reason, checks_a[1].reason);
    assert_string_equal(back.sites[0].groups[1].via[1], via_a[1]);
    assert_string_equal(back.posture.reason, doc.posture.reason);
    json_object_put(again);
    paths_doc_free(&back);
    json_object_put(o);
}

/* the rendered document with the issue 10 keys removed, as version want */
static char *older_doc(int want, bool version_last)
{
    static const char *const site_keys[] = {"groups", "checks"};
    static const char *const path_keys[] = {"app_ok", "app_reason"};
    struct paths_doc doc;

    fill_doc(&doc);
    json_object *o = paths_json_render(&doc);
    json_object_object_del(o, "posture");
    json_object_object_del(o, "checks");
    json_object_object_del(o, "version");
    json_object *sites_o = json_object_object_get(o, "sites");
    for (size_t i = 0; i < json_object_array_length(sites_o); i++) {
        json_object *site = json_object_array_get_idx(sites_o, i);
        json_object *paths = json_object_object_get(site, "paths");
        for (size_t k = 0; k < 2; k++)
            json_object_object_del(site, site_keys[k]);
        for (size_t j = 0; j < json_object_array_length(paths); j++)
            for (size_t k = 0; k < 2; k++)
                json_object_object_del(json_object_array_get_idx(paths, j), path_keys[k]);
    }
    json_object *v = json_object_new_int(want);
    if (version_last) {
        json_object_object_add(o, "version", v);
    } else {
        json_object *front = json_object_new_object();
        json_object_object_add(front, "version", v);
        json_object_object_foreach(o, key, val)
            json_object_object_add(front, key, json_object_get(val));
        json_object_put(o);
        o = front;
    }
    char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    assert_non_null(text);
    return text;
}

/* a version 1 document (no check keys), the version first or last: no check ran */
static void test_version_1(void **state)
{
    struct paths_doc doc, back;
    char *err = NULL;

    (void)state;
    fill_doc(&doc);
    for (int last = 0; last < 2; last++) {
        char *text = older_doc(1, last);
        if (paths_json_parse(text, strlen(text), &back, &err) != 0)
            fail_msg("version 1 refused: %s", err ? err : "(no memory)");
        assert_int_equal(back.n_sites, 2);
        assert_int_equal(back.sites[0].n_paths, 3);
        for (size_t j = 0; j < back.sites[0].n_paths; j++) {
            assert_int_equal(back.sites[0].paths[j].app_ok, PATHS_NULL);
            assert_null(back.sites[0].paths[j].app_reason);
            assert_same_str(back.sites[0].paths[j].name, paths_a[j].name);
        }
        assert_int_equal(back.sites[0].n_groups, 0);
        assert_int_equal(back.sites[0].n_checks, 0);
        assert_int_equal(back.posture.state, PATHS_POSTURE_OFF);
        assert_null(back.posture.reason);
        assert_true(back.checks_rounds == 0 && back.checks_last_round == 0);
        paths_doc_free(&back);
        free(text);
    }
}

static void assert_refused(const char *text, const char *want)
{
    struct paths_doc back;
    char *err = NULL;

    if (paths_json_parse(text, strlen(text), &back, &err) == 0) {
        paths_doc_free(&back);
        fail_msg("accepted: %s", text);
    }
    assert_non_null(err);
    if (strcmp(err, want) != 0)
        fail_msg("error:    %s\nexpected: %s", err, want);
    assert_null(back.sites);
    free(err);
}

/* version 2 needs its keys; 0, 3 and beyond are refused naming the version */
static void test_versions_refused(void **state)
{
    char *text;

    (void)state;
    text = older_doc(2, false);
    assert_refused(text, "sites[0].paths[0]: missing key \"app_ok\"");
    free(text);
    text = older_doc(2, true); /* the version last: still read as version 2 */
    assert_refused(text, "sites[0].paths[0]: missing key \"app_ok\"");
    free(text);
    text = older_doc(3, true); /* named before anything else */
    assert_refused(text, "version: expected 1 to 2, got 3 (tunneld and tunnelctl of different "
                         "releases?)");
    free(text);
    text = older_doc(0, false);
    assert_refused(text, "version: expected 1 to 2, got 0 (tunneld and tunnelctl of different "
                         "releases?)");
    free(text);
    assert_refused("{\"version\":\"2\",\"sites\":[],\"problems\":[]}",
                   "version: expected an integer, got a string");
}

/* the decimal form of both writers: at most 3 decimals, no trailing zeros */
static void test_numbers_written(void **state)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {{0, "0"},      {-0.0, "0"},       {0.1 + 0.2, "0.3"}, {12.5, "12.5"},
                 {100, "100"},  {1.2345, "1.234"}, {1e-9, "0"},        {3120.5, "3120.5"},
                 {NAN, "null"}, {INFINITY, "null"}};
    struct paths_echo e = {.configured = true, .target = "t", .rtt_avg_ms = 1, .jitter_ms = 1};
    struct paths_path p = {.name = "p", .dev = "d", .reason = "", .echo = e};
    struct paths_site s = {.name = "s", .paths = &p, .n_paths = 1};
    struct paths_doc doc = {.sites = &s, .n_sites = 1};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char want[64], *buf = NULL;
        size_t len = 0;

        p.echo.loss_pct = cases[i].v;
        json_object *o = paths_json_render(&doc);
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        snprintf(want, sizeof(want), "\"loss_pct\":%s,", cases[i].text);
        if (!strstr(text, want))
            fail_msg("%g rendered as %s, expected %s", cases[i].v, text, want);
        json_object_put(o);
        FILE *f = open_memstream(&buf, &len);
        json_writer_t w;
        jw_init(&w, f);
        jw_double(&w, cases[i].v);
        fclose(f);
        assert_string_equal(buf, cases[i].text);
        free(buf);
    }
}

static bool read_double(const char *text, double min, double max, double *v, char **err)
{
    json_reader_t r;

    jr_init(&r, text, strlen(text));
    bool ok = jr_double(&r, min, max, v) && jr_end(&r);
    *err = jr_take_error(&r);
    jr_free(&r);
    return ok;
}

static void test_jr_double(void **state)
{
    static const char *good[] = {"0", "-0", "12.5", "1e2", "1.25E+1", "0.000001", "100"};
    static const char *bad[] = {"01",      "1.", ".5",    "+1",  "1e",       "1e999",
                                "100.001", "-1", "\"1\"", "nan", "Infinity", "1 2"};
    double v;
    char *err;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!read_double(good[i], -0.0, 100, &v, &err))
            fail_msg("'%s' refused: %s", good[i], err ? err : "?");
        free(err);
    }
    assert_true(read_double("1.25e1", 0, 100, &v, &err) && v == 12.5);
    free(err);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (read_double(bad[i], 0, 100, &v, &err))
            fail_msg("'%s' accepted as %g", bad[i], v);
        assert_non_null(err);
        free(err);
    }
    assert_false(read_double("1e999", 0, 1.7976931348623157e308, &v, &err));
    assert_string_equal(err, "document: expected a finite number of at least 0");
    free(err);
}

static void test_names(void **state)
{
    (void)state;
    for (int s = 0; s < HL_PATH_STATE_MAX; s++)
        assert_non_null(paths_state_name((enum hl_path_state)s));
    assert_null(paths_state_name(HL_PATH_STATE_MAX));
    assert_string_equal(paths_state_name(HL_PATH_ADMIN_DOWN), "admin-down");
    assert_null(paths_bfd_state_name(HL_BFD_OFF));
    assert_string_equal(paths_bfd_state_name(HL_BFD_UP), "up");
    assert_null(paths_routing_name(PATHS_ROUTING_NONE));
    assert_null(paths_next_hop_name(PATHS_NH_NONE));
    assert_string_equal(paths_diag_name(1), "control detection time expired");
    assert_string_equal(paths_diag_name(8), "reverse concatenated path down");
    assert_string_equal(paths_diag_name(9), "reserved");
    assert_string_equal(paths_diag_name(31), "reserved");
    assert_null(paths_diag_name(32));
    for (int v = 0; v < PATHS_V_MAX; v++)
        assert_non_null(paths_verdict_name((enum paths_verdict)v));
    assert_null(paths_verdict_name(PATHS_V_MAX));
    assert_string_equal(paths_fault_name(PATHS_FAULT_SERVICE), "service");
    assert_null(paths_fault_name(PATHS_FAULT_MAX));
    assert_null(paths_phase_name(PATHS_PH_NONE));
    assert_string_equal(paths_phase_name(PATHS_PH_POLICY), "policy");
    assert_null(paths_phase_name(PATHS_PH_MAX));
    assert_string_equal(paths_posture_name(PATHS_POSTURE_NOT_ENFORCED), "not-enforced");
    assert_null(paths_posture_name(PATHS_POSTURE_MAX));
}

/* the error of a document that differs from the rendered one by replacing from with to */
static char *error_of(const char *from, const char *to)
{
    struct paths_doc doc, back;
    char *err = NULL;

    fill_doc(&doc);
    json_object *o = paths_json_render(&doc);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    const char *at = strstr(text, from);
    if (!at)
        fail_msg("'%s' not in %s", from, text);
    size_t n = strlen(text) + strlen(to) + 1;
    char *edited = malloc(n);
    assert_non_null(edited);
    snprintf(edited, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    json_object_put(o);
    if (paths_json_parse(edited, strlen(edited), &back, &err) == 0) {
        paths_doc_free(&back);
        fail_msg("accepted: %s", edited);
    }
    free(edited);
    assert_non_null(err);
    /* a refused document leaves nothing behind */
    assert_null(back.sites);
    assert_int_equal(back.n_sites, 0);
    return err;
}

static void assert_error(const char *from, const char *to, const char *want)
{
    char *err = error_of(from, to);

    if (strcmp(err, want) != 0)
        fail_msg("error:    %s\nexpected: %s", err, want);
    free(err);
}

static void test_errors(void **state)
{
    (void)state;
    assert_error("\"local_diag_name\":\"administratively down\"",
                 "\"local_diag_name\":\"path down\"",
                 "sites[0].paths[0].bfd: local_diag_name: expected \"administratively down\" (the "
                 "name of diagnostic 7)");
    assert_error("\"min_ttl\":254", "\"min_ttl\":0",
                 "sites[0].paths[0].bfd.min_ttl: expected an integer from 1 to 255, not 0");
    assert_error("\"min_ttl\":254", "\"min_ttl\":256",
                 "sites[0].paths[0].bfd.min_ttl: expected an integer from 0 to 255");
    assert_error(
        "\"rx_dropped\":18446744073709551615", "\"rx_dropped\":-1",
        "sites[0].paths[0].bfd.rx_dropped: expected an integer from 0 to 18446744073709551615");
    assert_error("\"remote_diag\":31", "\"remote_diag\":32",
                 "sites[0].paths[0].bfd.remote_diag: expected an integer from 0 to 31");
    assert_error("\"state\":\"suppressed\"", "\"state\":\"dampened\"",
                 "sites[0].paths[0].state: expected one of: init, up, degraded, down, "
                 "suppressed, admin-down");
    assert_error("\"jitter_ms\":0.125", "\"jitter_ms\":-0.125",
                 "sites[0].paths[0].echo.jitter_ms: expected a finite number of at least 0");
    assert_error("\"loss_pct\":100", "\"loss_pct\":100.5",
                 "sites[0].paths[0].echo.loss_pct: expected a number from 0 to 100");
    assert_error("\"fail_mode\":\"fail-closed\"", "\"fail_mode\":null",
                 "sites[1].fail_mode: expected a string, got null");
    assert_error("\"decisions\":[]", "\"decisions\":[{\"time\":1}]",
                 "sites[1].decisions[0]: missing key \"text\"");
    assert_error("\"active\":[]", "\"active\":[\"x\",",
                 "sites[1].active[1]: expected a string, got invalid JSON");
    /* issue 10 */
    assert_error("\"verdict\":\"warn\"", "\"verdict\":\"ok\"",
                 "sites[0].checks[2].verdict: expected one of: pending, pass, warn, fail");
    assert_error("\"phase\":\"policy\"", "\"phase\":\"http\"",
                 "sites[0].checks[3].phase: expected one of: dns, connect, proxy, tls, policy, "
                 "null");
    assert_error("\"fault\":\"path\"", "\"fault\":null",
                 "sites[0].checks[3].fault: expected a string, got null");
    assert_error("\"proxy_status\":503", "\"proxy_status\":1000",
                 "sites[0].checks[1].proxy_status: expected an integer from 100 to 999");
    assert_error("\"tls_ms\":9", "\"tls_ms\":-9",
                 "sites[0].checks[3].tls_ms: expected an integer from 0 to 9223372036854775807");
    assert_error("\"cipher_bits\":4294967295", "\"cipher_bits\":4294967296",
                 "sites[0].checks[1].cipher_bits: expected an integer from 0 to 4294967295");
    assert_error("\"legacy\":true", "\"legacy\":1",
                 "sites[0].groups[2].legacy: expected a boolean, got a number");
    assert_error("\"via\":[]", "\"via\":[null]",
                 "sites[0].groups[0].via[0]: expected a string, got null");
    assert_error("\"app_ok\":true", "\"app_ok\":\"true\"",
                 "sites[0].paths[1].app_ok: expected a boolean or null, got a string");
    assert_error("\"state\":\"not-enforced\"", "\"state\":\"on\"",
                 "posture.state: expected one of: off, enforced, not-enforced");
    assert_error("\"last_round\":1714564805", "\"last_round\":-1",
                 "checks.last_round: expected an integer from 0 to 9223372036854775807");
    assert_error("\"groups\":[]", "\"groups\":{}",
                 "sites[1].groups: expected an array, got an object");
    assert_error("\"cert_not_after\":0", "\"cert_not_after\":0.5",
                 "sites[0].checks[2].cert_not_after: expected an integer, got a number with a "
                 "fraction or exponent");
}

/* a partial document after every prefix of a valid one: refused, nothing leaks (ASan) */
static void test_every_prefix(void **state)
{
    struct paths_doc doc, back;
    char *err;

    (void)state;
    fill_doc(&doc);
    json_object *o = paths_json_render(&doc);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++) {
        err = NULL;
        if (paths_json_parse(text, i, &back, &err) == 0)
            fail_msg("a prefix of %zu bytes parsed", i);
        free(err);
    }
    assert_int_equal(paths_json_parse(text, n, &back, &err), 0);
    paths_doc_free(&back);
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_parse),    cmocka_unit_test(test_writer_matches_render),
        cmocka_unit_test(test_numbers_written), cmocka_unit_test(test_jr_double),
        cmocka_unit_test(test_names),           cmocka_unit_test(test_errors),
        cmocka_unit_test(test_every_prefix),    cmocka_unit_test(test_render_parse_render),
        cmocka_unit_test(test_version_1),       cmocka_unit_test(test_versions_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
