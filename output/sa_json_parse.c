/*
 * sa_json_parse: the SA document (docs/schema/sa.schema.json) into rows,
 * checked against the schema as it is read (see sa_json.h).
 * Threading: pure functions; any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_reader.h"
#include "sa_json.h"

#define NKEYS(a)     (sizeof(a) / sizeof((a)[0]))
#define ALL_KEYS(a)  ((1ULL << NKEYS(a)) - 1)
#define U32_MAX      0xffffffffULL
#define TIME_MAX_VAL INT64_MAX

static const char *const top_keys[] = {"version", "sas"};
enum { T_VERSION, T_SAS };

static const char *const down_keys[] = {"reason", "detail", "time"};
enum { D_REASON, D_DETAIL, D_TIME };

static const char *const ike_keys[] = {"name",        "state",    "unique_id", "local_addr",
                                       "remote_addr", "local_id", "remote_id", "proposal",
                                       "established", "rekeys",   "last_down", "children"};
enum {
    I_NAME,
    I_STATE,
    I_UID,
    I_LADDR,
    I_RADDR,
    I_LID,
    I_RID,
    I_PROPOSAL,
    I_ESTABLISHED,
    I_REKEYS,
    I_DOWN,
    I_CHILDREN
};

static const char *const child_keys[] = {
    "name",   "state",    "unique_id", "reqid",      "if_id_in",    "if_id_out",
    "spi_in", "spi_out",  "local_ts",  "remote_ts",  "proposal",    "established",
    "rekeys", "bytes_in", "bytes_out", "packets_in", "packets_out", "last_down"};
enum {
    C_NAME,
    C_STATE,
    C_UID,
    C_REQID,
    C_IF_IN,
    C_IF_OUT,
    C_SPI_IN,
    C_SPI_OUT,
    C_LTS,
    C_RTS,
    C_PROPOSAL,
    C_ESTABLISHED,
    C_REKEYS,
    C_BYTES_IN,
    C_BYTES_OUT,
    C_PACKETS_IN,
    C_PACKETS_OUT,
    C_DOWN
};

/* "expected one of: a, b, c" over names[first..n) */
static bool bad_enum(json_reader_t *r, const char *(*name)(int), int first, int n)
{
    char list[512] = "";
    size_t len = 0;

    for (int i = first; i < n && len < sizeof(list); i++)
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i > first ? ", " : "",
                                name(i) ? name(i) : "?");
    return jr_fail(r, "expected one of: %s", list);
}

static const char *state_name(int i)
{
    return sa_state_name((sa_state_t)i);
}

static const char *reason_name(int i)
{
    return sa_reason_name((sa_reason_t)i);
}

/* a string that must equal name(i) for some i in [first, n) */
static bool read_enum(json_reader_t *r, const char *(*name)(int), int first, int n, int *out)
{
    const char *s;
    size_t len;

    if (!jr_string(r, &s, &len))
        return false;
    for (int i = first; i < n; i++)
        if (name(i) && strlen(name(i)) == len && memcmp(name(i), s, len) == 0) {
            *out = i;
            return true;
        }
    return bad_enum(r, name, first, n);
}

static bool read_u32(json_reader_t *r, uint32_t *v)
{
    uint64_t x;

    if (!jr_uint(r, U32_MAX, &x))
        return false;
    *v = (uint32_t)x;
    return true;
}

static bool read_time(json_reader_t *r, time_t *v)
{
    int64_t x;

    if (!jr_int(r, 0, TIME_MAX_VAL, &x))
        return false;
    *v = (time_t)x;
    return true;
}

/* "^[0-9a-f]{8}$" */
static bool read_spi(json_reader_t *r, uint32_t *v)
{
    const char *s;
    size_t len;

    if (!jr_string(r, &s, &len))
        return false;
    if (len != 8 || strspn(s, "0123456789abcdef") != 8)
        return jr_fail(r, "expected 8 lowercase hex digits");
    *v = (uint32_t)strtoul(s, NULL, 16);
    return true;
}

/* null, or {"reason", "detail", "time"} */
static bool read_down(json_reader_t *r, sa_reason_t *reason, char **detail, time_t *when)
{
    int k, v = SA_REASON_NONE;

    *reason = SA_REASON_NONE;
    if (jr_null(r))
        return true;
    if (jr_peek(r) != '{')
        return jr_expected(r, "an object or null");
    if (!jr_object(r, down_keys, NKEYS(down_keys)))
        return false;
    while ((k = jr_member(r)) >= 0) {
        bool ok = k == D_REASON   ? read_enum(r, reason_name, 1, SA_REASON_MAX, &v)
                  : k == D_DETAIL ? jr_string_dup(r, detail)
                                  : read_time(r, when);
        if (!ok)
            return false;
    }
    *reason = (sa_reason_t)v;
    return jr_object_end(r, ALL_KEYS(down_keys));
}

static bool read_child_counter(json_reader_t *r, int k, sa_child_rec_t *c)
{
    uint64_t *dst = k == C_BYTES_IN     ? &c->counters.bytes_in
                    : k == C_BYTES_OUT  ? &c->counters.bytes_out
                    : k == C_PACKETS_IN ? &c->counters.packets_in
                                        : &c->counters.packets_out;
    return jr_uint(r, UINT64_MAX, dst);
}

