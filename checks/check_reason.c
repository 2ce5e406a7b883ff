/*
 * check_reason: one check's facts into its verdict, the phase where it
 * stopped and ONE reason in plain words (docs/checks.md lists them). Also
 * the longest reason an item can get, so that configuration refuses names
 * that would not fit CHECKS_REASON_MAX instead of cutting them.
 *
 * Threading: pure functions (any thread).
 */
#include "check_facts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/x509_vfy.h>

/* a bounded writer that remembers how much it wanted */
struct sb {
    char *buf;
    size_t cap, len; /* len: wanted, may exceed cap - 1 */
    size_t peer;     /* bytes a peer's text may take (cut with "...") */
};

/* the longest peer text first; shorter ones until the reason fits */
static const size_t peer_caps[] = {CF_PEER_MAX - 1, 40, 24, 16};
#define PEER_MIN 16

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    size_t room = b->len < b->cap ? b->cap - b->len : 0;

    va_start(ap, fmt);
    int n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len += (size_t)n;
}

/* a text from the other side, cut to b->peer bytes with "..." */
static void sb_peer(struct sb *b, const char *s)
{
    size_t n = strlen(s);

    if (n <= b->peer)
        sb_add(b, "%s", s);
    else
        sb_add(b, "%.*s...", (int)(b->peer - 3), s);
}

void cr_hop_name(const struct checks_item *it, char *buf, size_t len)
{
    const struct checks_proxy *p = &it->proxy;

    if (p->n_via && p->via[0])
        snprintf(buf, len, "%s", p->via[0]);
    else if (!it->use_proxy || !p->host)
        snprintf(buf, len, "no proxy");
    else if (strchr(p->host, ':'))
        snprintf(buf, len, "proxy [%s]:%u", p->host, p->port);
    else
        snprintf(buf, len, "proxy %s:%u", p->host, p->port);
}

/* HOST:PORT ([v6]:port) */
static void ep(struct sb *b, const struct checks_item *it)
{
    if (strchr(it->host, ':'))
        sb_add(b, "[%s]:%u", it->host, it->port);
    else
        sb_add(b, "%s:%u", it->host, it->port);
}

/* the first hop where a failure to reach it is named: "azure-proxy
 * (100.64.3.3:3128)" or "proxy 100.64.3.3:3128" */
static void hop_where(struct sb *b, const struct checks_item *it)
{
    const struct checks_proxy *p = &it->proxy;

    if (!it->use_proxy || !p->host)
        sb_add(b, "no proxy");
    else if (p->n_via && p->via[0])
        sb_add(b, strchr(p->host, ':') ? "%s ([%s]:%u)" : "%s (%s:%u)", p->via[0], p->host,
               p->port);
    else
        sb_add(b, strchr(p->host, ':') ? "proxy [%s]:%u" : "proxy %s:%u", p->host, p->port);
}

static const char *phase_words(enum checks_phase ph)
{
    switch (ph) {
    case CHECKS_PH_DNS:
        return "resolving the name";
    case CHECKS_PH_CONNECT:
        return "TCP connect";
    case CHECKS_PH_TLS:
    case CHECKS_PH_POLICY:
        return "TLS handshake";
    default:
        return "the check";
    }
}

static const char *policy_words(int min_version)
{
    return min_version >= 0x0304 ? "TLS 1.3 or newer" : "TLS 1.2 or newer";
}

static const char *errno_words(int e)
{
    switch (e) {
    case ECONNREFUSED:
        return "connection refused";
    case EHOSTUNREACH:
        return "host unreachable";
    case ENETUNREACH:
        return "network unreachable";
    case ETIMEDOUT:
        return "connection timed out";
    case ECONNRESET:
        return "connection reset";
    default:
        return NULL;
    }
}

/* a session against the policy: true when it breaks it (words in b) */
static bool session_breaks(struct sb *b, const struct checks_item *it, const struct cf_session *s)
{
    const struct checks_tls_policy *t = &it->tls;

    if (s->version < t->min_version) {
        ep(b, it);
        sb_add(b, ": %s only (policy: %s)", s->version_name, policy_words(t->min_version));
        return true;
    }
    if (t->require_aes && (!s->aes || s->bits < t->min_bits)) {
        ep(b, it);
        sb_add(b, ": cipher ");
        sb_peer(b, s->cipher);
        sb_add(b, " is not AES-%u", t->min_bits);
        return true;
    }
    if (s->bits < t->min_bits) {
        ep(b, it);
        sb_add(b, ": cipher ");
        sb_peer(b, s->cipher);
        sb_add(b, " is %u-bit (policy: %u-bit)", s->bits, t->min_bits);
        return true;
    }
    return false;
}

