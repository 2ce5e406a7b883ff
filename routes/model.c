/*
 * model.c - the desired state: sites, their paths and prefixes, and its
 * validation on its own (duplicates, overlaps between sites, families that
 * no path can carry). Checks that need the kernel (interfaces, connected
 * subnets) live in engine.c.
 *
 * Threading: a routes_state is plain data owned by its caller; these
 * functions may run in any thread, one at a time per state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

struct routes_state *routes_state_new(void)
{
    return calloc(1, sizeof(struct routes_state));
}

void rt_site_clear(struct rt_site *s)
{
    for (size_t i = 0; i < s->n_paths; i++) {
        free(s->paths[i].name);
        free(s->paths[i].dev);
    }
    free(s->pfx);
    free(s->name);
    memset(s, 0, sizeof(*s));
}

void routes_state_free(struct routes_state *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n_sites; i++)
        rt_site_clear(&st->sites[i]);
    free(st->sites);
    free(st->bypass);
    if (st->bypass_set)
        rt_rtable_free(st->bypass_set);
    free(st->bypass_set);
    free(st);
}

size_t routes_state_site_count(const struct routes_state *st)
{
    return st ? st->n_sites : 0;
}

size_t routes_state_bypass_count(const struct routes_state *st)
{
    return st ? st->n_bypass : 0;
}

void routes_state_clear_bypass(struct routes_state *st)
{
    st->n_bypass = 0;
    if (st->bypass_set)
        rt_rtable_clear(st->bypass_set);
}

int routes_state_add_bypass(struct routes_state *st, const char *addr, char *err, size_t errlen)
{
    struct rt_prefix p;
    char why[200], shown[RT_ESCAPED_MAX];

    if (!addr || rt_prefix_parse(addr, &p, why, sizeof(why)) < 0) {
        snprintf(err, errlen,
                 "bypass '%s' is not an IPv4 or IPv6 address or prefix (expected e.g. "
                 "198.51.100.2 or 198.51.100.0/28, no host bits)",
                 rt_name_escape(addr, shown, sizeof(shown)));
        return -EINVAL;
    }
    if (!st->bypass_set && !(st->bypass_set = calloc(1, sizeof(*st->bypass_set)))) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (rt_rtable_get(st->bypass_set, &p))
        return 0; /* a duplicate */
    if (rt_rtable_set(st->bypass_set, &p, 0) < 0) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (st->n_bypass == st->cap_bypass) {
        size_t cap = st->cap_bypass ? st->cap_bypass * 2 : 8;
        struct rt_prefix *n = realloc(st->bypass, cap * sizeof(*n));
        if (!n) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        st->bypass = n;
        st->cap_bypass = cap;
    }
    st->bypass[st->n_bypass++] = p;
    return 0;
}

static bool valid_name(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len >= ROUTES_NAME_MAX)
        return false;
    /* printable ASCII only: names appear in log lines and messages */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] >= 0x7f || name[i] == '"' ||
            name[i] == '\\')
            return false;
    return true;
}

