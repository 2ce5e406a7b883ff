/*
 * test_apply.c - unit tests (cmocka) of the executor (apply.c) against a
 * real kernel in a private network namespace made by the test process
 * itself, so nothing outside it is touched. It needs CAP_SYS_ADMIN: without
 * it (not root, and CI unset) the program exits with 77, which CTest reports
 * as a skip (SKIP_RETURN_CODE), never as a pass; as root or under CI a
 * namespace that cannot be made fails the tests.
 *
 * Socket-level failure of a batch: the acknowledgements of a window of
 * route requests overflow the request socket's receive buffer (ENOBUFS), so
 * the batch stops and the requests after that window are never sent. Every
 * site with such a request must fail (and not commit its new group ids),
 * and the mirror the rollback plans against must be re-read from the kernel
 * (which applied the whole window, acknowledged or not).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <netlink/socket.h>

#include "internal.h"

static void quiet_log(enum routes_log_level lvl, const char *msg, void *ctx)
{
    (void)ctx;
    if (lvl == ROUTES_LOG_ERROR)
        fprintf(stderr, "routes: %s\n", msg);
}

/* blackhole nexthops need lo up */
static void lo_up(void)
{
    struct ifreq ifr = {0};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    assert_int_equal(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags |= IFF_UP;
    assert_int_equal(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
    close(fd);
}

/* An engine without policy rules in a network namespace of the test's
 * own (main() skips the program when it cannot make one). */
static struct routes_engine *private_engine(void)
{
    struct routes_options o;
    struct routes_engine *eng = NULL;
    char err[512];
    assert_int_equal(unshare(CLONE_NEWNET), 0);
    lo_up();
    routes_options_init(&o);
    o.rules = NULL;
    o.n_rules = 0;
    o.log = quiet_log;
    assert_int_equal(routes_open(&eng, &o, err, sizeof(err)), 0);
    return eng;
}

/* n IPv4 /32s 100.<64 + second>.x.y (shared address space; the routes
 * exist only in the test's own namespace) */
static void add_hosts(struct routes_state *st, int s, uint8_t second, unsigned n)
{
    char err[256];
    for (unsigned i = 0; i < n; i++) {
        uint8_t a[4] = {100, (uint8_t)(64 + second), (uint8_t)(i / 256), (uint8_t)(i % 256)};
        assert_int_equal(routes_state_add_prefix_raw(st, s, AF_INET, a, 32, err, sizeof(err)), 0);
    }
}

static bool has_error(const struct routes_result *res, const char *site, const char *text)
{
    for (size_t i = 0; i < res->n_errors; i++)
        if (!strcmp(res->errors[i].site, site) && strstr(res->errors[i].message, text))
            return true;
    return false;
}

static void test_unsent_requests_fail_their_sites(void **state)
{
    struct routes_engine *eng;
    struct routes_result res = {0};
    struct routes_state *st;
    char err[512];
    int a, c, rc, fd, small = 1, big = 16 * 1024 * 1024;
    size_t mirrored;
    (void)state;

    eng = private_engine();

    /* no path: each site gets a group holding the blackhole nexthop. "a"
     * fills the first window of route requests (1024) and more; the routes
     * of "c" come after it. */
    st = routes_state_new();
    a = routes_state_add_site(st, "a", err, sizeof(err));
    c = routes_state_add_site(st, "c", err, sizeof(err));
    assert_true(a >= 0 && c >= 0);
    add_hosts(st, a, 1, 1500);
    add_hosts(st, c, 2, 10);
    rt_lock(eng);
    eng->sites = calloc(2, sizeof(*eng->sites));
    assert_non_null(eng->sites);
    eng->n_sites = 2;
    assert_int_equal(rt_site_copy(&eng->sites[0].spec, &st->sites[a]), 0);
    assert_int_equal(rt_site_copy(&eng->sites[1].spec, &st->sites[c]), 0);

    /* the smallest receive buffer: a few acknowledgements fit (the nexthop
     * and group phases), a window of 1024 does not */
    fd = nl_socket_get_fd(eng->nl.sk);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &small, sizeof(small)), 0);
    rc = rt_converge(eng, false, &res);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)), 0);

    for (size_t i = 0; rc != -ENOBUFS && i < res.n_errors; i++)
        fprintf(stderr, "result: %s\n", res.errors[i].message);
    assert_int_equal(rc, -ENOBUFS);
    assert_true(eng->sites[0].failed);
    assert_true(has_error(&res, "a", "outcome unknown (acknowledgement lost): "));
    /* "c": nothing of its routes was sent */
    assert_true(eng->sites[1].failed);
    assert_true(has_error(&res, "c", "request not sent: cover route 100.66.0."));
    assert_int_equal(eng->sites[1].gid[RT_FAM_V4], 0);
    assert_int_equal(eng->sites[0].gid[RT_FAM_V4], 0);

    /* the mirror was re-read: it holds what the kernel holds (the whole
     * first window, acknowledged or not), and no resync is pending */
    assert_false(eng->resync_needed);
    mirrored = eng->m.routes.count + eng->m.fallback.count;
    assert_true(mirrored >= 1024);
    assert_true(eng->m.fallback.count > 0);
    assert_int_equal(rt_sync_owned(eng), 0);
    assert_int_equal(eng->m.routes.count + eng->m.fallback.count, mirrored);
    rt_unlock_dispatch(eng);

    routes_result_free(&res);
    routes_state_free(st);
    routes_close(eng);
}

