/*
 * pidfile: an exclusive, locked pid file so that two tunneld instances never
 * share one (each network namespace's instance is given its own path).
 * Main thread only.
 */
#ifndef TUNNELD_PIDFILE_H
#define TUNNELD_PIDFILE_H

#include <stddef.h>

/* returns an fd >= 0, or -1 with err set (names the path and the holder) */
int pidfile_acquire(const char *path, char *err, size_t errlen);
void pidfile_release(int fd, const char *path);

#endif
