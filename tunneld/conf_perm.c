/*
 * conf_perm: see conf_perm.h. The ACL layout is the kernel's uapi
 * (linux/posix_acl_xattr.h): a little-endian 32-bit version (2), then
 * entries of a 16-bit tag, 16-bit permissions and a 32-bit id.
 */
#define _GNU_SOURCE /* asprintf */
#include "conf_perm.h"

#include <endian.h>
#include <errno.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

/* symlinks followed on one path at most (the kernel's own limit) */
#define LINKS_MAX 40

typedef struct {
    unsigned tag, perm, id;
} acl_entry_t;

typedef struct {
    acl_entry_t *e;
    size_t n;     /* 0: no ACL, the mode says it all */
    unsigned eff; /* the mask applied to named entries and the owning group (7 without one) */
} acl_t;

/* the context of one check: the file, its secret's line, the outcome */
typedef struct {
    const char *file;
    unsigned line;
    char **err;
} perm_t;

static bool refuse(perm_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool refuse(perm_t *p, const char *fmt, ...)
{
    char *what = NULL;
    va_list args;

    va_start(args, fmt);
    if (vasprintf(&what, fmt, args) < 0)
        what = NULL;
    va_end(args);
    if (asprintf(p->err, "%s holds secrets (line %u) but %s", p->file, p->line,
                 what ? what : "out of memory") < 0)
        *p->err = NULL;
    free(what);
    return false;
}

/* "rwx" text of permission bits (t: 4 bytes) */
static const char *rwx(unsigned perm, char *t)
{
    t[0] = perm & ACL_READ ? 'r' : '-';
    t[1] = perm & ACL_WRITE ? 'w' : '-';
    t[2] = perm & ACL_EXECUTE ? 'x' : '-';
    t[3] = '\0';
    return t;
}

/* parses the xattr value; false if it is not a valid ACL */
static bool acl_parse(const unsigned char *v, size_t len, acl_t *acl)
{
    struct posix_acl_xattr_header h;
    size_t es = sizeof(struct posix_acl_xattr_entry);

    if (len < sizeof(h) || (len - sizeof(h)) % es)
        return false;
    memcpy(&h, v, sizeof(h));
    if (le32toh(h.a_version) != POSIX_ACL_XATTR_VERSION)
        return false;
    acl->n = (len - sizeof(h)) / es;
    acl->e = calloc(acl->n ? acl->n : 1, sizeof(*acl->e));
    if (!acl->e)
        return false;
    acl->eff = 7;
    for (size_t i = 0; i < acl->n; i++) {
        struct posix_acl_xattr_entry x;
        memcpy(&x, v + sizeof(h) + i * es, es);
        acl->e[i] = (acl_entry_t){le16toh(x.e_tag), le16toh(x.e_perm) & 7, le32toh(x.e_id)};
        if (acl->e[i].tag == ACL_MASK)
            acl->eff = acl->e[i].perm;
    }
    return true;
}

/* path's access ACL (acl->n == 0: none); false with errno when it cannot be read */
static bool acl_read(const char *path, acl_t *acl)
{
    *acl = (acl_t){.eff = 7};
    for (int tries = 0; tries < 4; tries++) {
        ssize_t len = getxattr(path, "system.posix_acl_access", NULL, 0);
        if (len < 0)
            return errno == ENODATA || errno == ENOTSUP;
        unsigned char *v = malloc((size_t)len + 1);
        if (!v)
            return false;
        ssize_t got = getxattr(path, "system.posix_acl_access", v, (size_t)len + 1);
        if (got < 0 && errno == ERANGE) {
            free(v); /* it grew meanwhile */
            continue;
        }
        bool ok = got >= 0 && acl_parse(v, (size_t)got, acl);
        if (got >= 0 && !ok)
            errno = EINVAL;
        free(v);
        return ok || (got < 0 && (errno == ENODATA || errno == ENOTSUP));
    }
    errno = ERANGE;
    return false;
}

static bool trusted_uid(unsigned uid)
{
    return uid == 0 || uid == (unsigned)geteuid();
}

/*
 * the first ACL entry that gives someone besides the owner any of `bits`
 * (after the mask): named users (but root and tunneld's user), named groups,
 * and when group_too the owning group; NULL if none
 */
static const acl_entry_t *acl_grants(const acl_t *acl, unsigned bits, bool group_too)
{
    for (size_t i = 0; i < acl->n; i++) {
        const acl_entry_t *e = &acl->e[i];
        bool who = (e->tag == ACL_USER && !trusted_uid(e->id)) || e->tag == ACL_GROUP ||
                   (e->tag == ACL_GROUP_OBJ && group_too);
        if (who && (e->perm & acl->eff & bits))
            return e;
    }
    return NULL;
}

/* the owning group's access: from the ACL when there is one (the mode shows the mask then) */
static unsigned group_perm(const acl_t *acl, mode_t mode)
{
    for (size_t i = 0; i < acl->n; i++)
        if (acl->e[i].tag == ACL_GROUP_OBJ)
            return acl->e[i].perm & acl->eff;
    return (mode >> 3) & 7;
}

/* "user:65534:r--" / "group:100:rw-" / "group::r--" (t: at least 32 bytes) */
static const char *entry_text(const acl_t *acl, const acl_entry_t *e, char *t, size_t len)
{
    char p[4];

    rwx(e->perm & acl->eff, p);
    if (e->tag == ACL_GROUP_OBJ)
        snprintf(t, len, "group::%s", p);
    else
        snprintf(t, len, "%s:%u:%s", e->tag == ACL_USER ? "user" : "group", e->id, p);
    return t;
}

static bool file_acl_ok(perm_t *p, const acl_t *acl, const struct stat *st)
{
    char t[48];
    const acl_entry_t *e = acl_grants(acl, 7, false);

    if (e)
        return refuse(p, "its ACL entry %s gives %s %u access to it: run setfacl -x %s:%u %s",
                      entry_text(acl, e, t, sizeof(t)), e->tag == ACL_USER ? "user" : "group",
                      e->id, e->tag == ACL_USER ? "user" : "group", e->id, p->file);
    if (!(group_perm(acl, st->st_mode) & ACL_WRITE))
        return true;
    if (acl->n)
        return refuse(p, "its ACL entry group::%s lets group %u change it: run chmod 600 %s",
                      rwx(group_perm(acl, st->st_mode), t), (unsigned)st->st_gid, p->file);
    return refuse(p, "its mode %04o lets group %u change it: run chmod 600 %s",
                  (unsigned)(st->st_mode & 07777), (unsigned)st->st_gid, p->file);
}

/* the file itself: owner, mode, ACL; a warning when its group may read it */
static bool file_ok(perm_t *p, const struct stat *st, char **warning)
{
    unsigned mode = st->st_mode & 07777;
    acl_t acl;
    bool ok;

    if (!trusted_uid(st->st_uid))
        return refuse(p, "is owned by uid %u, not root: run chown root %s", (unsigned)st->st_uid,
                      p->file);
    if (mode & S_IRWXO)
        return refuse(p, "its mode %04o gives other users access to it: run chmod 600 %s", mode,
                      p->file);
    if (!acl_read(p->file, &acl))
        return refuse(p, "its ACL cannot be read (%s): run setfacl -b %s", strerror(errno),
                      p->file);
    ok = file_acl_ok(p, &acl, st);
    unsigned gp = group_perm(&acl, st->st_mode);
    if (ok && gp && !acl.n &&
        asprintf(warning,
                 "%s holds secrets (line %u) and its mode %04o gives group %u access to it: run "
                 "chmod 600 %s unless that group is meant to read them",
                 p->file, p->line, mode, (unsigned)st->st_gid, p->file) < 0)
        *warning = NULL;
    char t[4];
    if (ok && gp && acl.n &&
        asprintf(warning,
                 "%s holds secrets (line %u) and its ACL entry group::%s gives group %u access "
                 "to it: run chmod 600 %s unless that group is meant to read them",
                 p->file, p->line, rwx(gp, t), (unsigned)st->st_gid, p->file) < 0)
        *warning = NULL;
    free(acl.e);
    return ok;
}

/* a directory a name of the path is looked up in: nobody else may change its entries */
static bool dir_ok(perm_t *p, const char *dir)
{
    struct stat st;
    acl_t acl;
    char t[48];

    if (lstat(dir, &st) != 0)
        return refuse(p, "the directory %s cannot be checked: %s", dir, strerror(errno));
    if (!trusted_uid(st.st_uid))
        return refuse(p,
                      "the directory %s is owned by uid %u, who may replace the file: run "
                      "chown root %s",
                      dir, (unsigned)st.st_uid, dir);
    if (st.st_mode & S_ISVTX)
        return true; /* only the owner of an entry (root here) may rename or remove it */
    if (st.st_mode & S_IWOTH)
        return refuse(p,
                      "the directory %s (mode %04o) lets other users replace the file: run "
                      "chmod o-w %s",
                      dir, (unsigned)(st.st_mode & 07777), dir);
    if (!acl_read(dir, &acl))
        return refuse(p, "the ACL of the directory %s cannot be read (%s): run setfacl -b %s", dir,
                      strerror(errno), dir);
    const acl_entry_t *e = acl_grants(&acl, ACL_WRITE, true);
    bool ok = true;
    if (e && e->tag != ACL_GROUP_OBJ)
        ok = refuse(p,
                    "the directory %s has the ACL entry %s, which lets %s %u replace the file: "
                    "run setfacl -x %s:%u %s",
                    dir, entry_text(&acl, e, t, sizeof(t)), e->tag == ACL_USER ? "user" : "group",
                    e->id, e->tag == ACL_USER ? "user" : "group", e->id, dir);
    else if (e || (!acl.n && (st.st_mode & S_IWGRP)))
        ok = refuse(p,
                    "the directory %s (mode %04o) lets group %u replace the file: run chmod "
                    "g-w %s",
                    dir, (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid, dir);
    free(acl.e);
    return ok;
}

/* "a/b" + "c" -> "a/b/c" ("/" + "c" -> "/c"); NULL when out of memory */
static char *join(const char *dir, const char *name, size_t name_len)
{
    char *s = NULL;

    if (asprintf(&s, "%s%s%.*s", dir, strcmp(dir, "/") ? "/" : "", (int)name_len, name) < 0)
        return NULL;
    return s;
}

/* a symlink's target, sized by its lstat; NULL with errno */
static char *link_target(const char *path, const struct stat *st)
{
    size_t size = (size_t)st->st_size + 2;
    char *t = malloc(size);
    ssize_t n = t ? readlink(path, t, size) : -1;

    if (n < 0 || (size_t)n >= size) {
        free(t);
        errno = n < 0 ? errno : ENAMETOOLONG;
        return NULL;
    }
    t[n] = '\0';
    return t;
}

/*
 * walks path as the kernel resolves it, checking every directory a name is
 * looked up in; rest: what is left to resolve (owned), cur: the resolved
 * directory so far (owned)
 */
static bool walk(perm_t *p, char *cur, char *rest)
{
    int links = 0;
    bool ok = true;

    while (ok && *rest) {
        char *s = rest + strspn(rest, "/"), *slash = strchr(s, '/'), *next = NULL;
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        if (!n)
            break;
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            /* nobody can change what ".." names: no directory to check */
            char *up = strrchr(cur, '/');
            up[up == cur ? 1 : 0] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
        } else if (!(n == 1 && s[0] == '.') && (ok = dir_ok(p, cur))) {
            next = join(cur, s, n);
            struct stat st;
            if (!next || lstat(next, &st) != 0) {
                ok = refuse(p, "%s cannot be checked: %s", next ? next : s, strerror(errno));
            } else if (S_ISLNK(st.st_mode)) {
                char *target = link_target(next, &st), *more = NULL;
                if (!target || ++links > LINKS_MAX || asprintf(&more, "%s/%s", target, s + n) < 0) {
                    ok = refuse(p, "the symlink %s cannot be followed: %s", next,
                                target ? strerror(ELOOP) : strerror(errno));
                } else {
                    if (target[0] == '/')
                        strcpy(cur, "/");
                    free(rest);
                    rest = more;
                    free(target);
                    free(next);
                    continue;
                }
                free(target);
            } else {
                free(cur);
                cur = next;
                next = NULL;
            }
        }
        free(next);
        memmove(rest, s + n, strlen(s + n) + 1);
    }
    free(cur);
    free(rest);
    return ok;
}

/* the directories of path, from the root */
static bool dirs_ok(perm_t *p, const char *path)
{
    char *rest = NULL, *cwd = NULL, *root = strdup("/");

    if (path[0] != '/' && !(cwd = getcwd(NULL, 0))) {
        free(root);
        return refuse(p, "the working directory cannot be read: %s", strerror(errno));
    }
    if (!root || asprintf(&rest, "%s/%s", cwd ? cwd : "", path) < 0) {
        free(root);
        free(cwd);
        return refuse(p, "%s", "out of memory checking its directories");
    }
    free(cwd);
    return walk(p, root, rest);
}

bool conf_perm_check(const char *path, const struct stat *st, unsigned line, char **err,
                     char **warning)
{
    perm_t p = {.file = path, .line = line, .err = err};

    *err = NULL;
    *warning = NULL;
    if (!file_ok(&p, st, warning) || !dirs_ok(&p, path)) {
        free(*warning);
        *warning = NULL;
        return false;
    }
    return true;
}
