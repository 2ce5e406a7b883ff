/*
 * paths_json_parse: the paths document read into rows, see paths_json.h.
 * Every member of every object is required (null where the schema allows
 * it); unknown members are skipped, so a later release may add some.
 * Version 1 documents (before issue 10) have no check keys: they read as
 * rows with no groups, no checks, app_ok null and the posture off, which is
 * what a tunneld of that release did. The version is looked up first (a
 * document's members come in any order), then the document is read with
 * the keys that version requires.
 *
 * Threading: pure functions; any thread (tunnelctl's only thread).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_reader.h"
#include "paths_json.h"
#include "paths_parse_util.h"

static const char *const top_keys[] = {"version", "sites", "problems", "posture", "checks"};
enum { T_VERSION, T_SITES, T_PROBLEMS, T_POSTURE, T_CHECKS };
#define TOP_V1 ((1ULL << T_POSTURE) - 1) /* the keys version 1 requires */

static const char *const site_keys[] = {"name",      "fail_mode", "pinned", "active",
                                        "decisions", "paths",     "groups", "checks"};
enum { S_NAME, S_FAIL_MODE, S_PINNED, S_ACTIVE, S_DECISIONS, S_PATHS, S_GROUPS, S_CHECKS };
#define SITE_V1 ((1ULL << S_GROUPS) - 1)

static const char *const event_keys[] = {"time", "text"};

static const char *const path_keys[] = {"name",
                                        "type",
                                        "routing",
                                        "provider",
                                        "dev",
                                        "priority",
                                        "weight",
                                        "state",
                                        "reason",
                                        "eligible",
                                        "active",
                                        "since",
                                        "good_remaining_ms",
                                        "penalty",
                                        "flaps",
                                        "carrier",
                                        "next_hop",
                                        "probe_mark",
                                        "bfd",
                                        "echo",
                                        "sa",
                                        "app_ok",
                                        "app_reason"};
enum {
    P_NAME,
    P_TYPE,
    P_ROUTING,
    P_PROVIDER,
    P_DEV,
    P_PRIORITY,
    P_WEIGHT,
    P_STATE,
    P_REASON,
    P_ELIGIBLE,
    P_ACTIVE,
    P_SINCE,
    P_GOOD,
    P_PENALTY,
    P_FLAPS,
    P_CARRIER,
    P_NEXT_HOP,
    P_MARK,
    P_BFD,
    P_ECHO,
    P_SA,
    P_APP_OK,
    P_APP_REASON
};
#define PATH_V1 ((1ULL << P_APP_OK) - 1)

static const char *const bfd_keys[] = {"remote",
                                       "multihop",
                                       "state",
                                       "local_diag",
                                       "local_diag_name",
                                       "remote_diag",
                                       "remote_diag_name",
                                       "local_discriminator",
                                       "remote_discriminator",
                                       "tx_interval_us",
                                       "rx_interval_us",
                                       "detect_time_us",
                                       "remote_multiplier",
                                       "last_change",
                                       "min_ttl",
                                       "rx_dropped"};
enum {
    B_REMOTE,
    B_MULTIHOP,
    B_STATE,
    B_LDIAG,
    B_LDIAG_NAME,
    B_RDIAG,
    B_RDIAG_NAME,
    B_LDISC,
    B_RDISC,
    B_TX,
    B_RX,
    B_DETECT,
    B_MULT,
    B_LAST_CHANGE,
    B_MIN_TTL,   /* optional */
    B_RX_DROPPED /* optional */
};
#define BFD_REQUIRED ((1ULL << B_MIN_TTL) - 1)

static const char *const echo_keys[] = {"type",     "target",     "valid",
                                        "loss_pct", "rtt_avg_ms", "jitter_ms",
                                        "samples",  "received",   "lost_in_row"};
enum { E_TYPE, E_TARGET, E_VALID, E_LOSS, E_RTT, E_JITTER, E_SAMPLES, E_RECEIVED, E_LOST };

static const char *const sa_keys[] = {"child", "state"};

