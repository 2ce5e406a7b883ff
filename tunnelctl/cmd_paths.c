/*
 * cmd_paths: `tunnelctl paths`, the path health read-out (control command
 * "paths", docs/schema/paths.schema.json).
 *
 * Exit status (docs/man/tunnelctl.8): 1 when the document reports a
 * problem, a site has no active path, or a path is down or suppressed (a
 * broken standby path counts: finding it is what the read-out is for), the
 * outbound-only posture is asked for and not enforced, or an application
 * check fails on every path (a service fault: the sensors cannot reach that
 * endpoint whichever path they take); degraded, init and admin-down paths
 * and checks failing on some paths only (path faults: the path is degraded
 * or down and says so) do not change it.
 *
 * Threading: single-threaded (tunnelctl).
 */
#include <stdlib.h>

#include "cmd.h"
#include "paths_json.h"

static bool service_fault(const struct paths_site *s)
{
    for (size_t i = 0; i < s->n_checks; i++)
        if (s->checks[i].verdict == PATHS_V_FAIL && s->checks[i].fault == PATHS_FAULT_SERVICE)
            return true;
    return false;
}

static int health_status(const struct paths_doc *doc)
{
    if (doc->n_problems || doc->posture.state == PATHS_POSTURE_NOT_ENFORCED)
        return 1;
    for (size_t i = 0; i < doc->n_sites; i++) {
        const struct paths_site *s = &doc->sites[i];
        if (!s->n_active || service_fault(s))
            return 1;
        for (size_t j = 0; j < s->n_paths; j++)
            if (s->paths[j].state == HL_PATH_DOWN || s->paths[j].state == HL_PATH_SUPPRESSED)
                return 1;
    }
    return 0;
}

int cmd_paths(void)
{
    ctl_reply_t reply;
    struct paths_doc doc;
    char *err;

    if (request("paths", &reply) != 0)
        return 1;
    int rc = paths_json_parse(reply.data, reply.len, &doc, &err);
    free(reply.data);
    if (rc != 0)
        return schema_error("paths", "docs/schema/paths.schema.json", err);
    ctl_out->paths(stdout, &doc);
    rc = health_status(&doc);
    paths_doc_free(&doc);
    return rc;
}
