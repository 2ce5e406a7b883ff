/*
 * Unit tests of one check's verdict and reason (checks/check_reason.c) and
 * of the CONNECT answer's reader (checks/check_header.c): every exact
 * format of docs/checks.md, the hop of a chain from Squid's Via, peer texts
 * cut visibly so that a reason (with "GROUP: ") fits CHECKS_REASON_MAX.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include "check_facts.h"

#define H   "blob.example"
#define NOW 1800000000

static const char *const chain[] = {"dmz-proxy", "azure-proxy"};

static struct checks_item direct(void)
{
    struct checks_item it = {.site = "s", .group = "g", .path = "p", .host = H, .port = 443};
    checks_tls_defaults(&it.tls);
    return it;
}

static struct checks_item proxied(size_t n_via)
{
    struct checks_item it = direct();
    it.use_proxy = true;
    it.proxy = (struct checks_proxy){
        .host = "100.64.3.3", .port = 3128, .via = chain, .n_via = n_via, .auth = CHECKS_AUTH_ANY};
    return it;
}

static struct check_facts facts(void)
{
    struct check_facts f = {.verify_result = -1, .now = NOW};
    return f;
}

static struct cf_session session(const char *ver, int v, const char *cipher, unsigned bits,
                                 bool aes)
{
    struct cf_session s = {.valid = true, .version = v, .bits = bits, .aes = aes};
    snprintf(s.version_name, sizeof(s.version_name), "%s", ver);
    snprintf(s.cipher, sizeof(s.cipher), "%s", cipher);
    return s;
}

#define EXPECT(it, f, verdict_, phase_, text)                                                      \
    do {                                                                                           \
        struct cr_out o_;                                                                          \
        cr_judge(&(it), &(f), &o_);                                                                \
        assert_string_equal(o_.reason, text);                                                      \
        assert_int_equal(o_.verdict, verdict_);                                                    \
        assert_int_equal(o_.phase, phase_);                                                        \
    } while (0)

static void test_pass_and_expiry(void **state)
{
    struct checks_item it = direct();
    struct check_facts f = facts();

    (void)state;
    f.tls = session("TLSv1.2", 0x0303, "ECDHE-RSA-AES256-GCM-SHA384", 256, true);
    f.verify_result = 0;
    f.cert_not_after = NOW + 30 * 86400;
    EXPECT(it, f, CHECKS_PASS, CHECKS_PH_NONE, H ":443: ok (TLSv1.2, ECDHE-RSA-AES256-GCM-SHA384)");
    f.cert_not_after = NOW + 5 * 86400 - 60; /* made a minute ago for 5 days */
    EXPECT(it, f, CHECKS_WARN, CHECKS_PH_NONE, H ":443: certificate expires in 5 days");
    f.cert_not_after = NOW + 86400;
    EXPECT(it, f, CHECKS_WARN, CHECKS_PH_NONE, H ":443: certificate expires in 1 day");
    f.cert_not_after = NOW + 3600;
    EXPECT(it, f, CHECKS_WARN, CHECKS_PH_NONE, H ":443: certificate expires in less than a day");
    it.tls.warn_days = 0;
    EXPECT(it, f, CHECKS_PASS, CHECKS_PH_NONE, H ":443: ok (TLSv1.2, ECDHE-RSA-AES256-GCM-SHA384)");
}

