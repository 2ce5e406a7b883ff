/* pidfile: see pidfile.h. */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quote.h"

#define PID_DIGITS_MAX 10 /* a pid_t in decimal */

/* a file of nothing, or of a process id and an optional newline */
static bool is_pid_file(int fd, const struct stat *st)
{
    char buf[PID_DIGITS_MAX + 2];
    size_t digits = 0;
    ssize_t n;

    if (st->st_size == 0)
        return true;
    if (st->st_size > (off_t)sizeof(buf))
        return false;
    n = pread(fd, buf, sizeof(buf), 0);
    if (n != st->st_size)
        return false;
    while (digits < (size_t)n && buf[digits] >= '0' && buf[digits] <= '9')
        digits++;
    if (digits == 0 || digits > PID_DIGITS_MAX)
        return false;
    return (size_t)n == digits || ((size_t)n == digits + 1 && buf[digits] == '\n');
}

static void not_pid_file(const char *key, const char *path, const struct stat *st, char *err,
                         size_t errlen)
{
    snprintf(err, errlen,
             "%s: %s exists and is not a tunneld pid file (%lld bytes that are not a process "
             "id): tunneld never overwrites it; remove it or choose another path",
             key, path, (long long)st->st_size);
}

static const char *kind(mode_t m)
{
    return S_ISLNK(m)    ? "a symbolic link"
           : S_ISDIR(m)  ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
                         : "a device";
}

bool pidfile_check(const char *key, const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd;

    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return true;
        snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s exists and is %s, not a regular file: refused", key, path,
                 kind(st.st_mode));
        return false;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s: %s", key, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    bool ok = S_ISREG(st.st_mode) && is_pid_file(fd, &st);
    if (!ok)
        not_pid_file(key, path, &st, err, errlen);
    close(fd);
    return ok;
}

static int refuse_locked(int fd, const char *key, const char *path, char *err, size_t errlen)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    quoted_t q;

    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(err, errlen, "%s: pid file %s is locked: tunneld already runs (pid %s)", key, path,
             buf[0] ? quote(buf, &q) : "unknown");
    close(fd);
    return -1;
}

/* a new file, or the existing one opened without following a link */
static int open_pid_file(const char *key, const char *path, char *err, size_t errlen)
{
    int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    int fd = open(path, flags | O_CREAT | O_EXCL, 0644);

    if (fd < 0 && errno == EEXIST)
        fd = open(path, flags);
    if (fd < 0)
        snprintf(err, errlen, "%s: pid file %s: %s", key, path,
                 errno == ELOOP ? "is a symbolic link: refused" : strerror(errno));
    return fd;
}

int pidfile_acquire(const char *key, const char *path, char *err, size_t errlen)
{
    int fd = open_pid_file(key, path, err, errlen);
    struct stat st;
    char buf[32];

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: pid file %s: not a regular file: refused", key, path);
        close(fd);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        return refuse_locked(fd, key, path, err, errlen);
    /* locked: no other tunneld writes it now; its content decides */
    if (fstat(fd, &st) != 0 || !is_pid_file(fd, &st)) {
        not_pid_file(key, path, &st, err, errlen);
        close(fd);
        return -1;
    }
    int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        snprintf(err, errlen, "%s: pid file %s: cannot write: %s", key, path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void pidfile_release(int fd, const char *path)
{
    struct stat held, now;

    if (fd < 0)
        return;
    /* never another file that took the path meanwhile */
    if (fstat(fd, &held) == 0 && lstat(path, &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino)
        unlink(path);
    close(fd);
}
