/*
 * posture_apply: installs or removes the posture's table in one
 * transaction (posture_apply and posture_remove of posture.h).
 *
 * Threading: no state; see posture_nft (a context per call).
 */
#include "posture.h"
#include "posture_nft.h"
#include "posture_plan.h"
#include "posture_script.h"

#include <stdio.h>
#include <stdlib.h>

bool posture_remove(const char *table, char *err, size_t errlen)
{
    const char *name = table ? table : POSTURE_TABLE_DEFAULT;

    if (!posture_table_valid(name, err, errlen))
        return false;
    char *cmds = posture_script_remove(name);
    if (!cmds) {
        snprintf(err, errlen, "posture: removing table inet %s: out of memory", name);
        return false;
    }
    bool ok = posture_nft_run(cmds, false, NULL, "posture: removing", name, err, errlen);
    free(cmds);
    return ok;
}

bool posture_check_apply(const struct posture_config *cfg, char *err, size_t errlen)
{
    struct posture_plan p;

    if (!posture_plan_build(cfg, &p, err, errlen))
        return false;
    if (!cfg->enforce) {
        posture_plan_free(&p);
        return true;
    }
    char *cmds = posture_script_apply(&p);
    bool ok = cmds && posture_nft_check(cmds, "posture: checking", p.table, err, errlen);
    if (!cmds)
        snprintf(err, errlen, "posture: table inet %s: out of memory", p.table);
    free(cmds);
    posture_plan_free(&p);
    return ok;
}

bool posture_apply(const struct posture_config *cfg, char *err, size_t errlen)
{
    struct posture_plan p;

    if (!posture_plan_build(cfg, &p, err, errlen))
        return false;
    if (!cfg->enforce) {
        bool ok = posture_remove(p.table, err, errlen);
        posture_plan_free(&p);
        return ok;
    }
    char *cmds = posture_script_apply(&p);
    bool ok =
        cmds && posture_nft_run(cmds, false, NULL, "posture: installing", p.table, err, errlen);
    if (!cmds)
        snprintf(err, errlen, "posture: installing table inet %s: out of memory", p.table);
    free(cmds);
    posture_plan_free(&p);
    return ok;
}
