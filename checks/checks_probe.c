/*
 * checks-probe: rounds of application checks through the real engine
 * (checks_start, checks_run_now, on_round, checks_snapshot, checks_stop),
 * for the tests and the benchmark; installed nowhere.
 *
 *   checks-probe [options] HOST:PORT...     (docs/checks.md has the options)
 *
 * stdout: one JSON object per row per round, then one per path that
 * on_path reported in that round. Exit 0: every check passed or warned;
 * 1: one failed; 2: usage or configuration error (on stderr). The proxy
 * password is read from a file, never from argv, and never printed.
 *
 * Threading: main thread; on_path and on_round run on the checks thread and
 * only copy under a mutex.
 */
#define _GNU_SOURCE
#include "checks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include <json-c/json.h>

#define MAX_ARGS 256

struct path_opt {
    char *name;
    struct checks_pin pin;
};

struct told { /* an on_path call, printed after the round's rows */
    char *site, *path, *reason;
    bool ok;
    struct told *next;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t rounds;
    struct told *told, **tail;
    bool verbose;
} g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL, NULL, false};

static void usage(void)
{
    fprintf(stderr,
            "usage: checks-probe [options] HOST:PORT...\n"
            "  --path NAME[,mark=N][,dev=D][,source=A]  (repeatable; default one path "
            "\"default\")\n"
            "  --proxy HOST:PORT --via a,b --user U --password-file F\n"
            "  --auth any|basic,digest,ntlm,negotiate\n"
            "  --ca FILE --min-version 1.2|1.3 --min-bits N --no-require-aes --warn-days N\n"
            "  --connect-timeout MS --proxy-timeout MS --tls-timeout MS --concurrency N\n"
            "  --site S --group G --legacy --rounds N --verbose\n");
}

static void on_path(const char *site, const char *path, bool ok, const char *reason, void *ctx)
{
    struct told *t = calloc(1, sizeof(*t));

    (void)ctx;
    if (!t)
        return;
    t->site = strdup(site);
    t->path = strdup(path);
    t->reason = reason ? strdup(reason) : NULL;
    t->ok = ok;
    pthread_mutex_lock(&g.lock);
    *g.tail = t;
    g.tail = &t->next;
    pthread_mutex_unlock(&g.lock);
}

static void on_round(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&g.lock);
    g.rounds++;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
}

static void on_log(int level, const char *msg, void *ctx)
{
    (void)ctx;
    if (level == 0 || g.verbose)
        fprintf(stderr, "checks-probe: %s\n", msg);
}

/* "host:port" or "[v6]:port" into host (malloc'd) and port */
static int split_hp(const char *s, char **host, uint16_t *port)
{
    const char *colon, *h = s;
    size_t hl;
    char *end;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - s);
    }
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!hl || errno || *end || !colon[1] || p == 0 || p > 65535)
        return -1;
    *host = strndup(h, hl);
    *port = (uint16_t)p;
    return *host ? 0 : -1;
}

static int num(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 0);
    return (!s[0] || *end || errno || *out > max || s[0] == '-') ? -1 : 0;
}

/* NAME[,mark=N][,dev=D][,source=A] */
static int parse_path(char *arg, struct path_opt *p)
{
    char *save = NULL, *tok = strtok_r(arg, ",", &save);
    unsigned long v;

    if (!tok || !tok[0])
        return -1;
    p->name = tok;
    while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
        if (!strncmp(tok, "mark=", 5) && num(tok + 5, UINT32_MAX, &v) == 0)
            p->pin.mark = (uint32_t)v;
        else if (!strncmp(tok, "dev=", 4) && tok[4])
            p->pin.dev = tok + 4;
        else if (!strncmp(tok, "source=", 7) && tok[7])
            p->pin.source = tok + 7;
        else
            return -1;
    }
    return 0;
}

