/*
 * app_glue: runs issue 10's application checks (checks/checks.h) and the
 * outbound-only posture (posture/posture.h) for the route glue.
 *
 * app_glue_apply takes a site model (start and each SIGHUP): the
 * connections file's proxy credentials are read, the check configuration
 * built (app_conf.h) and checked, then the posture applied (enforced:
 * tunneld's nftables table in place; not: removed) and the checks engine
 * started, reloaded or stopped (no sensor group: no engine). All or
 * nothing: when the engine refuses, the posture goes back to what it was.
 * The engine's verdict on a path (on_path) goes to observe, which hands it
 * to the health engine. The posture stays in place when tunneld stops
 * (removed only with flush, as the routes).
 *
 * Threading: app_glue_new/apply/stop/check on tunneld's main thread;
 * app_glue_snapshot and app_glue_posture from any thread (the control
 * server's): a short lock guards the engine pointer and the posture copy.
 * observe runs on the checks thread and must not block.
 */
#ifndef TUNNELD_APP_GLUE_H
#define TUNNELD_APP_GLUE_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"
#include "posture.h"
#include "site_model.h"

typedef void (*app_observe_fn)(void *ctx, const char *site, const char *path, bool ok,
                               const char *reason);
typedef struct app_glue app_glue_t;

app_glue_t *app_glue_new(app_observe_fn observe, void *ctx);
/* file: the settings file, swanctl: the connections file (credentials);
 * false with err set: nothing changed */
bool app_glue_apply(app_glue_t *a, const struct sm_model *m, const char *file, const char *swanctl,
                    char *err, size_t errlen);
/* tunneld -n / before a start changes anything: what apply would refuse */
bool app_glue_check(const struct sm_model *m, const char *file, const char *swanctl, char *err,
                    size_t errlen);
/* stops the engine; flush: removes the posture table too. NULL: no-op */
void app_glue_stop(app_glue_t *a, bool flush);
/* the engine's results; an empty snapshot when no engine runs. 0 or -1 */
int app_glue_snapshot(app_glue_t *a, struct checks_snapshot *out);
/* the posture now (reads the kernel's ruleset) */
enum posture_state app_glue_posture(app_glue_t *a, char *reason, size_t len);
/* a round now (SIGUSR-free way for tests: the control command "checks run") */
void app_glue_run_now(app_glue_t *a);

#endif