/* The same socket-level failure while installing policy rules: every rule
 * request that got no acknowledgement is reported by name, and the pass
 * fails (the caller retries it). */
static void test_unsent_rules_are_reported(void **state)
{
    struct routes_engine *eng;
    struct routes_result res = {0};
    struct rt_rule *want;
    int rc, fd, small = 1, big = 16 * 1024 * 1024;
    size_t n = 2500, unsent = 0, lost = 0;
    (void)state;

    eng = private_engine();

    /* 2500 rules "from 100.64.x.y/32 lookup 1160": more than one window */
    want = calloc(n, sizeof(*want));
    assert_non_null(want);
    for (size_t i = 0; i < n; i++) {
        want[i].family = AF_INET;
        want[i].src_len = 32;
        want[i].src[0] = 100;
        want[i].src[1] = 64;
        want[i].src[2] = (uint8_t)(i / 256);
        want[i].src[3] = (uint8_t)(i % 256);
        want[i].priority = 1160;
        want[i].table = 1160;
    }
    rt_lock(eng);
    eng->want_rules = want;
    eng->n_want_rules = n;
    fd = nl_socket_get_fd(eng->nl.sk);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &small, sizeof(small)), 0);
    rc = rt_rules_reconcile(eng, false, &res);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)), 0);
    assert_true(rc < 0);
    for (size_t i = 0; i < res.n_errors; i++) {
        const char *m = res.errors[i].message;
        unsent += strstr(m, "request not sent: adding IPv4 rule 1160 from 100.64.") != NULL;
        lost += strstr(m, "outcome unknown (acknowledgement lost): adding IPv4 rule 1160 from "
                          "100.64.") != NULL;
    }
    /* the first window's acknowledgements were lost, the later windows
     * were never sent: both are named, nothing else is reported */
    assert_true(lost > 0);
    assert_true(unsent > 0);
    assert_int_equal(unsent + lost, res.n_errors);
    /* a later pass installs what is missing */
    routes_result_free(&res);
    memset(&res, 0, sizeof(res));
    assert_true(rt_rules_reconcile(eng, false, &res) >= 0);
    assert_int_equal(res.n_errors, 0);
    assert_int_equal(eng->m.n_rules, n);
    rt_unlock_dispatch(eng);
    routes_result_free(&res);
    routes_close(eng);
}

/* One engine per table and per protocol in a network namespace: a second
 * engine is refused while the first holds them; routes_precheck() accepts
 * them held by an engine of its own owner only; closing releases them. */
static void test_one_engine_per_table(void **state)
{
    struct routes_options o;
    struct routes_engine *a, *b = NULL;
    char err[512];
    (void)state;

    assert_int_equal(unshare(CLONE_NEWNET), 0);
    lo_up();
    routes_options_init(&o);
    o.rules = NULL;
    o.n_rules = 0;
    o.log = quiet_log;
    o.owner = "/etc/tunneld/a.conf";
    assert_int_equal(routes_open(&a, &o, err, sizeof(err)), 0);
    o.owner = "/etc/tunneld/b.conf";
    assert_int_equal(routes_open(&b, &o, err, sizeof(err)), -1);
    assert_null(b);
    assert_non_null(strstr(err, "table 1160 is already held by another route engine"));
    assert_int_equal(routes_precheck(&o, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "table 1160 is already held"));
    o.table = 1170;
    assert_int_equal(routes_open(&b, &o, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "protocol 116 is already held by another route engine"));
    /* the owner's own check (tunneld -n while it runs) passes */
    o.table = 1160;
    o.owner = "/etc/tunneld/a.conf";
    assert_int_equal(routes_precheck(&o, NULL, err, sizeof(err)), 0);
    /* but not a second engine of it */
    assert_int_equal(routes_open(&b, &o, err, sizeof(err)), -1);
    o.owner = NULL;
    assert_int_equal(routes_precheck(&o, NULL, err, sizeof(err)), -1);
    o.table = 1170;
    o.protocol = 117;
    assert_int_equal(routes_open(&b, &o, err, sizeof(err)), 0);
    routes_close(b);
    routes_close(a);
    o.table = 1160;
    o.protocol = 116;
    assert_int_equal(routes_open(&b, &o, err, sizeof(err)), 0);
    routes_close(b);
}