static const char *state_word(int i)
{
    return paths_state_name((enum hl_path_state)i);
}
static const char *bfd_state_word(int i)
{
    return paths_bfd_state_name((enum hl_bfd_state)i);
}
static const char *type_word(int i)
{
    return paths_type_name((enum paths_type)i);
}
static const char *routing_word(int i)
{
    return paths_routing_name((enum paths_routing)i);
}
static const char *fail_mode_word(int i)
{
    return paths_fail_mode_name((enum paths_fail_mode)i);
}
static const char *echo_type_word(int i)
{
    return paths_echo_type_name((enum paths_echo_type)i);
}
static const char *next_hop_word(int i)
{
    return paths_next_hop_name((enum paths_next_hop)i);
}
static const char *sa_state_word(int i)
{
    return sa_state_name((sa_state_t)i);
}

static bool read_u8(json_reader_t *r, uint64_t max, uint8_t *v)
{
    uint64_t x;

    if (!jr_uint(r, max, &x))
        return false;
    *v = (uint8_t)x;
    return true;
}

/* a number in [min, max], or null (NAN: unknown) */
static bool double_or_null(json_reader_t *r, double min, double max, double *v)
{
    *v = NAN;
    return jr_null(r) || jr_double(r, min, max, v);
}

static bool read_enum(json_reader_t *r, paths_word_fn name, int n, int *v)
{
    return paths_read_word(r, name, n, false, v);
}

static bool read_bfd_member(json_reader_t *r, int k, struct paths_bfd *b, const char **names)
{
    int v;

    switch (k) {
    case B_REMOTE:
        return jr_string_keep(r, &b->remote);
    case B_MULTIHOP:
        return jr_bool(r, &b->multihop);
    case B_STATE:
        if (!read_enum(r, bfd_state_word, HL_BFD_UP + 1, &v))
            return false;
        b->state = (enum hl_bfd_state)v;
        return true;
    case B_LDIAG:
        return read_u8(r, PATHS_DIAG_MAX, &b->local_diag);
    case B_LDIAG_NAME:
        return jr_string_keep(r, &names[0]);
    case B_RDIAG:
        return read_u8(r, PATHS_DIAG_MAX, &b->remote_diag);
    case B_RDIAG_NAME:
        return jr_string_keep(r, &names[1]);
    case B_LDISC:
        return paths_read_u32(r, &b->local_disc);
    case B_RDISC:
        return paths_read_u32(r, &b->remote_disc);
    case B_TX:
        return paths_read_u32(r, &b->tx_interval_us);
    case B_RX:
        return paths_read_u32(r, &b->rx_interval_us);
    case B_DETECT:
        return paths_read_u32(r, &b->detect_time_us);
    case B_MULT:
        return read_u8(r, UINT8_MAX, &b->remote_multiplier);
    case B_MIN_TTL:
        if (!read_u8(r, UINT8_MAX, &b->min_ttl))
            return false;
        return b->min_ttl ? true : jr_fail(r, "expected an integer from 1 to 255, not 0");
    case B_RX_DROPPED:
        b->has_rx_dropped = true;
        return jr_uint(r, UINT64_MAX, &b->rx_dropped);
    default:
        return paths_read_time(r, &b->last_change);
    }
}

/* a diagnostic's name must be the one of its code (never shown unchecked) */
static bool diag_matches(json_reader_t *r, const char *key, unsigned code, const char *name)
{
    const char *want = paths_diag_name(code);

    if (name && want && strcmp(name, want) == 0)
        return true;
    return jr_fail(r, "%s: expected \"%s\" (the name of diagnostic %u)", key, want ? want : "?",
                   code);
}

