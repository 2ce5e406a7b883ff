/*
 * sa_events_mem: what sa_events remembers per live IKE_SA (see
 * sa_events_priv.h). An entry is made when something needs remembering and
 * dropped when charon destroys the IKE_SA, so memory follows the live SAs;
 * the SPI list is as long as the peer's DELETE and kept until the next
 * message of that IKE_SA, as is the notify refusing our authentication.
 *
 * Threading: callers hold sa_events' mutex.
 */
#include "sa_events_priv.h"

#include <stdlib.h>
#include <string.h>

ike_mem_t *mem_find(sa_events_t *e, uint32_t uid)
{
    for (size_t i = 0; i < e->n_mem; i++)
        if (e->mem[i].uid == uid)
            return &e->mem[i];
    return NULL;
}

ike_mem_t *mem_get(sa_events_t *e, uint32_t uid)
{
    ike_mem_t *m = mem_find(e, uid);
    if (m)
        return m;
    if (e->n_mem == e->cap_mem) {
        size_t cap = e->cap_mem ? e->cap_mem * 2 : 8;
        ike_mem_t *mem = realloc(e->mem, cap * sizeof(*mem));
        if (!mem)
            return NULL;
        e->mem = mem;
        e->cap_mem = cap;
    }
    m = &e->mem[e->n_mem++];
    memset(m, 0, sizeof(*m));
    m->uid = uid;
    return m;
}

/* what an entry owns */
static void mem_free(ike_mem_t *m)
{
    free(m->spis);
    free(m->pending_detail);
    free(m->child_fail_detail);
    free(m->auth_notify_name);
}

void mem_drop(sa_events_t *e, ike_mem_t *m)
{
    mem_free(m);
    *m = e->mem[--e->n_mem];
}

bool mem_retired(sa_events_t *e, uint32_t uid)
{
    ike_mem_t *m = mem_find(e, uid);
    return m && m->retired;
}

bool mem_set_spis(ike_mem_t *m, const uint32_t *spis, size_t n)
{
    uint32_t *copy = NULL;

    if (n) {
        copy = malloc(n * sizeof(*copy));
        if (!copy)
            return false;
        memcpy(copy, spis, n * sizeof(*copy));
    }
    free(m->spis);
    m->spis = copy;
    m->n_spis = n;
    return true;
}

bool mem_take_spi(ike_mem_t *m, uint32_t spi)
{
    for (size_t i = 0; spi && i < m->n_spis; i++) {
        if (m->spis[i] == spi) {
            m->spis[i] = m->spis[--m->n_spis];
            return true;
        }
    }
    return false;
}

void mem_set_auth_refused(ike_mem_t *m, bool refused, uint16_t notify, const char *name)
{
    free(m->auth_notify_name);
    m->auth_refused = refused;
    m->auth_notify = notify;
    /* without its name (out of memory) the notify is still told by number */
    m->auth_notify_name = refused && name ? strdup(name) : NULL;
}

void mem_free_all(sa_events_t *e)
{
    for (size_t i = 0; i < e->n_mem; i++)
        mem_free(&e->mem[i]);
    free(e->mem);
    e->mem = NULL;
    e->n_mem = e->cap_mem = 0;
}
