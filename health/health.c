/*
 * health: the public functions, the queue and the health thread (see
 * health.h for the DOC of the whole runtime).
 *
 * Threading: health_start/reload/stop in the caller's one controlling
 * thread (they wait on cfg_cond for the health thread); the observation and
 * operator functions in any thread (qlock, then ev_async_send, which is
 * async-signal and thread safe); run(), on_wake() on the health thread.
 */
#define _GNU_SOURCE
#include "health_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

hl_time_t health_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (hl_time_t)ts.tv_sec * 1000 + (hl_time_t)ts.tv_nsec / 1000000;
}

void hlog(struct health *h, int level, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;

    if (!h->cb.log)
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    h->cb.log(level, msg ? msg : "(out of memory formatting a message)", h->cb.ctx);
    free(msg);
}

static void msg_free(struct hmsg *m)
{
    free(m->site);
    free(m->path);
    free(m->text);
    free(m);
}

/* health thread: a configuration request (the caller waits), then the queue */
static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
    struct health *h = w->data;
    struct hmsg *list;

    (void)revents;
    pthread_mutex_lock(&h->qlock);
    const struct health_config *cfg = h->cfg_req;
    bool stopping = h->stopping;
    pthread_mutex_unlock(&h->qlock);
    if (cfg) {
        bool ok = hconf_apply(h, cfg, h->cfg_err, h->cfg_errlen);
        /* published before the caller goes on: its next observations name the new paths */
        heval_arm(h);
        hsnap_publish_now(h);
        pthread_mutex_lock(&h->qlock);
        h->cfg_req = NULL;
        h->cfg_ok = ok;
        h->cfg_done = true;
        pthread_cond_broadcast(&h->cfg_cond);
        pthread_mutex_unlock(&h->qlock);
    }
    pthread_mutex_lock(&h->qlock);
    list = h->head;
    h->head = NULL;
    h->tail = &h->head;
    pthread_mutex_unlock(&h->qlock);
    while (list) {
        struct hmsg *next = list->next;
        heval_msg(h, list);
        msg_free(list);
        list = next;
    }
    if (stopping) {
        hconf_free_all(h);
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    heval_arm(h);
    h->changed = true; /* observations and requests show at once */
    hsnap_publish(h);
}

static void *run(void *arg)
{
    struct health *h = arg;

    ev_run(h->loop, 0);
    return NULL;
}

/* waits for the health thread to apply cfg (it always answers) */
static bool request_config(struct health *h, const struct health_config *cfg, char *err,
                           size_t errlen)
{
    pthread_mutex_lock(&h->qlock);
    h->cfg_req = cfg;
    h->cfg_done = false;
    h->cfg_err = err;
    h->cfg_errlen = errlen;
    pthread_mutex_unlock(&h->qlock);
    ev_async_send(h->loop, &h->wake);
    pthread_mutex_lock(&h->qlock);
    while (!h->cfg_done)
        pthread_cond_wait(&h->cfg_cond, &h->qlock);
    bool ok = h->cfg_ok;
    h->cfg_err = NULL;
    pthread_mutex_unlock(&h->qlock);
    return ok;
}

static void health_free(struct health *h)
{
    if (h->loop)
        ev_loop_destroy(h->loop);
    while (h->head) {
        struct hmsg *next = h->head->next;
        msg_free(h->head);
        h->head = next;
    }
    health_snapshot_free(&h->pub);
    free(h->sites);
    pthread_mutex_destroy(&h->qlock);
    pthread_mutex_destroy(&h->slock);
    pthread_cond_destroy(&h->cfg_cond);
    free(h);
}

static struct health *health_new(const struct health_callbacks *cb)
{
    struct health *h = calloc(1, sizeof(*h));

