/* proxy_secrets: see proxy_secrets.h (threading there). */
#include "proxy_secrets.h"

#include <stdlib.h>
#include <string.h>

#include "conf_tree.h"
#include "conf_value.h"
#include "site_model.h"

static void wipe_free(char *s)
{
    if (s)
        memwipe(s, strlen(s));
    free(s);
}

/* one proxy secret of the tree into out (password: the decoded secret, no NUL in it) */
static bool copy_one(const conf_secret_t *in, proxy_secret_t *out)
{
    out->name = strdup(in->name + strlen(CONF_PROXY_PREFIX));
    out->user = strdup(in->user);
    out->password = malloc(in->data.len + 1);
    if (!out->name || !out->user || !out->password)
        return false;
    memcpy(out->password, in->data.ptr, in->data.len);
    out->password[in->data.len] = '\0';
    return true;
}

static size_t count_proxy(const conf_tree_t *t)
{
    size_t n = 0;

    for (size_t i = 0; i < t->n_secrets; i++)
        n += streq(t->secrets[i].type, CONF_SECRET_PROXY);
    return n;
}

bool proxy_secrets_load(const char *swanctl_path, proxy_secrets_t *out, char **err)
{
    conf_tree_t *t;
    bool ok;

    memset(out, 0, sizeof(*out));
    t = conf_tree_read(swanctl_path, err);
    if (!t)
        return false;
    out->v = calloc(count_proxy(t) + 1, sizeof(*out->v));
    ok = out->v != NULL;
    for (size_t i = 0; ok && i < t->n_secrets; i++)
        if (streq(t->secrets[i].type, CONF_SECRET_PROXY))
            ok = copy_one(&t->secrets[i], &out->v[out->n++]);
    if (!ok) {
        proxy_secrets_free(out);
        conf_err(err, "%s: out of memory reading the proxy secrets", swanctl_path);
        conf_tree_free(t);
        return false;
    }
    conf_tree_free(t);
    return true;
}

const proxy_secret_t *proxy_secrets_find(const proxy_secrets_t *s, const char *name)
{
    for (size_t i = 0; s && name && i < s->n; i++)
        if (streq(s->v[i].name, name))
            return &s->v[i];
    return NULL;
}

void proxy_secrets_free(proxy_secrets_t *s)
{
    for (size_t i = 0; s->v && i < s->n; i++) {
        free(s->v[i].name);
        wipe_free(s->v[i].user);
        wipe_free(s->v[i].password);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

bool proxy_secrets_check_model(const proxy_secrets_t *s, const struct sm_model *m,
                               const char *settings_file, const char *swanctl_path, char **err)
{
    for (size_t i = 0; i < m->n_sites; i++)
        for (size_t k = 0; k < m->sites[i].n_groups; k++) {
            const struct sm_group *g = &m->sites[i].groups[k];
            if (!g->credentials || proxy_secrets_find(s, g->credentials))
                continue;
            conf_err(err,
                     "%s: %s.%s.sensors.%s.credentials: no secrets.%s%s in %s (expected a "
                     "section secrets { %s%s { user = ..., secret = ... } } there)",
                     settings_file, sm_model_section(m), m->sites[i].name, g->name,
                     CONF_PROXY_PREFIX, g->credentials, swanctl_path, CONF_PROXY_PREFIX,
                     g->credentials);
            return false;
        }
    return true;
}
