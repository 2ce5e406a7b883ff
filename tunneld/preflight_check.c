/* preflight_check: see preflight_check.h. */
#define _GNU_SOURCE /* vasprintf */
#include "preflight_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERSIST "/etc/sysctl.d/60-tunneld.conf"

int pf_read_proc(void *ctx, const char *path, long *val)
{
    char file[512], buf[64], *end;
    FILE *f;

    (void)ctx;
    if ((size_t)snprintf(file, sizeof(file), "/proc/sys/%s", path) >= sizeof(file))
        return -ENAMETOOLONG;
    f = fopen(file, "re");
    if (!f)
        return -errno;
    if (!fgets(buf, sizeof(buf), f)) {
        int e = ferror(f) ? EIO : ENODATA;
        fclose(f);
        return -e;
    }
    fclose(f);
    errno = 0;
    *val = strtol(buf, &end, 10);
    if (errno || end == buf || (*end && *end != '\n'))
        return -EINVAL;
    return 0;
}

long pf_rp_effective(long all, long dev)
{
    return all > dev ? all : dev;
}

/* "net.<family>.conf.<dev>.<key>", a '.' in dev written '/' */
static void conf_name(const char *family, const char *dev, const char *key, char *out,
                      size_t outlen)
{
    size_t n = 0;
    int w = snprintf(out, outlen, "net.%s.conf.", family);

    n = w > 0 ? (size_t)w : 0;
    for (const char *p = dev; *p && n + 1 < outlen; p++)
        out[n++] = *p == '.' ? '/' : *p;
    if (n < outlen)
        out[n] = '\0';
    snprintf(out + n, outlen > n ? outlen - n : 0, ".%s", key);
}

void pf_conf_name(const char *dev, const char *key, char *out, size_t outlen)
{
    conf_name("ipv4", dev, key, out, outlen);
}

bool pf_input_add_dev(struct pf_input *in, const char *name, const char *role)
{
    for (size_t i = 0; i < in->n_devs; i++)
        if (strcmp(in->devs[i].name, name) == 0)
            return true;
    struct pf_dev *grown = realloc(in->devs, (in->n_devs + 1) * sizeof(*grown));
    if (!grown)
        return false;
    in->devs = grown;
    snprintf(grown[in->n_devs].name, sizeof(grown->name), "%s", name);
    snprintf(grown[in->n_devs].role, sizeof(grown->role), "%s", role);
    in->n_devs++;
    return true;
}

void pf_input_free(struct pf_input *in)
{
    free(in->devs);
    free(in->mss);
    memset(in, 0, sizeof(*in));
}

void pf_report_add(struct pf_report *r, const char *check, const char *subject, const char *fix,
                   bool problem, const char *fmt, ...)
{
    struct pf_item it = {.problem = problem};
    va_list ap;

    va_start(ap, fmt);
    int ok = vasprintf(&it.text, fmt, ap);
    va_end(ap);
    it.check = strdup(check);
    it.subject = strdup(subject);
    it.fix = fix ? strdup(fix) : NULL;
    struct pf_item *grown = realloc(r->items, (r->n_items + 1) * sizeof(*grown));
    if (ok < 0 || !it.check || !it.subject || (fix && !it.fix) || !grown) {
        if (ok >= 0)
            free(it.text);
        free(it.check);
        free(it.subject);
        free(it.fix);
        if (grown)
            r->items = grown;
        r->oom = true;
        if (problem)
            r->n_problems++; /* counted even when it cannot be shown */
        return;
    }
    r->items = grown;
    r->items[r->n_items++] = it;
    r->n_problems += problem;
}

