/* ckconv.c - the `ckconv` command: the table of subcommands and main.
 *
 * The top of the pipeline (spec -> dsl -> compiler -> generated tables ->
 * runtime -> this command).  Each subcommand lives in its own cmd_*.c
 * with its option table; cli.c parses options (getopt_long), prints JSON
 * the way Python's json.dumps(sort_keys=True, indent=2) does, and is the
 * one way an error leaves the command (exit 1, or 2 for a usage error).
 */
#include <stdio.h>
#include <string.h>

#include "ck_version.h"
#include "cmds.h"

const cli_opt cli_no_opts[] = {{NULL, 0, NULL, NULL}};

/* ORDER: the usage lists the commands in this order (and the bash
 * completion and the man page test read that usage). */
const cli_cmd cli_commands[] = {
    {"formats", "", "List the formats ckconv converts, with their "
     "model_type, architecture and transformers layouts.", cli_no_opts,
     cmd_formats},
    {"config export", "-f FORMAT [--layout v4|v5] [FILE|-]",
     "Print the HF config.json of a Fast-LLM base-model config (JSON or "
     "YAML; a metadata.yaml or its base_model section).",
     cli_export_opts, cmd_config_export},
    {"config import", "-f FORMAT [--layout v4|v5] [--raw]\n"
     "                       [--ignore-hf-key KEY]... [--print-completed]\n"
     "                       [FILE|-]",
     "Print the Fast-LLM base-model config of an HF config.json, read "
     "through the format's transformers class unless --raw.",
     cli_import_opts, cmd_config_import},
    {"weights", "-f FORMAT [FILE|-]",
     "Print the weight converters of a Fast-LLM base-model config, in "
     "order.", cli_weights_opts, cmd_weights},
    {"params", "-f FORMAT [FILE|-]",
     "Print the model's tensors and their shapes for a Fast-LLM "
     "base-model config.", cli_weights_opts, cmd_params},
    {"convert", "IN OUT [--from FORMAT|auto] [--to FORMAT] [--layout v4|v5]\n"
     "                 [--dtype fp32|fp16|bf16] [--parameters-per-file N]\n"
     "                 [--max-shard-size SIZE]\n"
     "                 [--ignore-hf-key KEY]... [--revision REV] [--jobs N]\n"
     "                 [--resume | --part K/N | --finish]\n"
     "                 [--force] [--quiet] [--json]",
     "Convert the checkpoint folder (or cached Hugging Face repo id) IN "
     "into a new folder OUT (HF <-> fast_llm); OUT appears complete or not "
     "at all.",
     cli_convert_opts, cmd_convert},
    {"plan", "IN [--from FORMAT|auto] [--to FORMAT] [--layout v4|v5]\n"
     "              [--dtype fp32|fp16|bf16] [--parameters-per-file N]\n"
     "              [--max-shard-size SIZE]\n"
     "              [--ignore-hf-key KEY]... [--revision REV] [--jobs N]\n"
     "              [--part K/N | --parts N] [--json]",
     "Show what convert would write, from the headers only, with every "
     "problem of the input.", cli_plan_opts, cmd_plan},
    {"inspect", "PATH [-f FORMAT] [--ignore-hf-key KEY]... [--revision REV]\n"
     "                 [--json]",
     "Describe a checkpoint folder and check its tensors against its "
     "config.", cli_inspect_opts, cmd_inspect},
    {"verify", "A B [-f FORMAT] [--revision REV] [--jobs N] [--json]",
     "Compare the tensors of two checkpoints (fast_llm against HF through "
     "the weight plan, or two of one layout).", cli_verify_opts, cmd_verify},
    {NULL, NULL, NULL, NULL, NULL}};

/* The command named by argv[1] (and argv[2] for `config`), or NULL;
 * *used is how many words its name took. */
static const cli_cmd *find_command(int argc, char **argv, int *used) {
  for (const cli_cmd *c = cli_commands; c->name; c++) {
    const char *sp = strchr(c->name, ' ');
    if (!sp) {
      if (strcmp(argv[1], c->name) == 0) return *used = 1, c;
    } else if (argc > 2 &&
               strncmp(argv[1], c->name, (size_t)(sp - c->name)) == 0 &&
               argv[1][sp - c->name] == '\0' && strcmp(argv[2], sp + 1) == 0) {
      return *used = 2, c;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    cli_print_usage(stderr);
    return 2;
  }
  const char *word = argv[1];
  if (strcmp(word, "--version") == 0 || strcmp(word, "version") == 0) {
    printf("ckconv %s\n", CKCONV_VERSION);
    return 0;
  }
  if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0 ||
      strcmp(word, "help") == 0) {
    cli_print_usage(stdout);
    return 0;
  }
  int used = 0;
  const cli_cmd *cmd = find_command(argc, argv, &used);
  ck_error err;
  ck_error_clear(&err);
  if (!cmd) {
    if (strcmp(word, "config") == 0)
      cli_usage(&err, "config needs export or import");
    else
      cli_usage(&err, "unknown command '%s'", word);
    return cli_fail(&err);
  }
  cli_current = cmd;
  /* --json is known before the options are parsed, so that a usage error
   * is reported in JSON too */
  for (const cli_opt *o = cmd->opts; o->name; o++)
    if (strcmp(o->name, "json") == 0)
      for (int i = 1 + used; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0) cli_json = 1;
  /* the command sees its own name as argv[0], as getopt expects */
  return cmd->run(cmd, argc - used, argv + used);
}
