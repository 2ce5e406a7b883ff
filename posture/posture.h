/*
 * posture: the outbound-only posture of issue 10 (library tunneld_posture).
 * "The sensor initiates all connections": with it enforced, tunneld keeps a
 * forward policy in a table of its own (nftables family inet, table
 * "tunneld_posture" by default) that lets traffic from the sites' Azure
 * prefixes reach the sensor subnets only when it belongs to a connection
 * the sensors opened (ct state established,related); a new connection from
 * Azure to a sensor is dropped. Written with libnftables (Debian's
 * libnftables-dev), never by running nft. One transaction per apply: the
 * table is replaced whole or not at all.
 *
 * Threading: no state of its own; each call makes its own libnftables
 * context (not shared between threads). tunneld calls posture_apply and
 * posture_remove from its main thread (start, SIGHUP, stop) and
 * posture_status from the control server's thread.
 */
#ifndef TUNNELD_POSTURE_H
#define TUNNELD_POSTURE_H

#include <stdbool.h>
#include <stddef.h>

#define POSTURE_TABLE_DEFAULT "tunneld_posture"
#define POSTURE_REASON_MAX    256

struct posture_config {
    bool enforce;             /* default no */
    const char *table;        /* NULL: POSTURE_TABLE_DEFAULT */
    const char *const *azure; /* the sites' prefixes (CIDR, IPv4 and IPv6) */
    size_t n_azure;
    const char *const *sensors; /* the sensor subnets of every group (CIDR) */
    size_t n_sensors;
};

/* the values alone (prefix syntax, a table name of [A-Za-z0-9_-] at most 63
 * bytes, enforce with no sensor subnet or no prefix); false with err */
bool posture_check_config(const struct posture_config *cfg, char *err, size_t errlen);

/* posture_check_config, then (enforce only) the transaction posture_apply
 * would send, checked by libnftables and the kernel without committing it
 * (a table name nft reads as a keyword is refused here). Needs
 * CAP_NET_ADMIN; nothing changes in the kernel. */
bool posture_check_apply(const struct posture_config *cfg, char *err, size_t errlen);

/* enforce: (re)installs the table in one transaction; not enforce: removes
 * the table if there. false with err (libnftables' message, the table):
 * nothing changed. */
bool posture_apply(const struct posture_config *cfg, char *err, size_t errlen);
/* removes tunneld's table (stop); true when absent already */
bool posture_remove(const char *table, char *err, size_t errlen);

enum posture_state { POSTURE_OFF, POSTURE_ENFORCED, POSTURE_NOT_ENFORCED };
/* reads the kernel's ruleset: enforced only when the table is there with
 * the policy cfg asks for; else reason in plain words, e.g. "not enforced:
 * a new connection from Azure to the sensors would be forwarded (table inet
 * tunneld_posture is missing)". cfg->enforce false: POSTURE_OFF. */
enum posture_state posture_status(const struct posture_config *cfg, char *reason, size_t len);
const char *posture_state_name(enum posture_state s); /* "off" "enforced" "not-enforced" */

/* added by the posture part: posture_status with the drop rules' counter
 * (packets and bytes of the new connections from Azure it dropped, summed
 * over IPv4 and IPv6; counted only when enforced) */
struct posture_report {
    enum posture_state state;
    char reason[POSTURE_REASON_MAX]; /* "" when enforced or off */
    bool counted;
    unsigned long long dropped_packets, dropped_bytes;
};
enum posture_state posture_read_report(const struct posture_config *cfg,
                                       struct posture_report *out);

#endif
