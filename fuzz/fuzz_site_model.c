/*
 * fuzz_site_model: random settings text through libstrongswan's settings
 * parser and the site model (conf/site_model). Each input must not crash,
 * leak or trip ASan/UBSan, and (abort() otherwise):
 *  - refused: the model is empty, the error starts with the file name and
 *    is printable ASCII (user bytes are escaped);
 *  - accepted: every site and path keeps the model's promises (names of
 *    the allowed characters and length, prefixes that parse, a vpn path
 *    with its child and an expressroute path without, values in their
 *    ranges, one family for the addresses of a probe, reuse < suppress);
 *    the warnings are printable ASCII.
 * Inputs with "include" are skipped: libstrongswan would read the files
 * they name (tunneld checks such files before the parser reads them).
 *
 * Threading: single-threaded (library_init once, on the first input).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <library.h>
#include <settings/settings.h>

#include "site_model.h"
#include "sm_values.h"

#define FILE_NAME         "fuzz.conf"
#define SM_FUZZ_MAX_INPUT 65536

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_site_model: %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* how many inputs the model accepted and refused, and accepted with sites
 * (random_site_model.c) */
size_t fuzz_site_model_accepted, fuzz_site_model_refused, fuzz_site_model_sites;

static void init_once(void)
{
    static bool done;
    char conf[] = "/tmp/fuzz_site_model.XXXXXX";
    int fd;

    if (done)
        return;
    fd = mkstemp(conf);
    CHECK(fd >= 0);
    close(fd);
    dbg_default_set_level(LEVEL_SILENT);
    CHECK(library_init(conf, "fuzz_site_model"));
    unlink(conf);
    done = true;
}

static void check_printable(const char *s)
{
    for (; *s; s++)
        CHECK((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f);
}

static void check_name(const char *s)
{
    size_t n = strlen(s);

    CHECK(n >= 1 && n <= SM_NAME_MAX);
    CHECK(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n);
}

static void check_probes(const struct sm_path *p)
{
    if (p->bfd.enabled) {
        CHECK(sm_addr_family(p->bfd.remote));
        CHECK(!p->bfd.local || sm_addr_family(p->bfd.local) == sm_addr_family(p->bfd.remote));
        CHECK(p->bfd.multiplier >= 1);
        CHECK(p->bfd.min_tx_us >= 1000 && p->bfd.min_tx_us <= 60000000);
        CHECK(p->bfd.min_rx_us >= 1000 && p->bfd.min_rx_us <= 60000000);
    } else {
        CHECK(!p->bfd.remote && !p->bfd.local);
    }
    if (p->echo.type != SM_ECHO_NONE) {
        CHECK(sm_addr_family(p->echo.target));
        CHECK(!p->echo.source || sm_addr_family(p->echo.source) == sm_addr_family(p->echo.target));
        CHECK(p->echo.window >= 1 && p->echo.window <= 1000);
        CHECK(p->echo.interval_ms >= 1 && p->echo.timeout_ms >= 1);
        CHECK(p->echo.port >= 1);
    }
    CHECK(p->sla.loss_pct >= 0 && p->sla.loss_pct <= p->sla.down_loss_pct);
    CHECK(p->sla.down_loss_pct > 0 && p->sla.down_loss_pct <= 100);
    CHECK(!p->damp.enabled || p->damp.reuse < p->damp.suppress);
}

static void check_path(const struct sm_path *p)
{
    check_name(p->name);
    CHECK(p->dev && p->dev[0]);
    CHECK((p->type == SM_PATH_VPN) == (p->conn != NULL));
    CHECK((p->conn != NULL) == (p->child != NULL));
    CHECK(!p->conn || (p->conn[0] && p->child[0] && !strchr(p->child, '.')));
    CHECK((p->type == SM_PATH_VPN) == (p->routing == SM_ER_NONE));
    CHECK(!p->provider || p->type == SM_PATH_EXPRESSROUTE);
    CHECK(!p->gw4 || sm_addr_family(p->gw4) == AF_INET);
    CHECK(!p->gw6 || sm_addr_family(p->gw6) == AF_INET6);
    CHECK(p->weight >= 1 && p->weight <= 255);
    CHECK(p->type == SM_PATH_VPN || !p->dpd_on_failure);
    if (p->gw4 && !p->gw6 && p->bfd.enabled)
        CHECK(sm_addr_family(p->bfd.remote) == AF_INET);
    if (p->gw6 && !p->gw4 && p->echo.type != SM_ECHO_NONE)
        CHECK(sm_addr_family(p->echo.target) == AF_INET6);
    check_probes(p);
}

static void check_model(const struct sm_model *m)
{
    int af;

    for (size_t i = 0; i < m->n_warnings; i++)
        check_printable(m->warnings[i]);
    for (size_t i = 0; i < m->n_sites; i++) {
        const struct sm_site *s = &m->sites[i];
        check_name(s->name);
        CHECK(sm_model_site(m, s->name) == s);
        CHECK(s->n_prefixes >= 1 && s->n_paths >= 1);
        for (size_t k = 0; k < s->n_prefixes; k++)
            CHECK(sm_prefix_valid(s->prefixes[k], &af));
        for (size_t k = 0; k < s->n_paths; k++)
            check_path(&s->paths[k]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sm_model m;
    char err[1024], *text;
    settings_t *s;

    if (size > SM_FUZZ_MAX_INPUT || memmem(data, size, "include", 7))
        return 0;
    init_once();
    text = malloc(size + 1);
    CHECK(text);
    memcpy(text, data, size);
    text[size] = '\0';
    s = settings_create_string(text);
    CHECK(s);
    if (sm_model_load(s, FILE_NAME, &m, err, sizeof(err)) == 0) {
        check_model(&m);
        fuzz_site_model_accepted++;
        fuzz_site_model_sites += m.n_sites > 0;
    } else {
        fuzz_site_model_refused++;
        CHECK(!m.sites && !m.n_sites && !m.warnings && !m.n_warnings);
        CHECK(!strncmp(err, FILE_NAME ": ", strlen(FILE_NAME) + 2));
        check_printable(err);
    }
    sm_model_free(&m);
    s->destroy(s);
    free(text);
    return 0;
}
