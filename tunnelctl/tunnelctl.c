/*
 * tunnelctl: reads tunneld's state over its read-only control socket and
 * prints it as a table or, with -j, as JSON.
 *
 *   tunnelctl [-s SOCKET] [-t SECONDS] [-j] sa|routes|paths|preflight|help
 *
 * The socket is not trusted: the exchange is bounded in time and size
 * (ctl_client), the reply is checked against its schema into typed rows
 * (sa_json, routes_json, paths_json) and everything printed from it is escaped.
 *
 * Threading: single-threaded.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ctl_client.h"
#include "output.h"
#include "routes_json.h"
#include "sa_json.h"
#include "text_escape.h"

#define DEFAULT_SOCKET  "/run/tunneld/tunneld.ctl"
#define DEFAULT_TIMEOUT 5.0
#define MAX_TIMEOUT     3600.0
/* bytes of an error reply shown (a hostile socket could send 64 MiB) */
#define ERROR_SHOWN_MAX 4096

const struct output *ctl_out = &output_text;
static const char *sock_path = DEFAULT_SOCKET;
static double timeout_s = DEFAULT_TIMEOUT;

int request(const char *cmd, ctl_reply_t *reply)
{
    char *msg;

    if (ctl_request(sock_path, cmd, timeout_s, reply) != 0)
        return -1;
    if (!ctl_reply_error(reply, &msg))
        return 0;
    fputs("tunnelctl: tunneld: ", stderr);
    size_t len = msg ? strlen(msg) : 0;
    if (len > ERROR_SHOWN_MAX)
        msg[ERROR_SHOWN_MAX] = '\0'; /* said below: never cut silently */
    text_put(stderr, msg ? msg : "(an error reply; no memory to show it)");
    if (len > ERROR_SHOWN_MAX)
        fprintf(stderr, "... (%zu more bytes not shown)", len - ERROR_SHOWN_MAX);
    fputc('\n', stderr);
    free(msg);
    free(reply->data);
    return -1;
}

int schema_error(const char *cmd, const char *schema, char *err)
{
    fprintf(stderr, "tunnelctl: %s: reply to '%s' does not match %s: %s\n", sock_path, cmd, schema,
            err ? err : "out of memory");
    free(err);
    return 1;
}

static int cmd_sa(void)
{
    ctl_reply_t reply;
    sa_ike_rec_t *rows;
    char *err;

    if (request("sa", &reply) != 0)
        return 1;
    long n = sa_json_parse_text(reply.data, reply.len, &rows, &err);
    free(reply.data);
    if (n < 0)
        return schema_error("sa", "docs/schema/sa.schema.json", err);
    ctl_out->sa(stdout, rows, (size_t)n);
    sa_table_snapshot_free(rows, (size_t)n);
    return 0;
}

/* problems (a refused reload, an engine not running) make the status 1 */
static int cmd_routes(void)
{
    ctl_reply_t reply;
    routes_doc_t doc;
    char *err;

    if (request("routes", &reply) != 0)
        return 1;
    int rc = routes_json_parse(reply.data, reply.len, &doc, &err);
    free(reply.data);
    if (rc != 0)
        return schema_error("routes", "docs/schema/routes.schema.json", err);
    ctl_out->routes(stdout, &doc);
    rc = doc.n_problems ? 1 : 0;
    routes_doc_free(&doc);
    return rc;
}

static int cmd_help(void);

static const struct token {
    const char *word;
    int (*run)(void);
    const char *help;
} commands[] = {
    {"sa", cmd_sa, "IKE and CHILD SAs: state, traffic selectors, counters, last down reason"},
    {"routes", cmd_routes, "routed sites and paths: usable now, bound CHILD_SA and its state"},
    {"paths", cmd_paths, "path health: state and why, BFD, loss/RTT/jitter, SA; decisions"},
    {"preflight", cmd_preflight, "gateway preflight: forwarding, rp_filter, MSS clamp; fixes"},
    {"help", cmd_help, "this list"},
};

static int cmd_help(void)
{
    printf("usage: tunnelctl [-s SOCKET] [-t SECONDS] [-j] COMMAND\n"
           "  -s SOCKET   control socket (default %s)\n"
           "  -t SECONDS  limit for the whole exchange (default %g, at most %g)\n"
           "  -j          JSON output\n"
           "commands:\n",
           DEFAULT_SOCKET, DEFAULT_TIMEOUT, MAX_TIMEOUT);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        printf("  %-8s %s\n", commands[i].word, commands[i].help);
    return 0;
}

static int parse_timeout(const char *arg)
{
    char *end;

    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !isfinite(v) || v <= 0 || v > MAX_TIMEOUT) {
        fprintf(stderr, "tunnelctl: -t: expected seconds above 0 and at most %g, got '%s'\n",
                MAX_TIMEOUT, arg);
        return -1;
    }
    timeout_s = v;
    return 0;
}

static int run(const char *word, int extra, char *const *extra_args)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(word, commands[i].word) == 0) {
            if (extra) {
                fprintf(stderr, "tunnelctl: %s: unexpected argument '%s'\n", word, extra_args[0]);
                return 2;
            }
            return commands[i].run();
        }
    fprintf(stderr, "tunnelctl: unknown command '%s'; valid commands:", word);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(stderr, " %s", commands[i].word);
    fprintf(stderr, "\n");
    return 2;
}

/* output that could not be written is a failure, not a silent success */
static int flushed(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "tunnelctl: writing the output: %s\n", strerror(errno));
        return rc ? rc : 1;
    }
    return rc;
}

int main(int argc, char *argv[])
{
    int c;

    while ((c = getopt(argc, argv, "s:t:jh")) != -1) {
        switch (c) {
        case 's':
            sock_path = strncmp(optarg, "unix://", 7) == 0 ? optarg + 7 : optarg;
            break;
        case 't':
            if (parse_timeout(optarg) != 0)
                return 2;
            break;
        case 'j':
            ctl_out = &output_json;
            break;
        case 'h':
            return flushed(cmd_help());
        default:
            cmd_help();
            return 2;
        }
    }
    if (optind >= argc) {
        cmd_help();
        return 2;
    }
    return flushed(run(argv[optind], argc - optind - 1, argv + optind + 1));
}
