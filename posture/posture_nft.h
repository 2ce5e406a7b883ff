/*
 * posture_nft: runs nftables commands through libnftables (never the nft
 * program) with its output and errors buffered.
 *
 * Threading: safe from any thread: each call makes and frees its own
 * nft_ctx, and calls into libnftables are serialised by a mutex.
 */
#ifndef TUNNELD_POSTURE_NFT_H
#define TUNNELD_POSTURE_NFT_H

#include <stdbool.h>
#include <stddef.h>

/* runs cmds as one transaction; json: output as JSON. out (may be NULL)
 * receives a malloc'd copy of the output. false with err: "<what> table
 * inet <table>: <libnftables' first error line>" */
bool posture_nft_run(const char *cmds, bool json, char **out, const char *what, const char *table,
                     char *err, size_t errlen);

/* as posture_nft_run without committing anything (libnftables' dry run:
 * the kernel checks the transaction and it is aborted): a table name nft
 * reads as a keyword, a missing nf_tables module. Needs CAP_NET_ADMIN. */
bool posture_nft_check(const char *cmds, const char *what, const char *table, char *err,
                       size_t errlen);

/* the first non-blank line of msg, at most max bytes (then "..."): into out */
void posture_first_line(const char *msg, char *out, size_t outlen, size_t max);

#endif
