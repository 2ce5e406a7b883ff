/*
 * Unit tests of issue 10's settings in the site model (conf/): a site's
 * sensor groups (every key, its default and its errors), the endpoint
 * syntax (sm_endpoint), the endpoints file (header, blanks, CRLF, comments,
 * BOM, errors naming file:line, FIFO and too big refused), duplicates, the
 * legacy ports warning, tunneld.checks with the TLS policy and a group's
 * overrides, tunneld.posture. Settings text goes through libstrongswan's
 * own parser (settings_create_string).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <library.h>
#include <settings/settings.h>

#include "site_model.h"
#include "sm_endpoint.h"

#define FILE_NAME "t.conf"
#define G         "t.conf: tunneld.sites.west.sensors.g"

static char err[1024];
static char dir[] = "/tmp/test_sm_groups.XXXXXX";

static int load(const char *text, struct sm_model *m)
{
    char *dup = strdup(text);
    settings_t *s = settings_create_string(dup);
    int r;

    assert_non_null(s);
    r = sm_model_load(s, FILE_NAME, m, err, sizeof(err));
    s->destroy(s);
    free(dup);
    return r;
}

/* a site "west" with one path and a sensor group "g" of body; extra goes
 * into tunneld { } */
static char *with_group(const char *body, const char *extra)
{
    char *t = NULL;
    assert_true(asprintf(&t,
                         "tunneld {\n%s\n sites {\n  west {\n   prefixes = 203.0.113.0/24\n"
                         "   paths {\n    p {\n dev = eth1\n    }\n   }\n"
                         "   sensors {\n    g {\n%s\n    }\n   }\n  }\n }\n}\n",
                         extra, body) > 0);
    return t;
}

static const struct sm_group *load_group(const char *body, const char *extra, struct sm_model *m)
{
    char *t = with_group(body, extra);
    int r = load(t, m);

    free(t);
    if (r)
        fail_msg("refused: %s\n%s", err, body);
    assert_int_equal(m->n_sites, 1);
    assert_int_equal(m->sites[0].n_groups, 1);
    return &m->sites[0].groups[0];
}

static void refused_with(const char *body, const char *extra, const char *want)
{
    struct sm_model m;
    char *t = with_group(body, extra);
    int r = load(t, &m);

    free(t);
    if (r == 0)
        fail_msg("accepted: %s (wanted: %s)", body, want);
    assert_int_equal(m.n_sites, 0);
    assert_null(m.sites);
    assert_null(m.checks.tls.ca_file);
    assert_int_equal(strncmp(err, FILE_NAME ": ", strlen(FILE_NAME) + 2), 0);
    if (!strstr(err, want))
        fail_msg("body %s\n got: %s\nwant: %s", body, err, want);
}

static void refused(const char *body, const char *want)
{
    refused_with(body, "", want);
}

#define MIN_GROUP "subnets = 100.64.1.0/24\n endpoints = blob.core.windows.net:443\n"

/* writes content (len bytes) to dir/name; returns the path (static) */
static const char *write_file(const char *name, const char *content, size_t len)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    return path;
}

static void test_defaults(void **state)
{
    struct sm_model m;
    const struct sm_group *g = load_group(MIN_GROUP, "", &m);

    assert_string_equal(g->name, "g");
    assert_false(g->legacy);
    assert_int_equal(g->n_subnets, 1);
    assert_string_equal(g->subnets[0], "100.64.1.0/24");
    assert_int_equal(g->n_endpoints, 1);
    assert_string_equal(g->endpoints[0].host, "blob.core.windows.net");
    assert_int_equal(g->endpoints[0].port, 443);
    assert_null(g->endpoints_file);
    assert_int_equal(g->method, SM_METHOD_DIRECT);
    assert_null(g->proxy_host);
    assert_int_equal(g->proxy_port, 0);
    assert_int_equal(g->n_via, 0);
    assert_null(g->credentials);
    assert_int_equal(g->auth, 15);
    assert_null(g->source);
    assert_int_equal(g->tls.min_version, 0x0303);
    assert_int_equal(g->tls.min_bits, 256);
    assert_true(g->tls.require_aes);
    assert_null(g->tls.ca_file);
    assert_int_equal(g->tls.warn_days, 14);
    assert_int_equal(m.checks.interval_ms, 30000);
    assert_int_equal(m.checks.jitter_pct, 10);
    assert_int_equal(m.checks.concurrency, 8);
    assert_int_equal(m.checks.connect_ms, 5000);
    assert_int_equal(m.checks.proxy_ms, 5000);
    assert_int_equal(m.checks.tls_ms, 5000);
    assert_int_equal(m.checks.on_failure, SM_APP_DEGRADE);
    assert_int_equal(m.checks.tls.min_version, 0x0303);
    assert_int_equal(m.checks.tls.min_bits, 256);
    assert_true(m.checks.tls.require_aes);
    assert_null(m.checks.tls.ca_file);
    assert_int_equal(m.checks.tls.warn_days, 14);
    assert_false(m.posture.enforce);
    assert_string_equal(m.posture.table, "tunneld_posture");
    assert_int_equal(m.n_warnings, 0);
    sm_model_free(&m);
    /* no settings at all: the same defaults */
    assert_int_equal(load("tunneld {\n}\n", &m), 0);
    assert_int_equal(m.checks.interval_ms, 30000);
    assert_string_equal(m.posture.table, "tunneld_posture");
    sm_model_free(&m);
    /* a site without sensors has no groups */
    assert_int_equal(load("tunneld { sites { w { prefixes = 192.0.2.0/24\n paths { p { dev = x } "
                          "} } } }",
                          &m),
                     0);
    assert_int_equal(m.sites[0].n_groups, 0);
    assert_null(m.sites[0].groups);
    sm_model_free(&m);
}

