/*
 * routes.h - public API of the tunneld route engine (library tunneld_routes).
 *
 * The engine installs, for each site, a set of IPv4/IPv6 prefixes in its own
 * routing table. Every prefix of a site points at one kernel nexthop group per
 * address family; the group's members are the kernel nexthop objects of the
 * site's best usable paths (ECMP with weights when several share the lowest
 * priority value, a blackhole nexthop when none is usable). Moving a site to
 * another path is therefore one RTM_NEWNEXTHOP request per family, whatever
 * the prefix count. With fail_closed (the default) each prefix also has a
 * cover route at ROUTES_FALLBACK_METRIC to a per-site cover group holding
 * the blackhole: when the kernel drops a site's group with a link, traffic
 * is dropped instead of taking the main table, and the cover group carries
 * the site on its next path (one request) while the group is rebuilt.
 *
 * Threading: an engine is protected by an internal mutex, so its functions may
 * be called from any thread, one call at a time per engine being serialised.
 * The engine owns two netlink sockets; it never starts threads. The caller
 * polls routes_get_fd() for POLLIN, with routes_timeout_ms() as the timeout,
 * and calls routes_process_events() when either fires. Event and log
 * callbacks run in the thread that made the call that produced them
 * (routes_process_events(), routes_apply(), routes_set_path_health(),
 * routes_open(), routes_close()), after the engine mutex has been released, so
 * they may call back into the engine.
 *
 * The engine knows nothing of IPsec: a "tunnel" path is a next hop that is
 * just an interface (e.g. ipsec0 or an XFRM interface).
 */
#ifndef TUNNELD_ROUTES_H
#define TUNNELD_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ROUTES_DEFAULT_TABLE         1160
#define ROUTES_DEFAULT_PROTOCOL      116
#define ROUTES_DEFAULT_RULE_PRIORITY 1160
#define ROUTES_DEFAULT_NH_ID_BASE    1160000000u
#define ROUTES_DEFAULT_REPAIR_MS     50
#define ROUTES_FALLBACK_METRIC       4096
#define ROUTES_MAX_PATHS             16
#define ROUTES_NAME_MAX              64
/* Probe pinning (routes_state_add_probe): path k of those with probe
 * targets gets fwmark probe_mark_base + k and routing table
 * probe_table_base + k, k < ROUTES_MAX_PROBE_PATHS. */
#define ROUTES_DEFAULT_PROBE_MARK_BASE     0x11600000u
#define ROUTES_DEFAULT_PROBE_TABLE_BASE    11600u
#define ROUTES_DEFAULT_PROBE_RULE_PRIORITY 1159u
#define ROUTES_MAX_PROBE_PATHS             256
#define ROUTES_MAX_PROBE_TARGETS           8 /* per path */

/* ---- desired state ------------------------------------------------------ */

struct routes_state;

/* One candidate path of a site. */
struct routes_path_spec {
    const char *name;     /* unique within the site */
    const char *dev;      /* interface, required */
    const char *gateway4; /* IPv4 next hop on dev, NULL if none */
    const char *gateway6; /* IPv6 next hop on dev, NULL if none */
    /* Lower is preferred; usable paths sharing the lowest value form an ECMP
     * group. A path without any gateway is a tunnel device path and carries
     * both families; a path with gateways carries only those families. */
    unsigned priority;
    unsigned weight; /* 1..255, 0 means 1 */
};

struct routes_state *routes_state_new(void);
void routes_state_free(struct routes_state *st);
/* Returns the site index (>= 0) or -1 (duplicate or invalid name, see err). */
int routes_state_add_site(struct routes_state *st, const char *name, char *err, size_t errlen);
int routes_state_add_path(struct routes_state *st, int site, const struct routes_path_spec *path,
                          char *err, size_t errlen);
/* cidr: "203.0.113.0/24", "2001:db8:100::/48"; a bare address is a host route. */
int routes_state_add_prefix(struct routes_state *st, int site, const char *cidr, char *err,
                            size_t errlen);
