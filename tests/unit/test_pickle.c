/* test_pickle.c - unit tests of runtime/io/ck_pickle.c, the restricted
 * state-dict unpickler of the .bin reader.
 *
 * Pickles are assembled here opcode by opcode (the forms torch.save and
 * Python's pickler write: protocol 2 and protocol 4 framing, memo by
 * BINPUT and MEMOIZE, LONG1 integers, _rebuild_parameter, OrderedDict
 * state), and the expected views are computed by hand.  Files written by
 * torch itself are tested by tests/convert/torchbin.sh. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "ck_pickle.h"

#include "support.h"

typedef struct {
  unsigned char b[4096];
  size_t n;
} pk;

static void put(pk *p, const void *s, size_t n) {
  ck_assert_uint_le(p->n + n, sizeof p->b);
  memcpy(p->b + p->n, s, n);
  p->n += n;
}
static void raw(pk *p, const char *s) { put(p, s, strlen(s)); }
static void byte(pk *p, unsigned c) {
  unsigned char x = (unsigned char)c;
  put(p, &x, 1);
}
static void str(pk *p, const char *s) { /* BINUNICODE */
  uint32_t n = (uint32_t)strlen(s);
  byte(p, 'X');
  for (int i = 0; i < 4; i++) byte(p, (n >> (8 * i)) & 0xff);
  raw(p, s);
}
static void short_str(pk *p, const char *s) { /* SHORT_BINUNICODE */
  byte(p, 0x8c);
  byte(p, (unsigned)strlen(s));
  raw(p, s);
}
static void int1(pk *p, unsigned v) { byte(p, 'K'); byte(p, v); }

/* ('storage', torch.<stype>, key, 'cpu', numel=K) as BINPERSID */
static void persid(pk *p, const char *stype, const char *key, unsigned n) {
  byte(p, '(');
  str(p, "storage");
  raw(p, "ctorch\n");
  raw(p, stype);
  raw(p, "\n");
  str(p, key);
  str(p, "cpu");
  int1(p, n);
  raw(p, "tQ");
}

static ck_pk_dict parse_ok(const pk *p) {
  ck_pk_dict d;
  ck_error err;
  int rc = ck_pickle_state_dict(p->b, p->n, "f.bin", "archive/data.pkl", &d,
                                &err);
  ck_assert_msg(rc == 0, "%s", err.msg);
  return d;
}

static void parse_fails(const pk *p, const char *frag) {
  ck_pk_dict d;
  ck_error err;
  ck_assert_int_eq(ck_pickle_state_dict(p->b, p->n, "f.bin",
                                        "archive/data.pkl", &d, &err), -1);
  ck_assert_str_eq(err.stage, "checkpoint");
  ck_assert_msg(strstr(err.msg, frag) != NULL, "'%s' not in: %s", frag,
                err.msg);
  ck_assert_msg(strstr(err.msg, "f.bin: archive/data.pkl: byte ") == err.msg,
                "no location in: %s", err.msg);
  ck_assert_ptr_null(d.t);
}

/* Protocol 4 as Python writes it: FRAME, SHORT_BINUNICODE, MEMOIZE,
 * STACK_GLOBAL; a LONG1 numel of 2^33 and a BININT2 offset of 300. */
START_TEST(test_protocol4_long1) {
  pk p = {0};
  raw(&p, "\x80\x04\x95");
  put(&p, "\0\0\0\0\0\0\0\0", 8);
  short_str(&p, "collections");
  byte(&p, 0x94);
  short_str(&p, "OrderedDict");
  byte(&p, 0x94);
  byte(&p, 0x93);
  byte(&p, 0x94); /* memo 2: the class */
  raw(&p, ")R");
  byte(&p, 0x94);
  byte(&p, '(');
  short_str(&p, "w");
  short_str(&p, "torch._utils");
  short_str(&p, "_rebuild_tensor_v2");
  byte(&p, 0x93);
  byte(&p, '(');
  byte(&p, '(');
  str(&p, "storage");
  raw(&p, "ctorch\nBFloat16Storage\n");
  str(&p, "7");
  str(&p, "cpu");
  raw(&p, "\x8a\x05");
  put(&p, "\0\0\0\0\x02", 5); /* 2^33 */
  raw(&p, "tQ");
  raw(&p, "M\x2c\x01"); /* 300 */
  int1(&p, 2);
  int1(&p, 3);
  byte(&p, 0x86);
  int1(&p, 3);
  int1(&p, 1);
  byte(&p, 0x86);
  byte(&p, 0x88);
  raw(&p, "h\x02)R"); /* OrderedDict() through the memo */
  raw(&p, "tRu.");
  ck_pk_dict d = parse_ok(&p);
  ck_assert_uint_eq(d.n, 1);
  ck_assert_str_eq(d.t[0].name, "w");
  ck_assert_str_eq(d.t[0].storage, "7");
  ck_assert_int_eq(d.t[0].dtype, CK_DT_BF16);
  ck_assert_uint_eq(d.t[0].storage_numel, (uint64_t)1 << 33);
  ck_assert_uint_eq(d.t[0].offset, 300);
  ck_assert_int_eq(d.t[0].ndim, 2);
  ck_assert_uint_eq(d.t[0].shape[0], 2);
  ck_assert_uint_eq(d.t[0].shape[1], 3);
  ck_assert_int_eq(d.t[0].stride[0], 3);
  ck_assert_int_eq(d.t[0].stride[1], 1);
  ck_pickle_free(&d);
}
END_TEST

