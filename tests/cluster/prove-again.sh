#!/bin/sh
# Runs the cluster test files two at a time (prove -j2 ARGS...); a file that
# fails is run once more alone and verbosely, so that its diagnostics are in
# the log, and its second result counts. The files share the machine's two
# cores with each other, and a failure under that load is named on a
# "failed, then run alone:" line, never dropped; a file that fails alone too
# fails the part, and so does a bail-out (prove's status without a failed file). Prints one prove summary line for tests/tally.sh: the first
# run's file and test counts, the second run's failures.
log=$(mktemp)
# the first run's summary is renamed, so that the tally counts only one
{ prove -j2 "$@" 2>&1; echo "$?" > "$log.rc"; } | tee "$log" |
	sed -e 's/^Files=/(two at a time) files=/' -e 's/^Test Summary Report/(two at a time) test summary report/' -e 's/Failed: /failed: /' -e 's/^  Failed test/  failed test/'
sum=$(grep -E '^Files=[0-9]+, Tests=[0-9]+' "$log" | tail -1)
failed=$(awk '/^Test Summary Report/ { on = 1 } on && /^[^ ].* \(Wstat: / { print $1 }' "$log")
rc1=$(cat "$log.rc")
rm -f "$log" "$log.rc"
# a bail-out (or a prove that failed before any file did) fails the part
[ -n "$failed" ] || { echo "$sum"; [ "$rc1" = 0 ] || echo "prove exited $rc1 with no failed file"; exit "$rc1"; }
for f in $failed; do echo "failed, then run alone: $f"; done
log=$(mktemp)
# shellcheck disable=SC2086 # file names of this tree, no spaces
prove -v $failed 2>&1 | sed -e 's/^Files=/(alone) files=/' | tee "$log"
rc=$(grep -c '^Result: FAIL' "$log")
rm -f "$log"
echo "$sum"
exit "$rc"
