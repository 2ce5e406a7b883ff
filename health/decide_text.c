/*
 * decide_text: the words of a decision, e.g. "site azure-westeurope:
 * er-cmr -> vpn (er-cmr: BFD down, diag 1 control detection time expired)".
 * The cause cites the paths that left the active set because they could not
 * carry traffic, else those that left it degraded for better ones (an SLA
 * breach, an application checks fault), else those that joined it, at most
 * HL_CITE_MAX of them.
 *
 * Threading: none; pure, no allocation.
 */
#include "decide_priv.h"
#include "text.h"

#define HL_CITE_MAX 2

static void path_name(struct hl_text *t, const struct hl_decide_in *in, size_t i)
{
    if (in->paths[i].name)
        hl_text_add(t, "%s", in->paths[i].name);
    else
        hl_text_add(t, "path %zu", i);
}

static void set_names(struct hl_text *t, const struct hl_decide_in *in, uint32_t set)
{
    const char *sep = "";
    if (!set) {
        hl_text_add(t, "none");
        return;
    }
    for (size_t i = 0; i < in->n_paths; i++) {
        if (!(set & (1u << i)))
            continue;
        hl_text_add(t, "%s", sep);
        path_name(t, in, i);
        sep = "+";
    }
}

static void cite(struct hl_text *t, const struct hl_decide_in *in, uint32_t set)
{
    unsigned n = 0, more = 0;
    if (!set)
        hl_text_add(t, "no paths");
    for (size_t i = 0; i < in->n_paths; i++) {
        if (!(set & (1u << i)))
            continue;
        if (n == HL_CITE_MAX) {
            more++;
            continue;
        }
        hl_text_add(t, "%s", n ? "; " : "");
        path_name(t, in, i);
        hl_text_add(t, ": %s", in->paths[i].reason ? in->paths[i].reason : "no reason given");
        n++;
    }
    if (more)
        hl_text_add(t, "; and %u more", more);
}

static uint32_t all_paths(const struct hl_decide_in *in)
{
    return in->n_paths >= 32 ? ~0u : (1u << in->n_paths) - 1;
}

/* Paths of set that cannot carry traffic. */
static uint32_t failed(const struct hl_decide_in *in, uint32_t set)
{
    uint32_t f = 0;
    for (size_t i = 0; i < in->n_paths; i++)
        if ((set & (1u << i)) && hl_decide_class(&in->paths[i]) == HL_C_NONE)
            f |= 1u << i;
    return f;
}

/* Paths of left degraded (SLA, application checks) that joined ones of a
 * better class replace: the reason the site moved. */
static uint32_t outclassed(const struct hl_decide_in *in, uint32_t left, uint32_t joined)
{
    enum hl_class best = HL_C_NONE;
    uint32_t w = 0;
    for (size_t i = 0; i < in->n_paths; i++) {
        enum hl_class c = hl_decide_class(&in->paths[i]);
        if ((joined & (1u << i)) && c < best)
            best = c;
    }
    for (size_t i = 0; i < in->n_paths; i++) {
        enum hl_class c = hl_decide_class(&in->paths[i]);
        bool degraded = c == HL_C_DEG || c == HL_C_DEG_APP || c == HL_C_EARLY_DEG;
        if ((left & (1u << i)) && degraded && c > best)
            w |= 1u << i;
    }
    return w;
}

static void pin_words(struct hl_text *t, const struct hl_decide_in *in, const struct hl_choice *out)
{
    if (out->pinned) {
        path_name(t, in, (size_t)in->pinned);
        hl_text_add(t, " pinned by the operator");
    } else if (in->pinned >= 0 && (size_t)in->pinned < in->n_paths) {
        hl_text_add(t, "pin on ");
        path_name(t, in, (size_t)in->pinned);
        hl_text_add(t, " not in effect: %s; ",
                    in->paths[in->pinned].link_up ? "admin-down" : "link down");
    } else {
        hl_text_add(t, "pin released; ");
    }
}

static void cause(struct hl_text *t, const struct hl_decide_in *in, const struct hl_choice *out)
{
    uint32_t prev = in->prev ? in->prev->active : 0;
    uint32_t left = prev & ~out->active, joined = out->active & ~prev;
    bool pin_changed = out->pinned != (in->prev && in->prev->pinned);

    if (pin_changed) {
        pin_words(t, in, out);
        if (out->pinned)
            return;
    }
    if (pin_changed && joined)
        cite(t, in, joined);
    else if (failed(in, left))
        cite(t, in, failed(in, left));
    else if (!out->active || out->kept_last)
        cite(t, in, failed(in, out->active ? out->active : all_paths(in)));
    else if (outclassed(in, left, joined))
        cite(t, in, outclassed(in, left, joined));
    else if (joined)
        cite(t, in, joined);
    else
        cite(t, in, left ? left : out->active);
    if (out->early)
        hl_text_add(t, "; taken before its min good time: no other path eligible");
}

void hl_decide_text(const struct hl_decide_in *in, const struct hl_choice *out, char *buf,
                    size_t len)
{
    struct hl_text t;
    hl_text_init(&t, buf, len);
    hl_text_add(&t, "site %s: ", in->site ? in->site : "?");
    if (in->n_paths > HL_MAX_PATHS) {
        hl_text_add(&t, "%zu paths, at most %d: failing closed", in->n_paths, HL_MAX_PATHS);
        return;
    }
    set_names(&t, in, in->prev ? in->prev->active : 0);
    hl_text_add(&t, " -> ");
    set_names(&t, in, out->active);
    if (out->kept_last)
        hl_text_add(&t, ", kept by keep_last: no path eligible");
    else if (!out->active)
        hl_text_add(&t, ", fail closed");
    hl_text_add(&t, " (");
    cause(&t, in, out);
    hl_text_add(&t, ")");
}
