/*
 * checks: the public functions and the "checks" thread: one libev loop
 * driving curl's multi interface (curl's sockets as ev_io, its timeout as
 * an ev_timer), rounds every interval (jittered), at most `concurrency`
 * checks at once, the round's end (judge, snapshot, on_path, on_round).
 *
 * Threading: checks_start/reload/stop in the caller's one controlling
 * thread (they wait on cfg_cond for the checks thread to take the
 * configuration); checks_run_now from any thread (qlock, then
 * ev_async_send); everything else on the checks thread.
 */
#define _GNU_SOURCE
#include "checks_int.h"
#include "judge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct csock {
    ev_io io;
    struct checks *c;
    struct csock *next;
};

void clog_(struct checks *c, int level, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;

    if (!c->cb.log)
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    c->cb.log(level, msg ? msg : "checks: (out of memory formatting a message)", c->cb.ctx);
    free(msg);
}

int64_t checks_wall(void)
{
    return (int64_t)time(NULL);
}

double checks_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- curl's sockets and timeout on the loop ---- */

static void after_action(struct checks *c)
{
    CURLMsg *m;
    int left;

    crun_progress(c);
    while ((m = curl_multi_info_read(c->multi, &left)) != NULL)
        if (m->msg == CURLMSG_DONE)
            crun_finish(c, m->easy_handle, m->data.result);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct csock *s = w->data;
    struct checks *c = s->c;
    int running = 0;
    int flags =
        ((revents & EV_READ) ? CURL_CSELECT_IN : 0) | ((revents & EV_WRITE) ? CURL_CSELECT_OUT : 0);

    (void)loop;
    curl_multi_socket_action(c->multi, w->fd, flags, &running);
    after_action(c); /* (s may be gone) */
}

static void sock_drop(struct checks *c, struct csock *s)
{
    ev_io_stop(c->loop, &s->io);
    for (struct csock **pp = &c->socks; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    free(s);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct checks *c = userp;
    struct csock *s = socketp;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s)
            sock_drop(c, s);
        curl_multi_assign(c->multi, fd, NULL);
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1; /* curl fails that transfer */
        s->c = c;
        s->next = c->socks;
        c->socks = s;
        ev_init(&s->io, io_cb);
        s->io.data = s;
        curl_multi_assign(c->multi, fd, s);
    }
    int ev = ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    ev_io_stop(c->loop, &s->io);
    ev_io_set(&s->io, fd, ev);
    ev_io_start(c->loop, &s->io);
    return 0;
}

static void curl_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct checks *c = w->data;
    int running = 0;

    (void)loop;
    (void)revents;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    after_action(c);
}

static int timer_cb(CURLM *multi, long ms, void *userp)
{
    struct checks *c = userp;

    (void)multi;
    ev_timer_stop(c->loop, &c->curl_timer);
    if (ms >= 0) {
        ev_timer_set(&c->curl_timer, ms / 1000.0, 0.);
        ev_timer_start(c->loop, &c->curl_timer);
    }
    return 0;
}

/* ---- rounds ---- */

static void end_round(struct checks *c);

static char *dup_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

/* which hop answered: a configured hop's name, else the Via name as sent */
static const char *hop_of(const struct checks_item *it, const struct check_facts *f)
{
    int k = ch_hop_index(f->proxy.via_first, it->proxy.via, it->proxy.n_via);

    if (!it->use_proxy || !f->proxy.status)
        return NULL;
    return k >= 0 ? it->proxy.via[k] : f->proxy.via_first;
}

static void store_result(struct checks *c, size_t idx, const struct check_facts *f, uint32_t cms,
                         uint32_t pms, uint32_t tms)
{
    struct citem *ci = &c->cur.items[idx];
    struct checks_result *r = &ci->r;
    const struct cf_session *s = f->tls.valid ? &f->tls : f->diag.valid ? &f->diag : NULL;
    struct cr_out o;

    cr_judge(&ci->it, f, &o);
    cresult_clear(r);
    r->verdict = o.verdict;
    r->phase = o.phase;
    r->reason = strdup(o.reason);
    r->at = checks_wall();
    r->connect_ms = cms;
    r->proxy_ms = pms;
    r->tls_ms = tms;
    r->proxy_status = ci->it.use_proxy ? f->proxy.status : 0;
    r->proxy_line = ci->it.use_proxy ? dup_or_null(f->proxy.line) : NULL;
    r->proxy_hop = dup_or_null(hop_of(&ci->it, f));
    r->proxy_error = ci->it.use_proxy ? dup_or_null(f->proxy.error) : NULL;
    if (s) {
        r->tls_version = dup_or_null(s->version_name);
        r->cipher = dup_or_null(s->cipher);
        r->cipher_bits = s->bits;
    }
    r->cert_subject = f->cert_seen ? dup_or_null(f->cert_subject) : NULL;
    r->cert_issuer = f->cert_seen ? dup_or_null(f->cert_issuer) : NULL;
    r->cert_not_after = f->cert_seen ? f->cert_not_after : 0;
    clog_(c, o.verdict == CHECKS_FAIL ? 2 : 3, "checks: %s/%s/%s: %s: %s", ci->it.site,
          ci->it.group, ci->it.path, checks_verdict_name(o.verdict), o.reason);
}

