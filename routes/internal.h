/*
 * internal.h - private types shared by the routes/ modules.
 *
 * Threading: nothing here is thread-safe on its own; every function declared
 * below runs with the engine mutex held (engine.c takes it in each public
 * entry point), except the pure helpers (prefix, model, rtable, diff) which
 * work only on the data they are given.
 */
#ifndef TUNNELD_ROUTES_INTERNAL_H
#define TUNNELD_ROUTES_INTERNAL_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routes.h"

struct nl_msg;
struct nl_sock;
struct nlmsghdr;

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h; not in net/if.h */
#endif

#define RT_FAM_V4 0
#define RT_FAM_V6 1
#define RT_NFAM   2

/* ---- prefix.c ----------------------------------------------------------- */

struct rt_prefix {
    uint8_t family; /* AF_INET / AF_INET6 */
    uint8_t plen;
    uint8_t addr[16];
};

int rt_fam_index(int family); /* AF_INET -> 0, AF_INET6 -> 1, else -1 */
int rt_fam_af(int idx);
size_t rt_addr_len(int family);
/* Parses "addr/len" (or a bare address); rejects host bits with a hint. */
int rt_prefix_parse(const char *s, struct rt_prefix *p, char *err, size_t errlen);
int rt_prefix_make(int family, const void *addr, unsigned plen, struct rt_prefix *p, char *err,
                   size_t errlen);
void rt_prefix_format(const struct rt_prefix *p, char *buf, size_t len);
int rt_addr_parse(int family, const char *s, uint8_t out[16]);
void rt_addr_format(int family, const uint8_t *addr, char *buf, size_t len);
int rt_prefix_cmp(const struct rt_prefix *a, const struct rt_prefix *b);
bool rt_prefix_eq(const struct rt_prefix *a, const struct rt_prefix *b);
/* true when outer contains inner (same family, outer->plen <= inner->plen) */
bool rt_prefix_contains(const struct rt_prefix *outer, const struct rt_prefix *inner);
/* true when addr (family's length) is inside the subnet addr0/plen */
bool rt_addr_in_subnet(int family, const uint8_t *addr, const uint8_t *net, unsigned plen);
uint64_t rt_prefix_hash(const struct rt_prefix *p);

/* ---- ifname.c ------------------------------------------------------------ */

/* in as text for a message: bytes outside printable ASCII and '\' as \xNN,
 * cut with "...(N bytes)" when it does not fit len; returns out */
const char *rt_name_escape(const char *in, char *out, size_t len);
#define RT_ESCAPED_MAX (ROUTES_NAME_MAX * 4 + 32)

/* ---- model.c: desired state -------------------------------------------- */

struct rt_path {
    char *name;
    char *dev;
    bool has_gw[RT_NFAM];
    uint8_t gw[RT_NFAM][16];
    unsigned priority;
    unsigned weight;
    struct rt_prefix probe[ROUTES_MAX_PROBE_TARGETS]; /* probe targets */
    uint8_t n_probe;
};

struct rt_rtable;

struct rt_site {
    char *name;
    struct rt_path paths[ROUTES_MAX_PATHS];
    size_t n_paths;
    struct rt_prefix *pfx;
    size_t n_pfx, cap_pfx;
    size_t n_fam[RT_NFAM];
};

struct routes_state {
    struct rt_site *sites;
    size_t n_sites, cap_sites;
    struct rt_prefix *bypass; /* prefixes thrown out of the table */
    size_t n_bypass, cap_bypass;
    struct rt_rtable *bypass_set; /* the same, for lookups (NULL: none yet) */
};

/* A path carries family f when it has a gateway of f or no gateway at all. */
bool rt_path_carries(const struct rt_path *p, int fam);
int rt_site_copy(struct rt_site *dst, const struct rt_site *src);
void rt_site_clear(struct rt_site *s);
int rt_site_find_path(const struct rt_site *s, const char *name);

/* One validation problem found in a desired state. */
struct rt_issue {
    size_t site;
    int path; /* -1 when not tied to a path */
    struct rt_prefix prefix;
    bool has_prefix;
    char message[384];
};

/* Checks a state on its own: duplicate prefixes in a site, prefixes
 * overlapping another site's (the later site is reported), families without
 * any path able to carry them. Returns the number of issues written into
 * *issues (malloc'ed, caller frees), or -1 on allocation failure. */