/* Binary form for bulk callers; addr is 4 or 16 bytes in network order. */
int routes_state_add_prefix_raw(struct routes_state *st, int site, int family, const void *addr,
                                unsigned plen, char *err, size_t errlen);
size_t routes_state_site_count(const struct routes_state *st);
/* A probe target of a path (an address, or a prefix without host bits):
 * packets carrying the path's probe mark (routes_path_probe_mark(), e.g.
 * SO_MARK on the probe socket) to it leave through that path -- its
 * gateway on its device, or its device for a tunnel path -- whichever path
 * carries the site's traffic. A gateway path needs a gateway of the
 * target's family. Up to ROUTES_MAX_PROBE_TARGETS per path; duplicates are
 * ignored. Errors name site, path and target. */
int routes_state_add_probe(struct routes_state *st, int site, const char *path, const char *target,
                           char *err, size_t errlen);
/* A host address (IPv4 or IPv6 literal) or a prefix ("198.51.100.0/28", no
 * host bits) that tunneld's table must never route: a VPN peer's own
 * address (the IKE and ESP endpoint of a path), or the subnet a peer may
 * come from. Each becomes a "throw" route of the engine's protocol in its
 * table, so a lookup for it falls through to the next rules (the main
 * table) even when a site's prefix contains it: IKE and ESP never go into
 * the tunnel they carry, nor into a site's blackhole. A site prefix equal
 * to a bypass is refused. Duplicates are ignored. */
int routes_state_add_bypass(struct routes_state *st, const char *addr, char *err, size_t errlen);
size_t routes_state_bypass_count(const struct routes_state *st);
/* Forgets the bypass addresses (a new set follows). */
void routes_state_clear_bypass(struct routes_state *st);

/* Interface names accepted for a path's device (and by tunneld for its XFRM
 * interfaces: one rule for both). A name the kernel could never give a link
 * ("", ".", "..", 16 bytes or more, '/', ':', white space, '%' which the
 * kernel takes as a template) or that is unsafe to print (control bytes,
 * bytes outside ASCII) is refused. ROUTES_IFNAME_RULE words the rule for
 * error messages. */
#define ROUTES_IFNAME_RULE                                                                         \
    "1 to 15 bytes of printable ASCII, no '/', ':', '%', blanks or control bytes, not '.' or "     \
    "'..'"
bool routes_ifname_valid(const char *name);

/* ---- engine options ----------------------------------------------------- */

/* A policy rule "lookup <table>", owned by the engine (same protocol). */
struct routes_rule_spec {
    int family;        /* AF_INET or AF_INET6 */
    uint32_t priority; /* rule preference */
    const char *from;  /* source prefix, NULL for all */
    uint32_t fwmark;   /* 0: no fwmark match */
    uint32_t fwmask;   /* 0 with fwmark set: exact match (0xffffffff) */
};

enum routes_event_type {
    ROUTES_EVENT_PATH_DOWN, /* a path became unusable (link down, health, address) */
    ROUTES_EVENT_PATH_UP,   /* a path became usable again */
    ROUTES_EVENT_REPAIRED,  /* owned routes/nexthops/rules changed by others were restored */
    ROUTES_EVENT_RESYNC,    /* full dump after notification overflow or silent kernel flush */
};

/* What made a path change (PATH_DOWN / PATH_UP), for listeners that treat
 * the engine's own observations apart from the verdicts they gave it. */
enum routes_path_cause {
    ROUTES_CAUSE_NONE,      /* not a path event */
    ROUTES_CAUSE_LINK,      /* interface (exists, up, carrier) or gateway address */
    ROUTES_CAUSE_NEIGHBOUR, /* the kernel's neighbour entry of a gateway (FAILED or back) */
    ROUTES_CAUSE_HEALTH,    /* routes_set_path_health() */
};

