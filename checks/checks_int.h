/*
 * checks_int: the engine's own structures, shared by checks.c (thread,
 * rounds), checks_conf.c (configuration), check_run.c (one check),
 * check_tls.c (OpenSSL) and checks_snap.c (the published copy).
 *
 * Threading: everything in struct checks but the fields marked "qlock" and
 * "slock" belongs to the checks thread once checks_start returned.
 */
#ifndef TUNNELD_CHECKS_INT_H
#define TUNNELD_CHECKS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>
#include <ev.h>

#include "check_facts.h"
#include "checks.h"

/* one configured check, owning its strings (it's pointers point into them) */
struct citem {
    struct checks_item it;
    char *tls12_ciphers, *tls13_suites; /* what the policy lets us offer */
    unsigned auth;                      /* the mask libcurl can do */
    struct checks_result r;
};

/* a (site, path) and what on_path said last */
struct cpath {
    char *site, *path;
    bool reported, ok;
    char *reason;
};

/* a configuration made ready on the caller's thread (all allocations done) */
struct cprep {
    struct checks_config cfg; /* scalars only; items below */
    struct citem *items;
    size_t n_items;
    struct cpath *paths;
    size_t n_paths;
};

struct crun;  /* check_run.c */
struct csock; /* checks.c: one of curl's sockets on the loop */

struct checks {
    struct checks_callbacks cb;
    struct ev_loop *loop;
    ev_async wake;
    ev_timer round_timer; /* the next round */
    ev_timer curl_timer;  /* libcurl's timeout */
    CURLM *multi;
    pthread_t thread;
    void *handle; /* cb.spawn's */
    bool thread_started;

    pthread_mutex_t qlock; /* the requests below */
    pthread_cond_t cfg_cond;
    struct cprep *cfg_req;
    bool cfg_done, stopping, run_req;

    /* the checks thread's own */
    struct cprep cur;
    unsigned seed;
    bool in_round, again;
    size_t next; /* the next item of the round to start */
    size_t running;
    struct crun *active; /* the running checks (list) */
    struct csock *socks; /* curl's sockets being watched (list) */
    uint64_t rounds;
    int64_t last_round;

    pthread_mutex_t slock; /* the published copy */
    struct checks_snapshot pub;
};

/* checks.c */
void clog_(struct checks *c, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int64_t checks_wall(void);
double checks_mono(void); /* seconds */
/* a check ended (check_run.c calls it with the facts; frees nothing of run) */
void checks_done(struct checks *c, size_t idx, const struct check_facts *f, double started,
                 uint32_t connect_ms, uint32_t proxy_ms, uint32_t tls_ms);

/* checks_conf.c */
int cprep_make(const struct checks_config *cfg, struct cprep *out, char *err, size_t errlen);
void cprep_free(struct cprep *p);
/* moves the results of unchanged items (and paths' last words) from old into p */
void cprep_carry(struct cprep *p, struct cprep *old);
bool citem_same(const struct checks_item *a, const struct checks_item *b);
void cresult_clear(struct checks_result *r);
int cresult_copy(struct checks_result *dst, const struct checks_result *src);

/* check_run.c */
int crun_start(struct checks *c, size_t idx, bool diag, const struct check_facts *carry,
               double started);
/* libcurl said the handle is done */
void crun_finish(struct checks *c, CURL *easy, CURLcode code);
/* after every socket action: phases advanced? deadlines moved */
void crun_progress(struct checks *c);
void crun_abort_all(struct checks *c);

/* check_tls.c */
/* the cipher list and TLS 1.3 suites the policy allows (malloc'd) */
int ctls_policy_lists(const struct checks_tls_policy *t, char **tls12, char **tls13);
/* installed by CURLOPT_SSL_CTX_FUNCTION: records the leaf, the session */
CURLcode ctls_ctx_cb(CURL *easy, void *sslctx, void *userp);
/* the session of a finished handshake into s */
void ctls_session(void *ssl, struct cf_session *s);
/* the leaf into f (subject, issuer, not after) and its name against host */
void ctls_record_leaf(struct check_facts *f, void *x509, const char *host);

/* checks_snap.c */
void csnap_publish(struct checks *c);

#endif
