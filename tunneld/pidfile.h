/*
 * pidfile: an exclusive, locked pid file so that two tunneld instances never
 * share one (each network namespace's instance is given its own path). The
 * file is opened without following a symbolic link and must be a regular
 * file: tunneld never truncates a file a link points to.
 *
 * Threading: main thread only.
 */
#ifndef TUNNELD_PIDFILE_H
#define TUNNELD_PIDFILE_H

#include <stddef.h>

/* returns an fd >= 0, or -1 with err set (names the path and the holder) */
int pidfile_acquire(const char *path, char *err, size_t errlen);
/* removes the file and closes fd; fd < 0 is a no-op */
void pidfile_release(int fd, const char *path);

#endif
