/*
 * health_dpd: an on-demand dead peer detection for a VPN path whose probes
 * fail while its SA looks up, so that IKE learns of the failure sooner than
 * its own timers (health.h: on_dpd).
 *
 * A job on charon's processor (never run in the caller's thread) checks the
 * connection's established IKEv2 SA out by name, queues a liveness check
 * (an empty INFORMATIONAL, charon's own ike_dpd task) and starts it unless
 * an exchange is already in flight (charon's task manager then sends it
 * next). strongSwan's send_dpd_job is not used: it sends nothing when
 * traffic arrived within dpd_delay and schedules one more periodic check
 * each time it runs. A peer that does not answer is declared dead by
 * charon's retransmission timers as for any DPD.
 *
 * Threading: health_dpd_request from any thread that holds no charon lock
 * (the route glue's thread); the job runs on a charon worker.
 */
#ifndef TUNNELD_HEALTH_DPD_H
#define TUNNELD_HEALTH_DPD_H

/* conn: the connection's name; site and path for the log */
void health_dpd_request(const char *conn, const char *site, const char *path);

#endif
