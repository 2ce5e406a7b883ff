/*
 * path_classify: what one observation of a path says (hard down, soft down,
 * waiting, degraded, good, unknown) and the words for it, naming the probe
 * and the figure, or quoting the application checks' reason (issue 10:
 * degraded, or soft down with app_down). Pure: no clock, no allocation.
 *
 * Threading: none; the caller serialises (the health thread).
 */
#include "path_priv.h"
#include "text.h"

static const char *bfd_state_word(enum hl_bfd_state s)
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
    default:
        return "off";
    }
}

/* Hard causes, in order: link, neighbour, SA, BFD. True when one applies. */
static bool classify_hard(const struct hl_path_sm *sm, const struct hl_path_config *cfg,
                          const struct hl_obs *obs, hl_time_t now, struct hl_text *t, unsigned *key)
{
    if (obs->link == 0) {
        hl_text_add(t, "link down");
        *key |= HL_K_LINK;
    } else if (obs->neigh_failed == 1) {
        hl_text_add(t, "next hop %s%sFAILED (ARP/ND)", cfg->next_hop ? cfg->next_hop : "",
                    cfg->next_hop ? " " : "");
        *key |= HL_K_NEIGH;
    } else if (obs->sa_up == 0) {
        if (cfg->sa_name)
            hl_text_add(t, "SA down (%s)", cfg->sa_name);
        else
            hl_text_add(t, "SA down");
        *key |= HL_K_SA;
    } else if (obs->bfd != HL_BFD_OFF && obs->bfd != HL_BFD_ADMIN_DOWN && obs->bfd != HL_BFD_UP) {
        if (obs->bfd_was_up) {
            hl_text_add(t, "BFD down, diag %d %s", (int)obs->bfd_diag,
                        hl_bfd_diag_text(obs->bfd_diag));
            *key |= HL_K_BFD_DOWN;
        } else if (hl_elapsed(now, sm->started) >= cfg->startup_grace_ms) {
            hl_text_add(t, "BFD never came up (state %s after the %u ms startup grace)",
                        bfd_state_word(obs->bfd), cfg->startup_grace_ms);
            *key |= HL_K_BFD_NEVER;
        } else {
            return false;
        }
    } else {
        return false;
    }
    return true;
}

/* SLA breaches of a valid echo window: "loss 23% >= 10% (SLA), RTT ..." */
static bool classify_sla(const struct hl_path_config *cfg, const struct hl_echo_stats *e,
                         struct hl_text *t, unsigned *key)
{
    const char *sep = "";
    if (cfg->sla_loss_pct > 0 && e->loss_pct >= cfg->sla_loss_pct) {
        hl_text_add(t, "loss ");
        hl_text_num(t, e->loss_pct);
        hl_text_add(t, "%% >= ");
        hl_text_num(t, cfg->sla_loss_pct);
        hl_text_add(t, "%% (SLA)");
        *key |= HL_K_LOSS;
        sep = ", ";
    }
    if (cfg->sla_rtt_ms && e->rtt_avg_ms > cfg->sla_rtt_ms) {
        hl_text_add(t, "%sRTT ", sep);
        hl_text_num(t, e->rtt_avg_ms);
        hl_text_add(t, " ms > %u ms (SLA)", cfg->sla_rtt_ms);
        *key |= HL_K_RTT;
        sep = ", ";
    }
    if (cfg->sla_jitter_ms && e->jitter_ms > cfg->sla_jitter_ms) {
        hl_text_add(t, "%sjitter ", sep);
        hl_text_num(t, e->jitter_ms);
        hl_text_add(t, " ms > %u ms (SLA)", cfg->sla_jitter_ms);
        *key |= HL_K_JITTER;
        sep = ", ";
    }
    return *sep != '\0';
}

static void echo_figures(struct hl_text *t, const struct hl_echo_stats *e)
{
    hl_text_add(t, "echo loss ");
    hl_text_num(t, e->loss_pct);
    hl_text_add(t, "%%, RTT ");
    hl_text_num(t, e->rtt_avg_ms);
    hl_text_add(t, " ms");
}

static bool app_fault(const struct hl_obs *obs)
{
    return obs->app_ok == 0;
}

/* "application checks: blob: TLSv1.1 only (policy: TLS 1.2 or newer)" */
static void app_words(struct hl_text *t, const struct hl_obs *obs, const char *sep, unsigned *key)
{
    hl_text_add(t, "%sapplication checks: %s", sep,
                obs->app_reason && obs->app_reason[0] ? obs->app_reason : "no reason given");
    *key |= HL_K_APP;
}

/*
 * Soft causes: an application fault with app_down, echo loss at or above
 * down_loss_pct. An app fault without app_down is named too ("; "), since
 * the path will be degraded for it when the soft cause ends.
 */
