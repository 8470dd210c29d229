#!/bin/sh
# Runs every fuzz target over its seed corpus (no new inputs) and speaks TAP:
# one test per target, every target run even when one fails.
#   tests/fuzz/smoke.sh BUILD_DIR TARGET...
set -u
fb=$1
shift
rm -rf "$fb/smoke"
tests/fuzz/seed.sh "$fb/smoke" || { echo "1..0 # seeding failed"; exit 1; }
echo "1..$#"
i=0
for t in "$@"; do
	i=$((i + 1))
	n=$(ls "$fb/smoke/$t" 2>/dev/null | wc -l)
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		"./$fb/$t" -runs=0 -timeout=10 "$fb/smoke/$t" >"$fb/smoke/$t.log" 2>&1; then
		echo "ok $i - $t: $n seeds ran cleanly"
	else
		echo "not ok $i - $t: $n seeds"
		tail -30 "$fb/smoke/$t.log" | sed 's/^/# /'
	fi
done