    if (!h)
        return NULL;
    pthread_mutex_init(&h->qlock, NULL);
    pthread_mutex_init(&h->slock, NULL);
    pthread_cond_init(&h->cfg_cond, NULL);
    h->tail = &h->head;
    h->cb = *cb;
    if (!h->cb.history)
        h->cb.history = 32;
    h->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
    if (!h->loop)
        return h;
    ev_async_init(&h->wake, on_wake);
    h->wake.data = h;
    ev_async_start(h->loop, &h->wake);
    ev_timer_init(&h->deadline, heval_deadline_cb, 0., 0.);
    h->deadline.data = h;
    ev_timer_init(&h->publish, hsnap_publish_cb, 0., 0.);
    h->publish.data = h;
    ev_timer_init(&h->counters, hsnap_counters_cb, HSNAP_COUNTERS_S, HSNAP_COUNTERS_S);
    h->counters.data = h;
    ev_timer_start(h->loop, &h->counters);
    return h;
}

struct health *health_start(const struct health_config *cfg, const struct health_callbacks *cb,
                            char *err, size_t errlen)
{
    struct health *h = health_new(cb);
    int rc;

    if (!h || !h->loop) {
        snprintf(err, errlen, "health: cannot make the event loop (out of memory)");
        if (h)
            health_free(h);
        return NULL;
    }
    if (h->cb.spawn && h->cb.join) {
        h->handle = h->cb.spawn(run, h);
        rc = h->handle ? 0 : errno ? errno : EAGAIN;
    } else {
        rc = pthread_create(&h->thread, NULL, run, h);
    }
    if (rc != 0) {
        snprintf(err, errlen, "health: cannot start the health thread: %s", strerror(rc));
        health_free(h);
        return NULL;
    }
    h->thread_started = true;
    if (!request_config(h, cfg, err, errlen)) {
        health_stop(h);
        return NULL;
    }
    return h;
}

bool health_reload(struct health *h, const struct health_config *cfg, char *err, size_t errlen)
{
    return request_config(h, cfg, err, errlen);
}

void health_stop(struct health *h)
{
    if (!h)
        return;
    if (h->thread_started) {
        pthread_mutex_lock(&h->qlock);
        h->stopping = true;
        pthread_mutex_unlock(&h->qlock);
        ev_async_send(h->loop, &h->wake);
        if (h->handle)
            h->cb.join(h->handle);
        else
            pthread_join(h->thread, NULL);
    }
    health_free(h);
}

/* text: the message's own (freed here when it cannot be queued) */
static int enqueue_text(struct health *h, enum hmsg_kind kind, const char *site, const char *path,
                        bool value, char *text)
{
    struct hmsg *m = calloc(1, sizeof(*m));

    if (!m) {
        free(text);
        return -1;
    }
    m->kind = kind;
    m->value = value;
    m->text = text;
    m->site = strdup(site);
    m->path = path ? strdup(path) : NULL;
    if (!m->site || (path && !m->path)) {
        msg_free(m);
        return -1;
    }
    pthread_mutex_lock(&h->qlock);
    *h->tail = m;
    h->tail = &m->next;
    pthread_mutex_unlock(&h->qlock);
    ev_async_send(h->loop, &h->wake);
    return 0;
}

static int enqueue(struct health *h, enum hmsg_kind kind, const char *site, const char *path,
                   bool value)
{
    return enqueue_text(h, kind, site, path, value, NULL);
}

/* an observation of a configured path (checked against the published names) */
static int observe_text(struct health *h, enum hmsg_kind kind, const char *site, const char *path,
                        bool value, char *text)
{
    bool known = false;

    if (h && site && path) {
        pthread_mutex_lock(&h->slock);
        known = hsnap_has(h, site, path);
        pthread_mutex_unlock(&h->slock);
    }
    if (!known) {
        free(text);
        return -1;
    }
    return enqueue_text(h, kind, site, path, value, text);
}

static int observe(struct health *h, enum hmsg_kind kind, const char *site, const char *path,
                   bool value)
{
    return observe_text(h, kind, site, path, value, NULL);
}

