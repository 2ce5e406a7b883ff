/*
 * conf_load: loads site-to-site connections and secrets written in
 * swanctl.conf syntax into tunneld's own charon, over its vici socket, as
 * swanctl --load-all does. The file is read with libstrongswan's settings
 * parser (includes, section templates for presets, file:line errors).
 *
 * Applying is a diff: connections and shared secrets that left the file are
 * unloaded, the rest (re)loaded. A file that does not parse changes nothing.
 * Each connection's outcome is written to the SA table (loaded, or
 * CONFIG_ERROR with the daemon's reason).
 *
 * Threads: call from one thread at a time (tunneld's main thread, at start
 * and on SIGHUP). It blocks on vici round trips, so never from charon's bus.
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
 * Returns false if the file could not be read or parsed, or vici could not
 * be reached (err says which, with file:line for parse errors); per-connection
 * failures are counted in res and logged, and do not make it fail.
 */
bool conf_load_apply(const conf_load_opts_t *opts, conf_load_result_t *res, char *err,
                     size_t errlen);

/*
 * Checks that path parses and that every connection names at least one
 * remote address and child, every referenced section exists (dry run, no
 * vici). Problems are written to err (first one) and counted in *problems.
 */
bool conf_load_check(const char *path, unsigned *conns, unsigned *problems, char *err,
                     size_t errlen);

/*
 * Parses a swanctl-syntax file into a new settings object (includes, section
 * templates); NULL with err set ("file:line: message") on failure.
 */
struct settings_t;
struct settings_t *conf_load_parse(const char *path, char *err, size_t errlen);

#endif