static void test_policy(void **state)
{
    struct checks_item it = direct();
    struct check_facts f = facts();

    (void)state;
    f.curl_code = CURLE_SSL_CONNECT_ERROR;
    snprintf(f.curl_err, sizeof(f.curl_err), "tlsv1 alert protocol version");
    f.diag_ran = true;
    f.diag = session("TLSv1.1", 0x0302, "ECDHE-RSA-AES256-SHA", 256, true);
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS, H ":443: TLSv1.1 only (policy: TLS 1.2 or newer)");
    it.tls.min_version = 0x0304;
    f.diag = session("TLSv1.2", 0x0303, "ECDHE-RSA-AES256-GCM-SHA384", 256, true);
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS, H ":443: TLSv1.2 only (policy: TLS 1.3 or newer)");
    it.tls.min_version = 0x0303;
    f.diag = session("TLSv1.2", 0x0303, "AES128-GCM-SHA256", 128, true);
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS, H ":443: cipher AES128-GCM-SHA256 is not AES-256");
    it.tls.require_aes = false;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS,
           H ":443: cipher AES128-GCM-SHA256 is 128-bit (policy: 256-bit)");
    f.diag = session("TLSv1.2", 0x0303, "ECDHE-RSA-CHACHA20-POLY1305", 256, false);
    it.tls.require_aes = true;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS,
           H ":443: cipher ECDHE-RSA-CHACHA20-POLY1305 is not AES-256");
    /* the diagnostic found nothing against the policy: curl's words */
    f.diag = session("TLSv1.2", 0x0303, "ECDHE-RSA-AES256-GCM-SHA384", 256, true);
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS,
           H ":443: TLS handshake failed (tlsv1 alert protocol version)");
    /* a session that passed the handshake is judged too */
    f = facts();
    f.tls = session("TLSv1.2", 0x0303, "AES128-GCM-SHA256", 128, true);
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_POLICY, H ":443: cipher AES128-GCM-SHA256 is not AES-256");
}

static void test_certificates(void **state)
{
    struct checks_item it = direct();
    struct check_facts f = facts();

    (void)state;
    f.curl_code = CURLE_PEER_FAILED_VERIFICATION;
    f.cert_seen = true;
    snprintf(f.cert_subject, sizeof(f.cert_subject), "CN=other.example");
    snprintf(f.cert_issuer, sizeof(f.cert_issuer), "CN=Evil CA");
    f.verify_result = X509_V_ERR_CERT_HAS_EXPIRED;
    f.cert_not_after = NOW - 3 * 86400 + 30;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS, H ":443: certificate expired 3 days ago");
    f.verify_result = X509_V_OK;
    f.name_mismatch = true;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS,
           H ":443: certificate does not name " H " (subject CN=other.example)");
    f.verify_result = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS,
           H ":443: certificate not trusted (issuer CN=Evil CA not in the system's CA bundle)");
    it.tls.ca_file = "/etc/tunneld/azure-ca.pem";
    f.verify_result = X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_TLS,
           H ":443: certificate not trusted (issuer CN=Evil CA not in /etc/tunneld/azure-ca.pem)");
}

