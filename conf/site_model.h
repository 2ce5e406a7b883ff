/*
 * site_model: the typed model of tunneld's sites (library tunneld_conf).
 *
 * Reads `tunneld.sites.<site>` from a libstrongswan settings_t (the daemon
 * settings file, parsed by libstrongswan's settings parser, never by hand):
 * each site's prefixes, its paths, and per path how it routes, its probes,
 * its SLA thresholds, hold-down, minimum good time and dampening. Every key
 * has a documented default (docs/health.md, docs/man/tunneld.conf.5); every
 * error names the file, the section and the key, and what was expected.
 * The previous location `tunneld.routes.sites` is still read for one
 * release, with a deprecation warning in sm_model.warnings; having both is
 * an error.
 *
 * The model knows nothing of who runs it: tunneld/ turns it into the route
 * engine's desired state (routes/) and the health engine's configuration
 * (health/). A later issue builds full validation, reload diffs and
 * `tunnelctl check` on top of it.
 *
 * Every loaded model, even one without sites, owns memory: free it with
 * sm_model_free (added for issue 10: the posture's table name).
 *
 * Threading: none of its own; sm_model_load() reads the settings it is given
 * (tunneld's main thread: start, SIGHUP, tunneld -n). The model is
 * immutable once loaded and may be read from any thread.
 */
#ifndef TUNNELD_SITE_MODEL_H
#define TUNNELD_SITE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SM_NAME_MAX 63 /* bytes of a site or path name */

enum sm_path_type { SM_PATH_EXPRESSROUTE, SM_PATH_VPN, SM_PATH_OTHER };
enum sm_er_routing { SM_ER_NONE, SM_ER_CUSTOMER_MANAGED, SM_ER_EXCHANGE_PROVIDER };
enum sm_echo_type { SM_ECHO_NONE, SM_ECHO_ICMP, SM_ECHO_UDP };
enum sm_fail_mode { SM_FAIL_CLOSED, SM_FAIL_KEEP_LAST };
enum sm_degrade_action { SM_APP_DEGRADE, SM_APP_DOWN }; /* for issue 10's checks */

/* BFD towards one responder on the far side of the path (RFC 5880/5881/5883) */
struct sm_bfd {
    bool enabled;
    char *remote;       /* IPv4 or IPv6 literal */
    char *local;        /* source address; NULL: the kernel's choice for the path */
    bool multihop;      /* RFC 5883, port 4784; else single hop 3784, TTL 255 */
    uint32_t min_tx_us; /* desired min TX interval, default 300 ms */
    uint32_t min_rx_us; /* required min RX interval, default 300 ms */
    uint8_t multiplier; /* detect multiplier, default 3 */
    uint8_t min_ttl;    /* multihop: lowest TTL accepted, 1..255; 0 (default): any.
                         * Single hop always requires 255 (the key is refused there) */
};

/* ICMP or UDP echo, like pfSense's dpinger */
struct sm_echo {
    enum sm_echo_type type; /* default none (no echo) */
    char *target;           /* literal address */
    char *source;           /* NULL: the kernel's choice for the path */
    uint16_t port;          /* UDP echo port, default 7 */
    uint32_t interval_ms;   /* default 1000 */
    uint32_t timeout_ms;    /* a reply later than this is a loss, default 2000 */
    uint32_t window;        /* samples in the sliding window, default 10 */
    uint16_t size;          /* payload bytes, default 56 */
};

/* SLA thresholds: breaching one makes the path degraded; 0 means none */
struct sm_sla {
    double loss_pct;      /* default 10 */
    uint32_t rtt_ms;      /* default 0 (none) */
    uint32_t jitter_ms;   /* default 0 (none) */
    double down_loss_pct; /* loss at or above this is down (after hold-down), default 100 */
};

/* RFC 2439-style flap dampening */
struct sm_dampening {
    bool enabled;             /* default yes */
    uint32_t penalty;         /* added per flap (a usable path going down), default 1000 */
    uint32_t suppress;        /* suppressed at or above, default 3000 */
    uint32_t reuse;           /* usable again below, default 750 */
    uint32_t half_life_ms;    /* default 15 s */
    uint32_t max_suppress_ms; /* default 120 s */
};

struct sm_path {
    char *name;
    enum sm_path_type type;
    enum sm_er_routing routing; /* expressroute only */
    char *provider;             /* expressroute: a name for status, may be NULL */
    char *conn, *child;         /* vpn: `child = <conn>.<child>`; NULL otherwise */
    char *dev;                  /* interface (required) */
    char *gw4, *gw6;            /* next hops, NULL when absent */
    unsigned priority;          /* lower preferred, default 100 */
    unsigned weight;            /* 1..255, default 1 */
    struct sm_bfd bfd;
    struct sm_echo echo;
    struct sm_sla sla;
    uint32_t hold_down_ms; /* before down on probe loss, default 1000 */
    uint32_t min_good_ms;  /* before a recovered path carries traffic, default 10 s */
    struct sm_dampening damp;
    bool dpd_on_failure; /* vpn: ask charon for a DPD when probes fail, default yes */
    uint32_t probe_mark; /* fwmark pinning probes to this path (set by tunneld) */
};

