/*
 * sa_rec: the text fields of the SA records (see "Texts" in sa_table.h):
 * setting, deep copies and freeing of owned records.
 *
 * Threading: pure functions over the records given; the caller makes sure
 * nobody else uses them meanwhile (the table holds its mutex).
 */
#include <stdlib.h>
#include <string.h>

#include "sa_table.h"

/* the text fields of each record, for loops over all of them */
#define CHILD_TEXTS(c)                                                                             \
    {                                                                                              \
        &(c)->local_ts, &(c)->remote_ts, &(c)->proposal, &(c)->last_down_detail                    \
    }
#define IKE_TEXTS(r)                                                                               \
    {                                                                                              \
        &(r)->local_addr, &(r)->remote_addr, &(r)->local_id, &(r)->remote_id, &(r)->proposal,      \
            &(r)->last_down_detail                                                                 \
    }
#define N_TEXTS(a) (sizeof(a) / sizeof((a)[0]))

bool sa_text_set(char **dst, const char *src)
{
    if (!src || !*src) {
        free(*dst);
        *dst = NULL;
        return true;
    }
    if (*dst && strcmp(*dst, src) == 0)
        return true;
    char *copy = strdup(src);
    free(*dst);
    *dst = copy;
    return copy != NULL;
}

static void texts_free(char **const *texts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(*texts[i]);
        *texts[i] = NULL;
    }
}

/* each text of a shallow copy becomes its own copy; false (none kept) if out of memory */
static bool texts_dup(char **const *texts, size_t n)
{
    bool ok = true;

    for (size_t i = 0; i < n; i++) {
        const char *src = *texts[i];
        *texts[i] = NULL;
        if (ok && src)
            ok = sa_text_set(texts[i], src);
    }
    if (!ok)
        texts_free(texts, n);
    return ok;
}

void sa_child_rec_clear(sa_child_rec_t *c)
{
    char **texts[] = CHILD_TEXTS(c);

    texts_free(texts, N_TEXTS(texts));
}

void sa_ike_rec_clear(sa_ike_rec_t *r)
{
    char **texts[] = IKE_TEXTS(r);

    texts_free(texts, N_TEXTS(texts));
    for (size_t i = 0; r->children && i < r->n_children; i++)
        sa_child_rec_clear(&r->children[i]);
    free(r->children);
    r->children = NULL;
    r->n_children = 0;
}

bool sa_child_rec_copy(sa_child_rec_t *dst, const sa_child_rec_t *src)
{
    char **texts[] = CHILD_TEXTS(dst);

    *dst = *src;
    return texts_dup(texts, N_TEXTS(texts));
}

bool sa_ike_rec_copy(sa_ike_rec_t *dst, const sa_ike_rec_t *src)
{
    char **texts[] = IKE_TEXTS(dst);

    *dst = *src;
    dst->children = NULL;
    dst->n_children = 0;
    if (!texts_dup(texts, N_TEXTS(texts)))
        return false;
    if (!src->n_children)
        return true;
    dst->children = calloc(src->n_children, sizeof(*dst->children));
    if (!dst->children) {
        sa_ike_rec_clear(dst);
        return false;
    }
    for (size_t i = 0; i < src->n_children; i++) {
        if (!sa_child_rec_copy(&dst->children[i], &src->children[i])) {
            sa_ike_rec_clear(dst); /* the copies made so far */
            return false;
        }
        dst->n_children = i + 1;
    }
    return true;
}