struct routes_event {
    enum routes_event_type type;
    const char *site;   /* PATH_*: site name; else NULL */
    const char *path;   /* PATH_*: path name; else NULL */
    const char *ifname; /* PATH_*: the path's interface */
    const char *detail; /* human-readable reason / summary */
    /* PATH_*: what changed; on PATH_UP the cause of the last PATH_DOWN
     * that ended (ROUTES_CAUSE_NONE for other events) */
    enum routes_path_cause cause;
};

typedef void (*routes_event_fn)(const struct routes_event *ev, void *ctx);

enum routes_log_level { ROUTES_LOG_ERROR, ROUTES_LOG_WARN, ROUTES_LOG_INFO, ROUTES_LOG_DEBUG };
typedef void (*routes_log_fn)(enum routes_log_level level, const char *msg, void *ctx);

struct routes_options {
    uint32_t table;      /* default ROUTES_DEFAULT_TABLE */
    uint8_t protocol;    /* default ROUTES_DEFAULT_PROTOCOL; marks every owned object */
    uint32_t nh_id_base; /* first nexthop id the engine allocates from */
    bool flush_on_exit;  /* routes_close() withdraws everything it owns */
    /* Default true: every prefix also gets a blackhole route of ours at
     * ROUTES_FALLBACK_METRIC in the same table. When the kernel deletes a
     * site's group by itself (the last member's interface went down), the
     * site's traffic is dropped instead of falling through to the main
     * table until the engine has moved the site to its next path. Costs one
     * more kernel route per prefix. */
    bool fail_closed;
    /* Policy rules. routes_options_init() sets one "from all lookup <table>"
     * rule per family at ROUTES_DEFAULT_RULE_PRIORITY; set n_rules = 0 for
     * none. The array is copied by routes_open(). */
    const struct routes_rule_spec *rules;
    size_t n_rules;
    unsigned repair_delay_ms; /* debounce before repairing tampering */
    /* Receive buffer of the notification socket in bytes; 0: 32 MiB. A
     * smaller one overflows sooner (ENOBUFS), which only costs a full
     * resynchronisation; the tests use it to force one. */
    unsigned monitor_rcvbuf;
    routes_event_fn on_event;
    void *event_ctx;
    routes_log_fn log; /* NULL: messages at INFO and above go to stderr */
    void *log_ctx;
    enum routes_log_level log_level;
    /* Who runs the engine (tunneld: its settings file), NULL for nobody in
     * particular. One engine per table and per protocol number runs in a
     * network namespace: routes_open() refuses a table or protocol another
     * engine holds (a lock tied to the namespace, released when the holder
     * exits). routes_precheck() accepts them held by an engine of the same
     * owner (tunneld -n while that tunneld runs). Read during the call. */
    const char *owner;
    /* Probe pinning: fwmarks probe_mark_base .. + ROUTES_MAX_PROBE_PATHS - 1
     * and tables probe_table_base .. + ROUTES_MAX_PROBE_PATHS - 1 belong to
     * the engine (no other user of those marks or tables); one rule per
     * path with probe targets and family, "fwmark <mark> lookup <table>", at
     * probe_rule_priority, which must come before every rule of rules[].
     * Defaults: ROUTES_DEFAULT_PROBE_*. Nothing is installed for a state
     * without probe targets. */
    uint32_t probe_mark_base;
    uint32_t probe_table_base;
    uint32_t probe_rule_priority;
};

void routes_options_init(struct routes_options *opts);

/* Loads {"table":..,"protocol":..,"rules":[..],"sites":[..]} (see
 * docs/routes.md). Either out pointer may be NULL. Engine keys found in the
 * document override *opts; the rule array is allocated and must be released
 * with routes_options_free_rules(). */
int routes_load_json_file(const char *path, struct routes_options *opts, struct routes_state **st,
                          char *err, size_t errlen);
int routes_load_json_string(const char *text, struct routes_options *opts, struct routes_state **st,
                            char *err, size_t errlen);
void routes_options_free_rules(struct routes_options *opts);

/* ---- engine ------------------------------------------------------------- */

struct routes_engine;

