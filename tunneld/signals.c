/* signals: see signals.h. */
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>

static void handled_set(sigset_t *set)
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

    handled_set(&set);
    /* only fails for an invalid argument */
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, NULL);
}

int signals_wait(void)
{
    sigset_t set;
    int sig;

    handled_set(&set);
    do {
        sig = sigwaitinfo(&set, NULL);
    } while (sig == -1 && errno == EINTR);
    return sig;
}