static void test_proxy_answers(void **state)
{
    struct checks_item one = proxied(0), two = proxied(2), via1 = proxied(1);
    struct check_facts f = facts();
    const char *ans407 = "HTTP/1.1 407 Proxy Authentication Required\r\n";
    static const char *const az[] = {"azure-proxy"};

    (void)state;
    via1.proxy.via = az;
    f.connected = true;
    f.curl_code = CURLE_COULDNT_CONNECT;
    ch_line(&f.proxy, ans407, strlen(ans407));
    ch_line(&f.proxy, "Via: 1.1 azure-proxy (squid/5.7)\r\n", 34);
    ch_line(&f.proxy, "\r\n", 2);
    EXPECT(via1, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "azure-proxy answered 407: credentials required (none configured)");
    via1.proxy.user = "sensor";
    EXPECT(via1, f, CHECKS_FAIL, CHECKS_PH_PROXY, "azure-proxy answered 407: credentials refused");
    EXPECT(one, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "proxy 100.64.3.3:3128 answered 407: credentials required (none configured)");

    memset(&f.proxy, 0, sizeof(f.proxy));
    const char *l403[] = {"HTTP/1.1 403 Forbidden\r\n", "Server: squid/5.7\r\n",
                          "X-Squid-Error: ERR_ACCESS_DENIED 0\r\n",
                          "Via: 1.1 azure-proxy (squid/5.7)\r\n", "\r\n"};
    for (size_t i = 0; i < 5; i++)
        ch_line(&f.proxy, l403[i], strlen(l403[i]));
    assert_string_equal(f.proxy.error, "ERR_ACCESS_DENIED 0");
    assert_string_equal(f.proxy.via_first, "azure-proxy");
    assert_string_equal(f.proxy.line, "HTTP/1.1 403 Forbidden");
    EXPECT(via1, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "azure-proxy answered 403: CONNECT refused (ERR_ACCESS_DENIED)");

    /* a chain: the first Via entry made the answer */
    memset(&f.proxy, 0, sizeof(f.proxy));
    const char *l503[] = {
        "HTTP/1.1 503 Service Unavailable\r\n", "X-Squid-Error: ERR_CONNECT_FAIL 111\r\n",
        "Via: 1.1 azure-proxy (squid/5.7), 1.1 dmz-proxy (squid/5.7)\r\n", "\r\n"};
    for (size_t i = 0; i < 4; i++)
        ch_line(&f.proxy, l503[i], strlen(l503[i]));
    EXPECT(two, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "dmz-proxy \xe2\x86\x92 azure-proxy: 503 ERR_CONNECT_FAIL to " H ":443");
    /* the same answer made by the first hop */
    snprintf(f.proxy.via_first, sizeof(f.proxy.via_first), "DMZ-PROXY");
    EXPECT(two, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "dmz-proxy answered 503: ERR_CONNECT_FAIL to " H ":443");
    /* no X-Squid-Error: the reason phrase */
    f.proxy.error[0] = '\0';
    EXPECT(two, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "dmz-proxy answered 503: Service Unavailable to " H ":443");
    /* a chain's answer without Via (Squid 5.7 relays its parent's 503 so):
     * the first hop answered, which hop failed is not known */
    f.proxy.via_first[0] = '\0';
    snprintf(f.proxy.error, sizeof(f.proxy.error), "ERR_CONNECT_FAIL 111");
    EXPECT(two, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "dmz-proxy answered 503: ERR_CONNECT_FAIL to " H
           ":443 (the answer names no hop: dmz-proxy or one behind it)");
    /* a Via naming none of the configured hops: the reason says so */
    snprintf(f.proxy.via_first, sizeof(f.proxy.via_first), "squid-7");
    EXPECT(two, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "dmz-proxy answered 503: ERR_CONNECT_FAIL to " H
           ":443 (its Via names squid-7, not a hop of via)");
}

static void test_header_reader(void **state)
{
    struct cf_proxy p = {0};
    const char *l;

    (void)state;
    ch_line(&p, "Via: 1.1 x\r\n", 12); /* before a status line: not ours */
    assert_int_equal(p.status, 0);
    assert_string_equal(p.via_first, "");
    l = "HTTP/1.1 407 Proxy Authentication Required\r\n";
    ch_line(&p, l, strlen(l));
    ch_line(&p, "via:   1.0 fred:3128, 1.1 p.example.com (Apache/1.1)\r\n", 55);
    assert_string_equal(p.via_first, "fred");
    ch_line(&p, "Via: 1.1 second\r\n", 17); /* a repeated Via continues the list */
    assert_string_equal(p.via_first, "fred");
    ch_line(&p, "\r\n", 2);
    assert_true(p.done);
    l = "HTTP/1.1 200 Connection established\r\n"; /* after the credentials */
    ch_line(&p, l, strlen(l));
    assert_int_equal(p.status, 200);
    assert_false(p.done);
    assert_string_equal(p.via_first, "");
    ch_line(&p, "Via: 1.1 [2001:db8::1]:3128\r\n", 29);
    assert_string_equal(p.via_first, "2001:db8::1");
    l = "HTTP/1.1 20x bad\r\n"; /* not a status line: a header of the 200 */
    ch_line(&p, l, strlen(l));
    assert_int_equal(p.status, 200);
    /* binary and control bytes: printable, cut with "..." */
    char bin[300];
    memcpy(bin, "HTTP/1.1 502 ", 13);
    for (size_t i = 13; i < sizeof(bin); i++)
        bin[i] = (char)(i * 7);
    ch_line(&p, bin, sizeof(bin));
    assert_int_equal(p.status, 502);
    assert_int_equal(strlen(p.line), sizeof(p.line) - 1);
    assert_string_equal(p.line + sizeof(p.line) - 4, "...");
    for (const char *c = p.text; *c; c++)
        assert_true(*c >= 0x20 && *c < 0x7f);
    assert_int_equal(ch_hop_index("Azure-Proxy", chain, 2), 1);
    assert_int_equal(ch_hop_index("", chain, 2), -1);
    assert_int_equal(ch_hop_index("nope", chain, 2), -1);
}

