/* controller_stats: see controller_stats.h. */
#include "controller_stats.h"

#include <daemon.h>
#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>

struct controller_stats_t {
    sa_table_t *table;
    unsigned interval_ms;
    mutex_t *lock; /* guards stopped against the job's last run */
    bool stopped;
    refcount_t refs; /* the owner and the job: the last one frees */
};

static void release(controller_stats_t *this)
{
    if (ref_put(&this->refs)) {
        this->lock->destroy(this->lock);
        free(this);
    }
}

/* reads every installed CHILD_SA's counters into the table */
static void refresh(controller_stats_t *this)
{
    enumerator_t *ikes, *children;
    ike_sa_t *ike_sa;
    child_sa_t *child;
    peer_cfg_t *cfg;

    ikes = charon->controller->create_ike_sa_enumerator(charon->controller, TRUE);
    while (ikes->enumerate(ikes, &ike_sa)) {
        cfg = ike_sa->get_peer_cfg(ike_sa);
        if (!cfg)
            continue;
        children = ike_sa->create_child_sa_enumerator(ike_sa);
        while (children->enumerate(children, &child)) {
            sa_counters_t c = {0};
            child_sa_state_t st = child->get_state(child);
            if (st != CHILD_INSTALLED && st != CHILD_REKEYING)
                continue;
            child->get_usestats(child, TRUE, NULL, &c.bytes_in, &c.packets_in);
            child->get_usestats(child, FALSE, NULL, &c.bytes_out, &c.packets_out);
            sa_table_child_counters(this->table, cfg->get_name(cfg), child->get_name(child),
                                    child->get_unique_id(child), &c);
        }
        children->destroy(children);
    }
    ikes->destroy(ikes);
}

static job_requeue_t refresh_job(controller_stats_t *this)
{
    bool stopped;

    this->lock->lock(this->lock);
    stopped = this->stopped;
    this->lock->unlock(this->lock);
    if (stopped)
        return JOB_REQUEUE_NONE;
    refresh(this);
    return JOB_RESCHEDULE_MS(this->interval_ms);
}

controller_stats_t *controller_stats_create(sa_table_t *table, unsigned interval_ms)
{
    controller_stats_t *this;

    INIT(this, .table = table, .interval_ms = interval_ms ? interval_ms : 1000,
         .lock = mutex_create(MUTEX_TYPE_DEFAULT), .refs = 2, );
    lib->scheduler->schedule_job_ms(
        lib->scheduler,
        (job_t *)callback_job_create((callback_job_cb_t)refresh_job, this, (void *)release, NULL),
        this->interval_ms);
    return this;
}

void controller_stats_destroy(controller_stats_t *this)
{
    /* the job may still be scheduled: it sees stopped, ends and releases */
    this->lock->lock(this->lock);
    this->stopped = TRUE;
    this->lock->unlock(this->lock);
    release(this);
}
