/* reload_check: see reload_check.h. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np */
#include "reload_check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "signals.h"

#define ARGS_MAX 15

extern char **environ;

/* the child's last non-empty line, control and non-ASCII bytes as \xNN */
typedef struct {
    char *cur; /* RELOAD_CHECK_LINE_MAX + 1 bytes */
    size_t len;
    bool cut;
    char *last;
    bool last_cut;
} tail_t;

static void tail_put(tail_t *t, unsigned char c)
{
    char esc[5];
    size_t n = 1;

    esc[0] = (char)c;
    if (c < 0x20 || c >= 0x7f || c == '\\')
        n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
    if (t->len + n > RELOAD_CHECK_LINE_MAX) {
        t->cut = true;
        return;
    }
    memcpy(t->cur + t->len, esc, n);
    t->len += n;
}

static void tail_end_line(tail_t *t)
{
    if (!t->len)
        return;
    t->cur[t->len] = '\0';
    free(t->last);
    t->last = strdup(t->cur);
    t->last_cut = t->cut;
    t->len = 0;
    t->cut = false;
}

static void tail_feed(tail_t *t, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n')
            tail_end_line(t);
        else
            tail_put(t, (unsigned char)buf[i]);
    }
}

/* a pipe whose ends are not 0, 1 or 2 (a daemon may run with those closed) */
static bool make_pipe(int p[2])
{
    if (pipe2(p, O_CLOEXEC) != 0)
        return false;
    for (int i = 0; i < 2; i++) {
        if (p[i] > 2)
            continue;
        int fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
            close(p[0]);
            close(p[1]);
            return false;
        }
        close(p[i]);
        p[i] = fd;
    }
    return true;
}

static int spawn_check(const char *const argv[], int out, pid_t *pid)
{
    char *args[ARGS_MAX + 2] = {"tunneld"};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, def;
    size_t n = 0;
    int rc;

    while (argv[n] && n < ARGS_MAX) {
        args[n + 1] = (char *)argv[n];
        n++;
    }
    if (argv[n])
        return E2BIG;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, out, 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    signals_handled_set(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    /* a process group of its own: killed as a whole (a sanitizer's helper task too) */
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    rc = posix_spawn(pid, "/proc/self/exe", &fa, &at, args, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct {
    pid_t pid;
    int rfd, sfd;
    int status;
    int sig;        /* SIGTERM/SIGINT taken */
    bool timed_out; /* killed after RELOAD_CHECK_MAX_S */
} child_t;

/* takes a pending SIGTERM/SIGINT from the signalfd, if any */
static bool stop_taken(child_t *c)
{
    struct signalfd_siginfo si;

    if (read(c->sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return false;
    c->sig = (int)si.ssi_signo;
    return true;
}

/* reads the child's output until it exits, a stop signal, or the time limit */
static void wait_child(child_t *c, tail_t *t)
{
    long long deadline = now_ms() + RELOAD_CHECK_MAX_S * 1000LL;
    bool eof = false;
    char buf[4096];

    for (;;) {
        long long left = deadline - now_ms();
        struct pollfd p[2] = {{.fd = c->sfd, .events = POLLIN},
                              {.fd = eof ? -1 : c->rfd, .events = POLLIN}};
        if (left <= 0) {
            c->timed_out = true;
            break;
        }
        /* after the end of its output the child is reaped by polling */
        if (poll(p, 2, (int)(eof && left > 50 ? 50 : left)) < 0 && errno != EINTR)
            poll(NULL, 0, 50);
        if (p[0].revents && stop_taken(c))
            break;
        if (!eof && p[1].revents) {
            ssize_t r = read(c->rfd, buf, sizeof(buf));
            if (r > 0)
                tail_feed(t, buf, (size_t)r);
            else if (r == 0 || (errno != EINTR && errno != EAGAIN))
                eof = true;
        }
        if (eof && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
            return;
    }
    kill(-c->pid, SIGKILL);
    while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
        ;
}

/* the reason of a refusal: how the check ended, and its last line */
static char *refusal(const child_t *c, const tail_t *t)
{
    const char *line = t->last ? t->last : "(no message)";
    const char *prefix = "tunneld: ";
    char *why = NULL;
    char how[96], cut[64] = "";

    if (strncmp(line, prefix, strlen(prefix)) == 0)
        line += strlen(prefix);
    if (c->timed_out)
        snprintf(how, sizeof(how), "tunneld -n did not finish within %d s: ", RELOAD_CHECK_MAX_S);
    else if (WIFSIGNALED(c->status))
        snprintf(how, sizeof(how), "tunneld -n was killed by signal %d (%s): ", WTERMSIG(c->status),
                 strsignal(WTERMSIG(c->status)));
    else if (WEXITSTATUS(c->status) != 1)
        snprintf(how, sizeof(how), "tunneld -n exited with status %d: ", WEXITSTATUS(c->status));
    else
        how[0] = '\0';
    if (t->last_cut)
        snprintf(cut, sizeof(cut), " [cut: the line is longer than %d bytes]",
                 RELOAD_CHECK_LINE_MAX);
    if (asprintf(&why, "%s%s%s", how, line, cut) < 0)
        return NULL;
    return why;
}

reload_check_t reload_check_run(const char *const argv[], char **why, int *sig)
{
    tail_t t = {.cur = malloc(RELOAD_CHECK_LINE_MAX + 1)};
    child_t c = {.sfd = -1};
    int p[2], rc;
    reload_check_t res = RELOAD_CHECK_REFUSED;

    *why = NULL;
    if (!t.cur || !make_pipe(p)) {
        if (asprintf(why, "cannot run tunneld -n: %s", strerror(t.cur ? errno : ENOMEM)) < 0)
            *why = NULL;
        free(t.cur);
        return RELOAD_CHECK_REFUSED;
    }
    rc = spawn_check(argv, p[1], &c.pid);
    close(p[1]);
    c.rfd = p[0];
    if (rc != 0) {
        if (asprintf(why, "cannot run tunneld -n (/proc/self/exe): %s", strerror(rc)) < 0)
            *why = NULL;
    } else {
        c.sfd = signals_stop_fd();
        wait_child(&c, &t);
        tail_end_line(&t);
        if (c.sig) {
            *sig = c.sig;
            res = RELOAD_CHECK_STOP;
        } else if (!c.timed_out && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0) {
            res = RELOAD_CHECK_OK;
        } else {
            *why = refusal(&c, &t);
        }
    }
    if (c.sfd >= 0)
        close(c.sfd);
    close(c.rfd);
    free(t.cur);
    free(t.last);
    return res;
}
