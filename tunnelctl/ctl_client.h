/*
 * ctl_client: one exchange with tunneld's control socket, bounded in time
 * and size: connect, send "COMMAND\n" in one write (partial writes looped,
 * never SIGPIPE: a closed socket is an error), read the reply until tunneld
 * closes the connection. The whole exchange has one deadline; the reply at
 * most CTL_REPLY_MAX bytes. Failures are printed to stderr as one line
 * naming the socket and what failed.
 *
 * Threading: single-threaded (tunnelctl); blocking calls bounded by the
 * deadline.
 */
#ifndef TUNNELCTL_CTL_CLIENT_H
#define TUNNELCTL_CTL_CLIENT_H

#include <stddef.h>

/* the largest reply accepted: far above a very large SA table */
#define CTL_REPLY_MAX      ((size_t)64 << 20)
#define CTL_REPLY_MAX_TEXT "64 MiB"

typedef struct {
    char *data; /* NUL-terminated (the reply itself has no NUL if it is JSON) */
    size_t len;
} ctl_reply_t;

/* 0 with *reply (free data), or -1 after printing why */
int ctl_request(const char *path, const char *cmd, double timeout_s, ctl_reply_t *reply);

/*
 * tunneld's {"error": "..."} reply: true if the reply is one, with *msg
 * (malloc'd, NULL on no memory; raw bytes from the socket: escape them).
 */
int ctl_reply_error(const ctl_reply_t *reply, char **msg);

#endif