static bool classify_soft(const struct hl_path_config *cfg, const struct hl_obs *obs,
                          struct hl_text *t, unsigned *key)
{
    const char *sep = "";
    if (app_fault(obs) && cfg->app_down) {
        app_words(t, obs, "", key);
        sep = "; ";
    }
    if (obs->echo_on && obs->echo.valid && cfg->down_loss_pct > 0 &&
        obs->echo.loss_pct >= cfg->down_loss_pct) {
        hl_text_add(t, "%sloss ", sep);
        hl_text_num(t, obs->echo.loss_pct);
        hl_text_add(t, "%% >= ");
        hl_text_num(t, cfg->down_loss_pct);
        hl_text_add(t, "%% (down)");
        *key |= HL_K_LOSS_DOWN;
        sep = "; ";
    }
    if (!*sep)
        return false;
    if (app_fault(obs) && !cfg->app_down)
        app_words(t, obs, sep, key);
    return true;
}

/* Degraded: the SLA breaches, then an application fault, both named. */
static bool classify_degraded(const struct hl_path_config *cfg, const struct hl_obs *obs,
                              struct hl_text *t, unsigned *key)
{
    bool sla = obs->echo_on && obs->echo.valid && classify_sla(cfg, &obs->echo, t, key);
    if (app_fault(obs))
        app_words(t, obs, sla ? "; " : "", key);
    return sla || app_fault(obs);
}

static void classify_good(const struct hl_path_config *cfg, const struct hl_obs *obs,
                          struct hl_verdict *v, struct hl_text *t)
{
    bool bfd_up = obs->bfd == HL_BFD_UP;
    bool echo_ok = obs->echo_on && obs->echo.valid;
    if (bfd_up) {
        hl_text_add(t, "BFD up");
        v->key |= HL_K_GOOD_BFD;
    }
    if (echo_ok) {
        if (bfd_up)
            hl_text_add(t, "; ");
        echo_figures(t, &obs->echo);
        v->key |= HL_K_GOOD_ECHO;
    }
    if (!bfd_up && !echo_ok && obs->sa_up == 1) {
        if (cfg->sa_name)
            hl_text_add(t, "SA up (%s)", cfg->sa_name);
        else
            hl_text_add(t, "SA up");
        v->key |= HL_K_GOOD_SA;
    }
    bool probes = (obs->bfd != HL_BFD_OFF && obs->bfd != HL_BFD_ADMIN_DOWN) || obs->echo_on ||
                  obs->sa_up != -1;
    if (!probes) {
        hl_text_add(t, obs->link == 1 ? "link up, no probes" : "no probes, link state unknown");
        v->key |= HL_K_GOOD_LINK;
    }
    v->kind = v->key ? HL_V_GOOD : HL_V_UNKNOWN;
    if (v->kind == HL_V_UNKNOWN) {
        hl_text_add(t, "waiting for echo (%u replies so far)", obs->echo.received);
        v->key |= HL_K_WAIT_ECHO;
    }
}

/*
 * Once the startup grace is over, an echo window that is not full yet is
 * judged on the probes whose timeout has passed (a window of 20 at 1 s
 * fills after the 15 s grace: its path must not go down for that alone).
 */
static const struct hl_obs *judge_partial(const struct hl_path_sm *sm,
                                          const struct hl_path_config *cfg,
                                          const struct hl_obs *obs, hl_time_t now,
                                          struct hl_obs *scratch)
{
    if (!obs->echo_on || obs->echo.valid || obs->echo.sent == 0 ||
        hl_elapsed(now, sm->started) < cfg->startup_grace_ms)
        return obs;
    *scratch = *obs;
    scratch->echo.valid = true;
    return scratch;
}

void hl_classify(const struct hl_path_sm *sm, const struct hl_path_config *cfg,
                 const struct hl_obs *obs_in, hl_time_t now, struct hl_verdict *v)
{
    struct hl_obs scratch;
    const struct hl_obs *obs = judge_partial(sm, cfg, obs_in, now, &scratch);
    struct hl_text t;
    hl_text_init(&t, v->text, sizeof(v->text));
    v->key = 0;
    v->degrading = false;
    if (classify_hard(sm, cfg, obs, now, &t, &v->key)) {
        v->kind = HL_V_HARD;
        return;
    }
    if (classify_soft(cfg, obs, &t, &v->key)) {
        v->kind = HL_V_SOFT;
        if (obs->echo_on && obs->echo.valid) {
            char scratch[HL_REASON_MAX];
            struct hl_text s;
            unsigned k = 0;
            hl_text_init(&s, scratch, sizeof(scratch));
            v->degrading = classify_sla(cfg, &obs->echo, &s, &k);
        }
        v->degrading = v->degrading || app_fault(obs);
        return;
    }
    if (obs->bfd != HL_BFD_OFF && obs->bfd != HL_BFD_ADMIN_DOWN && obs->bfd != HL_BFD_UP) {
        hl_text_add(&t, "waiting for BFD (state %s)", bfd_state_word(obs->bfd));
        v->key |= HL_K_WAIT_BFD;
        v->kind = HL_V_WAIT;
        if (app_fault(obs)) /* a usable path stays usable, degraded */
            app_words(&t, obs, "; ", &v->key);
        v->degrading = app_fault(obs);
        return;
    }
    if (classify_degraded(cfg, obs, &t, &v->key)) {
        v->kind = HL_V_DEGRADED;
        return;
    }
    classify_good(cfg, obs, v, &t);
}
