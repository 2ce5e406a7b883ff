/*
 * check_facts: what one check observed, as plain data, and the pure
 * functions that read it (check_reason.c: the verdict and its words;
 * check_header.c: the proxy's CONNECT answer, line by line).
 *
 * Everything here that came from the network (status text, Squid's error,
 * the certificate's names) is already sanitized (printable ASCII) and
 * bounded (CF_PEER_MAX, a visible "..." when cut) by the time it is stored.
 *
 * Threading: plain data and pure functions (any thread).
 */
#ifndef TUNNELD_CHECK_FACTS_H
#define TUNNELD_CHECK_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checks.h"

#define CF_PEER_MAX    64  /* bytes (NUL included) of a peer's text kept in facts */
#define CF_LINE_MAX    160 /* bytes of the proxy's status line */
#define CF_CURLERR_MAX 96  /* bytes of curl's error text in a reason */

/* the proxy's answer to CONNECT (the last response seen) */
struct cf_proxy {
    int status;                  /* 0: none */
    char line[CF_LINE_MAX];      /* the status line, "" none */
    char text[CF_PEER_MAX];      /* its reason phrase */
    char error[CF_PEER_MAX];     /* X-Squid-Error ("ERR_CONNECT_FAIL 111"), "" none */
    char via_first[CF_PEER_MAX]; /* the first Via entry's host (port dropped), "" none */
    bool done;                   /* the answer's headers ended */
};

/* a negotiated TLS session */
struct cf_session {
    bool valid;
    int version; /* 0x0301 .. 0x0304 */
    char version_name[16];
    char cipher[CF_PEER_MAX];
    unsigned bits;
    bool aes;
};

struct check_facts {
    int curl_code;                   /* CURLcode */
    char curl_err[CF_CURLERR_MAX];   /* curl's error buffer (sanitized) */
    int os_errno;                    /* CURLINFO_OS_ERRNO */
    enum checks_phase timeout_phase; /* our deadline fired in this phase, NONE: no */
    uint32_t timeout_ms;             /* that phase's limit */
    bool resolved;                   /* the first hop's name resolved (DNS time seen) */
    bool connected;                  /* TCP to the first hop */
    char pin_error[CF_PEER_MAX];     /* the path pinning failed: what */
    struct cf_proxy proxy;
    struct cf_session tls; /* the policy handshake's session (may fail verification) */
    bool cert_seen;
    char cert_subject[CF_PEER_MAX * 4]; /* (kept whole up to this size in results) */
    char cert_issuer[CF_PEER_MAX * 4];
    int64_t cert_not_after; /* 0 unknown */
    long verify_result;     /* X509_V_OK (0) .. ; -1 unknown */
    bool name_mismatch;     /* the leaf does not name the host */
    bool diag_ran;
    struct cf_session diag; /* the diagnostic handshake's session */
    int64_t now;            /* wall seconds, for the expiry */
    uint32_t ms[3]; /* the policy handshake's connect, proxy, TLS times (UINT32_MAX: not reached) */
};

/* the item's parts the words need (views into a checks_item) */
struct cr_out {
    enum checks_verdict verdict;
    enum checks_phase phase;
    char reason[CHECKS_REASON_MAX];
    size_t needed; /* bytes the reason wanted (NUL excluded) */
};

/* check_reason.c */
void cr_judge(const struct checks_item *it, const struct check_facts *f, struct cr_out *out);
/* the longest reason this item can ever get, "GROUP: " included */
size_t cr_worst_len(const struct checks_item *it);
/* the first hop as named in reasons: via[0], else "proxy host:port" */
void cr_hop_name(const struct checks_item *it, char *buf, size_t len);

/* check_header.c: one header line of the CONNECT answer (CRLF may end it) */
void ch_line(struct cf_proxy *p, const char *line, size_t len);
/* index of name among via[] (case-insensitive), -1 none */
int ch_hop_index(const char *name, const char *const *via, size_t n_via);
/* printable ASCII copy, "..." when cut; returns out */
char *ch_clean(char *out, size_t outlen, const char *in, size_t inlen);

#endif
