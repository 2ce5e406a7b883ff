/* pidfile: see pidfile.h. */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int pidfile_acquire(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    char buf[32];

    if (fd < 0) {
        snprintf(err, errlen, "pid file %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        snprintf(err, errlen, "pid file %s is locked: tunneld already runs (pid %s)", path,
                 buf[0] ? buf : "unknown");
        close(fd);
        return -1;
    }
    int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)len) != len) {
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
