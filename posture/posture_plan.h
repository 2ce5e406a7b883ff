/*
 * posture_plan: a checked posture_config in the form the rules need: the
 * table's name and, per family, the Azure prefixes and the sensor subnets
 * normalised as nftables stores an interval set.
 *
 * Threading: pure; a plan belongs to its caller.
 */
#ifndef TUNNELD_POSTURE_PLAN_H
#define TUNNELD_POSTURE_PLAN_H

#include "posture.h"
#include "posture_prefix.h"

#define POSTURE_TABLE_MAX 63

enum { PP_V4, PP_V6, PP_NFAM };

struct posture_plan {
    char table[POSTURE_TABLE_MAX + 1];
    struct pp_prefix *azure[PP_NFAM], *sensors[PP_NFAM];
    size_t n_azure[PP_NFAM], n_sensors[PP_NFAM];
};

/* the set names and payload protocols of a family ("azure4", "ip", ...) */
const char *posture_set_name(int fam, bool sensors);
const char *posture_proto(int fam);

/* a name nft reads as a table: 1..63 bytes of [A-Za-z0-9_-], not starting
 * with a digit or '-' */
bool posture_table_valid(const char *name, char *err, size_t errlen);
/* checks cfg (posture_check_config's rules) and fills p; false with err */
bool posture_plan_build(const struct posture_config *cfg, struct posture_plan *p, char *err,
                        size_t errlen);
void posture_plan_free(struct posture_plan *p);
/* the family has both an Azure prefix and a sensor subnet: it gets rules */
bool posture_plan_active(const struct posture_plan *p, int fam);

/* in for an error message: printable ASCII as is, other bytes, '\\' and
 * '\'' as \xNN, at most 64 input bytes then "...(N bytes)"; out of 300 */
#define POSTURE_QUOTE_MAX 300
const char *posture_quote(const char *in, char *out, size_t outlen);

#endif
