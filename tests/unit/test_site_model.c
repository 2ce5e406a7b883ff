/*
 * Unit tests of the site model (conf/site_model): settings text parsed by
 * libstrongswan's own parser (settings_create_string), read into the model:
 * every key with its default and its value, the type rules, the ranges at
 * and past each limit, the families, the unknown keys, the deprecated
 * location and its warning, and the value syntaxes (sm_values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <library.h>
#include <settings/settings.h>

#include "site_model.h"
#include "sm_values.h"

#define FILE_NAME "t.conf"
#define WHERE     "t.conf: tunneld.sites.west.paths.p"

static char err[1024];

/* loads text; the settings are freed before returning (the model owns
 * copies) */
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

/* a site "west" with one path "p" of body */
static char *one_path(const char *body)
{
    char *t = NULL;
    assert_true(asprintf(&t,
                         "tunneld {\n sites {\n  west {\n   prefixes = 203.0.113.0/24\n"
                         "   paths {\n    p {\n%s\n    }\n   }\n  }\n }\n}\n",
                         body) > 0);
    return t;
}

static const struct sm_path *load_path(const char *body, struct sm_model *m)
{
    char *t = one_path(body);
    int r = load(t, m);

    free(t);
    if (r)
        fail_msg("refused: %s", err);
    assert_int_equal(m->n_sites, 1);
    assert_int_equal(m->sites[0].n_paths, 1);
    return &m->sites[0].paths[0];
}

/* body refused with an error containing want (and starting with the file) */
static void refused(const char *body, const char *want)
{
    struct sm_model m;
    char *t = one_path(body);
    int r = load(t, &m);

    free(t);
    if (r == 0)
        fail_msg("accepted: %s (wanted: %s)", body, want);
    assert_int_equal(m.n_sites, 0);
    assert_null(m.sites);
    assert_int_equal(strncmp(err, FILE_NAME ": ", strlen(FILE_NAME) + 2), 0);
    if (!strstr(err, want))
        fail_msg("body %s\n got: %s\nwant: %s", body, err, want);
}

static void accepted(const char *body)
{
    struct sm_model m;
    load_path(body, &m);
    sm_model_free(&m);
}

static void test_full(void **state)
{
    struct sm_model m;
    const char *t =
        "tunneld {\n sites {\n  west {\n"
        "   prefixes = 203.0.113.0/24, 2001:db8:100::/48\n"
        "   when_all_down = keep-last\n"
        "   paths {\n    er {\n"
        "     type = expressroute\n routing = exchange-provider\n provider = Equinix AMS\n"
        "     dev = eth1\n gateway4 = 192.0.2.2\n gateway6 = 2001:db8::2\n"
        "     priority = 10\n weight = 3\n hold_down = 300ms\n min_good = 2m\n"
        "     bfd {\n remote = 192.0.2.2\n local = 192.0.2.1\n multihop = yes\n"
        "       min_tx = 20ms\n min_rx = 50ms\n multiplier = 5\n min_ttl = 64\n }\n"
        "     echo {\n type = udp\n target = 2001:db8::9\n source = 2001:db8::1\n"
        "       port = 7007\n interval = 500ms\n timeout = 1s\n window = 20\n"
        "       size = 100\n }\n"
        "     sla {\n loss = 2.5%\n rtt = 150ms\n jitter = 30ms\n down_loss = 50\n }\n"
        "     dampening {\n enabled = no\n penalty = 500\n suppress = 2000\n"
        "       reuse = 100\n half_life = 30s\n max_suppress = 10m\n }\n"
        "    }\n"
        "    vpn {\n child = azure.sensors\n dev = xfrm-azure\n priority = 20\n"
        "     dpd_on_failure = no\n }\n"
        "   }\n  }\n }\n}\n";
    const struct sm_path *p;

    assert_int_equal(load(t, &m), 0);
    assert_false(m.legacy);
    assert_int_equal(m.n_warnings, 0);
    assert_string_equal(sm_model_section(&m), "tunneld.sites");
    assert_int_equal(m.n_sites, 1);
    assert_ptr_equal(sm_model_site(&m, "west"), &m.sites[0]);
    assert_null(sm_model_site(&m, "east"));
    assert_int_equal(m.sites[0].n_prefixes, 2);
    assert_string_equal(m.sites[0].prefixes[1], "2001:db8:100::/48");
    assert_int_equal(m.sites[0].fail_mode, SM_FAIL_KEEP_LAST);
    assert_int_equal(m.sites[0].n_paths, 2);
    p = &m.sites[0].paths[0];
    assert_string_equal(p->name, "er");
    assert_int_equal(p->type, SM_PATH_EXPRESSROUTE);
    assert_int_equal(p->routing, SM_ER_EXCHANGE_PROVIDER);
    assert_string_equal(p->provider, "Equinix AMS");
    assert_null(p->conn);
    assert_string_equal(p->dev, "eth1");
    assert_string_equal(p->gw4, "192.0.2.2");
    assert_string_equal(p->gw6, "2001:db8::2");
    assert_int_equal(p->priority, 10);
    assert_int_equal(p->weight, 3);
    assert_int_equal(p->hold_down_ms, 300);
    assert_int_equal(p->min_good_ms, 120000);
    assert_false(p->dpd_on_failure);
    assert_true(p->bfd.enabled);
    assert_string_equal(p->bfd.remote, "192.0.2.2");
    assert_string_equal(p->bfd.local, "192.0.2.1");
    assert_true(p->bfd.multihop);
    assert_int_equal(p->bfd.min_tx_us, 20000);
    assert_int_equal(p->bfd.min_rx_us, 50000);
    assert_int_equal(p->bfd.multiplier, 5);
    assert_int_equal(p->bfd.min_ttl, 64);
    assert_int_equal(p->echo.type, SM_ECHO_UDP);
    assert_string_equal(p->echo.target, "2001:db8::9");
    assert_string_equal(p->echo.source, "2001:db8::1");
    assert_int_equal(p->echo.port, 7007);
    assert_int_equal(p->echo.interval_ms, 500);
    assert_int_equal(p->echo.timeout_ms, 1000);
    assert_int_equal(p->echo.window, 20);
    assert_int_equal(p->echo.size, 100);
    assert_true(p->sla.loss_pct == 2.5);
    assert_int_equal(p->sla.rtt_ms, 150);
    assert_int_equal(p->sla.jitter_ms, 30);
    assert_true(p->sla.down_loss_pct == 50);
    assert_false(p->damp.enabled);
    assert_int_equal(p->damp.penalty, 500);
    assert_int_equal(p->damp.suppress, 2000);
    assert_int_equal(p->damp.reuse, 100);
    assert_int_equal(p->damp.half_life_ms, 30000);
    assert_int_equal(p->damp.max_suppress_ms, 600000);
    p = &m.sites[0].paths[1];
    assert_string_equal(p->name, "vpn");
    assert_int_equal(p->type, SM_PATH_VPN);
    assert_int_equal(p->routing, SM_ER_NONE);
    assert_string_equal(p->conn, "azure");
    assert_string_equal(p->child, "sensors");
    assert_false(p->dpd_on_failure);
    sm_model_free(&m);
    assert_null(m.sites);
}

