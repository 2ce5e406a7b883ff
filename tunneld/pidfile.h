/*
 * pidfile: an exclusive, locked pid file so that two tunneld instances never
 * share one (each network namespace's instance is given its own path).
 *
 * tunneld only ever writes, and at stop removes, a file that is its own pid
 * file: one it created, or one that an earlier tunneld left (empty, or
 * holding nothing but a process id and a newline). Anything else at the path
 * is refused, never truncated or removed: a symbolic link (the file is
 * opened without following one), a FIFO, a directory, or a regular file
 * with other content (a settings or connections file given as pidfile by
 * mistake). At stop the file is removed only if the path still names the
 * file this run locked.
 *
 * Threading: main thread only.
 */
#ifndef TUNNELD_PIDFILE_H
#define TUNNELD_PIDFILE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What pidfile_acquire would refuse at path, checked without changing it
 * (tunneld -n; a pid file of a running tunneld is fine). err names key.
 */
bool pidfile_check(const char *key, const char *path, char *err, size_t errlen);
/* returns an fd >= 0, or -1 with err set (names key, the path and the holder) */
int pidfile_acquire(const char *key, const char *path, char *err, size_t errlen);
/* removes the file if path still names the file of fd, and closes fd; fd < 0 is a no-op */
void pidfile_release(int fd, const char *path);

#endif
