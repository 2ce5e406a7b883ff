/*
 * routes_bench - measures the routes/ engine against baselines run in the
 * same network namespace, in the same run, and prints ratios:
 *
 *   install N prefixes:  routes_apply() vs "ip -batch" adding the same
 *                        routes with nhid (throughput ratio, goal >= 1.0x)
 *   switch a site of N:  routes_set_path_health() request-to-ack vs one raw
 *                        RTM_NEWNEXTHOP replace of the same group (goal <=
 *                        1.1x), vs "ip nexthop replace" as a process, and vs
 *                        replacing every route one by one with "ip -batch"
 *                        (goal >= 20x faster)
 *   link loss, N:        er1 (the site's only group member) goes down and
 *                        the kernel drops the site's group and routes; time
 *                        until every prefix is routed via er2 again, with the
 *                        covers (one cover-group request) and without them
 *                        (every route re-added), seen by a notification
 *                        listener in a second thread
 *   peak RSS of a process holding N prefixes in the engine
 *
 * Run it through bench/routes/run.sh, which builds the namespace (next hops
 * 198.51.100.1 on er1 and 198.51.100.5 on er2) and cleans up.
 *
 * Threading: single-threaded, except bench_linkloss(), whose listener
 * thread only reads its own socket and writes its own result struct.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/nexthop.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "routes.h"

#define BASE_TABLE  1170 /* baselines: their own table and protocol */
#define BASE_PROTO  117
#define BASE_NH1    900001
#define BASE_NH2    900002
#define BASE_GRP1   900011
#define BASE_GRP2   900012
#define SWITCH_REPS 10

static const char *ip_cmd = "ip";
static int verbose; /* --verbose: every engine message to stderr */
static char tmpdir[256];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "routes_bench: %s\n", what);
    exit(1);
}

/* Runs "ip ARGS..." and returns its wall-clock time; dies on failure. */
static double run_ip(const char *const *args)
{
    const char *argv[16];
    size_t n = 0;
    double t0 = now_s();
    int status;
    pid_t pid;
    argv[n++] = ip_cmd;
    for (size_t i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        execvp(ip_cmd, (char *const *)argv);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "routes_bench: '%s %s %s ...' failed\n", ip_cmd, args[0],
                args[1] ? args[1] : "");
        exit(1);
    }
    return now_s() - t0;
}

static double ip_batch(const char *file)
{
    return run_ip((const char *const[]){"-batch", file, NULL});
}