static bool read_bfd(json_reader_t *r, struct paths_bfd *b)
{
    const char *names[2] = {NULL, NULL};
    int k;

    memset(b, 0, sizeof(*b));
    if (jr_null(r))
        return true;
    if (jr_peek(r) != '{')
        return jr_expected(r, "an object or null");
    b->configured = true;
    if (!jr_object(r, bfd_keys, NKEYS(bfd_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!read_bfd_member(r, k, b, names))
            return false;
    if (jr_failed(r))
        return false;
    /* a missing name is reported by jr_object_end as a missing key */
    if (names[0] && !diag_matches(r, "local_diag_name", b->local_diag, names[0]))
        return false;
    if (names[1] && !diag_matches(r, "remote_diag_name", b->remote_diag, names[1]))
        return false;
    return jr_object_end(r, BFD_REQUIRED);
}

static bool read_echo_member(json_reader_t *r, int k, struct paths_echo *e)
{
    int v;

    switch (k) {
    case E_TYPE:
        if (!read_enum(r, echo_type_word, PATHS_ECHO_MAX, &v))
            return false;
        e->type = (enum paths_echo_type)v;
        return true;
    case E_TARGET:
        return jr_string_keep(r, &e->target);
    case E_VALID:
        return jr_bool(r, &e->valid);
    case E_LOSS:
        return double_or_null(r, 0, 100, &e->loss_pct);
    case E_RTT:
        return double_or_null(r, 0, DBL_MAX, &e->rtt_avg_ms);
    case E_JITTER:
        return double_or_null(r, 0, DBL_MAX, &e->jitter_ms);
    case E_SAMPLES:
        return paths_read_u32(r, &e->samples);
    case E_RECEIVED:
        return paths_read_u32(r, &e->received);
    default:
        return paths_read_u32(r, &e->lost_in_row);
    }
}

static bool read_echo(json_reader_t *r, struct paths_echo *e)
{
    int k;

    memset(e, 0, sizeof(*e));
    if (jr_null(r))
        return true;
    if (jr_peek(r) != '{')
        return jr_expected(r, "an object or null");
    e->configured = true;
    if (!jr_object(r, echo_keys, NKEYS(echo_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!read_echo_member(r, k, e))
            return false;
    return jr_object_end(r, ALL_KEYS(echo_keys));
}

static bool read_sa(json_reader_t *r, struct paths_sa *s)
{
    int k, v;

    memset(s, 0, sizeof(*s));
    if (jr_null(r))
        return true;
    if (jr_peek(r) != '{')
        return jr_expected(r, "an object or null");
    if (!jr_object(r, sa_keys, NKEYS(sa_keys)))
        return false;
    while ((k = jr_member(r)) >= 0) {
        if (k == 0 && !jr_string_keep(r, &s->child))
            return false;
        if (k == 1) {
            if (!paths_read_word(r, sa_state_word, SA_STATE_MAX, true, &v))
                return false;
            s->has_state = v >= 0;
            s->state = v >= 0 ? (sa_state_t)v : SA_STATE_NONE;
        }
    }
    return jr_object_end(r, ALL_KEYS(sa_keys));
}

/* members of a path that are words; false with the error set */
static bool read_path_word(json_reader_t *r, int k, struct paths_path *p)
{
    int v;

    switch (k) {
    case P_TYPE:
        if (!read_enum(r, type_word, PATHS_TYPE_MAX, &v))
            return false;
        p->type = (enum paths_type)v;
        return true;
    case P_ROUTING:
        if (!paths_read_word_or_null(r, routing_word, PATHS_ROUTING_MAX, PATHS_ROUTING_NONE, &v))
            return false;
        p->routing = (enum paths_routing)v;
        return true;
    case P_STATE:
        if (!read_enum(r, state_word, HL_PATH_STATE_MAX, &v))
            return false;
        p->state = (enum hl_path_state)v;
        return true;
    default: /* P_NEXT_HOP */
        if (!paths_read_word_or_null(r, next_hop_word, PATHS_NH_MAX, PATHS_NH_NONE, &v))
            return false;
        p->next_hop = (enum paths_next_hop)v;
        return true;
    }
}

static bool read_path_member(json_reader_t *r, int k, struct paths_path *p)
{
    uint32_t u;

    switch (k) {
    case P_NAME:
        return jr_string_keep(r, &p->name);
    case P_PROVIDER:
        return paths_string_or_null(r, &p->provider);
    case P_DEV:
        return jr_string_keep(r, &p->dev);
    case P_PRIORITY:
    case P_WEIGHT:
        if (!paths_read_u32(r, &u))
            return false;
        *(k == P_PRIORITY ? &p->priority : &p->weight) = u;
        return true;
    case P_REASON:
        return jr_string_keep(r, &p->reason);
    case P_ELIGIBLE:
        return jr_bool(r, &p->eligible);
    case P_ACTIVE:
        return jr_bool(r, &p->active);
    case P_SINCE:
        return paths_read_time(r, &p->since);
    case P_GOOD:
        return jr_uint(r, UINT64_MAX, &p->good_remaining_ms);
    case P_PENALTY:
        return jr_double(r, 0, DBL_MAX, &p->penalty);
    case P_FLAPS:
        return paths_read_u32(r, &p->flaps);
    case P_CARRIER:
        return paths_read_bool_or_null(r, &p->carrier);
    case P_MARK:
        return paths_read_u32(r, &p->probe_mark);
    case P_BFD:
        return read_bfd(r, &p->bfd);
    case P_ECHO:
        return read_echo(r, &p->echo);
    case P_SA:
        return read_sa(r, &p->sa);
    case P_APP_OK:
        return paths_read_bool_or_null(r, &p->app_ok);
    case P_APP_REASON:
        return paths_string_or_null(r, &p->app_reason);
    default:
        return read_path_word(r, k, p);
    }
}

static bool read_path(json_reader_t *r, struct paths_path *p, bool v2)
{
    int k;

    memset(p, 0, sizeof(*p));
    p->app_ok = PATHS_NULL; /* version 1: no checks */
    if (!jr_object(r, path_keys, NKEYS(path_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!read_path_member(r, k, p))
            return false;
    return jr_object_end(r, v2 ? ALL_KEYS(path_keys) : PATH_V1);
}

static bool read_paths(json_reader_t *r, struct paths_site *s, bool v2)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, s->n_paths, sizeof(struct paths_path)))
            break;
        s->paths = arr;
        if (!read_path(r, &s->paths[s->n_paths], v2))
            break;
        s->n_paths++;
    }
    s->paths = arr;
    return !jr_failed(r);
}

static bool read_active(json_reader_t *r, struct paths_site *s)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, s->n_active, sizeof(char *)))
            break;
        s->active = arr;
        if (!jr_string_keep(r, &s->active[s->n_active]))
            break;
        s->n_active++;
    }
    s->active = arr;
    return !jr_failed(r);
}

