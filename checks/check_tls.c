/*
 * check_tls: OpenSSL's side of a check. The cipher lists a policy lets us
 * offer; libcurl's SSL_CTX callback, which installs a verify callback
 * (records the leaf certificate, even when verification fails, and the
 * first verification error) and an info callback (records the session when
 * the handshake is done, even when curl refuses the name afterwards); the
 * session's version and cipher; the leaf's subject, issuer, expiry and
 * whether it names the host. libcurl verifies; nothing is decided here.
 *
 * Threading: the callbacks run on the checks thread inside libcurl; the
 * per-check data reaches them through SSL_CTX ex_data (index made once).
 */
#define _GNU_SOURCE
#include "checks_int.h"
#include "check_run.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void ex_make(void)
{
    ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static bool cipher_aes(const SSL_CIPHER *ci)
{
    int nid = SSL_CIPHER_get_cipher_nid(ci);
    const char *sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;

    return sn && (strncasecmp(sn, "aes", 3) == 0 || strncasecmp(sn, "id-aes", 6) == 0);
}

static bool allowed(const SSL_CIPHER *ci, const struct checks_tls_policy *t)
{
    return (unsigned)SSL_CIPHER_get_bits(ci, NULL) >= t->min_bits &&
           (!t->require_aes || cipher_aes(ci));
}

static int append(char **list, size_t *len, const char *name)
{
    size_t n = strlen(name);
    char *p = realloc(*list, *len + n + 2);

    if (!p)
        return -1;
    if (*len)
        p[(*len)++] = ':';
    memcpy(p + *len, name, n + 1);
    *len += n;
    *list = p;
    return 0;
}

int ctls_policy_lists(const struct checks_tls_policy *t, char **tls12, char **tls13)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    size_t l12 = 0, l13 = 0;
    int rc = 0;

    *tls12 = *tls13 = NULL;
    if (!ctx || SSL_CTX_set_cipher_list(ctx, "ALL:!aNULL:!eNULL:!PSK:!SRP") != 1) {
        SSL_CTX_free(ctx);
        return -1;
    }
    STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; rc == 0 && i < sk_SSL_CIPHER_num(sk); i++) {
        const SSL_CIPHER *ci = sk_SSL_CIPHER_value(sk, i);
        if (!allowed(ci, t))
            continue;
        bool v13 = SSL_CIPHER_get_kx_nid(ci) == NID_kx_any; /* a TLS 1.3 suite */
        rc = append(v13 ? tls13 : tls12, v13 ? &l13 : &l12, SSL_CIPHER_get_name(ci));
    }
    SSL_CTX_free(ctx);
    if (rc != 0) {
        free(*tls12);
        free(*tls13);
        *tls12 = *tls13 = NULL;
    }
    return rc;
}

void ctls_session(void *ssl_, struct cf_session *s)
{
    SSL *ssl = ssl_;
    const SSL_CIPHER *ci = ssl ? SSL_get_current_cipher(ssl) : NULL;

    if (!ci)
        return;
    s->valid = true;
    s->version = SSL_version(ssl);
    snprintf(s->version_name, sizeof(s->version_name), "%s", SSL_get_version(ssl));
    ch_clean(s->cipher, sizeof(s->cipher), SSL_CIPHER_get_name(ci),
             strlen(SSL_CIPHER_get_name(ci)));
    s->bits = (unsigned)SSL_CIPHER_get_bits(ci, NULL);
    s->aes = cipher_aes(ci);
}

/* one-line RFC 2253 of name into out (printable ASCII, "..." when cut) */
static void name_line(X509_NAME *name, char *out, size_t outlen)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;

    out[0] = '\0';
    if (!bio)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0 &&
        (n = BIO_get_mem_data(bio, &data)) > 0)
        ch_clean(out, outlen, data, (size_t)n);
    BIO_free(bio);
}

void ctls_record_leaf(struct check_facts *f, void *x509, const char *host)
{
    X509 *x = x509;
    const ASN1_TIME *na = X509_get0_notAfter(x);
    struct tm tm;
    unsigned char buf[16];

    f->cert_seen = true;
    name_line(X509_get_subject_name(x), f->cert_subject, sizeof(f->cert_subject));
    name_line(X509_get_issuer_name(x), f->cert_issuer, sizeof(f->cert_issuer));
    if (na && ASN1_TIME_to_tm(na, &tm) == 1)
        f->cert_not_after = (int64_t)timegm(&tm);
    if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1)
        f->name_mismatch = X509_check_ip_asc(x, host, 0) != 1;
    else
        f->name_mismatch = X509_check_host(x, host, 0, 0, NULL) != 1;
}

static struct crun *run_of_ssl(const SSL *ssl)
{
    SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX(ssl) : NULL;

    return ctx ? SSL_CTX_get_ex_data(ctx, ex_index) : NULL;
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct crun *run = run_of_ssl(ssl);
    X509 *leaf = X509_STORE_CTX_get0_cert(store);

    if (!run)
        return preverify_ok;
    struct check_facts *f = crun_facts(run);
    if (leaf && !f->cert_seen)
        ctls_record_leaf(f, leaf, crun_host(run));
    if (!preverify_ok && f->verify_result <= 0)
        f->verify_result = X509_STORE_CTX_get_error(store);
    return preverify_ok;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    struct crun *run;

    (void)ret;
    if (!(where & SSL_CB_HANDSHAKE_DONE) || !(run = run_of_ssl(ssl)))
        return;
    struct cf_session *s = crun_diag(run) ? &crun_facts(run)->diag : &crun_facts(run)->tls;
    ctls_session((SSL *)ssl, s);
}

CURLcode ctls_ctx_cb(CURL *easy, void *sslctx, void *userp)
{
    SSL_CTX *ctx = sslctx;
    struct crun *run = userp;

    (void)easy;
    pthread_once(&ex_once, ex_make);
    if (ex_index < 0 || !SSL_CTX_set_ex_data(ctx, ex_index, run))
        return CURLE_OUT_OF_MEMORY;
    SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), verify_cb);
    SSL_CTX_set_info_callback(ctx, info_cb);
    if (crun_diag(run))
        SSL_CTX_set_security_level(ctx, 0); /* the diagnostic allows everything */
    return CURLE_OK;
}
