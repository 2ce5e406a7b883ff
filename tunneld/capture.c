/* capture: see capture.h. */
#define _GNU_SOURCE /* asprintf */
#include "capture.h"

#include <daemon.h>
#include <threading/thread.h>

#include <stdarg.h>
#include <stdio.h>

struct capture {
    logger_t logger;
    u_int thread;
    char *first;
    bool hooked; /* the dbg hook (no bus yet) */
    void (*saved_dbg)(debug_t, level_t, char *, ...);
};

/* only used while no other thread runs (see capture.h) */
static capture_t *active;

METHOD(logger_t, cap_log, void, capture_t *this, debug_t group, level_t level, int thread,
       ike_sa_t *ike_sa, const char *message)
{
    if (group == DBG_CFG && level <= LEVEL_CTRL && (u_int)thread == this->thread && !this->first)
        this->first = strdup(message);
}

METHOD(logger_t, cap_get_level, level_t, capture_t *this, debug_t group)
{
    return group == DBG_CFG ? LEVEL_CTRL : LEVEL_SILENT;
}

static void dbg_capture(debug_t group, level_t level, char *fmt, ...)
{
    va_list args;
    char *msg = NULL;

    va_start(args, fmt);
    if (vasprintf(&msg, fmt, args) < 0)
        msg = NULL;
    va_end(args);
    if (!msg)
        return;
    if (group == DBG_CFG && level <= LEVEL_CTRL && active && !active->first)
        active->first = strdup(msg);
    if (active && active->saved_dbg)
        active->saved_dbg(group, level, "%s", msg);
    free(msg);
}

capture_t *capture_begin(void)
{
    capture_t *c;

    INIT(c, .logger = {.log = _cap_log, .get_level = _cap_get_level},
         .thread = thread_current_id(), );
    if (charon && charon->bus) {
        charon->bus->add_logger(charon->bus, &c->logger);
    } else {
        c->hooked = TRUE;
        c->saved_dbg = dbg;
        active = c;
        dbg = dbg_capture;
    }
    return c;
}

char *capture_end(capture_t *c)
{
    char *first = c->first;

    if (c->hooked) {
        dbg = c->saved_dbg;
        active = NULL;
    } else {
        charon->bus->remove_logger(charon->bus, &c->logger);
    }
    free(c);
    return first;
}
