/*
 * posture_nft: one libnftables context per call (posture_nft.h).
 *
 * Threading: an nft_ctx is made and freed by each call, and every call
 * into libnftables holds one process-wide mutex: libnftables does not
 * document its contexts as safe to use from two threads at once, and the
 * main thread (apply) and the control server's (status) both call here.
 */
#include "posture_nft.h"

#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void posture_first_line(const char *msg, char *out, size_t outlen, size_t max)
{
    const char *s = msg ? msg : "";
    size_t n;

    while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
        s++;
    n = strcspn(s, "\r\n");
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n) {
        snprintf(out, outlen, "(libnftables gave no message)");
        return;
    }
    if (n > max)
        snprintf(out, outlen, "%.*s...", (int)max, s);
    else
        snprintf(out, outlen, "%.*s", (int)n, s);
}

static pthread_mutex_t nft_lock = PTHREAD_MUTEX_INITIALIZER;

static bool run_locked(const char *cmds, bool json, bool dry, char **out, const char *what,
                       const char *table, char *err, size_t errlen)
{
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    char line[200];
    bool ok = false;

    if (out)
        *out = NULL;
    if (!ctx) {
        snprintf(err, errlen, "%s table inet %s: libnftables: cannot make a context", what, table);
        return false;
    }
    if (json)
        nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
    nft_ctx_set_dry_run(ctx, dry);
    if (nft_ctx_buffer_output(ctx) != 0 || nft_ctx_buffer_error(ctx) != 0) {
        snprintf(err, errlen, "%s table inet %s: libnftables: cannot buffer its output", what,
                 table);
    } else if (nft_run_cmd_from_buffer(ctx, cmds) != 0) {
        posture_first_line(nft_ctx_get_error_buffer(ctx), line, sizeof(line), 160);
        snprintf(err, errlen, "%s table inet %s: %s", what, table, line);
    } else if (out && !(*out = strdup(nft_ctx_get_output_buffer(ctx) ?: ""))) {
        snprintf(err, errlen, "%s table inet %s: out of memory", what, table);
    } else {
        ok = true;
    }
    nft_ctx_free(ctx);
    return ok;
}

bool posture_nft_run(const char *cmds, bool json, char **out, const char *what, const char *table,
                     char *err, size_t errlen)
{
    pthread_mutex_lock(&nft_lock);
    bool ok = run_locked(cmds, json, false, out, what, table, err, errlen);
    pthread_mutex_unlock(&nft_lock);
    return ok;
}

bool posture_nft_check(const char *cmds, const char *what, const char *table, char *err,
                       size_t errlen)
{
    pthread_mutex_lock(&nft_lock);
    bool ok = run_locked(cmds, false, true, NULL, what, table, err, errlen);
    pthread_mutex_unlock(&nft_lock);
    return ok;
}
