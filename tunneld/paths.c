/* paths: see paths.h. */
#define _GNU_SOURCE /* asprintf */
#include "paths.h"
#include "quote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

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

/* file systems made by the kernel for its own objects: no place for tunneld's files */
static const char *pseudo_fs(const char *dir)
{
    static const struct {
        unsigned long magic;
        const char *name;
    } fs[] = {
        {PROC_SUPER_MAGIC, "proc"},       {SYSFS_MAGIC, "sysfs"},
        {CGROUP_SUPER_MAGIC, "cgroup"},   {CGROUP2_SUPER_MAGIC, "cgroup2"},
        {DEBUGFS_MAGIC, "debugfs"},       {TRACEFS_MAGIC, "tracefs"},
        {SECURITYFS_MAGIC, "securityfs"}, {BPF_FS_MAGIC, "bpf"},
        {DEVPTS_SUPER_MAGIC, "devpts"},   {PSTOREFS_MAGIC, "pstore"},
        {EFIVARFS_MAGIC, "efivarfs"},     {NSFS_MAGIC, "nsfs"},
        {SELINUX_MAGIC, "selinuxfs"},
    };
    struct statfs st;

    if (statfs(dir, &st) != 0)
        return NULL;
    for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
        if ((unsigned long)st.f_type == fs[i].magic)
            return fs[i].name;
    return NULL;
}

/* cuts p after its last '/' ("/" stays "/", a name without one becomes ".") */
static void cut_last(char *p)
{
    char *last = strrchr(p, '/');

    if (!last)
        strcpy(p, ".");
    else if (last == p)
        p[1] = '\0';
    else
        *last = '\0';
}

/* dir (an existing directory; missing: the first one paths_make_parent would make) */
static bool dir_writable(const char *key, const char *path, const char *dir, const char *missing,
                         char *err, size_t errlen)
{
    const char *fs = pseudo_fs(dir);
    struct statvfs vfs;
    int e = 0;

    if (fs) {
        /* the path once (dir is a part of it: both could overflow err) */
        snprintf(err, errlen,
                 "%s: %s: its directory is on a %s file system, not a place for tunneld's files",
                 key, path, fs);
        return false;
    }
    if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
        e = EROFS;
    else if (access(dir, W_OK | X_OK) != 0)
        e = errno;
    if (!e)
        return true;
    if (missing)
        snprintf(err, errlen, "%s: cannot create directory %s: %s", key, missing, strerror(e));
    else
        snprintf(err, errlen, "%s: cannot create %s: %s", key, path, strerror(e));
    return false;
}

bool paths_dir_check(const char *key, const char *path, char *err, size_t errlen)
{
    char *dir = strdup(path), *missing = NULL;
    struct stat st;
    bool ok = false;

    if (!dir) {
        snprintf(err, errlen, "%s: out of memory", key);
        return false;
    }
    cut_last(dir);
    while (stat(dir, &st) != 0) {
        if (errno != ENOENT || strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0) {
            snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
            goto out;
        }
        free(missing);
        missing = strdup(dir);
        cut_last(dir);
    }
    if (!S_ISDIR(st.st_mode))
        snprintf(err, errlen, "%s: %s: %s", key, path, strerror(ENOTDIR));
    else
        ok = dir_writable(key, path, dir, missing, err, errlen);
out:
    free(missing);
    free(dir);
    return ok;
}

/* dir (resolved) and each directory above it: owned by root or us, not writable by others */
static bool dirs_private(const char *key, const char *path, char *dir, char *err, size_t errlen)
{
    uid_t me = geteuid();
    struct stat st;

    for (;;) {
        if (stat(dir, &st) != 0) {
            snprintf(err, errlen, "%s: %s: %s: %s", key, path, dir, strerror(errno));
            return false;
        }
        unsigned mode = st.st_mode & 07777;
        bool others_write = (mode & (S_IWGRP | S_IWOTH)) && !(mode & S_ISVTX);
        if ((st.st_uid != 0 && st.st_uid != me) || others_write) {
            snprintf(err, errlen,
                     "%s: %s: the directory %s (owner uid %u, mode %04o) lets another user "
                     "replace it with their own: run chown root %s and chmod go-w %s, or "
                     "choose another directory",
                     key, path, dir, (unsigned)st.st_uid, mode, dir, dir);
            return false;
        }
        if (strcmp(dir, "/") == 0)
            return true;
        cut_last(dir);
    }
}

bool paths_dir_private(const char *key, const char *path, char *err, size_t errlen)
{
    char *dir = strdup(path), *real = NULL;
    struct stat st;
    bool ok;

    if (!dir) {
        snprintf(err, errlen, "%s: out of memory", key);
        return false;
    }
    do /* the nearest directory that exists */
        cut_last(dir);
    while (stat(dir, &st) != 0 && strcmp(dir, "/") != 0 && strcmp(dir, ".") != 0);
    real = realpath(dir, NULL);
    if (!real) {
        snprintf(err, errlen, "%s: %s: %s: %s", key, path, dir, strerror(errno));
        free(dir);
        return false;
    }
    ok = dirs_private(key, path, real, err, errlen);
    free(real);
    free(dir);
    return ok;
}

/* head (a resolved directory) with the components of rest, "." and ".." applied */
static char *join_normalised(const char *head, const char *rest)
{
    size_t cap = strlen(head) + strlen(rest) + 2;
    char *out = malloc(cap), *copy = strdup(rest), *save = NULL;

    if (!out || !copy) {
        free(out);
        free(copy);
        return NULL;
    }
    strcpy(out, head);
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            cut_last(out);
            continue;
        }
        if (strcmp(out, "/") != 0)
            strcat(out, "/");
        strcat(out, c);
    }
    free(copy);
    return out;
}

/* the longest existing head resolved by realpath(), the missing rest normalised */
static char *canonical(const char *path)
{
    char *abs = NULL, *real = NULL, *cut, *out, *cwd = NULL;

    if (path[0] == '/')
        abs = strdup(path);
    else if (!(cwd = getcwd(NULL, 0)) || asprintf(&abs, "%s/%s", cwd, path) < 0)
        abs = NULL;
    free(cwd);
    if (!abs)
        return NULL;
    for (cut = abs + strlen(abs);;) {
        char saved = *cut;
        *cut = '\0';
        real = realpath(abs[0] ? abs : "/", NULL);
        *cut = saved;
        if (real || cut == abs)
            break;
        do
            cut--;
        while (cut > abs && *cut != '/');
    }
    out = join_normalised(real ? real : "/", cut);
    free(real);
    free(abs);
    return out;
}

bool paths_same(const char *a, const char *b)
{
    struct stat sa, sb;
    char *ca, *cb;
    bool same;

    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    ca = canonical(a);
    cb = canonical(b);
    same = ca && cb && strcmp(ca, cb) == 0;
    free(ca);
    free(cb);
    return same;
}

void paths_id_get(const char *path, paths_id_t *id)
{
    struct stat st;

    id->set = lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
    id->dev = id->set ? st.st_dev : 0;
    id->ino = id->set ? st.st_ino : 0;
}

void paths_id_remove(const char *path, const paths_id_t *id)
{
    struct stat st;

    if (id->set && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == id->dev &&
        st.st_ino == id->ino)
        unlink(path);
}
