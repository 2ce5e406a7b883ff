/*
 * ctl_server (tunneld's control socket) with real unix sockets in a
 * temporary directory and small limits: answers, client eviction at the
 * client limit, the read and write deadlines, the cap on pending reply
 * bytes, clients that close early (the process keeps SIGPIPE's default
 * action here: a write that raised it would kill the test).
 *
 * Threading: the server's own thread serves; the test is the clients.
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <library.h>

#include "ctl_server.h"

#define BIG (4u << 20) /* bytes of the "big" reply's string */

static char dir[] = "/tmp/test_ctl_server.XXXXXX";
static char path[sizeof(dir) + 16]; /* a new one per server: a failed test leaves its own */
static int n_servers;

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_object *cmd_big(void *ctx)
{
    size_t n = *(size_t *)ctx;
    char *s = malloc(n);

    assert_non_null(s);
    memset(s, 'x', n);
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "big", json_object_new_string_len(s, (int)n));
    free(s);
    return doc;
}

static ctl_server_t *server(int read_ms, int write_ms, size_t max_clients, size_t max_pending)
{
    static size_t big = BIG;
    ctl_limits_t lim = {read_ms, write_ms, max_clients, max_pending};
    char err[512];

    snprintf(path, sizeof(path), "%s/ctl%d", dir, ++n_servers);
    ctl_server_t *s = ctl_server_create(path, 0600, (gid_t)-1, &lim, err, sizeof(err));

    if (!s)
        fail_msg("ctl_server_create: %s", err);
    assert_true(ctl_server_add_command(s, "big", cmd_big, &big));
    assert_true(ctl_server_start(s, err, sizeof(err)));
    return s;
}