static void test_full(void **state)
{
    struct sm_model m;
    const char *ca = write_file("ca.pem", "-----BEGIN CERTIFICATE-----\nMII\n", 32);
    char extra[512], body[1024];
    const struct sm_group *g;

    snprintf(extra, sizeof(extra),
             " checks {\n interval = 1m\n jitter = 20%%\n concurrency = 3\n"
             " connect_timeout = 2s\n proxy_timeout = 1500ms\n tls_timeout = 3s\n"
             " on_failure = down\n tls {\n min_version = 1.3\n cipher_bits = 128\n"
             " require_aes = no\n ca_file = %s\n cert_warn = 30d\n }\n }\n"
             " posture {\n enforce = yes\n table = my_table-1\n }\n",
             ca);
    snprintf(body, sizeof(body),
             " legacy = yes\n subnets = 100.64.1.0/24, 2001:db8:1::/64\n"
             " endpoints = hub1.azure-devices.net:443, HUB1.azure-devices.net:443, "
             "[2001:db8::5]:5671, 192.0.2.7:8883\n"
             " method = proxy\n proxy = azure-proxy:3128\n via = dmz-proxy, azure-proxy\n"
             " credentials = dmz\n proxy_auth = basic, ntlm\n source = 100.64.1.1\n"
             " tls {\n cipher_bits = 192\n cert_warn = 7\n }\n");
    g = load_group(body, extra, &m);
    assert_true(g->legacy);
    assert_int_equal(g->n_subnets, 2);
    assert_string_equal(g->subnets[1], "2001:db8:1::/64");
    assert_int_equal(g->n_endpoints, 3); /* the duplicate (any case) dropped */
    assert_string_equal(g->endpoints[0].host, "hub1.azure-devices.net");
    assert_string_equal(g->endpoints[1].host, "2001:db8::5");
    assert_int_equal(g->endpoints[1].port, 5671);
    assert_string_equal(g->endpoints[2].host, "192.0.2.7");
    assert_int_equal(g->endpoints[2].port, 8883);
    assert_int_equal(g->method, SM_METHOD_PROXY);
    assert_string_equal(g->proxy_host, "azure-proxy");
    assert_int_equal(g->proxy_port, 3128);
    assert_int_equal(g->n_via, 2);
    assert_string_equal(g->via[0], "dmz-proxy");
    assert_string_equal(g->via[1], "azure-proxy");
    assert_string_equal(g->credentials, "dmz");
    assert_int_equal(g->auth, 1 | 4);
    assert_string_equal(g->source, "100.64.1.1");
    /* the group's keys over tunneld.checks.tls, the others inherited */
    assert_int_equal(g->tls.min_version, 0x0304);
    assert_int_equal(g->tls.min_bits, 192);
    assert_false(g->tls.require_aes);
    assert_string_equal(g->tls.ca_file, ca);
    assert_int_equal(g->tls.warn_days, 7);
    assert_int_equal(m.checks.interval_ms, 60000);
    assert_int_equal(m.checks.jitter_pct, 20);
    assert_int_equal(m.checks.concurrency, 3);
    assert_int_equal(m.checks.connect_ms, 2000);
    assert_int_equal(m.checks.proxy_ms, 1500);
    assert_int_equal(m.checks.tls_ms, 3000);
    assert_int_equal(m.checks.on_failure, SM_APP_DOWN);
    assert_int_equal(m.checks.tls.min_version, 0x0304);
    assert_int_equal(m.checks.tls.min_bits, 128);
    assert_false(m.checks.tls.require_aes);
    assert_string_equal(m.checks.tls.ca_file, ca);
    assert_int_equal(m.checks.tls.warn_days, 30);
    assert_true(m.posture.enforce);
    assert_string_equal(m.posture.table, "my_table-1");
    assert_int_equal(m.n_warnings, 0); /* legacy on 443, 5671, 8883 */
    sm_model_free(&m);

    g = load_group(MIN_GROUP " proxy_auth = any\n method = proxy\n proxy = [2001:db8::3]:8080\n"
                             " proxy_auth = digest, negotiate, digest",
                   "", &m);
    assert_string_equal(g->proxy_host, "2001:db8::3");
    assert_int_equal(g->proxy_port, 8080);
    assert_int_equal(g->auth, 2 | 8);
    sm_model_free(&m);
    g = load_group(MIN_GROUP " method = proxy\n proxy = 198.51.100.9:3128\n proxy_auth = any", "",
                   &m);
    assert_int_equal(g->auth, 15);
    sm_model_free(&m);
}