static void fill(struct checks *c)
{
    while (c->running < c->cur.cfg.concurrency && c->next < c->cur.n_items) {
        size_t idx = c->next++;
        if (crun_start(c, idx, false, NULL, 0) == 0) {
            c->running++;
            continue;
        }
        struct check_facts f = {.curl_code = CURLE_OUT_OF_MEMORY, .verify_result = -1};
        snprintf(f.curl_err, sizeof(f.curl_err), "cannot start the check");
        f.now = checks_wall();
        store_result(c, idx, &f, UINT32_MAX, UINT32_MAX, UINT32_MAX);
    }
}

static void start_round(struct checks *c)
{
    ev_timer_stop(c->loop, &c->round_timer);
    c->in_round = true;
    c->again = false;
    c->next = 0;
    c->running = 0;
    fill(c);
    if (c->running == 0)
        end_round(c);
}

void checks_done(struct checks *c, size_t idx, const struct check_facts *f, double started,
                 uint32_t connect_ms, uint32_t proxy_ms, uint32_t tls_ms)
{
    (void)started;
    store_result(c, idx, f, connect_ms, proxy_ms, tls_ms);
    c->running--;
    fill(c);
    if (c->running == 0 && c->next >= c->cur.n_items)
        end_round(c);
}

static void round_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    start_round(w->data);
}

static void schedule(struct checks *c)
{
    const struct checks_config *cfg = &c->cur.cfg;
    double j = cfg->jitter_pct ? ((double)(rand_r(&c->seed) % 2001) / 1000.0 - 1.0) : 0;
    double s = cfg->interval_ms / 1000.0 * (1.0 + j * cfg->jitter_pct / 100.0);

    ev_timer_stop(c->loop, &c->round_timer);
    ev_timer_set(&c->round_timer, s > 0.001 ? s : 0.001, 0.);
    ev_timer_start(c->loop, &c->round_timer);
}

/* the paths whose verdict changed (every path after its first round) */
static void tell_paths(struct checks *c, const struct judge_in *in, const enum checks_fault *fault)
{
    char reason[CHECKS_REASON_MAX];

    for (size_t p = 0; p < c->cur.n_paths; p++) {
        struct cpath *cp = &c->cur.paths[p];
        bool ok = judge_path(in, fault, c->cur.n_items, cp->site, cp->path, reason, sizeof(reason));
        if (cp->reported && cp->ok == ok && (ok || (cp->reason && !strcmp(cp->reason, reason))))
            continue;
        char *copy = strdup(reason);
        if (!copy)
            continue; /* told next round */
        free(cp->reason);
        cp->reason = copy;
        cp->ok = ok;
        cp->reported = true;
        clog_(c, ok ? 2 : 1, "checks: site %s path %s: %s%s", cp->site, cp->path,
              ok ? "application checks pass" : "application check failed: ", ok ? "" : reason);
        if (c->cb.on_path)
            c->cb.on_path(cp->site, cp->path, ok, ok ? NULL : reason, c->cb.ctx);
    }
}

static void end_round(struct checks *c)
{
    size_t n = c->cur.n_items;
    struct judge_in *in = calloc(n ? n : 1, sizeof(*in));
    enum checks_fault *fault = calloc(n ? n : 1, sizeof(*fault));

    c->in_round = false;
    if (in && fault) {
        for (size_t i = 0; i < n; i++) {
            const struct citem *ci = &c->cur.items[i];
            in[i] = (struct judge_in){ci->it.site, ci->it.group,  ci->it.path, ci->it.host,
                                      ci->it.port, ci->r.verdict, ci->r.reason};
        }
        judge_faults(in, n, fault);
        for (size_t i = 0; i < n; i++)
            c->cur.items[i].r.fault = fault[i];
    } else {
        clog_(c, 0, "checks: out of memory judging the round (paths keep their verdict)");
    }
    c->rounds++;
    c->last_round = checks_wall();
    csnap_publish(c);
    if (in && fault)
        tell_paths(c, in, fault);
    free(in);
    free(fault);
    if (c->cb.on_round)
        c->cb.on_round(c->cb.ctx);
    if (c->again)
        start_round(c);
    else
        schedule(c);
}

/* ---- the thread and its requests ---- */

static bool any_pending(const struct checks *c)
{
    for (size_t i = 0; i < c->cur.n_items; i++)
        if (c->cur.items[i].r.verdict == CHECKS_PENDING)
            return true;
    return false;
}

