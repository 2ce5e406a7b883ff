/*
 * preflight-tool: the MSS clamp of the gateway preflight (preflight_mss.c,
 * preflight_check.c) from the command line, for tests on a host without
 * XFRM interfaces (the clamp's rules match interfaces by name, so a veth
 * stands in for one).
 *   preflight-tool apply TABLE LISTING DEV=MSS...   installs; the listing
 *                                                   taken after, to LISTING
 *   preflight-tool check TABLE LISTING DEV=MSS...   reads the table back and
 *                                                   compares: one line per
 *                                                   problem, exit 1 if any
 *   preflight-tool remove TABLE
 * Errors on stderr, exit 1; usage, exit 2.
 *
 * Threading: one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight_check.h"
#include "preflight_mss.h"

static int usage(void)
{
    fprintf(stderr, "usage: preflight-tool apply|check TABLE LISTING DEV=MSS... | remove TABLE\n");
    return 2;
}

static int parse(int n, char **args, struct pf_mss *m)
{
    for (int i = 0; i < n; i++) {
        char *eq = strchr(args[i], '=');
        if (!eq || (size_t)(eq - args[i]) >= sizeof(m->name) || eq == args[i])
            return -1;
        snprintf(m[i].name, sizeof(m[i].name), "%.*s", (int)(eq - args[i]), args[i]);
        m[i].mss = (unsigned)strtoul(eq + 1, NULL, 10);
    }
    return 0;
}

static char *slurp(const char *file)
{
    FILE *f = fopen(file, "re");
    char *s = NULL;
    size_t len = 0;

    if (!f)
        return NULL;
    if (getdelim(&s, &len, '\0', f) < 0) {
        free(s);
        s = NULL;
    }
    fclose(f);
    return s;
}

int main(int argc, char **argv)
{
    char err[512];
    struct pf_mss m[16];

    if (argc == 3 && strcmp(argv[1], "remove") == 0) {
        if (!pf_mss_apply(argv[2], NULL, 0, NULL, err, sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        return 0;
    }
    if (argc < 5 || argc - 4 > 16 || parse(argc - 4, argv + 4, m) != 0)
        return usage();
    size_t n = (size_t)(argc - 4);
    if (strcmp(argv[1], "apply") == 0) {
        char *listing;
        if (!pf_mss_apply(argv[2], m, n, &listing, err, sizeof(err))) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        FILE *f = fopen(argv[3], "we");
        int rc = f && fputs(listing, f) >= 0 && fclose(f) == 0 ? 0 : 1;
        free(listing);
        return rc;
    }
    if (strcmp(argv[1], "check") != 0)
        return usage();
    struct pf_input in = {.mss = m, .n_mss = n, .mss_table = argv[2]};
    struct pf_report r = {0};
    char *installed = slurp(argv[3]), *listed = NULL;
    err[0] = '\0';
    pf_mss_list(argv[2], &listed, err, sizeof(err));
    pf_check_mss(&in, listed, err, installed, installed ? NULL : "no listing file", &r);
    for (size_t i = 0; i < r.n_items; i++)
        printf("%s: %s; fix: %s\n", r.items[i].check, r.items[i].text,
               r.items[i].fix ? r.items[i].fix : "-");
    int rc = r.n_problems ? 1 : 0;
    pf_report_free(&r);
    free(installed);
    free(listed);
    return rc;
}
