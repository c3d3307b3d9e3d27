/* fuzz_yaml.c - libFuzzer harness for the YAML reader and the checks of
 * a fast_llm checkpoint's metadata.yaml.
 *
 * The input is a metadata.yaml: ck_yaml_load (PyYAML safe_load rules,
 * depth cap), then, through ck_ckpt_check_metadata, every check
 * ck_ckpt_open makes before opening weight files (top-level keys,
 * version, format, shards, state_index names, which are looked up in an
 * empty directory: nothing is read or written).  A document that loads
 * is also dumped back with ck_yaml_dump and the dump must load again to
 * an equal value. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_ckpt.h"
#include "ck_yaml.h"

static char dir[64];

static void remove_dir(void) { rmdir(dir); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  snprintf(dir, sizeof dir, "/tmp/ckconv-fuzz-yaml-XXXXXX");
  if (!mkdtemp(dir)) abort();
  atexit(remove_dir);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ck_error err;
  json_t *v = ck_yaml_load((const char *)data, size, "fuzz.yaml", &err);
  if (v) {
    char *text = ck_yaml_dump(v, &err);
    if (!text) __builtin_trap();
    json_t *back = ck_yaml_load(text, strlen(text), "dump", &err);
    /* safe_dump then safe_load gives the value back (reals are written
     * with repr's shortest round-trip digits) */
    if (!back || !json_equal(v, back)) __builtin_trap();
    json_decref(back);
    free(text);
    json_decref(v);
  }
  (void)ck_ckpt_check_metadata(dir, (const char *)data, size, &err);
  return 0;
}