/* Takes the table and protocol (one engine each per network namespace, see
 * routes_options.owner), opens the sockets, dumps links, addresses, owned
 * nexthops, routes and rules (adopting them, never flushing), checks that
 * the table and the protocol number are not used by anything else, and
 * installs the configured rules. Returns 0, or -1 with a message in err. */
int routes_open(struct routes_engine **out, const struct routes_options *opts, char *err,
                size_t errlen);
/* The checks routes_open() makes, read-only (tunneld -n): options (table,
 * protocol, rules), the table and protocol not held by another engine
 * (routes_options.owner), the table and the protocol number used by nothing
 * else,
 * and, when st is not NULL, the state's own validation and its checks
 * against the kernel (a next hop on a connected subnet of an interface that
 * is up). Changes nothing. Returns 0, or -1 with a message in err. */
int routes_precheck(const struct routes_options *opts, const struct routes_state *st, char *err,
                    size_t errlen);
/* Options that may change while the engine runs. fail_closed takes effect at
 * the next routes_apply() (covers added or removed, routes unchanged);
 * flush_on_exit at routes_close(). */
void routes_set_fail_closed(struct routes_engine *eng, bool on);
void routes_set_flush_on_exit(struct routes_engine *eng, bool on);
/* Keeps every owned object unless flush_on_exit was set. NULL is a no-op. */
void routes_close(struct routes_engine *eng);
/* Withdraws every owned route, nexthop and rule now; the engine stays open
 * with an empty desired state. */
int routes_withdraw_all(struct routes_engine *eng);
/* For a start that is refused after routes_open() (its first routes_apply()
 * failed): puts the kernel back to what routes_open() found -- the routes,
 * nexthops and rules it adopted stay (re-made as they were where this
 * engine changed them), everything it added is deleted -- and clears
 * flush_on_exit so that routes_close() keeps them. Only until an apply
 * succeeds (the engine then forgets what it found). Returns 0, or -1 when
 * the kernel could not be put back completely (logged). Call
 * routes_close() next. */
int routes_abandon(struct routes_engine *eng);

struct routes_error {
    char site[ROUTES_NAME_MAX]; /* "" when not tied to a site */
    char path[ROUTES_NAME_MAX]; /* "" when not tied to a path */
    char prefix[48];            /* "" when not tied to a prefix */
    int code;                   /* negative errno (kernel) or -EINVAL (validation) */
    char message[384];          /* complete sentence naming site/path/prefix */
};

struct routes_result {
    uint64_t messages; /* netlink requests sent (0 when nothing changed) */
    uint32_t nexthops_added, groups_changed, nexthops_deleted;
    uint32_t routes_set, routes_deleted;
    uint32_t sites_applied, sites_failed;
    size_t n_errors;
    struct routes_error *errors;
};

/* Makes the kernel match st: sites absent from st are withdrawn. A site that
 * fails validation or that the kernel refuses keeps its previous state
 * (nothing of the new one remains) and gets entries in res->errors; other
 * sites are applied. Returns 0 when every site was applied, -1 otherwise.
 * res may be NULL; otherwise release it with routes_result_free(). */
int routes_apply(struct routes_engine *eng, const struct routes_state *st,
                 struct routes_result *res);
void routes_result_free(struct routes_result *res);
/* The checks routes_apply() makes before it sends anything (the state on
 * its own, its next hops against the links and addresses the kernel has
 * now) and rules of others at the engine's priorities that take traffic of
 * its prefixes, on a running engine, changing nothing: a reload that would
 * be refused in part can be refused as a whole. 0, or -1 with every problem
 * in res (release with routes_result_free()). */
int routes_check(struct routes_engine *eng, const struct routes_state *st,
                 struct routes_result *res);

/* The health engine's verdict on a path (default: up). Re-selects the site's
 * paths at once: one nexthop-group request per family. */
int routes_set_path_health(struct routes_engine *eng, const char *site, const char *path, bool up,
                           struct routes_result *res);