static long days_round(int64_t secs)
{
    return (long)((secs + 43200) / 86400);
}

static bool untrusted(long v)
{
    return v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
           v == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT || v == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
           v == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
           v == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE || v == X509_V_ERR_CERT_UNTRUSTED ||
           v == X509_V_ERR_CERT_REJECTED;
}

/* the handshake was refused for the certificate */
static void cert_words(struct sb *b, const struct checks_item *it, const struct check_facts *f)
{
    ep(b, it);
    if (f->verify_result == X509_V_ERR_CERT_HAS_EXPIRED && f->cert_not_after) {
        long d = days_round(f->now - f->cert_not_after);
        if (d >= 1)
            sb_add(b, ": certificate expired %ld day%s ago", d, d == 1 ? "" : "s");
        else
            sb_add(b, ": certificate expired less than a day ago");
    } else if (f->verify_result == X509_V_ERR_CERT_NOT_YET_VALID) {
        sb_add(b, ": certificate not valid yet");
    } else if (untrusted(f->verify_result)) {
        sb_add(b, ": certificate not trusted (issuer ");
        sb_peer(b, f->cert_issuer[0] ? f->cert_issuer : "unknown");
        sb_add(b, " not in %s)", it->tls.ca_file ? it->tls.ca_file : "the system's CA bundle");
    } else if (f->name_mismatch || f->verify_result == X509_V_OK) {
        sb_add(b, ": certificate does not name %s (subject ", it->host);
        sb_peer(b, f->cert_subject[0] ? f->cert_subject : "unknown");
        sb_add(b, ")");
    } else {
        sb_add(b, ": certificate refused (");
        sb_peer(b, X509_verify_cert_error_string(f->verify_result));
        sb_add(b, ")");
    }
}

/* the proxy answered CONNECT with something else than 2xx */
static void proxy_words(struct sb *b, const struct checks_item *it, const struct check_facts *f)
{
    const struct cf_proxy *p = &f->proxy;
    const struct checks_proxy *cp = &it->proxy;
    int k = ch_hop_index(p->via_first, cp->via, cp->n_via);
    char err[CF_PEER_MAX], first[CHECKS_REASON_MAX];
    size_t w = strcspn(p->error, " ");

    memcpy(err, p->error, w); /* Squid's error name without its errno */
    err[w] = '\0';
    const char *what = err[0] ? err : p->text;

    if (k > 0) { /* a further hop made the answer: "first → [… →] that hop" */
        sb_add(b, "%s \xe2\x86\x92 %s%s: %d ", cp->via[0],
               k > 1 ? "\xe2\x80\xa6 \xe2\x86\x92 " : "", cp->via[k], p->status);
        sb_peer(b, what[0] ? what : "(no reason given)");
        sb_add(b, " to ");
        ep(b, it);
        return;
    }
    cr_hop_name(it, first, sizeof(first));
    sb_add(b, "%s answered %d: ", first, p->status);
    if (p->status == 407)
        sb_add(b, cp->user ? "credentials refused" : "credentials required (none configured)");
    else if (p->status == 403 && err[0]) {
        sb_add(b, "CONNECT refused (");
        sb_peer(b, err);
        sb_add(b, ")");
    } else if (p->status == 403) {
        sb_add(b, "CONNECT refused");
    } else {
        sb_peer(b, what[0] ? what : "(no reason given)");
        sb_add(b, " to ");
        ep(b, it);
    }
    /* a chain whose answer names no hop (Squid 5.7 relays a parent's 503
     * without Via): the first hop sent it, who made it is not known */
    if (k < 0 && cp->n_via > 1 && !p->via_first[0])
        sb_add(b, " (the answer names no hop: %s or one behind it)", first);
    else if (k < 0 && cp->n_via > 1) {
        sb_add(b, " (its Via names ");
        sb_peer(b, p->via_first);
        sb_add(b, ", not a hop of via)");
    }
}

/* a failure before any proxy answer or handshake */
static bool reach_words(struct sb *b, const struct checks_item *it, const struct check_facts *f,
                        enum checks_phase *ph)
{
    const char *w;