static bool read_child_member(json_reader_t *r, int k, sa_child_rec_t *c)
{
    int st;

    switch (k) {
    case C_NAME:
        return jr_string_into(r, c->name, sizeof(c->name));
    case C_STATE:
        if (!read_enum(r, state_name, 0, SA_STATE_MAX, &st))
            return false;
        c->state = (sa_state_t)st;
        return true;
    case C_UID:
        return read_u32(r, &c->unique_id);
    case C_REQID:
        return read_u32(r, &c->reqid);
    case C_IF_IN:
        return read_u32(r, &c->if_id_in);
    case C_IF_OUT:
        return read_u32(r, &c->if_id_out);
    case C_SPI_IN:
        return read_spi(r, &c->spi_in);
    case C_SPI_OUT:
        return read_spi(r, &c->spi_out);
    case C_LTS:
        return jr_string_dup(r, &c->local_ts);
    case C_RTS:
        return jr_string_dup(r, &c->remote_ts);
    case C_PROPOSAL:
        return jr_string_dup(r, &c->proposal);
    case C_ESTABLISHED:
        return read_time(r, &c->established);
    case C_REKEYS:
        return read_u32(r, &c->rekeys);
    case C_DOWN:
        return read_down(r, &c->last_down, &c->last_down_detail, &c->last_down_time);
    default:
        return read_child_counter(r, k, c);
    }
}

static bool read_child(json_reader_t *r, sa_child_rec_t *c)
{
    int k;

    memset(c, 0, sizeof(*c));
    if (!jr_object(r, child_keys, NKEYS(child_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!read_child_member(r, k, c))
            return false;
    return jr_object_end(r, ALL_KEYS(child_keys));
}

/*
 * children: each element is allocated only after the previous one is whole;
 * the texts of one that fails are freed here (ike owns the whole ones)
 */
static bool read_children(json_reader_t *r, sa_ike_rec_t *ike)
{
    size_t cap = 0;
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, &cap, ike->n_children, sizeof(sa_child_rec_t)))
            break;
        ike->children = arr;
        if (!read_child(r, &ike->children[ike->n_children])) {
            sa_child_rec_clear(&ike->children[ike->n_children]);
            break;
        }
        ike->n_children++;
    }
    ike->children = arr;
    return !jr_failed(r);
}

static bool read_ike_member(json_reader_t *r, int k, sa_ike_rec_t *o)
{
    int st;

    switch (k) {
    case I_NAME:
        return jr_string_into(r, o->name, sizeof(o->name));
    case I_STATE:
        if (!read_enum(r, state_name, 0, SA_STATE_MAX, &st))
            return false;
        o->state = (sa_state_t)st;
        return true;
    case I_UID:
        return read_u32(r, &o->unique_id);
    case I_LADDR:
        return jr_string_dup(r, &o->local_addr);
    case I_RADDR:
        return jr_string_dup(r, &o->remote_addr);
    case I_LID:
        return jr_string_dup(r, &o->local_id);
    case I_RID:
        return jr_string_dup(r, &o->remote_id);
    case I_PROPOSAL:
        return jr_string_dup(r, &o->proposal);
    case I_ESTABLISHED:
        return read_time(r, &o->established);
    case I_REKEYS:
        return read_u32(r, &o->rekeys);
    case I_DOWN:
        return read_down(r, &o->last_down, &o->last_down_detail, &o->last_down_time);
    default:
        return read_children(r, o);
    }
}

static bool read_ike(json_reader_t *r, sa_ike_rec_t *o)
{
    int k;

    memset(o, 0, sizeof(*o));
    if (!jr_object(r, ike_keys, NKEYS(ike_keys)))
        return false;
    while ((k = jr_member(r)) >= 0)
        if (!read_ike_member(r, k, o))
            return false;
    return jr_object_end(r, ALL_KEYS(ike_keys));
}

/* *n counts the complete rows: only they own children on failure */
static bool read_sas(json_reader_t *r, sa_ike_rec_t **rows, size_t *n, size_t *cap)
{
    void *arr = NULL;

    if (!jr_array(r))
        return false;
    while (jr_element(r)) {
        if (!jr_reserve(r, &arr, cap, *n, sizeof(sa_ike_rec_t)))
            break;
        *rows = arr;
        if (!read_ike(r, &(*rows)[*n])) {
            sa_ike_rec_clear(&(*rows)[*n]); /* the incomplete row's texts and children */
            break;
        }
        (*n)++;
    }
    *rows = arr;
    return !jr_failed(r);
}

long sa_json_parse_text(const char *text, size_t len, sa_ike_rec_t **out, char **err)
{
    json_reader_t r;
    sa_ike_rec_t *rows = NULL;
    size_t n = 0, cap = 0;
    int k;

    *out = NULL;
    *err = NULL;
    jr_init(&r, text, len);
    if (jr_object(&r, top_keys, NKEYS(top_keys)))
        while ((k = jr_member(&r)) >= 0)
            if (!(k == T_VERSION ? jr_version(&r, SA_JSON_VERSION) : read_sas(&r, &rows, &n, &cap)))
                break;
    if (jr_object_end(&r, ALL_KEYS(top_keys)) && jr_end(&r)) {
        jr_free(&r);
        *out = rows;
        return (long)n;
    }
    *err = jr_take_error(&r);
    jr_free(&r);
    sa_table_snapshot_free(rows, n);
    return -1;
}

long sa_json_parse(json_object *doc, sa_ike_rec_t **rows)
{
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
    char *err = NULL;
    long n = sa_json_parse_text(text, strlen(text), rows, &err);

    free(err);
    return n;
}
