/* cmds.h - the subcommands of ckconv, one function each, and their
 * option tables; ckconv.c lists them in cli_commands. */
#ifndef CMDS_H
#define CMDS_H

#include "cli.h"

int cmd_formats(const cli_cmd *cmd, int argc, char **argv);
int cmd_config_export(const cli_cmd *cmd, int argc, char **argv);
int cmd_config_import(const cli_cmd *cmd, int argc, char **argv);
int cmd_weights(const cli_cmd *cmd, int argc, char **argv);
int cmd_params(const cli_cmd *cmd, int argc, char **argv);
int cmd_convert(const cli_cmd *cmd, int argc, char **argv);
int cmd_plan(const cli_cmd *cmd, int argc, char **argv);
int cmd_inspect(const cli_cmd *cmd, int argc, char **argv);
int cmd_verify(const cli_cmd *cmd, int argc, char **argv);

extern const cli_opt cli_no_opts[];
extern const cli_opt cli_export_opts[], cli_import_opts[], cli_weights_opts[];
extern const cli_opt cli_convert_opts[], cli_plan_opts[];
extern const cli_opt cli_inspect_opts[], cli_verify_opts[];

#endif
