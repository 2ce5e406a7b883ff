/*
 * history: a bounded ring of decision texts per site (see decide.h). Texts
 * are kept whole (heap copies); the oldest entry goes when the ring is full;
 * an entry that cannot be stored for want of memory is counted as lost.
 *
 * Threading: none; the caller serialises (the health thread writes; readers
 * take the runtime's lock or a copy).
 */
#include "decide.h"

#include <stdlib.h>
#include <string.h>

struct hl_history_item {
    hl_time_t at;
    int64_t wall;
    char *text;
};

struct hl_history {
    struct hl_history_item *items;
    size_t cap, head, count; /* head: index of the oldest */
    uint64_t lost;
};

struct hl_history *hl_history_new(size_t capacity)
{
    if (capacity == 0)
        return NULL;
    struct hl_history *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->items = calloc(capacity, sizeof(*h->items));
    if (!h->items) {
        free(h);
        return NULL;
    }
    h->cap = capacity;
    return h;
}

void hl_history_free(struct hl_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->cap; i++)
        free(h->items[i].text);
    free(h->items);
    free(h);
}

void hl_history_add(struct hl_history *h, hl_time_t at, int64_t wall, const char *text)
{
    if (!h)
        return;
    char *copy = strdup(text ? text : "");
    if (!copy) {
        h->lost++;
        return;
    }
    size_t slot;
    if (h->count == h->cap) {
        slot = h->head;
        h->head = (h->head + 1) % h->cap;
        free(h->items[slot].text);
    } else {
        slot = (h->head + h->count) % h->cap;
        h->count++;
    }
    h->items[slot] = (struct hl_history_item){at, wall, copy};
}

size_t hl_history_count(const struct hl_history *h)
{
    return h ? h->count : 0;
}

const char *hl_history_nth(const struct hl_history *h, size_t i, hl_time_t *at, int64_t *wall)
{
    if (!h || i >= h->count)
        return NULL;
    const struct hl_history_item *it = &h->items[(h->head + i) % h->cap];
    if (at)
        *at = it->at;
    if (wall)
        *wall = it->wall;
    return it->text;
}

uint64_t hl_history_lost(const struct hl_history *h)
{
    return h ? h->lost : 0;
}

size_t hl_history_get(const struct hl_history *h, struct hl_history_entry *out, size_t max)
{
    size_t n = hl_history_count(h), first = n > max ? n - max : 0;
    for (size_t i = first; i < n; i++) {
        struct hl_history_entry *e = &out[i - first];
        const char *text = hl_history_nth(h, i, &e->at, &e->wall);
        size_t len = strlen(text);
        if (len >= sizeof(e->text)) {
            /* decide's texts fit (HL_EVENT_TEXT_MAX); others are cut visibly */
            len = sizeof(e->text) - 7;
            memcpy(e->text + len, " [...]", 7);
        } else {
            e->text[len] = '\0';
        }
        memcpy(e->text, text, len);
    }
    return n - first;
}
