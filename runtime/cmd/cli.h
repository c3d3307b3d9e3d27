/* cli.h - what the ckconv subcommands share: the command table entry,
 * option parsing (getopt_long over one option table per command), the
 * one way errors leave the command (ck_error -> stderr line, and the
 * --json report), JSON printing and reading a config document.
 *
 * Ownership: nothing here allocates for the caller except cli_load_doc
 * (a new json reference) and cli_report_new (a new json object).
 */
#ifndef CLI_H
#define CLI_H

#include <jansson.h>

#include "ck_config.h"
#include "ck_error.h"

/* The compiled specs every command runs on. */
extern const ck_spec *const cli_spec;

/* One option of a command: --NAME, also -KEY when KEY is a letter (long
 * only options use keys from CLI_LONG up).  `arg` names the value in the
 * help ("FORMAT"), NULL for a flag. */
typedef struct cli_opt {
  const char *name;
  int key;
  const char *arg;
  const char *help;
} cli_opt;
#define CLI_LONG 256

typedef struct cli_cmd {
  const char *name;     /* "convert", "config export" */
  const char *synopsis; /* what follows "ckconv NAME" in the usage; lines
                           after the first are already indented */
  const char *summary;  /* one sentence for `ckconv NAME --help` */
  const cli_opt *opts;  /* ends with {NULL} */
  int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
} cli_cmd;

/* The commands, in usage order (ckconv.c). */
extern const cli_cmd cli_commands[];

/* The command being run, and whether it reports in JSON (--json). */
extern const cli_cmd *cli_current;
extern int cli_json;

/* Parse argv (the arguments after the command's name) with cmd's option
 * table.  Each option is handed to on_opt(ctx, key, value, err), which
 * returns -1 with a usage error for a bad value.  Positional arguments
 * are collected in pos (at most max_pos; more is a usage error).
 * Returns 0 when parsed, 1 when --help was asked (the help is printed),
 * -1 with a usage error in err. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv,
              int (*on_opt)(void *ctx, int key, const char *value,
                            ck_error *err),
              void *ctx, const char **pos, int max_pos, int *n_pos,
              ck_error *err);

/* A usage error (stage usage) in err; returns -1. */
int cli_usage(ck_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The only way a failure leaves the command: under --json the error
 * report on stdout; on stderr `ckconv: error[STAGE]: MESSAGE`, or for a
 * usage error `ckconv: MESSAGE` and where the help is.  Returns the exit
 * status: 2 for a usage error, else 1. */
int cli_fail(const ck_error *err);

/* The stderr line of an error whose report (if any) the command prints
 * itself, with more in it (plan, inspect, verify); returns 1. */
int cli_print_error(const ck_error *err);

/* The full usage (`ckconv --help`) on f. */
void cli_print_usage(FILE *f);

/* A new report object {schema, command, ok}. */
json_t *cli_report_new(int ok);
/* Print v as json.dumps(v, indent=2, sort_keys=True) does; 0 or 1. */
int cli_print_json(json_t *v);

/* The HF format named `name` (exact, else the one that matches ignoring
 * case), or NULL with a usage error naming the known formats (and
 * `fast_llm` when allow_fast_llm: it is then returned as NULL with
 * *is_fast_llm set). */
const ck_format *cli_format(const char *name, int allow_fast_llm,
                            int *is_fast_llm, ck_error *err);
/* v4 / v5 for format f, or -1 with a usage error. */
int cli_layout(const ck_format *f, const char *name, ck_error *err);
/* A positive integer option value in [lo, hi], or -1 with a usage error. */
long long cli_int(const char *opt, const char *value, long long lo,
                  long long hi, ck_error *err);
/* A size for --OPT (5GB, 500MB, 2GiB, 1000000): bytes, or -1 with a usage
 * error. */
long long cli_size(const char *opt, const char *value, ck_error *err);

/* --ignore-hf-key KEY, given up to CLI_MAX_IGNORE times: the keys an HF
 * config may hold unclaimed (ck_hf_read.ignore_keys). */
#define CLI_MAX_IGNORE 64
typedef struct cli_ignore {
  const char *keys[CLI_MAX_IGNORE];
  int n;
} cli_ignore;
#define CLI_IGNORE_OPT                                                      \
  "ignore-hf-key", CLI_OPT_IGNORE, "KEY",                                   \
      "accept an unknown HF key (and its subtree); repeatable"
/* The key of --ignore-hf-key in every option table: long only, above the
 * command-specific keys (which count up from CLI_LONG). */
#define CLI_OPT_IGNORE (2 * CLI_LONG)
/* Add one --ignore-hf-key value, or -1 with a usage error. */
int cli_add_ignore(cli_ignore *ig, const char *key, ck_error *err);

/* --revision REV in every option table of a command that reads a
 * checkpoint (convert, plan, inspect, verify): long only, next to
 * --ignore-hf-key's key. */
#define CLI_OPT_REVISION (2 * CLI_LONG + 1)
#define CLI_REVISION_OPT                                                    \
  "revision", CLI_OPT_REVISION, "REV",                                      \
      "branch, tag or commit of a Hugging Face repo id input (default main)"

/* One checkpoint argument: a folder, or a Hugging Face repo id (ORG/NAME
 * that is not an existing path) resolved offline in the hub cache
 * (ck_hub.h).  `dir` is what is read: arg itself, or the snapshot. */
typedef struct cli_input {
  const char *arg;   /* as given (borrowed) */
  const char *dir;   /* the folder to read */
  char *snapshot;    /* owned: the resolved snapshot folder, or NULL */
  char *commit;      /* owned: its commit, or NULL */
  const char *revision; /* the --revision asked, or NULL (main) */
} cli_input;

/* Resolve the n arguments in[i].arg (revision: --revision, or NULL).
 * --revision applies to every repo id and is an error (stage checkpoint)
 * when no argument is one.  The resolved inputs are recorded for the
 * report ("hub" in cli_report_new).  0, or -1 with err set. */
int cli_resolve_inputs(cli_input *in, int n, const char *revision,
                       ck_error *err);
void cli_inputs_free(cli_input *in, int n);

/* Read a JSON or YAML mapping from path ("-" = stdin); failures of the
 * document itself are reported under `stage`.  New reference. */
json_t *cli_load_doc(const char *path, ck_stage stage, ck_error *err);

#endif
