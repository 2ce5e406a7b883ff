/*
 * paths_names: the words of the paths document (see paths_rows.h). Kept
 * here, not taken from health/, so that tunnelctl links no health code; the
 * words are the ones of docs/health.md and docs/schema/paths.schema.json.
 *
 * Threading: pure functions; any thread.
 */
#include "paths_rows.h"

#define IN(i, a) ((unsigned)(i) < sizeof(a) / sizeof((a)[0]))

static const char *const state_names[] = {
    [HL_PATH_INIT] = "init",
    [HL_PATH_UP] = "up",
    [HL_PATH_DEGRADED] = "degraded",
    [HL_PATH_DOWN] = "down",
    [HL_PATH_SUPPRESSED] = "suppressed",
    [HL_PATH_ADMIN_DOWN] = "admin-down",
};

/* RFC 5880 section 4.3 State (HL_BFD_OFF is never a word of the document) */
static const char *const bfd_state_names[] = {
    [HL_BFD_ADMIN_DOWN] = "admin-down",
    [HL_BFD_DOWN] = "down",
    [HL_BFD_INIT] = "init",
    [HL_BFD_UP] = "up",
};

static const char *const type_names[] = {
    [PATHS_TYPE_EXPRESSROUTE] = "expressroute",
    [PATHS_TYPE_VPN] = "vpn",
    [PATHS_TYPE_OTHER] = "other",
};

static const char *const routing_names[] = {
    [PATHS_ROUTING_NONE] = NULL,
    [PATHS_ROUTING_CUSTOMER_MANAGED] = "customer-managed",
    [PATHS_ROUTING_EXCHANGE_PROVIDER] = "exchange-provider",
};

static const char *const fail_mode_names[] = {
    [PATHS_FAIL_CLOSED] = "fail-closed",
    [PATHS_FAIL_KEEP_LAST] = "keep-last",
};

static const char *const echo_type_names[] = {
    [PATHS_ECHO_ICMP] = "icmp",
    [PATHS_ECHO_UDP] = "udp",
};

static const char *const next_hop_names[] = {
    [PATHS_NH_NONE] = NULL,
    [PATHS_NH_OK] = "ok",
    [PATHS_NH_FAILED] = "failed",
};

static const char *const verdict_names[] = {
    [PATHS_V_PENDING] = "pending",
    [PATHS_V_PASS] = "pass",
    [PATHS_V_WARN] = "warn",
    [PATHS_V_FAIL] = "fail",
};

static const char *const fault_names[] = {
    [PATHS_FAULT_NONE] = "none",
    [PATHS_FAULT_PATH] = "path",
    [PATHS_FAULT_SERVICE] = "service",
};

static const char *const phase_names[] = {
    [PATHS_PH_NONE] = NULL,     [PATHS_PH_DNS] = "dns", [PATHS_PH_CONNECT] = "connect",
    [PATHS_PH_PROXY] = "proxy", [PATHS_PH_TLS] = "tls", [PATHS_PH_POLICY] = "policy",
};

static const char *const posture_names[] = {
    [PATHS_POSTURE_OFF] = "off",
    [PATHS_POSTURE_ENFORCED] = "enforced",
    [PATHS_POSTURE_NOT_ENFORCED] = "not-enforced",
};

/* RFC 5880 section 4.1 */
static const char *const diag_names[] = {
    "no diagnostic",
    "control detection time expired",
    "echo function failed",
    "neighbor signaled session down",
    "forwarding plane reset",
    "path down",
    "concatenated path down",
    "administratively down",
    "reverse concatenated path down",
};

const char *paths_state_name(enum hl_path_state s)
{
    return IN(s, state_names) ? state_names[s] : NULL;
}

const char *paths_bfd_state_name(enum hl_bfd_state s)
{
    return IN(s, bfd_state_names) ? bfd_state_names[s] : NULL;
}

const char *paths_type_name(enum paths_type t)
{
    return IN(t, type_names) ? type_names[t] : NULL;
}

const char *paths_routing_name(enum paths_routing r)
{
    return IN(r, routing_names) ? routing_names[r] : NULL;
}

const char *paths_fail_mode_name(enum paths_fail_mode m)
{
    return IN(m, fail_mode_names) ? fail_mode_names[m] : NULL;
}

const char *paths_echo_type_name(enum paths_echo_type t)
{
    return IN(t, echo_type_names) ? echo_type_names[t] : NULL;
}

const char *paths_next_hop_name(enum paths_next_hop n)
{
    return IN(n, next_hop_names) ? next_hop_names[n] : NULL;
}

const char *paths_diag_name(unsigned code)
{
    if (IN(code, diag_names))
        return diag_names[code];
    return code <= PATHS_DIAG_MAX ? "reserved" : NULL;
}

const char *paths_verdict_name(enum paths_verdict v)
{
    return IN(v, verdict_names) ? verdict_names[v] : NULL;
}

const char *paths_fault_name(enum paths_fault f)
{
    return IN(f, fault_names) ? fault_names[f] : NULL;
}

const char *paths_phase_name(enum paths_phase p)
{
    return IN(p, phase_names) ? phase_names[p] : NULL;
}

const char *paths_posture_name(enum paths_posture_state s)
{
    return IN(s, posture_names) ? posture_names[s] : NULL;
}
