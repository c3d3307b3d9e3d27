/* ck_pickle.h - the restricted unpickler of torch state dicts.
 *
 * Reads the data.pkl of a torch.save zip archive (ck_torchbin.c) without
 * running anything: it knows the opcodes torch's pickler writes, allows
 * only the globals a state dict needs (collections.OrderedDict, the
 * tensor rebuild functions, the storage types) and returns a flat list of
 * name -> tensor view.  Internal to runtime/io. */
#ifndef CK_PICKLE_H
#define CK_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ck_error.h"
#include "ck_safetensors.h"

#define CK_PK_MAX_STRING (1u << 20) /* bytes of one string */
#define CK_PK_MAX_STACK (1u << 20)  /* values on the stack, memo entries */
#define CK_PK_MAX_MARKS 64          /* MARKs open at once */

/* One tensor of the state dict: a view of storage `storage` (the key of
 * its data/KEY entry).  Element counts, not bytes. */
typedef struct ck_pk_tensor {
  const char *name;          /* NUL-terminated, owned by the dict */
  const char *storage;       /* storage key, owned by the dict */
  const char *storage_type;  /* "FloatStorage", for messages */
  ck_dtype dtype;            /* CK_DT_INVALID: a type ckconv lacks */
  uint64_t storage_numel;    /* as the persistent id says */
  uint64_t offset;           /* storage offset */
  int ndim;
  uint64_t shape[CK_ST_MAX_RANK];
  int64_t stride[CK_ST_MAX_RANK];
} ck_pk_tensor;

typedef struct ck_pk_dict {
  size_t n;
  ck_pk_tensor *t;   /* in the pickle's key order */
  char *strings;     /* backing store of the names */
} ck_pk_dict;

/* Unpickle len bytes (the entry `entry` of file `path`, both for
 * messages) as a flat state dict.  On failure (stage checkpoint) the
 * message names path, entry and the byte offset of the opcode. */
int ck_pickle_state_dict(const unsigned char *p, size_t len,
                         const char *path, const char *entry,
                         ck_pk_dict *out, ck_error *err);
void ck_pickle_free(ck_pk_dict *d); /* a zeroed dict is fine */

#endif
