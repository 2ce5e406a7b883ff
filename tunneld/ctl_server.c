/* ctl_server: see ctl_server.h. */
#define _GNU_SOURCE /* accept4 */
#include "ctl_server.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <library.h>
#include <threading/thread.h>

#include "controller_plugin.h"
#include "paths.h"
#include "sa_json.h"

#define KEY             "tunneld.control_socket"
#define MAX_COMMANDS    8
#define ACCEPTS         16  /* per poll round, so that clients get served too */
#define ACCEPT_PAUSE_MS 100 /* after running out of file descriptors */

typedef struct {
    int fd;
    bool writing;                /* the request was read: a reply is being sent */
    char line[CTL_LINE_MAX + 2]; /* the line, its newline, a NUL */
    size_t len;
    json_object *doc;       /* owns text */
    const char *text;       /* reply without its final newline */
    size_t total, off;      /* bytes of text plus newline; sent so far */
    long long deadline;     /* ms, CLOCK_MONOTONIC */
    unsigned long long seq; /* accept order */
} client_t;

struct ctl_server {
    int lfd, stop;
    char *path;
    dev_t dev;
    ino_t ino;
    thread_t *thread;
    struct {
        const char *word;
        ctl_command_fn fn;
        void *ctx;
    } commands[MAX_COMMANDS];
    size_t n_commands; /* fixed once started */
    ctl_limits_t lim;
    client_t *clients;  /* lim.max_clients */
    struct pollfd *pfd; /* 2 + lim.max_clients */
    size_t n_clients;
    size_t pending; /* reply bytes not yet sent, all clients */
    unsigned long long seq;
    long long accept_pause; /* ms: out of file descriptors, accept again then */
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_object *cmd_sa(void *ctx)
{
    sa_table_t *table = controller_table();
    sa_ike_rec_t *rows = NULL;
    size_t n = table ? sa_table_snapshot(table, &rows) : 0;

    if (table && !rows)
        return NULL; /* no copy of the table (out of memory): an error, never "empty" */
    json_object *doc = sa_json_render(rows, n);

    sa_table_snapshot_free(rows, n);
    return doc;
}

bool ctl_server_add_command(ctl_server_t *s, const char *word, ctl_command_fn fn, void *ctx)
{
    if (s->thread || s->n_commands == MAX_COMMANDS)
        return false;
    s->commands[s->n_commands].word = word;
    s->commands[s->n_commands].fn = fn;
    s->commands[s->n_commands].ctx = ctx;
    s->n_commands++;
    return true;
}

static void drop(ctl_server_t *s, client_t *c)
{
    if (c->fd < 0)
        return;
    close(c->fd);
    c->fd = -1;
    if (c->doc) {
        s->pending -= c->total - c->off;
        json_object_put(c->doc);
        c->doc = NULL;
    }
}

static json_object *error_doc(const char *msg)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(msg));
    return o;
}

static json_object *unknown_command(const ctl_server_t *s)
{
    size_t need = sizeof("unknown command: expected one of: ");
    char *msg;

    for (size_t i = 0; i < s->n_commands; i++)
        need += strlen(s->commands[i].word) + 2;
    msg = malloc(need);
    if (!msg)
        return NULL;
    strcpy(msg, "unknown command: expected one of: ");
    for (size_t i = 0; i < s->n_commands; i++) {
        if (i)
            strcat(msg, ", ");
        strcat(msg, s->commands[i].word);
    }
    json_object *doc = error_doc(msg);
    free(msg);
    return doc;
}

/* the reply to a complete (or over-long) request line */
static json_object *answer(const ctl_server_t *s, const client_t *c, bool too_long)
{
    if (too_long)
        return error_doc("command line too long: at most 127 bytes");
    for (size_t i = 0; i < s->n_commands; i++) {
        if (strcmp(c->line, s->commands[i].word) == 0) {
            json_object *doc = s->commands[i].fn(s->commands[i].ctx);
            return doc ? doc : error_doc("the command is not available now");
        }
    }
    return unknown_command(s);
}

/* keeps the replies waiting for slow readers under CTL_MAX_PENDING */
static void make_room(ctl_server_t *s, const client_t *keep, size_t want)
{
    while (s->pending + want > s->lim.max_pending) {
        client_t *oldest = NULL;
        for (size_t i = 0; i < s->n_clients; i++) {
            client_t *c = &s->clients[i];
            if (c->fd >= 0 && c->doc && c != keep && (!oldest || c->seq < oldest->seq))
                oldest = c;
        }
        if (!oldest)
            return;
        drop(s, oldest);
    }
}