/* ---- routes_abandon(): back to what routes_open() found ---------------- */

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_line(char ***v, size_t *n, const char *line)
{
    *v = realloc(*v, (*n + 1) * sizeof(**v));
    assert_non_null(*v);
    (*v)[*n] = strdup(line);
    assert_non_null((*v)[(*n)++]);
}

static void add_table(char ***v, size_t *n, const char *what, const struct rt_rtable *t)
{
    char p[64], line[128];
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].used)
            continue;
        rt_prefix_format(&t->slots[i].key, p, sizeof(p));
        snprintf(line, sizeof(line), "%s %s nhid %u", what, p, t->slots[i].nhid);
        add_line(v, n, line);
    }
}

/* Everything the kernel holds of protocol 116, as sorted lines, read with
 * dumps only (an engine structure that is never opened: opening one would
 * reconcile the rules). */
static char *kernel_state(void)
{
    struct routes_engine *eng = calloc(1, sizeof(*eng));
    char err[512], line[300], **v = NULL, *all;
    size_t n = 0, len = 1;

    assert_non_null(eng);
    routes_options_init(&eng->opts);
    eng->opts.rules = NULL;
    eng->opts.n_rules = 0;
    rt_mirror_init(&eng->m);
    assert_int_equal(rt_nl_open(&eng->nl, err, sizeof(err)), 0);
    assert_int_equal(rt_sync_owned(eng), 0);
    for (size_t i = 0; i < eng->m.n_nh; i++) {
        rt_nh_describe(&eng->m.nh[i], &eng->m, line, sizeof(line));
        add_line(&v, &n, line);
    }
    add_table(&v, &n, "route", &eng->m.routes);
    add_table(&v, &n, "cover", &eng->m.fallback);
    add_table(&v, &n, "throw", &eng->m.bypass);
    assert_int_equal(rt_sync_rules(eng), 0);
    for (size_t i = 0; i < eng->m.n_rules; i++) {
        rt_rule_describe(&eng->m.rules[i], line, sizeof(line));
        add_line(&v, &n, line);
    }
    /* the routes of every probe table (with the links, for their names) */
    assert_int_equal(rt_sync_links(eng), 0);
    assert_int_equal(rt_probe_conflicts(eng, err, sizeof(err)), 0);
    for (size_t i = 0; i < eng->n_pk; i++) {
        rt_proute_describe(&eng->pk[i], &eng->m, line, sizeof(line));
        add_line(&v, &n, line);
    }
    free(eng->pk);
    rt_nl_close(&eng->nl);
    rt_mirror_free(&eng->m);
    free(eng->logq);
    free(eng->evq);
    free(eng);
    qsort(v, n, sizeof(*v), str_cmp);
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    all = calloc(1, len);
    assert_non_null(all);
    for (size_t i = 0; i < n; i++) {
        strcat(all, v[i]);
        strcat(all, "\n");
        free(v[i]);
    }
    free(v);
    return all;
}

/* site name with one device path on lo and the prefixes */
static void add_site(struct routes_state *st, const char *name, const char *const *pfx)
{
    struct routes_path_spec p = {.name = "dev", .dev = "lo", .priority = 10};
    char err[256];
    int s = routes_state_add_site(st, name, err, sizeof(err));
    assert_true(s >= 0);
    assert_int_equal(routes_state_add_path(st, s, &p, err, sizeof(err)), 0);
    for (size_t i = 0; pfx[i]; i++)
        assert_int_equal(routes_state_add_prefix(st, s, pfx[i], err, sizeof(err)), 0);
}

/* path "dev" of site index s gets a probe target */
static void add_probe(struct routes_state *st, int s, const char *target)
{
    char err[256];
    assert_int_equal(routes_state_add_probe(st, s, "dev", target, err, sizeof(err)), 0);
}

/* A first run leaves a site, a throw route and a rule; a second run opens
 * (dropping that rule, adding its own), applies a state that changes the
 * site, adds another and a throw route, and is refused (one site invalid):
 * routes_abandon() puts back exactly what it found. */