static bool read_event(json_reader_t *r, struct paths_event *e)
{
    int k;

    memset(e, 0, sizeof(*e));
    if (!jr_object(r, event_keys, NKEYS(event_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!(k == 0 ? paths_read_time(r, &e->time) : jr_string_keep(r, &e->text)))
            return false;
    return jr_object_end(r, ALL_KEYS(event_keys));
}

static bool read_events(json_reader_t *r, struct paths_site *s)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, s->n_events, sizeof(struct paths_event)))
            break;
        s->events = arr;
        if (!read_event(r, &s->events[s->n_events]))
            break;
        s->n_events++;
    }
    s->events = arr;
    return !jr_failed(r);
}

static bool read_site_member(json_reader_t *r, int k, struct paths_site *s, bool v2)
{
    int v;

    switch (k) {
    case S_NAME:
        return jr_string_keep(r, &s->name);
    case S_FAIL_MODE:
        if (!read_enum(r, fail_mode_word, PATHS_FAIL_MAX, &v))
            return false;
        s->fail_mode = (enum paths_fail_mode)v;
        return true;
    case S_PINNED:
        return paths_string_or_null(r, &s->pinned);
    case S_ACTIVE:
        return read_active(r, s);
    case S_DECISIONS:
        return read_events(r, s);
    case S_GROUPS:
        return paths_read_groups(r, s);
    case S_CHECKS:
        return paths_read_checks(r, s);
    default:
        return read_paths(r, s, v2);
    }
}

static void site_free(struct paths_site *s)
{
    free(s->active);
    free(s->events);
    free(s->paths);
    paths_site_checks_free(s);
}

