/* controller_plugin: see controller_plugin.h. */
#include "controller_plugin.h"

#include <daemon.h>

#include "controller_listener.h"
#include "controller_stats.h"

static struct {
    sa_table_t *table;
    sa_events_t *events;
    controller_listener_t *listener;
    controller_stats_t *stats;
} ctl;

/* sa_events' lines go to charon's log (never blocks: the loggers buffer) */
static void log_line(void *ctx, const char *line)
{
    DBG1(DBG_CFG, "%s", line);
}

sa_table_t *controller_table(void)
{
    return ctl.table;
}

static bool controller_register(plugin_t *plugin, plugin_feature_t *feature, bool reg, void *data)
{
    if (reg) {
        ctl.table = sa_table_create();
        ctl.events = ctl.table ? sa_events_create(ctl.table, log_line, NULL) : NULL;
        if (!ctl.events) {
            sa_table_destroy(ctl.table);
            ctl.table = NULL;
            return FALSE;
        }
        ctl.listener = controller_listener_create(ctl.events);
        charon->bus->add_listener(charon->bus, &ctl.listener->listener);
        ctl.stats = controller_stats_create(
            ctl.table, ctl.events,
            lib->settings->get_time(lib->settings, "%s.stats_interval", 1, lib->ns) * 1000);
        DBG1(DBG_CFG, "tunneld controller: SA table ready");
    } else {
        controller_stats_destroy(ctl.stats);
        charon->bus->remove_listener(charon->bus, &ctl.listener->listener);
        ctl.listener->destroy(ctl.listener);
        sa_events_destroy(ctl.events);
        sa_table_destroy(ctl.table);
        ctl.table = NULL;
        ctl.events = NULL;
        ctl.listener = NULL;
        ctl.stats = NULL;
    }
    return TRUE;
}

plugin_feature_t *controller_plugin_features(int *count)
{
    static plugin_feature_t features[] = {
        PLUGIN_CALLBACK(controller_register, NULL),
        PLUGIN_PROVIDE(CUSTOM, CONTROLLER_PLUGIN_NAME),
        PLUGIN_SDEPEND(CUSTOM, "kernel-ipsec"),
    };
    *count = countof(features);
    return features;
}
