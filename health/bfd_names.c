/*
 * bfd_names: names of BFD states and diagnostic codes (RFC 5880 4.1).
 *
 * Threading: pure functions, any thread.
 */
#include "bfd.h"

const char *bfd_state_name(enum hl_bfd_state s)
{
    switch (s) {
    case HL_BFD_ADMIN_DOWN:
        return "admin-down";
    case HL_BFD_DOWN:
        return "down";
    case HL_BFD_INIT:
        return "init";
    case HL_BFD_UP:
        return "up";
    case HL_BFD_OFF:
        return "off";
    }
    return "unknown";
}

const char *bfd_diag_name(enum hl_bfd_diag d)
{
    switch (d) {
    case HL_DIAG_NONE:
        return "no diagnostic";
    case HL_DIAG_DETECT_EXPIRED:
        return "control detection time expired";
    case HL_DIAG_ECHO_FAILED:
        return "echo function failed";
    case HL_DIAG_NEIGHBOR_DOWN:
        return "neighbor signaled session down";
    case HL_DIAG_FWD_RESET:
        return "forwarding plane reset";
    case HL_DIAG_PATH_DOWN:
        return "path down";
    case HL_DIAG_CONCAT_PATH_DOWN:
        return "concatenated path down";
    case HL_DIAG_ADMIN_DOWN:
        return "administratively down";
    case HL_DIAG_REV_CONCAT_PATH_DOWN:
        return "reverse concatenated path down";
    }
    return "reserved diagnostic";
}
