/*
 * controller_stats: see controller_stats.h. Each run visits every IKE_SA
 * once: counters of its installed CHILD_SAs into the table, then what charon
 * has installed to sa_events_reconcile(), which fixes rows that disagree.
 */
#include "controller_stats.h"

#include <daemon.h>
#include <processing/jobs/callback_job.h>
#include <threading/mutex.h>

#include "controller_facts.h"

struct controller_stats_t {
    sa_table_t *table;
    sa_events_t *events;
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

/* what charon has installed of one IKE_SA, collected for sa_events */
typedef struct {
    sa_child_rec_t *recs;
    const char **names;
    size_t n, cap;
} installed_t;

static bool add_installed(installed_t *in, child_sa_t *child, sa_state_t state)
{
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 4;
        sa_child_rec_t *recs = realloc(in->recs, cap * sizeof(*recs));
        if (!recs)
            return FALSE;
        in->recs = recs;
        const char **names = realloc(in->names, cap * sizeof(*names));
        if (!names)
            return FALSE;
        in->names = names;
        in->cap = cap;
    }
    facts_child(&in->recs[in->n], child);
    in->recs[in->n].state = state;
    in->names[in->n++] = child->get_name(child);
    return TRUE;
}

/* counters of the installed CHILD_SAs, and the list of them */
static bool read_children(controller_stats_t *this, ike_sa_t *ike_sa, const char *conn,
                          installed_t *in)
{
    enumerator_t *children = ike_sa->create_child_sa_enumerator(ike_sa);
    child_sa_t *child;
    bool ok = TRUE;

    while (children->enumerate(children, &child)) {
        sa_counters_t c = {0};
        child_sa_state_t st = child->get_state(child);
        if (st != CHILD_INSTALLED && st != CHILD_REKEYING)
            continue;
        child->get_usestats(child, TRUE, NULL, &c.bytes_in, &c.packets_in);
        child->get_usestats(child, FALSE, NULL, &c.bytes_out, &c.packets_out);
        sa_table_child_counters(this->table, conn, child->get_name(child),
                                child->get_unique_id(child), &c);
        if (ok)
            ok = add_installed(in, child,
                               st == CHILD_INSTALLED ? SA_STATE_ESTABLISHED : SA_STATE_REKEYING);
    }
    children->destroy(children);
    return ok;
}

static void visit(controller_stats_t *this, ike_sa_t *ike_sa)
{
    const char *conn = facts_conn_name(ike_sa);
    ike_sa_state_t st = ike_sa->get_state(ike_sa);
    installed_t in = {0};
    sa_ike_rec_t rec;

    if (!conn)
        return;
    bool ok = read_children(this, ike_sa, conn, &in);
    /* only an IKE_SA that is up says what carries traffic; a partial list says nothing */
    if (ok && (st == IKE_ESTABLISHED || st == IKE_REKEYING)) {
        facts_ike(&rec, ike_sa);
        rec.state = st == IKE_ESTABLISHED ? SA_STATE_ESTABLISHED : SA_STATE_REKEYING;
        sa_events_reconcile(this->events, conn, &rec, in.recs, in.names, in.n);
        sa_ike_rec_clear(&rec);
    }
    for (size_t i = 0; i < in.n; i++)
        sa_child_rec_clear(&in.recs[i]);
    free(in.recs);
    free(in.names);
}

static void refresh(controller_stats_t *this)
{
    enumerator_t *ikes;
    ike_sa_t *ike_sa;

    /* each IKE_SA is held while visited: none of its events can run meanwhile */
    ikes = charon->controller->create_ike_sa_enumerator(charon->controller, TRUE);
    while (ikes->enumerate(ikes, &ike_sa))
        visit(this, ike_sa);
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

controller_stats_t *controller_stats_create(sa_table_t *table, sa_events_t *events,
                                            unsigned interval_ms)
{
    controller_stats_t *this;

    INIT(this, .table = table, .events = events, .interval_ms = interval_ms ? interval_ms : 1000,
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
