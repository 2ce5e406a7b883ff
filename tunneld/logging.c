/* logging: see logging.h. */
#include "logging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define NS "tunneld"

static const char *const kinds[] = {"filelog", "syslog"};

int logging_default_level(int debug, bool log_keys)
{
    return debug > OPTIONS_MAX_SAFE_DEBUG && !log_keys ? OPTIONS_MAX_SAFE_DEBUG : debug;
}

void logging_default_levels(int debug, bool log_keys, level_t levels[DBG_MAX])
{
    for (int g = 0; g < DBG_MAX; g++)
        levels[g] = logging_default_level(debug, log_keys);
}

static int section_default(const char *kind, const char *section)
{
    return lib->settings->get_int(lib->settings, "%s.%s.%s.default", 1, NS, kind, section);
}

bool logging_check(bool log_keys, char *err, size_t errlen)
{
    bool ok = true;

    for (size_t k = 0; ok && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        enumerator_t *e =
            lib->settings->create_section_enumerator(lib->settings, "%s.%s", NS, kinds[k]);
        char *section;
        while (ok && e->enumerate(e, &section)) {
            int def = section_default(kinds[k], section);
            if (def >= LEVEL_PRIVATE && !log_keys) {
                snprintf(err, errlen,
                         "%s.%s.%s.default = %d would log IKE and ESP key material: use at "
                         "most 3, set a group to 4 by name (e.g. ike = 4), or start with "
                         "--log-keys",
                         NS, kinds[k], section, def);
                ok = false;
            }
        }
        e->destroy(e);
    }
    return ok;
}

bool logging_defaults_used(void)
{
    bool any = false;

    for (size_t k = 0; !any && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        enumerator_t *e =
            lib->settings->create_section_enumerator(lib->settings, "%s.%s", NS, kinds[k]);
        char *section;
        any = e->enumerate(e, &section);
        e->destroy(e);
    }
    return !any;
}

static void warn(bool to_stderr, const char *what)
{
    DBG1(DBG_DMN,
         "WARNING: %s logs IKE and ESP key material (secrets): anyone who reads it "
         "can decrypt the tunnels' traffic",
         what);
    if (to_stderr)
        fprintf(stderr,
                "tunneld: WARNING: %s logs IKE and ESP key material (secrets): anyone who "
                "reads it can decrypt the tunnels' traffic\n",
                what);
}

/* the groups of one logger section set to 4 or more */
static void warn_section(const char *kind, const char *section, bool to_stderr)
{
    int def = section_default(kind, section);
    char what[512];
    size_t len = 0;

    what[0] = '\0';
    for (int g = 0; g < DBG_MAX; g++) {
        const char *name = enum_to_name(debug_lower_names, g);
        int level =
            lib->settings->get_int(lib->settings, "%s.%s.%s.%s", def, NS, kind, section, name);
        if (level < LEVEL_PRIVATE)
            continue;
        int w = snprintf(what + len, sizeof(what) - len, "%s%s", len ? ", " : "", name);
        len = w > 0 && (size_t)w < sizeof(what) - len ? len + (size_t)w : len;
    }
    if (!len)
        return;
    size_t need = strlen(NS) + strlen(kind) + strlen(section) + len + 32;
    char *line = malloc(need);
    if (!line)
        return;
    snprintf(line, need, "%s.%s.%s (level 4 for: %s)", NS, kind, section, what);
    warn(to_stderr, line);
    free(line);
}

void logging_warn_keys(int debug, bool log_keys, bool to_stderr)
{
    if (logging_defaults_used()) {
        if (logging_default_level(debug, log_keys) >= LEVEL_PRIVATE)
            warn(to_stderr, "-d 4 with --log-keys");
        return;
    }
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        enumerator_t *e =
            lib->settings->create_section_enumerator(lib->settings, "%s.%s", NS, kinds[k]);
        char *section;
        while (e->enumerate(e, &section))
            warn_section(kinds[k], section, to_stderr);
        e->destroy(e);
    }
}
