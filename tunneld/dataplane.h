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
 * The XFRM interfaces are created with libnl (RTM_NEWLINK, kind "xfrm").
 * Main thread only, before charon starts.
 */
#ifndef TUNNELD_DATAPLANE_H
#define TUNNELD_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { DATAPLANE_XFRM = 0, DATAPLANE_LIBIPSEC } dataplane_kind_t;

typedef struct {
    char name[16];  /* interface name, e.g. xfrm-azure */
    uint32_t if_id; /* matches the children's if_id_in/if_id_out */
    char dev[16];   /* optional underlying device */
} xfrm_if_t;

/* "xfrm" or "libipsec"; false if neither */
bool dataplane_parse(const char *text, dataplane_kind_t *kind);
const char *dataplane_name(dataplane_kind_t kind);
/* the plugin list tunneld loads when tunneld.load is not set */
const char *dataplane_default_plugins(dataplane_kind_t kind);

/*
 * Creates (or adopts, if one with the same name and if_id exists) each
 * interface and sets it up. On failure err names the interface and, where
 * the kernel lacks the feature, which one (CONFIG_XFRM_INTERFACE).
 * Interfaces created before a failure are removed again (nothing half made).
 */
bool dataplane_xfrm_setup(const xfrm_if_t *ifs, size_t n, char *err, size_t errlen);

#endif