static void prefix_of(unsigned i, char *buf, size_t len)
{
    /* host routes under 100.64.0.0/10 */
    unsigned a = (100u << 24) | (64u << 16) | i;
    snprintf(buf, len, "%u.%u.%u.%u/32", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static FILE *open_batch(const char *name, char *path, size_t len)
{
    FILE *f;
    snprintf(path, len, "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    if (!f)
        die("cannot write a batch file");
    return f;
}

/* Baseline nexthops and groups in their own id range and protocol. */
static void baseline_nexthops(void)
{
    char path[300];
    FILE *f = open_batch("nh.batch", path, sizeof(path));
    fprintf(f, "nexthop add id %d via 198.51.100.1 dev er1 proto %d\n", BASE_NH1, BASE_PROTO);
    fprintf(f, "nexthop add id %d via 198.51.100.5 dev er2 proto %d\n", BASE_NH2, BASE_PROTO);
    fprintf(f, "nexthop add id %d group %d proto %d\n", BASE_GRP1, BASE_NH1, BASE_PROTO);
    fprintf(f, "nexthop add id %d group %d proto %d\n", BASE_GRP2, BASE_NH2, BASE_PROTO);
    fclose(f);
    ip_batch(path);
}

static void baseline_clear(void)
{
    char path[300];
    FILE *f = open_batch("clear.batch", path, sizeof(path));
    /* deleting the groups removes every route using them */
    fprintf(f, "nexthop del id %d\nnexthop del id %d\nnexthop del id %d\nnexthop del id %d\n",
            BASE_GRP1, BASE_GRP2, BASE_NH1, BASE_NH2);
    fclose(f);
    ip_batch(path);
}

/* "ip -batch" adding (or replacing) N routes with nhid GROUP. */
static double baseline_routes(unsigned n, const char *verb, int group)
{
    char path[300], p[32];
    FILE *f = open_batch("routes.batch", path, sizeof(path));
    for (unsigned i = 0; i < n; i++) {
        prefix_of(i, p, sizeof(p));
        fprintf(f, "route %s %s nhid %d table %d proto %d\n", verb, p, group, BASE_TABLE,
                BASE_PROTO);
    }
    fclose(f);
    return ip_batch(path);
}

static struct routes_state *make_state(unsigned n)
{
    struct routes_state *st = routes_state_new();
    struct routes_path_spec er1 = {
        .name = "er1", .dev = "er1", .gateway4 = "198.51.100.1", .priority = 10};
    struct routes_path_spec er2 = {
        .name = "er2", .dev = "er2", .gateway4 = "198.51.100.5", .priority = 20};
    char err[256];
    int s = routes_state_add_site(st, "bench", err, sizeof(err));
    if (s < 0 || routes_state_add_path(st, s, &er1, err, sizeof(err)) < 0 ||
        routes_state_add_path(st, s, &er2, err, sizeof(err)) < 0)
        die(err);
    for (unsigned i = 0; i < n; i++) {
        uint8_t a[4] = {100, (uint8_t)(64 + (i >> 16)), (uint8_t)(i >> 8), (uint8_t)i};
        if (routes_state_add_prefix_raw(st, s, AF_INET, a, 32, err, sizeof(err)) < 0)
            die(err);
    }
    return st;
}

static void quiet_log(enum routes_log_level lvl, const char *msg, void *ctx)
{
    /* errors only: printing inside a timed call would time the terminal */
    (void)ctx;
    if (lvl == ROUTES_LOG_ERROR || verbose)
        fprintf(stderr, "routes: %s\n", msg);
}

static struct routes_engine *open_engine_fc(bool fail_closed)
{
    struct routes_options o;
    struct routes_engine *eng;
    char err[512];
    routes_options_init(&o);
    o.fail_closed = fail_closed;
    o.n_rules = 0; /* no policy rules needed to measure */
    o.log = quiet_log;
    if (routes_open(&eng, &o, err, sizeof(err)) < 0)
        die(err);
    return eng;
}

static struct routes_engine *open_engine(void)
{
    return open_engine_fc(true);
}

static double apply_timed(struct routes_engine *eng, const struct routes_state *st,
                          struct routes_result *res)
{
    double t0 = now_s();
    if (routes_apply(eng, st, res) < 0)
        die(res->n_errors ? res->errors[0].message : "apply failed");
    return now_s() - t0;
}

/* Installs n prefixes with the covers on (two kernel routes each) or off;
 * returns the time and the kernel routes set, and withdraws them again. */
static double install_once(const struct routes_state *st, bool fail_closed, uint32_t *routes,
                           uint64_t *msgs)
{
    struct routes_engine *eng = open_engine_fc(fail_closed);
    struct routes_result res;
    double t = apply_timed(eng, st, &res);
    *routes = res.routes_set;
    *msgs = res.messages;
    routes_result_free(&res);
    routes_withdraw_all(eng);
    routes_close(eng);
    return t;
}

static void bench_install(unsigned n)
{
    struct routes_state *st = make_state(n);
    uint32_t r_fc, r_plain;
    uint64_t m_fc, m_plain;
    double t_ip, t_fc, t_plain;

    /* baseline first: no engine listening while ip -batch runs */
    baseline_nexthops();
    t_ip = baseline_routes(n, "add", BASE_GRP1);
    baseline_clear();

    t_fc = install_once(st, true, &r_fc, &m_fc);
    t_plain = install_once(st, false, &r_plain, &m_plain);
    if (r_fc != 2 * n || r_plain != n)
        die("engine did not install every route");
    printf("install %6u prefixes: ip -batch %.3f s (%.0f routes/s) | routes/ with covers "
           "(default) %.3f s, %u kernel routes, %llu requests -> %.2fx ip -batch per prefix | "
           "routes/ fail_closed=false %.3f s, %llu requests -> %.2fx ip -batch throughput\n",
           n, t_ip, n / t_ip, t_fc, r_fc, (unsigned long long)m_fc, t_ip / t_fc, t_plain,
           (unsigned long long)m_plain, t_ip / t_plain);
    routes_state_free(st);
}

/* One RTM_NEWNEXTHOP replace of group GID with member NH on a plain libnl
 * socket: what "ip nexthop replace" sends, without the process. */
static double raw_replace(struct nl_sock *sk, uint32_t gid, uint32_t nh)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_REPLACE);
    struct nhmsg hdr = {.nh_family = AF_UNSPEC, .nh_protocol = ROUTES_DEFAULT_PROTOCOL};
    struct nexthop_grp g = {.id = nh};
    double t0;
    if (!msg || nlmsg_append(msg, &hdr, sizeof(hdr), NLMSG_ALIGNTO) < 0 ||
        nla_put_u32(msg, NHA_ID, gid) < 0 || nla_put(msg, NHA_GROUP, sizeof(g), &g) < 0)
        die("cannot build the raw request");
    t0 = now_s();
    if (nl_send_sync(sk, msg) < 0) /* sends, waits for the ack, frees msg */
        die("raw nexthop replace failed");
    return now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* Reads "id N" of the engine's group and singles from ip's output. */
static uint32_t nh_id_of(const char *filter)
{
    char cmd[300], line[256];
    uint32_t id = 0;
    FILE *p;
    snprintf(cmd, sizeof(cmd), "%s nexthop show proto %d | grep -- '%s'", ip_cmd,
             ROUTES_DEFAULT_PROTOCOL, filter);
    p = popen(cmd, "r");
    if (!p)
        die("popen");
    if (fgets(line, sizeof(line), p))
        sscanf(line, "id %u", &id);
    pclose(p);
    if (!id)
        die("nexthop not found");
    return id;
}

/* net.ipv4.nexthop_compat_mode of this namespace; -1 if unreadable */
static int compat_mode(int set)
{
    const char *path = "/proc/sys/net/ipv4/nexthop_compat_mode";
    FILE *f = fopen(path, set >= 0 ? "w" : "r");
    int v = -1;
    if (!f)
        return -1;
    if (set >= 0)
        v = fprintf(f, "%d\n", set) > 0 ? set : -1;
    else if (fscanf(f, "%d", &v) != 1)
        v = -1;
    fclose(f);
    return v;
}

/* A socket subscribed to route and nexthop notifications whose filter
 * drops every one in the kernel: the load the engine's own notification
 * socket puts on a switch (the kernel builds, clones and filters one
 * notification per route in compat mode 1), without the engine. */
static struct nl_sock *passive_listener(void)
{
    struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog prog = {.len = 1, .filter = &drop};
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0 ||
        setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
        nl_socket_add_memberships(sk, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_NEXTHOP, 0) <
            0)
        die("passive listener");
    return sk;
}

static void pump(struct routes_engine *eng, bool (*done)(void *), void *arg);
static bool eng_settled(void *arg);

static void bench_switch(unsigned n)
{
    struct routes_state *st = make_state(n);
    struct routes_engine *eng = open_engine();
    struct routes_result res;
    double t_eng[2 * SWITCH_REPS], t_raw[2 * SWITCH_REPS], t_proc[2 * SWITCH_REPS];
    double t_lis[2 * SWITCH_REPS];
    double t_rbr, me, mr, mp, ml;
    struct nl_sock *lis;
    uint32_t gid, nh1, nh2;
    struct nl_sock *sk;
    char sgid[16], snh[16];
    uint64_t msgs = 0;

    apply_timed(eng, st, &res);
    routes_result_free(&res);
    /* as a daemon's poll loop would: process what is pending first (e.g.
     * the address notifications of IPv6 DAD finishing on er1/er2 right
     * after run.sh made them), else a due repair turns the first switch
     * into a full convergence */
    pump(eng, eng_settled, eng);
    for (int i = 0; i < 2 * SWITCH_REPS; i++) {
        double t0 = now_s();
        if (routes_set_path_health(eng, "bench", "er1", i % 2 == 1, &res) < 0)
            die("switch failed");
        t_eng[i] = now_s() - t0;
        msgs += res.messages;
        routes_result_free(&res);
    }
    /* the engine stops (keeping its routes) so that the baselines run
     * without a listener, as "ip nexthop replace" would on a plain host */
    routes_close(eng);
    nh1 = nh_id_of("via 198.51.100.1 ");
    nh2 = nh_id_of("via 198.51.100.5 ");
    {
        char f[32]; /* the site's group (back on er1), not its cover group */
        snprintf(f, sizeof(f), " group %u ", nh1);
        gid = nh_id_of(f);
    }

    sk = nl_socket_alloc();
    if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0)
        die("raw socket");
    for (int i = 0; i < 2 * SWITCH_REPS; i++)
        t_raw[i] = raw_replace(sk, gid, i % 2 ? nh1 : nh2);
    lis = passive_listener();
    for (int i = 0; i < 2 * SWITCH_REPS; i++)
        t_lis[i] = raw_replace(sk, gid, i % 2 ? nh1 : nh2);
    nl_socket_free(lis);
    nl_socket_free(sk);
    snprintf(sgid, sizeof(sgid), "%u", gid);
    for (int i = 0; i < 2 * SWITCH_REPS; i++) {
        snprintf(snh, sizeof(snh), "%u", i % 2 ? nh1 : nh2);
        t_proc[i] = run_ip((const char *const[]){"nexthop", "replace", "id", sgid, "group", snh,
                                                 "proto", "116", NULL});
    }
    /* a new engine adopts the site and withdraws it */
    eng = open_engine();
    routes_withdraw_all(eng);
    routes_close(eng);

    baseline_nexthops();
    baseline_routes(n, "add", BASE_GRP1);
    t_rbr = baseline_routes(n, "replace", BASE_GRP2);
    baseline_clear();

    me = median(t_eng, 2 * SWITCH_REPS);
    mr = median(t_raw, 2 * SWITCH_REPS);
    mp = median(t_proc, 2 * SWITCH_REPS);
    ml = median(t_lis, 2 * SWITCH_REPS);
    printf("switch  %6u prefixes, nexthop_compat_mode=%d: routes/ %.3f ms (%.1f requests/switch) | "
           "raw RTM_NEWNEXTHOP "
           "replace %.3f ms -> %.2fx | raw replace with a listener like the engine's %.3f ms -> "
           "%.2fx | ip nexthop replace (process) %.3f ms -> %.2fx | route by "
           "route (ip -batch replace) %.1f ms -> %.0fx faster\n",
           n, compat_mode(-1), me * 1e3, (double)msgs / (2 * SWITCH_REPS), mr * 1e3, me / mr,
           ml * 1e3, me / ml, mp * 1e3, me / mp, t_rbr * 1e3, t_rbr / me);
    routes_state_free(st);
}