static void test_group_errors(void **state)
{
    refused("endpoints = a.b:443", G ".subnets: missing (expected the sensors' subnets");
    refused("subnets = 100.64.1.1/24\n endpoints = a.b:443",
            G ".subnets: '100.64.1.1/24' is not a prefix (expected address/length with no host "
              "bits set");
    refused("subnets = 100.64.1.0/24, 100.64.1.0/24\n endpoints = a.b:443",
            G ".subnets: '100.64.1.0/24' is listed twice");
    refused("subnets = \" , \"\n endpoints = a.b:443", G ".subnets: empty");
    refused("subnets = 100.64.1.0/24",
            G ".endpoints: missing (expected endpoints = host:port, ... and/or endpoints_file");
    refused("subnets = 100.64.1.0/24\n endpoints = \" , \"",
            G ".endpoints: no endpoint in it (expected at least one host:port)");
    refused("subnets = 100.64.1.0/24\n endpoints = *.blob.core.windows.net:443",
            G ".endpoints: '*.blob.core.windows.net:443': a wildcard is not an endpoint "
              "(Defender for IoT lists specific endpoints)");
    refused("subnets = 100.64.1.0/24\n endpoints = a.b:443, blob.core.windows.net",
            G ".endpoints: 'blob.core.windows.net': the port is missing (expected host:port, port "
              "1..65535)");
    refused("subnets = 100.64.1.0/24\n endpoints = a.b:0", G ".endpoints: 'a.b:0': the port is "
                                                             "not a number from 1 to 65535");
    refused("subnets = 100.64.1.0/24\n endpoints = 2001:db8::1:443",
            G ".endpoints: '2001:db8::1:443': an IPv6 address needs brackets");
    refused(MIN_GROUP " method = relay", G ".method: 'relay' is not a method (expected direct or "
                                           "proxy)");
    refused(MIN_GROUP " method = proxy", G ".proxy: missing (method = proxy needs the first hop");
    refused(MIN_GROUP " method = proxy\n proxy = azure-proxy",
            G ".proxy: 'azure-proxy': the port is missing");
    refused(MIN_GROUP " proxy = p:3128", G ".proxy: only method = proxy takes it (this group is "
                                           "method = direct, the default)");
    refused(MIN_GROUP " method = direct\n via = a",
            G ".via: only method = proxy takes it (this group is method = direct)");
    refused(MIN_GROUP " credentials = a", G ".credentials: only method = proxy takes it");
    refused(MIN_GROUP " proxy_auth = basic", G ".proxy_auth: only method = proxy takes it");
    refused(MIN_GROUP " method = proxy\n proxy = p:1\n via = a, a", G ".via: 'a' is listed twice");
    refused(MIN_GROUP " method = proxy\n proxy = p:1\n via = a,,b",
            G ".via: an empty hop name (two commas, or a comma at an end)");
    refused(MIN_GROUP " method = proxy\n proxy = p:1\n via = a, b,",
            G ".via: an empty hop name (two commas, or a comma at an end)");
    refused(MIN_GROUP " method = proxy\n proxy = p:1\n via = h1,h2,h3,h4,h5,h6,h7,h8,h9",
            G ".via: more than 8 hops");
    refused(MIN_GROUP " method = proxy\n proxy = p:1\n via = a%n",
            G ".via: 'a%n' is not a hop name (expected 1..63 characters");
    refused(MIN_GROUP " method = proxy\n proxy = p:1\n credentials = \"a b\"",
            G ".credentials: 'a b' is not a name (expected 1..63 characters of A-Z a-z 0-9 _ -: "
              "the section secrets.proxy-<name> of the connections file)");
    refused(MIN_GROUP " method = proxy\n proxy = p:1\n proxy_auth = kerberos",
            G ".proxy_auth: 'kerberos' is not a scheme (expected any, or a list of basic, digest, "
              "ntlm, negotiate)");
    refused(MIN_GROUP " method = proxy\n proxy = p:1\n proxy_auth = any, basic",
            G ".proxy_auth: 'any' with other schemes");
    refused(MIN_GROUP " source = eth0", G ".source: 'eth0' is not an IPv4 or IPv6 address");
    refused(MIN_GROUP " source = 2001:db8::1\n method = proxy\n proxy = 192.0.2.1:3128",
            G ".source: 2001:db8::1 and the proxy 192.0.2.1 are of different families");
    refused(MIN_GROUP " endpoints = 192.0.2.1:443\n source = 2001:db8::1",
            G ".source: 2001:db8::1 and the endpoint 192.0.2.1 are of different families");
    refused(MIN_GROUP " legacy = maybe", G ".legacy: 'maybe' is not a boolean");
    refused(MIN_GROUP " endpoint = a.b:1",
            G ": unknown key 'endpoint' (expected one of: legacy, subnets, endpoints, "
              "endpoints_file, method, proxy, via, credentials, proxy_auth, source)");
    refused(MIN_GROUP " proxy {\n }", G ": unknown section 'proxy' (expected one of: tls)");
    refused(MIN_GROUP " tls {\n min_version = 1.1\n }",
            G ".tls.min_version: '1.1' is not a TLS version the policy takes (expected 1.2 or "
              "1.3");
    refused(MIN_GROUP " tls {\n cipher_bits = 127\n }",
            G ".tls.cipher_bits: '127' is not a number from 128 to 256");
    refused(MIN_GROUP " tls {\n cipher_bits = 257\n }", G ".tls.cipher_bits: '257' is not");
    refused(MIN_GROUP " tls {\n cert_warn = 2w\n }",
            G ".tls.cert_warn: '2w' is not a number of days from 0 to 3650");
    refused(MIN_GROUP " tls {\n cert_warn = 3651\n }", G ".tls.cert_warn: '3651' is not");
    refused(MIN_GROUP " tls {\n ciphers = x\n }",
            G ".tls: unknown key 'ciphers' (expected one of: min_version, cipher_bits, "
              "require_aes, ca_file, cert_warn)");
    refused(MIN_GROUP " tls {\n ca_file = /nonexistent/ca.pem\n }",
            G ".tls.ca_file: /nonexistent/ca.pem: No such file");
    refused(MIN_GROUP " tls {\n ca_file = \"\"\n }", G ".tls.ca_file: empty");
    refused(MIN_GROUP " tls {\n ca_file = /tmp\n }", G ".tls.ca_file: /tmp: not a regular file");
    refused_with("subnets = 1.2.3.0/24", " sites {\n w {\n }\n }\n",
                 "t.conf: tunneld.sites.w.prefixes: missing");
}

