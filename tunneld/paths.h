/*
 * paths: the file system paths a user gives tunneld (pid file, control and
 * vici sockets): their length limits, their parent directories, what may be
 * at a socket path before tunneld binds it, and whether two of them name the
 * same file. Nothing is truncated: a path over a limit is refused with the
 * key that gave it.
 *
 * Threading: no state; any thread (tunneld calls it from the main thread).
 */
#ifndef TUNNELD_PATHS_H
#define TUNNELD_PATHS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* big enough for a message that quotes one path of at most PATH_MAX - 1 bytes */
#define PATHS_ERR_MAX (PATH_MAX + 512)

/* the longest socket path a sockaddr_un holds (its sun_path, NUL included) */
size_t paths_unix_max(void);

/*
 * A non-empty path of at most PATH_MAX - 1 bytes; err names key and the
 * length otherwise (the path itself is not quoted when it is too long).
 */
bool paths_check(const char *key, const char *path, char *err, size_t errlen);

/*
 * "unix:///abs/path" -> *path points into uri at "/abs/path"; refused (err
 * names key and what was expected) for another scheme, a relative or empty
 * path, or one longer than a sockaddr_un holds.
 */
bool paths_unix_uri(const char *key, const char *uri, const char **path, char *err, size_t errlen);

/* mkdir -p of path's parent directory (new ones mode 0750) */
bool paths_make_parent(const char *key, const char *path, char *err, size_t errlen);

/*
 * Whether a file can be made at path, checked without changing anything
 * (tunneld -n, and before paths_make_parent at start): the nearest existing
 * ancestor of its directory must be a directory, writable, on a file system
 * that is neither read-only nor a pseudo file system (proc, sysfs, cgroup,
 * debugfs, ...: a pid file or socket does not belong there). err names key,
 * the path and the directory.
 */
bool paths_dir_check(const char *key, const char *path, char *err, size_t errlen);

/*
 * Whether only root (or tunneld's own user) can replace the file at path:
 * its directory (or the nearest one that exists) and every directory above
 * it must be owned by root or the effective user and not writable by group
 * or others unless sticky (as /tmp). Otherwise another user could replace
 * a socket with their own listener (or a link). err names key, path and
 * the directory, with the chown/chmod that fixes it.
 */
bool paths_dir_private(const char *key, const char *path, char *err, size_t errlen);

/*
 * Whether a and b name the same file: the same inode when both exist, else
 * the same path once the existing directories are resolved (symbolic links,
 * "." and "..") and the missing rest is normalised. Relative paths are taken
 * from the working directory. Out of memory answers "not the same".
 */
bool paths_same(const char *a, const char *b);

typedef enum {
    SOCK_PATH_FREE,       /* nothing there */
    SOCK_PATH_STALE,      /* a socket nobody listens on */
    SOCK_PATH_LIVE,       /* a socket something listens on */
    SOCK_PATH_NOT_SOCKET, /* a regular file, a directory, a link...: never removed */
    SOCK_PATH_ERROR,      /* cannot tell (err set) */
} sock_path_t;

/*
 * What is at a socket path. err is set for every state but FREE and STALE,
 * naming key, path and what is there.
 */
sock_path_t paths_socket_state(const char *key, const char *path, char *err, size_t errlen);

/* which socket is at a path: so that only the one that was made there is removed */
typedef struct {
    dev_t dev;
    ino_t ino;
    bool set; /* a socket was there */
} paths_id_t;

/* remembers the socket at path (not set when there is none) */
void paths_id_get(const char *path, paths_id_t *id);
/* removes path if it is still the socket id remembers */
void paths_id_remove(const char *path, const paths_id_t *id);

#endif