/* ---- link loss ------------------------------------------------------------ */

struct listener {
    struct nl_sock *sk;
    uint32_t er2;      /* single nexthop via er2 */
    unsigned n;        /* group routes the site has */
    double t_moved;    /* a group (the cover group) took er2: everything moved */
    double t_routes;   /* the n-th group route was set again */
    unsigned routes;   /* group routes set since the link went down */
    volatile int stop; /* set by the main thread */
};

static void *listen_main(void *arg)
{
    struct listener *l = arg;
    int fd = nl_socket_get_fd(l->sk);
    unsigned char *buf = NULL;
    while (!l->stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        struct sockaddr_nl peer;
        struct nlmsghdr *h;
        int len;
        if (poll(&p, 1, 50) <= 0)
            continue;
        len = nl_recv(l->sk, &peer, &buf, NULL);
        if (len <= 0)
            continue;
        for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
            struct nlattr *tb[RTA_MAX + 1];
            if (h->nlmsg_type == RTM_NEWNEXTHOP) {
                struct nlattr *nb[NHA_MAX + 1];
                const struct nexthop_grp *g;
                if (nlmsg_parse(h, sizeof(struct nhmsg), nb, NHA_MAX, NULL) < 0 || !nb[NHA_GROUP])
                    continue;
                g = nla_data(nb[NHA_GROUP]);
                if (!l->t_moved && g->id == l->er2 && nla_len(nb[NHA_GROUP]) == sizeof(*g))
                    l->t_moved = now_s();
            } else if (h->nlmsg_type == RTM_NEWROUTE &&
                       nlmsg_parse(h, sizeof(struct rtmsg), tb, RTA_MAX, NULL) == 0 &&
                       tb[RTA_TABLE] && nla_get_u32(tb[RTA_TABLE]) == ROUTES_DEFAULT_TABLE &&
                       (!tb[RTA_PRIORITY] || nla_get_u32(tb[RTA_PRIORITY]) == 0) &&
                       ++l->routes == l->n) {
                l->t_routes = now_s();
            }
        }
        free(buf);
        buf = NULL;
    }
    return NULL;
}

