/*
 * check_run: one check on curl's multi interface. Its easy handle (a fresh
 * connection, CONNECT_ONLY with an https:// URL: curl stops after the TLS
 * handshake), the pinning of its sockets to the path (SO_MARK,
 * SO_BINDTODEVICE, the source address), the proxy tunnel and its
 * credentials (never logged), the CONNECT answer's headers, one deadline
 * per phase (connect, CONNECT answer, TLS handshake) re-armed as the phases
 * advance, and, when the policy's handshake fails, one diagnostic handshake
 * allowing everything to name what the endpoint offers.
 *
 * Threading: the checks thread only (libcurl calls back on it).
 */
#define _GNU_SOURCE
#include "checks_int.h"
#include "check_run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct crun {
    struct crun *next;
    struct checks *c;
    size_t idx;
    CURL *easy;
    bool diag;
    double started; /* the check's start (the first handshake's) */
    double t0;      /* this handle's start */
    ev_timer deadline;
    enum checks_phase phase; /* CONNECT (DNS included), PROXY, TLS */
    double connected_at, answered_at;
    struct check_facts f;
    struct cf_proxy diag_proxy; /* the diagnostic's CONNECT answer (the first one's is kept) */
    int fd;                     /* the socket to the first hop while curl has it open, -1 */
    char errbuf[CURL_ERROR_SIZE];
    char *url, *proxy_url, *iface;
};

struct check_facts *crun_facts(struct crun *run)
{
    return &run->f;
}

const char *crun_host(const struct crun *run)
{
    return run->c->cur.items[run->idx].it.host;
}

bool crun_diag(const struct crun *run)
{
    return run->diag;
}

static const struct checks_item *item_of(const struct crun *run)
{
    return &run->c->cur.items[run->idx].it;
}

static void run_free(struct crun *run)
{
    if (run->easy)
        curl_easy_cleanup(run->easy);
    free(run->url);
    free(run->proxy_url);
    free(run->iface);
    free(run);
}

static void unlink_run(struct checks *c, struct crun *run)
{
    for (struct crun **pp = &c->active; *pp; pp = &(*pp)->next)
        if (*pp == run) {
            *pp = run->next;
            return;
        }
}

/* the sockets curl opens for this check, pinned to the path */
static int sockopt_cb(void *userp, curl_socket_t fd, curlsocktype purpose)
{
    struct crun *run = userp;
    const struct checks_pin *pin = &item_of(run)->pin;

    if (purpose == CURLSOCKTYPE_IPCXN) {
        run->fd = fd; /* (watched for the end of the TCP connect) */
        run->f.resolved = true;
    }
    if (pin->mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &pin->mark, sizeof(pin->mark)) != 0) {
        snprintf(run->f.pin_error, sizeof(run->f.pin_error), "SO_MARK 0x%x: %s", pin->mark,
                 strerror(errno));
        return CURL_SOCKOPT_ERROR;
    }
    if (pin->dev &&
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, pin->dev, (socklen_t)strlen(pin->dev)) != 0) {
        snprintf(run->f.pin_error, sizeof(run->f.pin_error), "device %s: %s", pin->dev,
                 strerror(errno));
        return CURL_SOCKOPT_ERROR;
    }
    return CURL_SOCKOPT_OK;
}

static int close_cb(void *userp, curl_socket_t fd)
{
    struct crun *run = userp;

    if (run->fd == fd)
        run->fd = -1;
    return close(fd);
}

/* the TCP connect to the first hop is done (curl says so only at the end) */
static bool tcp_connected(const struct crun *run)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    return run->fd >= 0 && getpeername(run->fd, (struct sockaddr *)&ss, &len) == 0;
}

/* the CONNECT answer (curl hands over whole header lines) */
static struct cf_proxy *answer(struct crun *run)
{
    return run->diag ? &run->diag_proxy : &run->f.proxy;
}

