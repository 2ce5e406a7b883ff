/*
 * path_config: the defaults and the checks of a path's state machine
 * configuration (hl_path_config), and the words of BFD diagnostics.
 *
 * Threading: none; pure functions.
 */
#include "path_sm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *diag_texts[] = {
    [HL_DIAG_NONE] = "no diagnostic",
    [HL_DIAG_DETECT_EXPIRED] = "control detection time expired",
    [HL_DIAG_ECHO_FAILED] = "echo function failed",
    [HL_DIAG_NEIGHBOR_DOWN] = "neighbor signaled session down",
    [HL_DIAG_FWD_RESET] = "forwarding plane reset",
    [HL_DIAG_PATH_DOWN] = "path down",
    [HL_DIAG_CONCAT_PATH_DOWN] = "concatenated path down",
    [HL_DIAG_ADMIN_DOWN] = "administratively down",
    [HL_DIAG_REV_CONCAT_PATH_DOWN] = "reverse concatenated path down",
};

const char *hl_bfd_diag_text(enum hl_bfd_diag d)
{
    if ((int)d < 0 || (size_t)d >= sizeof(diag_texts) / sizeof(diag_texts[0]))
        return "unknown diagnostic";
    return diag_texts[d];
}

void hl_path_config_defaults(struct hl_path_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->sla_loss_pct = 10;
    cfg->down_loss_pct = 100;
    cfg->hold_down_ms = 1000;
    cfg->min_good_ms = 10000;
    cfg->damp_enabled = true;
    cfg->damp_penalty = 1000;
    cfg->damp_suppress = 3000;
    cfg->damp_reuse = 750;
    cfg->damp_half_life_ms = 15000;
    cfg->damp_max_suppress_ms = 120000;
    cfg->startup_grace_ms = HL_STARTUP_GRACE_MS;
}

static int check_name(const char *field, const char *v, size_t max, char *err, size_t errlen)
{
    if (!v)
        return 0;
    size_t n = strnlen(v, max + 1);
    if (n > max) {
        snprintf(err, errlen, "%s: longer than %zu bytes (the reasons quote it whole)", field, max);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f) {
            snprintf(err, errlen, "%s: byte 0x%02x at offset %zu, expected printable text", field,
                     c, i);
            return -1;
        }
    }
    return 0;
}

static int check_damp(const struct hl_path_config *cfg, char *err, size_t errlen)
{
    if (!cfg->damp_enabled)
        return 0;
    if (!cfg->damp_penalty || !cfg->damp_half_life_ms || !cfg->damp_max_suppress_ms) {
        snprintf(err, errlen, "dampening: penalty, half_life and max_suppress must be above 0");
        return -1;
    }
    if (!cfg->damp_reuse || cfg->damp_reuse >= cfg->damp_suppress) {
        snprintf(err, errlen, "dampening: reuse %u, expected above 0 and below suppress %u",
                 cfg->damp_reuse, cfg->damp_suppress);
        return -1;
    }
    double ratio = (double)cfg->damp_max_suppress_ms / cfg->damp_half_life_ms;
    if (ratio > 64) {
        snprintf(err, errlen, "dampening: max_suppress %u ms is more than 64 half-lives of %u ms",
                 cfg->damp_max_suppress_ms, cfg->damp_half_life_ms);
        return -1;
    }
    double ceiling = cfg->damp_reuse * exp2(ratio);
    if (ceiling < cfg->damp_suppress) {
        snprintf(err, errlen,
                 "dampening: max_suppress %u ms too short: the penalty ceiling %.0f (reuse x "
                 "2^(max_suppress/half_life)) never reaches suppress %u",
                 cfg->damp_max_suppress_ms, ceiling, cfg->damp_suppress);
        return -1;
    }
    return 0;
}

int hl_path_config_check(const struct hl_path_config *cfg, char *err, size_t errlen)
{
    if (!(cfg->sla_loss_pct >= 0 && cfg->sla_loss_pct <= 100) ||
        !(cfg->down_loss_pct >= 0 && cfg->down_loss_pct <= 100)) {
        snprintf(err, errlen, "loss thresholds: sla %g%%, down %g%%, expected 0..100",
                 cfg->sla_loss_pct, cfg->down_loss_pct);
        return -1;
    }
    if (cfg->sla_loss_pct > 0 && cfg->down_loss_pct > 0 && cfg->down_loss_pct < cfg->sla_loss_pct) {
        snprintf(err, errlen, "down_loss_pct %g%% below the SLA loss %g%%, expected at or above",
                 cfg->down_loss_pct, cfg->sla_loss_pct);
        return -1;
    }
    if (check_name("sa_name", cfg->sa_name, HL_SA_NAME_MAX, err, errlen) ||
        check_name("next_hop", cfg->next_hop, HL_NEXT_HOP_MAX, err, errlen))
        return -1;
    return check_damp(cfg, err, errlen);
}