long rt_state_validate(const struct routes_state *st, struct rt_issue **issues);

/* ---- rtable.c: prefix -> nexthop id hash table ------------------------- */

struct rt_rentry {
    struct rt_prefix key;
    uint8_t used;
    uint32_t nhid;
    uint32_t mark;
};

struct rt_rtable {
    struct rt_rentry *slots;
    size_t cap; /* power of two */
    size_t count;
};

void rt_rtable_init(struct rt_rtable *t);
void rt_rtable_free(struct rt_rtable *t);
struct rt_rentry *rt_rtable_get(const struct rt_rtable *t, const struct rt_prefix *p);
int rt_rtable_set(struct rt_rtable *t, const struct rt_prefix *p, uint32_t nhid);
bool rt_rtable_del(struct rt_rtable *t, const struct rt_prefix *p);
size_t rt_rtable_del_nhid(struct rt_rtable *t, uint32_t nhid);
void rt_rtable_clear(struct rt_rtable *t);

/* ---- mirror.c: what the kernel holds ------------------------------------ */

enum rt_nh_kind { RT_NH_GW, RT_NH_DEV, RT_NH_BLACKHOLE, RT_NH_GROUP };

struct rt_member {
    uint32_t id;
    uint16_t weight; /* 1..256 */
};

struct rt_nh {
    uint32_t id;
    uint8_t kind;
    uint8_t family; /* AF_INET/AF_INET6; AF_UNSPEC for groups */
    uint8_t protocol;
    uint32_t oif;
    uint8_t gw[16];
    uint8_t n_members;
    struct rt_member members[ROUTES_MAX_PATHS];
};

struct rt_link {
    int ifindex;
    unsigned flags;
    char name[IF_NAMESIZE];
};

struct rt_addr {
    int ifindex;
    uint8_t family;
    uint8_t plen;
    uint8_t addr[16];
};

struct rt_rule {
    uint8_t family;
    uint8_t src_len;
    uint8_t src[16];
    uint32_t priority, table, fwmark, fwmask;
    bool has_fwmark;
};

struct rt_mirror {
    struct rt_nh *nh; /* owned nexthops (protocol == ours) */
    size_t n_nh, cap_nh;
    uint32_t *foreign; /* ids >= nh_id_base used by others */
    size_t n_foreign, cap_foreign;
    struct rt_rtable routes;   /* owned routes in our table (nexthop group) */
    struct rt_rtable fallback; /* owned cover routes (metric 4096) -> cover group */
    struct rt_rtable bypass;   /* owned throw routes (VPN peers' addresses), nhid 0 */
    struct rt_link *links;
    size_t n_links, cap_links;
    struct rt_addr *addrs;
    size_t n_addrs, cap_addrs;
    struct rt_rule *rules; /* owned rules */
    size_t n_rules, cap_rules;
    uint32_t epoch; /* last mark used by the planner */
};

void rt_mirror_init(struct rt_mirror *m);
void rt_mirror_free(struct rt_mirror *m);
struct rt_nh *rt_mirror_nh(const struct rt_mirror *m, uint32_t id);
int rt_mirror_nh_put(struct rt_mirror *m, const struct rt_nh *nh);
bool rt_mirror_nh_del(struct rt_mirror *m, uint32_t id);
bool rt_mirror_is_foreign(const struct rt_mirror *m, uint32_t id);
int rt_mirror_foreign_add(struct rt_mirror *m, uint32_t id);
void rt_mirror_foreign_del(struct rt_mirror *m, uint32_t id);
const struct rt_link *rt_mirror_link_by_name(const struct rt_mirror *m, const char *name);
const struct rt_link *rt_mirror_link_by_index(const struct rt_mirror *m, int ifindex);
int rt_mirror_link_put(struct rt_mirror *m, int ifindex, unsigned flags, const char *name);
void rt_mirror_link_del(struct rt_mirror *m, int ifindex);
int rt_mirror_addr_put(struct rt_mirror *m, const struct rt_addr *a);
void rt_mirror_addr_del(struct rt_mirror *m, const struct rt_addr *a);
/* Writes the connected subnets of ifindex/family ("a/len, b/len") to buf;
 * returns true when gw is inside one of them (IPv6 link-local always is). */
