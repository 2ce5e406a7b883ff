/*
 * posture-tool: the posture library from the command line, for tests.
 *   posture-tool apply|status|remove [--table T] [--azure CIDR,...]
 *                [--sensors CIDR,...] [--off]
 * A list given as @FILE is read from FILE (one prefix a line or commas;
 * at most 16 MiB), for lists longer than a command line allows.
 * apply installs the table (--off: posture_apply with enforce = no),
 * status prints "state <name>", "reason <text>", "dropped <packets>
 * <bytes>" and exits 0 enforced, 3 not enforced, 4 off; remove removes the
 * table. Errors on stderr, exit 1; usage, exit 2.
 *
 * Threading: one thread.
 */
#include "posture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct list {
    char **v;
    size_t n;
};

/* splits s at ',' into l (empty items kept: the library refuses them) */
static int split(char *s, struct list *l)
{
    char *item;

    while ((item = strsep(&s, ","))) {
        char **grown = realloc(l->v, (l->n + 1) * sizeof(*grown));
        if (!grown)
            return -1;
        l->v = grown;
        l->v[l->n++] = item;
    }
    return 0;
}

#define LIST_FILE_MAX (16u << 20)

/* the list text: s itself, or the contents of FILE for "@FILE" (kept in
 * *keep, newlines turned into commas); NULL with a message */
static char *list_text(char *s, char **keep)
{
    if (s[0] != '@')
        return s;
    FILE *f = fopen(s + 1, "r");
    char *buf = f ? malloc(LIST_FILE_MAX + 1) : NULL;
    size_t n = buf ? fread(buf, 1, LIST_FILE_MAX + 1, f) : 0;
    if (!buf || ferror(f) || n > LIST_FILE_MAX) {
        fprintf(stderr, "posture-tool: %s: %s\n", s + 1,
                !f ? "cannot open" : (!buf ? "out of memory" : "unreadable or over 16 MiB"));
        free(buf);
        if (f)
            fclose(f);
        return NULL;
    }
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ','))
        n--;
    buf[n] = '\0';
    for (char *p = buf; *p; p++)
        *p = *p == '\n' ? ',' : *p;
    *keep = buf;
    return buf;
}

static int usage(void)
{
    fprintf(stderr, "usage: posture-tool apply|status|remove [--table T] [--azure CIDR,...] "
                    "[--sensors CIDR,...] [--off]\n");
    return 2;
}

static int status(const struct posture_config *cfg)
{
    struct posture_report r;

    posture_read_report(cfg, &r);
    printf("state %s\n", posture_state_name(r.state));
    if (r.reason[0])
        printf("reason %s\n", r.reason);
    if (r.counted)
        printf("dropped %llu %llu\n", r.dropped_packets, r.dropped_bytes);
    return r.state == POSTURE_ENFORCED ? 0 : (r.state == POSTURE_NOT_ENFORCED ? 3 : 4);
}

static int run(const char *cmd, const struct posture_config *cfg)
{
    char err[512];

    if (strcmp(cmd, "status") == 0)
        return status(cfg);
    if (strcmp(cmd, "apply") == 0 && posture_apply(cfg, err, sizeof(err)))
        return 0;
    if (strcmp(cmd, "remove") == 0 && posture_remove(cfg->table, err, sizeof(err)))
        return 0;
    if (strcmp(cmd, "apply") != 0 && strcmp(cmd, "remove") != 0)
        return usage();
    fprintf(stderr, "posture-tool: %s\n", err);
    return 1;
}

int main(int argc, char **argv)
{
    struct list az = {0}, se = {0};
    char *files[2] = {NULL, NULL}, *text;
    struct posture_config cfg = {.enforce = true};
    int rc = 0;

    if (argc < 2)
        return usage();
    for (int i = 2; i < argc && !rc; i++) {
        if (strcmp(argv[i], "--off") == 0)
            cfg.enforce = false;
        else if (i + 1 >= argc)
            rc = usage();
        else if (strcmp(argv[i], "--table") == 0)
            cfg.table = argv[++i];
        else if (strcmp(argv[i], "--azure") == 0)
            rc = (text = list_text(argv[++i], &files[0])) && !split(text, &az) ? 0 : 1;
        else if (strcmp(argv[i], "--sensors") == 0)
            rc = (text = list_text(argv[++i], &files[1])) && !split(text, &se) ? 0 : 1;
        else
            rc = usage();
    }
    cfg.azure = (const char *const *)az.v;
    cfg.n_azure = az.n;
    cfg.sensors = (const char *const *)se.v;
    cfg.n_sensors = se.n;
    if (!rc)
        rc = run(argv[1], &cfg);
    free(az.v);
    free(se.v);
    free(files[0]);
    free(files[1]);
    return rc;
}