static void apply(struct checks *c, struct cprep *req)
{
    bool was = c->in_round;
    struct cprep old = c->cur;

    crun_abort_all(c); /* (their items keep the last round's results) */
    c->in_round = false;
    cprep_carry(req, &old);
    c->cur = *req;
    memset(req, 0, sizeof(*req));
    cprep_free(&old);
    csnap_publish(c);
    if (was || any_pending(c))
        start_round(c);
    else if (!ev_is_active(&c->round_timer))
        schedule(c);
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    struct checks *c = w->data;

    (void)revents;
    pthread_mutex_lock(&c->qlock);
    struct cprep *req = c->cfg_req;
    bool stopping = c->stopping, run = c->run_req;
    c->run_req = false;
    pthread_mutex_unlock(&c->qlock);
    if (req) {
        apply(c, req);
        pthread_mutex_lock(&c->qlock);
        c->cfg_req = NULL;
        c->cfg_done = true;
        pthread_cond_broadcast(&c->cfg_cond);
        pthread_mutex_unlock(&c->qlock);
    }
    if (stopping) {
        crun_abort_all(c);
        ev_timer_stop(loop, &c->round_timer);
        ev_timer_stop(loop, &c->curl_timer);
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    if (run) {
        if (c->in_round)
            c->again = true;
        else
            start_round(c);
    }
}

static void *run_loop(void *arg)
{
    struct checks *c = arg;

    ev_run(c->loop, 0);
    return NULL;
}

static void request_config(struct checks *c, struct cprep *p)
{
    pthread_mutex_lock(&c->qlock);
    c->cfg_req = p;
    c->cfg_done = false;
    pthread_mutex_unlock(&c->qlock);
    ev_async_send(c->loop, &c->wake);
    pthread_mutex_lock(&c->qlock);
    while (!c->cfg_done)
        pthread_cond_wait(&c->cfg_cond, &c->qlock);
    pthread_mutex_unlock(&c->qlock);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void checks_free(struct checks *c)
{
    if (c->multi)
        curl_multi_cleanup(c->multi);
    while (c->socks)
        sock_drop(c, c->socks);
    if (c->loop)
        ev_loop_destroy(c->loop);
    cprep_free(&c->cur);
    checks_snapshot_free(&c->pub);
    pthread_mutex_destroy(&c->qlock);
    pthread_mutex_destroy(&c->slock);
    pthread_cond_destroy(&c->cfg_cond);
    free(c);
}

static struct checks *checks_new(const struct checks_callbacks *cb)
{
    struct checks *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    pthread_mutex_init(&c->qlock, NULL);
    pthread_mutex_init(&c->slock, NULL);
    pthread_cond_init(&c->cfg_cond, NULL);
    if (cb)
        c->cb = *cb;
    c->seed = (unsigned)time(NULL) ^ (unsigned)getpid() ^ (unsigned)(uintptr_t)c;
    c->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
    c->multi = curl_multi_init();
    if (!c->loop || !c->multi)
        return c;
    ev_async_init(&c->wake, on_wake);
    c->wake.data = c;
    ev_async_start(c->loop, &c->wake);
    ev_init(&c->round_timer, round_timer_cb);
    c->round_timer.data = c;
    ev_init(&c->curl_timer, curl_timer_cb);
    c->curl_timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return c;
}

struct checks *checks_start(const struct checks_config *cfg, const struct checks_callbacks *cb,
                            char *err, size_t errlen)
{
    struct cprep prep;
    struct checks *c;
    int rc;

    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        snprintf(err, errlen, "checks: libcurl did not start: %s",
                 curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    if (cprep_make(cfg, &prep, err, errlen) != 0)
        return NULL;
    c = checks_new(cb);
    if (!c || !c->loop || !c->multi) {
        snprintf(err, errlen, "checks: cannot make the event loop (out of memory)");
        cprep_free(&prep);
        if (c)
            checks_free(c);
        return NULL;
    }
    if (c->cb.spawn && c->cb.join) {
        c->handle = c->cb.spawn(run_loop, c);
        rc = c->handle ? 0 : errno ? errno : EAGAIN;
    } else {
        rc = pthread_create(&c->thread, NULL, run_loop, c);
    }
    if (rc != 0) {
        snprintf(err, errlen, "checks: cannot start the checks thread: %s", strerror(rc));
        cprep_free(&prep);
        checks_free(c);
        return NULL;
    }
    c->thread_started = true;
    request_config(c, &prep);
    cprep_free(&prep); /* (emptied by the thread) */
    return c;
}

bool checks_reload(struct checks *c, const struct checks_config *cfg, char *err, size_t errlen)
{
    struct cprep prep;

    if (!c) {
        snprintf(err, errlen, "checks: not running");
        return false;
    }
    if (cprep_make(cfg, &prep, err, errlen) != 0)
        return false;
    request_config(c, &prep);
    cprep_free(&prep);
    return true;
}

void checks_run_now(struct checks *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->qlock);
    c->run_req = true;
    pthread_mutex_unlock(&c->qlock);
    ev_async_send(c->loop, &c->wake);
}

void checks_stop(struct checks *c)
{
    if (!c)
        return;
    if (c->thread_started) {
        pthread_mutex_lock(&c->qlock);
        c->stopping = true;
        pthread_mutex_unlock(&c->qlock);
        ev_async_send(c->loop, &c->wake);
        if (c->handle)
            c->cb.join(c->handle);
        else
            pthread_join(c->thread, NULL);
    }
    checks_free(c);
}
