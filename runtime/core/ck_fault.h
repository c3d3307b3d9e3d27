/* ck_fault.h - the write function of ckconv's streaming output, with
 * test hooks.
 *
 * On the simple write path every byte of an output checkpoint
 * (safetensors files and the small files) goes through ck_fault_write_all,
 * so the crash and disk-full tests (tests/crash/run.sh) can stop a
 * conversion at an exact byte without root, a small file system or timing
 * luck; the byte hooks make ck_load.c (ck_simple_io) choose that path (the fast path
 * writes with pwrite/copy_file_range).  The hooks are read from the
 * environment once per process and are for tests only (docs/cli.md):
 *
 *   CKCONV_TEST_KILL_AFTER_BYTES=N       write exactly N bytes of output
 *                                        (counted over all files), then
 *                                        raise SIGKILL
 *   CKCONV_TEST_FAIL_WRITE_AFTER_BYTES=N write exactly N bytes, then fail
 *                                        every write with ENOSPC
 *   CKCONV_TEST_KILL_AT=POINT            raise SIGKILL at a named step of
 *                                        publication (ck_fault_point)
 *   CKCONV_TEST_KILL_AFTER_TENSORS=N     staged conversions (--resume,
 *                                        --part): journal N tensors, then
 *                                        raise SIGKILL once the next one's
 *                                        bytes are written, before its
 *                                        record (ck_fault_tensor)
 *   CKCONV_TEST_FAIL_AFTER_TENSORS=N     the same, but fail with ENOSPC
 * With either tensor hook set, every tensor is journaled as it completes
 * (not in batches), so that N is exact.
 *
 * Without these variables ck_fault_write_all is write(2) in a loop. */
#ifndef CK_FAULT_H
#define CK_FAULT_H

#include <stddef.h>

/* write(2) all of p, retrying on EINTR and short writes.  0, or -1 with
 * errno set (ENOSPC when the injected failure triggers). */
int ck_fault_write_all(int fd, const void *p, size_t len);

/* SIGKILL the process if CKCONV_TEST_KILL_AT names this point. */
void ck_fault_point(const char *name);

/* A staged conversion wrote one more tensor, not yet journaled: SIGKILL
 * or -1 with errno ENOSPC when a tensor hook says so, else 0. */
int ck_fault_tensor(void);

/* 1 when a tensor hook is set (journal every tensor). */
int ck_fault_tensor_hooks(void);

#endif
