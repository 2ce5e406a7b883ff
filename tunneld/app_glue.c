/* app_glue: see app_glue.h */
#define _GNU_SOURCE
#include "app_glue.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <library.h>
#include <threading/thread.h>
#include <utils/debug.h>

#include "app_conf.h"

/* the posture asked for, kept for status (deep copy) */
struct posture_copy {
    struct posture_config cfg;
    char *table;
    char **azure, **sensors;
};

struct app_glue {
    app_observe_fn observe;
    void *ctx;
    pthread_mutex_t lock; /* engine pointer and posture copy (status readers) */
    struct checks *engine;
    struct posture_copy posture;
};

static void copy_free(struct posture_copy *p)
{
    for (size_t i = 0; p->azure && i < p->cfg.n_azure; i++)
        free(p->azure[i]);
    for (size_t i = 0; p->sensors && i < p->cfg.n_sensors; i++)
        free(p->sensors[i]);
    free(p->azure);
    free(p->sensors);
    free(p->table);
    memset(p, 0, sizeof(*p));
}

static char **copy_list(const char *const *v, size_t n)
{
    char **c = calloc(n + 1, sizeof(*c));
    for (size_t i = 0; c && i < n; i++)
        if (!(c[i] = strdup(v[i]))) {
            for (size_t j = 0; j < i; j++)
                free(c[j]);
            free(c);
            return NULL;
        }
    return c;
}

static bool copy_make(const struct posture_config *in, struct posture_copy *out)
{
    memset(out, 0, sizeof(*out));
    out->cfg = *in;
    out->table = in->table ? strdup(in->table) : NULL;
    out->azure = copy_list(in->azure, in->n_azure);
    out->sensors = copy_list(in->sensors, in->n_sensors);
    if ((in->table && !out->table) || !out->azure || !out->sensors) {
        out->cfg.n_azure = out->azure ? in->n_azure : 0;
        out->cfg.n_sensors = out->sensors ? in->n_sensors : 0;
        copy_free(out);
        return false;
    }
    out->cfg.table = out->table;
    out->cfg.azure = (const char *const *)out->azure;
    out->cfg.sensors = (const char *const *)out->sensors;
    return true;
}

static void on_path(const char *site, const char *path, bool ok, const char *reason, void *ctx)
{
    app_glue_t *a = ctx;
    a->observe(a->ctx, site, path, ok, reason);
}

/* the engine's lines already begin with "checks: "; its levels (0 error,
 * 1, 2 a failed check, 3 debug: every passing check of every round) map to
 * strongSwan's 1, 1, 2, 3, so that a passing round is not logged at 2 */
static void on_log(int level, const char *msg, void *ctx)
{
    (void)ctx;
    if (level <= 1)
        DBG1(DBG_CFG, "%s", msg);
    else if (level == 2)
        DBG2(DBG_CFG, "%s", msg);
    else
        DBG3(DBG_CFG, "%s", msg);
}

static void *spawn(void *(*fn)(void *), void *arg)
{
    return thread_create(fn, arg);
}

static void join(void *handle)
{
    thread_t *t = handle;
    t->join(t);
}