static void link_updown(const char *dev, bool up)
{
    struct ifreq ifr = {0};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
    if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        die("SIOCGIFFLAGS");
    ifr.ifr_flags = (short)(up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP);
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        die("SIOCSIFFLAGS");
    close(fd);
}

/* Runs the engine's event loop until done() or 30 s. */
static void pump(struct routes_engine *eng, bool (*done)(void *), void *arg)
{
    double t0 = now_s();
    while (!done(arg) && now_s() - t0 < 30) {
        struct pollfd p = {.fd = routes_get_fd(eng), .events = POLLIN};
        int tmo = routes_timeout_ms(eng);
        poll(&p, 1, tmo < 0 || tmo > 20 ? 20 : tmo);
        routes_process_events(eng);
    }
    if (!done(arg))
        die("the engine did not settle within 30 s");
}

static bool lis_rebuilt(void *arg)
{
    const struct listener *l = arg;
    return l->t_routes > 0;
}

static bool eng_settled(void *arg)
{
    struct routes_engine *eng = arg;
    return routes_timeout_ms(eng) < 0;
}

static bool er1_back(void *arg)
{
    struct routes_engine *eng = arg;
    return routes_path_usable(eng, "bench", "er1") == 1 && eng_settled(eng);
}

/* Seconds from er1 going down until every prefix is routed via er2:
 * *rebuilt gets the time until the site's own routes were all back. */