static void test_abandon_restores_what_was_found(void **state)
{
    static const char *const west1[] = {"100.64.1.0/24", "2001:db8:100::/48", NULL};
    static const char *const west2[] = {"100.64.1.0/25", "100.64.9.0/24", NULL};
    static const char *const north[] = {"100.64.2.0/24", NULL};
    static const char *const bad[] = {"198.51.100.7/32", NULL};
    struct routes_rule_spec first_rules[] = {{.family = AF_INET, .priority = 1165}};
    struct routes_rule_spec second_rules[] = {{.family = AF_INET, .priority = 1160},
                                              {.family = AF_INET6, .priority = 1160}};
    struct routes_options o;
    struct routes_engine *eng;
    struct routes_state *st = routes_state_new();
    char err[512], *found, *after;
    (void)state;

    assert_int_equal(unshare(CLONE_NEWNET), 0);
    lo_up();
    routes_options_init(&o);
    o.log = quiet_log;
    o.rules = first_rules;
    o.n_rules = 1;
    assert_int_equal(routes_open(&eng, &o, err, sizeof(err)), 0);
    add_site(st, "west", west1);
    add_probe(st, 0, "203.0.113.1");
    assert_int_equal(routes_state_add_bypass(st, "198.51.100.2", err, sizeof(err)), 0);
    assert_int_equal(routes_apply(eng, st, NULL), 0);
    routes_close(eng);
    routes_state_free(st);
    found = kernel_state();
    assert_non_null(strstr(found, "rule 1165"));
    assert_non_null(strstr(found, "203.0.113.1/32 dev lo table 11600 metric 10"));
    assert_non_null(strstr(found, "fwmark 0x11600000/0xffffffff lookup 11600"));

    o.rules = second_rules;
    o.n_rules = 2;
    assert_int_equal(routes_open(&eng, &o, err, sizeof(err)), 0);
    st = routes_state_new();
    add_site(st, "west", west2);
    add_probe(st, 0, "203.0.113.2"); /* another target */
    add_site(st, "north", north);
    add_probe(st, 1, "2001:db8:100::1");
    add_site(st, "bad", bad); /* its prefix is a bypass: refused */
    assert_int_equal(routes_state_add_bypass(st, "198.51.100.7", err, sizeof(err)), 0);
    assert_int_equal(routes_apply(eng, st, NULL), -1);
    after = kernel_state();
    assert_string_not_equal(after, found); /* the apply did change things */
    free(after);
    assert_int_equal(routes_abandon(eng), 0);
    routes_close(eng);
    after = kernel_state();
    assert_string_equal(after, found);
    free(after);
    free(found);
    routes_state_free(st);
}

/* A path-health change the kernel never gets (the request socket fails):
 * the failure is a standing problem (routes_get_problems) until the repair
 * that follows succeeds, then it is gone. */
static void test_health_failure_is_a_problem(void **state)
{
    static const char *const west[] = {"100.64.1.0/24", NULL};
    struct routes_engine *eng = private_engine();
    struct routes_state *st = routes_state_new();
    struct routes_result res;
    int fd, saved, bad;
    (void)state;

    add_site(st, "west", west);
    assert_int_equal(routes_apply(eng, st, NULL), 0);
    assert_int_equal(routes_get_problems(eng, &res), 0);
    /* the request socket's fd becomes a socket that cannot send netlink */
    fd = nl_socket_get_fd(eng->nl.sk);
    saved = dup(fd);
    bad = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(saved >= 0 && bad >= 0);
    assert_int_equal(dup2(bad, fd), fd);
    assert_int_equal(routes_set_path_health(eng, "west", "dev", false, &res), -1);
    assert_true(res.n_errors > 0);
    routes_result_free(&res);
    assert_int_equal(dup2(saved, fd), fd);
    close(saved);
    close(bad);
    assert_true(routes_get_problems(eng, &res) > 0);
    assert_non_null(strstr(res.errors[0].message, "site 'west'"));
    routes_result_free(&res);
    /* the repair after the failure (1 s) sends it and clears the problem */
    for (int i = 0; i < 40 && routes_get_problems(eng, &res); i++) {
        struct pollfd p = {.fd = routes_get_fd(eng), .events = POLLIN};
        routes_result_free(&res);
        poll(&p, 1, 100);
        routes_process_events(eng);
    }
    assert_int_equal(res.n_errors, 0);
    assert_int_equal(routes_path_usable(eng, "west", "dev"), 0);
    routes_close(eng);
    routes_state_free(st);
}

#define SKIP_EXIT 77 /* SKIP_RETURN_CODE in CMakeLists.txt */

/* Whether this process may make a network namespace (tried in a child). */
static bool can_unshare(void)
{
    int status;
    pid_t pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

int main(void)
{
    const char *ci = getenv("CI");
    if (geteuid() != 0 && !(ci && *ci) && !can_unshare()) {
        fprintf(stderr,
                "test_apply: cannot make a network namespace (needs CAP_SYS_ADMIN): "
                "skipped (exit %d)\n",
                SKIP_EXIT);
        return SKIP_EXIT;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsent_requests_fail_their_sites),
        cmocka_unit_test(test_unsent_rules_are_reported),
        cmocka_unit_test(test_one_engine_per_table),
        cmocka_unit_test(test_abandon_restores_what_was_found),
        cmocka_unit_test(test_health_failure_is_a_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