/* bytes of the well-formed UTF-8 character at s (n bytes there), 0 when
 * it is not one (stray continuation, overlong, surrogate, past U+10FFFF) */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */

    if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
        return 0;
    if (s[0] == 0xe0)
        lo = 0xa0;
    else if (s[0] == 0xed)
        hi = 0x9f;
    else if (s[0] == 0xf0)
        lo = 0x90;
    else if (s[0] == 0xf4)
        hi = 0x8f;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/*
 * The reason of an application fault as the status and the logs show it:
 * "no reason given" for none; control bytes and bytes that are not UTF-8
 * as '?' (the words may come from a proxy's answer: they must not forge log
 * lines nor break the JSON); at most HL_APP_REASON_MAX bytes (a longer one
 * cut before a whole character, ending with the visible mark).
 */
static char *app_reason_copy(const char *reason)
{
    static const char mark[] = " [...]";
    const unsigned char *src =
        (const unsigned char *)(reason && reason[0] ? reason : "no reason given");
    size_t total = strnlen((const char *)src, HL_APP_REASON_MAX + 1), i = 0, j = 0;
    bool cut = total > HL_APP_REASON_MAX;
    size_t limit = cut ? HL_APP_REASON_MAX - (sizeof(mark) - 1) : total;
    char *d = malloc(limit + sizeof(mark));

    if (!d)
        return NULL;
    while (i < limit) {
        size_t len = src[i] < 0x80 ? 1 : utf8_len(src + i, total - i);
        if (len <= 1) {
            d[j++] = src[i] < 0x20 || src[i] >= 0x7f ? '?' : (char)src[i];
            i++;
            continue;
        }
        if (i + len > limit)
            break; /* a character across the cut */
        memcpy(d + j, src + i, len);
        i += len;
        j += len;
    }
    if (cut)
        memcpy(d + j, mark, sizeof(mark));
    else
        d[j] = '\0';
    return d;
}

int health_observe_app(struct health *h, const char *site, const char *path, bool ok,
                       const char *reason)
{
    char *text = NULL;

    if (!ok && !(text = app_reason_copy(reason)))
        return -1;
    return observe_text(h, HM_APP, site, path, ok, text);
}

int health_observe_sa(struct health *h, const char *site, const char *path, bool up)
{
    return observe(h, HM_SA, site, path, up);
}

int health_observe_link(struct health *h, const char *site, const char *path, bool up)
{
    return observe(h, HM_LINK, site, path, up);
}

int health_observe_neigh(struct health *h, const char *site, const char *path, bool failed)
{
    return observe(h, HM_NEIGH, site, path, failed);
}

/* the operator's request: names checked, err says which one is unknown */
static int operator(struct health *h, enum hmsg_kind kind, const char *site, const char *path,
                    bool value, char *err, size_t errlen)
{
    if (!h) {
        snprintf(err, errlen, "path health is not running (no sites)");
        return -1;
    }
    pthread_mutex_lock(&h->slock);
    bool site_ok = hsnap_has(h, site, NULL), path_ok = !path || hsnap_has(h, site, path);
    pthread_mutex_unlock(&h->slock);
    if (!site_ok || !path_ok) {
        if (site_ok)
            snprintf(err, errlen, "site '%s' has no path '%s'", site, path);
        else
            snprintf(err, errlen, "no site '%s'", site);
        return -1;
    }
    if (enqueue(h, kind, site, path, value) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int health_announce(struct health *h)
{
    return h ? enqueue(h, HM_ANNOUNCE, "", NULL, false) : -1;
}

int health_pin(struct health *h, const char *site, const char *path, char *err, size_t errlen)
{
    return operator(h, HM_PIN, site, path, true, err, errlen);
}

int health_release(struct health *h, const char *site, char *err, size_t errlen)
{
    return operator(h, HM_RELEASE, site, NULL, false, err, errlen);
}

int health_set_admin(struct health *h, const char *site, const char *path, bool down, char *err,
                     size_t errlen)
{
    return operator(h, HM_ADMIN, site, path, down, err, errlen);
}
