/*
 * checks: the application checks of issue 10 (library tunneld_checks). For
 * every sensor group x path x endpoint, the way a Defender for IoT sensor
 * reaches Azure: a TCP connect pinned to the path, CONNECT host:port through
 * the group's first proxy hop when it has one (with credentials when the
 * proxy asks), then a TLS handshake with SNI and hostname verification
 * against a CA bundle, judged against the TLS policy (minimum version,
 * cipher strength). libcurl (OpenSSL backend) does the connect, the proxy
 * tunnel and its authentication and the handshake; OpenSSL inspects the
 * session it negotiated. Nothing of HTTP or proxy authentication is
 * written here.
 *
 * After each round the results of one (site, group, endpoint) on all of the
 * site's paths are judged together (judge.h): failing on some paths and
 * passing on another is those paths' fault (on_path: the health engine
 * degrades them); failing on every path is the endpoint's or the proxy's
 * fault (reported, nothing moves).
 *
 * DOC: which file holds what, which thread runs which function
 *  - checks.h / checks.c  the public functions, the "checks" thread (one
 *                         libev loop driving curl's multi interface), rounds
 *                         every interval (jittered), bounded concurrency;
 *  - check_run.c          one check: its curl easy handle, pinning, the
 *                         per-phase deadlines, the proxy's answer;
 *  - check_tls.c          the negotiated session against the policy, the
 *                         certificate's subject, issuer and expiry;
 *  - check_reason.c       one result into its verdict and plain words;
 *  - judge.c              path or service (pure, judge.h);
 *  - checks_snap.c        the published copy of the results (snapshot).
 *
 * Threading: checks_start, checks_reload and checks_stop are called by one
 * thread (tunneld's main thread) and wait for the checks thread only to take
 * the configuration. checks_snapshot may be called from any thread (a deep
 * copy under one short lock). Callbacks run on the checks thread and must
 * only copy and enqueue (tunneld hands on_path to health_observe_app). The
 * checks thread never touches the health thread: a slow proxy cannot delay
 * BFD.
 */
#ifndef TUNNELD_CHECKS_H
#define TUNNELD_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHECKS_REASON_MAX 256 /* bytes of a reason, NUL included */

/* proxy authentication schemes offered when the proxy asks (bit mask) */
enum checks_auth {
    CHECKS_AUTH_BASIC = 1,
    CHECKS_AUTH_DIGEST = 2,
    CHECKS_AUTH_NTLM = 4,      /* where libcurl offers it */
    CHECKS_AUTH_NEGOTIATE = 8, /* where libcurl offers it (GSS-API) */
    CHECKS_AUTH_ANY = 15,
};

/* the TLS policy (defaults: the seeds' TLS 1.2 with AES-256) */
struct checks_tls_policy {
    int min_version;     /* 0x0303 TLS 1.2 (default), 0x0304 TLS 1.3 */
    unsigned min_bits;   /* symmetric cipher strength, default 256 */
    bool require_aes;    /* the cipher must be AES (default yes) */
    const char *ca_file; /* PEM bundle; NULL: the system's */
    unsigned warn_days;  /* warn this many days before expiry, default 14 */
};

/* how one check's sockets reach one path (as the other probes) */
struct checks_pin {
    uint32_t mark;      /* SO_MARK, 0 none (the route engine's probe mark) */
    const char *dev;    /* SO_BINDTODEVICE, NULL none */
    const char *source; /* source address literal, NULL: the kernel's choice */
};

/* a group's first proxy hop (method proxy); a chain's further hops are names */
struct checks_proxy {
    const char *host; /* name or literal */
    uint16_t port;
    const char *const *via; /* the hops' names for status, first hop first; may be empty */
    size_t n_via;
    const char *user, *password; /* NULL: no credentials configured (never logged) */
    unsigned auth;               /* enum checks_auth mask, default CHECKS_AUTH_ANY */
};

/* one check: a group x path x endpoint (strings copied by checks_start/reload) */
struct checks_item {
    const char *site, *group, *path;
    bool legacy; /* a pre-22.x group (IoT Hub): reported apart */
    const char *host;
    uint16_t port;
    bool use_proxy;
    struct checks_proxy proxy;
    struct checks_pin pin;
    struct checks_tls_policy tls;
};

