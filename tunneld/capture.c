/* capture: see capture.h. */
#include "capture.h"

#include <daemon.h>
#include <threading/thread.h>

#include <stdarg.h>
#include <stdio.h>

struct capture {
    logger_t logger;
    u_int thread;
    char first[512];
    void (*saved_dbg)(debug_t, level_t, char *, ...);
};

/* only used while no other thread runs (see capture.h) */
static capture_t *active;

METHOD(logger_t, cap_log, void, capture_t *this, debug_t group, level_t level, int thread,
       ike_sa_t *ike_sa, const char *message)
{
    if (group == DBG_CFG && level <= LEVEL_CTRL && (u_int)thread == this->thread && !this->first[0])
        snprintf(this->first, sizeof(this->first), "%s", message);
}

METHOD(logger_t, cap_get_level, level_t, capture_t *this, debug_t group)
{
    return group == DBG_CFG ? LEVEL_CTRL : LEVEL_SILENT;
}

static void dbg_capture(debug_t group, level_t level, char *fmt, ...)
{
    va_list args;

    if (group == DBG_CFG && level <= LEVEL_CTRL && active && !active->first[0]) {
        va_start(args, fmt);
        vsnprintf(active->first, sizeof(active->first), fmt, args);
        va_end(args);
    }
    if (active && active->saved_dbg) {
        char msg[512];
        va_start(args, fmt);
        vsnprintf(msg, sizeof(msg), fmt, args);
        va_end(args);
        active->saved_dbg(group, level, "%s", msg);
    }
}

capture_t *capture_begin(void)
{
    capture_t *c;

    INIT(c, .logger = {.log = _cap_log, .get_level = _cap_get_level},
         .thread = thread_current_id(), );
    if (charon && charon->bus) {
        charon->bus->add_logger(charon->bus, &c->logger);
    } else {
        c->saved_dbg = dbg;
        active = c;
        dbg = dbg_capture;
    }
    return c;
}

void capture_end(capture_t *c, char *buf, size_t len)
{
    if (c->saved_dbg) {
        dbg = c->saved_dbg;
        active = NULL;
    } else {
        charon->bus->remove_logger(charon->bus, &c->logger);
    }
    snprintf(buf, len, "%s", c->first);
    free(c);
}
