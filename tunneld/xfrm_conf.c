/* xfrm_conf: see xfrm_conf.h. */
#include "xfrm_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <library.h>

#include "preflight_mss.h"
#include "quote.h"
#include "routes.h"

#define KEY       "tunneld.xfrm"
#define IF_ID_MAX 4294967293u /* 0xfffffffe/0xffffffff: strongSwan's %unique-dir/%unique */

/* one interface-name rule for XFRM interfaces and path devices (routes.h) */
static bool valid_ifname(const char *s)
{
    return routes_ifname_valid(s);
}

static bool parse_if_id(const char *text, uint32_t *out)
{
    unsigned long long v;
    char *end;

    if (!text || !isdigit((unsigned char)text[0]) || strlen(text) > 10)
        return false;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || *end || v < 1 || v > IF_ID_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* `mss`: 0 (no clamp) or PF_MSS_MIN..PF_MSS_MAX; absent: PF_MSS_DEFAULT */
static bool parse_mss(const char *text, unsigned *out)
{
    unsigned long v;
    char *end;

    if (!text) {
        *out = PF_MSS_DEFAULT;
        return true;
    }
    if (!isdigit((unsigned char)text[0]) || strlen(text) > 5)
        return false;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno || *end || (v && (v < PF_MSS_MIN || v > PF_MSS_MAX)))
        return false;
    *out = (unsigned)v;
    return true;
}

/* only if_id, dev and mss in an interface's section; nothing but interfaces in xfrm */
static bool known_keys(const char *name, char *err, size_t errlen)
{
    enumerator_t *e =
        lib->settings->create_key_value_enumerator(lib->settings, KEY ".interfaces.%s", name);
    char *key, *value;
    bool ok = true;

    while (ok && e->enumerate(e, &key, &value)) {
        if (strcmp(key, "if_id") && strcmp(key, "dev") && strcmp(key, "mss")) {
            snprintf(err, errlen, "%s.interfaces.%s.%s: unknown key (expected if_id, dev, mss)",
                     KEY, name, key);
            ok = false;
        }
    }
    e->destroy(e);
    if (!ok)
        return false;
    e = lib->settings->create_section_enumerator(lib->settings, KEY ".interfaces.%s", name);
    if (e->enumerate(e, &key)) {
        snprintf(err, errlen, "%s.interfaces.%s.%s: unexpected section (expected if_id, dev, mss)",
                 KEY, name, key);
        ok = false;
    }
    e->destroy(e);
    return ok;
}

static bool read_one(const char *name, xfrm_if_t *x, char *err, size_t errlen)
{
    const char *id, *dev;
    quoted_t q;

    memset(x, 0, sizeof(*x));
    if (!valid_ifname(name)) {
        snprintf(err, errlen, "%s.interfaces: '%s' is not a usable interface name (%s)", KEY,
                 quote(name, &q), ROUTES_IFNAME_RULE);
        return false;
    }
    memcpy(x->name, name, strlen(name) + 1);
    if (!known_keys(name, err, errlen))
        return false;
    id = lib->settings->get_str(lib->settings, KEY ".interfaces.%s.if_id", NULL, name);
    if (!parse_if_id(id, &x->if_id)) {
        snprintf(err, errlen,
                 "%s.interfaces.%s.if_id: expected a decimal number from 1 to %u, got '%s'", KEY,
                 name, IF_ID_MAX, quote(id, &q));
        return false;
    }
    dev = lib->settings->get_str(lib->settings, KEY ".interfaces.%s.dev", NULL, name);
    if (dev && !valid_ifname(dev)) {
        snprintf(err, errlen, "%s.interfaces.%s.dev: '%s' is not a usable interface name (%s)", KEY,
                 name, quote(dev, &q), ROUTES_IFNAME_RULE);
        return false;
    }
    if (dev)
        memcpy(x->dev, dev, strlen(dev) + 1);
    const char *mss = lib->settings->get_str(lib->settings, KEY ".interfaces.%s.mss", NULL, name);
    if (!parse_mss(mss, &x->mss)) {
        snprintf(err, errlen,
                 "%s.interfaces.%s.mss: expected 0 (no clamp) or a decimal number from %u to %u, "
                 "got '%s'",
                 KEY, name, PF_MSS_MIN, PF_MSS_MAX, quote(mss, &q));
        return false;
    }
    if (x->mss && !pf_mss_name_ok(name)) {
        snprintf(err, errlen,
                 "%s.interfaces.%s.mss: the MSS clamp's rule cannot match this name exactly "
                 "(it has '\"', '\\' or '*'): rename the interface or set mss = 0",
                 KEY, quote(name, &q));
        return false;
    }
    return true;
}

/* no two interfaces with one if_id: the kernel refuses the second */
static bool unique_ids(const xfrm_if_t *ifs, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (ifs[i].if_id == ifs[j].if_id) {
                snprintf(err, errlen, "%s.interfaces.%s.if_id: %u is already the if_id of %s", KEY,
                         ifs[i].name, ifs[i].if_id, ifs[j].name);
                return false;
            }
    return true;
}

static bool only_interfaces(char *err, size_t errlen)
{
    enumerator_t *e = lib->settings->create_key_value_enumerator(lib->settings, KEY);
    char *key, *value;
    bool ok = true;

    if (e->enumerate(e, &key, &value)) {
        snprintf(err, errlen, "%s.%s: unknown key (expected a section 'interfaces')", KEY, key);
        ok = false;
    }
    e->destroy(e);
    e = lib->settings->create_key_value_enumerator(lib->settings, KEY ".interfaces");
    if (ok && e->enumerate(e, &key, &value)) {
        snprintf(err, errlen, "%s.interfaces.%s: expected a section per interface, got a key", KEY,
                 key);
        ok = false;
    }
    e->destroy(e);
    e = lib->settings->create_section_enumerator(lib->settings, KEY);
    while (ok && e->enumerate(e, &key)) {
        if (strcmp(key, "interfaces")) {
            snprintf(err, errlen, "%s.%s: unknown section (expected 'interfaces')", KEY, key);
            ok = false;
        }
    }
    e->destroy(e);
    return ok;
}

bool xfrm_conf_read(xfrm_if_t **ifs, size_t *n, char *err, size_t errlen)
{
    enumerator_t *e;
    xfrm_if_t *all = NULL;
    size_t count = 0;
    char *name;
    bool ok = only_interfaces(err, errlen);

    e = lib->settings->create_section_enumerator(lib->settings, KEY ".interfaces");
    while (ok && e->enumerate(e, &name)) {
        xfrm_if_t *grown = realloc(all, (count + 1) * sizeof(*all));
        if (!grown) {
            snprintf(err, errlen, "%s.interfaces: out of memory", KEY);
            ok = false;
            break;
        }
        all = grown;
        ok = read_one(name, &all[count], err, errlen);
        count += ok;
    }
    e->destroy(e);
    if (ok)
        ok = unique_ids(all, count, err, errlen);
    if (!ok) {
        free(all);
        return false;
    }
    *ifs = all;
    *n = count;
    return true;
}

const xfrm_if_t *xfrm_conf_find(const xfrm_if_t *ifs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ifs[i].name, name) == 0)
            return &ifs[i];
    return NULL;
}
