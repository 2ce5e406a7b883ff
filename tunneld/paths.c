/* paths: see paths.h. */
#include "paths.h"
#include "quote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

size_t paths_unix_max(void)
{
    return sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
}

bool paths_check(const char *key, const char *path, char *err, size_t errlen)
{
    size_t len = path ? strlen(path) : 0;

    if (!len) {
        snprintf(err, errlen, "%s: expected a path, got an empty value", key);
        return false;
    }
    if (len >= PATH_MAX) {
        snprintf(err, errlen, "%s: the path is %zu bytes long: at most %d are allowed", key, len,
                 PATH_MAX - 1);
        return false;
    }
    return true;
}

bool paths_unix_uri(const char *key, const char *uri, const char **path, char *err, size_t errlen)
{
    static const char scheme[] = "unix://";
    const char *p = strncmp(uri, scheme, strlen(scheme)) == 0 ? uri + strlen(scheme) : uri;

    quoted_t q;

    if (strncmp(uri, scheme, strlen(scheme)) != 0) {
        snprintf(err, errlen, "%s: expected unix:///absolute/path, got '%s'", key, quote(uri, &q));
        return false;
    }
    if (p[0] != '/') {
        snprintf(err, errlen, "%s: expected an absolute path after unix://, got '%s'", key,
                 quote(uri, &q));
        return false;
    }
    if (strlen(p) > paths_unix_max()) {
        snprintf(err, errlen,
                 "%s: the socket path is %zu bytes long: a unix socket path holds at most %zu", key,
                 strlen(p), paths_unix_max());
        return false;
    }
    *path = p;
    return true;
}

/* mkdir of every directory above the last '/' of path, in order */
bool paths_make_parent(const char *key, const char *path, char *err, size_t errlen)
{
    char *dir;
    bool ok = true;

    if (!paths_check(key, path, err, errlen))
        return false;
    dir = strdup(path);
    if (!dir) {
        snprintf(err, errlen, "%s: out of memory", key);
        return false;
    }
    char *last = strrchr(dir, '/');
    if (last)
        *last = '\0';
    for (char *p = dir + 1; ok && last && p <= last; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create directory %s: %s", key, dir, strerror(errno));
            ok = false;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(dir);
    return ok;
}

/* connects to path: true when something accepts (a live listener) */
static int probe_listener(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int rc;

    if (fd < 0)
        return -errno;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    /* a full backlog answers EAGAIN: someone listens there too */
    rc = rc == 0 || errno == EAGAIN || errno == EINPROGRESS ? 1 : -errno;
    close(fd);
    return rc;
}

static const char *file_kind(mode_t m)
{
    return S_ISREG(m)    ? "a regular file"
           : S_ISDIR(m)  ? "a directory"
           : S_ISLNK(m)  ? "a symbolic link"
           : S_ISFIFO(m) ? "a FIFO"
                         : "not a socket";
}

sock_path_t paths_socket_state(const char *key, const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return SOCK_PATH_FREE;
        snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
        return SOCK_PATH_ERROR;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen,
                 "%s: %s exists and is %s: not removed (remove it, or choose another path)", key,
                 path, file_kind(st.st_mode));
        return SOCK_PATH_NOT_SOCKET;
    }
    if (strlen(path) > paths_unix_max()) {
        snprintf(err, errlen, "%s: the socket path is longer than %zu bytes", key,
                 paths_unix_max());
        return SOCK_PATH_ERROR;
    }
    int rc = probe_listener(path);
    if (rc == -ECONNREFUSED)
        return SOCK_PATH_STALE;
    if (rc > 0)
        snprintf(err, errlen,
                 "%s: %s: another process listens on this socket (another tunneld?): not "
                 "removed",
                 key, path);
    else
        snprintf(err, errlen, "%s: %s: cannot tell whether the socket is in use: %s", key, path,
                 strerror(-rc));
    return rc > 0 ? SOCK_PATH_LIVE : SOCK_PATH_ERROR;
}
