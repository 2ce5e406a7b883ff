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

static int refuse_locked(int fd, const char *path, char *err, size_t errlen)
{
    char buf[32];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    quoted_t q;

    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(err, errlen, "pid file %s is locked: tunneld already runs (pid %s)", path,
             buf[0] ? quote(buf, &q) : "unknown");
    close(fd);
    return -1;
}

int pidfile_acquire(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    struct stat st;
    char buf[32];

    if (fd < 0) {
        snprintf(err, errlen, "pid file %s: %s", path,
                 errno == ELOOP ? "is a symbolic link: refused" : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "pid file %s: not a regular file: refused", path);
        close(fd);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        return refuse_locked(fd, path, err, errlen);
    int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        snprintf(err, errlen, "pid file %s: cannot write: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void pidfile_release(int fd, const char *path)
{
    if (fd < 0)
        return;
    unlink(path);
    close(fd);
}