/* every default of the contract (site_model.h, tunneld.conf(5)) */
static void test_defaults(void **state)
{
    struct sm_model m;
    const struct sm_path *p = load_path("dev = eth1", &m);

    assert_int_equal(m.sites[0].fail_mode, SM_FAIL_CLOSED);
    assert_int_equal(p->type, SM_PATH_EXPRESSROUTE);
    assert_int_equal(p->routing, SM_ER_CUSTOMER_MANAGED);
    assert_null(p->provider);
    assert_null(p->gw4);
    assert_null(p->gw6);
    assert_int_equal(p->priority, 100);
    assert_int_equal(p->weight, 1);
    assert_int_equal(p->hold_down_ms, 1000);
    assert_int_equal(p->min_good_ms, 10000);
    assert_false(p->dpd_on_failure); /* expressroute: no IKE */
    assert_false(p->bfd.enabled);
    assert_int_equal(p->echo.type, SM_ECHO_NONE);
    assert_true(p->sla.loss_pct == 10);
    assert_int_equal(p->sla.rtt_ms, 0);
    assert_int_equal(p->sla.jitter_ms, 0);
    assert_true(p->sla.down_loss_pct == 100);
    assert_true(p->damp.enabled);
    assert_int_equal(p->damp.penalty, 1000);
    assert_int_equal(p->damp.suppress, 3000);
    assert_int_equal(p->damp.reuse, 750);
    assert_int_equal(p->damp.half_life_ms, 15000);
    assert_int_equal(p->damp.max_suppress_ms, 120000);
    sm_model_free(&m);

    p = load_path("dev = x\n child = c.k\n bfd {\n remote = 192.0.2.9\n }\n"
                  "echo {\n target = 192.0.2.8\n }",
                  &m);
    assert_int_equal(p->type, SM_PATH_VPN);
    assert_int_equal(p->routing, SM_ER_NONE);
    assert_true(p->dpd_on_failure);
    assert_true(p->bfd.enabled);
    assert_null(p->bfd.local);
    assert_false(p->bfd.multihop);
    assert_int_equal(p->bfd.min_ttl, 0); /* multihop or not: 0, the session's default */
    assert_int_equal(p->bfd.min_tx_us, 300000);
    assert_int_equal(p->bfd.min_rx_us, 300000);
    assert_int_equal(p->bfd.multiplier, 3);
    assert_int_equal(p->echo.type, SM_ECHO_ICMP);
    assert_null(p->echo.source);
    assert_int_equal(p->echo.port, 7);
    assert_int_equal(p->echo.interval_ms, 1000);
    assert_int_equal(p->echo.timeout_ms, 2000);
    assert_int_equal(p->echo.window, 10);
    assert_int_equal(p->echo.size, 56);
    sm_model_free(&m);
}