bool rt_mirror_gw_connected(const struct rt_mirror *m, int ifindex, int family, const uint8_t *gw,
                            char *subnets, size_t len);
bool rt_nh_same_target(const struct rt_nh *a, const struct rt_nh *b);
bool rt_nh_same_members(const struct rt_nh *a, const struct rt_nh *b);
void rt_nh_describe(const struct rt_nh *nh, const struct rt_mirror *m, char *buf, size_t len);
bool rt_link_usable(const struct rt_link *l);

/* ---- nexthop.c / route.c / rule.c: message build and parse ------------- */

struct nl_msg *rt_msg_nh_new(const struct rt_nh *nh, uint8_t protocol, int nlflags);
struct nl_msg *rt_msg_nh_del(uint32_t id);
struct nl_msg *rt_msg_nh_dump(void);
/* 1 parsed, 0 not a nexthop message we understand, <0 malformed */
int rt_parse_nh(struct nlmsghdr *hdr, struct rt_nh *nh);

struct rt_route_msg {
    struct rt_prefix dst;
    uint32_t table;
    uint8_t protocol;
    uint8_t type;
    uint32_t nhid;
    bool has_nhid;
    uint32_t priority;
    bool has_priority;
};

/* A route of ours at ROUTES_FALLBACK_METRIC: the cover of one prefix,
 * pointing at the site's cover group. */
bool rt_route_is_fallback(const struct rt_route_msg *r);

/* replace: the route is owned (NLM_F_REPLACE); else NLM_F_CREATE|NLM_F_EXCL */
struct nl_msg *rt_msg_route_set(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                uint32_t nhid, bool replace);
/* nhid: the group the route points at (0: unknown), so that only that
 * route matches */
struct nl_msg *rt_msg_route_del(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                uint32_t nhid);
/* The cover of a prefix: a route at ROUTES_FALLBACK_METRIC to the site's
 * cover group (replace: the mirror holds it as ours). */
struct nl_msg *rt_msg_fallback_set(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                   uint32_t nhid, bool replace);
struct nl_msg *rt_msg_fallback_del(const struct rt_prefix *p, uint32_t table, uint8_t protocol);
/* A bypass: "throw <host>" in the table (replace: the mirror holds it). */
struct nl_msg *rt_msg_bypass_set(const struct rt_prefix *p, uint32_t table, uint8_t protocol,
                                 bool replace);
struct nl_msg *rt_msg_bypass_del(const struct rt_prefix *p, uint32_t table, uint8_t protocol);
/* table/protocol 0: no filter */
struct nl_msg *rt_msg_route_dump(int family, uint32_t table, uint8_t protocol);
int rt_parse_route(struct nlmsghdr *hdr, struct rt_route_msg *r);

struct nl_msg *rt_msg_rule(int type, const struct rt_rule *r, uint8_t protocol, int nlflags);
struct nl_msg *rt_msg_rule_dump(int family);
/* Parses a rule; *protocol receives FRA_PROTOCOL (0 when absent). */
int rt_parse_rule(struct nlmsghdr *hdr, struct rt_rule *r, uint8_t *protocol);
/* A rule of any protocol, with what decides whether it shadows ours. */
struct rt_rule_info {
    struct rt_rule r;
    uint8_t protocol;
    uint8_t action;       /* FR_ACT_* */
    uint32_t goto_target; /* FR_ACT_GOTO: the priority it jumps to */
    bool narrowed;        /* matches only some packets (selectors) or suppresses results */
};
int rt_parse_rule_info(struct nlmsghdr *hdr, struct rt_rule_info *ri);
bool rt_rule_eq(const struct rt_rule *a, const struct rt_rule *b);
void rt_rule_describe(const struct rt_rule *r, char *buf, size_t len);
int rt_rule_from_spec(const struct routes_rule_spec *spec, uint32_t table, struct rt_rule *r,
                      char *err, size_t errlen);

struct nl_msg *rt_msg_link_dump(void);
struct nl_msg *rt_msg_addr_dump(void);
int rt_parse_link(struct nlmsghdr *hdr, int *ifindex, unsigned *flags, char *name);
int rt_parse_addr(struct nlmsghdr *hdr, struct rt_addr *a);

/* ---- netlink.c: request socket ----------------------------------------- */

