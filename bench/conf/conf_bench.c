/*
 * conf_bench: how loading the connections file scales with the number of
 * connections. Writes a file with N connections (a template reference, local,
 * remote, one child each) and N secrets for a small and a large N, times each
 * phase of conf_tree_read on its own, and prints the time per connection at
 * the large N against the small N measured in the same run (1.0x: linear).
 *
 *   conf_bench [SMALL [LARGE]]   (default 1000 10000)
 *
 * Phases: files = conf_files_check (tunneld: file checks and the include
 * scan), parse = libstrongswan's settings parser (strongSwan's), walk =
 * conf_tree_build (tunneld: names, secrets, the in-memory tree).
 *
 * Threading: one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <library.h>
#include <settings/settings.h>

#include "conf_files.h"
#include "conf_tree.h"

typedef struct {
    double files, parse, walk;
} times_t;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_conf(const char *path, unsigned n)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        perror(path);
        exit(1);
    }
    fchmod(fileno(f), 0600);
    fprintf(f, "presets {\n  site {\n    version = 2\n    proposals = aes256-sha256-modp2048\n"
               "    local {\n      auth = psk\n    }\n    remote {\n      auth = psk\n    }\n"
               "  }\n}\nconnections {\n");
    for (unsigned i = 0; i < n; i++)
        fprintf(f,
                "  c%u : presets.site {\n    remote_addrs = 192.0.2.%u\n    local {\n"
                "      id = c%u@sensors\n    }\n    remote {\n      id = 192.0.2.%u\n    }\n"
                "    children {\n      net {\n        local_ts = 100.64.%u.0/24\n"
                "        remote_ts = 100.65.%u.0/24\n      }\n    }\n  }\n",
                i, i % 250 + 1, i, i % 250 + 1, i % 256, i % 256);
    fprintf(f, "}\nsecrets {\n");
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "  ike-c%u {\n    id-1 = c%u@sensors\n    secret = 0x%08x\n  }\n", i, i,
                i * 2654435761u);
    fprintf(f, "}\n");
    fclose(f);
}

static void measure(const char *path, unsigned n, times_t *t)
{
    char *err = NULL;
    double t0 = now();
    conf_files_t *files = conf_files_check(path, &err);
    double t1 = now();
    settings_t *cfg = settings_create(NULL);
    bool ok = files && cfg->load_files(cfg, (char *)path, FALSE);
    double t2 = now();
    conf_tree_t *tree = ok ? conf_tree_build(cfg, files, path, &err) : NULL;
    double t3 = now();

    if (!tree || tree->n_conns != n || tree->n_secrets != n) {
        fprintf(stderr, "conf_bench: %s: %s\n", path, err ? err : "not loaded");
        exit(1);
    }
    conf_tree_free(tree);
    cfg->destroy(cfg);
    t->files = t1 - t0;
    t->parse = t2 - t1;
    t->walk = t3 - t2;
}

static void row(const char *phase, const char *owner, double small, double large, unsigned ns,
                unsigned nl)
{
    double ps = small / ns * 1e6, pl = large / nl * 1e6;

    printf("%-6s %-10s %10.3f s %10.3f s %9.2f us %9.2f us %7.2fx\n", phase, owner, small, large,
           ps, pl, pl / ps);
}

int main(int argc, char *argv[])
{
    unsigned small = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
    unsigned large = argc > 2 ? (unsigned)atoi(argv[2]) : 10000;
    char dir[] = "/tmp/conf_bench.XXXXXX", ps[64], pl[64], empty[64];
    times_t ts, tl;

    if (!small || large <= small || !mkdtemp(dir)) {
        fprintf(stderr, "usage: conf_bench [SMALL [LARGE]] (LARGE > SMALL > 0)\n");
        return 2;
    }
    snprintf(ps, sizeof(ps), "%s/small.conf", dir);
    snprintf(pl, sizeof(pl), "%s/large.conf", dir);
    snprintf(empty, sizeof(empty), "%s/strongswan.conf", dir);
    fclose(fopen(empty, "w"));
    dbg_default_set_level(0);
    if (!library_init(empty, "conf_bench"))
        return 1;
    write_conf(ps, small);
    write_conf(pl, large);
    measure(ps, small, &ts); /* warm-up */
    measure(ps, small, &ts);
    measure(pl, large, &tl);
    printf("connections file: %u vs %u connections (+ as many secrets)\n", small, large);
    printf("%-6s %-10s %12s %12s %12s %12s %8s\n", "phase", "code", "small", "large", "per conn",
           "per conn", "ratio");
    row("files", "tunneld", ts.files, tl.files, small, large);
    row("parse", "strongSwan", ts.parse, tl.parse, small, large);
    row("walk", "tunneld", ts.walk, tl.walk, small, large);
    printf("ratio: time per connection at %u over the same at %u (1.0x = linear)\n", large, small);
    unlink(ps);
    unlink(pl);
    unlink(empty);
    rmdir(dir);
    library_deinit();
    return 0;
}
