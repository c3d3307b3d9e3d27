/* ck_hooks.c - the C transforms that the .conv language names with
 * `custom NAME` (ck_hook_NAME, see ck_convert.h).  Keep this file empty
 * when possible: a hook is model knowledge in C, which the specs cannot
 * check or document.  The rotary mappings that lived here are now spec
 * declarations limited to a transformers layout (`layout v4` / `layout
 * v5`, specs/10_llama.conv LlamaRotary and specs/21_llava.conv
 * PixtralRotary), so no format uses a hook today.  A new hook still has
 * its Fast-LLM and HF claims declared in the spec, so coverage stays
 * exact.
 */
#include "ck_convert.h"
