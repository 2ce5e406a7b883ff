/*
 * decide: the per-site choice of paths (see decide.h, docs/health.md).
 * Classes (decide_priv.h) order the paths, priority within a class, loss
 * then RTT among degraded ones; the best group is the active set (ECMP with
 * its weights), unless a pin is in effect or nothing can carry traffic
 * (fail closed or keep_last). The event text is in decide_text.c. Pure: no
 * clock, no allocation.
 *
 * Threading: none; the caller serialises (the health thread).
 */
#include "decide_priv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum hl_class hl_decide_class(const struct hl_decide_path *p)
{
    if (!p->link_up)
        return HL_C_NONE;
    switch (p->state) {
    case HL_PATH_INIT:
        return p->eligible ? HL_C_TOP : HL_C_NONE;
    case HL_PATH_UP:
        return p->eligible ? HL_C_TOP : HL_C_EARLY_UP;
    case HL_PATH_DEGRADED:
        if (!p->eligible)
            return HL_C_EARLY_DEG;
        return p->app_fault ? HL_C_DEG_APP : HL_C_DEG;
    default:
        return HL_C_NONE;
    }
}

static bool degraded_class(enum hl_class c)
{
    return c == HL_C_DEG || c == HL_C_DEG_APP || c == HL_C_EARLY_DEG;
}

/* A figure for ordering: unknown (NaN) is the worst. */
static double fig(double v)
{
    return isnan(v) ? INFINITY : v;
}

/* <0 when path a ranks before b, 0 when they are equal (ECMP). */
static int compare(const struct hl_decide_path *paths, const enum hl_class *cls, size_t a, size_t b)
{
    if (cls[a] != cls[b])
        return cls[a] < cls[b] ? -1 : 1;
    if (paths[a].priority != paths[b].priority)
        return paths[a].priority < paths[b].priority ? -1 : 1;
    if (degraded_class(cls[a])) {
        double la = fig(paths[a].loss_pct), lb = fig(paths[b].loss_pct);
        double ra = fig(paths[a].rtt_ms), rb = fig(paths[b].rtt_ms);
        if (la != lb)
            return la < lb ? -1 : 1;
        if (ra != rb)
            return ra < rb ? -1 : 1;
    }
    return 0;
}

/* Dense ranks over all paths: the active set first (rank 0, whatever kept it
 * there: a pin, the degraded hysteresis, keep_last), then the others. */
static void rank_paths(const struct hl_decide_in *in, const enum hl_class *cls, int pin,
                       struct hl_choice *out)
{
    size_t order[HL_MAX_PATHS], n = 0;
    for (size_t i = 0; i < in->n_paths; i++) {
        out->usable[i] = cls[i] != HL_C_NONE || (int)i == pin;
        if (out->active & (1u << i)) {
            out->rank[i] = 0;
            continue;
        }
        size_t j = n++;
        while (j > 0 && compare(in->paths, cls, order[j - 1], i) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    unsigned r = out->active ? 1 : 0;
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && compare(in->paths, cls, order[k - 1], order[k]) != 0)
            r++;
        out->rank[order[k]] = r;
    }
}

/* A degraded set keeps its current path unless another is clearly better. */
static bool close_to(const struct hl_decide_path *p, const struct hl_decide_path *best)
{
    double rtt_margin = fmax(10.0, fig(best->rtt_ms) * HL_DEGRADED_RTT_MARGIN / 100.0);
    return fig(p->loss_pct) <= fig(best->loss_pct) + HL_DEGRADED_LOSS_MARGIN &&
           fig(p->rtt_ms) <= fig(best->rtt_ms) + rtt_margin;
}

static uint32_t pick(const struct hl_decide_in *in, const enum hl_class *cls, struct hl_choice *out)
{
    int best = -1;
    for (size_t i = 0; i < in->n_paths; i++)
        if (cls[i] != HL_C_NONE && (best < 0 || compare(in->paths, cls, i, (size_t)best) < 0))
            best = (int)i;
    if (best < 0)
        return 0;
    uint32_t set = 0, group = 0;
    for (size_t i = 0; i < in->n_paths; i++) {
        if (compare(in->paths, cls, i, (size_t)best) == 0)
            set |= 1u << i;
        if (cls[i] == cls[best] && in->paths[i].priority == in->paths[best].priority)
            group |= 1u << i;
    }
    out->early = cls[best] == HL_C_EARLY_UP || cls[best] == HL_C_EARLY_DEG;
    if (degraded_class(cls[best]) && in->prev) {
        uint32_t keep = in->prev->active & group;
        for (size_t i = 0; keep && i < in->n_paths; i++)
            if ((keep & (1u << i)) && !close_to(&in->paths[i], &in->paths[best]))
                keep = 0;
        if (keep)
            set = keep;
    }
    return set;
}

/* keep_last: the previous paths whose link is up and that are not admin-down. */
static uint32_t keep_last(const struct hl_decide_in *in)
{
    uint32_t set = 0;
    if (!in->keep_last || !in->prev)
        return 0;
    for (size_t i = 0; i < in->n_paths; i++)
        if ((in->prev->active & (1u << i)) && in->paths[i].link_up &&
            in->paths[i].state != HL_PATH_ADMIN_DOWN)
            set |= 1u << i;
    return set;
}

static bool pin_in_effect(const struct hl_decide_in *in)
{
    if (in->pinned < 0 || (size_t)in->pinned >= in->n_paths)
        return false;
    const struct hl_decide_path *p = &in->paths[in->pinned];
    return p->link_up && p->state != HL_PATH_ADMIN_DOWN;
}

static bool report(const struct hl_decide_in *in, const struct hl_choice *out, char *reason,
                   size_t reason_len)
{
    bool changed = !in->prev || out->active != in->prev->active ||
                   out->kept_last != in->prev->kept_last || out->pinned != in->prev->pinned;
    if (reason_len)
        reason[0] = '\0';
    if (changed)
        hl_decide_text(in, out, reason, reason_len);
    return changed;
}

bool hl_decide(const struct hl_decide_in *in, struct hl_choice *out, char *reason,
               size_t reason_len)
{
    enum hl_class cls[HL_MAX_PATHS];
    memset(out, 0, sizeof(*out));
    if (in->n_paths > HL_MAX_PATHS)
        return report(in, out, reason, reason_len);
    for (size_t i = 0; i < in->n_paths; i++)
        cls[i] = hl_decide_class(&in->paths[i]);

    int pin = pin_in_effect(in) ? in->pinned : -1;
    if (pin >= 0) {
        out->active = 1u << pin;
        out->pinned = true;
    } else {
        out->active = pick(in, cls, out);
    }
    if (!out->active) {
        out->active = keep_last(in);
        out->kept_last = out->active != 0;
    }
    rank_paths(in, cls, pin, out);
    for (size_t i = 0; i < in->n_paths; i++)
        if (out->active & (1u << i))
            out->weight[i] = in->paths[i].weight;
    return report(in, out, reason, reason_len);
}