static int parse_auth(char *arg, unsigned *mask)
{
    char *save = NULL;

    *mask = 0;
    for (char *t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "any"))
            *mask |= CHECKS_AUTH_ANY;
        else if (!strcmp(t, "basic"))
            *mask |= CHECKS_AUTH_BASIC;
        else if (!strcmp(t, "digest"))
            *mask |= CHECKS_AUTH_DIGEST;
        else if (!strcmp(t, "ntlm"))
            *mask |= CHECKS_AUTH_NTLM;
        else if (!strcmp(t, "negotiate"))
            *mask |= CHECKS_AUTH_NEGOTIATE;
        else
            return -1;
    }
    return *mask ? 0 : -1;
}

/* the first line of a regular file of at most SECRET_FILE_MAX bytes (a
 * secret: never printed). Opened without blocking (a FIFO nobody writes) and
 * read with a bound (a file that never ends); NULL with errno set. */
#define SECRET_FILE_MAX 4096
static char *read_secret(const char *file)
{
    char buf[SECRET_FILE_MAX + 1];
    struct stat st;
    ssize_t n;
    int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SECRET_FILE_MAX) {
        int e = fstat(fd, &st) != 0 ? errno : S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        close(fd);
        errno = e;
        return NULL;
    }
    n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n < 0 || n > SECRET_FILE_MAX) {
        explicit_bzero(buf, sizeof(buf));
        errno = n < 0 ? errno : EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    char *line = strdup(buf);
    explicit_bzero(buf, sizeof(buf));
    return line;
}

struct opts {
    struct path_opt paths[MAX_ARGS];
    size_t n_paths;
    char *hosts[MAX_ARGS];
    uint16_t ports[MAX_ARGS];
    size_t n_eps;
    const char *via[MAX_ARGS];
    size_t n_via;
    struct checks_item base;
    struct checks_config cfg;
    unsigned long rounds;
    char *proxy_host, *password;
};

