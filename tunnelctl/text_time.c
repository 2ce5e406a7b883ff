/*
 * text_time: see text_time.h.
 *
 * Threading: pure functions; any thread.
 */
#include "text_time.h"

#include <stdio.h>
#include <time.h>

static void format(char buf[TEXT_TIME_LEN], int64_t t, const char *fmt)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if ((int64_t)tt != t || !gmtime_r(&tt, &tm) || tm.tm_year > 9999 - 1900 ||
        tm.tm_year < 0 - 1900 || !strftime(buf, TEXT_TIME_LEN, fmt, &tm))
        snprintf(buf, TEXT_TIME_LEN, "@%lld", (long long)t);
}

void text_utc(char buf[TEXT_TIME_LEN], int64_t t)
{
    format(buf, t, "%Y-%m-%d %H:%M:%SZ");
}

void text_utc_date(char buf[TEXT_TIME_LEN], int64_t t)
{
    format(buf, t, "%Y-%m-%d");
}
