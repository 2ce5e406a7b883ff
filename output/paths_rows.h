/*
 * paths_rows: the typed rows of tunneld's "paths" document (path health,
 * docs/schema/paths.schema.json, control command "paths", tunnelctl paths).
 *
 * One set of rows for both ends: tunneld fills them from the health engine
 * and renders them with paths_json_render (paths_json.h); tunnelctl reads a
 * reply into them with paths_json_parse and prints them (tunnelctl/output.h).
 *
 * Strings are borrowed: the rows never own them. tunneld points them at its
 * own texts for the time of one render; a parsed document keeps them in one
 * arena (paths_doc.strings) freed by paths_doc_free. NULL where the schema
 * allows null (said at each field); a name is never NULL.
 *
 * Times are wall-clock seconds since the epoch (0: never); durations are
 * milliseconds or microseconds as named.
 *
 * Threading: plain data; the name functions are pure (any thread).
 */
#ifndef TUNNELD_PATHS_ROWS_H
#define TUNNELD_PATHS_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health_types.h" /* enum hl_path_state, hl_bfd_state */
#include "sa_table.h"     /* sa_state_t */

#define PATHS_JSON_VERSION     2 /* 2: issue 10's checks and posture */
#define PATHS_JSON_VERSION_MIN 1 /* the oldest a reader accepts (no check keys: none ran) */

/* a JSON boolean that may be null (unknown / not applicable) */
typedef enum { PATHS_NULL = -1, PATHS_FALSE = 0, PATHS_TRUE = 1 } paths_bool_t;

enum paths_type { PATHS_TYPE_EXPRESSROUTE, PATHS_TYPE_VPN, PATHS_TYPE_OTHER, PATHS_TYPE_MAX };
enum paths_routing {
    PATHS_ROUTING_NONE, /* JSON null: not an ExpressRoute path */
    PATHS_ROUTING_CUSTOMER_MANAGED,
    PATHS_ROUTING_EXCHANGE_PROVIDER,
    PATHS_ROUTING_MAX
};
enum paths_fail_mode { PATHS_FAIL_CLOSED, PATHS_FAIL_KEEP_LAST, PATHS_FAIL_MAX };
enum paths_echo_type { PATHS_ECHO_ICMP, PATHS_ECHO_UDP, PATHS_ECHO_MAX };
enum paths_next_hop {
    PATHS_NH_NONE, /* JSON null: no next hop watched (no gateway, VPN) or not known yet */
    PATHS_NH_OK,   /* the neighbour entry is not FAILED */
    PATHS_NH_FAILED,
    PATHS_NH_MAX
};

#define PATHS_DIAG_MAX 31 /* RFC 5880 diagnostic: 5 bits; 9..31 are reserved */

/* BFD of a path (bfd.h, struct hl_bfd_status) */
struct paths_bfd {
    bool configured;    /* false: JSON null, nothing below is rendered */
    const char *remote; /* the responder's address */
    bool multihop;
    enum hl_bfd_state state;         /* admin-down, down, init, up (never HL_BFD_OFF) */
    uint8_t local_diag, remote_diag; /* 0..PATHS_DIAG_MAX, named by paths_diag_name */
    uint32_t local_disc, remote_disc;
    uint32_t tx_interval_us, rx_interval_us, detect_time_us; /* negotiated */
    uint8_t remote_multiplier;
    int64_t last_change; /* wall seconds, 0 never */
    /* optional members (absent from older replies: 0) */
    uint8_t min_ttl;     /* lowest TTL accepted: 255 single hop, 1 (any) .. 255 multihop */
    uint64_t rx_dropped; /* packets for this session dropped by our checks (TTL, address...) */
    bool has_rx_dropped; /* rx_dropped is known (rendered only then) */
};

/* echo statistics over the sliding window (echo.h, struct hl_echo_stats) */
struct paths_echo {
    bool configured; /* false: JSON null, nothing below is rendered */
    enum paths_echo_type type;
    const char *target;
    bool valid;        /* enough samples for a verdict */
    double loss_pct;   /* 0..100 */
    double rtt_avg_ms; /* >= 0 */
    double jitter_ms;  /* >= 0, mean |RTT(i) - RTT(i-1)| (echo.h) */
    uint32_t samples;  /* probes in the window whose timeout has passed */
    uint32_t received; /* of those, answered in time */
    uint32_t lost_in_row;
};

/* the CHILD_SA of a VPN path, from the SA table */
struct paths_sa {
    const char *child; /* "<connection>.<child>"; NULL: not a VPN path (JSON null) */
    bool has_state;    /* false: no row in the SA table (JSON null state) */
    sa_state_t state;  /* the SA table's words (sa_state_name) */
};

struct paths_path {
    const char *name;
    enum paths_type type;
    enum paths_routing routing; /* ExpressRoute only */
    const char *provider;       /* NULL: none */
    const char *dev;
    unsigned priority, weight;
    enum hl_path_state state;
    const char
        *reason;   /* why it is in that state, e.g. "BFD down: control detection time expired" */
    bool eligible; /* may carry traffic now (usable, good time served) */
    bool active;   /* carries the site's traffic now */
    int64_t since; /* wall seconds of the last state change, 0 never */
    uint64_t good_remaining_ms; /* good time left before it may carry traffic again, 0 none */
    double penalty;             /* dampening penalty now (decayed), >= 0 */
    uint32_t flaps;
    paths_bool_t carrier; /* link carrier; NULL unknown */
    enum paths_next_hop next_hop;
    uint32_t probe_mark; /* fwmark pinning the path's probes, 0 none */
    struct paths_bfd bfd;
    struct paths_echo echo;
    struct paths_sa sa;
    /* issue 10: the application checks' verdict on this path (JSON null: no checks) */
    paths_bool_t app_ok;    /* PATHS_FALSE: a path fault, named by app_reason */
    const char *app_reason; /* NULL when app_ok is not PATHS_FALSE */
};