static size_t header_cb(char *buf, size_t size, size_t n, void *userp)
{
    struct crun *run = userp;
    struct cf_proxy *p = answer(run);
    int before = p->status;
    bool done = p->done;

    ch_line(p, buf, size * n);
    if (p->status && (!before || (done && !p->done)))
        run->answered_at = checks_mono();
    return size * n;
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void crun_progress_one(struct crun *run);

static void arm(struct crun *run, double from, uint32_t ms)
{
    double left = from + ms / 1000.0 - checks_mono();

    ev_timer_stop(run->c->loop, &run->deadline);
    ev_timer_set(&run->deadline, left > 0 ? left : 0, 0.);
    ev_timer_start(run->c->loop, &run->deadline);
}

static char *host_port(const char *scheme, const char *host, uint16_t port)
{
    char *s = NULL;
    bool v6 = strchr(host, ':') != NULL;

    if (asprintf(&s, "%s%s%s%s:%u/", scheme, v6 ? "[" : "", host, v6 ? "]" : "", port) < 0)
        return NULL;
    return s;
}

/* libcurl (7.88, Debian 12) URL-decodes CURLOPT_PROXYUSERNAME and
 * CURLOPT_PROXYPASSWORD, so a '%' in a secret would be eaten: both are
 * passed percent-encoded. The encoded copies are wiped before they are
 * freed (libcurl keeps its own). */
static int set_one_credential(CURL *e, CURLoption opt, const char *value)
{
    char *enc = curl_easy_escape(e, value, 0);
    int rc;

    if (!enc)
        return -1;
    rc = curl_easy_setopt(e, opt, enc);
    explicit_bzero(enc, strlen(enc));
    curl_free(enc);
    return rc;
}

static int set_proxy_credentials(CURL *e, const char *user, const char *password)
{
    return set_one_credential(e, CURLOPT_PROXYUSERNAME, user) |
           set_one_credential(e, CURLOPT_PROXYPASSWORD, password);
}

static int set_proxy(struct crun *run, const struct citem *ci)
{
    const struct checks_proxy *p = &ci->it.proxy;
    CURL *e = run->easy;

    if (!ci->it.use_proxy)
        return curl_easy_setopt(e, CURLOPT_PROXY, ""); /* never the environment's */
    run->proxy_url = host_port("http://", p->host, p->port);
    if (!run->proxy_url)
        return -1;
    run->proxy_url[strlen(run->proxy_url) - 1] = '\0'; /* no path */
    int rc = curl_easy_setopt(e, CURLOPT_PROXY, run->proxy_url) |
             curl_easy_setopt(e, CURLOPT_PROXYTYPE, (long)CURLPROXY_HTTP) |
             curl_easy_setopt(e, CURLOPT_HTTPPROXYTUNNEL, 1L) |
             curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb) |
             curl_easy_setopt(e, CURLOPT_HEADERDATA, run);
    if (p->user)
        rc |= set_proxy_credentials(e, p->user, p->password ? p->password : "") |
              curl_easy_setopt(e, CURLOPT_PROXYAUTH, (unsigned long)ci->auth);
    return rc;
}

static int set_tls(struct crun *run, const struct citem *ci)
{
    const struct checks_tls_policy *t = &ci->it.tls;
    CURL *e = run->easy;
    int rc = curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, ctls_ctx_cb) |
             curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, run);

    if (run->diag)
        return rc | curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) |
               curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L) |
               curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_0) |
               curl_easy_setopt(e, CURLOPT_SSL_CIPHER_LIST, "DEFAULT:@SECLEVEL=0");
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) |
          curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) |
          curl_easy_setopt(
              e, CURLOPT_SSLVERSION,
              (long)(t->min_version >= 0x0304 ? CURL_SSLVERSION_TLSv1_3 : CURL_SSLVERSION_TLSv1_2));
    if (ci->tls12_ciphers && ci->tls12_ciphers[0])
        rc |= curl_easy_setopt(e, CURLOPT_SSL_CIPHER_LIST, ci->tls12_ciphers);
    if (ci->tls13_suites)
        rc |= curl_easy_setopt(e, CURLOPT_TLS13_CIPHERS, ci->tls13_suites);
    if (t->ca_file) /* that bundle only: not the system's directory as well */
        rc |= curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file) |
              curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
    return rc;
}

static int setup(struct crun *run)
{
    const struct citem *ci = &run->c->cur.items[run->idx];
    const struct checks_config *cfg = &run->c->cur.cfg;
    CURL *e = run->easy;
    long total = (long)cfg->connect_ms + cfg->proxy_ms + cfg->tls_ms + 1000;

    run->url = host_port("https://", ci->it.host, ci->it.port);
    if (!run->url)
        return -1;
    int rc =
        curl_easy_setopt(e, CURLOPT_URL, run->url) | curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L) |
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) |
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) | curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) |
        curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L) |
        curl_easy_setopt(e, CURLOPT_PRIVATE, run) |
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, run->errbuf) |
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total) | /* a bound behind ours */
        curl_easy_setopt(e, CURLOPT_USERAGENT, "tunneld-checks") |
        curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, sockopt_cb) |
        curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, run) |
        curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_cb) |
        curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, run);
