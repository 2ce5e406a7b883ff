/*
 * xfrm_conf: reads and validates tunneld.xfrm.interfaces (the XFRM interfaces
 * of the kernel data plane) from the daemon settings, strictly: interface and
 * device names as the kernel takes them (1 to 15 bytes, no '/', ':', '%',
 * blanks or control bytes), if_id a decimal number from 1 to 4294967293 (the
 * two values above mean %unique-dir and %unique to strongSwan), if_ids
 * unique, no unknown keys. Nothing here looks at the system (see dataplane.h).
 *
 * Threading: main thread (start, tunneld -n, SIGHUP); reads lib->settings.
 */
#ifndef TUNNELD_XFRM_CONF_H
#define TUNNELD_XFRM_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "dataplane.h"

/* *ifs is a new array of *n interfaces (free() it; NULL when none) */
bool xfrm_conf_read(xfrm_if_t **ifs, size_t *n, char *err, size_t errlen);

/* the interface of that name, or NULL */
const xfrm_if_t *xfrm_conf_find(const xfrm_if_t *ifs, size_t n, const char *name);

#endif