/* one decision of a site: "er-cmr -> vpn (er-cmr: BFD down, ...)" */
struct paths_event {
    int64_t time; /* wall seconds */
    const char *text;
};

/* issue 10: application checks (checks/checks.h) */
enum paths_verdict { PATHS_V_PENDING, PATHS_V_PASS, PATHS_V_WARN, PATHS_V_FAIL, PATHS_V_MAX };
enum paths_fault { PATHS_FAULT_NONE, PATHS_FAULT_PATH, PATHS_FAULT_SERVICE, PATHS_FAULT_MAX };
enum paths_phase {
    PATHS_PH_NONE, /* JSON null */
    PATHS_PH_DNS,
    PATHS_PH_CONNECT,
    PATHS_PH_PROXY,
    PATHS_PH_TLS,
    PATHS_PH_POLICY,
    PATHS_PH_MAX
};

/* a sensor group of a site */
struct paths_group {
    const char *name;
    bool legacy;       /* pre-22.x (IoT Hub): reported apart */
    const char *proxy; /* "host:port" of the first hop; NULL: direct */
    const char **via;  /* the chain's hops for status, first hop first */
    size_t n_via;
    const char **subnets; /* sensor subnets (CIDR) */
    size_t n_subnets;
};

/* one check: a group x endpoint on one path, as of the last round */
struct paths_check {
    const char *group, *path;
    const char *endpoint; /* "host:port" */
    enum paths_verdict verdict;
    enum paths_phase phase; /* fail: where it stopped */
    enum paths_fault fault;
    const char *reason;                               /* NULL when it passes without a warning */
    int64_t at;                                       /* wall seconds, 0 never */
    int64_t connect_ms, proxy_ms, tls_ms;             /* -1: not reached (JSON null) */
    int proxy_status;                                 /* CONNECT answer code, 0: none (JSON null) */
    const char *proxy_line, *proxy_hop, *proxy_error; /* NULL: none */
    const char *tls_version, *cipher;                 /* NULL: no session */
    unsigned cipher_bits;
    const char *cert_subject, *cert_issuer; /* NULL: none */
    int64_t cert_not_after;                 /* wall seconds, 0 unknown */
};

struct paths_site {
    const char *name;
    const char **active; /* names of the paths carrying traffic (ECMP: several) */
    size_t n_active;
    enum paths_fail_mode fail_mode;
    const char *pinned;         /* path pinned by the operator, NULL none */
    struct paths_event *events; /* recent decisions, oldest first; the last is the current one */
    size_t n_events;
    struct paths_path *paths;
    size_t n_paths;
    /* issue 10 (empty when the site has no sensor groups) */
    struct paths_group *groups;
    size_t n_groups;
    struct paths_check *checks;
    size_t n_checks;
};

/* issue 10: the outbound-only posture (posture/posture.h) */
enum paths_posture_state {
    PATHS_POSTURE_OFF,          /* not asked for (posture.enforce = no) */
    PATHS_POSTURE_ENFORCED,     /* the forward policy is in place */
    PATHS_POSTURE_NOT_ENFORCED, /* asked for, not in place: reason says why */
    PATHS_POSTURE_MAX
};
struct paths_posture {
    enum paths_posture_state state;
    const char *reason; /* NULL when enforced */
};

struct paths_doc {
    struct paths_site *sites;
    size_t n_sites;
    const char *
        *problems; /* what keeps health from doing what it is asked (engine not running...) */
    size_t n_problems;
    struct paths_posture posture; /* issue 10 */
    int64_t checks_last_round;    /* wall seconds, 0 never (issue 10) */
    uint64_t checks_rounds;
    char *strings; /* parsed documents: the arena every string points into; else NULL */
};

/* the document's words ("up", "admin-down", "expressroute", ...); NULL out of range */
const char *paths_state_name(enum hl_path_state s);
const char *paths_bfd_state_name(enum hl_bfd_state s);
const char *paths_type_name(enum paths_type t);
const char *paths_routing_name(enum paths_routing r); /* NULL for PATHS_ROUTING_NONE */
const char *paths_fail_mode_name(enum paths_fail_mode m);
const char *paths_echo_type_name(enum paths_echo_type t);
const char *paths_next_hop_name(enum paths_next_hop n); /* NULL for PATHS_NH_NONE */
/* RFC 5880 section 4.1 ("control detection time expired"); "reserved" for 9..31 */
const char *paths_diag_name(unsigned code);
/* issue 10: "pending" "pass" "warn" "fail"; "none" "path" "service"; "dns" "connect"
 * "proxy" "tls" "policy" (NULL for PATHS_PH_NONE); "off" "enforced" "not-enforced" */
const char *paths_verdict_name(enum paths_verdict v);
const char *paths_fault_name(enum paths_fault f);
const char *paths_phase_name(enum paths_phase p);
const char *paths_posture_name(enum paths_posture_state s);

#endif
