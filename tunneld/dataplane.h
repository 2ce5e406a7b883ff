/*
 * dataplane: which IPsec data plane tunneld drives, and the XFRM interfaces
 * of the kernel one.
 *
 *  - libipsec: strongSwan's user-space ESP (kernel-libipsec plugin), a TUN
 *    device ipsec0, ESP in UDP only. For kernels without ESP (this project's
 *    test machines) and small gateways.
 *  - xfrm: the kernel's ESP with route-based XFRM interfaces (if_id). What a
 *    production gateway should use (docs/dataplane.md).
 *
 * The XFRM interfaces are created with libnl (RTM_NEWLINK, kind "xfrm"); the
 * kernel's own error message (netlink extended ACK) is read so that a
 * failure says what the kernel said, and a missing CONFIG_XFRM_INTERFACE is
 * named only when the kernel answers that it does not know the link kind.
 *
 * Threading: main thread only (before charon starts, and at SIGHUP for
 * interfaces added to the configuration). No state between calls.
 */
#ifndef TUNNELD_DATAPLANE_H
#define TUNNELD_DATAPLANE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { DATAPLANE_XFRM = 0, DATAPLANE_LIBIPSEC } dataplane_kind_t;

typedef struct {
    char name[IFNAMSIZ]; /* interface name, e.g. xfrm-azure (validated: xfrm_conf.h) */
    uint32_t if_id;      /* matches the children's if_id_in/if_id_out */
    char dev[IFNAMSIZ];  /* optional underlying device, "" if none */
    unsigned mss;        /* TCP MSS clamp through it (preflight_mss.h), 0: none */
} xfrm_if_t;

/* "xfrm" or "libipsec"; false if neither */
bool dataplane_parse(const char *text, dataplane_kind_t *kind);
const char *dataplane_name(dataplane_kind_t kind);
/* the plugin list tunneld loads when tunneld.load is not set */
const char *dataplane_default_plugins(dataplane_kind_t kind);

/*
 * Read-only checks of what dataplane_xfrm_setup would refuse: a link of the
 * same name that is not an XFRM interface with that if_id, a missing
 * underlying device. err names the key (tunneld.xfrm.interfaces.NAME...).
 */
bool dataplane_xfrm_check(const xfrm_if_t *ifs, size_t n, char *err, size_t errlen);

/*
 * Creates (or adopts, if one with the same name and if_id exists) each
 * interface and sets it up. made[i] (n flags, may be NULL) tells which ones
 * this call created. On failure err names the key, the interface and the
 * kernel's error, and the interfaces created by this call are removed again
 * (nothing half made).
 */
bool dataplane_xfrm_setup(const xfrm_if_t *ifs, size_t n, bool *made, char *err, size_t errlen);

/* removes the interfaces flagged in made (undoes a setup) */
void dataplane_xfrm_remove(const xfrm_if_t *ifs, size_t n, const bool *made);

#endif