static int client(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    strcpy(sa.sun_path, path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void send_line(int fd, const char *line)
{
    assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
}

/* true once the server closed fd (seen without reading), within ms */
static bool closed_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};

    return poll(&p, 1, ms) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

/* the whole reply (until the server closes), NUL-terminated; *len its length */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ssize_t r;

    assert_non_null(buf);
    while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
        n += (size_t)r;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static char *ask(const char *line)
{
    int fd = client();
    size_t len;

    send_line(fd, line);
    char *reply = read_all(fd, &len);
    close(fd);
    return reply;
}

static void test_answers(void **state)
{
    ctl_server_t *s = server(2000, 2000, 8, 64u << 20);
    char *r;

    r = ask("sa\n");
    assert_non_null(strstr(r, "\"sas\":["));
    assert_int_equal(r[strlen(r) - 1], '\n');
    free(r);
    r = ask("nonsense\r\n");
    assert_string_equal(r, "{\"error\":\"unknown command: expected one of: sa, big\"}\n");
    free(r);
    char line[300];
    memset(line, 'a', sizeof(line) - 2);
    line[sizeof(line) - 2] = '\n';
    line[sizeof(line) - 1] = '\0';
    r = ask(line);
    assert_string_equal(r, "{\"error\":\"command line too long: at most 127 bytes\"}\n");
    free(r);
    ctl_server_destroy(s);
    assert_int_equal(access(path, F_OK), -1); /* the socket is removed */
}

/* at the client limit, a new connection drops the oldest client, and only it */
static void test_eviction(void **state)
{
    ctl_server_t *s = server(10000, 10000, 4, 64u << 20);
    int fd[6];

    for (int i = 0; i < 4; i++)
        fd[i] = client();
    for (int i = 0; i < 4; i++)
        assert_false(closed_within(fd[i], 0));
    fd[4] = client(); /* a fifth: the first one goes */
    assert_true(closed_within(fd[0], 3000));
    for (int i = 1; i < 5; i++)
        assert_false(closed_within(fd[i], 200));
    fd[5] = client(); /* a sixth: the second one goes */
    assert_true(closed_within(fd[1], 3000));
    for (int i = 2; i < 6; i++)
        assert_false(closed_within(fd[i], 200));
    /* the newest still gets an answer */
    send_line(fd[5], "sa\n");
    size_t len;
    char *r = read_all(fd[5], &len);
    assert_non_null(strstr(r, "\"sas\":["));
    free(r);
    for (int i = 0; i < 6; i++)
        close(fd[i]);
    ctl_server_destroy(s);
}

/* a client that sends nothing, or half a line, is dropped at the read deadline */
static void test_read_deadline(void **state)
{
    ctl_server_t *s = server(300, 10000, 8, 64u << 20);
    int idle = client(), half = client();
    long long t0 = now_ms();

    send_line(half, "s");
    assert_false(closed_within(idle, 150));
    assert_true(closed_within(idle, 10000));
    assert_true(closed_within(half, 10000));
    long long took = now_ms() - t0;
    print_message("idle clients dropped after %lld ms (read deadline 300 ms)\n", took);
    assert_true(took >= 250);
    close(idle);
    close(half);
    ctl_server_destroy(s);
}

/* a client that never reads its (large) reply is dropped at the write deadline */
static void test_write_deadline(void **state)
{
    ctl_server_t *s = server(10000, 400, 8, 64u << 20);
    int fd = client();
    long long t0 = now_ms();
    size_t len;

    send_line(fd, "big\n");
    assert_true(closed_within(fd, 10000));
    long long took = now_ms() - t0;
    print_message("a client that never reads dropped after %lld ms (write deadline 400 ms)\n",
                  took);
    assert_true(took >= 300);
    char *r = read_all(fd, &len);
    assert_true(len < BIG); /* cut off: it got what the socket buffers held */
    free(r);
    close(fd);
    ctl_server_destroy(s);
}

/* pending reply bytes over the cap: the oldest slow reader goes, the new one is served */
static void test_pending_cap(void **state)
{
    ctl_server_t *s = server(10000, 20000, 8, BIG + BIG / 2);
    int slow = client(), next = client();
    struct pollfd p = {.fd = slow, .events = POLLIN};
    size_t len;

    send_line(slow, "big\n");
    assert_int_equal(poll(&p, 1, 10000), 1); /* its reply is being sent */
    long long t0 = now_ms();
    send_line(next, "big\n");
    assert_true(closed_within(slow, 5000));
    print_message("the older slow reader dropped after %lld ms (write deadline 20 s)\n",
                  now_ms() - t0);
    char *r = read_all(next, &len);
    assert_int_equal(len, BIG + strlen("{\"big\":\"\"}\n"));
    assert_int_equal(r[len - 1], '\n');
    free(r);
    close(slow);
    close(next);
    ctl_server_destroy(s);
}

/* clients that close at every point of the exchange never stop the server */
static void test_early_close(void **state)
{
    ctl_server_t *s = server(2000, 2000, 8, 64u << 20);

    close(client());
    int fd = client();
    send_line(fd, "sa");
    close(fd);
    for (int i = 0; i < 5; i++) {
        fd = client();
        send_line(fd, "big\n");
        char buf[1000];
        if (i & 1)
            assert_true(read(fd, buf, sizeof(buf)) > 0); /* some of it, then away */
        close(fd);
    }
    char *r = ask("sa\n");
    assert_non_null(strstr(r, "\"sas\":["));
    free(r);
    ctl_server_destroy(s);
}

static int setup(void **state)
{
    char conf[] = "/tmp/test_ctl_server_settings.XXXXXX";
    int fd = mkstemp(conf);

    if (fd < 0 || !mkdtemp(dir))
        return -1;
    close(fd);
    dbg_default_set_level(LEVEL_SILENT);
    bool ok = library_init(conf, "test_ctl_server");
    unlink(conf);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    for (int i = 1; i <= n_servers; i++) {
        snprintf(path, sizeof(path), "%s/ctl%d", dir, i);
        unlink(path);
    }
    rmdir(dir);
    library_deinit();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),       cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_read_deadline), cmocka_unit_test(test_write_deadline),
        cmocka_unit_test(test_pending_cap),   cmocka_unit_test(test_early_close),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
