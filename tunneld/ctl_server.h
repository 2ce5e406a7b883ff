/*
 * ctl_server: tunneld's read-only control socket (docs/control.md). A client
 * sends one command line ("sa"), tunneld answers one JSON document and
 * closes. Nothing sent on this socket can change tunneld's state.
 *
 * Threads: created and destroyed by the main thread; requests are served by
 * charon's processor threads (libstrongswan stream service), which only
 * read a snapshot of the SA table.
 */
#ifndef TUNNELD_CTL_SERVER_H
#define TUNNELD_CTL_SERVER_H

#include <stdbool.h>

#include <json-c/json.h>

typedef struct ctl_server ctl_server_t;

/* uri: unix:///path; the socket is made mode 0660 */
ctl_server_t *ctl_server_create(const char *uri);
void ctl_server_destroy(ctl_server_t *s);

/*
 * A read-only command answered by fn (called in a processor thread; returns
 * a new JSON document). Register before clients can use it; at most 8.
 */
typedef json_object *(*ctl_command_fn)(void *ctx);
bool ctl_server_add_command(ctl_server_t *s, const char *word, ctl_command_fn fn, void *ctx);

#endif
