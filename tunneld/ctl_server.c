/* ctl_server: see ctl_server.h. */
#include "ctl_server.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <library.h>
#include <networking/streams/stream_service.h>

#include "controller_plugin.h"
#include "sa_json.h"

#define MAX_COMMANDS 8

struct ctl_server {
    stream_service_t *svc;
    char path[256];
    struct {
        const char *word;
        ctl_command_fn fn;
        void *ctx;
    } commands[MAX_COMMANDS];
    size_t n_commands; /* written before on_accept is set, or under the lock */
    pthread_mutex_t lock;
};

static json_object *cmd_sa(void *ctx)
{
    sa_table_t *table = controller_table();
    sa_ike_rec_t *rows = NULL;
    size_t n = table ? sa_table_snapshot(table, &rows) : 0;
    json_object *doc = sa_json_render(rows, n);

    sa_table_snapshot_free(rows, n);
    return doc;
}

bool ctl_server_add_command(ctl_server_t *s, const char *word, ctl_command_fn fn, void *ctx)
{
    bool ok = false;

    pthread_mutex_lock(&s->lock);
    if (s->n_commands < MAX_COMMANDS) {
        s->commands[s->n_commands].word = word;
        s->commands[s->n_commands].fn = fn;
        s->commands[s->n_commands].ctx = ctx;
        s->n_commands++;
        ok = true;
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static void reply(stream_t *stream, json_object *doc)
{
    const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    stream->write_all(stream, (void *)text, strlen(text));
    stream->write_all(stream, "\n", 1);
    json_object_put(doc);
}

static json_object *error_doc(const char *msg)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    return o;
}

static bool serve(void *data, stream_t *stream)
{
    char line[128];
    size_t len = 0;

    /*
     * One short command line; stop at newline, EOF, a full buffer, or after
     * 2 s, so that a silent client cannot hold one of the two serving slots.
     */
    for (int waited_ms = 0; len < sizeof(line) - 1 && waited_ms < 2000;) {
        ssize_t r = stream->read(stream, line + len, 1, FALSE);
        if (r < 0 && (errno == EWOULDBLOCK || errno == EAGAIN)) {
            usleep(10 * 1000);
            waited_ms += 10;
            continue;
        }
        if (r <= 0 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    if (len && line[len - 1] == '\r')
        line[--len] = '\0';

    ctl_server_t *s = data;
    ctl_command_fn fn = NULL;
    void *ctx = NULL;
    char words[256] = "";

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_commands; i++) {
        if (strcmp(line, s->commands[i].word) == 0) {
            fn = s->commands[i].fn;
            ctx = s->commands[i].ctx;
        }
        snprintf(words + strlen(words), sizeof(words) - strlen(words), "%s%s", i ? ", " : "",
                 s->commands[i].word);
    }
    pthread_mutex_unlock(&s->lock);
    if (fn) {
        json_object *doc = fn(ctx);
        reply(stream, doc ? doc : error_doc("the command is not available now"));
    } else {
        char msg[320];
        snprintf(msg, sizeof(msg), "unknown command: expected one of: %s", words);
        reply(stream, error_doc(msg));
    }
    return FALSE;
}

ctl_server_t *ctl_server_create(const char *uri)
{
    ctl_server_t *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    ctl_server_add_command(s, "sa", cmd_sa, NULL);
    if (strpfx(uri, "unix://")) {
        snprintf(s->path, sizeof(s->path), "%s", uri + strlen("unix://"));
        unlink(s->path); /* a stale socket of a previous run */
    }
    s->svc = lib->streams->create_service(lib->streams, (char *)uri, 10);
    if (!s->svc) {
        DBG1(DBG_CFG, "control socket %s: cannot listen", uri);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    if (s->path[0])
        chmod(s->path, 0660);
    s->svc->on_accept(s->svc, serve, s, JOB_PRIO_CRITICAL, 2);
    DBG1(DBG_CFG, "control socket listening on %s", uri);
    return s;
}

void ctl_server_destroy(ctl_server_t *s)
{
    if (!s)
        return;
    s->svc->destroy(s->svc);
    if (s->path[0])
        unlink(s->path);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
