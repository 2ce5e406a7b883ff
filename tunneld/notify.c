/* notify: see notify.h. */
#define _GNU_SOURCE /* vasprintf */
#include "notify.h"
#include "preflight.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "controller_plugin.h"
#include "sa_table.h"
#include "status_line.h"

static int enabled = -1;           /* -1: not read yet */
static char last[STATUS_LINE_MAX]; /* the STATUS= text sent last */
static char note[STATUS_LINE_MAX]; /* the last reload's outcome */

/* the messages waiting for the sender thread, oldest first */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t more, idle;
    char *msg[NOTIFY_QUEUE_MAX];
    size_t head, n;
    bool started; /* the sender thread runs */
    bool sending; /* it is inside sd_notify */
} q = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .more = PTHREAD_COND_INITIALIZER,
       .idle = PTHREAD_COND_INITIALIZER};

/* sends each queued message in turn; sd_notify may block (a full notify socket) */
static void *sender(void *arg)
{
    sigset_t all;

    (void)arg;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the main thread's */
    pthread_mutex_lock(&q.lock);
    for (;;) {
        while (!q.n)
            pthread_cond_wait(&q.more, &q.lock);
        char *msg = q.msg[q.head];
        q.head = (q.head + 1) % NOTIFY_QUEUE_MAX;
        q.n--;
        q.sending = true;
        pthread_mutex_unlock(&q.lock);
        sd_notify(0, msg);
        free(msg);
        pthread_mutex_lock(&q.lock);
        q.sending = false;
        if (!q.n)
            pthread_cond_broadcast(&q.idle);
    }
    return NULL;
}

/*
 * queues a message for the sender thread (started on the first one); never
 * blocks on the notify socket. A full queue (the manager reads nothing)
 * drops the message (false): the manager is not listening.
 */
static bool send_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool send_msg(const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    int len = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (len < 0)
        return false;
    pthread_mutex_lock(&q.lock);
    if (!q.started) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        q.started = pthread_create(&t, &attr, sender, NULL) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!q.started || q.n == NOTIFY_QUEUE_MAX) {
        pthread_mutex_unlock(&q.lock);
        free(msg);
        return false;
    }
    q.msg[(q.head + q.n) % NOTIFY_QUEUE_MAX] = msg;
    q.n++;
    pthread_cond_signal(&q.more);
    pthread_mutex_unlock(&q.lock);
    return true;
}

void notify_flush(unsigned ms)
{
    struct timespec until;

    if (!notify_enabled())
        return;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q.lock);
    while (q.started && (q.n || q.sending))
        if (pthread_cond_timedwait(&q.idle, &q.lock, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&q.lock);
}

bool notify_enabled(void)
{
    if (enabled < 0) {
        const char *s = getenv("NOTIFY_SOCKET");
        enabled = s && s[0];
    }
    return enabled;
}

/* the preflight's problems when there are any (tunnelctl preflight), then the note */
static const char *with_preflight(char *full, size_t len)
{
    size_t np = preflight_problems();

    if (!np)
        return note;
    snprintf(full, len, "preflight: %zu problem%s%s%s", np, np == 1 ? "" : "s", note[0] ? "; " : "",
             note);
    return full;
}

/* the status line now; false when the SA table cannot be copied (out of memory) */
static bool current(route_glue_t *g, char buf[STATUS_LINE_MAX])
{
    char full[STATUS_LINE_MAX];
    sa_table_t *table = controller_table();
    sa_ike_rec_t *rows = NULL;
    size_t n = table ? sa_table_snapshot(table, &rows) : 0;
    json_object *paths;

    if (table && !rows)
        return false;
    paths = route_glue_paths(g);
    status_line(buf, paths, rows, n, with_preflight(full, sizeof(full)));
    json_object_put(paths);
    sa_table_snapshot_free(rows, n);
    return true;
}

void notify_ready(route_glue_t *g, const char *reload_note)
{
    char buf[STATUS_LINE_MAX];

    if (!notify_enabled())
        return;
    if (reload_note)
        snprintf(note, sizeof(note), "%s", reload_note);
    if (!current(g, buf)) {
        (void)send_msg("READY=1");
        return;
    }
    /* a dropped message leaves last as it was: the next refresh sends it */
    if (send_msg("READY=1\nSTATUS=%s", buf))
        memcpy(last, buf, sizeof(last));
}

void notify_reloading(void)
{
    struct timespec ts;

    if (!notify_enabled())
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    (void)send_msg("RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long)ts.tv_sec * 1000000ULL +
                                                           (unsigned long long)ts.tv_nsec / 1000);
}

void notify_stopping(void)
{
    if (notify_enabled())
        (void)send_msg("STOPPING=1");
}

void notify_refresh(route_glue_t *g)
{
    char buf[STATUS_LINE_MAX];

    if (!notify_enabled() || !current(g, buf) || !strcmp(buf, last))
        return;
    if (send_msg("STATUS=%s", buf))
        memcpy(last, buf, sizeof(last));
}
