/* cli.c - option parsing, the error exit, JSON output and document
 * reading shared by the ckconv subcommands (cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ck_convert.h"
#include "ck_hub.h"
#include "ck_json_out.h"
#include "ck_report.h"
#include "ck_tables.h"
#include "ck_yaml.h"

const ck_spec *const cli_spec = &ck_spec_tables;
const cli_cmd *cli_current;
int cli_json;

/* ------------------------------------------------------------ errors */

int cli_usage(ck_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ck_vfail(err, CK_STAGE_USAGE, fmt, ap);
  va_end(ap);
  return -1;
}

/* The repo-id inputs of this run, for the report (cli_resolve_inputs). */
static json_t *hub_inputs;

json_t *cli_report_new(int ok) {
  json_t *r = json_object();
  json_object_set_new(r, "schema", json_string("ckconv-report/1"));
  json_object_set_new(r, "command",
                      json_string(cli_current ? cli_current->name : ""));
  json_object_set_new(r, "ok", json_boolean(ok));
  if (hub_inputs) json_object_set(r, "hub", hub_inputs);
  return r;
}

int cli_print_json(json_t *v) {
  char *s = ck_json_dumps_py(v, 2, 1);
  if (!s) return 1;
  fputs(s, stdout);
  fputc('\n', stdout);
  free(s);
  return fflush(stdout) == 0 ? 0 : 1;
}

int cli_print_error(const ck_error *err) {
  fprintf(stderr, "ckconv: error[%s]: %s\n", err->stage, err->msg);
  return 1;
}

int cli_fail(const ck_error *err) {
  int usage = err->stage_id == CK_STAGE_USAGE;
  if (cli_json) {
    json_t *r = cli_report_new(0);
    json_object_set_new(r, "error", ck_error_to_json(err));
    cli_print_json(r);
    json_decref(r);
  }
  if (!usage) return cli_print_error(err);
  fprintf(stderr, "ckconv: %s\n", err->msg);
  if (cli_current)
    fprintf(stderr, "Try 'ckconv %s --help' for its options.\n",
            cli_current->name);
  else
    fprintf(stderr, "Try 'ckconv --help' for the commands.\n");
  return 2;
}

/* ------------------------------------------------------------- usage */

void cli_print_usage(FILE *f) {
  fputs("usage:\n", f);
  for (const cli_cmd *c = cli_commands; c->name; c++)
    fprintf(f, "  ckconv %s%s%s\n", c->name, c->synopsis[0] ? " " : "",
            c->synopsis);
  fputs("  ckconv --version\n"
        "Run 'ckconv COMMAND --help' for a command's options; see "
        "docs/cli.md.\n",
        f);
}

static void print_help(const cli_cmd *c) {
  printf("usage:\n  ckconv %s%s%s\n\n%s\n\noptions:\n", c->name,
         c->synopsis[0] ? " " : "", c->synopsis, c->summary);
  for (const cli_opt *o = c->opts; o->name; o++) {
    char head[64];
    if (o->key < CLI_LONG)
      snprintf(head, sizeof head, "-%c, --%s%s%s", o->key, o->name,
               o->arg ? " " : "", o->arg ? o->arg : "");
    else
      snprintf(head, sizeof head, "    --%s%s%s", o->name, o->arg ? " " : "",
               o->arg ? o->arg : "");
    printf("  %-28s %s\n", head, o->help);
  }
  printf("  %-28s %s\n", "-h, --help", "print this help and exit");
}

/* ----------------------------------------------------------- options */

/* Edit distance of a and b (short strings: option and format names). */
static int distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 63 || m > 63) return 99;
  int row[64];
  for (size_t j = 0; j <= m; j++) row[j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= m; j++) {
      int up = row[j];
      int sub = diag + (a[i - 1] != b[j - 1]);
      int best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
      row[j] = sub < best ? sub : best;
      diag = up;
    }
  }
  return row[m];
}

/* The closest of names to what was typed (within 2 edits, case aside),
 * or NULL: the "did you mean" of a message. */
static const char *closest(const char *got, const char *const *names,
                           size_t n) {
  char low[64];
  size_t k = 0;
  for (; got[k] && k < sizeof low - 1; k++)
    low[k] = (char)(got[k] >= 'A' && got[k] <= 'Z' ? got[k] + 32 : got[k]);
  low[k] = '\0';
  int best = 3;
  const char *pick = NULL;
  for (size_t i = 0; i < n; i++) {
    int d = distance(low, names[i]);
    if (d < best) best = d, pick = names[i];
  }
  return pick;
}