static void test_types(void **state)
{
    refused("dev = x\n type = vpn", WHERE ".child: missing (a vpn path needs child");
    refused("dev = x\n type = expressroute\n child = a.b",
            WHERE ".child: an expressroute path has no CHILD_SA");
    refused("dev = x\n type = VPN", WHERE ".type: 'VPN' is not a path type (expected expressroute "
                                          "or vpn)");
    refused("dev = x\n child = a.b\n routing = customer-managed",
            WHERE ".routing: only expressroute paths take it (this path is type = vpn)");
    refused("dev = x\n child = a.b\n provider = X", WHERE ".provider: only expressroute paths");
    refused("dev = x\n dpd_on_failure = yes",
            WHERE ".dpd_on_failure: only vpn paths take it (this path is type = expressroute)");
    refused("dev = x\n routing = private", WHERE ".routing: 'private' is not an ExpressRoute "
                                                 "routing (expected customer-managed or "
                                                 "exchange-provider)");
    refused("dev = x\n provider = \"a\\tb\"", WHERE ".provider: 'a\\x09b' has a byte outside");
    accepted(
        "dev = x\n provider = 123456789012345678901234567890123456789012345678901234567890123");
    refused("dev = x\n provider = 1234567890123456789012345678901234567890123456789012345678901234",
            WHERE ".provider: expected 1..63 bytes of printable ASCII, got 64");
    for (const char *const *c = (const char *const[]){"a", "a.", ".b", "a.b.c", "ab", NULL}; *c;
         c++) {
        char body[64];
        snprintf(body, sizeof(body), "dev = x\n child = %s", *c);
        refused(body, WHERE ".child: expected <connection>.<child>, got '");
    }
    refused("gateway4 = 192.0.2.1", WHERE ".dev: missing (expected the path's interface)");
    refused("dev = \"\"", WHERE ".dev: missing");
}

