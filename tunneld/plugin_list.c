/* plugin_list: see plugin_list.h. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "plugin_list.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <library.h>

#include "quote.h"

#ifndef TUNNELD_PLUGINDIR
#error "TUNNELD_PLUGINDIR must name strongSwan's plugin directory"
#endif

#define BLANKS " " /* charon splits the list at spaces only */

static bool modular(void)
{
    return lib->settings->get_bool(lib->settings, "%s.load_modular", FALSE, lib->ns);
}

/* the next name of the list (its '!' dropped) into *name (malloc'd); false at the end */
static bool next_name(const char **pos, char **name)
{
    const char *p = *pos + strspn(*pos, BLANKS);
    size_t len = strcspn(p, BLANKS);

    if (!len)
        return false;
    *pos = p + len;
    *name = strndup(p, len > 1 && p[len - 1] == '!' ? len - 1 : len);
    return true;
}

static bool valid_name(const char *name)
{
    size_t len = strlen(name);

    if (!len || len > PLUGIN_NAME_MAX)
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

/* charon finds "<name>_plugin_create" ('-' as '_') in the process first */
static bool built_in(const char *name)
{
    char sym[PLUGIN_NAME_MAX + sizeof("_plugin_create")];

    snprintf(sym, sizeof(sym), "%s_plugin_create", name);
    for (char *c = sym; *c; c++)
        if (*c == '-')
            *c = '_';
    return dlsym(RTLD_DEFAULT, sym) != NULL;
}

static bool check_one(const char *key, const char *name, char *err, size_t errlen)
{
    char file[sizeof(TUNNELD_PLUGINDIR) + PLUGIN_NAME_MAX + sizeof("/libstrongswan-.so")];
    struct stat st;
    quoted_t q;

    if (!valid_name(name)) {
        snprintf(err, errlen,
                 "%s: '%s' is not a plugin name (letters, digits, '-' and '_', at most %d "
                 "bytes, a trailing '!' for a critical one)",
                 key, quote(name, &q), PLUGIN_NAME_MAX);
        return false;
    }
    /* charon skips a listed plugin whose plugins.NAME.load is false */
    if (!lib->settings->get_bool(lib->settings, "%s.plugins.%s.load", TRUE, lib->ns, name)) {
        snprintf(err, errlen,
                 "%s: the plugin '%s' is listed, but %s.plugins.%s.load says not to load it", key,
                 name, lib->ns, name);
        return false;
    }
    snprintf(file, sizeof(file), "%s/libstrongswan-%s.so", TUNNELD_PLUGINDIR, name);
    if (built_in(name) || (stat(file, &st) == 0 && S_ISREG(st.st_mode)))
        return true;
    snprintf(err, errlen, "%s: no plugin '%s': it is not built in and %s does not exist", key, name,
             file);
    return false;
}

bool plugin_list_check(const char *key, const char *load, char *err, size_t errlen)
{
    const char *pos = load;
    char *name;
    bool ok = true;

    if (modular())
        return true;
    while (ok && next_name(&pos, &name)) {
        ok = name && check_one(key, name, err, errlen);
        if (!name)
            snprintf(err, errlen, "%s: out of memory", key);
        free(name);
    }
    return ok;
}

/* name is one of the blank-separated words of list */
static bool listed(const char *list, const char *name)
{
    size_t len = strlen(name);

    for (const char *p = list; (p = strstr(p, name)); p += len) {
        bool starts = p == list || strchr(BLANKS, p[-1]);
        if (starts && (p[len] == '\0' || strchr(BLANKS, p[len])))
            return true;
    }
    return false;
}

bool plugin_list_loaded(const char *key, const char *load, const char *loaded, char *err,
                        size_t errlen)
{
    const char *pos = load;
    char *name;
    bool ok = true;

    if (modular())
        return true;
    while (ok && next_name(&pos, &name)) {
        ok = name && listed(loaded ? loaded : "", name);
        if (!ok) {
            quoted_t q;
            snprintf(err, errlen, "%s: charon did not load the plugin '%s' (see the lines above)",
                     key, name ? quote(name, &q) : "?");
        }
        free(name);
    }
    return ok;
}
