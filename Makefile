# ph: move PostHog events with three Unix filters.
#
#   make            build the programs (warnings are errors)
#   make unit       the unit tests alone (about a second)
#   make test -j    unit and program tests, prove running files side by side
#   make check      install missing Debian packages, then run every test,
#                   once plainly and once under ASan and UBSan
#   make bench      benchmarks, side by side with the alternatives
#   make install    PREFIX=/usr/local DESTDIR=

VERSION = 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

# Objects and programs go under $(O); the sanitizer run uses O=build-san.
O ?= .

PKG_CONFIG ?= pkg-config
PKGS = libcurl json-c zlib libdeflate libmicrohttpd
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# Each program links only the libraries it calls (ldd shows no more).
pkg_libs = $(if $(1),$(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null))
SEND_LIBS = $(call pkg_libs,libcurl json-c libdeflate) -lpthread
FETCH_LIBS = $(call pkg_libs,libcurl json-c) -lpthread
EMU_LIBS = $(call pkg_libs,libmicrohttpd json-c zlib) -lpthread

CFLAGS ?= -g -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong
# curl's picky set, kept even when a user sets CFLAGS.
WARNINGS = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wcast-qual -Wwrite-strings -Wvla -Wformat=2 \
	-Wformat-security -Wundef -Wold-style-definition -Wredundant-decls \
	-Wpointer-arith -Wmissing-declarations
override CFLAGS := -std=c11 $(WARNINGS) $(CFLAGS)
override CPPFLAGS := -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) $(CPPFLAGS)

