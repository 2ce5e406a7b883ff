/* signals: see signals.h. */
#include "signals.h"

#include <errno.h>
#include <stddef.h>
#include <time.h>
#include <sys/signalfd.h>

void signals_handled_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
}

void signals_init(void)
{
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigset_t set;

    signals_handled_set(&set);
    /* only fails for an invalid argument */
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, NULL);
}

void signals_unblock(void)
{
    struct sigaction def = {.sa_handler = SIG_DFL};
    sigset_t set;

    sigemptyset(&def.sa_mask);
    sigaction(SIGPIPE, &def, NULL);
    signals_handled_set(&set);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int signals_wait(void)
{
    sigset_t set;
    int sig;

    signals_handled_set(&set);
    do {
        sig = sigwaitinfo(&set, NULL);
    } while (sig == -1 && errno == EINTR);
    return sig;
}

int signals_wait_timeout(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    sigset_t set;
    int sig;

    signals_handled_set(&set);
    do {
        sig = sigtimedwait(&set, NULL, &ts);
    } while (sig == -1 && errno == EINTR);
    return sig == -1 && errno == EAGAIN ? 0 : sig;
}

int signals_stop_fd(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}