static void test_ranges(void **state)
{
    static const struct {
        const char *body, *want; /* want NULL: accepted */
    } cases[] = {
        {"weight = 0", ".weight: '0' is not a number from 1 to 255"},
        {"weight = 1", NULL},
        {"weight = 255", NULL},
        {"weight = 256", ".weight: '256' is not a number from 1 to 255"},
        {"priority = 4294967295", NULL},
        {"priority = 4294967296", ".priority: '4294967296' is not a number from 0 to 4294967295"},
        {"priority = -1", ".priority: '-1' is not a number"},
        {"priority = 0x10", ".priority: '0x10' is not a number"},
        {"hold_down = 0", NULL},
        {"hold_down = 10m", NULL},
        {"hold_down = 601s", ".hold_down: '601s' is not a duration from 0ms to 10m"},
        {"min_good = 1h", NULL},
        {"min_good = 3601s", ".min_good: '3601s' is not a duration from 0ms to 1h"},
        {"min_good = 1.5s", ".min_good: '1.5s' is not a duration"},
        {"bfd {\n remote = 192.0.2.9\n multiplier = 0\n }",
         ".bfd.multiplier: '0' is not a number from 1 to 255"},
        {"bfd {\n remote = 192.0.2.9\n multiplier = 1\n }", NULL},
        {"bfd {\n remote = 192.0.2.9\n multiplier = 255\n }", NULL},
        {"bfd {\n remote = 192.0.2.9\n multiplier = 256\n }", ".bfd.multiplier: '256'"},
        {"bfd {\n remote = 192.0.2.9\n min_tx = 0ms\n }",
         ".bfd.min_tx: '0ms' is not a duration from 1ms to 1m"},
        {"bfd {\n remote = 192.0.2.9\n min_tx = 1ms\n }", NULL},
        {"bfd {\n remote = 192.0.2.9\n min_rx = 60s\n }", NULL},
        {"bfd {\n remote = 192.0.2.9\n min_rx = 60001ms\n }", ".bfd.min_rx: '60001ms'"},
        {"bfd {\n remote = 192.0.2.9\n min_rx = 4294967s\n }", ".bfd.min_rx: '4294967s'"},
        {"bfd {\n remote = 192.0.2.9\n multihop = maybe\n }",
         ".bfd.multihop: 'maybe' is not a boolean (expected yes or no)"},
        {"bfd {\n remote = 192.0.2.9\n min_ttl = 254\n }",
         ".bfd.min_ttl: only a multihop session has a configurable minimum TTL (single hop "
         "always requires 255; expected multihop = yes, or no min_ttl)"},
        {"bfd {\n remote = 192.0.2.9\n multihop = no\n min_ttl = 255\n }",
         ".bfd.min_ttl: only a multihop session"},
        {"bfd {\n remote = 192.0.2.9\n multihop = yes\n min_ttl = 0\n }",
         ".bfd.min_ttl: '0' is not a number from 1 to 255"},
        {"bfd {\n remote = 192.0.2.9\n multihop = yes\n min_ttl = 1\n }", NULL},
        {"bfd {\n remote = 192.0.2.9\n multihop = yes\n min_ttl = 255\n }", NULL},
        {"bfd {\n remote = 192.0.2.9\n multihop = yes\n min_ttl = 256\n }",
         ".bfd.min_ttl: '256' is not a number from 1 to 255"},
        {"bfd {\n remote = 192.0.2.9\n multihop = yes\n min_ttl = 64%\n }",
         ".bfd.min_ttl: '64%' is not a number"},
        {"echo {\n target = 192.0.2.9\n window = 0\n }",
         ".echo.window: '0' is not a number from 1 to 1000"},
        {"echo {\n target = 192.0.2.9\n window = 1000\n }", NULL},
        {"echo {\n target = 192.0.2.9\n window = 1001\n }", ".echo.window: '1001'"},
        {"echo {\n target = 192.0.2.9\n size = 9001\n }", ".echo.size: '9001'"},
        {"echo {\n target = 192.0.2.9\n interval = 0\n }", ".echo.interval: '0' is not a "
                                                           "duration from 1ms to 1m"},
        {"echo {\n target = 192.0.2.9\n timeout = 61s\n }", ".echo.timeout: '61s'"},
        {"echo {\n type = udp\n target = 192.0.2.9\n port = 0\n }",
         ".echo.port: '0' is not a number from 1 to 65535"},
        {"echo {\n type = udp\n target = 192.0.2.9\n port = 65535\n }", NULL},
        {"echo {\n target = 192.0.2.9\n port = 7\n }",
         ".echo.port: only UDP echo has a port (this echo is type = icmp)"},
        {"echo {\n type = tcp\n target = 192.0.2.9\n }", ".echo.type: 'tcp' is not an echo type"},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n loss = 100%\n }", NULL},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n loss = 100.5%\n }",
         ".sla.loss: '100.5%' is not a percentage (expected 0 to 100"},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n loss = 101\n }", ".sla.loss: '101'"},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n loss = 1.234%\n }", ".sla.loss: '1.234%'"},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n loss = -1\n }", ".sla.loss: '-1'"},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n loss = 20\n down_loss = 10%\n }",
         ".sla.loss: 20% is above down_loss 10% (expected the degraded threshold at or below"},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n loss = 0\n down_loss = 0\n }",
         ".sla.down_loss: 0% would make the path down with no loss at all"},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n rtt = 61s\n }", ".sla.rtt: '61s'"},
        {"echo {\n target = 192.0.2.9\n }\n sla {\n jitter = 20ms\n rtt = 0\n }", NULL},
        {"dampening {\n reuse = 3000\n }",
         ".dampening.reuse: 3000 is not below suppress 3000 (expected reuse < suppress)"},
        {"dampening {\n reuse = 2999\n }", NULL},
        {"dampening {\n enabled = no\n reuse = 3000\n }", NULL},
        {"dampening {\n penalty = 0\n }", ".dampening.penalty: '0' is not a number from 1"},
        {"dampening {\n half_life = 999ms\n }", ".dampening.half_life: '999ms' is not a duration "
                                                "from 1s to 1h"},
        {"dampening {\n max_suppress = 25h\n }", ".dampening.max_suppress: '25h'"},
        /* 750 x 2^(15/15) = 1500 < 3000 */
        {"dampening {\n max_suppress = 15s\n }",
         ".dampening: the penalty is capped at reuse x 2^(max_suppress / half_life) = 1500, below "
         "suppress 3000"},
        /* 750 x 2^(30/15) = 3000 */
        {"dampening {\n max_suppress = 30s\n }", NULL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[512], want[512];
        snprintf(body, sizeof(body), "dev = x\n%s", cases[i].body);
        snprintf(want, sizeof(want), "%s%s", WHERE, cases[i].want ? cases[i].want : "");
        if (cases[i].want)
            refused(body, want);
        else
            accepted(body);
    }
}

