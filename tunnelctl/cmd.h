/*
 * cmd: what tunnelctl.c shares with the commands kept in their own files
 * (cmd_paths.c): the chosen renderer and the checked request.
 *
 * Threading: single-threaded (tunnelctl).
 */
#ifndef TUNNELCTL_CMD_H
#define TUNNELCTL_CMD_H

#include "ctl_client.h"
#include "output.h"

/* the renderer chosen by -j */
extern const struct output *ctl_out;

/* the reply to cmd, or -1 after printing why (tunneld's own errors too) */
int request(const char *cmd, ctl_reply_t *reply);
/* prints that the reply to cmd does not match schema (err freed); returns 1 */
int schema_error(const char *cmd, const char *schema, char *err);

/* the commands */
int cmd_paths(void);
int cmd_preflight(void);

#endif
