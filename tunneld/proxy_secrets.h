/*
 * proxy_secrets: the credentials of sensor groups' proxies (issue 10),
 * `secrets { proxy-<name> { user = ..., secret = ... } }` in the
 * connections file, read through the same checked tree as the other
 * secrets (conf_tree: files, includes, permissions of secrets files,
 * limits, 0x/0s encodings; rules in conf_tree.h). They are tunneld's own:
 * conf_load never sends them to charon. A sensor group names them with
 * `credentials = <name>`; proxy_secrets_check_model refuses a name without
 * its section.
 *
 * Never log or print a password, nor a user with it: the messages here
 * name sections and keys only.
 *
 * Threading: proxy_secrets_load blocks on file I/O (tunneld's main thread:
 * start, SIGHUP, tunneld -n). A loaded set is immutable and may be read
 * from any thread until freed.
 */
#ifndef TUNNELD_PROXY_SECRETS_H
#define TUNNELD_PROXY_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *name; /* <name> of secrets.proxy-<name> */
    char *user, *password;
} proxy_secret_t;

typedef struct {
    proxy_secret_t *v;
    size_t n;
} proxy_secrets_t;

/* all or nothing: false with *err (malloc'd: file:line, section, key, what
 * was expected; never a value) and *out empty */
bool proxy_secrets_load(const char *swanctl_path, proxy_secrets_t *out, char **err);
/* the credentials of that name, NULL when none */
const proxy_secret_t *proxy_secrets_find(const proxy_secrets_t *s, const char *name);
/* wipes the passwords (and users), frees, leaves *s empty */
void proxy_secrets_free(proxy_secrets_t *s);

struct sm_model;
/*
 * Every sensor group's `credentials = X` has its secrets.proxy-X: false with
 * *err (malloc'd) "<settings_file>: tunneld.sites.<site>.sensors.<group>.
 * credentials: no secrets.proxy-X in <swanctl_path> (expected ...)".
 */
bool proxy_secrets_check_model(const proxy_secrets_t *s, const struct sm_model *m,
                               const char *settings_file, const char *swanctl_path, char **err);

#endif