static bool read_site(json_reader_t *r, struct paths_site *s, bool v2)
{
    int k;

    memset(s, 0, sizeof(*s));
    if (!jr_object(r, site_keys, NKEYS(site_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!read_site_member(r, k, s, v2))
            return false;
    return jr_object_end(r, v2 ? ALL_KEYS(site_keys) : SITE_V1);
}

/* doc->n_sites counts complete sites; a partial one is freed here */
static bool read_sites(json_reader_t *r, struct paths_doc *doc, bool v2)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, doc->n_sites, sizeof(struct paths_site)))
            break;
        doc->sites = arr;
        if (!read_site(r, &doc->sites[doc->n_sites], v2)) {
            site_free(&doc->sites[doc->n_sites]);
            break;
        }
        doc->n_sites++;
    }
    doc->sites = arr;
    return !jr_failed(r);
}

/*
 * The document's "version" into *v, when it has one that reads as an integer
 * (even if the rest of the document is broken: the full read says what).
 */
static bool doc_version(const char *text, size_t len, int64_t *v)
{
    static const char *const keys[] = {"version"};
    json_reader_t r;
    bool found = false;

    jr_init(&r, text, len);
    if (jr_object(&r, keys, 1))
        while (jr_member(&r) >= 0 && !found)
            found = jr_int(&r, INT64_MIN, INT64_MAX, v);
    jr_free(&r);
    return found;
}

#define VERSION_ERROR                                                                              \
    "version: expected %d to %d, got %lld (tunneld and tunnelctl of different releases?)"

static bool read_version(json_reader_t *r)
{
    int64_t v;

    if (!jr_int(r, INT64_MIN, INT64_MAX, &v))
        return false;
    if (v < PATHS_JSON_VERSION_MIN || v > PATHS_JSON_VERSION) /* doc_version saw it first */
        return jr_fail(r, "expected %d to %d, got %lld", PATHS_JSON_VERSION_MIN, PATHS_JSON_VERSION,
                       (long long)v);
    return true;
}

/* a version this reader does not know: said before anything else the document gets wrong */
static char *version_error(int64_t v)
{
    int n =
        snprintf(NULL, 0, VERSION_ERROR, PATHS_JSON_VERSION_MIN, PATHS_JSON_VERSION, (long long)v);
    char *e = n > 0 ? malloc((size_t)n + 1) : NULL;

    if (e)
        snprintf(e, (size_t)n + 1, VERSION_ERROR, PATHS_JSON_VERSION_MIN, PATHS_JSON_VERSION,
                 (long long)v);
    return e;
}

static bool read_top_member(json_reader_t *r, int k, struct paths_doc *doc, bool v2)
{
    switch (k) {
    case T_VERSION:
        return read_version(r);
    case T_SITES:
        return read_sites(r, doc, v2);
    case T_PROBLEMS:
        return jr_string_array(r, &doc->problems, &doc->n_problems);
    case T_POSTURE:
        return paths_read_posture(r, &doc->posture);
    default:
        return paths_read_rounds(r, doc);
    }
}

int paths_json_parse(const char *text, size_t len, struct paths_doc *doc, char **err)
{
    json_reader_t r;
    int64_t version = PATHS_JSON_VERSION;
    int k;

    memset(doc, 0, sizeof(*doc));
    *err = NULL;
    /* no readable version: the strictest read (its error says what is wrong) */
    bool found = doc_version(text, len, &version);
    if (found && (version < PATHS_JSON_VERSION_MIN || version > PATHS_JSON_VERSION)) {
        *err = version_error(version);
        return -1;
    }
    bool v2 = version >= 2;
    jr_init(&r, text, len);
    if (jr_object(&r, top_keys, NKEYS(top_keys)))
        while ((k = jr_member(&r)) >= 0)
            if (!read_top_member(&r, k, doc, v2))
                break;
    bool ok = jr_object_end(&r, v2 ? ALL_KEYS(top_keys) : TOP_V1) && jr_end(&r);
    doc->strings = jr_take_arena(&r);
    if (!ok) {
        *err = jr_take_error(&r);
        paths_doc_free(doc);
    }
    jr_free(&r);
    return ok ? 0 : -1;
}

void paths_doc_free(struct paths_doc *doc)
{
    for (size_t i = 0; i < doc->n_sites; i++)
        site_free(&doc->sites[i]);
    free(doc->sites);
    free(doc->problems);
    free(doc->strings);
    memset(doc, 0, sizeof(*doc));
}
