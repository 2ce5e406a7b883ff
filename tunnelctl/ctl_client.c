/*
 * ctl_client: see ctl_client.h.
 * Threading: single-threaded (tunnelctl).
 */
#include "ctl_client.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "json_reader.h"

struct exchange {
    const char *path;
    double timeout_s;
    int64_t deadline_ms; /* CLOCK_MONOTONIC */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(const struct exchange *x)
{
    int64_t left = x->deadline_ms - now_ms();
    return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

static int failed(const struct exchange *x, const char *what, const char *detail)
{
    fprintf(stderr, "tunnelctl: %s: %s%s%s\n", x->path, what, detail ? ": " : "",
            detail ? detail : "");
    return -1;
}

static int timed_out(const struct exchange *x, const char *doing)
{
    fprintf(stderr, "tunnelctl: %s: timed out after %g s %s (-t sets the limit)\n", x->path,
            x->timeout_s, doing);
    return -1;
}

/* connect, waiting for a full backlog at most until the deadline */

/* a refused connect: who may use the socket (tunneld.control_group), when
 * its group can be read; a group name that is not plain is shown as its number */
static void who_may(const char *path)
{
    struct stat st;
    struct group *g;

    if (stat(path, &st) != 0 || !(st.st_mode & S_IWGRP))
        return;
    g = getgrgid(st.st_gid);
    if (g && g->gr_name &&
        strspn(g->gr_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
            strlen(g->gr_name))
        fprintf(stderr, " (members of group %s may use it: tunneld.control_group)", g->gr_name);
    else
        fprintf(stderr, " (members of group %u may use it: tunneld.control_group)",
                (unsigned)st.st_gid);
}

static int open_socket(const struct exchange *x)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(x->path);

    if (len >= sizeof(sa.sun_path)) {
        fprintf(stderr, "tunnelctl: socket path of %zu bytes, longer than the limit of %zu: %s\n",
                len, sizeof(sa.sun_path) - 1, x->path);
        return -1;
    }
    memcpy(sa.sun_path, x->path, len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return failed(x, "socket", strerror(errno));
    int ms = left_ms(x);
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    if (ms == 0)
        tv.tv_usec = 1; /* 0 would mean no limit */
    /* a unix connect waits for room in a full backlog at most SO_SNDTIMEO */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
        int e = errno;
        close(fd);
        return failed(x, "setsockopt", strerror(e));
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;
        close(fd);
        if (e == EAGAIN || e == EINPROGRESS)
            return timed_out(x, "connecting (its backlog is full: tunneld busy or hung?)");
        fprintf(stderr, "tunnelctl: cannot connect to %s: %s", x->path, strerror(e));
        if (e == ENOENT || e == ECONNREFUSED)
            fputs(" (is tunneld running?)", stderr);
        else if (e == EACCES || e == EPERM)
            who_may(x->path);
        fputc('\n', stderr);
        return -1;
    }
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        close(fd);
        return failed(x, "fcntl", strerror(errno));
    }
    return fd;
}

/* poll for ev until the deadline: 1 ready, 0 timed out, -1 error */
static int wait_for(const struct exchange *x, int fd, short ev)
{
    struct pollfd p = {.fd = fd, .events = ev};

    for (;;) {
        int r = poll(&p, 1, left_ms(x));
        if (r >= 0 || errno != EINTR)
            return r < 0 ? -1 : r;
    }
}

static int send_command(const struct exchange *x, int fd, const char *cmd)
{
    size_t len = strlen(cmd), off = 0;
    char *line = malloc(len + 2);

    if (!line)
        return failed(x, "out of memory", NULL);
    memcpy(line, cmd, len);
    line[len++] = '\n';
    while (off < len) {
        ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_for(x, fd, POLLOUT);
            if (r > 0)
                continue;
            free(line);
            return r == 0 ? timed_out(x, "sending the command") : failed(x, "poll", NULL);
        }
        int e = n < 0 ? errno : EPIPE;
        free(line);
        return failed(x,
                      e == EPIPE ? "tunneld closed the connection before the command was sent"
                                 : "sending the command",
                      e == EPIPE ? NULL : strerror(e));
    }
    free(line);
    return 0;
}

/* room for more: doubling, up to one byte past the limit (to detect it) */
static int grow(const struct exchange *x, ctl_reply_t *r, size_t *cap)
{
    size_t ncap = *cap ? *cap * 2 : 65536;

    if (ncap > CTL_REPLY_MAX + 1)
        ncap = CTL_REPLY_MAX + 1;
    char *d = realloc(r->data, ncap + 1);
    if (!d)
        return failed(x, "out of memory for the reply", NULL);
    r->data = d;
    *cap = ncap;
    return 0;
}

static int read_reply(const struct exchange *x, int fd, ctl_reply_t *r)
{
    size_t cap = 0;

    for (;;) {
        if (r->len == cap && grow(x, r, &cap) != 0)
            return -1;
        ssize_t n = read(fd, r->data + r->len, cap - r->len);
        if (n > 0) {
            r->len += (size_t)n;
            if (r->len > CTL_REPLY_MAX)
                return failed(x,
                              "reply larger than " CTL_REPLY_MAX_TEXT
                              " (tunnelctl's limit): is this tunneld's control socket?",
                              NULL);
            continue;
        }
        if (n == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return failed(x, "reading the reply", strerror(errno));
        int w = wait_for(x, fd, POLLIN);
        if (w == 0) {
            char doing[96];
            snprintf(doing, sizeof(doing), "waiting for the reply (%zu bytes received)", r->len);
            return timed_out(x, doing);
        }
        if (w < 0)
            return failed(x, "poll", strerror(errno));
    }
    if (!r->len)
        return failed(x, "empty reply (tunneld closed the connection without answering)", NULL);
    r->data[r->len] = '\0';
    return 0;
}

int ctl_request(const char *path, const char *cmd, double timeout_s, ctl_reply_t *reply)
{
    struct exchange x = {path, timeout_s, now_ms() + (int64_t)(timeout_s * 1000 + 0.5)};

    reply->data = NULL;
    reply->len = 0;
    int fd = open_socket(&x);
    if (fd < 0)
        return -1;
    int rc = send_command(&x, fd, cmd);
    if (rc == 0)
        rc = read_reply(&x, fd, reply);
    close(fd);
    if (rc != 0) {
        free(reply->data);
        reply->data = NULL;
        reply->len = 0;
    }
    return rc;
}

int ctl_reply_error(const ctl_reply_t *reply, char **msg)
{
    static const char *const keys[] = {"error"};
    json_reader_t r;
    const char *s;
    size_t len;

    *msg = NULL;
    jr_init(&r, reply->data, reply->len);
    int found = jr_object(&r, keys, 1) && jr_member(&r) == 0;
    if (found)
        *msg = strdup(jr_string(&r, &s, &len) ? s
                                              : "(an error reply whose \"error\" is not a string)");
    jr_free(&r);
    return found;
}
