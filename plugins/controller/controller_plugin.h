/*
 * controller_plugin: tunneld's built-in libcharon plugin. Registered by
 * tunneld with lib->plugins->add_static_features() before
 * charon->initialize(); its feature callback adds the listener to charon's
 * bus and starts the counters job, and removes both on unload.
 *
 * Threading: the feature callback runs in the thread that loads plugins
 * (tunneld's main thread); the table is read from any thread.
 */
#ifndef TUNNELD_CONTROLLER_PLUGIN_H
#define TUNNELD_CONTROLLER_PLUGIN_H

#include <plugins/plugin_feature.h>

#include "sa_table.h"

#define CONTROLLER_PLUGIN_NAME "tunneld-controller"

/* The feature list to register; *count receives its length. */
plugin_feature_t *controller_plugin_features(int *count);

/* The SA table (valid from plugin load until unload; NULL otherwise). */
sa_table_t *controller_table(void);

#endif