static void test_families(void **state)
{
    refused("dev = x\n gateway4 = 2001:db8::1", WHERE ".gateway4: '2001:db8::1' is not an IPv4 "
                                                      "address");
    refused("dev = x\n gateway6 = 192.0.2.1", WHERE ".gateway6: '192.0.2.1' is not an IPv6 "
                                                    "address");
    refused("dev = x\n gateway4 = 192.0.2.256", WHERE ".gateway4: '192.0.2.256'");
    accepted("dev = x\n gateway4 = \"\""); /* empty: none */
    refused("dev = x\n bfd {\n local = 192.0.2.1\n }",
            WHERE ".bfd.remote: missing (expected the BFD peer's address of the far side)");
    refused("dev = x\n echo {\n type = icmp\n }", WHERE ".echo.target: missing");
    refused("dev = x\n bfd {\n remote = peer.example\n }",
            WHERE ".bfd.remote: 'peer.example' is not an IPv4 or IPv6 address");
    refused("dev = x\n bfd {\n remote = 192.0.2.9\n local = 2001:db8::1\n }",
            WHERE ".bfd.local: 2001:db8::1 is IPv6 but remote is IPv4 (expected one family");
    refused("dev = x\n echo {\n target = 2001:db8::9\n source = 192.0.2.1\n }",
            WHERE ".echo.source: 192.0.2.1 is IPv4 but target is IPv6");
    /* a gateway4-only path carries IPv4 only */
    refused("dev = x\n gateway4 = 192.0.2.1\n bfd {\n remote = 2001:db8::9\n }",
            WHERE ".bfd.remote: 2001:db8::9 is IPv6 but the path has only gateway4 (expected an "
                  "IPv4 address, or gateway6 on the path too)");
    refused("dev = x\n gateway6 = 2001:db8::1\n echo {\n target = 192.0.2.9\n }",
            WHERE ".echo.target: 192.0.2.9 is IPv4 but the path has only gateway6");
    accepted("dev = x\n gateway4 = 192.0.2.1\n gateway6 = 2001:db8::1\n"
             " bfd {\n remote = 2001:db8::9\n }\n echo {\n target = 192.0.2.9\n }");
    accepted("dev = x\n child = a.b\n bfd {\n remote = 2001:db8::9\n local = 2001:db8::2\n }");
}

static void test_unknown_keys(void **state)
{
    refused("dev = x\n gateway = 192.0.2.1",
            WHERE ": unknown key 'gateway' (expected one of: type, routing, provider, child, dev, "
                  "gateway4, gateway6, priority, weight, hold_down, min_good, dpd_on_failure)");
    refused("dev = x\n probes {\n }",
            WHERE ": unknown section 'probes' (expected one of: bfd, echo, sla, dampening)");
    refused("dev = x\n bfd {\n remote = 192.0.2.9\n intervall = 1\n }",
            WHERE ".bfd: unknown key 'intervall' (expected one of: remote, local, multihop, "
                  "min_tx, min_rx, multiplier, min_ttl)");
    refused("dev = x\n echo {\n target = 192.0.2.9\n x {\n }\n }",
            WHERE ".echo: unexpected section 'x' (expected only keys)");
    refused("dev = x\n sla {\n latency = 1\n }", WHERE ".sla: unknown key 'latency' (expected one "
                                                       "of: loss, rtt, jitter, down_loss)");
    refused("dev = x\n dampening {\n decay = 1\n }",
            WHERE ".dampening: unknown key 'decay' (expected one of: enabled, reuse, penalty, "
                  "suppress, half_life, max_suppress)");
    refused("dev = x\n er%n = 1", WHERE ": unknown key 'er%n'");
}

static void refused_text(const char *text, const char *want)
{
    struct sm_model m;

    assert_int_equal(load(text, &m), -1);
    assert_int_equal(m.n_sites, 0);
    if (!strstr(err, want))
        fail_msg("got: %s\nwant: %s", err, want);
}

