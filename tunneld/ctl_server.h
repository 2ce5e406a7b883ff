/*
 * ctl_server: tunneld's read-only control socket (docs/control.md). A client
 * sends one command line ("sa"), tunneld answers one JSON document and
 * closes. Nothing sent on this socket can change tunneld's state.
 *
 * Serving never blocks anyone: the socket and every client are non-blocking,
 * served by one thread of the server's own with poll(). A client has
 * CTL_READ_MS to send its line and CTL_WRITE_MS to read the reply, else it is
 * dropped; at most CTL_MAX_CLIENTS are served at once (the oldest is dropped
 * for a new one), and replies waiting for slow readers hold at most
 * CTL_MAX_PENDING bytes in all (the oldest such reader is dropped). A client
 * that closes at any point is only forgotten (SIGPIPE is ignored: signals.h,
 * and replies are sent with MSG_NOSIGNAL). tunneld uses these limits; a
 * test (tests/unit/test_ctl_server.c) gives smaller ones (ctl_limits_t).
 *
 * The socket path: a stale socket (nobody listens) is removed; a regular
 * file, a directory, a link or a live socket is never removed and makes
 * ctl_server_create fail. At destroy the socket is removed only if it is
 * still the one this server made.
 *
 * Threading: create, add_command, start and destroy in the main thread;
 * commands run in the server's thread ("ctl server"), one at a time, and
 * must only read state (the SA table's snapshot, the route glue's status).
 */
#ifndef TUNNELD_CTL_SERVER_H
#define TUNNELD_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#define CTL_READ_MS     2000
#define CTL_WRITE_MS    10000
#define CTL_MAX_CLIENTS 64
#define CTL_MAX_PENDING (64u << 20)
#define CTL_LINE_MAX    127 /* bytes of a command line, without its newline */

typedef struct ctl_server ctl_server_t;

/* the serving limits; tunneld passes NULL for the CTL_* values above */
typedef struct {
    int read_ms;        /* to send the command line, from the connection */
    int write_ms;       /* to read the whole reply, from the command */
    size_t max_clients; /* served at once (also the listen backlog) */
    size_t max_pending; /* reply bytes waiting for slow readers, all clients */
} ctl_limits_t;

/*
 * Binds and listens on path (a unix socket; at most paths_unix_max() bytes),
 * made mode `mode` and group `gid` ((gid_t)-1: unchanged) before anyone can
 * connect; limits NULL for the defaults. NULL with err naming the key
 * tunneld.control_socket and why.
 */
ctl_server_t *ctl_server_create(const char *path, unsigned mode, gid_t gid,
                                const ctl_limits_t *limits, char *err, size_t errlen);
/* starts serving (the "sa" command and those added); false with err set */
bool ctl_server_start(ctl_server_t *s, char *err, size_t errlen);
/* stops the thread (if started), drops every client, removes the socket */
void ctl_server_destroy(ctl_server_t *s);

/*
 * A read-only command answered by fn (called in the server's thread; returns
 * a new JSON document, or NULL for "not available now"). Add before
 * ctl_server_start; at most 8; word is not copied.
 */
typedef json_object *(*ctl_command_fn)(void *ctx);
bool ctl_server_add_command(ctl_server_t *s, const char *word, ctl_command_fn fn, void *ctx);

#endif
