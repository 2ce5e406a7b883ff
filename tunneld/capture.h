/*
 * capture: collects the configuration errors (DBG_CFG, level 1) that
 * libstrongswan's settings parser logs while the calling thread parses a
 * file, so that tunneld can report "file:line: message" as the reason of a
 * failed load. While charon runs, a logger on its bus filtered to the calling
 * thread; before (tunneld -n), the global dbg hook, which is safe there
 * because only one thread exists.
 */
#ifndef TUNNELD_CAPTURE_H
#define TUNNELD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct capture capture_t;

capture_t *capture_begin(void);
/* stops capturing; copies the first captured message (or "") into buf */
void capture_end(capture_t *c, char *buf, size_t len);

#endif
