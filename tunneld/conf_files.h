/*
 * conf_files: checks a settings or connections file and everything it
 * includes before libstrongswan's parser reads them, so that a reload can
 * never block or exhaust memory, and secrets are not readable by others:
 *  - the file (its path is itself a glob pattern for the parser) and every
 *    match of every `include` pattern must be a regular file (not a FIFO,
 *    device, socket or directory; symlinks are followed), not on a pseudo
 *    file system (proc, sys, ...), at most CONF_FILE_MAX bytes, together at
 *    most CONF_TOTAL_MAX bytes in at most CONF_FILES_MAX files, includes
 *    nested at most CONF_INCLUDE_DEPTH deep, at most CONF_INCLUDES_MAX
 *    include statements, with no include loop;
 *  - an include without glob characters must name an existing file; one
 *    with them may match nothing, but its directories must exist;
 *  - every template reference (`name : presets.azure {`) is made of at most
 *    CONF_REF_PARTS names that follow the name rules (conf_value.h):
 *    libstrongswan formats a reference as a printf format when it resolves
 *    it, so a '%' there would crash any lookup through it;
 *  - no control byte but tab, CR and LF in any file (the parser cuts names
 *    and values at a NUL: text behind one would escape these checks);
 *  - a file holding secrets (a key named `secret`, or content of the
 *    top-level `secrets` section; see conf_scan.h) must pass conf_perm: no
 *    access for others, its group or ACL entries, no directory above it
 *    that someone else may change (conf_perm.h); readable by its group is a
 *    warning.
 * The includes are found by conf_scan (a scan of the lexer's tokens, not a
 * second parser) and globbed as the parser does (relative to the including
 * file's directory). Files are opened without blocking and read up to the
 * limit, never further.
 *
 * Threading: any thread; blocks on file I/O (never call it from charon's
 * bus). Safe before library_init() (uses no libstrongswan state).
 */
#ifndef TUNNELD_CONF_FILES_H
#define TUNNELD_CONF_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "conf_scan.h"

#define CONF_FILE_MAX      (16u << 20) /* bytes per file */
#define CONF_TOTAL_MAX     (64u << 20) /* bytes of all files of one load */
#define CONF_FILES_MAX     1024        /* files of one load (includes counted each time) */
#define CONF_INCLUDE_DEPTH 16          /* includes within includes */
#define CONF_REF_PARTS     4           /* parts of a template reference (presets.azure: 2) */
#define CONF_INCLUDES_MAX  4096        /* include statements of one load */

typedef struct conf_files conf_files_t;

/*
 * Checks path and its includes. NULL with *err set (malloc'd, naming the
 * file, the including file:line and what was expected) on the first problem.
 */
conf_files_t *conf_files_check(const char *path, char **err);
void conf_files_free(conf_files_t *f);

/*
 * conf_files_check for a file read before libstrongswan is initialized:
 * prints "<prog>: <error>" to stderr and returns false on failure.
 */
bool conf_files_precheck(const char *path, const char *prog);

/* the idx-th template reference and *where ("file:line"); NULL past the end */
const char *conf_files_ref(const conf_files_t *f, size_t idx, const char **where);

/* warnings found (secrets files their group may read); idx from 0, NULL past the end */
const char *conf_files_warning(const conf_files_t *f, size_t idx);

/* "file:line" where section `name` under connections or secrets starts, or NULL */
const char *conf_files_where(const conf_files_t *f, conf_top_t top, const char *name);

#endif
