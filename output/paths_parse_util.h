/*
 * paths_parse_util: the readers the paths document's parser shares between
 * its files (paths_json_parse.c: sites and paths; paths_json_parse_checks.c:
 * issue 10's groups, checks and posture). Internal to output/.
 *
 * Threading: pure functions over the reader; any thread.
 */
#ifndef TUNNELD_PATHS_PARSE_UTIL_H
#define TUNNELD_PATHS_PARSE_UTIL_H

#include "json_reader.h"
#include "paths_rows.h"

#define NKEYS(a)    (sizeof(a) / sizeof((a)[0]))
#define ALL_KEYS(a) ((1ULL << NKEYS(a)) - 1)

/* the name of value i, NULL when i has none (paths_names.c through a cast) */
typedef const char *(*paths_word_fn)(int i);

/*
 * A string equal to name(i) for an i in [0, n), into *out; with nullable,
 * null too (*out is then -1). Else "expected one of: a, b[, null]".
 */
bool paths_read_word(json_reader_t *r, paths_word_fn name, int n, bool nullable, int *out);
/* a word or null; null is the value none (whose name is NULL) */
bool paths_read_word_or_null(json_reader_t *r, paths_word_fn name, int n, int none, int *v);
/* a string kept in the arena, or NULL for null */
bool paths_string_or_null(json_reader_t *r, const char **s);
bool paths_read_u32(json_reader_t *r, uint32_t *v);
/* wall seconds: 0 (never) or later */
bool paths_read_time(json_reader_t *r, int64_t *v);
/* a boolean or null (PATHS_NULL) */
bool paths_read_bool_or_null(json_reader_t *r, paths_bool_t *v);

/* issue 10 (paths_json_parse_checks.c); v2: the document's version is 2 or later */
bool paths_read_groups(json_reader_t *r, struct paths_site *s);
bool paths_read_checks(json_reader_t *r, struct paths_site *s);
bool paths_read_posture(json_reader_t *r, struct paths_posture *p);
bool paths_read_rounds(json_reader_t *r, struct paths_doc *doc);
/* frees what paths_read_groups / paths_read_checks allocated (not the strings) */
void paths_site_checks_free(struct paths_site *s);

#endif
