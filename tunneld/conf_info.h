/*
 * conf_info: what the rest of tunneld must know of the connections file
 * (swanctl.conf syntax) without loading it into charon: each connection's
 * name, its children's names and its remote addresses as written. The route
 * glue uses it to check `child = <connection>.<child>` bindings and to keep
 * the VPN peers' own addresses out of tunneld's routing table.
 *
 * Threading: pure functions over a parsed file; any thread, but parsing
 * blocks on file I/O (never call it from charon's bus).
 */
#ifndef TUNNELD_CONF_INFO_H
#define TUNNELD_CONF_INFO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *name;      /* connection name as in the file */
    char **children; /* child names */
    size_t n_children;
    char **remote_addrs; /* remote_addrs entries as written (IP, CIDR, range or DNS name) */
    size_t n_remote_addrs;
} conf_conn_info_t;

typedef struct {
    conf_conn_info_t *conns; /* sorted by name */
    size_t n_conns;
} conf_info_t;

/* Parses path (same rules and checks as conf_load); false with err set on failure (a message
 * longer than errlen ends in "..."). */
bool conf_info_read(const char *path, conf_info_t *out, char *err, size_t errlen);
void conf_info_free(conf_info_t *info);
/* The connection of that name, or NULL. */
const conf_conn_info_t *conf_info_conn(const conf_info_t *info, const char *name);
/* Whether connection conn has a child of that name. */
bool conf_info_has_child(const conf_info_t *info, const char *conn, const char *child);

#endif
