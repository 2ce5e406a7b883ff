/*
 * capture: collects the configuration errors (DBG_CFG, level 1) that
 * libstrongswan's settings parser logs while the calling thread parses a
 * file, so that tunneld can report "file:line: message" as the reason of a
 * failed load. While charon runs, a logger on its bus filtered to the calling
 * thread; before (tunneld -n), the global dbg hook, which is safe there
 * because only one thread exists.
 *
 * Threading: begin and end on the same thread; the bus logger only copies
 * the first message of that thread (never blocks).
 */
#ifndef TUNNELD_CAPTURE_H
#define TUNNELD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct capture capture_t;

capture_t *capture_begin(void);
/* stops capturing; returns the first captured message (malloc'd, whole) or NULL */
char *capture_end(capture_t *c);

#endif
