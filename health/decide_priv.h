/*
 * decide_priv: what decide.c and decide_text.c share (internal to
 * tunneld_health_pure).
 *
 * Threading: none.
 */
#ifndef TUNNELD_DECIDE_PRIV_H
#define TUNNELD_DECIDE_PRIV_H

#include "decide.h"

/* Classes of a path for one decision, best first. */
enum hl_class {
    HL_C_TOP,       /* eligible, up (or init in its startup grace) */
    HL_C_DEG,       /* eligible, degraded */
    HL_C_DEG_APP,   /* eligible, degraded by an application checks fault (issue 10) */
    HL_C_EARLY_UP,  /* up, min good time not served yet */
    HL_C_EARLY_DEG, /* degraded, min good time not served yet */
    HL_C_NONE,      /* cannot carry traffic */
};

enum hl_class hl_decide_class(const struct hl_decide_path *p);

/* The event text of a decision that changed (decide_text.c). */
void hl_decide_text(const struct hl_decide_in *in, const struct hl_choice *out, char *buf,
                    size_t len);

#endif
