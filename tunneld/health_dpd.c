/* health_dpd: see health_dpd.h */
#define _GNU_SOURCE
#include "health_dpd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <daemon.h>
#include <processing/jobs/callback_job.h>
#include <sa/ikev2/tasks/ike_dpd.h>

typedef struct {
    char *conn, *site, *path;
} dpd_req_t;

static void req_free(dpd_req_t *r)
{
    free(r->conn);
    free(r->site);
    free(r->path);
    free(r);
}

/* a charon worker */
static job_requeue_t dpd_job(dpd_req_t *r)
{
    ike_sa_t *ike =
        charon->ike_sa_manager->checkout_by_name(charon->ike_sa_manager, r->conn, FALSE);

    if (!ike) {
        DBG1(DBG_IKE, "health: site '%s' path '%s': no IKE_SA of '%s' to check (DPD skipped)",
             r->site, r->path, r->conn);
        return JOB_REQUEUE_NONE;
    }
    if (ike->get_state(ike) != IKE_ESTABLISHED || ike->get_version(ike) != IKEV2) {
        DBG1(DBG_IKE, "health: site '%s' path '%s': IKE_SA %s[%u] is %N: DPD skipped", r->site,
             r->path, r->conn, ike->get_unique_id(ike), ike_sa_state_names, ike->get_state(ike));
        charon->ike_sa_manager->checkin(charon->ike_sa_manager, ike);
        return JOB_REQUEUE_NONE;
    }
    DBG1(DBG_IKE,
         "health: site '%s' path '%s': probes fail while IKE_SA %s[%u] is up: sending "
         "DPD",
         r->site, r->path, r->conn, ike->get_unique_id(ike));
    ike->queue_task(ike, (task_t *)ike_dpd_create(TRUE));
    if (ike->initiate(ike, NULL, NULL) == DESTROY_ME)
        charon->ike_sa_manager->checkin_and_destroy(charon->ike_sa_manager, ike);
    else
        charon->ike_sa_manager->checkin(charon->ike_sa_manager, ike);
    return JOB_REQUEUE_NONE;
}

void health_dpd_request(const char *conn, const char *site, const char *path)
{
    dpd_req_t *r = calloc(1, sizeof(*r));

    if (!r || !(r->conn = strdup(conn)) || !(r->site = strdup(site)) || !(r->path = strdup(path))) {
        if (r)
            req_free(r);
        DBG1(DBG_CFG, "health: site '%s' path '%s': out of memory: DPD not requested", site, path);
        return;
    }
    lib->processor->queue_job(
        lib->processor, (job_t *)callback_job_create_with_prio((callback_job_cb_t)dpd_job, r,
                                                               (callback_job_cleanup_t)req_free,
                                                               NULL, JOB_PRIO_HIGH));
}
