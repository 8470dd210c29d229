#!/bin/sh
# Runs one part of the suite and adds its counts to a tally; prints the total.
#   tests/tally.sh FILE NAME CMD...   run CMD (a prove run), record "NAME PASSED FAILED"
#   tests/tally.sh FILE --total       print each part, the failed test files with
#                                     their failed tests, and "check: N passed,
#                                     N failed" last; exit 1 when anything failed
# Counts come from prove's summary (Tests=, Failed:); a part that exits
# non-zero without a failed test (a build error, a crash) counts one failure.
set -u
file=$1
shift
if [ "$1" = --total ]; then
	[ -f "$file" ] || { echo "check: 0 passed, 1 failed (no part ran)"; exit 1; }
	[ -s "$file.failed" ] && { echo "failed (or run again alone):"; cat "$file.failed"; }
	awk '{ printf "  %-10s %6d passed, %d failed\n", $1, $2, $3; p += $2; f += $3 }
	     END { printf "check: %d passed, %d failed\n", p, f; exit f > 0 }' "$file"
	exit $?
fi
name=$1
shift
log=$(mktemp)
{ "$@" 2>&1; echo "$?" > "$log.rc"; } | tee "$log"
rc=$(cat "$log.rc")
awk -v name="$name" -v rc="$rc" '
	/^Files=[0-9]+, Tests=[0-9]+/ { sub(/.*Tests=/, ""); sub(/,.*/, ""); tests += $0 }
	/Failed: [0-9]+\)/ { s = $0; sub(/.*Failed: /, "", s); sub(/\).*/, "", s); failed += s }
	END {
		if (rc != 0 && failed == 0) failed = 1
		passed = tests - failed; if (passed < 0) passed = 0
		print name, passed, failed + 0
	}' "$log" >> "$file"
# prove's summary: "FILE (Wstat: ...)" then "  Failed test(s):  N, M"
awk -v name="$name" '
	/^Test Summary Report/ { on = 1; next }
	on && /^[^ ].* \(Wstat: / { t = $1 }
	on && t != "" && /^  Failed tests?: / { sub(/^  Failed tests?: +/, ""); print "  " name ": " t " (" $0 ")"; t = "" }
	on && t != "" && /^  (Non-zero|Parse errors)/ { print "  " name ": " t " (" $0 ")"; t = "" }
	/^failed, then run alone: / { print "  " name ": " $NF " failed among the others, was run again alone" }' "$log" >> "$file.failed"
rm -f "$log" "$log.rc"
exit "$rc"