static int parse_opt(struct opts *o, const char *opt, char *val)
{
    unsigned long v;
    struct checks_item *b = &o->base;

#define IS(x) (!strcmp(opt, x))
    if (IS("--path"))
        return o->n_paths < MAX_ARGS ? parse_path(val, &o->paths[o->n_paths++]) : -1;
    if (IS("--proxy")) {
        b->use_proxy = true;
        return split_hp(val, &o->proxy_host, &b->proxy.port);
    }
    if (IS("--via")) {
        char *save = NULL;
        for (char *t = strtok_r(val, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (o->n_via < MAX_ARGS)
                o->via[o->n_via++] = t;
        return 0;
    }
    if (IS("--user"))
        return (b->proxy.user = val) ? 0 : -1;
    if (IS("--password-file")) {
        o->password = read_secret(val);
        if (!o->password)
            fprintf(stderr, "checks-probe: --password-file %s: %s\n", val,
                    errno == EINVAL  ? "not a regular file"
                    : errno == EFBIG ? "larger than 4096 bytes"
                                     : strerror(errno));
        return o->password ? 0 : -1;
    }
    if (IS("--auth"))
        return parse_auth(val, &b->proxy.auth);
    if (IS("--ca"))
        return (b->tls.ca_file = val) ? 0 : -1;
    if (IS("--min-version")) {
        b->tls.min_version = !strcmp(val, "1.2") ? 0x0303 : !strcmp(val, "1.3") ? 0x0304 : 0;
        return b->tls.min_version ? 0 : -1;
    }
    if (IS("--site"))
        return (b->site = val) ? 0 : -1;
    if (IS("--group"))
        return (b->group = val) ? 0 : -1;
    if (num(val, UINT32_MAX, &v) != 0)
        return -1;
    if (IS("--min-bits"))
        b->tls.min_bits = (unsigned)v;
    else if (IS("--warn-days"))
        b->tls.warn_days = (unsigned)v;
    else if (IS("--connect-timeout"))
        o->cfg.connect_ms = (uint32_t)v;
    else if (IS("--proxy-timeout"))
        o->cfg.proxy_ms = (uint32_t)v;
    else if (IS("--tls-timeout"))
        o->cfg.tls_ms = (uint32_t)v;
    else if (IS("--concurrency"))
        o->cfg.concurrency = (uint32_t)v;
    else if (IS("--rounds"))
        o->rounds = v;
    else
        return -1;
#undef IS
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-require-aes"))
            o->base.tls.require_aes = false;
        else if (!strcmp(a, "--legacy"))
            o->base.legacy = true;
        else if (!strcmp(a, "--verbose"))
            g.verbose = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return -1;
        else if (!strncmp(a, "--", 2)) {
            if (i + 1 >= argc || parse_opt(o, a, argv[++i]) != 0) {
                fprintf(stderr, "checks-probe: %s: bad or missing value\n", a);
                return -1;
            }
        } else if (o->n_eps >= MAX_ARGS ||
                   split_hp(a, &o->hosts[o->n_eps], &o->ports[o->n_eps]) != 0) {
            fprintf(stderr, "checks-probe: '%s': expected HOST:PORT\n", a);
            return -1;
        } else {
            o->n_eps++;
        }
    }
    if (!o->n_eps) {
        fprintf(stderr, "checks-probe: no endpoint (HOST:PORT)\n");
        return -1;
    }
    if (!o->rounds)
        o->rounds = 1;
    if (!o->n_paths)
        o->paths[o->n_paths++].name = "default";
    o->base.proxy.host = o->proxy_host;
    o->base.proxy.via = o->via;
    o->base.proxy.n_via = o->n_via;
    o->base.proxy.password = o->password;
    return 0;
}

static void put_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void put_ms(json_object *o, const char *k, uint32_t v)
{
    json_object_object_add(o, k, v == UINT32_MAX ? NULL : json_object_new_int64(v));
}

static void emit(json_object *o)
{
    puts(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static const char *phase_name(enum checks_phase p)
{
    static const char *const n[] = {NULL, "dns", "connect", "proxy", "tls", "policy"};
    return (unsigned)p < sizeof(n) / sizeof(n[0]) ? n[p] : "unknown";
}

static void print_row(uint64_t round, const struct checks_row *row)
{
    const struct checks_result *r = &row->r;
    json_object *o = json_object_new_object();
    char ep[300];

    snprintf(ep, sizeof(ep), strchr(row->host, ':') ? "[%s]:%u" : "%s:%u", row->host, row->port);
    json_object_object_add(o, "round", json_object_new_int64((int64_t)round));
    put_str(o, "site", row->site);
    put_str(o, "group", row->group);
    put_str(o, "path", row->path);
    put_str(o, "endpoint", ep);
    put_str(o, "verdict", checks_verdict_name(r->verdict));
    put_str(o, "phase", phase_name(r->phase));
    put_str(o, "fault", checks_fault_name(r->fault));
    put_str(o, "reason", r->reason);
    put_ms(o, "connect_ms", r->connect_ms);
    put_ms(o, "proxy_ms", r->proxy_ms);
    put_ms(o, "tls_ms", r->tls_ms);
    json_object_object_add(o, "proxy_status",
                           r->proxy_status ? json_object_new_int(r->proxy_status) : NULL);
    put_str(o, "proxy_line", r->proxy_line);
    put_str(o, "proxy_hop", r->proxy_hop);
    put_str(o, "proxy_error", r->proxy_error);
    put_str(o, "tls_version", r->tls_version);
    put_str(o, "cipher", r->cipher);
    json_object_object_add(o, "cipher_bits",
                           r->cipher ? json_object_new_int64(r->cipher_bits) : NULL);
    put_str(o, "cert_subject", r->cert_subject);
    put_str(o, "cert_issuer", r->cert_issuer);
    json_object_object_add(o, "cert_not_after",
                           r->cert_not_after ? json_object_new_int64(r->cert_not_after) : NULL);
    emit(o);
}

static void print_told(uint64_t round)
{
    pthread_mutex_lock(&g.lock);
    struct told *t = g.told;
    g.told = NULL;
    g.tail = &g.told;
    pthread_mutex_unlock(&g.lock);
    while (t) {
        struct told *next = t->next;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "round", json_object_new_int64((int64_t)round));
        put_str(o, "site", t->site);
        put_str(o, "path", t->path);
        json_object_object_add(o, "ok", json_object_new_boolean(t->ok));
        put_str(o, "reason", t->reason);
        emit(o);
        free(t->site);
        free(t->path);
        free(t->reason);
        free(t);
        t = next;
    }
}

/* waits for round r (bounded: the engine's deadlines end every check) */
static bool wait_round(uint64_t r, unsigned limit_s)
{
    struct timespec ts;
    bool ok = true;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += limit_s;
    pthread_mutex_lock(&g.lock);
    while (ok && g.rounds < r)
        ok = pthread_cond_timedwait(&g.cond, &g.lock, &ts) != ETIMEDOUT;
    ok = g.rounds >= r;
    pthread_mutex_unlock(&g.lock);
    return ok;
}

static int run(struct opts *o, struct checks_item *items, size_t n)
{
    struct checks_callbacks cb = {.on_path = on_path, .on_round = on_round, .log = on_log};
    char err[512];
    int failed = 0;

    o->cfg.items = items;
    o->cfg.n_items = n;
    struct checks *c = checks_start(&o->cfg, &cb, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "checks-probe: %s\n", err);
        return 2;
    }
    unsigned per = (o->cfg.connect_ms + o->cfg.proxy_ms + o->cfg.tls_ms) * 2 / 1000 + 2;
    unsigned limit = per * (unsigned)((n + o->cfg.concurrency - 1) / o->cfg.concurrency) + 30;
    for (uint64_t r = 1; r <= o->rounds; r++) {
        if (r > 1)
            checks_run_now(c);
        if (!wait_round(r, limit)) {
            fprintf(stderr, "checks-probe: round %llu did not end within %u s\n",
                    (unsigned long long)r, limit);
            checks_stop(c);
            return 2;
        }
        struct checks_snapshot s;
        if (checks_snapshot(c, &s) != 0) {
            fprintf(stderr, "checks-probe: out of memory\n");
            checks_stop(c);
            return 2;
        }
        for (size_t i = 0; i < s.n_rows; i++) {
            print_row(r, &s.rows[i]);
            failed |= s.rows[i].r.verdict == CHECKS_FAIL;
        }
        checks_snapshot_free(&s);
        print_told(r);
        fflush(stdout);
    }
    checks_stop(c);
    print_told(o->rounds); /* (none: every on_path came before its on_round) */
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    static struct opts o;
    struct checks_item *items;
    int rc;

    g.tail = &g.told;
    checks_config_defaults(&o.cfg);
    o.cfg.interval_ms = 86400000; /* rounds only when asked */
    o.cfg.jitter_pct = 0;
    checks_tls_defaults(&o.base.tls);
    o.base.site = "site";
    o.base.group = "group";
    o.base.proxy.auth = CHECKS_AUTH_ANY;
    if (parse_args(argc, argv, &o) != 0) {
        usage();
        return 2;
    }
    items = calloc(o.n_paths * o.n_eps, sizeof(*items));
    if (!items)
        return 2;
    for (size_t p = 0; p < o.n_paths; p++)
        for (size_t e = 0; e < o.n_eps; e++) {
            struct checks_item *it = &items[p * o.n_eps + e];
            *it = o.base;
            it->path = o.paths[p].name;
            it->pin = o.paths[p].pin;
            it->host = o.hosts[e];
            it->port = o.ports[e];
        }
    rc = run(&o, items, o.n_paths * o.n_eps);
    free(items);
    for (size_t e = 0; e < o.n_eps; e++)
        free(o.hosts[e]);
    free(o.proxy_host);
    if (o.password) {
        explicit_bzero(o.password, strlen(o.password));
        free(o.password);
    }
    return rc;
}
