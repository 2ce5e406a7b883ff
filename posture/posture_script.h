/*
 * posture_script: the nftables commands of one posture transaction, as
 * text for nft_run_cmd_from_buffer.
 *
 * Threading: pure; the text belongs to the caller (free()).
 */
#ifndef TUNNELD_POSTURE_SCRIPT_H
#define TUNNELD_POSTURE_SCRIPT_H

#include "posture_plan.h"

/* "table inet T; delete table inet T; table inet T { sets; chain forward }":
 * replaces the table whole in one transaction; NULL when out of memory */
char *posture_script_apply(const struct posture_plan *p);
/* "table inet T; delete table inet T": removes it, present or not */
char *posture_script_remove(const char *table);

#endif
