/* preflight: see preflight.h. */
#include "preflight.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <library.h>

#include "paths.h"
#include "preflight_check.h"
#include "preflight_mss.h"
#include "site_model.h"

static struct {
    pthread_mutex_t lock;
    bool have;          /* apply ran: in holds its inputs */
    struct pf_input in; /* as the last apply read them */
    char *installed;    /* the table as listed right after installing it */
    char *install_err;  /* why it could not be installed */
    bool flush;         /* remove the table at stop */
    size_t problems;    /* found by the last run */
} st = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* the families to forward and the devices, from the sites */
static void load_sites(const char *file, struct pf_input *in, struct pf_report *r)
{
    struct sm_model m;
    char err[PATHS_ERR_MAX], role[PF_ROLE_MAX];

    if (sm_model_load(lib->settings, file, &m, err, sizeof(err)) != 0) {
        pf_report_add(r, "sites", "tunneld.sites", NULL, false,
                      "the sites cannot be read (%s): only IPv4 forwarding is checked", err);
        in->v4 = true;
        return;
    }
    for (size_t i = 0; i < m.n_sites; i++) {
        const struct sm_site *s = &m.sites[i];
        for (size_t j = 0; j < s->n_prefixes; j++) {
            if (strchr(s->prefixes[j], ':'))
                in->v6 = true;
            else
                in->v4 = true;
        }
        for (size_t j = 0; j < s->n_paths; j++) {
            if (strlen(s->paths[j].dev) >= IFNAMSIZ) { /* refused by the routes' checks */
                pf_report_add(r, "rp_filter", "tunneld.sites", NULL, false,
                              "site %s path %s: dev is longer than an interface name: not checked",
                              s->name, s->paths[j].name);
                continue;
            }
            snprintf(role, sizeof(role), "path %s of site %s", s->paths[j].name, s->name);
            if (!pf_input_add_dev(in, s->paths[j].dev, role))
                r->oom = true;
        }
    }
    if (!m.n_sites)
        in->v4 = true; /* a gateway without routed sites still forwards IPv4 */
    sm_model_free(&m);
}

static void load_inputs(const daemon_conf_t *dc, const char *file, struct pf_input *in,
                        struct pf_report *r)
{
    char role[PF_ROLE_MAX];

    memset(in, 0, sizeof(*in));
    in->mss_table = PF_MSS_TABLE;
    load_sites(file, in, r);
    if (dc->kind != DATAPLANE_XFRM)
        return;
    for (size_t i = 0; i < dc->n_ifs; i++) {
        snprintf(role, sizeof(role), "XFRM interface, if_id %u", dc->ifs[i].if_id);
        if (!pf_input_add_dev(in, dc->ifs[i].name, role))
            r->oom = true;
        if (!dc->ifs[i].mss)
            continue;
        struct pf_mss *grown = realloc(in->mss, (in->n_mss + 1) * sizeof(*grown));
        if (!grown) {
            r->oom = true;
            continue;
        }
        in->mss = grown;
        snprintf(grown[in->n_mss].name, sizeof(grown->name), "%s", dc->ifs[i].name);
        grown[in->n_mss++].mss = dc->ifs[i].mss;
    }
}

void preflight_check_only(const daemon_conf_t *dc, const char *file, FILE *out)
{
    struct pf_input in;
    struct pf_report r = {0};

    load_inputs(dc, file, &in, &r);
    pf_check_sysctls(&in, pf_read_proc, NULL, &r);
    for (size_t i = 0; i < r.n_items; i++)
        fprintf(out, "tunneld: warning: preflight: %s%s%s\n", r.items[i].text,
                r.items[i].fix ? "; fix: " : "", r.items[i].fix ? r.items[i].fix : "");
    if (r.oom)
        fprintf(out, "tunneld: warning: preflight: out of memory, not every check was made\n");
    pf_report_free(&r);
    pf_input_free(&in);
}

/* the checks on st.in (lock held) */
static void run_locked(struct pf_report *r)
{
    char *listed = NULL;
    char err[PATHS_ERR_MAX] = "";

    pf_check_sysctls(&st.in, pf_read_proc, NULL, r);
    if (st.in.n_mss && st.installed)
        pf_mss_list(st.in.mss_table, &listed, err, sizeof(err));
    pf_check_mss(&st.in, listed, err, st.installed, st.install_err, r);
    free(listed);
    st.problems = r->n_problems;
}

void preflight_apply(const daemon_conf_t *dc, const char *file, bool flush_cli)
{
    struct pf_report r = {0};
    char err[PATHS_ERR_MAX];

    pthread_mutex_lock(&st.lock);
    pf_input_free(&st.in);
    free(st.installed);
    free(st.install_err);
    st.installed = st.install_err = NULL;
    load_inputs(dc, file, &st.in, &r);
    st.have = true;
    st.flush =
        flush_cli || lib->settings->get_bool(lib->settings, "tunneld.routes.flush_on_exit", FALSE);
    /* no clamp wanted: a table left by an earlier run is removed, quietly */
    if (!pf_mss_apply(st.in.mss_table, st.in.mss, st.in.n_mss, &st.installed, err, sizeof(err)) &&
        st.in.n_mss) {
        DBG1(DBG_DMN, "preflight: %s", err);
        st.install_err = strdup(err);
        free(st.installed);
        st.installed = NULL;
    } else if (st.in.n_mss) {
        DBG1(DBG_DMN, "preflight: TCP MSS clamp in table inet %s on %zu XFRM interface%s",
             st.in.mss_table, st.in.n_mss, st.in.n_mss == 1 ? "" : "s");
    }
    run_locked(&r);
    pthread_mutex_unlock(&st.lock);
    for (size_t i = 0; i < r.n_items; i++)
        DBG1(DBG_DMN, "preflight: %s: %s%s%s", r.items[i].problem ? "problem" : "note",
             r.items[i].text, r.items[i].fix ? "; fix: " : "",
             r.items[i].fix ? r.items[i].fix : "");
    DBG1(DBG_DMN, "preflight: %zu problem%s%s", r.n_problems, r.n_problems == 1 ? "" : "s",
         r.oom ? " (out of memory: not every check was made)" : "");
    pf_report_free(&r);
}

void preflight_stop(void)
{
    char err[PATHS_ERR_MAX];

    pthread_mutex_lock(&st.lock);
    if (st.have && st.flush && st.in.n_mss &&
        !pf_mss_apply(st.in.mss_table, NULL, 0, NULL, err, sizeof(err)))
        DBG1(DBG_DMN, "preflight: %s", err);
    pf_input_free(&st.in);
    free(st.installed);
    free(st.install_err);
    st.installed = st.install_err = NULL;
    st.have = false;
    pthread_mutex_unlock(&st.lock);
}

static json_object *cmd_preflight(void *ctx)
{
    struct pf_report r = {0};
    json_object *doc = NULL;

    (void)ctx;
    pthread_mutex_lock(&st.lock);
    if (st.have) {
        run_locked(&r);
        doc = pf_report_json(&st.in, &r);
    }
    pthread_mutex_unlock(&st.lock);
    pf_report_free(&r);
    return doc;
}

bool preflight_register(ctl_server_t *ctl)
{
    return ctl_server_add_command(ctl, "preflight", cmd_preflight, NULL);
}

size_t preflight_problems(void)
{
    pthread_mutex_lock(&st.lock);
    size_t n = st.problems;
    pthread_mutex_unlock(&st.lock);
    return n;
}
