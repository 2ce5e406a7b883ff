/*
 * checks_names: the defaults of a configuration and of a TLS policy, and
 * the names of verdicts and faults (checks.h).
 *
 * Threading: pure functions (any thread).
 */
#include "checks.h"

void checks_tls_defaults(struct checks_tls_policy *p)
{
    *p = (struct checks_tls_policy){
        .min_version = 0x0303, .min_bits = 256, .require_aes = true, .warn_days = 14};
}

void checks_config_defaults(struct checks_config *cfg)
{
    *cfg = (struct checks_config){.interval_ms = 30000,
                                  .jitter_pct = 10,
                                  .concurrency = 8,
                                  .connect_ms = 5000,
                                  .proxy_ms = 5000,
                                  .tls_ms = 5000};
}

const char *checks_verdict_name(enum checks_verdict v)
{
    static const char *const n[] = {"pending", "pass", "warn", "fail"};
    return (unsigned)v < sizeof(n) / sizeof(n[0]) ? n[v] : "unknown";
}

const char *checks_fault_name(enum checks_fault f)
{
    static const char *const n[] = {"none", "path", "service"};
    return (unsigned)f < sizeof(n) / sizeof(n[0]) ? n[f] : "unknown";
}
