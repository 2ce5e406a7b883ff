/*
 * random_site_model: the site model's harness (fuzz_site_model.c) on random
 * settings text, in every build, without libFuzzer: each round takes a file
 * of the corpus and mutates it (spans deleted or repeated, tokens of the
 * model's syntax inserted, bytes replaced by NUL, control and non-ASCII
 * bytes, '%'), then feeds it to the harness, which aborts on a broken
 * invariant. Deterministic for a seed; fails when no input with sites was
 * accepted or none refused (random text that never reaches the model proves nothing).
 *
 *   random_site_model CORPUS_DIR ROUNDS SEED
 *
 * Threading: single-threaded.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern size_t fuzz_site_model_accepted, fuzz_site_model_refused, fuzz_site_model_sites;

#define MAX_FILES 256
#define MAX_TEXT  16384

static const char *const tokens[] = {"{",
                                     "}",
                                     "\n",
                                     " = ",
                                     ".",
                                     ",",
                                     "#",
                                     "%n",
                                     "%s",
                                     "\\",
                                     "\"",
                                     "sites",
                                     "paths",
                                     "routes",
                                     "bfd",
                                     "echo",
                                     "sla",
                                     "dampening",
                                     "prefixes",
                                     "type",
                                     "vpn",
                                     "expressroute",
                                     "routing",
                                     "exchange-provider",
                                     "child",
                                     "a.b",
                                     "dev",
                                     "gateway4",
                                     "gateway6",
                                     "priority",
                                     "weight",
                                     "hold_down",
                                     "min_good",
                                     "remote",
                                     "local",
                                     "target",
                                     "source",
                                     "multiplier",
                                     "min_tx",
                                     "window",
                                     "loss",
                                     "down_loss",
                                     "reuse",
                                     "suppress",
                                     "half_life",
                                     "max_suppress",
                                     "300ms",
                                     "1s",
                                     "2m",
                                     "0",
                                     "255",
                                     "256",
                                     "4294967296",
                                     "100%",
                                     "10.5%",
                                     "192.0.2.1",
                                     "2001:db8::1",
                                     "203.0.113.0/24",
                                     "2001:db8:100::/48",
                                     "yes",
                                     "udp",
                                     "icmp",
                                     "keep-last",
                                     "when_all_down",
                                     "tunneld",
                                     "tunneld.sites.x.paths.y.dev",
                                     "\xff",
                                     "\x01",
                                     "\t"};

static char *files[MAX_FILES];
static size_t lens[MAX_FILES], n_files;

static void load_corpus(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        perror(dir);
        exit(2);
    }
    while ((e = readdir(d)) && n_files < MAX_FILES) {
        char path[4096];
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        f = fopen(path, "rb");
        if (!f)
            continue;
        files[n_files] = calloc(1, MAX_TEXT);
        lens[n_files] = files[n_files] ? fread(files[n_files], 1, MAX_TEXT / 2, f) : 0;
        fclose(f);
        if (files[n_files])
            n_files++;
    }
    closedir(d);
}

/* one mutation of buf (len bytes, room for MAX_TEXT) */
static size_t mutate(char *buf, size_t len)
{
    size_t at = len ? (size_t)rand() % len : 0, span = len ? 1 + (size_t)rand() % 24 : 0;
    const char *tok;
    size_t tl;

    if (span > len - at)
        span = len - at;
    switch (rand() % 4) {
    case 0: /* delete a span */
        memmove(buf + at, buf + at + span, len - at - span);
        return len - span;
    case 1: /* repeat a span */
        if (len + span >= MAX_TEXT)
            return len;
        memmove(buf + at + span, buf + at, len - at);
        return len + span;
    case 2: /* a token of the syntax */
        tok = tokens[(size_t)rand() % (sizeof(tokens) / sizeof(tokens[0]))];
        tl = strlen(tok);
        if (len + tl >= MAX_TEXT)
            return len;
        memmove(buf + at + tl, buf + at, len - at);
        memcpy(buf + at, tok, tl);
        return len + tl;
    default: /* a byte */
        if (len)
            buf[at] = "\0\x01\x7f\x80\xff%\n{}"[(size_t)rand() % 9];
        return len;
    }
}

int main(int argc, char **argv)
{
    static char buf[MAX_TEXT];
    long rounds;

    if (argc != 4) {
        fprintf(stderr, "usage: random_site_model CORPUS_DIR ROUNDS SEED\n");
        return 2;
    }
    load_corpus(argv[1]);
    rounds = atol(argv[2]);
    srand((unsigned)atol(argv[3]));
    if (!n_files || rounds < 1) {
        fprintf(stderr, "random_site_model: no corpus in %s or no rounds\n", argv[1]);
        return 2;
    }
    for (long r = 0; r < rounds; r++) {
        size_t i = (size_t)rand() % n_files, len = lens[i];
        int n = rand() % 4; /* 0: the file as is */
        memcpy(buf, files[i], len);
        for (int k = 0; k < n; k++)
            len = mutate(buf, len);
        LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    }
    printf("random_site_model: %ld inputs, %zu accepted (%zu with sites), %zu refused\n", rounds,
           fuzz_site_model_accepted, fuzz_site_model_sites, fuzz_site_model_refused);
    for (size_t i = 0; i < n_files; i++)
        free(files[i]);
    return fuzz_site_model_sites && fuzz_site_model_refused ? 0 : 1;
}
