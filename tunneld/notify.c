/* notify: see notify.h. */
#include "notify.h"
#include "preflight.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "controller_plugin.h"
#include "sa_table.h"
#include "status_line.h"

static int enabled = -1;           /* -1: not read yet */
static char last[STATUS_LINE_MAX]; /* the STATUS= text sent last */
static char note[STATUS_LINE_MAX]; /* the last reload's outcome */

bool notify_enabled(void)
{
    if (enabled < 0) {
        const char *s = getenv("NOTIFY_SOCKET");
        enabled = s && s[0];
    }
    return enabled;
}

/* the preflight's problems when there are any (tunnelctl preflight), then the note */
static const char *with_preflight(char *full, size_t len)
{
    size_t np = preflight_problems();

    if (!np)
        return note;
    snprintf(full, len, "preflight: %zu problem%s%s%s", np, np == 1 ? "" : "s", note[0] ? "; " : "",
             note);
    return full;
}

/* the status line now; false when the SA table cannot be copied (out of memory) */
static bool current(route_glue_t *g, char buf[STATUS_LINE_MAX])
{
    char full[STATUS_LINE_MAX];
    sa_table_t *table = controller_table();
    sa_ike_rec_t *rows = NULL;
    size_t n = table ? sa_table_snapshot(table, &rows) : 0;
    json_object *paths;

    if (table && !rows)
        return false;
    paths = route_glue_paths(g);
    status_line(buf, paths, rows, n, with_preflight(full, sizeof(full)));
    json_object_put(paths);
    sa_table_snapshot_free(rows, n);
    return true;
}

void notify_ready(route_glue_t *g, const char *reload_note)
{
    char buf[STATUS_LINE_MAX];

    if (!notify_enabled())
        return;
    if (reload_note)
        snprintf(note, sizeof(note), "%s", reload_note);
    if (!current(g, buf)) {
        sd_notify(0, "READY=1");
        return;
    }
    memcpy(last, buf, sizeof(last));
    sd_notifyf(0, "READY=1\nSTATUS=%s", buf);
}

void notify_reloading(void)
{
    struct timespec ts;

    if (!notify_enabled())
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void notify_stopping(void)
{
    if (notify_enabled())
        sd_notify(0, "STOPPING=1");
}

void notify_refresh(route_glue_t *g)
{
    char buf[STATUS_LINE_MAX];

    if (!notify_enabled() || !current(g, buf) || !strcmp(buf, last))
        return;
    memcpy(last, buf, sizeof(last));
    sd_notifyf(0, "STATUS=%s", buf);
}