static void test_group_names(void **state)
{
    struct sm_model m;
    char text[1024], name[70];

    memset(name, 'g', 63);
    name[63] = '\0';
    snprintf(text, sizeof(text),
             "tunneld { sites { west { prefixes = 203.0.113.0/24\n paths { p { dev = x } }\n"
             " sensors { %s { " MIN_GROUP " }\n h { " MIN_GROUP " } } } } }",
             name);
    assert_int_equal(load(text, &m), 0);
    assert_int_equal(m.sites[0].n_groups, 2);
    assert_string_equal(m.sites[0].groups[0].name, name);
    assert_string_equal(m.sites[0].groups[1].name, "h");
    sm_model_free(&m);
    strcat(name, "g");
    snprintf(text, sizeof(text),
             "tunneld { sites { west { prefixes = 203.0.113.0/24\n paths { p { dev = x } }\n"
             " sensors { %s { " MIN_GROUP " } } } } }",
             name);
    assert_int_equal(load(text, &m), -1);
    assert_non_null(strstr(err, "t.conf: tunneld.sites.west.sensors: sensor group name 'gggg"));
    assert_non_null(strstr(err, "is invalid (expected 1..63 characters of A-Z a-z 0-9 _ -"));
    /* names that differ only in case would read as one group in status */
    snprintf(text, sizeof(text),
             "tunneld { sites { west { prefixes = 203.0.113.0/24\n paths { p { dev = x } }\n"
             " sensors { ot { " MIN_GROUP " }\n OT { " MIN_GROUP " } } } } }");
    assert_int_equal(load(text, &m), -1);
    assert_non_null(strstr(err, "t.conf: tunneld.sites.west.sensors.OT: the same name as group "
                                "'ot' but for case"));
    assert_int_equal(load("tunneld { sites { west { prefixes = 203.0.113.0/24\n paths { p { dev = "
                          "x } }\n sensors { x%sy { } } } } }",
                          &m),
                     -1);
    assert_non_null(strstr(err, "sensors: sensor group name 'x%sy' is invalid"));
    assert_int_equal(load("tunneld { sites { west { prefixes = 203.0.113.0/24\n paths { p { dev = "
                          "x } }\n sensors { k = v } } } }",
                          &m),
                     -1);
    assert_non_null(strstr(err, "t.conf: tunneld.sites.west.sensors: unexpected key 'k' (expected "
                                "only sections)"));
    /* the deprecated location keeps its keys: no sensors there */
    assert_int_equal(load("tunneld { routes { sites { w { prefixes = 192.0.2.0/24\n paths { p { "
                          "dev = x } }\n sensors { } } } } }",
                          &m),
                     -1);
    assert_non_null(strstr(err, "t.conf: tunneld.routes.sites.w: unknown section 'sensors' "
                                "(expected one of: paths)"));
    (void)state;
}