static void test_sites(void **state)
{
    struct sm_model m;
    char name[80];

    assert_int_equal(load("tunneld {\n x = 1\n}\n", &m), 0);
    assert_int_equal(m.n_sites, 0);
    assert_null(m.warnings);
    sm_model_free(&m);
    refused_text("tunneld {\n sites {\n k = v\n }\n}\n",
                 "t.conf: tunneld.sites: unexpected key 'k' (expected only sections)");
    refused_text("tunneld {\n sites {\n w {\n prefixes = 192.0.2.0/24\n"
                 " when_all_down = open\n paths {\n p {\n dev = x\n }\n }\n }\n }\n}\n",
                 "t.conf: tunneld.sites.w.when_all_down: 'open' is not a mode (expected "
                 "fail-closed or keep-last)");
    refused_text("tunneld {\n sites {\n w {\n prefixes = 192.0.2.0/24\n paths {\n }\n }\n }\n}\n",
                 "t.conf: tunneld.sites.w.paths: expected at least one path");
    refused_text("tunneld {\n sites {\n w {\n paths {\n p {\n dev = x\n }\n }\n }\n }\n}\n",
                 "t.conf: tunneld.sites.w.prefixes: missing");
    refused_text(
        "tunneld {\n sites {\n w {\n prefix = 1\n }\n }\n}\n",
        "t.conf: tunneld.sites.w: unknown key 'prefix' (expected one of: prefixes, prefixes_file, "
        "when_all_down)");
    refused_text("tunneld {\n sites {\n w {\n prefixes = 192.0.2.1/24\n paths {\n p {\n dev = x\n"
                 " }\n }\n }\n }\n}\n",
                 "t.conf: tunneld.sites.w.prefixes: '192.0.2.1/24' is not a prefix (expected "
                 "address/length with no host bits set");
    refused_text("tunneld {\n sites {\n w {\n prefixes = \" , \"\n paths {\n p {\n dev = x\n"
                 " }\n }\n }\n }\n}\n",
                 "t.conf: tunneld.sites.w.prefixes: empty");
    refused_text("tunneld {\n sites {\n er%s%n {\n }\n }\n}\n",
                 "t.conf: tunneld.sites: site name 'er%s%n' is invalid (expected 1..63 "
                 "characters of A-Z a-z 0-9 _ -");
    refused_text("tunneld {\n sites {\n w {\n prefixes = 192.0.2.0/24\n paths {\n a\x01 {\n"
                 " }\n }\n }\n }\n}\n",
                 "t.conf: tunneld.sites.w.paths: path name 'a\\x01' is invalid");
    /* names at and past the limit */
    memset(name, 'n', 63);
    name[63] = '\0';
    {
        char text[512];
        snprintf(text, sizeof(text),
                 "tunneld {\n sites {\n %s {\n prefixes = 192.0.2.0/24\n paths {\n %s {\n"
                 " dev = x\n }\n }\n }\n }\n}\n",
                 name, name);
        assert_int_equal(load(text, &m), 0);
        assert_string_equal(m.sites[0].paths[0].name, name);
        sm_model_free(&m);
        name[63] = 'n';
        name[64] = '\0';
        snprintf(text, sizeof(text), "tunneld {\n sites {\n %s {\n }\n }\n}\n", name);
        refused_text(text, "site name 'nnnn");
    }
}

static void test_legacy(void **state)
{
    struct sm_model m;
    const char *old = "tunneld {\n routes {\n table = 1170\n sites {\n w {\n"
                      " prefixes = 192.0.2.0/24\n paths {\n p {\n dev = x\n child = a.b\n }\n"
                      " }\n }\n }\n }\n}\n";

    assert_int_equal(load(old, &m), 0);
    assert_true(m.legacy);
    assert_string_equal(sm_model_section(&m), "tunneld.routes.sites");
    assert_int_equal(m.n_warnings, 1);
    assert_non_null(strstr(m.warnings[0], "t.conf: tunneld.routes.sites is deprecated and read "
                                          "for one release only: move the sites to "
                                          "tunneld.sites"));
    assert_int_equal(m.sites[0].paths[0].type, SM_PATH_VPN);
    assert_string_equal(m.sites[0].paths[0].conn, "a");
    sm_model_free(&m);
    /* an empty old section (the old sample file) is no location */
    assert_int_equal(load("tunneld {\n routes {\n sites {\n }\n }\n}\n", &m), 0);
    assert_false(m.legacy);
    assert_int_equal(m.n_warnings, 0);
    sm_model_free(&m);
    /* the old location keeps the old keys */
    refused_text("tunneld {\n routes {\n sites {\n w {\n prefixes = 192.0.2.0/24\n paths {\n"
                 " p {\n dev = x\n bfd {\n }\n }\n }\n }\n }\n }\n}\n",
                 "t.conf: tunneld.routes.sites.w.paths.p: unexpected section 'bfd' (expected "
                 "only keys)");
    refused_text(
        "tunneld {\n routes {\n sites {\n w {\n when_all_down = keep-last\n }\n }\n }\n}\n",
        "t.conf: tunneld.routes.sites.w: unknown key 'when_all_down' (expected one of: "
        "prefixes)");
    refused_text("tunneld {\n sites {\n w {\n }\n }\n routes {\n sites {\n v {\n }\n }\n }\n}\n",
                 "t.conf: tunneld.routes.sites: both tunneld.sites and tunneld.routes.sites are "
                 "set (expected the sites in tunneld.sites only");
}

static void test_sla_warning(void **state)
{
    struct sm_model m;

    load_path("dev = x\n sla {\n loss = 5\n }", &m);
    assert_int_equal(m.n_warnings, 1);
    assert_non_null(strstr(m.warnings[0], "t.conf: tunneld.sites.west.paths.p.sla: loss, RTT and "
                                          "jitter are measured by echo probes"));
    sm_model_free(&m);
}

