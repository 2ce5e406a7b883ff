/*
 * plugin_list: the plugin list tunneld hands charon (tunneld.load, or the
 * data plane's default). charon skips a plugin it cannot load with one log
 * line and runs on without it (a vici plugin that is missing means no
 * connection is ever loaded); tunneld makes that a refusal instead:
 *
 *  - plugin_list_check (tunneld -n, and before charon starts): every name is
 *    a plugin name (letters, digits, '-', '_'; a trailing '!' marks it
 *    critical), is not disabled by plugins.NAME.load = no, and is built in
 *    or has its file, libstrongswan-NAME.so, in strongSwan's plugin
 *    directory;
 *  - plugin_list_loaded (after charon->initialize): every name was loaded.
 *
 * With load_modular (the list then comes from the plugins sections) the
 * names are not checked.
 *
 * Threading: main thread (reads lib->settings for load_modular).
 */
#ifndef TUNNELD_PLUGIN_LIST_H
#define TUNNELD_PLUGIN_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define PLUGIN_NAME_MAX 100 /* charon builds "<name>_plugin_create" in 128 bytes */

/* false with err naming key, the plugin and what was expected */
bool plugin_list_check(const char *key, const char *load, char *err, size_t errlen);
/* loaded: lib->plugins->loaded_plugins(); false with err naming the first missing plugin */
bool plugin_list_loaded(const char *key, const char *load, const char *loaded, char *err,
                        size_t errlen);

#endif
