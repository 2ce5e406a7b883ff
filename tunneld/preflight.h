/*
 * preflight: the gateway preflight in tunneld (docs/preflight.md). It never
 * refuses a start or a reload: it finds what would keep the gateway from
 * forwarding the sites' traffic and names the sysctl or rule that fixes
 * each problem. `tunneld -n` prints the problems as warnings; start and
 * SIGHUP install the MSS clamp (preflight_mss.h) and log them; the control
 * command "preflight" (tunnelctl preflight) checks again when asked.
 *
 * The inputs come from the settings: the sites' prefixes (which address
 * families must be forwarded; without sites, IPv4), the paths' devices and
 * the XFRM interfaces (rp_filter), the XFRM interfaces' `mss` (the clamp).
 * The interfaces facing the sensors are not in the settings, so they are
 * not checked.
 *
 * Threading: check_only, apply and stop in the main thread; the control
 * command in the control server's thread. A mutex guards the inputs and
 * the listing taken after the clamp was installed; it is held across
 * libnftables calls (posture_nft's own lock is always taken after it).
 */
#ifndef TUNNELD_PREFLIGHT_H
#define TUNNELD_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ctl_server.h"
#include "daemon_conf.h"

/* tunneld -n: the problems, one "tunneld: warning: preflight: ..." line each, to out */
void preflight_check_only(const daemon_conf_t *dc, const char *file, FILE *out);

/* start and SIGHUP: installs (or replaces, or removes) the clamp, checks, logs */
void preflight_apply(const daemon_conf_t *dc, const char *file, bool flush_cli);

/* stop: the clamp's table is removed when flush_on_exit (as the posture) */
void preflight_stop(void);

/* adds the control command "preflight" (before ctl_server_start) */
bool preflight_register(ctl_server_t *ctl);

/* the problems found by the last apply or control command */
size_t preflight_problems(void);

#endif