/* issue 10: a sensor group's way to Azure and what it checks */
enum sm_check_method { SM_METHOD_DIRECT, SM_METHOD_PROXY };

struct sm_endpoint {
    char *host; /* a DNS name (no wildcard) or a literal */
    uint16_t port;
};

/* the TLS policy (tunneld.checks.tls, a group's tls overrides it) */
struct sm_tls {
    int min_version;    /* `min_version = 1.2 | 1.3`: 0x0303 (default) or 0x0304 */
    unsigned min_bits;  /* `cipher_bits`, default 256 */
    bool require_aes;   /* `require_aes`, default yes */
    char *ca_file;      /* `ca_file`, NULL: the system's bundle */
    unsigned warn_days; /* `cert_warn`, days before expiry, default 14 */
};

/* tunneld.sites.<site>.sensors.<group> */
struct sm_group {
    char *name;
    bool legacy;    /* `legacy = yes`: a pre-22.x group naming its IoT Hub host(s) */
    char **subnets; /* `subnets`: the sensors' CIDRs (at least one) */
    size_t n_subnets;
    struct sm_endpoint *endpoints; /* `endpoints` then `endpoints_file`, duplicates dropped */
    size_t n_endpoints;
    char *endpoints_file;        /* as written, NULL none */
    enum sm_check_method method; /* `method = direct | proxy` (default direct) */
    char *proxy_host;            /* `proxy = host:port` (method proxy) */
    uint16_t proxy_port;
    char **via; /* `via = dmz-proxy, azure-proxy`: the chain's hops for status */
    size_t n_via;
    char *credentials; /* `credentials = NAME`: secrets.proxy-NAME of the connections file */
    unsigned auth;     /* `proxy_auth = any | basic, digest, ntlm, negotiate` (checks.h mask) */
    char *source;      /* `source`: the checks' source address, NULL: the kernel's choice */
    struct sm_tls tls; /* tunneld.checks.tls with this group's tls section over it */
};

/* tunneld.checks */
struct sm_checks {
    uint32_t interval_ms;                  /* default 30 s */
    uint32_t jitter_pct;                   /* default 10 */
    uint32_t concurrency;                  /* default 8 */
    uint32_t connect_ms, proxy_ms, tls_ms; /* per phase timeouts, default 5 s each */
    enum sm_degrade_action on_failure;     /* `on_failure = degraded | down` (default degraded) */
    struct sm_tls tls;
};

/* tunneld.posture */
struct sm_posture {
    bool enforce; /* default no */
    char *table;  /* default "tunneld_posture" */
};

struct sm_site {
    char *name;
    char **prefixes; /* CIDR strings as written */
    size_t n_prefixes;
    struct sm_path *paths;
    size_t n_paths;
    enum sm_fail_mode fail_mode; /* `when_all_down = fail-closed | keep-last` */
    char *prefixes_file;         /* as written, NULL when none; its prefixes are in prefixes */
    struct sm_group *groups;     /* issue 10: `sensors { <group> { ... } }` */
    size_t n_groups;
};

struct sm_model {
    struct sm_site *sites;
    size_t n_sites;
    bool legacy;     /* read from tunneld.routes.sites (deprecated) */
    char **warnings; /* deprecations and what could not be checked */
    size_t n_warnings;
    struct sm_checks checks;   /* issue 10 (defaults when absent) */
    struct sm_posture posture; /* issue 10 */
};

struct settings_t; /* libstrongswan's settings_t */

/*
 * Reads the sites from settings (file names it in messages). Returns 0, or
 * -1 with err set ("<file>: tunneld.sites.<site>.paths.<path>.<key>: <what
 * was expected>"); out is then empty. No sites is valid.
 */
int sm_model_load(struct settings_t *settings, const char *file, struct sm_model *out, char *err,
                  size_t errlen);
void sm_model_free(struct sm_model *m);
const struct sm_site *sm_model_site(const struct sm_model *m, const char *name);
const char *sm_path_type_name(enum sm_path_type t);

/* added for issue 9 (route_conf, messages): */
#define SM_SITES_NS  "tunneld.sites"        /* where the sites are read from */
#define SM_LEGACY_NS "tunneld.routes.sites" /* deprecated location (one release) */
/* the section the model was read from: SM_LEGACY_NS when m->legacy */
const char *sm_model_section(const struct sm_model *m);
/* added (issue 9 fix): checks against this host (its network namespace), kept
 * out of sm_model_load so that loading stays independent of the machine: a
 * BFD remote that is one of this host's addresses. 0, or -1 with err set
 * ("<file>: tunneld.sites.<site>.paths.<path>.bfd.remote: ..."). */
int sm_model_check_host(const struct sm_model *m, const char *file, char *err, size_t errlen);
/*
 * Without loading: the section the sites of settings are read from
 * (SM_LEGACY_NS when only it has content), and whether either location has
 * a site (for what must be decided before the model is loaded, such as
 * charon's own routes at start).
 */
const char *sm_settings_section(struct settings_t *settings);
bool sm_settings_has_sites(struct settings_t *settings);

#endif
