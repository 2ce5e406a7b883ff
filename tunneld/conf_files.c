/* conf_files: see conf_files.h. */
#define _GNU_SOURCE /* asprintf */
#include "conf_files.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <library.h>
#include <utils/utils/path.h>

#include "conf_perm.h"
#include "conf_value.h"

typedef struct {
    conf_top_t top;
    size_t order;
    char *name, *where;
} location_t;

struct conf_files {
    location_t *locs;
    size_t n_locs, cap_locs;
    location_t *refs; /* template references (top unused) */
    size_t n_refs, cap_refs;
    char **warnings;
    size_t n_warnings;
};

/* one file on the include stack */
typedef struct frame {
    const char *name;
    const char *from, *pattern; /* the include that read it (NULL for the top file) */
    unsigned line;
    dev_t dev;
    ino_t ino;
    unsigned secret_line;
    struct frame *up;
} frame_t;

typedef struct {
    conf_files_t *f;
    char **err;
    size_t total, files, includes;
    frame_t *top; /* the file being scanned */
    unsigned depth;
} walk_t;

static bool check_pattern(walk_t *w, const char *pattern, const char *written, const char *from,
                          unsigned line, conf_scan_state_t *st);

static const char *kind_of(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFIFO:
        return "a FIFO";
    case S_IFDIR:
        return "a directory";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFSOCK:
        return "a socket";
    default:
        return "not a regular file";
    }
}

/* "from:line: include 'pattern': " or "" for the top file */
static char *origin(const char *from, unsigned line, const char *pattern)
{
    char *s = NULL;

    if (!from)
        return strdup("");
    if (asprintf(&s, "%s:%u: include %s: ", from, line, CONF_Q(pattern)) < 0)
        return NULL;
    return s;
}