/* A plain dict of _rebuild_parameter-wrapped tensors, the second a
 * memoized copy of the first (BINPUT / BINGET), then OrderedDict state
 * (_metadata) applied by BUILD to a dict: accepted and ignored. */
static void two_params(pk *p, const char *state_op) {
  raw(p, "\x80\x02}q");
  byte(p, 0);
  byte(p, '(');
  str(p, "a");
  raw(p, "ctorch._utils\n_rebuild_parameter\n(");
  raw(p, "ctorch._utils\n_rebuild_tensor_v2\n(");
  persid(p, "HalfStorage", "0", 6);
  int1(p, 2);
  raw(p, "(K\x04t(K\x01t\x89}tR"); /* offset 2, shape (4,), stride (1,) */
  raw(p, "\x88}tRq\x01");
  str(p, "b");
  raw(p, "h\x01u");
  raw(p, state_op);
  raw(p, ".");
}

START_TEST(test_parameter_memo_build) {
  pk p = {0};
  two_params(&p, "}(");
  p.n--; /* the state goes before STOP: */
  str(&p, "_metadata");
  raw(&p, "}ub.");
  ck_pk_dict d = parse_ok(&p);
  ck_assert_uint_eq(d.n, 2);
  ck_assert_str_eq(d.t[0].name, "a");
  ck_assert_str_eq(d.t[1].name, "b");
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(d.t[i].dtype, CK_DT_F16);
    ck_assert_uint_eq(d.t[i].storage_numel, 6);
    ck_assert_uint_eq(d.t[i].offset, 2);
    ck_assert_int_eq(d.t[i].ndim, 1);
    ck_assert_uint_eq(d.t[i].shape[0], 4);
  }
  ck_pickle_free(&d);
  pk q = {0};
  two_params(&q, "K\x01" "b"); /* state that is not a dict */
  parse_fails(&q, "BUILD state is an integer, expected a dict");
}
END_TEST

START_TEST(test_refusals) {
  pk p = {0};
  raw(&p, "\x80\x02}(");
  str(&p, "x");
  raw(&p, "ctorch._utils\n_rebuild_tensor_v2\n(");
  persid(&p, "FloatStorage", "0", 4);
  raw(&p, "\x8a\x01\xff"); /* LONG1 -1 */
  raw(&p, "(K\x04t(K\x01t\x89}tRu.");
  parse_fails(&p, "storage_offset -1 < 0");

  pk g = {0};
  raw(&g, "\x80\x02" "cposix\nsystem\n");
  parse_fails(&g, "GLOBAL posix.system is not allowed in a state dict");

  pk s = {0}; /* a storage class called directly */
  raw(&s, "\x80\x02" "ctorch\nFloatStorage\n)R.");
  parse_fails(&s, "torch.FloatStorage called");

  pk l = {0}; /* a list at the top */
  raw(&l, "\x80\x02](K\x01" "e.");
  parse_fails(&l, "the pickle holds a list, expected a state dict");

  pk k = {0}; /* a non-string key */
  raw(&k, "\x80\x02}K\x01K\x02s.");
  parse_fails(&k, "state dict key 0 is an integer, expected a string");

  pk u = {0}; /* a string too long for what is left */
  put(&u, "\x80\x02X\xff\xff\x00\x00" "ab", 9);
  parse_fails(&u, "truncated");

  pk e = {0}; /* bytes after STOP */
  raw(&e, "\x80\x02}.x");
  parse_fails(&e, "1 bytes after the STOP opcode");

  pk m = {0}; /* a MARK never closed before STOP is fine for Python, but
                 the stack under it is not reachable: underflow */
  raw(&m, "\x80\x02}(.");
  parse_fails(&m, "stack underflow");
}
END_TEST

/* One long key repeated through the memo: refused before its copies are
 * validated or made (each would cost the key's length again). */
START_TEST(test_repeated_key) {
  pk p = {0};
  char key[3001];
  memset(key, 'k', 3000);
  key[3000] = '\0';
  raw(&p, "\x80\x02}(");
  str(&p, key);
  raw(&p, "q\x01");
  raw(&p, "ctorch._utils\n_rebuild_tensor_v2\n(");
  persid(&p, "FloatStorage", "0", 1);
  raw(&p, "K");
  byte(&p, 0);
  raw(&p, ")" ")" "\x89}tRq\x02");
  for (int i = 0; i < 8; i++) raw(&p, "h\x01h\x02");
  raw(&p, "u.");
  parse_fails(&p, "names add up to more bytes than the pickle holds");
}
END_TEST

static Suite *pickle_suite(void) {
  Suite *s = suite_create("pickle");
  TCase *t = tcase_create("state_dict");
  tcase_add_test(t, test_protocol4_long1);
  tcase_add_test(t, test_parameter_memo_build);
  tcase_add_test(t, test_refusals);
  tcase_add_test(t, test_repeated_key);
  suite_add_tcase(s, t);
  return s;
}

int main(void) { return ts_run_suite(pickle_suite()); }
