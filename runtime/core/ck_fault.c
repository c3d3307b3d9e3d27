/* ck_fault.c - output writes, and the test-only fault injection hooks.
 *
 * See ck_fault.h.  The hooks simulate the two ways a long conversion ends
 * badly - the process dies (SIGKILL cannot be caught, so nothing of ours
 * runs afterwards), or the disk fills up - at a chosen byte, so that the
 * tests can sweep every stage of the writing. */
#include "ck_fault.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int hooks_read;
static uint64_t kill_after = UINT64_MAX, fail_after = UINT64_MAX;
static uint64_t written; /* output bytes so far, all files */

static uint64_t env_u64(const char *name) {
  const char *s = getenv(name);
  if (!s || !*s) return UINT64_MAX;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  return errno || *end ? UINT64_MAX : (uint64_t)v;
}

static void read_hooks(void) {
  if (hooks_read) return;
  hooks_read = 1;
  kill_after = env_u64("CKCONV_TEST_KILL_AFTER_BYTES");
  fail_after = env_u64("CKCONV_TEST_FAIL_WRITE_AFTER_BYTES");
}

static void die(void) {
  raise(SIGKILL);
  _exit(137); /* not reached */
}

int ck_fault_write_all(int fd, const void *p, size_t len) {
  read_hooks();
  const unsigned char *c = p;
  /* Cut the write where a hook triggers; the bytes before it do reach
   * the file, as they would before a real crash or a full disk. */
  uint64_t limit = kill_after < fail_after ? kill_after : fail_after;
  size_t n = len;
  int hit = 0;
  if (limit != UINT64_MAX && written + len >= limit && len) {
    n = limit > written ? (size_t)(limit - written) : 0;
    hit = 1;
  }
  while (n) {
    ssize_t r = write(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    c += r;
    n -= (size_t)r;
    written += (uint64_t)r;
  }
  if (hit) {
    if (limit == kill_after) die();
    errno = ENOSPC;
    return -1;
  }
  return 0;
}

void ck_fault_point(const char *name) {
  const char *s = getenv("CKCONV_TEST_KILL_AT");
  if (s && strcmp(s, name) == 0) die();
}

/* The tensor hooks: counted over the whole process, from any thread. */
static uint64_t tensor_kill = UINT64_MAX, tensor_fail = UINT64_MAX;
static _Atomic uint64_t tensors_written;
static pthread_once_t tensor_once = PTHREAD_ONCE_INIT;

static void read_tensor_hooks(void) {
  tensor_kill = env_u64("CKCONV_TEST_KILL_AFTER_TENSORS");
  tensor_fail = env_u64("CKCONV_TEST_FAIL_AFTER_TENSORS");
}

int ck_fault_tensor_hooks(void) {
  pthread_once(&tensor_once, read_tensor_hooks);
  return tensor_kill != UINT64_MAX || tensor_fail != UINT64_MAX;
}

int ck_fault_tensor(void) {
  if (!ck_fault_tensor_hooks()) return 0;
  uint64_t k = tensors_written++; /* tensors before this one */
  if (k >= tensor_kill) die();
  if (k >= tensor_fail) {
    errno = ENOSPC;
    return -1;
  }
  return 0;
}