static void send_some(ctl_server_t *s, client_t *c)
{
    size_t text_len = c->total - 1;

    while (c->off < c->total) {
        struct iovec iov[2] = {
            {(void *)(c->text + (c->off < text_len ? c->off : text_len)),
             c->off < text_len ? text_len - c->off : 0},
            {"\n", 1},
        };
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t r = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (r <= 0) { /* EPIPE, ECONNRESET: the client left */
            drop(s, c);
            return;
        }
        c->off += (size_t)r;
        s->pending -= (size_t)r;
    }
    /*
     * All sent. Bytes the client sent after its line (an over-long one) are
     * read first: closing with unread input would reset the connection and
     * the client would lose the reply. Bounded: a client that keeps sending
     * gets its reply reset, which it asked for.
     */
    char sink[4096];
    for (int i = 0; i < 16 && read(c->fd, sink, sizeof(sink)) > 0; i++)
        ;
    drop(s, c);
}

static void start_reply(ctl_server_t *s, client_t *c, bool too_long)
{
    json_object *doc = answer(s, c, too_long);

    if (!doc) {
        drop(s, c);
        return;
    }
    c->doc = doc;
    c->text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE);
    c->total = strlen(c->text) + 1;
    c->off = 0;
    c->writing = true;
    c->deadline = now_ms() + s->lim.write_ms;
    make_room(s, c, c->total);
    s->pending += c->total;
    send_some(s, c);
}

static void read_some(ctl_server_t *s, client_t *c)
{
    ssize_t r = read(c->fd, c->line + c->len, CTL_LINE_MAX + 1 - c->len);

    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r < 0 || (r == 0 && c->len == 0)) {
        drop(s, c); /* gone before saying anything */
        return;
    }
    char *nl = memchr(c->line + c->len, '\n', (size_t)r);
    c->len += (size_t)r;
    c->line[c->len] = '\0';
    if (nl)
        *nl = '\0';
    else if (r > 0 && c->len <= CTL_LINE_MAX)
        return; /* more to come */
    /* a newline, the end of the stream, or a full line buffer */
    size_t len = strlen(c->line);
    if (len && c->line[len - 1] == '\r')
        c->line[len - 1] = '\0';
    start_reply(s, c, !nl && r > 0);
}

static void accept_clients(ctl_server_t *s)
{
    for (int i = 0; i < ACCEPTS; i++) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
            /* the connection stays queued: do not spin on it */
            DBG1(DBG_CFG, "control socket %s: cannot accept: %s", s->path, strerror(errno));
            s->accept_pause = now_ms() + ACCEPT_PAUSE_MS;
            return;
        }
        if (fd < 0)
            return; /* EAGAIN, or a client gone already */
        if (s->n_clients == s->lim.max_clients) {
            client_t *oldest = &s->clients[0];
            for (size_t j = 1; j < s->n_clients; j++)
                if (s->clients[j].seq < oldest->seq)
                    oldest = &s->clients[j];
            drop(s, oldest);
            *oldest = s->clients[--s->n_clients];
        }
        client_t *c = &s->clients[s->n_clients++];
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        c->seq = ++s->seq;
        c->deadline = now_ms() + s->lim.read_ms;
    }
}

/* drops clients past their deadline and forgets closed ones */
static void sweep(ctl_server_t *s)
{
    long long now = now_ms();

    for (size_t i = 0; i < s->n_clients;) {
        client_t *c = &s->clients[i];
        if (c->fd >= 0 && now >= c->deadline)
            drop(s, c);
        if (c->fd < 0)
            *c = s->clients[--s->n_clients];
        else
            i++;
    }
}

static int poll_timeout(const ctl_server_t *s)
{
    long long now = now_ms(), first = s->accept_pause > now ? s->accept_pause : -1;

    for (size_t i = 0; i < s->n_clients; i++)
        if (first < 0 || s->clients[i].deadline < first)
            first = s->clients[i].deadline;
    if (first < 0)
        return -1;
    return first <= now ? 0 : (int)(first - now);
}

static void *serve(void *data)
{
    ctl_server_t *s = data;
    struct pollfd *pfd = s->pfd;

    for (;;) {
        size_t n = s->n_clients;
        pfd[0] = (struct pollfd){.fd = s->stop, .events = POLLIN};
        /* a negative fd is skipped by poll(): no accepting while paused */
        pfd[1] = (struct pollfd){.fd = s->accept_pause > now_ms() ? -1 : s->lfd, .events = POLLIN};
        for (size_t i = 0; i < n; i++)
            pfd[2 + i] = (struct pollfd){.fd = s->clients[i].fd,
                                         .events = s->clients[i].writing ? POLLOUT : POLLIN};
        if (poll(pfd, 2 + n, poll_timeout(s)) < 0 && errno != EINTR) {
            DBG1(DBG_CFG, "control socket %s: poll: %s", s->path, strerror(errno));
            poll(NULL, 0, 100); /* ENOMEM: no spinning on it */
            uint64_t v;
            if (read(s->stop, &v, sizeof(v)) == sizeof(v))
                break;
            continue;
        }
        if (pfd[0].revents)
            break;
        for (size_t i = 0; i < n; i++) {
            client_t *c = &s->clients[i];
            if (c->fd < 0 || !pfd[2 + i].revents)
                continue;
            if (c->writing)
                send_some(s, c);
            else
                read_some(s, c);
        }
        sweep(s);
        if (pfd[1].revents)
            accept_clients(s);
    }
    return NULL;
}