static void test_reach(void **state)
{
    struct checks_item it = direct(), px = proxied(1);
    struct check_facts f = facts();

    (void)state;
    f.curl_code = CURLE_COULDNT_RESOLVE_HOST;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_DNS, H ": name does not resolve");
    f.curl_code = CURLE_COULDNT_CONNECT;
    f.os_errno = 111; /* ECONNREFUSED */
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_CONNECT, H ":443: connection refused");
    EXPECT(px, f, CHECKS_FAIL, CHECKS_PH_CONNECT,
           "dmz-proxy (100.64.3.3:3128): connection refused");
    f.curl_code = CURLE_COULDNT_RESOLVE_PROXY;
    EXPECT(px, f, CHECKS_FAIL, CHECKS_PH_DNS, "dmz-proxy (100.64.3.3:3128): name does not resolve");
    f.curl_code = CURLE_OPERATION_TIMEDOUT;
    f.timeout_phase = CHECKS_PH_CONNECT;
    f.timeout_ms = 5000;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_CONNECT, H ":443: timed out after 5000 ms (TCP connect)");
    f.timeout_phase = CHECKS_PH_PROXY;
    EXPECT(px, f, CHECKS_FAIL, CHECKS_PH_PROXY,
           "timed out after 5000 ms waiting for the CONNECT answer from dmz-proxy");
    f.timeout_phase = CHECKS_PH_TLS;
    EXPECT(px, f, CHECKS_FAIL, CHECKS_PH_TLS, H ":443: timed out after 5000 ms (TLS handshake)");
    f.timeout_phase = CHECKS_PH_DNS;
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_DNS, H ": timed out after 5000 ms resolving the name");
    f.timeout_phase = CHECKS_PH_NONE;
    snprintf(f.pin_error, sizeof(f.pin_error), "SO_MARK 0x1: Operation not permitted");
    EXPECT(it, f, CHECKS_FAIL, CHECKS_PH_CONNECT,
           "cannot pin the check to path p (SO_MARK 0x1: Operation not permitted)");
}

/* a long subject is cut with "..." so that "GROUP: reason" fits; names never */
static void test_lengths(void **state)
{
    char host[200], group[64];
    struct checks_item it = direct();
    struct check_facts f = facts();
    struct cr_out o;

    (void)state;
    memset(host, 'h', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    memset(group, 'g', sizeof(group) - 1);
    group[sizeof(group) - 1] = '\0';
    it.group = group;
    f.curl_code = CURLE_PEER_FAILED_VERIFICATION;
    f.verify_result = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
    memset(f.cert_issuer, 'i', sizeof(f.cert_issuer) - 1);
    cr_judge(&it, &f, &o);
    assert_true(strlen(o.reason) + strlen(group) + 2 < CHECKS_REASON_MAX);
    assert_non_null(strstr(o.reason, "iii..."));
    assert_true(cr_worst_len(&it) < CHECKS_REASON_MAX);
    /* a host this long cannot fit every reason: the configuration refuses it */
    it.host = host;
    assert_true(cr_worst_len(&it) >= CHECKS_REASON_MAX);
    /* the worst case is the real worst: every reason of it.host fits once allowed */
    host[60] = '\0';
    it.group = "g";
    assert_true(cr_worst_len(&it) < CHECKS_REASON_MAX);
    f.name_mismatch = true;
    f.verify_result = X509_V_OK;
    memset(f.cert_subject, 's', sizeof(f.cert_subject) - 1);
    cr_judge(&it, &f, &o);
    assert_true(o.needed <= cr_worst_len(&it) + 200); /* (peer cut first) */
    assert_true(strlen(o.reason) + 3 < CHECKS_REASON_MAX);
    assert_non_null(strstr(o.reason, host)); /* the name whole */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_and_expiry), cmocka_unit_test(test_policy),
        cmocka_unit_test(test_certificates),    cmocka_unit_test(test_proxy_answers),
        cmocka_unit_test(test_header_reader),   cmocka_unit_test(test_reach),
        cmocka_unit_test(test_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
