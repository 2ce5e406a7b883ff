/*
 * replay: runs a harness's LLVMFuzzerTestOneInput over every file of the
 * given directories (or files), without libFuzzer: the regression corpus
 * as a plain CTest test, in every build. A crash or a broken invariant
 * aborts; an empty corpus is an error (a replay of nothing proves nothing).
 *
 * Threading: single-threaded.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;

    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "replay: %s: not a readable regular file\n", path);
        if (f)
            fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, f) != size) {
        fprintf(stderr, "replay: %s: cannot read %zu bytes\n", path, size);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int replay_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;

    if (!d) {
        if (replay_file(dir) != 0)
            return -1;
        ++*count;
        return 0;
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path)
            return -1;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (replay_file(path) == 0)
            ++*count;
        else
            rc = -1;
        free(path);
    }
    closedir(d);
    return rc;
}

int main(int argc, char *argv[])
{
    size_t count = 0;
    int rc = 0;

    for (int i = 1; i < argc; i++)
        if (replay_dir(argv[i], &count) != 0)
            rc = 1;
    printf("replay: %zu inputs\n", count);
    if (!count) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    return rc;
}
