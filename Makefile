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
INC       = -Ilib -Ilib/run -Ilib/transport -Ilib/parse -Ilib/report -Ichecks -Ichecks/support -Ichecks/snapshot
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

# Written afresh: an object of a removed source must not linger in the archive.
$(B)/libv4.a: $(LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(CMD_OBJ) $(B)/libv4.a
	$(CC) $(CFLAGS) -o $@ $(CMD_OBJ) $(B)/libv4.a $(LDFLAGS) $(V4_LIBS) $(LDLIBS)

$(B)/t/%.t: tests/unit/%.c tests/unit/tap.h $(B)/libv4.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(V4_CFLAGS) -Itests/unit -o $@ $< $(B)/libv4.a $(LDFLAGS) $(V4_LIBS) $(LDLIBS)

man/v4check-checks.7: $(BIN)
	./$(BIN) list --man > $@.tmp && mv $@.tmp $@

units: $(UNIT_BIN)

CLI_T     = $(wildcard tests/cli/*.t)
CLUSTER_T = $(wildcard tests/cluster/*.t)
TALLY     = tests/tally.sh $(B)/tally

# The fast inner loop: unit and CLI tests, no root, no sanitizers.
test: testdeps all units
	prove -j2 $(PROVEFLAGS) $(UNIT_BIN:%=./%) $(CLI_T)

# The whole suite, each part run even when one before it failed: unit and
# CLI tests, cluster tests (root: netns + sshd; two files at a time, each on
# its own cluster), the unit and CLI tests again under ASan+UBSan and under
# valgrind, then every fuzz target over its seeds. Last line:
# "check: N passed, N failed".
check: testdeps all units
	@rm -f $(B)/tally
	-@$(TALLY) unit+cli prove -j2 $(PROVEFLAGS) $(UNIT_BIN:%=./%) $(CLI_T)
	-@$(TALLY) cluster prove -j2 $(PROVEFLAGS) $(CLUSTER_T)
	-@$(TALLY) asan $(MAKE) -s asan
	-@$(TALLY) valgrind $(MAKE) -s valgrind
	-@$(TALLY) fuzz $(MAKE) -s fuzz-smoke
	@$(TALLY) --total

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
	  prove -j2 $(patsubst $(B)/%,./$(AB)/%,$(UNIT_BIN)) $(filter-out tests/cli/fixtures.t,$(CLI_T))

# Unit tests, and the CLI tests that are not about timing (api.t measures token pace),
# with v4check under valgrind; any error or definite leak fails.
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
valgrind: all units
	printf '#!/bin/sh\nexec $(VALGRIND) $(CURDIR)/$(BIN) "$$@"\n' > $(B)/v4check-valgrind
	chmod +x $(B)/v4check-valgrind
	prove -j2 --exec '$(VALGRIND)' $(UNIT_BIN:%=./%)
	V4CHECK=$(CURDIR)/$(B)/v4check-valgrind prove -j2 tests/cli/core.t tests/cli/docs.t

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

.PHONY: all deps testdeps units test check demo asan valgrind install clean

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

# Runs each target for FUZZ_SECONDS on its (growing) corpus, every target to
# its end even when one finds something; crashes go to $(FB)/artifacts/, and
# the last lines say which targets failed.
fuzz: fuzz-build fuzz-seed
	@mkdir -p $(FB)/artifacts; failed=; for t in $(FUZZ_TARGETS); do \
	  ml=$$(case $$t in fuzz_hostrange) echo $(FUZZ_MAXLEN_fuzz_hostrange);; \
	    fuzz_versions) echo $(FUZZ_MAXLEN_fuzz_versions);; \
	    fuzz_checks) echo $(FUZZ_MAXLEN_fuzz_checks);; *) echo 65536;; esac); \
	  echo "== $$t ($(FUZZ_SECONDS) s, max_len $$ml)"; \
	  $(FUZZ_ENV) ./$(FB)/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$ml -timeout=10 \
	    -rss_limit_mb=2048 -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) -print_final_stats=1 \
	    -artifact_prefix=$(FB)/artifacts/$$t- $(FB)/corpus/$$t && echo "$$t: passed" || \
	    { echo "$$t: FAILED" >&2; failed="$$failed $$t"; }; \
	done; if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed" >&2; exit 1; fi; \
	echo "fuzz: every target passed"

# Runs each target over its seed corpus only (no new inputs), as TAP; for CI.
fuzz-smoke: fuzz-build
	prove -e sh tests/fuzz/smoke.sh :: $(FB) $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FB)

.PHONY: fuzz fuzz-build fuzz-seed fuzz-smoke fuzz-clean

-include $(shell find $(B) $(AB) $(FB) -name '*.d' 2>/dev/null)