static void test_checks_posture(void **state)
{
    struct sm_model m;

    refused_with(MIN_GROUP, " checks {\n interval = 500ms\n }",
                 "t.conf: tunneld.checks.interval: '500ms' is not a duration from 1s to 1h");
    refused_with(MIN_GROUP, " checks {\n interval = 2h\n }", "tunneld.checks.interval: '2h'");
    refused_with(MIN_GROUP, " checks {\n jitter = 51%\n }",
                 "t.conf: tunneld.checks.jitter: '51%' is not a whole percentage from 0 to 50");
    refused_with(MIN_GROUP, " checks {\n jitter = 2.5%\n }", "tunneld.checks.jitter: '2.5%'");
    refused_with(MIN_GROUP, " checks {\n concurrency = 0\n }",
                 "t.conf: tunneld.checks.concurrency: '0' is not a number from 1 to 256");
    refused_with(MIN_GROUP, " checks {\n concurrency = 257\n }", "concurrency: '257'");
    refused_with(MIN_GROUP, " checks {\n connect_timeout = 99ms\n }",
                 "t.conf: tunneld.checks.connect_timeout: '99ms' is not a duration from 100ms to "
                 "1m");
    refused_with(MIN_GROUP, " checks {\n proxy_timeout = 61s\n }", "proxy_timeout: '61s'");
    refused_with(MIN_GROUP, " checks {\n tls_timeout = x\n }", "tls_timeout: 'x'");
    refused_with(MIN_GROUP, " checks {\n on_failure = suppressed\n }",
                 "t.conf: tunneld.checks.on_failure: 'suppressed' is not what a path failing its "
                 "checks becomes (expected degraded or down)");
    refused_with(MIN_GROUP, " checks {\n every = 1s\n }",
                 "t.conf: tunneld.checks: unknown key 'every' (expected one of: interval, jitter, "
                 "concurrency, connect_timeout, proxy_timeout, tls_timeout, on_failure)");
    refused_with(MIN_GROUP, " checks {\n proxy {\n }\n }",
                 "t.conf: tunneld.checks: unknown section 'proxy' (expected one of: tls)");
    refused_with(MIN_GROUP, " checks {\n tls {\n min_version = TLSv1.2\n }\n }",
                 "t.conf: tunneld.checks.tls.min_version: 'TLSv1.2' is not a TLS version");
    refused_with(MIN_GROUP, " checks {\n tls {\n require_aes = sure\n }\n }",
                 "t.conf: tunneld.checks.tls.require_aes: 'sure' is not a boolean");
    refused_with(MIN_GROUP, " posture {\n enforce = 2\n }",
                 "t.conf: tunneld.posture.enforce: '2' is not a boolean");
    refused_with(MIN_GROUP, " posture {\n table = 1table\n }",
                 "t.conf: tunneld.posture.table: '1table' is not a table name (expected 1..63 "
                 "characters of A-Z a-z 0-9 _ -, a letter or _ first)");
    refused_with(MIN_GROUP, " posture {\n table = \"a;b\"\n }", "posture.table: 'a;b' is not");
    refused_with(MIN_GROUP, " posture {\n chain = x\n }",
                 "t.conf: tunneld.posture: unknown key 'chain' (expected one of: enforce, table)");
    refused_with(MIN_GROUP, " posture {\n x {\n }\n }",
                 "t.conf: tunneld.posture: unexpected section 'x' (expected only keys)");
    /* timeouts longer than a round: a warning */
    load_group(MIN_GROUP,
               " checks {\n interval = 10s\n connect_timeout = 5s\n"
               " proxy_timeout = 5s\n tls_timeout = 1s\n }",
               &m);
    assert_int_equal(m.n_warnings, 1);
    assert_non_null(strstr(m.warnings[0], "t.conf: tunneld.checks: connect_timeout + "
                                          "proxy_timeout + tls_timeout (11000 ms) exceed "
                                          "interval (10000 ms)"));
    sm_model_free(&m);
    /* 63 bytes of table name, then 64 */
    load_group(MIN_GROUP,
               " posture {\n table = "
               "_23456789012345678901234567890123456789012345678901234567890123\n }",
               &m);
    assert_int_equal(strlen(m.posture.table), 63);
    sm_model_free(&m);
    refused_with(MIN_GROUP,
                 " posture {\n table = "
                 "_234567890123456789012345678901234567890123456789012345678901234\n }",
                 "posture.table: '_2345");
}

