/* charon_routes: see charon_routes.h. */
#include "charon_routes.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <library.h>

#include "routes.h"
#include "site_model.h"

#define NS "tunneld"

static bool demoted; /* main thread only */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *problem; /* guarded by lock */

bool charon_routes_sites(void)
{
    /* tunneld.sites, or the deprecated tunneld.routes.sites */
    return sm_settings_has_sites(lib->settings);
}

bool charon_routes_check(char *err, size_t errlen)
{
    const char *prio = lib->settings->get_str(lib->settings, NS ".routing_table_prio", NULL);
    int table = lib->settings->get_int(lib->settings, NS ".routing_table", 220);

    if (!prio || table == 0 || !charon_routes_sites())
        return true;
    int v = lib->settings->get_int(lib->settings, NS ".routing_table_prio", 0);
    if (v > ROUTES_DEFAULT_RULE_PRIORITY)
        return true;
    snprintf(err, errlen,
             NS
             ".routing_table_prio: %s puts charon's routing table %d ahead of tunneld's rule "
             "(priority %d) while tunneld routes sites (tunneld.sites): expected a number above %d "
             "(unset: %d)",
             prio, table, ROUTES_DEFAULT_RULE_PRIORITY, ROUTES_DEFAULT_RULE_PRIORITY,
             ROUTES_DEFAULT_RULE_PRIORITY + 1);
    return false;
}

void charon_routes_demote(void)
{
    char prio[16];

    if (!charon_routes_sites())
        return;
    snprintf(prio, sizeof(prio), "%d", ROUTES_DEFAULT_RULE_PRIORITY + 1);
    lib->settings->set_default_str(lib->settings, NS ".install_routes", "no");
    lib->settings->set_default_str(lib->settings, NS ".routing_table_prio", prio);
    demoted = true;
}

static void set_problem(const char *text)
{
    char *copy = text ? strdup(text) : NULL;

    pthread_mutex_lock(&lock);
    free(problem);
    problem = copy;
    pthread_mutex_unlock(&lock);
}

bool charon_routes_reload(char *err, size_t errlen)
{
    if (demoted || !charon_routes_sites()) {
        set_problem(NULL);
        return true;
    }
    snprintf(err, errlen,
             "%s: the reload brings routed sites, but tunneld started without any: "
             "charon's own routes (its table and rule, which kernel-netlink reads only at "
             "start) would stay ahead of tunneld's; restart tunneld to route these sites "
             "(nothing of tunneld.routes is applied until then)",
             sm_settings_section(lib->settings));
    set_problem(err);
    return false;
}

void charon_routes_problems(json_object *doc)
{
    json_object *problems;

    pthread_mutex_lock(&lock);
    if (problem && json_object_object_get_ex(doc, "problems", &problems) &&
        json_object_is_type(problems, json_type_array))
        json_object_array_add(problems, json_object_new_string(problem));
    pthread_mutex_unlock(&lock);
}