PROGS = ph-clean ph-send ph-fetch
PROG_BINS = $(foreach p,$(PROGS),$(O)/$(p)/$(p))
COMMON_SRCS = $(wildcard common/*.c)
COMMON_OBJS = $(COMMON_SRCS:%.c=$(O)/%.o)
LIBPH = $(O)/common/libph.a

CLEAN_OBJS = $(O)/ph-clean/ph-clean.o $(O)/ph-clean/clean.o
SEND_OBJS = $(patsubst %.c,$(O)/%.o,$(wildcard ph-send/*.c))
FETCH_OBJS = $(patsubst %.c,$(O)/%.o,$(wildcard ph-fetch/*.c))
EMU_OBJS = $(patsubst %.c,$(O)/%.o,$(wildcard tests/emu/*.c))
EMU = $(O)/tests/emu/ph-emu

UNIT_SRCS = $(wildcard tests/unit/test-*.c)
UNIT_BINS = $(UNIT_SRCS:%.c=$(O)/%)
# Unit tests of a program's own modules link that module.
UNIT_EXTRA_test-clean = $(O)/ph-clean/clean.o
UNIT_EXTRA_test-ledger = $(O)/ph-send/ledger.o $(O)/ph-fetch/idset.o
UNIT_EXTRA_test-check = $(O)/ph-send/check.o
UNIT_EXTRA_test-batch = $(O)/ph-send/batch.o $(O)/tests/emu/gunzip.o
UNIT_EXTRA_test-reply = $(O)/ph-send/reply.o
UNIT_EXTRA_test-gzip = $(O)/tests/emu/gunzip.o
UNIT_EXTRA_test-window = $(O)/ph-fetch/window.o
UNIT_EXTRA_test-lanes = $(O)/ph-send/lanes.o $(O)/ph-send/idcount.o \
	$(O)/ph-send/batch.o $(O)/ph-send/check.o $(O)/ph-send/compressor.o
UNIT_MODULES = $(UNIT_EXTRA_test-clean) $(UNIT_EXTRA_test-ledger) \
	$(UNIT_EXTRA_test-check) $(UNIT_EXTRA_test-batch) \
	$(UNIT_EXTRA_test-reply) $(UNIT_EXTRA_test-gzip) \
	$(UNIT_EXTRA_test-window) $(UNIT_EXTRA_test-lanes)

MANS = man/ph-clean.1 man/ph-send.1 man/ph-fetch.1
GUIDE = man/ph.7

all: $(PROG_BINS) $(EMU)

# -MMD writes each object's header dependencies beside it.
$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(O) -name '*.d' 2>/dev/null)

$(O)/common/cli.o $(O)/ph-send/setup.o $(O)/ph-fetch/request.o: \
    CPPFLAGS += -DPH_VERSION='"$(VERSION)"'

$(LIBPH): $(COMMON_OBJS)
	rm -f $@
	$(AR) rcs $@ $(COMMON_OBJS)

$(O)/ph-clean/ph-clean: $(CLEAN_OBJS) $(LIBPH)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLEAN_OBJS) $(LIBPH) $(LDLIBS)

$(O)/ph-send/ph-send: $(SEND_OBJS) $(LIBPH)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SEND_OBJS) $(LIBPH) $(SEND_LIBS)

$(O)/ph-fetch/ph-fetch: $(FETCH_OBJS) $(LIBPH)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(FETCH_OBJS) $(LIBPH) $(FETCH_LIBS)

$(EMU): $(EMU_OBJS) $(LIBPH)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(EMU_OBJS) $(LIBPH) $(EMU_LIBS)

$(O)/tests/unit/%: tests/unit/%.c tests/unit/tap.h $(LIBPH) \
    $(UNIT_MODULES)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iph-clean -Iph-send -Iph-fetch -Itests/emu $(CFLAGS) \
	    $(LDFLAGS) -o $@ $< $(UNIT_EXTRA_$*) $(LIBPH) $(PKG_LIBS)

# Every test prints TAP; prove reads it and ends with "Result: PASS".
TEST_ENV = PH_BIN="$(abspath $(O))" PH_SRC="$(CURDIR)" \
	ASAN_OPTIONS=exitcode=86:detect_leaks=1 \
	UBSAN_OPTIONS=exitcode=87:halt_on_error=1:print_stacktrace=1

# prove runs PROVE_JOBS test files at once: make's own -jN, 4 for a
# bare -j, else 1.  Each file works in its own mktemp directory and its
# emulators take free ports, so files may run side by side.
MAKE_JOBS = $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS)))
PROVE_JOBS ?= $(if $(filter -j,$(MAKEFLAGS)),4,$(or $(MAKE_JOBS),1))

# A test file that hangs fails on its own, named, after this many
# seconds (its emulators with it: timeout(1) signals the file's process
# group), instead of holding the whole run until CI's limit.
TEST_TIMEOUT ?= 900
RUN_TEST = timeout -k 10 $(TEST_TIMEOUT)

unit: $(UNIT_BINS)
	$(TEST_ENV) prove -e '$(RUN_TEST)' $(UNIT_BINS) </dev/null

# python3 resolved once, for every file (tests/lib.sh says why).
PY_ENV = PH_PYTHON="$$(python3 -c 'import sys; print(sys.executable)')"

test: all $(UNIT_BINS)
	$(TEST_ENV) $(PY_ENV) prove -j$(PROVE_JOBS) -e '$(RUN_TEST)' \
	    $(UNIT_BINS) tests/t/*.t \
	    </dev/null

lint: $(MANS) $(GUIDE)
	mandoc -Tlint -Wwarning $(MANS) $(GUIDE)

SAN_CFLAGS = -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all

# The sanitizer run goes last, so the output ends with prove's summary
# (no "Leaving directory" line after it).
SUBMAKE = $(MAKE) --no-print-directory

check: deps
	@sh tests/deps.sh fuzz
	$(SUBMAKE) test lint
	$(SUBMAKE) proof
	$(SUBMAKE) fuzz
	$(SUBMAKE) O=build-san CFLAGS='$(SAN_CFLAGS)' \
	    LDFLAGS='-fsanitize=address,undefined' test

# Fuzzing: libFuzzer with ASan and UBSan, a bounded run from the
# committed seed corpus (copied, so new finds stay out of the tree).
FUZZ_SECONDS ?= 30
FUZZ_CC ?= clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -D_GNU_SOURCE -Icommon -Iph-clean -Iph-send \
	$(PKG_CFLAGS)
FUZZERS = clean check
FUZZ_SRCS = $(COMMON_SRCS) ph-clean/clean.c ph-send/check.c

build-fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_SRCS) $(wildcard common/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRCS) $(PKG_LIBS) -lpthread

fuzz: $(FUZZERS:%=build-fuzz/fuzz-%)
	@for f in $(FUZZERS); do \
		rm -rf build-fuzz/corpus-$$f && \
		cp -r tests/fuzz/corpus/$$f build-fuzz/corpus-$$f && \
		echo "fuzz-$$f: $(FUZZ_SECONDS) s from $$(ls tests/fuzz/corpus/$$f | wc -l) seeds" && \
		build-fuzz/fuzz-$$f -max_total_time=$(FUZZ_SECONDS) \
		    -dict=tests/fuzz/json.dict -max_len=65536 -timeout=10 \
		    -rss_limit_mb=2048 -print_final_stats=1 \
		    build-fuzz/corpus-$$f 2>build-fuzz/fuzz-$$f.log || \
		    { tail -40 build-fuzz/fuzz-$$f.log; exit 1; }; \
		grep -E "^stat::number_of_executed_units|^Done" \
		    build-fuzz/fuzz-$$f.log; \
	done

# Stress: many runs of ph-fetch's windows side by side (STRESS_SECONDS
# each file, default 300); not part of check.
stress: all
	$(TEST_ENV) $(PY_ENV) prove -e '$(RUN_TEST)' tests/stress/*.t </dev/null

# The proof: the whole pipeline with faults, and kill -9 then resume.
proof: all
	$(TEST_ENV) $(PY_ENV) prove -e '$(RUN_TEST)' tests/proof/*.t </dev/null

deps:
	@sh tests/deps.sh build test

demo: deps
	$(MAKE) all
	@sh tests/demo.sh "$(abspath $(O))"

# zlib against libdeflate on the bodies ph-send builds.
GZBENCH = $(O)/tests/bench/gzbench
$(GZBENCH): tests/bench/gzbench.c $(O)/ph-send/batch.o \
    $(O)/tests/emu/gunzip.o $(LIBPH)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iph-send -Itests/emu $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(O)/ph-send/batch.o $(O)/tests/emu/gunzip.o $(LIBPH) $(PKG_LIBS)

bench: all $(GZBENCH)
	@sh tests/deps.sh bench
	@sh tests/bench/run.sh "$(abspath $(O))"

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(PROG_BINS) $(DESTDIR)$(BINDIR)
	install -m 0644 $(MANS) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(GUIDE) $(DESTDIR)$(MANDIR)/man7

clean:
	rm -rf build-san build-fuzz $(PROG_BINS) */*.o */*.d tests/*/*.o tests/*/*.d \
	    $(LIBPH) $(EMU) \
	    $(UNIT_BINS) $(GZBENCH) tests/bench/data

.PHONY: all bench check clean demo deps fuzz install lint proof stress test unit
