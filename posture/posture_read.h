/*
 * posture_read: what the kernel holds of the posture's table, from
 * libnftables' JSON listing ("list tables" or "list table inet T").
 *
 * Threading: pure; a posture_seen belongs to its caller.
 */
#ifndef TUNNELD_POSTURE_READ_H
#define TUNNELD_POSTURE_READ_H

#include "posture_plan.h"

#include <stdint.h>

enum pr_kind {
    PR_OTHER,  /* a rule tunneld does not write */
    PR_ACCEPT, /* saddr @azureN daddr @sensorsN ct state established,related accept */
    PR_DROP,   /* saddr @azureN daddr @sensorsN counter drop */
};
struct pr_rule {
    enum pr_kind kind;
    int fam; /* PP_V4 / PP_V6 (PR_ACCEPT, PR_DROP) */
    uint64_t packets, bytes;
};
struct pr_set {
    bool found;
    bool readable;      /* every element in a form we read (address, prefix, range) */
    bool type_ok;       /* ipv4_addr / ipv6_addr as the name says */
    struct pp_range *r; /* merged */
    size_t n;
};
struct posture_seen {
    bool table;
    bool chain;                          /* "forward" */
    char chain_type[16], chain_hook[16]; /* "" when absent (a regular chain) */
    struct pr_set sets[PP_NFAM][2];      /* [fam][sensors] */
    struct pr_rule *rules;               /* chain forward's, in order */
    size_t n_rules;
    char chain_policy[16]; /* chain forward's policy ("accept"), "" when absent */
    size_t n_extra;        /* objects of the table tunneld does not write */
    char extra[96];        /* the first of them: "<kind> <name>" */
};

/* fills s from json (libnftables' output) for table inet <table>; false
 * with err when json is not such a document or memory runs out */
bool posture_seen_parse(const char *json, const char *table, struct posture_seen *s, char *err,
                        size_t errlen);
void posture_seen_free(struct posture_seen *s);

#endif