void pf_report_free(struct pf_report *r)
{
    for (size_t i = 0; i < r->n_items; i++) {
        free(r->items[i].check);
        free(r->items[i].subject);
        free(r->items[i].text);
        free(r->items[i].fix);
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}

/* a sysctl that could not be read: a problem (the check cannot be made) */
/* "sysctl -w NAME=VALUE (to keep it: ...)" */
static void sysctl_fix(const char *name, int value, char *fix, size_t len)
{
    snprintf(fix, len, "sysctl -w %s=%d (to keep it: %s = %d in %s)", name, value, name, value,
             PERSIST);
}

static void unreadable(struct pf_report *r, const char *check, const char *name, int e)
{
    pf_report_add(r, check, name, "make /proc/sys readable to tunneld (it only reads it)", true,
                  "%s cannot be read: %s", name, strerror(-e));
}

#define DEV_NAME_MAX 96 /* "net.ipv6.conf.<dev>.disable_ipv6" with dev < IFNAMSIZ */

/*
 * net/FAMILY/conf/DEV/KEY into *v and its sysctl name (a '.' in DEV written
 * '/') into name: 0; -ENOENT when the device is gone (not reported here: the
 * rp_filter check names it); another error, reported as unreadable under check
 */
static int dev_read(const struct pf_dev *d, const char *family, const char *key, const char *check,
                    pf_read_fn rd, void *ctx, struct pf_report *r, char name[DEV_NAME_MAX], long *v)
{
    char path[DEV_NAME_MAX];
    int e;

    snprintf(path, sizeof(path), "net/%s/conf/%s/%s", family, d->name, key);
    conf_name(family, d->name, key, name, DEV_NAME_MAX);
    e = rd(ctx, path, v);
    if (e && e != -ENOENT)
        unreadable(r, check, name, e);
    return e;
}

/* the family's forwarding sysctl; true when it could be read and is on */
static bool forwarding(pf_read_fn rd, void *ctx, struct pf_report *r, bool v6)
{
    const char *path = v6 ? "net/ipv6/conf/all/forwarding" : "net/ipv4/ip_forward";
    const char *name = v6 ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward";
    char fix[160];
    long v;
    int e = rd(ctx, path, &v);

    if (e == -ENOENT && v6) {
        pf_report_add(r, "forwarding", name, "boot without ipv6.disable=1", true,
                      "IPv6 is disabled in this kernel (no %s): a site's IPv6 prefixes cannot be "
                      "forwarded",
                      name);
        return false;
    }
    if (e) {
        unreadable(r, "forwarding", name, e);
        return false;
    }
    if (v != 0) /* the kernel forwards on any value but 0 */
        return true;
    sysctl_fix(name, 1, fix, sizeof(fix));
    pf_report_add(r, "forwarding", name, fix, true,
                  "%s = %ld: this host does not forward %s packets between the sensors and the "
                  "sites' prefixes",
                  name, v, v6 ? "IPv6" : "IPv4");
    return false;
}

/*
 * IPv4 forwarding of one device: the kernel forwards a packet only when
 * the device it arrived on has forwarding on (net.ipv4.ip_forward sets every
 * device's, but one can be turned off after it); checked with ip_forward on
 */
static void dev_forwarding(const struct pf_dev *d, pf_read_fn rd, void *ctx, struct pf_report *r)
{
    char name[DEV_NAME_MAX], fix[256];
    long v;

    if (dev_read(d, "ipv4", "forwarding", "forwarding", rd, ctx, r, name, &v) != 0 || v != 0)
        return;
    sysctl_fix(name, 1, fix, sizeof(fix));
    pf_report_add(r, "forwarding", d->name, fix, true,
                  "%s (%s): %s = 0 although net.ipv4.ip_forward is on: IPv4 packets arriving "
                  "on %s (the sites' replies) are not forwarded",
                  d->name, d->role, name, d->name);
}

static void rp_filter(const struct pf_dev *d, long all, pf_read_fn rd, void *ctx,
                      struct pf_report *r)
{
    char name[DEV_NAME_MAX], fix[256];
    long v, def;
    int e = dev_read(d, "ipv4", "rp_filter", "rp_filter", rd, ctx, r, name, &v);

    if (e == -ENOENT) {
        if (rd(ctx, "net/ipv4/conf/default/rp_filter", &def) != 0)
            def = -1;
        pf_report_add(r, "rp_filter", d->name, NULL, false,
                      "%s (%s) does not exist: its rp_filter is not checked (a new interface "
                      "takes net.ipv4.conf.default.rp_filter = %ld; effective max(all %ld, it))",
                      d->name, d->role, def, all);
        return;
    }
    if (e || pf_rp_effective(all, v) != 1)
        return;
    sysctl_fix(name, 2, fix, sizeof(fix));
    pf_report_add(r, "rp_filter", d->name, fix, true,
                  "%s (%s): reverse-path filtering is strict (net.ipv4.conf.all.rp_filter = %ld, "
                  "%s = %ld; the kernel uses the larger): replies arriving on %s while the "
                  "routes point another way (a failover to an asymmetric path) are dropped%s",
                  d->name, d->role, all, name, v, d->name,
                  all == 1 ? "; with all = 1 only 2 on the interface loosens it (0 does not)" : "");
}

/*
 * IPv6 on one device: with net.ipv6.conf.DEV.disable_ipv6 = 1 the kernel
 * drops every IPv6 packet it would send or receive there (setting
 * net.ipv6.conf.all.disable_ipv6 sets every device's)
 */
static void dev_ipv6(const struct pf_dev *d, pf_read_fn rd, void *ctx, struct pf_report *r)
{
    char name[DEV_NAME_MAX], fix[256];
    long v;

    if (dev_read(d, "ipv6", "disable_ipv6", "forwarding", rd, ctx, r, name, &v) != 0 || v == 0)
        return;
    sysctl_fix(name, 0, fix, sizeof(fix));
    pf_report_add(r, "forwarding", d->name, fix, true,
                  "%s (%s): %s = %ld: IPv6 is off on %s, the sites' IPv6 prefixes cannot be "
                  "forwarded through it",
                  d->name, d->role, name, v, d->name);
}

void pf_check_sysctls(const struct pf_input *in, pf_read_fn rd, void *ctx, struct pf_report *r)
{
    long all;
    bool fwd4 = false;
    int e;

    if (in->v4)
        fwd4 = forwarding(rd, ctx, r, false);
    if (in->v6) {
        forwarding(rd, ctx, r, true);
        for (size_t i = 0; i < in->n_devs; i++)
            dev_ipv6(&in->devs[i], rd, ctx, r);
    }
    if (!in->n_devs)
        return;
    /* IPv4 only: the kernel has no rp_filter for IPv6 */
    if (!in->v4 && in->v6)
        return;
    e = rd(ctx, "net/ipv4/conf/all/rp_filter", &all);
    if (e)
        unreadable(r, "rp_filter", "net.ipv4.conf.all.rp_filter", e);
    for (size_t i = 0; i < in->n_devs; i++) {
        if (fwd4) /* a device's own forwarding matters only with ip_forward on */
            dev_forwarding(&in->devs[i], rd, ctx, r);
        if (!e)
            rp_filter(&in->devs[i], all, rd, ctx, r);
    }
}

void pf_check_mss(const struct pf_input *in, const char *listed, const char *list_err,
                  const char *installed, const char *install_err, struct pf_report *r)
{
    char subject[64];

    if (!in->n_mss)
        return;
    snprintf(subject, sizeof(subject), "table inet %s", in->mss_table);
    if (!installed) {
        pf_report_add(r, "mss", subject, "see the log line above; then systemctl reload tunneld",
                      true, "the MSS clamp could not be installed: %s",
                      install_err ? install_err : "(no reason)");
        return;
    }
    if (!listed) {
        pf_report_add(r, "mss", subject, "systemctl reload tunneld (SIGHUP) installs it again",
                      true,
                      "%s is missing (%s): TCP SYNs through %s are not clamped to MSS %u, large "
                      "segments are dropped where the tunnel's MTU is smaller",
                      subject, list_err ? list_err : "not listed", in->mss[0].name, in->mss[0].mss);
        return;
    }
    if (strcmp(listed, installed) != 0)
        pf_report_add(r, "mss", subject, "systemctl reload tunneld (SIGHUP) replaces it", true,
                      "%s was changed since tunneld installed it: it should hold, for each "
                      "XFRM interface, 'oifname/iifname \"%s\" tcp flags syn / syn,rst tcp "
                      "option maxseg size > %u tcp option maxseg size set %u'%s",
                      subject, in->mss[0].name, in->mss[0].mss, in->mss[0].mss,
                      in->n_mss > 1 ? " (and the others)" : "");
}

static json_object *str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *checked_json(const struct pf_input *in)
{
    json_object *c = json_object_new_object(), *devs = json_object_new_array();
    json_object *mss = json_object_new_array();

    json_object_object_add(c, "ipv4", json_object_new_boolean(in->v4));
    json_object_object_add(c, "ipv6", json_object_new_boolean(in->v6));
    for (size_t i = 0; i < in->n_devs; i++)
        json_object_array_add(devs, json_object_new_string(in->devs[i].name));
    json_object_object_add(c, "devices", devs);
    for (size_t i = 0; i < in->n_mss; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "dev", json_object_new_string(in->mss[i].name));
        json_object_object_add(m, "mss", json_object_new_int64(in->mss[i].mss));
        json_object_array_add(mss, m);
    }
    json_object_object_add(c, "mss", mss);
    json_object_object_add(c, "mss_table", str_or_null(in->n_mss ? in->mss_table : NULL));
    return c;
}

json_object *pf_report_json(const struct pf_input *in, const struct pf_report *r)
{
    json_object *doc = json_object_new_object(), *items = json_object_new_array();

    if (!doc || !items) {
        json_object_put(doc);
        json_object_put(items);
        return NULL;
    }
    json_object_object_add(doc, "version", json_object_new_int(1));
    json_object_object_add(doc, "problems", json_object_new_int64((int64_t)r->n_problems));
    for (size_t i = 0; i < r->n_items; i++) {
        const struct pf_item *it = &r->items[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "check", json_object_new_string(it->check));
        json_object_object_add(o, "subject", json_object_new_string(it->subject));
        json_object_object_add(o, "problem", json_object_new_boolean(it->problem));
        json_object_object_add(o, "text", json_object_new_string(it->text));
        json_object_object_add(o, "fix", str_or_null(it->fix));
        json_object_array_add(items, o);
    }
    json_object_object_add(doc, "items", items);
    json_object_object_add(doc, "incomplete", json_object_new_boolean(r->oom));
    json_object_object_add(doc, "checked", checked_json(in));
    return doc;
}