    switch (f->curl_code) {
    case CURLE_COULDNT_RESOLVE_HOST:
        *ph = CHECKS_PH_DNS;
        sb_add(b, "%s: name does not resolve", it->host);
        return true;
    case CURLE_COULDNT_RESOLVE_PROXY:
        *ph = CHECKS_PH_DNS;
        hop_where(b, it);
        sb_add(b, ": name does not resolve");
        return true;
    case CURLE_COULDNT_CONNECT:
        if (f->connected)
            return false;
        *ph = CHECKS_PH_CONNECT;
        if (it->use_proxy)
            hop_where(b, it);
        else
            ep(b, it);
        w = errno_words(f->os_errno);
        if (w)
            sb_add(b, ": %s", w);
        else {
            sb_add(b, ": cannot connect (");
            sb_peer(b, f->curl_err);
            sb_add(b, ")");
        }
        return true;
    default:
        return false;
    }
}

static void timeout_words(struct sb *b, const struct checks_item *it, const struct check_facts *f)
{
    char first[CHECKS_REASON_MAX];

    if (f->timeout_phase == CHECKS_PH_PROXY) {
        cr_hop_name(it, first, sizeof(first));
        sb_add(b, "timed out after %u ms waiting for the CONNECT answer from %s", f->timeout_ms,
               first);
        return;
    }
    if (f->timeout_phase == CHECKS_PH_DNS) {
        sb_add(b, "%s: timed out after %u ms resolving the name",
               it->use_proxy && it->proxy.host ? it->proxy.host : it->host, f->timeout_ms);
        return;
    }
    if (it->use_proxy && f->timeout_phase == CHECKS_PH_CONNECT)
        hop_where(b, it);
    else
        ep(b, it);
    sb_add(b, ": timed out after %u ms (%s)", f->timeout_ms, phase_words(f->timeout_phase));
}

static void tls_failed(struct sb *b, const struct checks_item *it, const struct check_facts *f,
                       struct cr_out *o)
{
    o->phase = CHECKS_PH_TLS;
    if (f->diag_ran && f->diag.valid && session_breaks(b, it, &f->diag))
        return;
    ep(b, it);
    sb_add(b, ": TLS handshake failed (");
    sb_peer(b, f->curl_err[0] ? f->curl_err : "no detail");
    sb_add(b, ")");
}

static void words(struct sb *b, const struct checks_item *it, const struct check_facts *f,
                  struct cr_out *o)
{
    o->verdict = CHECKS_FAIL;
    if (f->pin_error[0]) {
        o->phase = CHECKS_PH_CONNECT;
        sb_add(b, "cannot pin the check to path %s (", it->path);
        sb_peer(b, f->pin_error);
        sb_add(b, ")");
    } else if (f->timeout_phase != CHECKS_PH_NONE) {
        o->phase = f->timeout_phase;
        timeout_words(b, it, f);
    } else if (it->use_proxy && f->proxy.status &&
               (f->proxy.status < 200 || f->proxy.status > 299)) {
        o->phase = CHECKS_PH_PROXY;
        proxy_words(b, it, f);
    } else if (reach_words(b, it, f, &o->phase)) {
        return;
    } else if (it->use_proxy && f->connected && f->curl_code != CURLE_OK && !f->proxy.done) {
        o->phase = CHECKS_PH_PROXY; /* no whole answer to CONNECT */
        hop_where(b, it);
        sb_add(b, ": no complete answer to CONNECT (");
        sb_peer(b, f->curl_err[0] ? f->curl_err : "closed");
        sb_add(b, ")");
    } else if (f->curl_code == CURLE_PEER_FAILED_VERIFICATION) {
        o->phase = CHECKS_PH_TLS;
        cert_words(b, it, f);
    } else if (f->curl_code == CURLE_SSL_CACERT_BADFILE) {
        o->phase = CHECKS_PH_TLS;
        sb_add(b, "CA file %s cannot be read", it->tls.ca_file ? it->tls.ca_file : "(system)");
    } else if (f->curl_code == CURLE_SSL_CONNECT_ERROR) {
        tls_failed(b, it, f, o);
    } else if (f->curl_code != CURLE_OK) {
        o->phase = f->tls.valid ? CHECKS_PH_TLS : f->connected ? CHECKS_PH_TLS : CHECKS_PH_CONNECT;
        ep(b, it);
        sb_add(b, ": %s (", curl_easy_strerror(f->curl_code));
        sb_peer(b, f->curl_err);
        sb_add(b, ")");
    } else if (session_breaks(b, it, &f->tls)) {
        o->phase = CHECKS_PH_POLICY;
    } else {
        o->phase = CHECKS_PH_NONE;
        o->verdict = CHECKS_PASS;
        int64_t left = f->cert_not_after ? f->cert_not_after - f->now : INT64_MAX;
        if (f->cert_not_after && left < (int64_t)it->tls.warn_days * 86400) {
            long d = days_round(left);
            o->verdict = CHECKS_WARN;
            ep(b, it);
            if (d >= 1)
                sb_add(b, ": certificate expires in %ld day%s", d, d == 1 ? "" : "s");
            else
                sb_add(b, ": certificate expires in less than a day");
        } else {
            ep(b, it);
            sb_add(b, ": ok (%s, ", f->tls.version_name);
            sb_peer(b, f->tls.cipher);
            sb_add(b, ")");
        }
    }
}