static void test_values(void **state)
{
    uint64_t v;
    double d;
    int af;
    sm_quoted_t q;
    char long_text[100];

    assert_true(sm_parse_duration_ms("300ms", &v) && v == 300);
    assert_true(sm_parse_duration_ms("1s", &v) && v == 1000);
    assert_true(sm_parse_duration_ms("2m", &v) && v == 120000);
    assert_true(sm_parse_duration_ms("1h", &v) && v == 3600000);
    assert_true(sm_parse_duration_ms("2", &v) && v == 2000);
    assert_true(sm_parse_duration_ms("0", &v) && v == 0);
    assert_true(sm_parse_duration_ms("999999999999h", &v)); /* no overflow */
    for (const char *const *b = (const char *const[]){"", "ms", "1 s", " 1s", "-1", "1.5s", "1d",
                                                      "1S", "1sec", "0x1", "1000000000000", NULL};
         *b; b++)
        assert_false(sm_parse_duration_ms(*b, &v));
    assert_false(sm_parse_duration_ms(NULL, &v));
    assert_true(sm_parse_percent("10%", &d) && d == 10);
    assert_true(sm_parse_percent("10", &d) && d == 10);
    assert_true(sm_parse_percent("0.5%", &d) && d == 0.5);
    assert_true(sm_parse_percent("100.00", &d) && d == 100);
    for (const char *const *b = (const char *const[]){"", "%", "100.01", "1000", ".5", "5.", "5.%",
                                                      "5%%", "1e1", " 5", "+5", "nan", NULL};
         *b; b++)
        assert_false(sm_parse_percent(*b, &d));
    assert_true(sm_parse_bool("enabled", &(bool){false}));
    assert_false(sm_parse_bool("YES", &(bool){false}));
    assert_true(sm_parse_uint("18446744073709551615", 0, UINT64_MAX, &v));
    assert_false(sm_parse_uint("18446744073709551616", 0, UINT64_MAX, &v));
    assert_false(sm_parse_uint("", 0, 1, &v));
    assert_int_equal(sm_addr_family("192.0.2.1"), AF_INET);
    assert_int_equal(sm_addr_family("::ffff:192.0.2.1"), AF_INET6);
    assert_int_equal(sm_addr_family("192.0.2.1/32"), 0);
    assert_int_equal(sm_addr_family("fe80::1%eth0"), 0);
    assert_true(sm_prefix_valid("0.0.0.0/0", &af) && af == AF_INET);
    assert_true(sm_prefix_valid("203.0.113.7", &af) && af == AF_INET);
    assert_true(sm_prefix_valid("2001:db8:100::/48", &af) && af == AF_INET6);
    assert_false(sm_prefix_valid("2001:db8:100::/39", &af));
    assert_false(sm_prefix_valid("203.0.113.0/33", &af));
    assert_false(sm_prefix_valid("203.0.113.0/", &af));
    assert_false(sm_prefix_valid("203.0.113.0/024x", &af));
    assert_false(sm_prefix_valid("203.0.113.128/24", &af));
    assert_true(sm_prefix_valid("203.0.113.128/25", &af));
    assert_false(sm_prefix_valid("/24", &af));
    assert_string_equal(sm_quote("a%s\\\x01\xff", &q), "a%s\\x5c\\x01\\xff");
    memset(long_text, 'x', 99);
    long_text[99] = '\0';
    assert_non_null(strstr(sm_quote(long_text, &q), "...(99 bytes)"));
    assert_string_equal(sm_quote(NULL, &q), "");
}

/* the sample conf/tunneld.conf with its examples uncommented (in the
 * sites, checks and posture sections, a "# " at the start of a line's text
 * removed): the documented example loads */