struct rt_nl {
    struct nl_sock *sk;
    uint32_t portid;
    uint32_t seq;
    unsigned char *out;
    size_t out_len, out_cap;
    uint64_t sent;  /* change requests sent, all time */
    uint64_t dumps; /* dump requests sent */
};

int rt_nl_open(struct rt_nl *nl, char *err, size_t errlen);
void rt_nl_close(struct rt_nl *nl);

/* Builds request idx (the callee sets type/flags/payload; the transport sets
 * sequence number, NLM_F_REQUEST and NLM_F_ACK). */
typedef struct nl_msg *(*rt_build_fn)(void *ctx, size_t idx);
/* err is 0 or a negative errno; extack is the kernel's message or NULL. */
typedef void (*rt_ack_fn)(void *ctx, size_t idx, int err, const char *extack);
/* Called between windows of the batch (monitor draining). */
typedef void (*rt_idle_fn)(void *ctx);

/* Sends n requests, many per sendmsg, and hands every acknowledgement to
 * ack(). Returns 0, or a negative errno when the socket failed (requests
 * whose ack was lost are reported with that error). */
int rt_nl_batch(struct rt_nl *nl, size_t n, rt_build_fn build, rt_ack_fn ack, rt_idle_fn idle,
                void *ctx);

/* The extack strings rt_nl_batch() passes for failures of its own (no
 * answer of the kernel); compare by address. */
extern const char rt_nl_ack_lost[], rt_nl_send_failed[], rt_nl_build_failed[];
/* "kernel refused", "request not sent:" or "outcome unknown (...):",
 * from what rt_nl_batch() told an ack callback */
const char *rt_nl_failure_prefix(const char *extack, bool unsent);
/* the kernel's own extended-ack message, or NULL for the failures above */
const char *rt_nl_kernel_extack(const char *extack);

/* Drops everything queued on the socket (acknowledgements of a batch given
 * up after a socket error, a pending overflow error), without blocking. */
void rt_nl_discard(struct rt_nl *nl);

typedef int (*rt_dump_fn)(void *ctx, struct nlmsghdr *hdr);
/* Sends a dump request (consumed) and feeds every reply to cb. Returns 0,
 * -ENOENT for a missing table, or another negative errno. */
int rt_nl_dump(struct rt_nl *nl, struct nl_msg *req, rt_dump_fn cb, void *ctx);

/* ---- diff.c: plan ------------------------------------------------------- */

enum rt_op_kind {
    RT_OP_NH_ADD,
    RT_OP_GRP_ADD,
    RT_OP_GRP_REPLACE,
    RT_OP_ROUTE_SET,
    RT_OP_ROUTE_DEL,
    RT_OP_FB_SET, /* the cover route of a prefix (to the cover group) */
    RT_OP_FB_DEL,
    RT_OP_GRP_DEL,
    RT_OP_NH_DEL,
    RT_OP_BYPASS_SET, /* a throw route for a VPN peer's address */
    RT_OP_BYPASS_DEL,
};

/* Execution phases, in order. */
enum rt_phase {
    RT_PH_BYPASS, /* the peers' throw routes first: no site route may take
                   * their traffic even for a moment */
    RT_PH_NH,
    RT_PH_COVER, /* cover groups first: a site whose group the kernel dropped
                  * moves to its next path with this one request */
    RT_PH_GROUP,
    RT_PH_ROUTE,
    RT_PH_COVER_RESET, /* a cover group that carried a site goes back to a
                        * blackhole once the site's routes are back */
    RT_PH_ROUTE_DEL,
    RT_PH_GROUP_DEL,
    RT_PH_NH_DEL,
    RT_NPHASES
};

struct rt_op {
    uint8_t kind;
    int32_t site; /* index into the target, -1 when shared */
    int32_t path; /* path index for NH_ADD of a single site, else -1 */
    uint32_t nh;  /* index into plan->nh for NH/GRP add/replace */
    uint32_t nhid;
    struct rt_prefix pfx;
};

struct rt_oplist {
    struct rt_op *ops;
    size_t n, cap;
};