static void unknown_option(const cli_cmd *cmd, const char *arg,
                           ck_error *err) {
  const char *names[64];
  size_t n = 0;
  for (const cli_opt *o = cmd->opts; o->name && n < 62; o++)
    names[n++] = o->name;
  names[n++] = "help";
  const char *name = arg;
  while (*name == '-') name++;
  char base[64];
  snprintf(base, sizeof base, "%.*s", (int)strcspn(name, "="), name);
  const char *pick = arg[1] == '-' ? closest(base, names, n) : NULL;
  if (pick)
    cli_usage(err, "unknown option '%s' for ckconv %s; did you mean '--%s'?",
              arg, cmd->name, pick);
  else
    cli_usage(err, "unknown option '%s' for ckconv %s", arg, cmd->name);
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv,
              int (*on_opt)(void *ctx, int key, const char *value,
                            ck_error *err),
              void *ctx, const char **pos, int max_pos, int *n_pos,
              ck_error *err) {
  struct option lo[64];
  char shorts[130] = ":"; /* ':' first: a missing value is told apart */
  size_t n = 0, s = 1;
  for (const cli_opt *o = cmd->opts; o->name && n < 62; o++) {
    lo[n++] = (struct option){o->name, o->arg ? required_argument
                                              : no_argument, NULL, o->key};
    if (o->key < CLI_LONG && s + 2 < sizeof shorts) {
      shorts[s++] = (char)o->key;
      if (o->arg) shorts[s++] = ':';
    }
  }
  lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
  lo[n] = (struct option){NULL, 0, NULL, 0};
  shorts[s++] = 'h';
  shorts[s] = '\0';
  *n_pos = 0;
  optind = 1;
  opterr = 0;
  for (;;) {
    int prev = optind;
    int c = getopt_long(argc, argv, shorts, lo, NULL);
    if (c == -1) break;
    const char *seen = argv[prev < argc ? prev : argc - 1];
    if (c == 'h') {
      print_help(cmd);
      return 1;
    }
    if (c == '?') {
      char shown[8];
      const char *bad = seen;
      if (optopt && optopt < CLI_LONG) {
        snprintf(shown, sizeof shown, "-%c", optopt);
        bad = shown;
      }
      unknown_option(cmd, bad, err);
      return -1;
    }
    if (c == ':') {
      const char *name = "?";
      for (const cli_opt *o = cmd->opts; o->name; o++)
        if (o->key == optopt) name = o->name;
      return cli_usage(err, "--%s needs a value (%s)", name,
                       seen ? seen : "");
    }
    if (!on_opt || on_opt(ctx, c, optarg, err)) {
      if (!on_opt) cli_usage(err, "ckconv %s takes no options", cmd->name);
      return -1;
    }
  }
  for (int i = optind; i < argc; i++) {
    if (*n_pos == max_pos)
      return cli_usage(err, "too many arguments ('%s')", argv[i]);
    pos[(*n_pos)++] = argv[i];
  }
  return 0;
}

/* ----------------------------------------------------------- values */

const ck_format *cli_format(const char *name, int allow_fast_llm,
                            int *is_fast_llm, ck_error *err) {
  if (is_fast_llm) *is_fast_llm = 0;
  if (allow_fast_llm && strcasecmp(name, "fast_llm") == 0) {
    *is_fast_llm = 1;
    return NULL;
  }
  const ck_format *f = ck_format_find(cli_spec, name);
  for (int i = 0; !f && i < cli_spec->n_formats; i++)
    if (strcasecmp(cli_spec->formats[i].name, name) == 0)
      f = &cli_spec->formats[i];
  if (f) return f;
  const char *names[128];
  size_t n = 0;
  char known[1024] = "";
  size_t used = 0;
  if (allow_fast_llm) names[n++] = "fast_llm";
  for (int i = 0; i < cli_spec->n_formats && n < 128; i++)
    names[n++] = cli_spec->formats[i].name;
  for (size_t i = 0; i < n && used < sizeof known; i++)
    used += (size_t)snprintf(known + used, sizeof known - used, "%s%s",
                             i ? " " : "", names[i]);
  const char *pick = closest(name, names, n);
  if (pick)
    cli_usage(err, "unknown format '%s' (did you mean '%s'?); known formats: "
              "%s", name, pick, known);
  else
    cli_usage(err, "unknown format '%s'; known formats: %s", name, known);
  return NULL;
}

int cli_layout(const ck_format *f, const char *name, ck_error *err) {
  if (!name) return (f->layouts & CK_LAYOUT_V4) ? CK_LAYOUT_V4 : CK_LAYOUT_V5;
  int l = strcmp(name, "v4") == 0   ? CK_LAYOUT_V4
          : strcmp(name, "v5") == 0 ? CK_LAYOUT_V5
                                    : 0;
  if (!l) return cli_usage(err, "--layout must be v4 or v5");
  if (f && !(l & f->layouts))
    return cli_usage(err, "format %s does not support layout %s", f->name,
                     name);
  return l;
}

long long cli_int(const char *opt, const char *value, long long lo,
                  long long hi, ck_error *err) {
  char *end;
  errno = 0;
  long long n = strtoll(value, &end, 10);
  if (errno || end == value || *end || n < lo || n > hi)
    return cli_usage(err, "--%s needs an integer from %lld to %lld, not '%s'",
                     opt, lo, hi, value);
  return n;
}

/* Sizes as Hugging Face's max_shard_size reads them: a byte count, or a
 * number with a decimal (KB MB GB TB: powers of 1000) or binary (KiB MiB
 * GiB TiB) unit, in any case. */