struct checks_config {
    const struct checks_item *items;
    size_t n_items;
    uint32_t interval_ms; /* a round every interval, default 30 s */
    uint32_t jitter_pct;  /* +- this share of interval, default 10 */
    uint32_t concurrency; /* checks at once, default 8 */
    uint32_t connect_ms;  /* per phase timeouts, default 5 s each */
    uint32_t proxy_ms;
    uint32_t tls_ms;
};

enum checks_verdict {
    CHECKS_PENDING, /* not run yet */
    CHECKS_PASS,
    CHECKS_WARN, /* passes, with a warning (certificate expires soon) */
    CHECKS_FAIL,
};

enum checks_phase { /* where a failed check stopped */
                    CHECKS_PH_NONE,
                    CHECKS_PH_DNS,
                    CHECKS_PH_CONNECT,
                    CHECKS_PH_PROXY,
                    CHECKS_PH_TLS,
                    CHECKS_PH_POLICY, /* the handshake worked; the session breaks the policy */
};

enum checks_fault { CHECKS_FAULT_NONE, CHECKS_FAULT_PATH, CHECKS_FAULT_SERVICE };

/* the outcome of one check (strings owned by the result / snapshot) */
struct checks_result {
    enum checks_verdict verdict;
    enum checks_phase phase; /* CHECKS_FAIL: where it stopped */
    enum checks_fault fault; /* judge.h, after the round */
    char *reason;            /* plain words, e.g. "blob: TLSv1.1 only (policy: TLS 1.2 or newer)" */
    int64_t at;              /* wall seconds when it ended, 0 never */
    uint32_t connect_ms, proxy_ms, tls_ms; /* phase times; UINT32_MAX: not reached */
    int proxy_status;                      /* CONNECT answer code, 0 none */
    char *proxy_line;                      /* its status line, NULL none */
    char *proxy_hop;   /* which hop answered (Via/X-Squid-Error), NULL unknown */
    char *proxy_error; /* X-Squid-Error, NULL none */
    char *tls_version; /* "TLSv1.3", NULL: no session */
    char *cipher;      /* "TLS_AES_256_GCM_SHA384" */
    unsigned cipher_bits;
    char *cert_subject, *cert_issuer; /* one-line RFC 2253, NULL none */
    int64_t cert_not_after;           /* wall seconds, 0 unknown */
};

struct checks_callbacks {
    /* a path's verdict changed after a round: ok (1: every check passes or
     * fails only for service reasons, 0: a path fault named by reason) */
    void (*on_path)(const char *site, const char *path, bool ok, const char *reason, void *ctx);
    void (*on_round)(void *ctx);                        /* a round ended (tests, status) */
    void (*log)(int level, const char *msg, void *ctx); /* 0 err .. 3 debug; never secrets */
    void *ctx;
    void *(*spawn)(void *(*fn)(void *), void *arg); /* as health_callbacks; NULL: pthreads */
    void (*join)(void *handle);
};

struct checks;

/* defaults into cfg (items none) and into a policy */
void checks_config_defaults(struct checks_config *cfg);
void checks_tls_defaults(struct checks_tls_policy *p);
/* what checks_start would refuse (values, names, lengths); false with err */
bool checks_check_config(const struct checks_config *cfg, char *err, size_t errlen);

struct checks *checks_start(const struct checks_config *cfg, const struct checks_callbacks *cb,
                            char *err, size_t errlen);
/* all or nothing; results of items unchanged (same site, group, path,
 * endpoint and settings) are kept */
bool checks_reload(struct checks *c, const struct checks_config *cfg, char *err, size_t errlen);
/* a round now (tests, operator); any thread, never waits */
void checks_run_now(struct checks *c);
void checks_stop(struct checks *c); /* NULL: no-op */

/* a copy of the results: one row per item, in configuration order */
struct checks_row {
    char *site, *group, *path, *host;
    uint16_t port;
    bool legacy, use_proxy;
    char *proxy; /* "host:port" of the first hop, NULL direct */
    char **via;
    size_t n_via;
    struct checks_result r;
};
struct checks_snapshot {
    struct checks_row *rows;
    size_t n_rows;
    uint64_t rounds;    /* completed */
    int64_t last_round; /* wall seconds, 0 never */
};
int checks_snapshot(struct checks *c, struct checks_snapshot *out); /* 0 or -1 (ENOMEM) */
void checks_snapshot_free(struct checks_snapshot *s);

const char *checks_verdict_name(enum checks_verdict v); /* "pending" "pass" "warn" "fail" */
const char *checks_fault_name(enum checks_fault f);     /* "none" "path" "service" */

#endif
