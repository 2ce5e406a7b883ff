/*
 * text_time: wall times from the control socket as UTC text for tunnelctl's
 * tables. Any int64 is accepted (the socket is not trusted): a time whose
 * year does not fit four digits prints as "@<seconds>".
 *
 * Threading: pure functions (gmtime_r); any thread.
 */
#ifndef TUNNELCTL_TEXT_TIME_H
#define TUNNELCTL_TEXT_TIME_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_TIME_LEN 32 /* holds "@-9223372036854775808" and both forms */

/* "2024-05-01 12:00:05Z" */
void text_utc(char buf[TEXT_TIME_LEN], int64_t t);
/* "2024-05-01" */
void text_utc_date(char buf[TEXT_TIME_LEN], int64_t t);

#endif