static void test_sample(void **state)
{
    FILE *f = fopen(SAMPLE_CONF, "r");
    char line[512], *text = calloc(1, 65536);
    size_t used = 0;
    struct sm_model m;
    const struct sm_site *site;
    bool in_sites = false;

    assert_non_null(f);
    assert_non_null(text);
    while (fgets(line, sizeof(line), f)) {
        char *p = line + strspn(line, " ");
        /* the examples: the sites, checks and posture sections */
        if (!strcmp(line, "    sites {\n") || !strcmp(line, "    checks {\n") ||
            !strcmp(line, "    posture {\n"))
            in_sites = true;
        else if (!strcmp(line, "    }\n"))
            in_sites = false;
        if (in_sites && !strncmp(p, "# ", 2))
            memmove(p, p + 2, strlen(p + 2) + 1);
        used += (size_t)snprintf(text + used, 65536 - used, "%s", line);
        assert_true(used < 65536);
    }
    fclose(f);
    assert_int_equal(load(text, &m), 0);
    free(text);
    site = sm_model_site(&m, "azure-westeurope");
    if (!site)
        fail_msg("no site: %zu sites, %s", m.n_sites, m.n_sites ? m.sites[0].name : "");
    assert_non_null(site);
    assert_int_equal(site->n_paths, 2);
    assert_int_equal(site->paths[0].type, SM_PATH_EXPRESSROUTE);
    assert_true(site->paths[0].bfd.enabled);
    assert_int_equal(site->paths[1].type, SM_PATH_VPN);
    assert_int_equal(site->paths[1].echo.type, SM_ECHO_ICMP);
    assert_int_equal(site->paths[1].sla.rtt_ms, 150);
    assert_false(m.legacy);
    /* issue 10: the sensor groups, tunneld.checks and tunneld.posture */
    assert_int_equal(site->n_groups, 2);
    assert_string_equal(site->groups[0].name, "ot-22x");
    assert_int_equal(site->groups[0].n_endpoints, 2);
    assert_int_equal(site->groups[0].method, SM_METHOD_PROXY);
    assert_int_equal(site->groups[0].n_via, 2);
    assert_string_equal(site->groups[0].credentials, "dmz");
    assert_int_equal(site->groups[0].auth, 3);
    assert_true(site->groups[1].legacy);
    assert_int_equal(site->groups[1].tls.warn_days, 30);
    assert_int_equal(m.n_warnings, 0);
    assert_int_equal(m.checks.interval_ms, 30000);
    assert_int_equal(m.checks.on_failure, SM_APP_DEGRADE);
    assert_int_equal(m.checks.tls.min_version, 0x0303);
    assert_int_equal(m.checks.tls.warn_days, 14);
    assert_false(m.posture.enforce);
    assert_string_equal(m.posture.table, "tunneld_posture");
    sm_model_free(&m);
}

/* writes a prefixes file in a fresh directory; returns its path (static) */
static const char *prefix_file(const char *content, size_t len)
{
    static char dir[] = "/tmp/test_site_model.XXXXXX", path[64];
    static bool made;
    FILE *f;

    if (!made)
        assert_non_null(mkdtemp(dir));
    made = true;
    snprintf(path, sizeof(path), "%s/p.txt", dir);
    assert_non_null(f = fopen(path, "w"));
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    return path;
}

static char *sites_with_file(const char *path, const char *extra)
{
    static char text[1024];

    snprintf(text, sizeof(text),
             "tunneld { sites { west {\n%s\nprefixes_file = %s\n"
             "paths { p { dev = eth1\ngateway4 = 192.0.2.1 } } } } }",
             extra, path);
    return text;
}

/* prefixes_file: one prefix a line, comments, blanks and CRLF; with the
 * list; errors name the file and the line; only regular files */
static void test_prefixes_file(void **state)
{
    static const char good[] = "# azure west\n203.0.113.0/24\r\n\n  198.51.100.0/25 # half\n"
                               "2001:db8:100::/48";
    struct sm_model m;
    const char *path;

    path = prefix_file(good, sizeof(good) - 1);
    assert_int_equal(load(sites_with_file(path, ""), &m), 0);
    assert_int_equal(m.sites[0].n_prefixes, 3);
    assert_string_equal(m.sites[0].prefixes[1], "198.51.100.0/25");
    assert_string_equal(m.sites[0].prefixes[2], "2001:db8:100::/48");
    assert_string_equal(m.sites[0].prefixes_file, path);
    sm_model_free(&m);
    assert_int_equal(load(sites_with_file(path, "prefixes = 100.64.0.0/24"), &m), 0);
    assert_int_equal(m.sites[0].n_prefixes, 4);
    sm_model_free(&m);

    path = prefix_file("203.0.113.0/24\n\n203.0.113.1/24\n", 30);
    refused_text(sites_with_file(path, ""), "p.txt:3: '203.0.113.1/24' is not a prefix");
    path = prefix_file("203.0.113.0/24\0\n", 16);
    refused_text(sites_with_file(path, ""), "contains a NUL byte");
    path = prefix_file("# nothing\n\n", 11);
    refused_text(sites_with_file(path, ""), "prefixes_file: empty");
    refused_text(sites_with_file("/tmp", ""), "not a regular file");
    refused_text(sites_with_file("/proc/self/status", ""), "on /proc or /sys");
    refused_text(sites_with_file("/nonexistent/p.txt", ""), "No such file");
    /* the file and its directory go with the test */
    assert_int_equal(unlink(path), 0);
    *strrchr((char *)path, '/') = '\0';
    assert_int_equal(rmdir(path), 0);
    (void)state;
}

static int setup(void **state)
{
    char conf[] = "/tmp/test_site_model_settings.XXXXXX";
    int fd = mkstemp(conf);

    if (fd < 0)
        return -1;
    close(fd);
    dbg_default_set_level(LEVEL_SILENT);
    bool ok = library_init(conf, "test_site_model");
    unlink(conf);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    library_deinit();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_types),       cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_families),    cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_sites),       cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_sla_warning), cmocka_unit_test(test_values),
        cmocka_unit_test(test_sample),      cmocka_unit_test(test_prefixes_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