long long cli_size(const char *opt, const char *value, ck_error *err) {
  static const struct { const char *unit; double scale; } units[] = {
      {"", 1},         {"b", 1},          {"kb", 1e3},
      {"mb", 1e6},     {"gb", 1e9},       {"tb", 1e12},
      {"kib", 1024.0}, {"mib", 1048576.0}, {"gib", 1073741824.0},
      {"tib", 1099511627776.0}};
  char *end;
  errno = 0;
  double n = strtod(value, &end);
  if (!errno && end != value && n > 0)
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
      if (strcasecmp(end, units[i].unit) == 0 && n * units[i].scale >= 1 &&
          n * units[i].scale < 9.2e18)
        return (long long)(n * units[i].scale);
  return cli_usage(err, "--%s needs a size such as 5GB, 500MB, 2GiB or a "
                   "byte count, not '%s'", opt, value);
}

int cli_add_ignore(cli_ignore *ig, const char *key, ck_error *err) {
  if (!key[0]) return cli_usage(err, "--ignore-hf-key needs a KEY");
  if (ig->n == CLI_MAX_IGNORE)
    return cli_usage(err, "too many --ignore-hf-key options (at most %d)",
                     CLI_MAX_IGNORE);
  ig->keys[ig->n++] = key;
  return 0;
}

/* ----------------------------------------------------------- documents */

/* A whole file ("-" = stdin), NUL-terminated; inputs under 1 GiB. */
static char *read_all(const char *path, size_t *len, ck_error *err) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f)
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path}, "%s: %s",
                      path, strerror(errno)),
           NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
    if (n + 1 >= cap) {
      if (cap >= ((size_t)1 << 30)) {
        free(buf);
        buf = NULL;
        ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                   "%s: larger than 1 GiB, not a config file", path);
        break;
      }
      cap *= 2;
      char *nb = realloc(buf, cap);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  int bad = ferror(f);
  if (f != stdin) fclose(f);
  if (!buf) {
    if (!ck_error_is_set(err))
      ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                 "%s: out of memory", path);
    return NULL;
  }
  if (bad) {
    free(buf);
    return ck_fail_at(err, CK_STAGE_IO, (ck_about){.file = path},
                      "%s: read error", path),
           NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

json_t *cli_load_doc(const char *path, ck_stage stage, ck_error *err) {
  size_t len = 0;
  char *text = read_all(path, &len, err);
  if (!text) return NULL;
  const char *shown = strcmp(path, "-") ? path : "<stdin>";
  json_error_t jerr;
  json_t *v =
      json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
  if (!v) {
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    if (*p == '{' || *p == '[') {
      ck_fail_at(err, stage, (ck_about){.file = shown},
                 "%s:%d:%d: invalid JSON: %s", shown, jerr.line, jerr.column,
                 jerr.text);
    } else {
      v = ck_yaml_load(text, len, shown, err);
      if (!v) {
        ck_error_restage(err, stage);
        ck_error_set_file(err, shown);
      }
    }
  }
  free(text);
  if (v && !json_is_object(v)) {
    ck_fail_at(err, stage, (ck_about){.file = shown},
               "%s: expected a mapping at the top level", shown);
    json_decref(v);
    return NULL;
  }
  return v;
}

/* ------------------------------------------------------------- inputs */

int cli_resolve_inputs(cli_input *in, int n, const char *revision,
                       ck_error *err) {
  int repos = 0;
  for (int i = 0; i < n; i++) {
    in[i].dir = in[i].arg;
    in[i].snapshot = in[i].commit = NULL;
    in[i].revision = revision;
    if (!ck_hub_is_repo_id(in[i].arg)) continue;
    repos++;
    if (ck_hub_resolve(in[i].arg, revision, &in[i].snapshot, &in[i].commit,
                       err))
      return -1;
    in[i].dir = in[i].snapshot;
    json_t *h = json_object();
    json_object_set_new(h, "repo_id", json_string(in[i].arg));
    json_object_set_new(h, "revision", json_string(revision ? revision
                                                            : "main"));
    json_object_set_new(h, "commit", json_string(in[i].commit));
    json_object_set_new(h, "folder", json_string(in[i].snapshot));
    if (!hub_inputs) hub_inputs = json_array();
    json_array_append_new(hub_inputs, h);
  }
  if (revision && !repos)
    return ck_fail(err, CK_STAGE_CHECKPOINT,
                   "--revision %s selects a revision of a Hugging Face repo "
                   "id (ORG/NAME), but %s%s%s is a path, not a repo id (an "
                   "existing path is always a folder); give the repo id or "
                   "drop --revision",
                   revision, in[0].arg, n > 1 ? " and " : "",
                   n > 1 ? in[1].arg : "");
  return 0;
}

void cli_inputs_free(cli_input *in, int n) {
  for (int i = 0; i < n; i++) {
    free(in[i].snapshot);
    free(in[i].commit);
    in[i].snapshot = in[i].commit = NULL;
  }
}
