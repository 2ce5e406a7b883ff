/*
 * tunnelctl: reads tunneld's state over its read-only control socket and
 * prints it as a table or, with -j, as JSON.
 *
 *   tunnelctl [-s SOCKET] [-j] sa
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "output.h"
#include "sa_json.h"

#define DEFAULT_SOCKET "/run/tunneld/tunneld.ctl"

static const struct output *out = &output_text;
static const char *sock_path = DEFAULT_SOCKET;

/* sends cmd, returns the parsed JSON reply (NULL, with a message, on failure) */
static json_object *request(const char *cmd)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char buf[65536];
    size_t len = 0;
    char *data = NULL;

    if (strlen(sock_path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "tunnelctl: socket path too long: %s\n", sock_path);
        return NULL;
    }
    strcpy(sa.sun_path, sock_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(stderr, "tunnelctl: cannot connect to %s: %s (is tunneld running?)\n", sock_path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0) {
        fprintf(stderr, "tunnelctl: %s: write: %s\n", sock_path, strerror(errno));
        close(fd);
        return NULL;
    }
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r <= 0)
            break;
        char *grown = realloc(data, len + (size_t)r + 1);
        if (!grown)
            break;
        data = grown;
        memcpy(data + len, buf, (size_t)r);
        len += (size_t)r;
    }
    close(fd);
    if (!data) {
        fprintf(stderr, "tunnelctl: %s: empty reply\n", sock_path);
        return NULL;
    }
    data[len] = '\0';
    json_object *doc = json_tokener_parse(data);
    free(data);
    if (!doc)
        fprintf(stderr, "tunnelctl: %s: reply is not JSON\n", sock_path);
    return doc;
}

/* request() that also turns tunneld's {"error": ...} reply into a message */
static json_object *request_ok(const char *cmd)
{
    json_object *doc = request(cmd), *e;

    if (doc && json_object_object_get_ex(doc, "error", &e)) {
        fprintf(stderr, "tunnelctl: tunneld: %s\n", json_object_get_string(e));
        json_object_put(doc);
        return NULL;
    }
    return doc;
}

static int cmd_sa(void)
{
    json_object *doc = request_ok("sa");
    sa_ike_rec_t *rows;

    if (!doc)
        return 1;
    long n = sa_json_parse(doc, &rows);
    json_object_put(doc);
    if (n < 0) {
        fprintf(stderr, "tunnelctl: unexpected reply (schema version mismatch?)\n");
        return 1;
    }
    out->sa(stdout, rows, (size_t)n);
    sa_table_snapshot_free(rows, (size_t)n);
    return 0;
}

static int cmd_routes(void)
{
    json_object *doc = request_ok("routes");

    if (!doc)
        return 1;
    out->routes(stdout, doc);
    json_object_put(doc);
    return 0;
}

static int cmd_help(void);

static const struct token {
    const char *word;
    int (*run)(void);
    const char *help;
} commands[] = {
    {"sa", cmd_sa, "IKE and CHILD SAs: state, traffic selectors, counters, last down reason"},
    {"routes", cmd_routes, "routed sites and paths: usable now, bound CHILD_SA and its state"},
    {"help", cmd_help, "this list"},
};

static int cmd_help(void)
{
    printf("usage: tunnelctl [-s SOCKET] [-j] COMMAND\n  -s SOCKET  control socket (default "
           "%s)\n  -j         JSON output\ncommands:\n",
           DEFAULT_SOCKET);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        printf("  %-8s %s\n", commands[i].word, commands[i].help);
    return 0;
}

int main(int argc, char *argv[])
{
    int c;

    while ((c = getopt(argc, argv, "s:jh")) != -1) {
        switch (c) {
        case 's':
            sock_path = strncmp(optarg, "unix://", 7) == 0 ? optarg + 7 : optarg;
            break;
        case 'j':
            out = &output_json;
            break;
        case 'h':
            return cmd_help();
        default:
            cmd_help();
            return 2;
        }
    }
    if (optind >= argc) {
        cmd_help();
        return 2;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[optind], commands[i].word) == 0) {
            if (optind + 1 < argc) {
                fprintf(stderr, "tunnelctl: %s: unexpected argument '%s'\n", argv[optind],
                        argv[optind + 1]);
                return 2;
            }
            return commands[i].run();
        }
    fprintf(stderr, "tunnelctl: unknown command '%s'; valid commands:", argv[optind]);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(stderr, " %s", commands[i].word);
    fprintf(stderr, "\n");
    return 2;
}
