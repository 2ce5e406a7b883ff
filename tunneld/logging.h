/*
 * logging: the levels tunneld's loggers get, so that IKE and ESP key
 * material (strongSwan's level 4, LEVEL_PRIVATE: "Sk_ei secret", "shared
 * Diffie-Hellman secret", "encryption key") is never logged unless asked for
 * by name:
 *
 *  - -d 4 gives the default loggers level 3, with a warning, unless
 *    --log-keys;
 *  - a filelog or syslog section whose `default` is 4 or more is refused
 *    unless --log-keys (at start; at SIGHUP the running loggers are kept);
 *  - a group set to 4 by name (e.g. filelog.x.ike = 4) is what asking by
 *    name means: allowed, and warned about loudly at start and every reload.
 *
 * Threading: main thread (start, tunneld -n, SIGHUP); reads lib->settings.
 */
#ifndef TUNNELD_LOGGING_H
#define TUNNELD_LOGGING_H

#include <stdbool.h>
#include <stddef.h>

#include <library.h>

/* the level the default loggers get for -d debug */
int logging_default_level(int debug, bool log_keys);

/* the levels for charon->set_default_loggers */
void logging_default_levels(int debug, bool log_keys, level_t levels[DBG_MAX]);

/* false (err names the key) if a filelog/syslog default would log keys */
bool logging_check(bool log_keys, char *err, size_t errlen);

/* true when no filelog/syslog section exists (the default loggers are used) */
bool logging_defaults_used(void);

/*
 * Logs (DBG1) and, if to_stderr, prints one warning line per logger that
 * logs key material; debug is -d for the default loggers.
 */
void logging_warn_keys(int debug, bool log_keys, bool to_stderr);

#endif
