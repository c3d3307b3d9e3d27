/* ck_carry.h - the files around the weights.
 *
 * A model folder holds more than a checkpoint: tokenizer.json,
 * tokenizer_config.json, special_tokens_map.json, tokenizer.model,
 * generation_config.json, chat templates, the model card, custom code.
 * A conversion carries them, byte for byte, into its output (HF ->
 * fast_llm keeps them beside the Fast-LLM checkpoint, fast_llm -> HF
 * brings them back), so a round trip gives a folder that loads as a model
 * again.  Not carried: the input checkpoint's own files (rewritten),
 * hidden files and folders, names the output checkpoint uses, files over
 * CK_CKPT_FS_SMALL_MAX, and weights of another kind (.bin, .pt, .pth,
 * .ckpt, .h5, .msgpack, .gguf, .onnx, other .safetensors) -- those are
 * reported, never mixed in.
 */
#ifndef CK_CARRY_H
#define CK_CARRY_H

#include "ck_ckpt.h"
#include "ck_config.h"

typedef struct ck_carried {
  const char *name;   /* plain file name, in the input and the output */
  const char *path;   /* in the input */
  uint64_t bytes;
} ck_carried;

/* Called for each file of the input left behind, with why. */
typedef void (*ck_carry_skip_fn)(void *arg, const char *name,
                                 const char *path, const char *why);

/* The files of the open input `in` to carry, sorted by name, in memory
 * owned by rt.  Returns the count, or -1 with err when the folder cannot
 * be listed. */
long ck_carry_list(ck_rt *rt, const ck_ckpt_in *in, ck_carried **out,
                   ck_carry_skip_fn skip, void *skip_arg, ck_error *err);

#endif