app_glue_t *app_glue_new(app_observe_fn observe, void *ctx)
{
    app_glue_t *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->observe = observe;
    a->ctx = ctx;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

/* the configuration of m with its credentials; false with err */
static bool build(const struct sm_model *m, const char *file, const char *swanctl,
                  proxy_secrets_t *sec, app_conf_t *ac, char *err, size_t errlen)
{
    char *why = NULL, msg[512];

    memset(sec, 0, sizeof(*sec));
    if (swanctl && !proxy_secrets_load(swanctl, sec, &why)) {
        snprintf(err, errlen, "%s", why ? why : "proxy credentials: cannot be read");
        free(why);
        return false;
    }
    if (!app_conf_build(m, file, sec, ac, err, errlen)) {
        proxy_secrets_free(sec);
        return false;
    }
    if (!checks_check_config(&ac->checks, msg, sizeof(msg))) {
        snprintf(err, errlen, "%s: %s: application checks: %s", file, sm_model_section(m), msg);
    } else if (!posture_check_apply(&ac->posture, msg, sizeof(msg))) {
        snprintf(err, errlen, "%s: tunneld.posture: %s", file, msg);
    } else {
        return true;
    }
    app_conf_free(ac);
    proxy_secrets_free(sec);
    return false;
}

bool app_glue_check(const struct sm_model *m, const char *file, const char *swanctl, char *err,
                    size_t errlen)
{
    proxy_secrets_t sec;
    app_conf_t ac;

    if (!build(m, file, swanctl, &sec, &ac, err, errlen))
        return false;
    app_conf_free(&ac);
    proxy_secrets_free(&sec);
    return true;
}

/* the engine with cfg: started, reloaded, or stopped when cfg has no item */
static bool engine_apply(app_glue_t *a, const struct checks_config *cfg, char *why, size_t len)
{
    struct checks *old = NULL;

    if (a->engine && cfg->n_items)
        return checks_reload(a->engine, cfg, why, len);
    if (!cfg->n_items) {
        pthread_mutex_lock(&a->lock);
        old = a->engine;
        a->engine = NULL;
        pthread_mutex_unlock(&a->lock);
        checks_stop(old);
        return true;
    }
    struct checks_callbacks cb = {
        .on_path = on_path, .log = on_log, .ctx = a, .spawn = spawn, .join = join};
    struct checks *c = checks_start(cfg, &cb, why, len);
    pthread_mutex_lock(&a->lock);
    a->engine = c;
    pthread_mutex_unlock(&a->lock);
    return c != NULL;
}

static const char *table_of(const struct posture_config *c)
{
    return c->table ? c->table : POSTURE_TABLE_DEFAULT;
}

/* the table tunneld enforced before under another name goes: a renamed
 * posture must not leave the old table dropping while status reads the new
 * one (a failure is logged; status then reads only the new name) */
static void drop_renamed(const struct posture_config *before, const struct posture_config *now)
{
    char why[512];

    if (!before->enforce || strcmp(table_of(before), table_of(now)) == 0)
        return;
    if (!posture_remove(table_of(before), why, sizeof(why)))
        DBG1(DBG_CFG, "posture: the table used before stays: %s", why);
    else
        DBG1(DBG_CFG, "posture: table inet %s removed (the posture's table is now %s)",
             table_of(before), table_of(now));
}

/* the posture of cfg into the kernel and into the status copy */
static bool posture_set(app_glue_t *a, const struct posture_config *cfg, const char *file,
                        char *err, size_t errlen)
{
    struct posture_copy next, old;
    char why[512];

    if (!copy_make(cfg, &next)) {
        snprintf(err, errlen, "%s: tunneld.posture: out of memory", file);
        return false;
    }
    if (!posture_apply(cfg, why, sizeof(why))) {
        snprintf(err, errlen, "%s: tunneld.posture: %s", file, why);
        copy_free(&next);
        return false;
    }
    pthread_mutex_lock(&a->lock);
    old = a->posture;
    a->posture = next;
    pthread_mutex_unlock(&a->lock);
    drop_renamed(&old.cfg, cfg);
    copy_free(&old);
    return true;
}

bool app_glue_apply(app_glue_t *a, const struct sm_model *m, const char *file, const char *swanctl,
                    char *err, size_t errlen)
{
    struct posture_copy before;
    proxy_secrets_t sec;
    app_conf_t ac;
    char why[512];
    bool ok;

    if (!build(m, file, swanctl, &sec, &ac, err, errlen))
        return false;
    pthread_mutex_lock(&a->lock);
    ok = copy_make(&a->posture.cfg, &before);
    pthread_mutex_unlock(&a->lock);
    ok = ok && posture_set(a, &ac.posture, file, err, errlen);
    if (ok && !(ok = engine_apply(a, &ac.checks, why, sizeof(why)))) {
        snprintf(err, errlen, "%s: %s: application checks: %s", file, sm_model_section(m), why);
        char ignored[512];
        if (!posture_set(a, &before.cfg, file, ignored, sizeof(ignored)))
            DBG1(DBG_CFG, "posture: the previous posture could not be applied again: %s", ignored);
    }
    copy_free(&before);
    app_conf_free(&ac);
    proxy_secrets_free(&sec);
    return ok;
}

void app_glue_stop(app_glue_t *a, bool flush)
{
    char why[512];

    if (!a)
        return;
    checks_stop(a->engine);
    a->engine = NULL;
    if (flush && a->posture.cfg.enforce && !posture_remove(a->posture.cfg.table, why, sizeof(why)))
        DBG1(DBG_CFG, "posture: %s", why);
    copy_free(&a->posture);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

int app_glue_snapshot(app_glue_t *a, struct checks_snapshot *out)
{
    int r = 0;

    memset(out, 0, sizeof(*out));
    if (!a)
        return 0;
    pthread_mutex_lock(&a->lock);
    if (a->engine)
        r = checks_snapshot(a->engine, out);
    pthread_mutex_unlock(&a->lock);
    return r;
}

enum posture_state app_glue_posture(app_glue_t *a, char *reason, size_t len)
{
    enum posture_state st = POSTURE_OFF;

    if (len)
        reason[0] = '\0';
    if (!a)
        return st;
    pthread_mutex_lock(&a->lock);
    if (a->posture.cfg.enforce)
        st = posture_status(&a->posture.cfg, reason, len);
    pthread_mutex_unlock(&a->lock);
    return st;
}

void app_glue_run_now(app_glue_t *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->lock);
    if (a->engine)
        checks_run_now(a->engine);
    pthread_mutex_unlock(&a->lock);
}