#if LIBCURL_VERSION_NUM >= 0x075700
    /* a check ended at its deadline while libcurl's resolver thread still
     * waits for DNS: without this, removing the handle joins that thread
     * and blocks the whole loop until the resolver gives up; with it the
     * thread is left to finish and free itself */
    rc |= curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
#endif
    if (ci->it.pin.source) {
        if (asprintf(&run->iface, "host!%s", ci->it.pin.source) < 0)
            return -1;
        rc |= curl_easy_setopt(e, CURLOPT_INTERFACE, run->iface);
    }
    if (set_proxy(run, ci) != 0 || set_tls(run, ci) != 0)
        return -1;
    return rc;
}

int crun_start(struct checks *c, size_t idx, bool diag, const struct check_facts *carry,
               double started)
{
    struct crun *run = calloc(1, sizeof(*run));

    if (!run)
        return -1;
    run->c = c;
    run->idx = idx;
    run->diag = diag;
    run->fd = -1;
    run->t0 = checks_mono();
    run->started = diag ? started : run->t0;
    if (carry)
        run->f = *carry;
    else
        run->f.verify_result = -1;
    run->f.diag_ran = diag || run->f.diag_ran;
    const struct checks_item *it = &c->cur.items[idx].it;
    const char *first = it->use_proxy ? it->proxy.host : it->host;
    unsigned char buf[16];
    if (inet_pton(AF_INET, first, buf) == 1 || inet_pton(AF_INET6, first, buf) == 1)
        run->f.resolved = true; /* nothing to resolve */
    run->phase = CHECKS_PH_CONNECT;
    ev_timer_init(&run->deadline, deadline_cb, 0., 0.);
    run->deadline.data = run;
    run->easy = curl_easy_init();
    if (!run->easy || setup(run) != 0) {
        clog_(c, 0, "checks: cannot set up the check of %s:%u (out of memory or libcurl refused)",
              c->cur.items[idx].it.host, c->cur.items[idx].it.port);
        run_free(run);
        return -1;
    }
    run->next = c->active;
    c->active = run;
    arm(run, run->t0, c->cur.cfg.connect_ms);
    if (curl_multi_add_handle(c->multi, run->easy) != CURLM_OK) {
        ev_timer_stop(c->loop, &run->deadline);
        unlink_run(c, run);
        run_free(run);
        return -1;
    }
    return 0;
}

static uint32_t ms_between(double a, double b)
{
    return (a > 0 && b >= a) ? (uint32_t)((b - a) * 1000 + 0.5) : UINT32_MAX;
}

/* the run ends: its facts to the engine (or the diagnostic handshake next) */
static void conclude(struct checks *c, struct crun *run, double appconnected)
{
    size_t idx = run->idx;
    struct check_facts f = run->f;
    double started = run->started;
    bool diag_next =
        !run->diag && f.curl_code == CURLE_SSL_CONNECT_ERROR && f.timeout_phase == CHECKS_PH_NONE;
    uint32_t cms = ms_between(run->t0, run->connected_at);
    uint32_t pms =
        item_of(run)->use_proxy ? ms_between(run->connected_at, run->answered_at) : UINT32_MAX;
    double tls_from = item_of(run)->use_proxy ? run->answered_at : run->connected_at;
    uint32_t tms = ms_between(tls_from, appconnected);

    ev_timer_stop(c->loop, &run->deadline);
    if (!run->diag) { /* the policy handshake's times are the check's */
        f.ms[0] = cms;
        f.ms[1] = pms;
        f.ms[2] = tms;
    }
    unlink_run(c, run);
    curl_multi_remove_handle(c->multi, run->easy);
    run_free(run);
    if (diag_next && crun_start(c, idx, true, &f, started) == 0)
        return;
    f.now = checks_wall();
    checks_done(c, idx, &f, started, f.ms[0], f.ms[1], f.ms[2]);
}

