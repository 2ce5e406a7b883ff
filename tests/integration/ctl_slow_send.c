/*
 * ctl_slow_send: a fault injector for ctl_hostile.sh, loaded with
 * LD_PRELOAD into tunnelctl. Every write(2) and send(2) on a socket first
 * waits CTL_SLOW_SEND_MS milliseconds (default 300), so that the fake
 * control socket can close the connection before (or between) the client's
 * writes every time, not by luck of scheduling. It changes no data and no
 * result: the kernel still decides what each call returns.
 *
 * Threading: any thread; no state but the resolved libc symbols.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void pause_on_socket(int fd)
{
    struct stat st;
    const char *env = getenv("CTL_SLOW_SEND_MS");
    long ms = env ? strtol(env, NULL, 10) : 300;

    if (ms <= 0 || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t (*real)(int, const void *, size_t) =
        (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    pause_on_socket(fd);
    return real(fd, buf, n);
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    ssize_t (*real)(int, const void *, size_t, int) =
        (ssize_t(*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    pause_on_socket(fd);
    return real(fd, buf, n, flags);
}
