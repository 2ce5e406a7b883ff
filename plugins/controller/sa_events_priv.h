/*
 * sa_events_priv: sa_events' state, shared by sa_events.c (the handlers),
 * sa_events_mem.c (what it remembers per IKE_SA) and sa_events_log.c (log
 * lines and over-long names). Not for other modules.
 *
 * Threading: every helper here expects the caller to hold e->lock.
 */
#ifndef TUNNELD_SA_EVENTS_PRIV_H
#define TUNNELD_SA_EVENTS_PRIV_H

#include <pthread.h>

#include "sa_events.h"

/* what sa_events remembers about one live IKE_SA */
typedef struct {
    uint32_t uid;
    bool retired;            /* rekeyed away, or redundant after a collision */
    bool down;               /* its end was applied to the table */
    sa_reason_t pending;     /* why it may go down (NONE: nothing known) */
    char *pending_detail;    /* text (sa_table.h) */
    sa_reason_t child_fail;  /* why the CHILD_SA being created failed */
    char *child_fail_detail; /* text */
    bool auth_refused;       /* the peer refused our authentication in the last message */
    uint16_t auth_notify;    /* with this error notify (RFC 7296 number) */
    char *auth_notify_name;  /* its name (NULL: unknown, or out of memory) */
    uint32_t *spis;          /* our outbound SPIs named by the peer's last DELETE */
    size_t n_spis;
} ike_mem_t;

/* an over-long name already logged, by its length and hash (names may be huge) */
typedef struct {
    size_t len;
    uint64_t hash;
} refused_t;

struct sa_events {
    sa_table_t *t;
    sa_events_log_fn log;
    void *log_ctx;
    pthread_mutex_t lock;
    ike_mem_t *mem;
    size_t n_mem, cap_mem;
    refused_t *refused; /* over-long names already logged */
    size_t n_refused;
    bool refused_full;
};

/* the memory of IKE_SA uid, NULL if none */
ike_mem_t *mem_find(sa_events_t *e, uint32_t uid);
/* the memory of IKE_SA uid, added if missing; NULL if out of memory */
ike_mem_t *mem_get(sa_events_t *e, uint32_t uid);
/* forgets IKE_SA uid (destroyed) */
void mem_drop(sa_events_t *e, ike_mem_t *m);
bool mem_retired(sa_events_t *e, uint32_t uid);
/* replaces the SPIs of the peer's last DELETE; false if out of memory */
bool mem_set_spis(ike_mem_t *m, const uint32_t *spis, size_t n);
/* true (and forgets it) if the peer's last DELETE named spi */
bool mem_take_spi(ike_mem_t *m, uint32_t spi);
/* the peer refused our authentication with notify (name may be NULL), or (refused false)
 * nothing is known about it */
void mem_set_auth_refused(ike_mem_t *m, bool refused, uint16_t notify, const char *name);
void mem_free_all(sa_events_t *e);

/* one log line, as long as it needs to be */
void say(sa_events_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "connection 'c'" or "connection 'c' child 'n'", bytes that are not
 * printable ASCII escaped as \xNN; free it (NULL if out of memory) */
char *who(const char *conn, const char *child);
/* s escaped as in who(); free it */
char *escape(const char *s);
/* a detail text of its own size (free it); NULL (logged) if out of memory */
char *detail_fmt(sa_events_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* *dst (a text of sa_events' own) becomes src; a copy that fails is logged */
void keep_detail(sa_events_t *e, char **dst, const char *src);
/* logs the texts the table could not store since the last call, if any */
void report_lost(sa_events_t *e);
/* true if the names can be rows; logs a refusal once per name */
bool names_fit(sa_events_t *e, const char *conn, const char *child);
void refused_free(sa_events_t *e);

#endif
