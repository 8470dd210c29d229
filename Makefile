# v4check: preflight and health checks for vLLM-Ascend DeepSeek-V4 clusters.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
CC      ?= cc
BIN     ?= v4check
PKGS     = libssh2 libcurl libcjson libpcre2-8
DEBPKGS  = libssh2-1-dev libcurl4-openssl-dev libcjson-dev libpcre2-dev pkg-config

WARN    = -Wall -Wextra -Wshadow -Wformat=2 -Wpointer-arith -Wstrict-prototypes \
          -Wmissing-prototypes -Wno-unused-parameter -Wvla -Wundef
CFLAGS  ?= -O2 -g
# Recursive (=) so that pkg-config runs after `deps` has installed what it needs.
INC       = -Ilib -Ilib/run -Ilib/transport -Ilib/parse -Ilib/report -Ilib/snapshot -Ichecks/support
V4_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(INC) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
V4_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

B        = build
LIB_SRC  = $(wildcard lib/*.c lib/*/*.c checks/*.c checks/*/*.c)
CMD_SRC  = $(wildcard cmd/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(B)/%.o)
CMD_OBJ  = $(CMD_SRC:%.c=$(B)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/t/%.t)

all: deps $(BIN) man/v4check-checks.7

# Installs the -dev packages when they are missing (as root), else says how.
deps:
	@pkg-config --exists $(PKGS) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing: $(DEBPKGS)"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBPKGS) >/dev/null; \
	  else echo "missing libraries; run: sudo apt-get install $(DEBPKGS)" >&2; exit 1; fi; }

$(B)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(V4_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libv4.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BIN): $(CMD_OBJ) $(B)/libv4.a
	$(CC) $(CFLAGS) -o $@ $(CMD_OBJ) $(B)/libv4.a $(LDFLAGS) $(V4_LIBS) $(LDLIBS)

$(B)/t/%.t: tests/unit/%.c tests/unit/tap.h $(B)/libv4.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(V4_CFLAGS) -Itests/unit -o $@ $< $(B)/libv4.a $(LDFLAGS) $(V4_LIBS) $(LDLIBS)

man/v4check-checks.7: $(BIN)
	./$(BIN) list --man > $@.tmp && mv $@.tmp $@

units: $(UNIT_BIN)

# Every test: unit (C, TAP), CLI (sh, TAP), cluster (netns + sshd, root only).
# The whole suite: functional tests (unit, CLI, cluster), then the same unit and
# CLI tests under ASan+UBSan and valgrind, then every fuzz target over its seeds.
check: functional asan valgrind fuzz-smoke