int routes_state_add_site(struct routes_state *st, const char *name, char *err, size_t errlen)
{
    struct rt_site *s;
    if (!valid_name(name)) {
        char shown[RT_ESCAPED_MAX];
        snprintf(err, errlen, "site name '%s' is invalid (expected 1..%d printable characters)",
                 rt_name_escape(name, shown, sizeof(shown)), ROUTES_NAME_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < st->n_sites; i++) {
        if (!strcmp(st->sites[i].name, name)) {
            snprintf(err, errlen, "site '%s' is defined twice (expected unique site names)", name);
            return -1;
        }
    }
    if (st->n_sites == st->cap_sites) {
        size_t cap = st->cap_sites ? st->cap_sites * 2 : 8;
        struct rt_site *n = realloc(st->sites, cap * sizeof(*n));
        if (!n) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        st->sites = n;
        st->cap_sites = cap;
    }
    s = &st->sites[st->n_sites];
    memset(s, 0, sizeof(*s));
    s->name = strdup(name);
    if (!s->name) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return (int)st->n_sites++;
}

static struct rt_site *get_site(struct routes_state *st, int site, char *err, size_t errlen)
{
    if (site < 0 || (size_t)site >= st->n_sites) {
        snprintf(err, errlen, "site index %d does not exist", site);
        return NULL;
    }
    return &st->sites[site];
}

/* What a path spec must be before it is added to site s: 0 or -EINVAL. */
static int check_path_spec(const struct rt_site *s, const struct routes_path_spec *spec, char *err,
                           size_t errlen)
{
    char shown[RT_ESCAPED_MAX];

    if (!valid_name(spec->name)) {
        snprintf(err, errlen, "site '%s': path name '%s' is invalid", s->name,
                 rt_name_escape(spec->name, shown, sizeof(shown)));
        return -EINVAL;
    }
    if (rt_site_find_path(s, spec->name) >= 0) {
        snprintf(err, errlen, "site '%s': path '%s' is defined twice", s->name, spec->name);
        return -EINVAL;
    }
    if (s->n_paths == ROUTES_MAX_PATHS) {
        snprintf(err, errlen, "site '%s': path '%s': too many paths (at most %d)", s->name,
                 spec->name, ROUTES_MAX_PATHS);
        return -EINVAL;
    }
    if (!routes_ifname_valid(spec->dev)) {
        snprintf(err, errlen, "site '%s' path '%s': interface name '%s' is invalid (expected %s)",
                 s->name, spec->name, rt_name_escape(spec->dev, shown, sizeof(shown)),
                 ROUTES_IFNAME_RULE);
        return -EINVAL;
    }
    if (spec->weight > 255) {
        snprintf(err, errlen, "site '%s' path '%s': weight %u is out of range (expected 1..255)",
                 s->name, spec->name, spec->weight);
        return -EINVAL;
    }
    return 0;
}

/* the spec's gateways into p (none: a device path) */
static int parse_gateways(const struct rt_site *s, const struct routes_path_spec *spec,
                          struct rt_path *p, char *err, size_t errlen)
{
    const char *gws[RT_NFAM] = {[RT_FAM_V4] = spec->gateway4, [RT_FAM_V6] = spec->gateway6};

    for (int f = 0; f < RT_NFAM; f++) {
        char shown[RT_ESCAPED_MAX];
        if (!gws[f] || !*gws[f])
            continue;
        if (rt_addr_parse(rt_fam_af(f), gws[f], p->gw[f]) < 0) {
            snprintf(err, errlen, "site '%s' path '%s': gateway '%s' is not an %s address", s->name,
                     spec->name, rt_name_escape(gws[f], shown, sizeof(shown)),
                     f == RT_FAM_V4 ? "IPv4" : "IPv6");
            return -EINVAL;
        }
        p->has_gw[f] = true;
    }
    return 0;
}

int routes_state_add_path(struct routes_state *st, int site, const struct routes_path_spec *spec,
                          char *err, size_t errlen)
{
    struct rt_site *s = get_site(st, site, err, errlen);
    struct rt_path *p;

    if (!s)
        return -EINVAL;
    if (check_path_spec(s, spec, err, errlen) < 0)
        return -EINVAL;
    p = &s->paths[s->n_paths];
    memset(p, 0, sizeof(*p));
    if (parse_gateways(s, spec, p, err, errlen) < 0)
        return -EINVAL;
    p->name = strdup(spec->name);
    p->dev = strdup(spec->dev);
    if (!p->name || !p->dev) {
        free(p->name);
        free(p->dev);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->priority = spec->priority;
    p->weight = spec->weight ? spec->weight : 1;
    s->n_paths++;
    return 0;
}

static int push_prefix(struct rt_site *s, const struct rt_prefix *p, char *err, size_t errlen)
{
    if (s->n_pfx == s->cap_pfx) {
        size_t cap = s->cap_pfx ? s->cap_pfx * 2 : 16;
        struct rt_prefix *n = realloc(s->pfx, cap * sizeof(*n));
        if (!n) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        s->pfx = n;
        s->cap_pfx = cap;
    }
    s->pfx[s->n_pfx++] = *p;
    s->n_fam[rt_fam_index(p->family)]++;
    return 0;
}

int routes_state_add_prefix(struct routes_state *st, int site, const char *cidr, char *err,
                            size_t errlen)
{
    struct rt_site *s = get_site(st, site, err, errlen);
    struct rt_prefix p;
    char why[200];
    if (!s)
        return -EINVAL;
    if (rt_prefix_parse(cidr, &p, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "site '%s': %s", s->name, why);
        return -EINVAL;
    }
    return push_prefix(s, &p, err, errlen);
}

int routes_state_add_prefix_raw(struct routes_state *st, int site, int family, const void *addr,
                                unsigned plen, char *err, size_t errlen)
{
    struct rt_site *s = get_site(st, site, err, errlen);
    struct rt_prefix p;
    char why[200];
    if (!s)
        return -EINVAL;
    if (rt_prefix_make(family, addr, plen, &p, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "site '%s': %s", s->name, why);
        return -EINVAL;
    }
    return push_prefix(s, &p, err, errlen);
}

int routes_state_add_probe(struct routes_state *st, int site, const char *path, const char *target,
                           char *err, size_t errlen)
{
    struct rt_site *s = get_site(st, site, err, errlen);
    char why[200], shown[RT_ESCAPED_MAX], tshown[RT_ESCAPED_MAX];
    struct rt_path *p;
    struct rt_prefix t;
    int idx, f;

    if (!s)
        return -EINVAL;
    idx = path ? rt_site_find_path(s, path) : -1;
    if (idx < 0) {
        snprintf(err, errlen,
                 "site '%s' has no path '%s' (expected a probe target of a path "
                 "added before)",
                 s->name, rt_name_escape(path ? path : "(null)", shown, sizeof(shown)));
        return -EINVAL;
    }
    p = &s->paths[idx];
    if (!target || rt_prefix_parse(target, &t, why, sizeof(why)) < 0) {
        snprintf(err, errlen,
                 "site '%s' path '%s': probe target '%s' is not an IPv4 or IPv6 address or "
                 "prefix (expected e.g. 203.0.113.1)",
                 s->name, p->name,
                 rt_name_escape(target ? target : "(null)", tshown, sizeof(tshown)));
        return -EINVAL;
    }
    rt_prefix_format(&t, tshown, sizeof(tshown));
    f = rt_fam_index(t.family);
    if (!rt_path_carries(p, f)) {
        snprintf(err, errlen,
                 "site '%s' path '%s': probe target %s is %s but the path has no %s (expected "
                 "a target of a family the path carries)",
                 s->name, p->name, tshown, f == RT_FAM_V4 ? "IPv4" : "IPv6",
                 f == RT_FAM_V4 ? "gateway4" : "gateway6");
        return -EINVAL;
    }
    for (size_t i = 0; i < p->n_probe; i++)
        if (rt_prefix_eq(&p->probe[i], &t))
            return 0; /* a duplicate */
    if (p->n_probe >= ROUTES_MAX_PROBE_TARGETS) {
        snprintf(err, errlen,
                 "site '%s' path '%s': probe target %s is one too many (expected at most %d per "
                 "path)",
                 s->name, p->name, tshown, ROUTES_MAX_PROBE_TARGETS);
        return -EINVAL;
    }
    p->probe[p->n_probe++] = t;
    return 0;
}

bool rt_path_carries(const struct rt_path *p, int fam)
{
    return p->has_gw[fam] || (!p->has_gw[RT_FAM_V4] && !p->has_gw[RT_FAM_V6]);
}

int rt_site_find_path(const struct rt_site *s, const char *name)
{
    for (size_t i = 0; i < s->n_paths; i++)
        if (!strcmp(s->paths[i].name, name))
            return (int)i;
    return -1;
}

int rt_site_copy(struct rt_site *dst, const struct rt_site *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->name = strdup(src->name);
    if (!dst->name)
        goto oom;
    for (size_t i = 0; i < src->n_paths; i++) {
        dst->paths[i] = src->paths[i];
        dst->paths[i].name = strdup(src->paths[i].name);
        dst->paths[i].dev = strdup(src->paths[i].dev);
        dst->n_paths = i + 1;
        if (!dst->paths[i].name || !dst->paths[i].dev)
            goto oom;
    }
    if (src->n_pfx) {
        dst->pfx = malloc(src->n_pfx * sizeof(*dst->pfx));
        if (!dst->pfx)
            goto oom;
        memcpy(dst->pfx, src->pfx, src->n_pfx * sizeof(*dst->pfx));
    }
    dst->n_pfx = dst->cap_pfx = src->n_pfx;
    memcpy(dst->n_fam, src->n_fam, sizeof(dst->n_fam));
    return 0;
oom:
    rt_site_clear(dst);
    return -ENOMEM;
}

/* ---- validation ---------------------------------------------------------- */

struct ref {
    struct rt_prefix p;
    uint32_t site;
};

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    int c = rt_prefix_cmp(&x->p, &y->p);
    if (c)
        return c;
    return x->site < y->site ? -1 : x->site > y->site;
}

struct issues {
    struct rt_issue *v;
    size_t n, cap;
    bool *site_reported; /* one overlap report per (site) is enough */
};

static struct rt_issue *issue_new(struct issues *is, size_t site)
{
    if (is->n == is->cap) {
        size_t cap = is->cap ? is->cap * 2 : 8;
        struct rt_issue *n = realloc(is->v, cap * sizeof(*n));
        if (!n)
            return NULL;
        is->v = n;
        is->cap = cap;
    }
    memset(&is->v[is->n], 0, sizeof(is->v[0]));
    is->v[is->n].site = site;
    is->v[is->n].path = -1;
    return &is->v[is->n++];
}

static int report_overlap(struct issues *is, const struct routes_state *st, const struct ref *a,
                          const struct ref *b)
{
    /* b is reported against the later of the two sites */
    const struct ref *keep = a->site < b->site ? a : b;
    const struct ref *bad = a->site < b->site ? b : a;
    char pk[64], pb[64];
    struct rt_issue *i;

    if (is->site_reported[bad->site])
        return 0;
    is->site_reported[bad->site] = true;
    i = issue_new(is, bad->site);
    if (!i)
        return -ENOMEM;
    rt_prefix_format(&bad->p, pb, sizeof(pb));
    rt_prefix_format(&keep->p, pk, sizeof(pk));
    i->prefix = bad->p;
    i->has_prefix = true;
    snprintf(i->message, sizeof(i->message),
             "site '%s' prefix %s overlaps prefix %s of site '%s' (expected disjoint prefixes "
             "per site); site '%s' not applied",
             st->sites[bad->site].name, pb, pk, st->sites[keep->site].name,
             st->sites[bad->site].name);
    return 0;
}

/* site r lists prefix r twice (the one before it in sorted order) */
static int report_duplicate(struct issues *is, const struct routes_state *st, const struct ref *r)
{
    struct rt_issue *i;
    char pb[64];

    if (is->site_reported[r->site])
        return 0;
    is->site_reported[r->site] = true;
    i = issue_new(is, r->site);
    if (!i)
        return -ENOMEM;
    rt_prefix_format(&r->p, pb, sizeof(pb));
    i->prefix = r->p;
    i->has_prefix = true;
    snprintf(i->message, sizeof(i->message),
             "site '%s' lists prefix %s twice (expected each prefix once)", st->sites[r->site].name,
             pb);
    return 0;
}

/* every prefix of every site, sorted by address then length: a prefix's
 * containers precede it (malloc'd; *n of them) */
static struct ref *sorted_refs(const struct routes_state *st, size_t *n)
{
    size_t total = 0;
    struct ref *refs;

    *n = 0;
    for (size_t s = 0; s < st->n_sites; s++)
        total += st->sites[s].n_pfx;
    refs = malloc((total ? total : 1) * sizeof(*refs));
    if (!refs)
        return NULL;
    for (size_t s = 0; s < st->n_sites; s++)
        for (size_t i = 0; i < st->sites[s].n_pfx; i++)
            refs[(*n)++] = (struct ref){.p = st->sites[s].pfx[i], .site = (uint32_t)s};
    qsort(refs, *n, sizeof(*refs), ref_cmp);
    return refs;
}

static int check_overlaps(struct issues *is, const struct routes_state *st)
{
    size_t n, depth = 0;
    struct ref *refs = sorted_refs(st, &n), **stack = malloc((n ? n : 1) * sizeof(*stack));
    int rc = 0;

    if (!refs || !stack) {
        free(refs);
        free(stack);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct ref *r = &refs[i];
        if (i > 0 && rt_prefix_eq(&refs[i - 1].p, &r->p) && refs[i - 1].site == r->site) {
            rc = report_duplicate(is, st, r);
            continue;
        }
        while (depth && !rt_prefix_contains(&stack[depth - 1]->p, &r->p))
            depth--;
        /* every stacked prefix contains r; any of another site overlaps */
        for (size_t k = depth; k-- > 0;) {
            if (stack[k]->site != r->site) {
                rc = report_overlap(is, st, stack[k], r);
                break;
            }
        }
        stack[depth++] = r;
    }
    free(refs);
    free(stack);
    return rc;
}

/* A site prefix that is a bypass address itself: its route and the throw
 * route would be the same kernel route. (A prefix containing one is fine:
 * the longer throw route wins.) */
static int check_bypass(struct issues *is, const struct routes_state *st)
{
    for (size_t s = 0; s < st->n_sites && st->bypass_set; s++) {
        const struct rt_site *site = &st->sites[s];
        for (size_t i = 0; i < site->n_pfx && !is->site_reported[s]; i++) {
            struct rt_issue *x;
            char pb[64];
            if (!rt_rtable_get(st->bypass_set, &site->pfx[i]))
                continue;
            x = issue_new(is, s);
            if (!x)
                return -ENOMEM;
            is->site_reported[s] = true;
            x->prefix = site->pfx[i];
            x->has_prefix = true;
            rt_prefix_format(&site->pfx[i], pb, sizeof(pb));
            snprintf(x->message, sizeof(x->message),
                     "site '%s' prefix %s is the address of a VPN peer (expected prefixes that "
                     "leave the peers' own addresses out); site '%s' not applied",
                     site->name, pb, site->name);
        }
    }
    return 0;
}

/* A family of site s that has prefixes but no path to carry them. */
static int uncarried_family(struct issues *is, const struct rt_site *site, size_t s, int f)
{
    struct rt_issue *i;
    char pb[64];

    is->site_reported[s] = true;
    i = issue_new(is, s);
    if (!i)
        return -ENOMEM;
    for (size_t k = 0; k < site->n_pfx; k++) {
        if (rt_fam_index(site->pfx[k].family) == f) {
            i->prefix = site->pfx[k];
            i->has_prefix = true;
            break;
        }
    }
    rt_prefix_format(&i->prefix, pb, sizeof(pb));
    snprintf(i->message, sizeof(i->message),
             "site '%s' has %s prefixes (e.g. %s) but no path can carry them (expected a path "
             "with gateway%s or a tunnel device without gateway)",
             site->name, f == RT_FAM_V4 ? "IPv4" : "IPv6", pb, f == RT_FAM_V4 ? "4" : "6");
    return 0;
}

/* Sites with prefixes but no path, or a family no path carries. */
static int check_paths(struct issues *is, const struct routes_state *st)
{
    for (size_t s = 0; s < st->n_sites; s++) {
        const struct rt_site *site = &st->sites[s];
        if (site->n_pfx && !site->n_paths) {
            struct rt_issue *i = issue_new(is, s);
            if (!i)
                return -ENOMEM;
            is->site_reported[s] = true;
            snprintf(i->message, sizeof(i->message),
                     "site '%s' has prefixes but no path (expected at least one path)", site->name);
            continue;
        }
        for (int f = 0; f < RT_NFAM; f++) {
            bool carried = false;
            if (!site->n_fam[f])
                continue;
            for (size_t p = 0; p < site->n_paths; p++)
                carried |= rt_path_carries(&site->paths[p], f);
            if (!carried && uncarried_family(is, site, s, f) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

/* More paths with probe targets than there are probe slots: the sites
 * past the limit. */
static int check_probes(struct issues *is, const struct routes_state *st)
{
    size_t probed = 0;
    for (size_t s = 0; s < st->n_sites; s++) {
        const struct rt_site *site = &st->sites[s];
        for (size_t p = 0; p < site->n_paths; p++) {
            struct rt_issue *i;
            if (!site->paths[p].n_probe || ++probed <= ROUTES_MAX_PROBE_PATHS)
                continue;
            if (!(i = issue_new(is, s)))
                return -ENOMEM;
            i->path = (int)p;
            snprintf(i->message, sizeof(i->message),
                     "site '%s' path '%s': more than %d paths with probe targets (expected at "
                     "most %d in all)",
                     site->name, site->paths[p].name, ROUTES_MAX_PROBE_PATHS,
                     ROUTES_MAX_PROBE_PATHS);
        }
    }
    return 0;
}

long rt_state_validate(const struct routes_state *st, struct rt_issue **out)
{
    struct issues is = {0};

    *out = NULL;
    if (st->n_sites) {
        is.site_reported = calloc(st->n_sites, sizeof(bool));
        if (!is.site_reported)
            return -1;
    }
    if (check_paths(&is, st) < 0 || check_bypass(&is, st) < 0 || check_overlaps(&is, st) < 0 ||
        check_probes(&is, st) < 0) {
        free(is.site_reported);
        free(is.v);
        return -1;
    }
    free(is.site_reported);
    *out = is.v;
    return (long)is.n;
}
