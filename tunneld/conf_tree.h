/*
 * conf_tree: reads a connections file (swanctl.conf syntax) into memory,
 * checked: its files (conf_files: regular files, sizes, includes, secrets
 * permissions), then libstrongswan's parser (includes, section templates,
 * file:line errors), then one walk that validates every name before any
 * settings key is built from it (names are always printf arguments, never
 * part of a format), bounds the nesting, and decodes the secrets.
 *
 * Everything that tunneld refuses without asking charon is refused here, so
 * `tunneld -n`, start and SIGHUP agree (conf_load uses it for all three).
 * The walk is linear in the size of the file (each key lookup is a binary
 * search in libstrongswan); the parser's own cost is not (docs/connections.md).
 *
 * Threading: any one thread at a time per tree; blocks on file I/O and logs
 * through capture (never call it from charon's bus).
 */
#ifndef TUNNELD_CONF_TREE_H
#define TUNNELD_CONF_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include <library.h>

#include "conf_files.h"

/* sections under a connection nest at most this deep (children.<child>.<x>) */
#define CONF_SECTION_DEPTH 3

typedef struct {
    char *key, *value;
} conf_kv_t;

typedef struct conf_sec {
    char *name;
    conf_kv_t *kv; /* in the file's order, templates' keys included */
    size_t n_kv;
    struct conf_sec *sub;
    size_t n_sub;
} conf_sec_t;

typedef struct {
    char *name;       /* section name, e.g. ike-azure */
    const char *type; /* ike, eap, xauth, ntlm, ppk, or proxy (CONF_SECRET_PROXY) */
    chunk_t data;     /* decoded; wiped when the tree is freed */
    char **owners;    /* values of the id* keys */
    size_t n_owners;
    char *user; /* added (issue 10): proxy secrets' `user`, NULL for the others */
} conf_secret_t;

/*
 * Added (issue 10): `secrets { proxy-<name> { user = ..., secret = ... } }`
 * holds the credentials of a sensor group's proxy (`credentials = <name>`).
 * tunneld's own: never sent to charon. <name>: 1..CONF_PROXY_NAME_MAX of
 * A-Z a-z 0-9 _ - (a sensor group's credentials name); user: 1..255
 * printable ASCII bytes without ':' (Basic authentication's separator);
 * secret: as the other secrets (plain, 0x, 0s), no NUL byte.
 */
#define CONF_SECRET_PROXY   "proxy"
#define CONF_PROXY_PREFIX   "proxy-"
#define CONF_PROXY_NAME_MAX 63 /* SM_NAME_MAX */
#define CONF_PROXY_USER_MAX 255

typedef struct {
    conf_sec_t *conns;
    size_t n_conns;
    conf_secret_t *secrets;
    size_t n_secrets;
    conf_files_t *files; /* where sections start, warnings */
} conf_tree_t;

/* NULL with *err (malloc'd: file:line, the key path, what was expected) on failure */
conf_tree_t *conf_tree_read(const char *path, char **err);
void conf_tree_free(conf_tree_t *t);

/*
 * The walk alone, over a file already checked (files, adopted) and parsed
 * (cfg, not changed): what conf_tree_read does after the parser (the bench
 * times it on its own).
 */
struct settings_t;
conf_tree_t *conf_tree_build(struct settings_t *cfg, conf_files_t *files, const char *path,
                             char **err);

/* the sub-section of that name, or NULL */
const conf_sec_t *conf_sec_sub(const conf_sec_t *s, const char *name);
/* the value of key, or NULL */
const char *conf_sec_value(const conf_sec_t *s, const char *key);
/* "file:line" where connection (or secret) `name` starts, or the file's path */
const char *conf_tree_where(const conf_tree_t *t, conf_top_t top, const char *name,
                            const char *path);

#endif
