/*
 * sm_values: the value syntaxes of the site model, parsed in full (a value
 * that is not wholly of its syntax is refused, never read as a default):
 * whole numbers, booleans, durations, percentages, address literals and
 * prefixes; and user text made safe to print in an error message.
 *
 * Durations: a whole number and a unit, "300ms", "1s", "2m", "1h"; a bare
 * number is seconds, as strongSwan reads its own times. Percentages: "10%"
 * or "10", with up to two decimals ("0.5%"), 0 to 100.
 *
 * Threading: no state; any thread.
 */
#ifndef TUNNELD_SM_VALUES_H
#define TUNNELD_SM_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a whole decimal number (no sign, no base prefix) in [min, max] */
bool sm_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* yes/no, true/false, on/off, 1/0, enabled/disabled */
bool sm_parse_bool(const char *s, bool *out);
/* a duration in milliseconds (units ms, s, m, h; bare: seconds) */
bool sm_parse_duration_ms(const char *s, uint64_t *ms);
/* a percentage 0..100 ("10%", "10", "2.5%") */
bool sm_parse_percent(const char *s, double *pct);
/* AF_INET or AF_INET6 for a whole address literal, 0 otherwise */
int sm_addr_family(const char *s);
/*
 * A prefix "address/length" (a bare address is a host prefix): family set,
 * true when the syntax and length are right and no host bit is set.
 */
bool sm_prefix_valid(const char *s, int *family);

#define SM_QUOTE_MAX 64
/* QUOTE_MAX escaped bytes (4 each) and the length note */
#define SM_QUOTE_BUF (SM_QUOTE_MAX * 4 + 32)
typedef struct {
    char s[SM_QUOTE_BUF];
} sm_quoted_t;
/*
 * in as printable text: control bytes, '\' and bytes outside printable
 * ASCII as \xNN; past SM_QUOTE_MAX bytes cut with an explicit
 * "...(N bytes)". Returns q->s; in may be NULL ("").
 */
const char *sm_quote(const char *in, sm_quoted_t *q);

#endif
