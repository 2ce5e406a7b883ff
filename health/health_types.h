/*
 * health_types: what the health engine knows about a path, shared by the
 * pure state machine and decision (path_sm.h, decide.h), the probes
 * (bfd.h, echo.h), the runtime (health.h) and the status rows (output/).
 *
 * Threading: plain data, no functions.
 */
#ifndef TUNNELD_HEALTH_TYPES_H
#define TUNNELD_HEALTH_TYPES_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t hl_time_t; /* CLOCK_MONOTONIC milliseconds */

/* A path's state (docs/health.md). */
enum hl_path_state {
    HL_PATH_INIT, /* no verdict yet (probes starting) */
    HL_PATH_UP,
    HL_PATH_DEGRADED, /* an SLA threshold (loss, RTT, jitter) breached, or an
                       * application checks fault (issue 10) */
    HL_PATH_DOWN,
    HL_PATH_SUPPRESSED, /* dampened: flapped too often, waits for its penalty to decay */
    HL_PATH_ADMIN_DOWN, /* taken out by the operator */
    HL_PATH_STATE_MAX
};

/* RFC 5880 session states (wire values) plus "not configured". */
enum hl_bfd_state {
    HL_BFD_ADMIN_DOWN = 0,
    HL_BFD_DOWN = 1,
    HL_BFD_INIT = 2,
    HL_BFD_UP = 3,
    HL_BFD_OFF = 4, /* no BFD on this path */
};

/* RFC 5880 section 4.1 diagnostic codes */
enum hl_bfd_diag {
    HL_DIAG_NONE = 0,
    HL_DIAG_DETECT_EXPIRED = 1, /* control detection time expired */
    HL_DIAG_ECHO_FAILED = 2,
    HL_DIAG_NEIGHBOR_DOWN = 3, /* neighbor signaled session down */
    HL_DIAG_FWD_RESET = 4,
    HL_DIAG_PATH_DOWN = 5,
    HL_DIAG_CONCAT_PATH_DOWN = 6,
    HL_DIAG_ADMIN_DOWN = 7,
    HL_DIAG_REV_CONCAT_PATH_DOWN = 8,
};

/* One BFD session as its owner (bfd.c) reports it. */
struct hl_bfd_status {
    enum hl_bfd_state state;
    enum hl_bfd_diag local_diag;  /* why we last left Up */
    enum hl_bfd_diag remote_diag; /* the peer's last diagnostic */
    uint32_t local_disc, remote_disc;
    uint32_t tx_interval_us; /* negotiated: what we send at now */
    uint32_t rx_interval_us; /* negotiated: what we expect from the peer */
    uint32_t detect_time_us; /* negotiated detection time */
    uint8_t remote_multiplier;
    hl_time_t last_change;                       /* 0: never */
    uint64_t tx_packets, rx_packets, rx_dropped; /* dropped: failed checks (TTL, auth, ...) */
    hl_time_t last_rx; /* the last packet accepted, 0: never (added by bfd) */
    bool poll;         /* our poll sequence is in progress (added by bfd) */
    uint8_t min_ttl;   /* lowest TTL accepted: 255 single hop, multihop as configured
                        * (1: any, the default) (added for bfd.min_ttl) */
};

/* Echo statistics over the sliding window (echo.c). */
struct hl_echo_stats {
    bool valid;        /* enough samples for a verdict (window full or a loss run) */
    uint32_t sent;     /* probes in the window whose timeout has passed */
    uint32_t received; /* of those, answered in time */
    double loss_pct;
    double rtt_avg_ms;
    double jitter_ms;     /* mean |RTT(i) - RTT(i-1)| over the window (see echo.h) */
    uint32_t lost_in_row; /* consecutive losses up to now */
};

/*
 * Everything observed about one path at one time: the input of the state
 * machine. -1 means "not applicable / unknown" where noted.
 */
struct hl_obs {
    int link;                  /* 1 carrier up, 0 down (route engine), -1 unknown */
    int neigh_failed;          /* 1: the next hop's neighbour entry is FAILED, 0 not, -1 n/a */
    int sa_up;                 /* VPN: 1 CHILD_SA installed, 0 not; -1 not a VPN path */
    enum hl_bfd_state bfd;     /* HL_BFD_OFF when not configured */
    enum hl_bfd_diag bfd_diag; /* local diag of the last Up -> Down */
    bool bfd_was_up;           /* the session has been Up at least once */
    bool echo_on;              /* echo configured */
    struct hl_echo_stats echo;
    int app_ok; /* issue 10: 1 checks pass, 0 path fault, -1 n/a */
    bool admin_down;
    /* added by issue 10: app_ok 0: the fault in plain words (owned by the
     * runtime, quoted in the reason; NULL: "no reason given") */
    const char *app_reason;
};

#endif
