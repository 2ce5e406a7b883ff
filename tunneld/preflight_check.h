/*
 * preflight_check: the gateway preflight's checks over what the kernel says
 * (docs/preflight.md), without libstrongswan: forwarding for the address
 * families of the sites' prefixes, reverse-path filtering on the paths'
 * devices and the XFRM interfaces, and the MSS clamp's table read back.
 * Each problem names the sysctl or the rule that fixes it. Nothing here
 * changes the system: the sysctls are read through a reader (the real one
 * reads /proc/sys of the caller's network namespace; tests give their own).
 *
 * Threading: pure functions over the given input and report; any thread.
 */
#ifndef TUNNELD_PREFLIGHT_CHECK_H
#define TUNNELD_PREFLIGHT_CHECK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define PF_ROLE_MAX 160 /* "path <63> of site <63>" fits */

/* a device whose rp_filter matters: a path's dev or an XFRM interface */
struct pf_dev {
    char name[IFNAMSIZ];
    char role[PF_ROLE_MAX]; /* "path er of site azure", "XFRM interface" */
};

/* an XFRM interface with an MSS clamp (mss > 0) */
struct pf_mss {
    char name[IFNAMSIZ];
    unsigned mss;
};

struct pf_input {
    bool v4, v6; /* some site has an IPv4 / IPv6 prefix */
    struct pf_dev *devs;
    size_t n_devs;
    struct pf_mss *mss;
    size_t n_mss;
    const char *mss_table; /* "tunneld_mss" */
};

/* one finding; a note (problem false) is shown but not counted */
struct pf_item {
    char *check;   /* "forwarding", "rp_filter", "mss" */
    char *subject; /* the sysctl, device or table */
    char *text;    /* what is wrong and what it breaks */
    char *fix;     /* the sysctl or rule that fixes it; NULL for a note */
    bool problem;
};

struct pf_report {
    struct pf_item *items;
    size_t n_items;
    size_t n_problems;
    bool oom; /* an item could not be recorded (said in the document) */
};

/*
 * reads the sysctl at path (relative to /proc/sys, e.g.
 * "net/ipv4/conf/er0/rp_filter") into *val: 0, or a negative errno
 * (-ENOENT: no such sysctl)
 */
typedef int (*pf_read_fn)(void *ctx, const char *path, long *val);
int pf_read_proc(void *ctx, const char *path, long *val);

/* max(all, dev): the kernel's effective rp_filter of an interface */
long pf_rp_effective(long all, long dev);

/* the sysctl(8) name of a per-interface IPv4 key: a '.' in dev becomes '/' */
void pf_conf_name(const char *dev, const char *key, char *out, size_t outlen);

/* adds the device if no device of that name is there yet; false: out of memory */
bool pf_input_add_dev(struct pf_input *in, const char *name, const char *role);
void pf_input_free(struct pf_input *in);

/* the forwarding and rp_filter checks, appended to r */
void pf_check_sysctls(const struct pf_input *in, pf_read_fn rd, void *ctx, struct pf_report *r);

/*
 * the MSS clamp: listed is the table as libnftables lists it now (NULL:
 * absent, with why), installed the listing taken right after tunneld
 * installed it (NULL: never installed, with install_err)
 */
void pf_check_mss(const struct pf_input *in, const char *listed, const char *list_err,
                  const char *installed, const char *install_err, struct pf_report *r);

/* appends an item (fix NULL: a note) */
void pf_report_add(struct pf_report *r, const char *check, const char *subject, const char *fix,
                   bool problem, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void pf_report_free(struct pf_report *r);

/* the control document "preflight" (docs/schema/preflight.schema.json) */
json_object *pf_report_json(const struct pf_input *in, const struct pf_report *r);

#endif