functional: testdeps all units
	prove $(PROVEFLAGS) $(UNIT_BIN:%=./%) $(wildcard tests/cli/*.t) $(wildcard tests/cluster/*.t)

testdeps:
	@tests/setup-deps.sh

demo: all
	./v4check all --replay fixtures/replay/reference-cluster; echo "exit status: $$?"

# Unit and CLI tests built with ASan+UBSan in their own folder (build-asan/).
AB = build-asan
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan: testdeps
	$(MAKE) B=$(AB) BIN=$(AB)/v4check CFLAGS="$(ASAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
	  $(AB)/v4check units
	ASAN_OPTIONS=detect_leaks=1 V4CHECK=$(CURDIR)/$(AB)/v4check \
	  prove $(patsubst $(B)/%,./$(AB)/%,$(UNIT_BIN)) $(wildcard tests/cli/*.t)

# Unit tests, and the CLI tests that are not about timing (api.t measures token pace),
# with v4check under valgrind; any error or definite leak fails.
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
valgrind: all units
	prove --exec '$(VALGRIND)' $(UNIT_BIN:%=./%)
	printf '#!/bin/sh\nexec $(VALGRIND) $(CURDIR)/$(BIN) "$$@"\n' > $(B)/v4check-valgrind
	chmod +x $(B)/v4check-valgrind
	V4CHECK=$(CURDIR)/$(B)/v4check-valgrind prove tests/cli/core.t tests/cli/docs.t

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 v4check $(DESTDIR)$(BINDIR)/v4check
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7/
	[ ! -f man/v4check.conf.5 ] || install -m 644 man/v4check.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/doc/v4check
	install -m 644 contrib/systemd/v4check.service contrib/systemd/v4check.timer $(DESTDIR)$(PREFIX)/lib/systemd/system/
	install -m 644 contrib/cron/v4check contrib/prometheus/v4check.rules.yml $(DESTDIR)$(PREFIX)/share/doc/v4check/

clean:
	rm -rf $(B) build-asan v4check

.PHONY: all deps testdeps units check functional demo asan valgrind install clean

# ---- fuzzing (libFuzzer, clang): `make fuzz`, `make fuzz-smoke` ----
# The library is rebuilt in $(FB)/ with the harness flags (never mixed with
# $(B)/ objects). FUZZ_SECONDS per target; FUZZ_TARGETS to pick some.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 20
FUZZ_JOBS    ?= 1
FB            = build-fuzz
FUZZ_FLAGS    = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined
FUZZ_SRC      = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS ?= $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_LIB_OBJ  = $(LIB_SRC:%.c=$(FB)/%.o)
# -max_len per target (bytes); default 64 KiB.
FUZZ_MAXLEN_fuzz_hostrange = 256
FUZZ_MAXLEN_fuzz_versions  = 1024
FUZZ_MAXLEN_fuzz_checks    = 262144
FUZZ_ENV      = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

$(FB)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(V4_CFLAGS) -MMD -MP -c -o $@ $<

$(FB)/libv4.a: $(FUZZ_LIB_OBJ)
	$(AR) rcs $@ $^

$(FB)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FB)/libv4.a
	$(FUZZ_CC) $(FUZZ_FLAGS) $(V4_CFLAGS) -o $@ $< $(FB)/libv4.a $(V4_LIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FB)/%)

fuzz-seed:
	tests/fuzz/seed.sh $(FB)/corpus

# Runs each target for FUZZ_SECONDS on its (growing) corpus; crashes go to $(FB)/artifacts/.
fuzz: fuzz-build fuzz-seed
	@mkdir -p $(FB)/artifacts
	@set -e; for t in $(FUZZ_TARGETS); do \
	  ml=$$(case $$t in fuzz_hostrange) echo $(FUZZ_MAXLEN_fuzz_hostrange);; \
	    fuzz_versions) echo $(FUZZ_MAXLEN_fuzz_versions);; \
	    fuzz_checks) echo $(FUZZ_MAXLEN_fuzz_checks);; *) echo 65536;; esac); \
	  echo "== $$t ($(FUZZ_SECONDS) s, max_len $$ml)"; \
	  $(FUZZ_ENV) ./$(FB)/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$ml -timeout=10 \
	    -rss_limit_mb=2048 -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) -print_final_stats=1 \
	    -artifact_prefix=$(FB)/artifacts/$$t- $(FB)/corpus/$$t || { echo "$$t: FAILED" >&2; exit 1; }; \
	done

# Runs each target over its seed corpus only (no new inputs); for CI.
fuzz-smoke: fuzz-build
	@rm -rf $(FB)/smoke && tests/fuzz/seed.sh $(FB)/smoke
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== $$t: $$(ls $(FB)/smoke/$$t | wc -l) seeds"; \
	  $(FUZZ_ENV) ./$(FB)/$$t -runs=0 -timeout=10 $(FB)/smoke/$$t 2>$(FB)/smoke/$$t.log || \
	    { cat $(FB)/smoke/$$t.log >&2; echo "$$t: FAILED" >&2; exit 1; }; \
	done; echo "fuzz-smoke: all targets ran their seeds cleanly"

fuzz-clean:
	rm -rf $(FB)

.PHONY: fuzz fuzz-build fuzz-seed fuzz-smoke fuzz-clean

-include $(shell find $(B) $(AB) $(FB) -name '*.d' 2>/dev/null)