/* The health engine's decision for a site: from then on the site is
 * carried by its paths that are ranked usable and up as the engine sees
 * them (interface, gateway, neighbour), those with the lowest rank (ECMP by
 * weight on equal ranks); priorities no longer count. A path left out of
 * the ranking carries nothing. The engine's own reactions stay: a link or a
 * next hop going away moves the site at once to the next rank. A change is
 * one nexthop-group request per family (none when nothing changes). A
 * reload (routes_apply) keeps the ranks of the paths that still exist; a
 * new path of a ranked site carries nothing until ranked. ranks = NULL
 * (n = 0) drops the ranking: priorities and routes_set_path_health() again.
 * Refused as a whole (nothing changes) when the site or a path is unknown
 * or a path is ranked twice: errors in res naming site and path. */
struct routes_path_rank {
    const char *path;
    bool usable;   /* may carry traffic */
    unsigned rank; /* lower first; equal ranks share (ECMP) */
};
int routes_set_site_ranking(struct routes_engine *eng, const char *site,
                            const struct routes_path_rank *ranks, size_t n,
                            struct routes_result *res);

/* The fwmark that pins a packet to the path's probe routes (SO_MARK), 0
 * when the path has no probe target in the applied state (or is unknown). */
uint32_t routes_path_probe_mark(struct routes_engine *eng, const char *site, const char *path);

/* 1 when the path is usable now, 0 when not, -1 when unknown. */
int routes_path_usable(struct routes_engine *eng, const char *site, const char *path);

/* A path's own link and next hop as the engine last saw them (the same
 * facts as its PATH_UP/PATH_DOWN events of cause link and neighbour),
 * whatever the health verdict (routes_set_path_health) and the ranking
 * (routes_set_site_ranking) say: for a caller that learns of a path after
 * its events went (a path added by a reload), or that must seed its own
 * view of every path. */
enum routes_link_state {
    ROUTES_LINK_UNKNOWN = -1,     /* no such site or path in the applied state */
    ROUTES_LINK_DOWN = 0,         /* interface missing, down or without carrier; or its
                                   * gateway is not on a connected subnet */
    ROUTES_LINK_UP = 1,           /* link up and no gateway FAILED in the neighbour table */
    ROUTES_LINK_NEIGH_FAILED = 2, /* link up, a gateway's neighbour entry FAILED */
};
enum routes_link_state routes_path_link_state(struct routes_engine *eng, const char *site,
                                              const char *path);

/* What stands in the way while the engine runs, as complete sentences in
 * res->errors: the errors of its last repair or path-health pass (e.g. a
 * route of someone else on a site's prefix, which it retries; cleared by
 * the next repair that succeeds or a successful routes_apply()) and policy
 * rules of others that shadow the engine's (cleared when they are gone).
 * Returns how many; release res with routes_result_free(). */
size_t routes_get_problems(struct routes_engine *eng, struct routes_result *res);

int routes_get_fd(struct routes_engine *eng);
/* Milliseconds until routes_process_events() must run again, -1 for none. */
int routes_timeout_ms(struct routes_engine *eng);
/* Reads pending notifications and performs due repairs. Never blocks on the
 * monitor socket. Returns 0 or -1 (a repair failed; it is retried). */
int routes_process_events(struct routes_engine *eng);

/* Counters for tests and monitoring. */
struct routes_stats {
    uint64_t messages_sent; /* all netlink requests since open */
    uint64_t repairs;       /* repair passes that changed something */
    uint64_t resyncs;       /* full dumps after open */
    uint64_t notifications; /* foreign notifications processed */
    size_t routes_owned;    /* routes currently owned in the kernel (via a group) */
    size_t fallback_owned;  /* fail-closed blackhole routes owned */
    size_t nexthops_owned;  /* nexthop objects (incl. groups) owned */
};
void routes_get_stats(struct routes_engine *eng, struct routes_stats *stats);

const char *routes_event_name(enum routes_event_type type);
/* "link", "neighbour", "health" ("none" for other events) */
const char *routes_cause_name(enum routes_path_cause cause);

#ifdef __cplusplus
}
#endif

#endif /* TUNNELD_ROUTES_H */
