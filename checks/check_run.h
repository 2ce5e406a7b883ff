/*
 * check_run: what check_tls.c's OpenSSL callbacks may reach of a running
 * check (the rest of struct crun is check_run.c's own).
 *
 * Threading: the checks thread only.
 */
#ifndef TUNNELD_CHECK_RUN_H
#define TUNNELD_CHECK_RUN_H

#include <stdbool.h>

#include "check_facts.h"

struct crun;

struct check_facts *crun_facts(struct crun *run);
const char *crun_host(const struct crun *run);
bool crun_diag(const struct crun *run); /* the diagnostic handshake (allows everything) */

#endif