static double linkloss_once(const struct routes_state *st, unsigned n, bool fail_closed,
                            double *rebuilt)
{
    struct routes_engine *eng = open_engine_fc(fail_closed);
    struct listener l = {.n = n};
    struct routes_result res;
    int size = 64 * 1024 * 1024;
    pthread_t th;
    double t0, moved;

    apply_timed(eng, st, &res);
    routes_result_free(&res);
    l.er2 = nh_id_of("via 198.51.100.5 ");
    l.sk = nl_socket_alloc();
    if (!l.sk || nl_connect(l.sk, NETLINK_ROUTE) < 0 ||
        nl_socket_add_memberships(l.sk, RTNLGRP_NEXTHOP, RTNLGRP_IPV4_ROUTE, 0) < 0)
        die("listener socket");
    nl_socket_disable_seq_check(l.sk);
    nl_socket_set_msg_buf_size(l.sk, 256 * 1024);
    setsockopt(nl_socket_get_fd(l.sk), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
    if (pthread_create(&th, NULL, listen_main, &l) != 0)
        die("pthread_create");

    t0 = now_s();
    link_updown("er1", false);
    pump(eng, lis_rebuilt, &l);
    pump(eng, eng_settled, eng); /* the cover group back to a blackhole */
    l.stop = 1;
    pthread_join(th, NULL);
    nl_socket_free(l.sk);
    /* without covers the n-th route back is the moment everything moved */
    moved = (fail_closed ? l.t_moved : l.t_routes) - t0;
    *rebuilt = l.t_routes - t0;
    if (fail_closed && !l.t_moved)
        die("the cover group never took er2");

    link_updown("er1", true);
    pump(eng, er1_back, eng);
    routes_withdraw_all(eng);
    routes_close(eng);
    return moved;
}

static void bench_linkloss(unsigned n)
{
    struct routes_state *st = make_state(n);
    double r_fc, r_plain, fc = linkloss_once(st, n, true, &r_fc);
    double plain = linkloss_once(st, n, false, &r_plain);
    printf("linkloss %5u prefixes, nexthop_compat_mode=%d: every prefix via er2 after %.1f ms "
           "with covers (one cover-group request per family; group and routes rebuilt after "
           "%.1f ms, dropped meanwhile) vs %.1f ms re-adding every route (fail_closed=false; "
           "main table meanwhile) -> %.1fx sooner\n",
           n, compat_mode(-1), fc * 1e3, r_fc * 1e3, plain * 1e3, plain / fc);
    routes_state_free(st);
}

static long status_kb(const char *key)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, strlen(key)))
            v = strtol(line + strlen(key) + 1, NULL, 10);
    fclose(f);
    return v;
}

