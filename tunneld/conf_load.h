/*
 * conf_load: loads site-to-site connections and secrets written in
 * swanctl.conf syntax into tunneld's own charon, over its vici socket, as
 * swanctl --load-all does. The file is read and checked by conf_tree (files,
 * includes, permissions of secrets files, libstrongswan's parser, names,
 * nesting, secret encodings): a file that fails there changes nothing, and
 * `tunneld -n` (conf_load_check) refuses it with the same message.
 *
 * Applying is a diff: connections and shared secrets that left the file are
 * unloaded, the rest (re)loaded. Each connection's outcome is written to the
 * SA table (loaded, or CONFIG_ERROR with the daemon's reason). Cost: linear
 * in the number of connections and secrets (one vici round trip each).
 *
 * Threading: call from one thread at a time (tunneld's main thread, at start
 * and on SIGHUP). It blocks on file I/O and vici round trips, so never from
 * charon's bus.
 */
#ifndef TUNNELD_CONF_LOAD_H
#define TUNNELD_CONF_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "sa_table.h"

typedef struct {
    const char *path;     /* swanctl-syntax file */
    const char *vici_uri; /* e.g. unix:///run/tunneld/vici */
    bool force_encap;     /* kernel-libipsec data plane: ESP-in-UDP only */
    sa_table_t *table;    /* may be NULL */
} conf_load_opts_t;

typedef struct {
    unsigned conns_loaded, conns_failed, conns_unloaded;
    unsigned secrets_loaded, secrets_failed, secrets_unloaded;
} conf_load_result_t;

/*
 * Returns false if the file was refused (read, parse or validation error) or
 * vici could not be reached; *err (malloc'd, free it) says why, with
 * file:line where known. Per-connection failures (charon rejected it) are
 * counted in res and logged, and do not make it fail.
 */
bool conf_load_apply(const conf_load_opts_t *opts, conf_load_result_t *res, char **err);

/*
 * Dry run without charon: everything conf_load_apply refuses, plus per
 * connection: at least one remote address and child, and a vici message
 * within charon's limit. The first problem goes to *err (malloc'd), all are
 * counted in *problems; warnings are logged (DBG_CFG).
 */
bool conf_load_check(const char *path, unsigned *conns, unsigned *problems, char **err);

#endif
