/*
 * conf_perm: who besides root (and tunneld's own user) may read or change a
 * file that holds secrets, or replace it. Refused, each with the file or
 * directory, the mode bits or ACL entry, and the command that fixes it:
 *  - a file owned by another user, readable, writable or executable by
 *    others (mode 0007), writable by its group;
 *  - a POSIX ACL entry (system.posix_acl_access, read with getxattr and
 *    parsed in its documented binary layout) that gives a named user other
 *    than root or tunneld's user, or a named group, any access to the file
 *    (after the ACL mask), or its owning group write access;
 *  - a directory the path goes through (each directory a name of the path
 *    is looked up in, symlinks followed as the kernel does, the working
 *    directory's ancestors for a relative path) that is owned by another
 *    user, or that its group, others or an ACL entry may write to without
 *    the sticky bit: whoever may write there may replace the file.
 * A file its owning group may read is accepted with a warning (the group
 * bits of the mode, or the ACL's group entry when there is an ACL: then the
 * mode's group bits are the ACL mask, not the group's access).
 *
 * Threading: any thread; reads file system metadata only (stat, getxattr,
 * readlink, getcwd), never blocks on file contents.
 */
#ifndef TUNNELD_CONF_PERM_H
#define TUNNELD_CONF_PERM_H

#include <stdbool.h>
#include <sys/stat.h>

/*
 * Checks path (st: its fstat; line: where the first secret is). False with
 * *err (malloc'd) when refused; *warning (malloc'd, or NULL) for a file its
 * group may read.
 */
bool conf_perm_check(const char *path, const struct stat *st, unsigned line, char **err,
                     char **warning);

#endif