static void bench_rss(unsigned n)
{
    pid_t pid = fork();
    int status;
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        long before, after, hwm;
        struct routes_state *st = make_state(n);
        struct routes_engine *eng;
        struct routes_result res;
        before = status_kb("VmRSS:");
        eng = open_engine();
        apply_timed(eng, st, &res);
        routes_result_free(&res);
        routes_state_free(st); /* what remains is the engine's */
        after = status_kb("VmRSS:");
        hwm = status_kb("VmHWM:");
        printf("rss     %6u prefixes: peak RSS %.1f MiB (process, incl. the caller's state), "
               "engine holding them %.1f MiB (RSS after apply minus before open)\n",
               n, hwm / 1024.0, (after - before) / 1024.0);
        routes_withdraw_all(eng);
        routes_close(eng);
        fflush(stdout);
        _exit(0);
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        die("rss child failed");
}

static unsigned *parse_list(const char *s, size_t *n)
{
    unsigned *v = calloc(16, sizeof(*v));
    char *copy = strdup(s), *tok, *save = NULL;
    *n = 0;
    for (tok = strtok_r(copy, ",", &save); tok && *n < 16; tok = strtok_r(NULL, ",", &save))
        v[(*n)++] = (unsigned)strtoul(tok, NULL, 10);
    free(copy);
    return v;
}

int main(int argc, char **argv)
{
    const char *install = "1000,10000,100000", *sw = "10000,100000", *compat = "1,0";
    const char *loss = "10000,100000";
    unsigned rss = 100000, *v;
    size_t n;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ip") && i + 1 < argc)
            ip_cmd = argv[++i];
        else if (!strcmp(argv[i], "--install") && i + 1 < argc)
            install = argv[++i];
        else if (!strcmp(argv[i], "--switch") && i + 1 < argc)
            sw = argv[++i];
        else if (!strcmp(argv[i], "--compat") && i + 1 < argc)
            compat = argv[++i];
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else if (!strcmp(argv[i], "--linkloss") && i + 1 < argc)
            loss = argv[++i];
        else if (!strcmp(argv[i], "--rss") && i + 1 < argc)
            rss = (unsigned)strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: routes_bench [--ip PATH] [--install N,..] [--switch N,..] "
                            "[--compat 1,0] [--linkloss N,..] [--rss N] [--verbose]\n");
            return 1;
        }
    }
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/routes_bench.XXXXXX");
    if (!mkdtemp(tmpdir))
        die("mkdtemp");
    v = parse_list(install, &n);
    for (size_t i = 0; i < n; i++)
        bench_install(v[i]);
    free(v);
    {
        size_t nc;
        unsigned *modes = parse_list(compat, &nc);
        int saved = compat_mode(-1);
        v = parse_list(sw, &n);
        for (size_t c = 0; c < nc; c++) {
            if (compat_mode((int)modes[c]) < 0)
                die("cannot set net.ipv4.nexthop_compat_mode");
            for (size_t i = 0; i < n; i++)
                bench_switch(v[i]);
        }
        if (saved >= 0)
            compat_mode(saved);
        free(v);
        free(modes);
    }
    /* link loss in the namespace's own compat mode (the kernel's default) */
    v = parse_list(loss, &n);
    for (size_t i = 0; i < n; i++)
        bench_linkloss(v[i]);
    free(v);
    if (rss)
        bench_rss(rss);
    {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "routes_bench: could not remove %s\n", tmpdir);
    }
    return 0;
}
