/*
 * health_int: the runtime's private structures (health.h has the DOC of
 * which file holds what).
 *
 * Threading: struct hpath and struct hsite belong to the health thread
 * (health_conf.c, health_eval.c); the queue and the published snapshot are
 * guarded by their own mutexes (health.c, health_snap.c).
 */
#ifndef TUNNELD_HEALTH_INT_H
#define TUNNELD_HEALTH_INT_H

#include <pthread.h>

#include <ev.h>

#include "health.h"

struct hsite;

/* one path, owned by the health thread */
struct hpath {
    struct health *h;
    struct hsite *site;         /* NULL while it is made or freed */
    size_t idx;                 /* in its site */
    struct health_path_cfg cfg; /* deep copy (hcfg_path_copy) */
    struct bfd_session *bfd;
    struct echo_probe *echo;
    struct hl_obs obs;
    struct hl_path_sm sm;
    struct hl_bfd_status bfd_st;
    hl_time_t last_dpd; /* 0: never */
    uint64_t dpd_requests;
    char *app_reason; /* the application checks' fault (obs.app_ok 0), else NULL;
                         obs.app_reason points at it while a step runs */
};

struct hsite {
    char *name;
    bool keep_last;
    struct hpath **paths;
    size_t n_paths;
    int pinned;
    bool have_choice;
    struct hl_choice choice;
    struct hl_history *hist;
};

/* a queued observation or operator request */
enum hmsg_kind { HM_SA, HM_LINK, HM_NEIGH, HM_ADMIN, HM_PIN, HM_RELEASE, HM_ANNOUNCE, HM_APP };
struct hmsg {
    struct hmsg *next;
    enum hmsg_kind kind;
    bool value;
    char *site, *path; /* path NULL for HM_RELEASE */
    char *text;        /* HM_APP: the fault's reason (value false), else NULL */
};

struct health {
    struct ev_loop *loop;
    pthread_t thread;
    void *handle; /* cb.spawn's */
    bool thread_started;
    ev_async wake;
    ev_timer deadline;
    ev_timer publish;  /* coalesces publications of figures (HSNAP_DELAY_MS) */
    bool changed;      /* a state or decision changed: publish at once */
    ev_timer counters; /* every HSNAP_COUNTERS_S: BFD drop counters to the status */
    struct bfd_ctx *bfd;
    struct health_callbacks cb;

    /* health thread only */
    struct hsite **sites;
    size_t n_sites;

    /* the queue: guarded by qlock */
    pthread_mutex_t qlock;
    struct hmsg *head, **tail;
    bool stopping;
    const struct health_config *cfg_req; /* a configuration to apply, or NULL */
    bool cfg_done, cfg_ok;
    char *cfg_err;
    size_t cfg_errlen;
    pthread_cond_t cfg_cond;

    /* the published state: guarded by slock (health_snap.c) */
    pthread_mutex_t slock;
    struct health_snapshot pub;
};

/* health_conf.c (health thread) */
bool hconf_apply(struct health *h, const struct health_config *cfg, char *err, size_t errlen);
void hconf_free_all(struct health *h);
void hpath_free(struct hpath *p);

/* health_eval.c (health thread) */
void heval_msg(struct health *h, struct hmsg *m); /* may take m->text */
void heval_path(struct health *h, struct hpath *p);
void heval_site(struct health *h, struct hsite *s, bool announce);
void heval_all(struct health *h, bool announce);
void heval_arm(struct health *h);
void heval_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents);
void heval_bfd_cb(struct bfd_session *s, const struct hl_bfd_status *st, void *ctx);
void heval_echo_cb(struct echo_probe *e, const struct hl_echo_stats *st, void *ctx);
void hlog(struct health *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* health_snap.c: publish (health thread), lookup (any thread, slock held by caller) */
#define HSNAP_DELAY_MS   20   /* a change of figures is published within this time */
#define HSNAP_REFRESH_MS 1000 /* decaying penalties are published again this often */
/* at once when h->changed (a state or a decision), else soon (coalesced) */
void hsnap_publish(struct health *h);
void hsnap_publish_now(struct health *h); /* before returning */
void hsnap_publish_cb(struct ev_loop *loop, ev_timer *w, int revents);
/* BFD sessions' counters (packets dropped by the TTL and address checks)
 * change without a state change: published when they did */
#define HSNAP_COUNTERS_S 1.
void hsnap_counters_cb(struct ev_loop *loop, ev_timer *w, int revents);
bool hsnap_has(struct health *h, const char *site, const char *path);

#endif
