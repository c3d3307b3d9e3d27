/* fuzz_torchbin.c - libFuzzer harness for the pytorch_model.bin reader.
 *
 * The input is a whole .bin file: ck_tb_parse_buffer runs our reading of
 * the zip directory and local headers, libzip's validation, the
 * restricted unpickler and every tensor check ck_tb_open runs on a file.
 * On success every tensor's bytes are read, so a view the checks let
 * through that points outside the buffer is caught by ASan; a rejection
 * must come with a message.  Built by `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ck_torchbin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ck_error err;
  ck_st_file *f = ck_tb_parse_buffer(data, size, "fuzz.bin", &err);
  if (!f) {
    if (!err.stage[0] || !err.msg[0]) __builtin_trap();
    return 0;
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < ck_st_count(f); i++) {
    const ck_st_tensor *t = ck_st_tensor_at(f, i);
    if (ck_st_find(f, t->name) != t) __builtin_trap();
    if (t->file_offset + t->nbytes > size) __builtin_trap();
    const unsigned char *p = t->data;
    if (p != data + t->file_offset) __builtin_trap();
    for (uint64_t b = 0; b < t->nbytes; b++) sum += p[b];
    sum += strlen(t->name);
  }
  ck_st_close(f);
  return sum == 0x5eed ? 0 : 0;
}