static void judge_cap(const struct checks_item *it, const struct check_facts *f, struct cr_out *out,
                      size_t peer)
{
    struct sb b = {out->reason, sizeof(out->reason), 0, peer};

    out->reason[0] = '\0';
    words(&b, it, f, out);
    out->needed = b.len;
}

/* the reason with the peer's texts as long as they fit, "GROUP: " counted */
void cr_judge(const struct checks_item *it, const struct check_facts *f, struct cr_out *out)
{
    size_t room = CHECKS_REASON_MAX - 1 - (strlen(it->group) + 2);

    for (size_t i = 0; i < sizeof(peer_caps) / sizeof(peer_caps[0]); i++) {
        judge_cap(it, f, out, peer_caps[i]);
        if (out->needed <= room)
            return;
    }
}

/* every kind of reason with the longest peer texts */
size_t cr_worst_len(const struct checks_item *it)
{
    static const int codes[] = {CURLE_COULDNT_RESOLVE_HOST,
                                CURLE_COULDNT_RESOLVE_PROXY,
                                CURLE_COULDNT_CONNECT,
                                CURLE_PEER_FAILED_VERIFICATION,
                                CURLE_SSL_CONNECT_ERROR,
                                CURLE_SSL_CACERT_BADFILE,
                                CURLE_OK,
                                CURLE_RECV_ERROR,
                                CURLE_COULDNT_CONNECT};
    static const long verify[] = {X509_V_ERR_CERT_HAS_EXPIRED,
                                  X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_OK,
                                  X509_V_ERR_CERT_SIGNATURE_FAILURE};
    static const enum checks_phase tph[] = {CHECKS_PH_NONE, CHECKS_PH_DNS, CHECKS_PH_CONNECT,
                                            CHECKS_PH_PROXY, CHECKS_PH_TLS};
    struct check_facts f;
    size_t worst = 0;
    struct cr_out o;

    memset(&f, 0, sizeof(f));
    memset(f.curl_err, 'X', sizeof(f.curl_err) - 1);
    memset(f.pin_error, 'X', sizeof(f.pin_error) - 1);
    memset(f.cert_subject, 'X', sizeof(f.cert_subject) - 1);
    memset(f.cert_issuer, 'X', sizeof(f.cert_issuer) - 1);
    memset(f.proxy.text, 'X', sizeof(f.proxy.text) - 1);
    memset(f.proxy.error, 'X', sizeof(f.proxy.error) - 1);
    f.tls = (struct cf_session){.valid = true, .version = 0x0301, .bits = 4000000000u};
    memset(f.tls.cipher, 'X', sizeof(f.tls.cipher) - 1);
    memcpy(f.tls.version_name, "TLSv1.0", 8);
    f.diag = f.tls;
    f.diag_ran = true;
    f.os_errno = 0;
    f.timeout_ms = 4000000000u;
    f.now = 0;
    f.cert_not_after = -(int64_t)4000000000 * 86400;
    for (int hop = -1; hop <= (int)it->proxy.n_via; hop++) { /* none, each, an unknown one */
        if (hop == (int)it->proxy.n_via)
            memset(f.proxy.via_first, 'X', sizeof(f.proxy.via_first) - 1);
        else if (hop >= 0)
            snprintf(f.proxy.via_first, sizeof(f.proxy.via_first), "%s", it->proxy.via[hop]);
        for (int pass = 0; pass < 2; pass++) {
            f.pin_error[0] = pass ? 'X' : '\0';
            f.proxy.status = pass ? 0 : 999;
            for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++)
                for (size_t v = 0; v < sizeof(verify) / sizeof(verify[0]); v++)
                    for (size_t t = 0; t < sizeof(tph) / sizeof(tph[0]); t++) {
                        f.curl_code = codes[c];
                        f.connected = c == sizeof(codes) / sizeof(codes[0]) - 1;
                        f.verify_result = verify[v];
                        f.timeout_phase = tph[t];
                        judge_cap(it, &f, &o, PEER_MIN);
                        if (o.needed > worst)
                            worst = o.needed;
                    }
        }
    }
    return worst + strlen(it->group) + 2; /* "GROUP: " in a path's reason */
}