/* Per-site input of the planner. */
struct rt_tsite {
    struct rt_site spec;
    uint32_t gid[RT_NFAM];         /* committed group ids (0: none yet) */
    uint32_t fid[RT_NFAM];         /* committed cover group ids (0: none) */
    bool health[ROUTES_MAX_PATHS]; /* caller verdict */
    bool valid[ROUTES_MAX_PATHS];  /* kernel would accept its nexthop now */
    bool usable[ROUTES_MAX_PATHS]; /* valid and healthy: may carry traffic */
    int oif[ROUTES_MAX_PATHS];     /* 0 when the interface is unknown */
    bool reported_up[ROUTES_MAX_PATHS];
    /* ranking.c: the caller's ranking (routes_set_site_ranking); when set,
     * it replaces the priorities: the usable ranked paths with the lowest
     * rank carry the site, and a path not ranked carries nothing */
    bool ranked;
    bool rank_ok[ROUTES_MAX_PATHS];
    unsigned rank[ROUTES_MAX_PATHS];
    uint8_t down_cause[ROUTES_MAX_PATHS]; /* enum routes_path_cause of the last PATH_DOWN */
    uint16_t pslot[ROUTES_MAX_PATHS];     /* probe.c: probe slot + 1 (0: none) */
    bool failed;                          /* set by the executor */
    /* A frozen site is one whose spec is unknown to this process (adopted
     * from the kernel, then rejected or failed): its groups, as found in
     * the kernel, are kept or put back as they were, and so are the routes
     * pointing at them. */
    bool frozen;
    struct rt_nh frozen_grp[RT_NFAM];
    struct rt_nh frozen_members[RT_NFAM][ROUTES_MAX_PATHS];
};

struct rt_plan {
    struct rt_oplist ph[RT_NPHASES];
    struct rt_nh *nh; /* new single nexthops and every site's final group */
    size_t n_nh, cap_nh;
    uint32_t (*gid)[RT_NFAM]; /* planned group id per site and family */
    int32_t (*grp)[RT_NFAM];  /* index of that group in nh[], -1 if none */
    uint32_t (*fid)[RT_NFAM]; /* planned cover group id (fail_closed) */
    size_t n_sites;
    size_t n_ops;
};

struct rt_plan_cfg {
    uint32_t nh_id_base;
    /* only path selection changed and the mirror is current: plan nexthops
     * and groups, skip the walk over every prefix */
    bool groups_only;
    /* every prefix also gets a blackhole route at ROUTES_FALLBACK_METRIC */
    bool fail_closed;
    /* the wanted throw routes (ignored with groups_only) */
    const struct rt_prefix *bypass;
    size_t n_bypass;
};

/* Computes what to send so that the kernel (m) matches the sites. Marks in
 * m->routes are updated (mark field). Returns 0 or -ENOMEM / -ENOSPC. */
int rt_plan_build(struct rt_plan *plan, const struct rt_tsite *sites, size_t n_sites,
                  struct rt_mirror *m, const struct rt_plan_cfg *cfg);
void rt_plan_free(struct rt_plan *plan);
int rt_plan_push(struct rt_plan *plan, enum rt_phase ph, const struct rt_op *op);
/* id is a planned group or cover group of a site */
bool rt_gid_planned(const struct rt_plan *plan, uint32_t id);
/* diff_del.c: owned objects no site wants (not marked with epoch), each the
 * deletion of the site that had it; keep: single nexthops the plan uses */
int rt_plan_deletions(struct rt_plan *plan, const struct rt_tsite *sites, size_t n_sites,
                      struct rt_mirror *m, uint32_t epoch, const uint32_t *keep, size_t n_keep);
/* Members a site gets for a family from its usable paths (blackhole: n=0). */
size_t rt_select_members(const struct rt_tsite *s, int fam, int *paths);

/* ---- errors.c ------------------------------------------------------------ */

