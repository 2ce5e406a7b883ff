/*
 * sm_prefix_file: a site's `prefixes_file`, for prefix sets too large for
 * one settings line (libstrongswan's lexer takes minutes over a line of
 * megabytes; tunneld refuses lines over 64 KiB): one prefix per line, blank
 * lines and `#` comments allowed. Only a regular file (never a FIFO, device
 * or directory: a reload must never block), not on /proc or /sys, at most
 * SM_PREFIX_FILE_MAX bytes. Errors name the file and the line. The file
 * checks (sm_file_resolve, sm_file_slurp) serve every file a key names
 * (endpoints_file, ca_file).
 *
 * Threading: the loading thread (see site_model.h). Blocks on file I/O.
 */
#define _GNU_SOURCE
#include "sm_internal.h"
#include "sm_endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define SM_PREFIX_FILE_MAX (16u << 20)

char *sm_file_resolve(const char *file, const char *path)
{
    char *dir, *copy, *out = NULL;

    if (path[0] == '/' || !file)
        return strdup(path);
    copy = strdup(file);
    if (!copy)
        return NULL;
    dir = dirname(copy);
    if (asprintf(&out, "%s/%s", dir, path) < 0)
        out = NULL;
    free(copy);
    return out;
}

char *sm_file_slurp(const char *path, size_t *len, const char **why)
{
    struct stat st;
    struct statfs sf;
    char *buf = NULL;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

    *len = 0;
    if (fd < 0)
        return *why = strerror(errno), NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode))
        *why = "not a regular file (a FIFO, device or directory could block a reload)";
    else if (!fstatfs(fd, &sf) && (sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC))
        *why = "on /proc or /sys (expected a file of your own)";
    else if ((uint64_t)st.st_size > SM_PREFIX_FILE_MAX)
        *why = "larger than 16 MiB";
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        *why = "out of memory";
    while (buf && *len <= (size_t)st.st_size) {
        n = read(fd, buf + *len, (size_t)st.st_size + 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    close(fd);
    if (buf && *len > (size_t)st.st_size) { /* grew while read: never read further */
        free(buf);
        return *why = "larger than when it was opened (being written?)", NULL;
    }
    if (buf)
        buf[*len] = '\0';
    return buf;
}

static bool add_prefix(struct sm_site *site, size_t *cap, const char *tok)
{
    if (site->n_prefixes == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        char **grown = realloc(site->prefixes, ncap * sizeof(*grown));
        if (!grown)
            return false;
        site->prefixes = grown;
        *cap = ncap;
    }
    if (!(site->prefixes[site->n_prefixes] = strdup(tok)))
        return false;
    site->n_prefixes++;
    return true;
}

static bool parse_lines(sm_ctx_t *c, struct sm_site *site, const char *where, const char *path,
                        char *buf, size_t len)
{
    size_t cap = site->n_prefixes, lineno = 0;
    char *line = buf, *next;
    sm_quoted_t q, qp;
    int af;

    if (memchr(buf, '\0', len))
        return sm_fail(c, "%s.prefixes_file: %s: contains a NUL byte (expected text)", where,
                       sm_quote(path, &qp));
    for (; line && line < buf + len; line = next) {
        char *tok;

        lineno++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        tok = sm_line_trim(line);
        if (!*tok)
            continue;
        if (!sm_prefix_valid(tok, &af))
            return sm_fail(c,
                           "%s.prefixes_file: %s:%zu: '%s' is not a prefix (expected "
                           "address/length with no host bits set, one per line)",
                           where, sm_quote(path, &qp), lineno, sm_quote(tok, &q));
        if (!add_prefix(site, &cap, tok))
            return sm_fail(c, "%s.prefixes_file: out of memory", where);
    }
    return true;
}

bool sm_read_prefix_file(sm_ctx_t *c, struct sm_site *site, const char *where, const char *path)
{
    const char *why = NULL;
    char *full = sm_file_resolve(c->file, path), *buf;
    size_t len;
    sm_quoted_t qp;
    bool ok;

    if (!full)
        return sm_fail(c, "%s.prefixes_file: out of memory", where);
    buf = sm_file_slurp(full, &len, &why);
    if (!buf) {
        ok = sm_fail(c, "%s.prefixes_file: %s: %s", where, sm_quote(full, &qp), why);
    } else {
        ok = parse_lines(c, site, where, full, buf, len);
        free(buf);
    }
    free(full);
    return ok;
}