static void test_legacy_ports(void **state)
{
    struct sm_model m;

    load_group(MIN_GROUP " legacy = yes\n endpoints = h.azure-devices.net:443, "
                         "h.azure-devices.net:5671, h.azure-devices.net:8883",
               "", &m);
    assert_int_equal(m.n_warnings, 0);
    sm_model_free(&m);
    load_group(MIN_GROUP " legacy = yes\n endpoints = h.azure-devices.net:1234", "", &m);
    assert_int_equal(m.n_warnings, 1);
    assert_string_equal(m.warnings[0],
                        "t.conf: tunneld.sites.west.sensors.g: legacy endpoint "
                        "h.azure-devices.net port 1234 is not an IoT Hub port (443, 5671 or "
                        "8883): is it right?");
    sm_model_free(&m);
    /* a 22.x group may use any port */
    load_group(MIN_GROUP " endpoints = h.azure-devices.net:1234", "", &m);
    assert_int_equal(m.n_warnings, 0);
    sm_model_free(&m);
}

/* one endpoint: accepted with host and port, or refused with why */
static void ep_ok(const char *s, const char *host, unsigned port)
{
    struct sm_endpoint_text ep;
    const char *why = NULL;

    if (!sm_endpoint_parse(s, strlen(s), &ep, &why))
        fail_msg("refused %s: %s", s, why);
    assert_string_equal(ep.host, host);
    assert_int_equal(ep.port, port);
}

static void ep_bad(const char *s, const char *want)
{
    struct sm_endpoint_text ep;
    const char *why = NULL;

    if (sm_endpoint_parse(s, strlen(s), &ep, &why))
        fail_msg("accepted %s", s);
    if (!strstr(why, want))
        fail_msg("%s: got %s, want %s", s, why, want);
}

static void test_endpoint_syntax(void **state)
{
    char name[300], ep[320];

    ep_ok("blob.core.windows.net:443", "blob.core.windows.net", 443);
    ep_ok("a:1", "a", 1);
    ep_ok("x-1.example:65535", "x-1.example", 65535);
    ep_ok("192.0.2.1:443", "192.0.2.1", 443);
    ep_ok("[2001:db8::1]:443", "2001:db8::1", 443);
    ep_bad("a.b:65536", "not a number from 1 to 65535");
    ep_bad("a.b:0443", "not a number from 1 to 65535");
    ep_bad("a.b:-1", "not a number");
    ep_bad("a.b:", "the port is missing");
    ep_bad("a.b", "the port is missing");
    ep_bad(":443", "the host is empty");
    ep_bad("[2001:db8::1]", "the port is missing");
    ep_bad("[2001:db8::1:443", "'[' without ']'");
    ep_bad("[192.0.2.1]:443", "not an IPv6 address between");
    ep_bad("[fe80::1%eth0]:443", "not an IPv6 address between");
    ep_bad("2001:db8::1:443", "needs brackets");
    ep_bad("*.blob.core.windows.net:443", "a wildcard is not an endpoint");
    ep_bad("a*b:443", "wildcard");
    ep_bad("a..b:443", "empty label");
    ep_bad(".a:443", "empty label");
    ep_bad("a.:443", "ends with a dot");
    ep_bad("-a.b:443", "starts or ends with '-'");
    ep_bad("a-.b:443", "starts or ends with '-'");
    ep_bad("a_b.c:443", "only letters, digits, '-' and dots");
    ep_bad("a b:443", "a blank, control or non-ASCII byte");
    ep_bad("a\x01:443", "control");
    ep_bad("\xc3\xa9.b:443", "non-ASCII");
    ep_bad("a%n:443", "only letters");
    ep_bad("192.0.2.256:443", "last label is not all digits");
    ep_bad("01.2.3.4:443", "last label is not all digits");
    /* labels of 63 bytes, then 64; names of 253 bytes, then 254 */
    memset(name, 'a', 63);
    strcpy(name + 63, ".b");
    snprintf(ep, sizeof(ep), "%s:1", name);
    ep_ok(ep, name, 1);
    memset(name, 'a', 64);
    strcpy(name + 64, ".b");
    snprintf(ep, sizeof(ep), "%s:1", name);
    ep_bad(ep, "a label is longer than 63 bytes");
    for (size_t i = 0; i < 253; i++)
        name[i] = i % 2 ? '.' : 'x'; /* x.x.x....x: 253 bytes, ends with x */
    name[253] = '\0';
    snprintf(ep, sizeof(ep), "%s:1", name);
    ep_ok(ep, name, 1);
    name[253] = '.';
    name[254] = 'x';
    name[255] = '\0';
    snprintf(ep, sizeof(ep), "%s:1", name);
    ep_bad(ep, "longer than 253 bytes");
    (void)state;
}

