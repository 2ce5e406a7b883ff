/*
 * errors.c - the error list of struct routes_result and errno wording.
 *
 * Threading: operates on a caller-owned result; any thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int rt_result_add(struct routes_result *res, const char *site, const char *path,
                  const struct rt_prefix *pfx, int code, const char *fmt, ...)
{
    struct routes_error *e, *n;
    va_list ap;
    if (!res)
        return 0;
    n = realloc(res->errors, (res->n_errors + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    res->errors = n;
    e = &n[res->n_errors++];
    memset(e, 0, sizeof(*e));
    snprintf(e->site, sizeof(e->site), "%s", site ? site : "");
    snprintf(e->path, sizeof(e->path), "%s", path ? path : "");
    if (pfx)
        rt_prefix_format(pfx, e->prefix, sizeof(e->prefix));
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return 0;
}

void rt_result_merge(struct routes_result *dst, struct routes_result *src)
{
    if (!dst) {
        routes_result_free(src);
        return;
    }
    dst->messages += src->messages;
    dst->nexthops_added += src->nexthops_added;
    dst->groups_changed += src->groups_changed;
    dst->nexthops_deleted += src->nexthops_deleted;
    dst->routes_set += src->routes_set;
    dst->routes_deleted += src->routes_deleted;
    for (size_t i = 0; i < src->n_errors; i++) {
        struct routes_error *n = realloc(dst->errors, (dst->n_errors + 1) * sizeof(*n));
        if (!n)
            break;
        dst->errors = n;
        dst->errors[dst->n_errors++] = src->errors[i];
    }
    free(src->errors);
    memset(src, 0, sizeof(*src));
}

void rt_problems_set(struct routes_result *dst, const struct routes_result *src)
{
    struct routes_error *copy = NULL;

    if (src->n_errors) {
        copy = malloc(src->n_errors * sizeof(*copy));
        if (!copy)
            return; /* keeps the previous list: stale, not lost */
        memcpy(copy, src->errors, src->n_errors * sizeof(*copy));
    }
    free(dst->errors);
    memset(dst, 0, sizeof(*dst));
    dst->errors = copy;
    dst->n_errors = src->n_errors;
}

void routes_result_free(struct routes_result *res)
{
    if (!res)
        return;
    free(res->errors);
    memset(res, 0, sizeof(*res));
}

const char *rt_strerror(int negerr)
{
    return strerror(negerr < 0 ? -negerr : negerr);
}

const char *routes_event_name(enum routes_event_type type)
{
    switch (type) {
    case ROUTES_EVENT_PATH_DOWN:
        return "path-down";
    case ROUTES_EVENT_PATH_UP:
        return "path-up";
    case ROUTES_EVENT_REPAIRED:
        return "repaired";
    case ROUTES_EVENT_RESYNC:
        return "resync";
    }
    return "unknown";
}

const char *routes_cause_name(enum routes_path_cause cause)
{
    switch (cause) {
    case ROUTES_CAUSE_NONE:
        return "none";
    case ROUTES_CAUSE_LINK:
        return "link";
    case ROUTES_CAUSE_NEIGHBOUR:
        return "neighbour";
    case ROUTES_CAUSE_HEALTH:
        return "health";
    }
    return "unknown";
}