/* unix socket at path, stale one removed, mode and group set, not listening */
static int make_socket(ctl_server_t *s, unsigned mode, gid_t gid, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int fd;

    if (strlen(s->path) > paths_unix_max() || s->path[0] != '/') {
        snprintf(err, errlen, "%s: expected an absolute path of at most %zu bytes", KEY,
                 paths_unix_max());
        return -1;
    }
    /* a directory others can write: they could put their own listener in its place */
    if (!paths_dir_private(KEY, s->path, err, errlen))
        return -1;
    switch (paths_socket_state(KEY, s->path, err, errlen)) {
    case SOCK_PATH_STALE:
        if (unlink(s->path) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "%s: cannot remove the stale socket %s: %s", KEY, s->path,
                     strerror(errno));
            return -1;
        }
        DBG1(DBG_CFG, "control socket %s: removed a stale socket (nobody listened)", s->path);
        break;
    case SOCK_PATH_FREE:
        break;
    default:
        return -1;
    }
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        snprintf(err, errlen, "%s: cannot bind %s: %s", KEY, s->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (stat(s->path, &st) != 0 || chmod(s->path, mode) != 0 ||
        (gid != (gid_t)-1 && chown(s->path, (uid_t)-1, gid) != 0)) {
        snprintf(err, errlen, "%s: cannot set the mode %04o or group %d of %s: %s", KEY, mode,
                 (int)gid, s->path, strerror(errno));
        unlink(s->path);
        close(fd);
        return -1;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return fd;
}

static void free_server(ctl_server_t *s)
{
    free(s->clients);
    free(s->pfd);
    free(s->path);
    free(s);
}

ctl_server_t *ctl_server_create(const char *path, unsigned mode, gid_t gid,
                                const ctl_limits_t *limits, char *err, size_t errlen)
{
    static const ctl_limits_t defaults = {
        .read_ms = CTL_READ_MS,
        .write_ms = CTL_WRITE_MS,
        .max_clients = CTL_MAX_CLIENTS,
        .max_pending = CTL_MAX_PENDING,
    };
    ctl_server_t *s = calloc(1, sizeof(*s));
    const ctl_limits_t *lim = limits ? limits : &defaults;

    if (s)
        s->lim = *lim;
    if (!s || !lim->max_clients || !(s->path = strdup(path)) ||
        !(s->clients = calloc(lim->max_clients, sizeof(*s->clients))) ||
        !(s->pfd = calloc(lim->max_clients + 2, sizeof(*s->pfd)))) {
        snprintf(err, errlen, "%s: out of memory", KEY);
        if (s)
            free_server(s);
        return NULL;
    }
    s->stop = -1;
    s->lfd = make_socket(s, mode, gid, err, errlen);
    if (s->lfd < 0) {
        free_server(s);
        return NULL;
    }
    if (listen(s->lfd, (int)(lim->max_clients < 4096 ? lim->max_clients : 4096)) != 0) {
        snprintf(err, errlen, "%s: cannot listen on %s: %s", KEY, path, strerror(errno));
        ctl_server_destroy(s);
        return NULL;
    }
    ctl_server_add_command(s, "sa", cmd_sa, NULL);
    return s;
}

bool ctl_server_start(ctl_server_t *s, char *err, size_t errlen)
{
    s->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->stop >= 0)
        s->thread = thread_create(serve, s);
    if (!s->thread) {
        snprintf(err, errlen, "%s: cannot start the control socket's thread: %s", KEY,
                 strerror(errno));
        return false;
    }
    DBG1(DBG_CFG, "control socket listening on %s", s->path);
    return true;
}

/* removes the socket file only if it is still the one bound here */
static void remove_socket(const ctl_server_t *s)
{
    struct stat st;

    if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
        st.st_ino == s->ino)
        unlink(s->path);
}

void ctl_server_destroy(ctl_server_t *s)
{
    uint64_t one = 1;

    if (!s)
        return;
    if (s->thread) {
        if (write(s->stop, &one, sizeof(one)) != sizeof(one))
            DBG1(DBG_CFG, "control socket %s: cannot stop its thread: %s", s->path,
                 strerror(errno));
        s->thread->join(s->thread);
    }
    for (size_t i = 0; i < s->n_clients; i++)
        drop(s, &s->clients[i]);
    close(s->lfd);
    if (s->stop >= 0)
        close(s->stop);
    remove_socket(s);
    free_server(s);
}
