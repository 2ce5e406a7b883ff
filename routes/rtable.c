/*
 * rtable.c - open-addressing hash table from prefix to nexthop id: the
 * engine's copy of the routes it owns in the kernel (100k entries and more).
 * Linear probing with backward-shift deletion, so no tombstones.
 *
 * Threading: plain data; callers serialise (engine mutex).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void rt_rtable_init(struct rt_rtable *t)
{
    memset(t, 0, sizeof(*t));
}

void rt_rtable_free(struct rt_rtable *t)
{
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

void rt_rtable_clear(struct rt_rtable *t)
{
    if (t->slots)
        memset(t->slots, 0, t->cap * sizeof(*t->slots));
    t->count = 0;
}

static size_t slot_of(const struct rt_rtable *t, const struct rt_prefix *p)
{
    return (size_t)rt_prefix_hash(p) & (t->cap - 1);
}

struct rt_rentry *rt_rtable_get(const struct rt_rtable *t, const struct rt_prefix *p)
{
    if (!t->cap)
        return NULL;
    for (size_t i = slot_of(t, p);; i = (i + 1) & (t->cap - 1)) {
        struct rt_rentry *e = &t->slots[i];
        if (!e->used)
            return NULL;
        if (rt_prefix_eq(&e->key, p))
            return e;
    }
}

static int grow(struct rt_rtable *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    struct rt_rentry *old = t->slots, *n = calloc(cap, sizeof(*n));
    size_t oldcap = t->cap;
    if (!n)
        return -ENOMEM;
    t->slots = n;
    t->cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].used)
            continue;
        size_t j = slot_of(t, &old[i].key);
        while (n[j].used)
            j = (j + 1) & (cap - 1);
        n[j] = old[i];
    }
    free(old);
    return 0;
}

int rt_rtable_set(struct rt_rtable *t, const struct rt_prefix *p, uint32_t nhid)
{
    struct rt_rentry *e = rt_rtable_get(t, p);
    size_t i;
    if (e) {
        e->nhid = nhid;
        return 0;
    }
    /* keep the load factor under 1/2 */
    if ((t->count + 1) * 2 > t->cap && grow(t) < 0)
        return -ENOMEM;
    for (i = slot_of(t, p); t->slots[i].used; i = (i + 1) & (t->cap - 1))
        ;
    t->slots[i].used = 1;
    t->slots[i].key = *p;
    t->slots[i].nhid = nhid;
    t->slots[i].mark = 0;
    t->count++;
    return 0;
}

static void remove_slot(struct rt_rtable *t, size_t i)
{
    size_t mask = t->cap - 1, j = i;
    t->slots[i].used = 0;
    t->count--;
    /* shift back entries whose probe sequence passes through the hole */
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (!t->slots[j].used)
            return;
        home = slot_of(t, &t->slots[j].key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = t->slots[j];
            t->slots[j].used = 0;
            i = j;
        }
    }
}

bool rt_rtable_del(struct rt_rtable *t, const struct rt_prefix *p)
{
    struct rt_rentry *e = rt_rtable_get(t, p);
    if (!e)
        return false;
    remove_slot(t, (size_t)(e - t->slots));
    return true;
}

size_t rt_rtable_del_nhid(struct rt_rtable *t, uint32_t nhid)
{
    size_t removed = 0;
    for (size_t i = 0; i < t->cap;) {
        /* a removal may shift a later entry into slot i: re-check it */
        if (t->slots[i].used && t->slots[i].nhid == nhid) {
            remove_slot(t, i);
            removed++;
            continue;
        }
        i++;
    }
    return removed;
}
