/*
 * own_netns: for unit tests that open sockets: moves the test into a network
 * namespace of its own with its loopback up, or exits 77 (CTest's skip code)
 * when it cannot have one (not root). Include after cmocka.h.
 *
 * Threading: call before any thread starts (unshare applies to the caller).
 */
#ifndef TUNNELD_TEST_OWN_NETNS_H
#define TUNNELD_TEST_OWN_NETNS_H

#define _GNU_SOURCE
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void own_netns(const char *prog)
{
    struct ifreq ifr = {0};
    int fd;

    if (unshare(CLONE_NEWNET) != 0) {
        fprintf(stderr, "%s: no network namespace of its own: skipped\n", prog);
        exit(77);
    }
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    strcpy(ifr.ifr_name, "lo");
    assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags |= IFF_UP;
    assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
    close(fd);
}

#endif
