# ckconv - build, regenerate and test.
#
# Pipeline: specs/*.conv --(convc: dsl/ + compiler/)--> generated/*.c
#           generated/ + runtime/ --> libckrt.a --> ckconv (runtime/cmd/)
#
#   make            build convc, regenerate generated/, build ckconv
#   make check      every test, then again under ASan+UBSan, valgrind,
#                   and the staleness check of generated/
#   make example    build and run a real conversion example
#   make deps       install the Debian packages (as root) or print the line

# The reference data the tests read: golden/ and realdata/.  A copy is
# kept in tests/data/shared (tests/tools/vendor-shared.sh), so a bare
# clone tests itself; SHARED=../shared tests against the original.
SHARED   ?= tests/data/shared
BUILD    ?= build
CC       ?= cc
PYTHON   ?= /usr/bin/python3
SAN      ?=
PKGS     := jansson yaml-0.1 libmd libzip

DEBIAN_PACKAGES := build-essential flex bison pkg-config check libsubunit-dev \
  libjansson-dev libyaml-dev libmd-dev libzip-dev valgrind python3 python3-numpy \
  python3-yaml python3-torch groff-base bsdextrautils strace

# The packages are checked (and installed, as root) when the Makefile is
# read, before any rule runs and before pkg-config is asked for flags:
# so a fresh machine builds in one `make` (or `make -j2`), and no rule
# races the installation.  `make clean` and `make deps` skip it.
ifeq ($(filter clean deps,$(MAKECMDGOALS)),)
DEPS_OK := $(shell sh tests/tools/ensure-deps.sh $(DEBIAN_PACKAGES) >&2 && echo ok)
ifneq ($(DEPS_OK),ok)
$(error missing Debian packages: install them as shown above)
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
# convc reads specs/transformers.json (compiler/data_check.c)
CONVC_LIBS := $(shell pkg-config --libs jansson 2>/dev/null)

# The runtime's layers, lowest first: a file includes headers of its own
# layer and the ones before it only (tests/tools/check-layers.sh).
RT_LAYERS := core io config tensor ops
RT_INC    := -Iruntime $(addprefix -Iruntime/,$(RT_LAYERS))

WARN     := -Wall -Wextra -Werror -Wno-format-truncation
ifeq ($(SAN),1)
OPT      := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=undefined
else
OPT      := -O2
endif
CFLAGS   ?=
CFLAGS   += -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(PKG_CFLAGS) -Icommon
# common/ (the table data model and the .def lists) is seen by both sides;
# beyond it, convc (dsl/, compiler/) and the runtime (with its tests and
# the generated tables) each see only their own headers.
CONVC_INC    = -Icompiler -Idsl -I$(BUILD)/dsl
RUNTIME_INC  = $(RT_INC) -Igenerated
VERSION_H   := runtime/core/ck_version.h
LDFLAGS  += $(OPT) -pthread
# flex/bison output is not ours; only silence what their skeletons trip.
GEN_CFLAGS := -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter

# ---------------------------------------------------------------- sources
DSL_SRC      := $(wildcard dsl/*.c)
COMPILER_SRC := $(wildcard compiler/*.c)
COMMON_SRC   := $(wildcard common/*.c)
RUNTIME_SRC  := $(COMMON_SRC) $(foreach l,$(RT_LAYERS),$(wildcard runtime/$(l)/*.c))
CMD_SRC      := $(wildcard runtime/cmd/*.c)
SPECS        := $(sort $(wildcard specs/*.conv))
SPEC_DATA    := $(sort $(wildcard specs/*.json))
GENERATED    := generated/ck_tables.c generated/ck_tables.h docs/formats.md
UNIT_SRC     := $(wildcard tests/unit/test_*.c)
UNIT_BIN     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

.PHONY: all deps check test unit golden compiler-tests cli-tests convert-tests \
        formats-tests plan-tests corrupt-tests crash-tests asan \
        valgrind check-generated check-layers clean example bench
all: $(BUILD)/convc $(GENERATED) $(BUILD)/ckconv

# ---------------------------------------------------------------- deps
# `make deps`: install the packages (as root) or print the apt-get line.
deps:
	@CKCONV_INSTALL=1 sh tests/tools/ensure-deps.sh $(DEBIAN_PACKAGES)

# ---------------------------------------------------------------- convc
$(BUILD)/dsl/parser.c $(BUILD)/dsl/parser.h: dsl/parser.y
	@mkdir -p $(BUILD)/dsl
	bison -Wall -Werror --defines=$(BUILD)/dsl/parser.h -o $(BUILD)/dsl/parser.c $<

$(BUILD)/dsl/lexer.c $(BUILD)/dsl/lexer.h: dsl/lexer.l $(BUILD)/dsl/parser.h
	@mkdir -p $(BUILD)/dsl
	flex --header-file=$(BUILD)/dsl/lexer.h -o $(BUILD)/dsl/lexer.c $<

$(BUILD)/obj/gen/%.o: $(BUILD)/dsl/%.c $(BUILD)/dsl/parser.h $(BUILD)/dsl/lexer.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CONVC_INC) $(GEN_CFLAGS) -c -o $@ $<

src_inc = $(if $(filter dsl/% compiler/%,$(1)),$(CONVC_INC),$(RUNTIME_INC))
$(BUILD)/obj/%.o: %.c $(BUILD)/dsl/parser.h $(BUILD)/dsl/lexer.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call src_inc,$<) -MMD -MP -c -o $@ $<

# common/ck_sha256.c (on libmd) is the one source file both sides link:
# convc hashes the spec sources, the runtime the checkpoint inputs
# convc --version prints the version of $(VERSION_H) (read below)
$(BUILD)/obj/compiler/convc.o: CONVC_INC += -DCKCONV_VERSION='"$(VERSION)"'
$(BUILD)/obj/compiler/convc.o: $(VERSION_H)
CONVC_OBJ := $(call obj,$(DSL_SRC) $(COMPILER_SRC) $(COMMON_SRC)) \
             $(BUILD)/obj/gen/parser.o $(BUILD)/obj/gen/lexer.o
MD_LIBS   := $(shell pkg-config --libs libmd 2>/dev/null)
$(BUILD)/convc: $(CONVC_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(MD_LIBS) $(CONVC_LIBS)

# ---------------------------------------------------------------- tables
# Deterministic output: regenerating must not change committed files.
$(GENERATED): $(BUILD)/tables.stamp ;
$(BUILD)/tables.stamp: $(SPECS) $(SPEC_DATA) $(BUILD)/convc
	$(BUILD)/convc -o generated --doc docs/formats.md $(addprefix --data ,$(SPEC_DATA)) $(SPECS)
	@touch $@

# ---------------------------------------------------------------- runtime
RUNTIME_OBJ := $(call obj,$(RUNTIME_SRC) generated/ck_tables.c)
$(BUILD)/libckrt.a: $(RUNTIME_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ckconv: $(call obj,$(CMD_SRC)) $(BUILD)/libckrt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libckrt.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RUNTIME_INC) -o $@ $< $(BUILD)/libckrt.a $(PKG_LIBS) $(CHECK_LIBS) -lm

# The primitive tests compile their own made-up format with convc.
$(BUILD)/prim/ck_tables.c: tests/primitives/prims.conv specs/01_hf_allowlist.conv $(BUILD)/convc
	$(BUILD)/convc --symbol ck_prim_tables -o $(BUILD)/prim specs/01_hf_allowlist.conv tests/primitives/prims.conv

$(BUILD)/tests/test_primitives: tests/unit/test_primitives.c $(BUILD)/prim/ck_tables.c $(BUILD)/libckrt.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(RUNTIME_INC) -o $@ $< $(BUILD)/prim/ck_tables.c $(BUILD)/libckrt.a $(PKG_LIBS) $(CHECK_LIBS) -lm

$(BUILD)/golden_driver: tests/golden/golden_driver.c $(BUILD)/libckrt.a
	$(CC) $(CFLAGS) $(RUNTIME_INC) -o $@ $< $(BUILD)/libckrt.a $(PKG_LIBS) -lm

# ---------------------------------------------------------------- install
# make install [PREFIX=/usr/local] [DESTDIR=]: ckconv, convc, the man pages
# (generated into build/man by docs/man/gen.sh from docs/cli.md and
# docs/language.md), the static runtime library with its headers (in
# include/ckconv) and ckconv.pc, and the bash completion
# (runtime/cmd/ckconv.bash).  libckrt.a is static only, so ckconv.pc
# lists jansson, yaml, libmd and libzip under Requires, not Requires.private.
PREFIX       ?= /usr/local
DESTDIR      ?=
BINDIR       ?= $(PREFIX)/bin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR  ?= $(PREFIX)/share/bash-completion/completions
INSTALL      ?= install
VERSION      := $(shell sed -n 's/^\#define CKCONV_VERSION "\(.*\)"/\1/p' $(VERSION_H))
MAN_PAGES    := $(BUILD)/man/ckconv.1 $(BUILD)/man/convc.1 $(BUILD)/man/conv.5
INST_HEADERS := $(sort $(wildcard common/*.h common/*.def runtime/*.h $(foreach l,$(RT_LAYERS),runtime/$(l)/*.h))) \
                generated/ck_tables.h
INST_INC     := $(DESTDIR)$(INCLUDEDIR)/ckconv

.PHONY: man install uninstall install-tests
man: $(MAN_PAGES)
$(MAN_PAGES) &: docs/cli.md docs/language.md docs/man/gen.sh docs/man/md2man.awk \
                runtime/cmd/ckconv.c
	sh docs/man/gen.sh $(BUILD)/man $(VERSION)

install: all $(MAN_PAGES)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(INST_INC) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(BUILD)/ckconv $(BUILD)/convc $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 644 $(BUILD)/libckrt.a $(DESTDIR)$(LIBDIR)
	$(INSTALL) -m 644 $(INST_HEADERS) $(INST_INC)
	$(INSTALL) -m 644 $(BUILD)/man/ckconv.1 $(BUILD)/man/convc.1 $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 644 $(BUILD)/man/conv.5 $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 644 runtime/cmd/ckconv.bash $(DESTDIR)$(BASHCOMPDIR)/ckconv
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	  'Name: ckconv' \
	  'Description: ckconv runtime: converts LLM checkpoints between Hugging Face and Fast-LLM layouts' \
	  'Version: $(VERSION)' 'Requires: jansson yaml-0.1 libmd libzip' \
	  'Libs: -L$${libdir} -lckrt -lm' 'Cflags: -I$${includedir}/ckconv' \
	  > $(DESTDIR)$(PKGCONFIGDIR)/ckconv.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/ckconv.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ckconv $(DESTDIR)$(BINDIR)/convc \
	  $(DESTDIR)$(LIBDIR)/libckrt.a $(DESTDIR)$(PKGCONFIGDIR)/ckconv.pc \
	  $(addprefix $(INST_INC)/,$(notdir $(INST_HEADERS))) \
	  $(DESTDIR)$(MANDIR)/man1/ckconv.1 $(DESTDIR)$(MANDIR)/man1/convc.1 \
	  $(DESTDIR)$(MANDIR)/man5/conv.5 $(DESTDIR)$(BASHCOMPDIR)/ckconv
	rmdir $(INST_INC) 2>/dev/null || true

# Installs into a temporary DESTDIR and runs what was installed.
install-tests: all
	sh tests/install/run.sh "$(MAKE)" $(BUILD)

# ---------------------------------------------------------------- fuzz
# libFuzzer harnesses (tests/fuzz/fuzz_NAME.c), built with clang, ASan and
# UBSan into build/fuzz (their own objects; the committed generated/ is
# used as is, nothing in the repository is written).  Each runs
# FUZZ_SECONDS from tests/fuzz/corpus/NAME; `make -j2 fuzz` runs two at a
# time.  New inputs go to build/fuzz/corpus, crashes to build/fuzz/crashes.
FUZZ_SECONDS  ?= 60
FUZZ_CC       ?= clang
FUZZ          := build/fuzz
FUZZ_PACKAGES := clang libclang-rt-dev flex bison pkg-config libjansson-dev \
                 libyaml-dev libmd-dev libzip-dev
FUZZ_NAMES    := safetensors conv hf_config yaml torchbin
FUZZ_CFLAGS   := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
                 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                 -Wall -Wextra $(PKG_CFLAGS) -Icommon $(RT_INC) -Igenerated -Icompiler \
                 -Idsl -I$(FUZZ)/dsl
fuzz_obj       = $(patsubst %.c,$(FUZZ)/obj/%.o,$(1))
FUZZ_RT_OBJ   := $(call fuzz_obj,$(RUNTIME_SRC) generated/ck_tables.c)
FUZZ_CONVC_OBJ := $(call fuzz_obj,$(DSL_SRC) $(COMMON_SRC) \
                  $(filter-out compiler/convc.c compiler/data_check.c,$(COMPILER_SRC))) \
                  $(FUZZ)/obj/gen/parser.o $(FUZZ)/obj/gen/lexer.o

.PHONY: fuzz fuzz-build fuzz-deps
# built through pattern rules only: keep them (not intermediate files)
.SECONDARY: $(FUZZ_RT_OBJ) $(FUZZ_CONVC_OBJ) \
            $(addprefix $(FUZZ)/fuzz_,$(FUZZ_NAMES))
fuzz: $(addprefix fuzz-run-,$(FUZZ_NAMES))
fuzz-build: $(addprefix $(FUZZ)/fuzz_,$(FUZZ_NAMES))
fuzz-deps:
	@sh tests/tools/ensure-deps.sh $(FUZZ_PACKAGES)
fuzz-run-%: $(FUZZ)/fuzz_%
	@sh tests/fuzz/run.sh $< $* $(FUZZ_SECONDS) $(FUZZ)

$(FUZZ)/dsl/parser.c $(FUZZ)/dsl/parser.h &: dsl/parser.y | fuzz-deps
	@mkdir -p $(FUZZ)/dsl
	bison -Wall -Werror --defines=$(FUZZ)/dsl/parser.h -o $(FUZZ)/dsl/parser.c $<
$(FUZZ)/dsl/lexer.c $(FUZZ)/dsl/lexer.h &: dsl/lexer.l $(FUZZ)/dsl/parser.h
	flex --header-file=$(FUZZ)/dsl/lexer.h -o $(FUZZ)/dsl/lexer.c $<
$(FUZZ)/obj/gen/%.o: $(FUZZ)/dsl/%.c $(FUZZ)/dsl/parser.h $(FUZZ)/dsl/lexer.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(GEN_CFLAGS) -c -o $@ $<
$(FUZZ)/obj/%.o: %.c $(FUZZ)/dsl/parser.h $(FUZZ)/dsl/lexer.h | fuzz-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<
$(FUZZ)/fuzz_conv: tests/fuzz/fuzz_conv.c $(FUZZ_CONVC_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(MD_LIBS)
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_RT_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lm

# ---------------------------------------------------------------- tests
test: all unit golden compiler-tests cli-tests convert-tests formats-tests \
      plan-tests corrupt-tests crash-tests install-tests

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; CK_SHARED=$(SHARED) $$t; done

golden: $(BUILD)/golden_driver
	$(BUILD)/golden_driver $(SHARED)/golden

compiler-tests: $(BUILD)/convc
	sh tests/compiler/run.sh $(BUILD)/convc

cli-tests: $(BUILD)/ckconv
	sh tests/cli/run.sh $(BUILD)/ckconv $(SHARED)
	sh tests/cli/completion.sh $(BUILD)/ckconv $(SHARED)
	sh tests/cli/hubcache.sh $(BUILD)/ckconv
	sh tests/cli/dtypes.sh $(BUILD)/ckconv

convert-tests: $(BUILD)/ckconv
	sh tests/convert/run.sh $(BUILD)/ckconv
	sh tests/convert/fastpath.sh $(BUILD)/ckconv
	sh tests/convert/serve.sh $(BUILD)/ckconv
	sh tests/convert/torchbin.sh $(BUILD)/ckconv

formats-tests: $(BUILD)/ckconv
	sh tests/convert/formats.sh $(BUILD)/ckconv $(SHARED)
	sh tests/convert/qwen3.sh $(BUILD)/ckconv

plan-tests: $(BUILD)/ckconv
	sh tests/plan/run.sh $(BUILD)/ckconv

corrupt-tests: $(BUILD)/ckconv
	sh tests/corrupt/run.sh $(BUILD)/ckconv

crash-tests: $(BUILD)/ckconv
	sh tests/crash/run.sh $(BUILD)/ckconv
	sh tests/crash/resume.sh $(BUILD)/ckconv

asan:
	$(MAKE) BUILD=build/asan SAN=1 unit golden compiler-tests cli-tests convert-tests \
	  formats-tests plan-tests corrupt-tests crash-tests

valgrind: $(UNIT_BIN) $(BUILD)/golden_driver
	sh tests/tools/valgrind.sh $(BUILD) $(SHARED)

check-generated: $(BUILD)/convc
	sh tests/tools/check-generated.sh $(BUILD)/convc $(addprefix --data ,$(SPEC_DATA)) $(SPECS)

check-layers:
	sh tests/tools/check-layers.sh $(RT_LAYERS)
	sh tests/tools/check-stages.sh

check: all check-generated check-layers test asan valgrind
	@sh tests/tools/vendor-shared.sh --check ../shared
	@echo "make check: all suites passed"

example: all
	sh tests/tools/example.sh $(BUILD)/ckconv

# Speed (vs cp of the same bytes) and peak anonymous memory on a >= 1 GiB
# generated checkpoint; targets are reported, not asserted.
bench: all
	sh tests/tools/bench.sh $(BUILD)/ckconv

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(FUZZ)/obj -name '*.d' 2>/dev/null)