static char *with_file(const char *path, const char *more)
{
    static char text[1024];

    snprintf(text, sizeof(text),
             "tunneld { sites { west { prefixes = 203.0.113.0/24\n paths { p { dev = x } }\n"
             " sensors { g { subnets = 100.64.1.0/24\n endpoints_file = %s\n%s } } } } }",
             path, more);
    return text;
}

static void file_refused(const char *path, const char *more, const char *want)
{
    struct sm_model m;

    assert_int_equal(load(with_file(path, more), &m), -1);
    assert_int_equal(m.n_sites, 0);
    if (!strstr(err, want))
        fail_msg("got: %s\nwant: %s", err, want);
}

static void test_endpoints_file(void **state)
{
    static const char portal[] = "\xef\xbb\xbf"
                                 "Endpoint details\r\n"
                                 "\r\n"
                                 "# the site's endpoints\r\n"
                                 "blob.core.windows.net:443\r\n"
                                 "  ingestion.servicebus.windows.net:443   # events\r\n"
                                 "\t[2001:db8::7]:443\r\n"
                                 "hub.azure-devices.net:443"; /* no final line end */
    struct sm_model m;
    const struct sm_group *g;
    const char *path = write_file("ep.txt", portal, sizeof(portal) - 1);
    char full[160], want[256];
    int fd;

    assert_int_equal(load(with_file(path, "endpoints = hub.azure-devices.net:443, a.b:443"), &m),
                     0);
    g = &m.sites[0].groups[0];
    assert_string_equal(g->endpoints_file, path);
    assert_int_equal(g->n_endpoints, 5); /* the list first; the file's duplicate dropped */
    assert_string_equal(g->endpoints[0].host, "hub.azure-devices.net");
    assert_string_equal(g->endpoints[1].host, "a.b");
    assert_string_equal(g->endpoints[2].host, "blob.core.windows.net");
    assert_string_equal(g->endpoints[3].host, "ingestion.servicebus.windows.net");
    assert_string_equal(g->endpoints[4].host, "2001:db8::7");
    sm_model_free(&m);
    /* relative to the settings file's directory (the model names "t.conf": the cwd) */
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(load(with_file("ep.txt", ""), &m), 0);
    assert_string_equal(m.sites[0].groups[0].endpoints_file, "ep.txt");
    assert_int_equal(m.sites[0].groups[0].n_endpoints, 4);
    sm_model_free(&m);
    assert_int_equal(chdir("/"), 0);

    /* a byte order mark before the first endpoint (no header) */
    path = write_file("bom.txt",
                      "\xef\xbb\xbf"
                      "a.b:443\r\n",
                      12);
    assert_int_equal(load(with_file(path, ""), &m), 0);
    assert_int_equal(m.sites[0].groups[0].n_endpoints, 1);
    assert_string_equal(m.sites[0].groups[0].endpoints[0].host, "a.b");
    sm_model_free(&m);

    /* a header is only the first line with text, and never a mistyped endpoint */
    path = write_file("bad.txt", "Endpoint\n\na.b:443\nHost names\n", 28);
    snprintf(full, sizeof(full), "%s", path);
    snprintf(want, sizeof(want),
             "t.conf: tunneld.sites.west.sensors.g.endpoints_file: %s:4: 'Host names': a "
             "blank, control or non-ASCII byte in an endpoint (expected one host:port a line; "
             "tunneld.conf(5))",
             full);
    file_refused(path, "", want);
    path = write_file("bad.txt", "blob.core.windows.net\na.b:443\n", 30);
    file_refused(path, "", "bad.txt:1: 'blob.core.windows.net': the port is missing");
    path = write_file("bad.txt", "# c\n  bad_host:443\na.b:443\n", 27);
    file_refused(path, "", "bad.txt:2: 'bad_host:443': a DNS name has only letters");
    path = write_file("bad.txt", "192.0.2.1\n", 10);
    file_refused(path, "", "bad.txt:1: '192.0.2.1': the port is missing");
    path = write_file("bad.txt", "a.b:443\n*.b:443\n", 16);
    file_refused(path, "", "bad.txt:2: '*.b:443': a wildcard is not an endpoint");
    path = write_file("bad.txt", "a.b:443\0\n", 9);
    file_refused(path, "", "endpoints_file: ");
    file_refused(path, "", "bad.txt: contains a NUL byte (expected text)");
    path = write_file("bad.txt", "Endpoints\n# none\n\n", 18);
    file_refused(path, "",
                 "bad.txt: no endpoint in "
                 "it (line 1 was taken for the portal's header: expected host:port lines after "
                 "it)");
    /* one line that is not an endpoint but does not look like one either */
    path = write_file("bad.txt", "blob.core.windows.net:443%n%s\n", 30);
    file_refused(path, "", "no endpoint in it (line 1 was taken for the portal's header");
    path = write_file("bad.txt", "", 0);
    file_refused(path, "", "endpoints_file: no endpoint in it");
    file_refused("\"\"", "", "t.conf: tunneld.sites.west.sensors.g.endpoints_file: empty");
    file_refused("/nonexistent/ep.txt", "", "endpoints_file: /nonexistent/ep.txt: No such file");
    file_refused("/proc/self/status", "", "endpoints_file: /proc/self/status: on /proc or /sys");
    file_refused(dir, "", "not a regular file (a FIFO, device or directory could block a reload)");
    /* a FIFO (a reload must never block on one) */
    snprintf(full, sizeof(full), "%s/fifo", dir);
    assert_int_equal(mkfifo(full, 0600), 0);
    file_refused(full, "", "fifo: not a regular file");
    assert_int_equal(unlink(full), 0);
    /* larger than 16 MiB (sparse) */
    snprintf(full, sizeof(full), "%s/big.txt", dir);
    fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (16 << 20) + 1), 0);
    close(fd);
    file_refused(full, "", "big.txt: larger than 16 MiB");
    assert_int_equal(truncate(full, 16 << 20), 0); /* at the limit: read (all NULs here) */
    file_refused(full, "", "big.txt: contains a NUL byte");
    assert_int_equal(unlink(full), 0);
    (void)state;
}

