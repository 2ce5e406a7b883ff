/* ctl_server: see ctl_server.h. */
#include "ctl_server.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <library.h>
#include <networking/streams/stream_service.h>

#include "controller_plugin.h"
#include "sa_json.h"

struct ctl_server {
    stream_service_t *svc;
    char path[256];
};

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

    /* one short command line; stop at newline, EOF or a full buffer */
    while (len < sizeof(line) - 1) {
        ssize_t r = stream->read(stream, line + len, 1, TRUE);
        if (r <= 0 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
    if (len && line[len - 1] == '\r')
        line[--len] = '\0';

    if (strcmp(line, "sa") == 0) {
        sa_table_t *table = controller_table();
        sa_ike_rec_t *rows = NULL;
        size_t n = table ? sa_table_snapshot(table, &rows) : 0;
        reply(stream, sa_json_render(rows, n));
        sa_table_snapshot_free(rows, n);
    } else {
        reply(stream, error_doc("unknown command: expected one of: sa"));
    }
    return FALSE;
}

ctl_server_t *ctl_server_create(const char *uri)
{
    ctl_server_t *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    if (strpfx(uri, "unix://")) {
        snprintf(s->path, sizeof(s->path), "%s", uri + strlen("unix://"));
        unlink(s->path); /* a stale socket of a previous run */
    }
    s->svc = lib->streams->create_service(lib->streams, (char *)uri, 10);
    if (!s->svc) {
        DBG1(DBG_CFG, "control socket %s: cannot listen", uri);
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
    free(s);
}