int rt_result_add(struct routes_result *res, const char *site, const char *path,
                  const struct rt_prefix *pfx, int code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void rt_result_merge(struct routes_result *dst, struct routes_result *src);
const char *rt_strerror(int negerr);

/* ---- lock.c: one engine per table and protocol in a network namespace ---- */

struct rt_lock {
    int fd[4]; /* table, table+owner, protocol, protocol+owner; -1: none */
};

/* 0, or -EBUSY with err ("table 1160 is already held ...") */
int rt_lock_take(struct rt_lock *l, const struct routes_options *o, char *err, size_t errlen);
void rt_lock_release(struct rt_lock *l);
/* free, or held by an engine of o->owner: 0; else -EBUSY with err */
int rt_lock_check(const struct routes_options *o, char *err, size_t errlen);

/* ---- revert.c: what routes_open() found ---------------------------------- */

struct rt_snapshot {
    bool taken; /* from routes_open() until the first apply succeeds */
    struct rt_nh *nh;
    size_t n_nh;
    struct rt_rtable routes, fallback, bypass;
    struct rt_rule *rules; /* owned rules */
    size_t n_rules;
    struct rt_proute *pk; /* owned probe routes */
    size_t n_pk;
};

/* eng->found = the mirror (nexthops, routes, rules) as it is now */
int rt_snapshot_take(struct routes_engine *eng);
void rt_snapshot_free(struct rt_snapshot *s);
/* the rules as found: the snapshot's become the wanted ones, and the owned
 * rules follow (0, or a negative errno with the failures in res) */
int rt_snapshot_rules_back(struct routes_engine *eng, struct routes_result *res);

/* ---- neigh.c: FAILED next hops ---------------------------------------------- */

struct rt_nbr {
    int ifindex;
    uint8_t family;
    uint8_t addr[16];
};

int rt_parse_neigh(struct nlmsghdr *hdr, struct rt_nbr *n, uint16_t *state);
/* the gateway addr on ifindex is a FAILED neighbour */
bool rt_nbr_failed(const struct routes_engine *eng, int ifindex, int family, const uint8_t *addr);
/* a neighbour notification: a gateway FAILED or usable again re-selects */
void rt_neigh_notify(struct routes_engine *eng, struct nlmsghdr *hdr);
/* the neighbour table (the gateways of the sites' paths) into the list;
 * 0 or a negative errno */
int rt_sync_neigh(struct routes_engine *eng);
/* when due: asks the kernel to resolve each FAILED gateway again */
void rt_neigh_nudge(struct routes_engine *eng);

/* ---- probe.c / probe_kernel.c: pinned probe routes ------------------------- */

/* A route of the engine in a probe table: a probe target via the path, or
 * the table's unreachable default (probes never leave another way). */
struct rt_proute {
    uint32_t table;
    struct rt_prefix dst;
    uint32_t metric;
    uint8_t type; /* RTN_UNICAST, RTN_UNREACHABLE */
    bool has_gw;
    uint32_t oif;
    uint8_t gw[16];
};

#define RT_PROBE_METRIC       10
#define RT_PROBE_COVER_METRIC ROUTES_FALLBACK_METRIC

/* the probe options are sound (ranges, priority before the rules) */
int rt_probe_check_options(const struct routes_options *o, char *err, size_t errlen);
bool rt_probe_table(const struct routes_options *o, uint32_t table);
/* the probe rules a previous run left stay wanted until the first apply
 * (0 or -ENOMEM) */
int rt_probe_adopt_rules(struct routes_engine *eng);
/* gives every path with probe targets a slot (kept across applies) */
int rt_probe_assign(struct routes_engine *eng, struct routes_result *res);
/* makes the owned probe routes exactly v (routes_abandon): 0 or -1 */
int rt_probe_restore(struct routes_engine *eng, const struct rt_proute *v, size_t n,
                     struct routes_result *res);
/* makes the probe routes and rules match the sites: 0 or -1 (res) */
int rt_probe_converge(struct routes_engine *eng, struct routes_result *res);
/* probe_kernel.c */
bool rt_proute_same_key(const struct rt_proute *a, const struct rt_proute *b);
bool rt_proute_same(const struct rt_proute *a, const struct rt_proute *b);
int rt_proute_cmp(const void *a, const void *b);
void rt_proute_describe(const struct rt_proute *r, const struct rt_mirror *m, char *buf,
                        size_t len);
struct nl_msg *rt_msg_proute(int type, const struct rt_proute *r, uint8_t protocol, int flags);
/* 1 parsed, 0 not a route, <0 malformed */
int rt_parse_proute(struct nlmsghdr *hdr, struct rt_proute *r, uint8_t *protocol);
/* the owned routes of the probe tables in use (and those in the mirror):
 * re-read into eng->pk (0 or a negative errno) */
int rt_probe_sync(struct routes_engine *eng);
/* one owned route found by a dump of every owned route (open) */
int rt_probe_adopt(struct routes_engine *eng, struct nlmsghdr *hdr);
/* routes of others in the probe tables: -EEXIST with err naming one */
int rt_probe_conflicts(struct routes_engine *eng, char *err, size_t errlen);
/* a route notification for a probe table */
void rt_probe_on_route(struct routes_engine *eng, struct nlmsghdr *hdr);

/* ---- engine.c ------------------------------------------------------------ */

struct rt_event_q {
    struct routes_event ev; /* ev.cause set when queued */
    char site[ROUTES_NAME_MAX], path[ROUTES_NAME_MAX], ifname[IF_NAMESIZE];
    char detail[256];
};

struct routes_engine {
    pthread_mutex_t lock;
    struct rt_lock held;      /* the table and protocol, for the engine's life */
    struct rt_snapshot found; /* what open adopted, until an apply succeeds */
    struct routes_options opts;
    struct rt_rule *want_rules;
    size_t n_want_rules;
    struct rt_nl nl;
    struct nl_sock *mon;
    struct rt_mirror m;
    struct rt_tsite *sites;
    size_t n_sites;
    struct rt_prefix *bypass; /* wanted throw routes (last applied state) */
    size_t n_bypass;
    bool rules_dirty, resync_needed, links_resync;
    bool nh_resync;         /* a link changed: the kernel may have dropped nexthops */
    bool rules_active;      /* false after routes_withdraw_all() until the next apply */
    bool restoring;         /* rollback pass: deletions no site owns wait */
    uint64_t repair_due_ms; /* 0: nothing scheduled */
    unsigned repair_failures;
    unsigned tamper_logs; /* per repair pass */
    /* standing problems (routes_get_problems): the errors of the last
     * repair or health pass, and rules of others shadowing ours */
    struct routes_result pass_problems, rule_problems;
    uint64_t shadow_due_ms;  /* rules of others to check again then (0: no) */
    uint32_t *shadow_tables; /* the tables of rules that compete with ours */
    size_t n_shadow_tables;
    struct rt_event_q *evq;
    size_t n_evq, cap_evq;
    struct {
        int level;
        char msg[512];
    } * logq;
    size_t n_logq, cap_logq;
    struct routes_stats stats;
    struct rt_nbr *nbr; /* FAILED gateways (neigh.c) */
    size_t n_nbr, cap_nbr;
    uint64_t nudge_due_ms; /* next resolution of them (0: none) */
    struct rt_proute *pk;  /* owned routes in probe tables (probe_kernel.c) */
    size_t n_pk, cap_pk;
    size_t n_base_rules; /* want_rules: the options' rules, then the probe rules */
    bool probe_resync;   /* a link changed: the kernel may have dropped probe routes */
};

/* tampering lines logged per repair pass; the repair logs the totals */
#define RT_TAMPER_LOGS 5

void rt_log(struct routes_engine *eng, enum routes_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rt_event(struct routes_engine *eng, enum routes_event_type type, const char *site,
              const char *path, const char *ifname, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* A path event with its cause (rt_event: ROUTES_CAUSE_NONE). */
void rt_path_event(struct routes_engine *eng, enum routes_event_type type,
                   enum routes_path_cause cause, const char *site, const char *path,
                   const char *ifname, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
uint64_t rt_now_ms(void);
void rt_schedule_repair(struct routes_engine *eng, unsigned delay_ms);
/* a rule of others, or a table such a rule looks up, changed: the rules
 * that shadow the engine's are checked again in 200 ms (bursts coalesce) */
void rt_schedule_shadow(struct routes_engine *eng);
/* dst becomes a copy of the errors of src (dst's old ones freed) */
void rt_problems_set(struct routes_result *dst, const struct routes_result *src);

#define RT_N_DEFAULT_RULES 2
extern const struct routes_rule_spec rt_default_rules[RT_N_DEFAULT_RULES];

void rt_lock(struct routes_engine *eng);
void rt_unlock_dispatch(struct routes_engine *eng);
/* Re-dumps what notifications could not tell (overflow, silent flushes). */
int rt_refresh_mirror(struct routes_engine *eng);

/* ---- gateway.c ------------------------------------------------------------ */

/* Whether gw can be the next hop of a path on link l now (a neighbour's
 * address on a connected subnet: not this host's, not a subnet's network
 * or broadcast address, not multicast); false with the reason in why
 * ("next hop ... (expected ...)"). */
bool rt_gw_usable(const struct rt_mirror *m, const struct rt_link *l, int family, const uint8_t *gw,
                  char *why, size_t len);

/* ---- target.c ------------------------------------------------------------ */

/* Recomputes valid[]/usable[]/oif[] of every site; emits PATH_DOWN/UP. */
void rt_paths_refresh(struct routes_engine *eng);
/* The site of that name among the engine's, or NULL. */
struct rt_tsite *rt_find_site(struct routes_engine *eng, const char *name);
/* After a change of the caller's verdicts (health, ranking): re-selects the
 * paths of every site, groups only when the mirror is current (one request
 * per family and moved site); failures become standing problems and a
 * repair is scheduled. 0 or -1 (errors in res, naming site and path). */
int rt_reselect(struct routes_engine *eng, const char *site, const char *path,
                struct routes_result *res);
/* A site's checks against the kernel (next hops on connected subnets);
 * false with errors in res. */
bool rt_site_kernel_ok(struct routes_engine *eng, const struct rt_site *s,
                       struct routes_result *res);
/* Options routes_open() refuses (reserved table or protocol, rules); 0 or
 * -EINVAL with err set; rules (n_rules entries) receives the parsed rules
 * when not NULL. */
int rt_check_options(const struct routes_options *opts, struct rt_rule *rules, char *err,
                     size_t errlen);

/* ---- sync.c: dumps into the mirror -------------------------------------- */

int rt_sync_links(struct routes_engine *eng);
int rt_sync_owned(struct routes_engine *eng); /* nexthops + routes of our table */
/* Nexthops only (cheap): an owned group that is gone took its routes and
 * covers with it, so they leave the mirror too. */
int rt_sync_nexthops(struct routes_engine *eng);
int rt_sync_rules(struct routes_engine *eng);
int rt_check_conflicts(struct routes_engine *eng, char *err, size_t errlen);

/* ---- shadow.c: rules of others consulted before the engine's ------------- */

/* Dumps every rule: a rule of others that takes traffic of the prefixes
 * (pfx: the sites') at the priority of one of the engine's rules
 * (want_rules) goes to same, one consulted earlier to before (sentences);
 * their tables become the watched ones. 0 or a negative errno. */
int rt_rules_shadow(struct routes_engine *eng, const struct rt_prefix *pfx, size_t n_pfx,
                    struct routes_result *same, struct routes_result *before);
/* The same for routes_open()/routes_precheck(): -EEXIST with err set to the
 * first rule at our priority; before (may be NULL) gets the others. */
int rt_rules_shadow_check(struct routes_engine *eng, const struct rt_prefix *pfx, size_t n_pfx,
                          struct routes_result *before, char *err, size_t errlen);
/* Again, against the engine's sites: the rule problems are replaced (the
 * new ones logged). */
void rt_shadow_recheck(struct routes_engine *eng);
/* every prefix of a state (malloc'd; NULL with *n 0 when none) */
struct rt_prefix *rt_state_prefixes(const struct routes_state *st, size_t *n);
/* a table looked up by a rule that competes with ours */
bool rt_table_watched(const struct routes_engine *eng, uint32_t table);
/* Makes owned rules match the wanted ones. */
int rt_rules_reconcile(struct routes_engine *eng, bool remove_all, struct routes_result *res);

/* ---- apply.c ------------------------------------------------------------- */

/* Plans and executes for eng->sites; marks failed sites (tsite.failed) and
 * records errors. Commits planned group ids of successful sites. */
int rt_converge(struct routes_engine *eng, bool groups_only, struct routes_result *res);
/* Sends a plan, phase by phase (the mirror follows every acknowledgement);
 * 0, or the transport's negative errno (sites with unsent requests fail). */
int rt_execute(struct routes_engine *eng, struct rt_plan *plan, struct routes_result *res);

/* ---- monitor.c ----------------------------------------------------------- */

int rt_monitor_open(struct routes_engine *eng, char *err, size_t errlen);
void rt_monitor_close(struct routes_engine *eng);
/* Reads every pending notification (non-blocking) into the mirror. */
void rt_monitor_drain(struct routes_engine *eng);

#endif /* TUNNELD_ROUTES_INTERNAL_H */