/* more than SM_ENDPOINTS_MAX (1024) endpoints: refused naming the line */
static void test_endpoints_max(void **state)
{
    size_t cap = 1100 * 24, used = 0;
    char *text = malloc(cap);
    struct sm_model m;
    const char *path;

    assert_non_null(text);
    for (int i = 1; i <= 1024; i++)
        used += (size_t)snprintf(text + used, cap - used, "h%d.example:443\n", i);
    path = write_file("many.txt", text, used);
    assert_int_equal(load(with_file(path, ""), &m), 0);
    assert_int_equal(m.sites[0].groups[0].n_endpoints, 1024);
    sm_model_free(&m);
    used += (size_t)snprintf(text + used, cap - used, "h1.example:443\nlast.example:443\n");
    path = write_file("many.txt", text, used);
    file_refused(path, "",
                 "many.txt:1026: 'last.example:443': more than 1024 endpoints in one "
                 "group");
    free(text);
    (void)state;
}

static int setup(void **state)
{
    char conf[] = "/tmp/test_sm_groups_settings.XXXXXX";
    int fd = mkstemp(conf);

    if (fd < 0 || !mkdtemp(dir))
        return -1;
    close(fd);
    dbg_default_set_level(LEVEL_SILENT);
    bool ok = library_init(conf, "test_sm_groups");
    unlink(conf);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    library_deinit();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_full),
        cmocka_unit_test(test_group_errors),    cmocka_unit_test(test_group_names),
        cmocka_unit_test(test_checks_posture),  cmocka_unit_test(test_legacy_ports),
        cmocka_unit_test(test_endpoint_syntax), cmocka_unit_test(test_endpoints_file),
        cmocka_unit_test(test_endpoints_max),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