static bool fail(walk_t *w, const char *from, unsigned line, const char *pattern, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
static bool fail(walk_t *w, const char *from, unsigned line, const char *pattern, const char *fmt,
                 ...)
{
    char *where = origin(from, line, pattern), *what = NULL;
    va_list args;

    va_start(args, fmt);
    if (vasprintf(&what, fmt, args) < 0)
        what = NULL;
    va_end(args);
    conf_err(w->err, "%s%s", where ? where : "", what ? what : "out of memory");
    free(where);
    free(what);
    return false;
}

static bool pseudo_fs(int fd)
{
    static const long magics[] = {PROC_SUPER_MAGIC,    SYSFS_MAGIC,      DEBUGFS_MAGIC,
                                  TRACEFS_MAGIC,       SECURITYFS_MAGIC, CGROUP_SUPER_MAGIC,
                                  CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC,     DEVPTS_SUPER_MAGIC};
    struct statfs sfs;

    if (fstatfs(fd, &sfs) != 0)
        return false;
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        if ((long)sfs.f_type == magics[i])
            return true;
    return false;
}

/* reads fd to its end, at most CONF_FILE_MAX bytes; 0 or an errno (EFBIG: longer) */
static int slurp(int fd, size_t hint, char **text, size_t *len)
{
    size_t cap = (hint < CONF_FILE_MAX ? hint : CONF_FILE_MAX) + 1, n = 0;
    char *buf = malloc(cap), *grown;
    ssize_t got;

    while (buf) {
        if (n == cap) {
            if (cap > CONF_FILE_MAX)
                break;
            cap = cap * 2 > CONF_FILE_MAX + 1 ? CONF_FILE_MAX + 1 : cap * 2;
            grown = realloc(buf, cap);
            if (!grown)
                break;
            buf = grown;
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            return e;
        }
        if (got == 0) {
            *text = buf;
            *len = n;
            return 0;
        }
        n += (size_t)got;
    }
    free(buf);
    return n > CONF_FILE_MAX ? EFBIG : ENOMEM;
}

/* opens name without blocking and reads it whole into *text; st is its fstat */
static bool read_file(walk_t *w, const char *name, const char *from, unsigned line,
                      const char *pattern, struct stat *st, char **text, size_t *len)
{
    struct stat pre;
    int fd;

    if (stat(name, &pre) != 0)
        return fail(w, from, line, pattern, "%s: cannot read: %s", name, strerror(errno));
    if (!S_ISREG(pre.st_mode))
        return fail(w, from, line, pattern, "%s is %s, expected a regular file", name,
                    kind_of(pre.st_mode));
    fd = open(name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return fail(w, from, line, pattern, "%s: cannot read: %s", name, strerror(errno));
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_ino != pre.st_ino ||
        st->st_dev != pre.st_dev) {
        close(fd);
        return fail(w, from, line, pattern, "%s changed while it was checked, try again", name);
    }
    if (pseudo_fs(fd)) {
        close(fd);
        return fail(w, from, line, pattern,
                    "%s is on a pseudo file system (proc, sys, ...), expected a regular file",
                    name);
    }
    if (st->st_size > (off_t)CONF_FILE_MAX) {
        close(fd);
        return fail(w, from, line, pattern, "%s is %lld bytes, at most %u bytes per file", name,
                    (long long)st->st_size, CONF_FILE_MAX);
    }
    int read_errno = slurp(fd, (size_t)st->st_size, text, len);
    close(fd);
    if (read_errno == EFBIG)
        return fail(w, from, line, pattern, "%s grew past %u bytes while it was read", name,
                    CONF_FILE_MAX);
    if (read_errno)
        return fail(w, from, line, pattern, "%s: cannot read: %s", name,
                    read_errno == EAGAIN ? "reading would block (not a regular file)"
                                         : strerror(read_errno));
    return true;
}

static bool warn(walk_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool warn(walk_t *w, const char *fmt, ...)
{
    conf_files_t *f = w->f;
    char **grown = realloc(f->warnings, (f->n_warnings + 1) * sizeof(*grown));
    char *msg = NULL;
    va_list args;

    if (!grown)
        return fail(w, NULL, 0, NULL, "out of memory");
    f->warnings = grown;
    va_start(args, fmt);
    if (vasprintf(&msg, fmt, args) < 0)
        msg = NULL;
    va_end(args);
    if (!msg)
        return fail(w, NULL, 0, NULL, "out of memory");
    f->warnings[f->n_warnings++] = msg;
    return true;
}

/* a file holding secrets: only root (or tunneld's user) may read, change or replace it */
static bool check_secret_mode(walk_t *w, const frame_t *fr, const struct stat *st)
{
    char *err = NULL, *warning = NULL;
    bool ok = conf_perm_check(fr->name, st, fr->secret_line, &err, &warning);

    if (!ok)
        fail(w, fr->from, fr->line, fr->pattern, "%s", err ? err : "out of memory");
    else if (warning)
        ok = warn(w, "%s", warning);
    free(err);
    free(warning);
    return ok;
}

static bool record_location(walk_t *w, conf_top_t top, const char *name, unsigned line)
{
    conf_files_t *f = w->f;
    location_t *loc;

    if (f->n_locs == f->cap_locs) {
        size_t cap = f->cap_locs ? f->cap_locs * 2 : 64;
        location_t *grown = realloc(f->locs, cap * sizeof(*grown));
        if (!grown)
            return fail(w, NULL, 0, NULL, "out of memory");
        f->locs = grown;
        f->cap_locs = cap;
    }
    loc = &f->locs[f->n_locs];
    *loc = (location_t){.top = top, .order = f->n_locs, .name = strdup(name)};
    if (!loc->name || asprintf(&loc->where, "%s:%u", w->top->name, line) < 0) {
        free(loc->name);
        return fail(w, NULL, 0, NULL, "out of memory");
    }
    f->n_locs++;
    return true;
}

/* a template reference: checked like a name in each of its parts, then recorded */
static bool on_reference(void *ctx, const char *ref, unsigned line)
{
    walk_t *w = ctx;
    conf_files_t *f = w->f;
    size_t parts = 1;
    conf_text_t why;
    char *copy = strdup(ref), *save = NULL, *part;
    bool ok = true;

    if (!copy)
        return fail(w, NULL, 0, NULL, "out of memory");
    for (const char *c = ref; *c; c++)
        parts += *c == '.';
    for (part = strtok_r(copy, ".", &save); ok && part; part = strtok_r(NULL, ".", &save))
        if (!conf_name_ok(part, CONF_NAME_MAX, &why))
            ok = fail(w, w->top->from, w->top->line, w->top->pattern,
                      "%s:%u: template reference %s: the name %s %s", w->top->name, line,
                      CONF_Q(ref), CONF_Q(part), why.s);
    free(copy);
    if (ok && parts > CONF_REF_PARTS)
        ok = fail(w, w->top->from, w->top->line, w->top->pattern,
                  "%s:%u: template reference %s: at most %d parts", w->top->name, line, CONF_Q(ref),
                  CONF_REF_PARTS);
    if (!ok)
        return false;
    if (f->n_refs == f->cap_refs) {
        size_t cap = f->cap_refs ? f->cap_refs * 2 : 16;
        location_t *grown = realloc(f->refs, cap * sizeof(*grown));
        if (!grown)
            return fail(w, NULL, 0, NULL, "out of memory");
        f->refs = grown;
        f->cap_refs = cap;
    }
    location_t *r = &f->refs[f->n_refs];
    *r = (location_t){.order = f->n_refs, .name = strdup(ref)};
    if (!r->name || asprintf(&r->where, "%s:%u", w->top->name, line) < 0) {
        free(r->name);
        return fail(w, NULL, 0, NULL, "out of memory");
    }
    f->n_refs++;
    return true;
}

static bool on_section(void *ctx, conf_top_t top, const char *name, unsigned line)
{
    return record_location(ctx, top, name, line);
}

static void on_secret(void *ctx, unsigned line)
{
    walk_t *w = ctx;

    if (!w->top->secret_line)
        w->top->secret_line = line;
}

/* an include statement of the file being scanned: resolved as the parser does */
static bool on_include(void *ctx, const char *pattern, unsigned line, conf_scan_state_t *st)
{
    walk_t *w = ctx;
    const char *from = w->top->name;
    char *resolved = NULL, *dir;
    bool ok;

    if (!pattern[0])
        return fail(w, from, line, pattern, "no file pattern after 'include'");
    if (++w->includes > CONF_INCLUDES_MAX)
        return fail(w, from, line, pattern, "more than %d include statements in one load",
                    CONF_INCLUDES_MAX);
    if (path_absolute((char *)pattern)) {
        resolved = strdup(pattern);
    } else {
        dir = path_dirname(from);
        if (!dir || asprintf(&resolved, "%s/%s", dir, pattern) < 0)
            resolved = NULL;
        free(dir);
    }
    if (!resolved)
        return fail(w, from, line, pattern, "out of memory");
    if (strlen(resolved) >= PATH_MAX) {
        free(resolved);
        return fail(w, from, line, pattern, "the path is longer than %d bytes", PATH_MAX - 1);
    }
    ok = check_pattern(w, resolved, pattern, from, line, st);
    free(resolved);
    return ok;
}

static void on_too_long(void *ctx, const char *what, unsigned line)
{
    walk_t *w = ctx;

    fail(w, w->top->from, w->top->line, w->top->pattern,
         "%s:%u: %s longer than %d bytes (libstrongswan's lexer would take minutes over it)",
         w->top->name, line, what, CONF_LINE_MAX);
}

static const conf_scan_ops_t scan_ops = {
    .include = on_include,
    .section = on_section,
    .secret = on_secret,
    .reference = on_reference,
    .too_long = on_too_long,
};

/*
 * no control byte but tab, CR and LF: the parser cuts a name or value at a
 * NUL (and other control bytes have no use there), so text behind one would
 * differ between what tunneld checks and what libstrongswan loads
 */
static bool text_ok(walk_t *w, const char *name, const char *from, unsigned line,
                    const char *pattern, const char *text, size_t len)
{
    const char *bol = text;
    unsigned at = 1;

    for (const char *c = text; c < text + len; c++) {
        unsigned char b = (unsigned char)*c;
        if (b == '\n') {
            at++;
            bol = c + 1;
        } else if ((b < 0x20 && b != '\t' && b != '\r') || b == 0x7f) {
            return fail(w, from, line, pattern,
                        "%s:%u: control byte 0x%02x at column %zu: a configuration file may hold "
                        "tab, CR and LF but no other control byte (libstrongswan's parser cuts "
                        "a name or value at a NUL)",
                        name, at, b, (size_t)(c - bol) + 1);
        }
    }
    return true;
}

/* checks one file and (through the scan) what it includes */
static bool check_file(walk_t *w, const char *name, const char *from, unsigned line,
                       const char *pattern, conf_scan_state_t *st)
{
    struct stat sb;
    char *text = NULL;
    size_t len = 0;
    bool ok;

    if (w->depth > CONF_INCLUDE_DEPTH)
        return fail(w, from, line, pattern, "includes nest deeper than %d files",
                    CONF_INCLUDE_DEPTH);
    if (++w->files > CONF_FILES_MAX)
        return fail(w, from, line, pattern, "more than %d files in one load", CONF_FILES_MAX);
    if (!read_file(w, name, from, line, pattern, &sb, &text, &len))
        return false;
    for (frame_t *up = w->top; up; up = up->up)
        if (up->dev == sb.st_dev && up->ino == sb.st_ino) {
            memwipe(text, len);
            free(text);
            return fail(w, from, line, pattern, "include loop: %s is already being read", name);
        }
    w->total += len;
    if (w->total > CONF_TOTAL_MAX)
        ok = fail(w, from, line, pattern, "%s: the files of one load exceed %u bytes", name,
                  CONF_TOTAL_MAX);
    else
        ok = text_ok(w, name, from, line, pattern, text, len);
    if (!ok) {
        memwipe(text, len); /* it may hold secrets */
        free(text);
        return false;
    }
    frame_t fr = {.name = name,
                  .from = from,
                  .pattern = pattern,
                  .line = line,
                  .dev = sb.st_dev,
                  .ino = sb.st_ino,
                  .up = w->top};
    w->top = &fr;
    w->depth++;
    ok = conf_scan(text, len, st, &scan_ops, w);
    w->depth--;
    w->top = fr.up;
    memwipe(text, len); /* it may hold secrets */
    free(text);
    if (!ok)
        return *w->err ? false : fail(w, NULL, 0, NULL, "%s: out of memory scanning it", name);
    return !fr.secret_line || check_secret_mode(w, &fr, &sb);
}

/* the first directory glob(3) could not read (GLOB_ERR stops there, as in the parser) */
static __thread struct {
    int err;
    char *path;
} glob_failure;

static int glob_error(const char *path, int err)
{
    if (!glob_failure.err) {
        glob_failure.err = err;
        glob_failure.path = strdup(path);
    }
    return 1;
}

/* pattern: resolved as the parser globs it; written: as in the file (NULL for the top file) */
static bool check_pattern(walk_t *w, const char *pattern, const char *written, const char *from,
                          unsigned line, conf_scan_state_t *st)
{
    glob_t g;
    int rc;
    bool ok = true;

    glob_failure.err = 0;
    rc = glob(pattern, GLOB_ERR, glob_error, &g);
    if (rc == GLOB_NOMATCH && !strpbrk(pattern, "*?[")) {
        /* a pattern may match nothing (an empty conf.d); a plain path must exist */
        ok = fail(w, from, line, written, "%s: cannot read: %s", pattern, strerror(ENOENT));
    } else if (rc != 0 && rc != GLOB_NOMATCH) {
        /* e.g. a directory of the pattern that does not exist: a typo, not an empty match */
        ok = fail(w, from, line, written, "%s: cannot expand the pattern: %s%s%s", pattern,
                  rc == GLOB_NOSPACE  ? "out of memory"
                  : glob_failure.path ? glob_failure.path
                                      : "a directory",
                  rc == GLOB_NOSPACE ? "" : ": ",
                  rc == GLOB_NOSPACE ? "" : strerror(glob_failure.err));
    }
    /* what glob found before it stopped is what the parser reads */
    for (size_t i = 0; ok && i < g.gl_pathc; i++)
        ok = check_file(w, g.gl_pathv[i], from, line, written, st);
    globfree(&g);
    free(glob_failure.path);
    glob_failure.path = NULL;
    return ok;
}

static int loc_cmp(const void *a, const void *b)
{
    const location_t *x = a, *y = b;
    int c = (int)x->top - (int)y->top;

    if (!c)
        c = strcmp(x->name, y->name);
    if (!c)
        c = x->order < y->order ? -1 : x->order > y->order;
    return c;
}

conf_files_t *conf_files_check(const char *path, char **err)
{
    conf_files_t *f = calloc(1, sizeof(*f));
    conf_scan_state_t st = {0};
    walk_t w = {.f = f, .err = err};

    *err = NULL;
    if (!f) {
        conf_err(err, "%s: out of memory", path);
        return NULL;
    }
    bool ok = check_pattern(&w, path, NULL, NULL, 0, &st);
    conf_scan_state_clear(&st);
    if (!ok) {
        conf_files_free(f);
        return NULL;
    }
    if (f->n_locs)
        qsort(f->locs, f->n_locs, sizeof(*f->locs), loc_cmp);
    return f;
}

bool conf_files_precheck(const char *path, const char *prog)
{
    char *err = NULL;
    conf_files_t *f = conf_files_check(path, &err);

    if (!f)
        fprintf(stderr, "%s: %s\n", prog, err ? err : "out of memory");
    free(err);
    conf_files_free(f);
    return f != NULL;
}

void conf_files_free(conf_files_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_locs; i++) {
        free(f->locs[i].name);
        free(f->locs[i].where);
    }
    for (size_t i = 0; i < f->n_refs; i++) {
        free(f->refs[i].name);
        free(f->refs[i].where);
    }
    for (size_t i = 0; i < f->n_warnings; i++)
        free(f->warnings[i]);
    free(f->refs);
    free(f->locs);
    free(f->warnings);
    free(f);
}

const char *conf_files_ref(const conf_files_t *f, size_t idx, const char **where)
{
    if (!f || idx >= f->n_refs)
        return NULL;
    *where = f->refs[idx].where;
    return f->refs[idx].name;
}

const char *conf_files_warning(const conf_files_t *f, size_t idx)
{
    return f && idx < f->n_warnings ? f->warnings[idx] : NULL;
}

const char *conf_files_where(const conf_files_t *f, conf_top_t top, const char *name)
{
    size_t lo = 0, hi = f ? f->n_locs : 0;
    location_t key = {.top = top, .name = (char *)name, .order = 0};

    /* the first location not before (top, name, 0) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (loc_cmp(&f->locs[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (f && lo < f->n_locs && f->locs[lo].top == top && strcmp(f->locs[lo].name, name) == 0)
        return f->locs[lo].where;
    return NULL;
}