/* what libcurl knows once the handle is done */
static void collect(struct crun *run, CURLcode code, double *appconnected)
{
    CURL *e = run->easy;
    long v = 0, os = 0;
    curl_off_t t = 0;
    struct curl_tlssessioninfo *ti = NULL;

    *appconnected = 0;
    if (run->diag) { /* the first handshake's facts stay; only what was offered is added */
        if (code == CURLE_OK && curl_easy_getinfo(e, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK && ti &&
            ti->backend == CURLSSLBACKEND_OPENSSL && ti->internals)
            ctls_session(ti->internals, &run->f.diag);
        return;
    }
    run->f.curl_code = code;
    ch_clean(run->f.curl_err, sizeof(run->f.curl_err), run->errbuf, strlen(run->errbuf));
    if (curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os) == CURLE_OK)
        run->f.os_errno = (int)os;
    if (run->f.verify_result <= 0 &&
        curl_easy_getinfo(e, CURLINFO_SSL_VERIFYRESULT, &v) == CURLE_OK && v != 0)
        run->f.verify_result = v;
    if (!run->f.proxy.status && curl_easy_getinfo(e, CURLINFO_HTTP_CONNECTCODE, &v) == CURLE_OK)
        run->f.proxy.status = (int)v;
    /* CONNECT_ONLY: the transfer is done when the handshake is; read on our
     * clock like connected_at and answered_at (curl's own start is not t0,
     * and mixing the two made the TLS time negative, shown as null) */
    if (code == CURLE_OK && curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &t) == CURLE_OK && t)
        *appconnected = checks_mono();
    if (code == CURLE_OK && curl_easy_getinfo(e, CURLINFO_TLS_SSL_PTR, &ti) == CURLE_OK && ti &&
        ti->backend == CURLSSLBACKEND_OPENSSL && ti->internals)
        ctls_session(ti->internals, &run->f.tls);
    if (run->f.verify_result < 0 && code == CURLE_OK)
        run->f.verify_result = 0;
}

void crun_finish(struct checks *c, CURL *easy, CURLcode code)
{
    struct crun *run = NULL;
    double app;

    if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&run) != CURLE_OK || !run)
        return;
    crun_progress_one(run);
    collect(run, code, &app);
    conclude(c, run, app);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct crun *run = w->data;
    const struct checks_config *cfg = &run->c->cur.cfg;
    double app = 0;

    (void)loop;
    (void)revents;
    if (run->diag) { /* the first handshake's failure stands */
        conclude(run->c, run, 0);
        return;
    }
    run->f.timeout_phase = run->phase;
    run->f.timeout_ms = run->phase == CHECKS_PH_PROXY ? cfg->proxy_ms
                        : run->phase == CHECKS_PH_TLS ? cfg->tls_ms
                                                      : cfg->connect_ms;
    if (run->phase == CHECKS_PH_CONNECT && !run->f.resolved)
        run->f.timeout_phase = CHECKS_PH_DNS;
    collect(run, CURLE_OPERATION_TIMEDOUT, &app);
    conclude(run->c, run, 0);
}

/* the phases one handle went through since last time: deadlines follow */
static void crun_progress_one(struct crun *run)
{
    const struct checks_config *cfg = &run->c->cur.cfg;
    curl_off_t t = 0;

    if (run->phase == CHECKS_PH_CONNECT && !tcp_connected(run) &&
        curl_easy_getinfo(run->easy, CURLINFO_CONNECT_TIME_T, &t) == CURLE_OK && t > 0) {
        /* (connected and through before we looked) */
        run->f.resolved = run->f.connected = true;
        run->connected_at = run->t0 + (double)t / 1e6;
        run->phase = item_of(run)->use_proxy ? CHECKS_PH_PROXY : CHECKS_PH_TLS;
    }
    if (!run->f.resolved &&
        curl_easy_getinfo(run->easy, CURLINFO_NAMELOOKUP_TIME_T, &t) == CURLE_OK && t > 0)
        run->f.resolved = true;
    if (run->phase == CHECKS_PH_CONNECT && tcp_connected(run)) {
        run->f.resolved = run->f.connected = true;
        run->connected_at = checks_mono();
        run->phase = item_of(run)->use_proxy ? CHECKS_PH_PROXY : CHECKS_PH_TLS;
        arm(run, run->connected_at, run->phase == CHECKS_PH_PROXY ? cfg->proxy_ms : cfg->tls_ms);
    }
    if (run->phase == CHECKS_PH_PROXY && answer(run)->done && answer(run)->status >= 200 &&
        answer(run)->status < 300) {
        run->phase = CHECKS_PH_TLS;
        arm(run, run->answered_at, cfg->tls_ms);
    }
}

void crun_progress(struct checks *c)
{
    for (struct crun *run = c->active; run; run = run->next)
        crun_progress_one(run);
}

void crun_abort_all(struct checks *c)
{
    while (c->active) {
        struct crun *run = c->active;
        c->active = run->next;
        ev_timer_stop(c->loop, &run->deadline);
        curl_multi_remove_handle(c->multi, run->easy);
        run_free(run);
    }
}
