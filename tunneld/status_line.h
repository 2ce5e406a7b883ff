/*
 * status_line: the one line tunneld shows as its service status (systemd's
 * STATUS=, `systemctl status tunneld`), built from the paths document
 * (route_glue_paths: the sites and their active paths) and a copy of the SA
 * table, e.g.
 *
 *   2 sites: azure-westeurope on vpn, aws-east down; SAs 1/2 up
 *
 * "SAs u/n up": n CHILD_SAs in the table (one per configured child of each
 * loaded connection), u of them installed (established or rekeying). A site
 * "on" a path carries its traffic there (several joined by '+': ECMP);
 * "down": no active path. An optional note (a reload's outcome) follows
 * after "; ".
 *
 * Bounded: at most STATUS_LINE_SITES sites are named ("+N more" for the
 * rest), each name or note cut at STATUS_LINE_NAME bytes with "..." (shown,
 * never silent), the whole line at most STATUS_LINE_MAX bytes. A newline
 * or tab becomes a space, any other byte that is not printable ASCII '?':
 * a newline would start another notify field.
 *
 * Threading: pure; any thread.
 */
#ifndef TUNNELD_STATUS_LINE_H
#define TUNNELD_STATUS_LINE_H

#include <stddef.h>

#include <json-c/json.h>

#include "sa_table.h"

#define STATUS_LINE_MAX   400
#define STATUS_LINE_SITES 4
#define STATUS_LINE_NAME  48

/*
 * Writes the line into buf (STATUS_LINE_MAX bytes). paths may be NULL (no
 * route engine: "no sites"); note may be NULL or "". Returns buf.
 */
char *status_line(char buf[STATUS_LINE_MAX], json_object *paths, const sa_ike_rec_t *rows,
                  size_t n_rows, const char *note);

#endif
