/* fuzz_safetensors.c - libFuzzer harness for the safetensors reader.
 *
 * The input is a whole safetensors file: ck_st_parse_buffer runs the
 * header-length checks, the JSON parse and every validation ck_st_open
 * runs on a file.  On success every accessor is exercised and every
 * tensor's bytes are read, so an offset the validator let through that
 * points outside the buffer is caught by ASan.  Built by `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ck_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ck_error err;
  ck_st_file *f = ck_st_parse_buffer(data, size, "fuzz.safetensors", &err);
  if (!f) {
    /* a rejection must always come with a message */
    if (!err.stage[0] || !err.msg[0]) __builtin_trap();
    return 0;
  }
  uint64_t sum = 0;
  size_t n = ck_st_count(f);
  for (size_t i = 0; i < n; i++) {
    const ck_st_tensor *t = ck_st_tensor_at(f, i);
    if (ck_st_find(f, t->name) != t) __builtin_trap();
    if (t->end > ck_st_data_len(f) || t->end - t->begin != t->nbytes)
      __builtin_trap();
    const unsigned char *p = t->data;
    for (uint64_t b = 0; b < t->nbytes; b++) sum += p[b];
    for (int d = 0; d < t->ndim; d++) sum += t->shape[d];
  }
  if (8 + ck_st_header_len(f) + ck_st_data_len(f) != size) __builtin_trap();
  for (size_t i = 0; i < ck_st_meta_count(f); i++) {
    const char *k, *v;
    ck_st_meta_at(f, i, &k, &v);
    sum += strlen(k) + strlen(v);
    if (!ck_st_meta_get(f, k)) __builtin_trap();
  }
  ck_st_close(f);
  return sum == 0x5eed ? 0 : 0;
}
