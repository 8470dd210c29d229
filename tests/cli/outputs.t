#!/bin/sh
# The monitoring and CI outputs against their consumers' rules: Nagios plugin
# guidelines (thresholds read with python3-nagiosplugin), JUnit XML (xmllint
# against a published XSD), Prometheus text (promtool), and --color.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4out.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
unset NO_COLOR
DEMO=fixtures/replay/reference-cluster
TLS=fixtures/checks/tls
for NPY in python3 /usr/bin/python3 ""; do
	[ -n "$NPY" ] && "$NPY" -c 'import nagiosplugin' 2>/dev/null && break
done

# --- Nagios ---
# nagios NAME RC-WANTED ARGS...: runs -o nagios, checks exit and the guidelines
nagios() {
	_n=$1 _w=$2; shift 2
	"$V4CHECK" "$@" -o nagios > $T/$_n 2> $T/$_n.err; _rc=$?
	is $_rc $_w "nagios $_n: exit $_w"
	if [ -z "$NPY" ]; then ok 1 "nagios $_n: no python3 with nagiosplugin (tests/setup-deps.sh)"; return; fi
	"$NPY" tests/nagios-perf.py $T/$_n $_rc > $T/$_n.chk 2>&1; ok $? "nagios $_n: status line, perfdata thresholds agree with exit $_rc"
	sed 's/^/#   /' $T/$_n.chk
}
nagios ok 0 tls --replay $TLS/pass-all-disabled
nagios warning 1 all --replay $DEMO --skip tls,npu-mem
nagios critical 2 all --replay $DEMO
nagios unknown 3 tls --replay $TLS/error-npu-timeout
like $T/critical '^V4CHECK CRITICAL - 3 failed: tls \(node3,cluster\), npu-mem \(node2\)' "nagios: the status line names the failures"
like $T/critical ' failed=3;;0;0 warning=12;0;;0 ' "nagios: one FAIL is outside the critical range 0"
is "$(sed -n 2p $T/critical)" "FAIL tls node3 TLS_MISMATCH: TLS enabled on NPU 0-7 of 8 (expected disabled)" "nagios: long output after the status line, worst first"
is "$(grep -c '|' $T/critical)" 1 "nagios: perfdata only on the status line"
# the checker can fail: the old thresholds (crit 1) put one FAIL inside the OK range
printf 'V4CHECK CRITICAL - 1 failed: tls (node3) | failed=1;;1;0 warning=0;1;;0\n' > $T/old
"$NPY" tests/nagios-perf.py $T/old 2 > $T/old.chk 2>&1; is $? 1 "the perfdata checker refuses thresholds that disagree with the status"
# usage and config errors: UNKNOWN and exit 3 on stdout, the message kept on stderr
for args in "-t 0 all" "--no-such-option all" "frobnicate" "-c /nonexistent/v4.json all" "all --replay /nonexistent"; do
	"$V4CHECK" $args -o nagios > $T/u 2> $T/u.err; rc=$?
	is $rc 3 "nagios: '$args' exits 3 (UNKNOWN), not 64"
	like $T/u '^V4CHECK UNKNOWN - usage or configuration error: [^ ]' "nagios: '$args' says UNKNOWN and why on line 1"
	test -s $T/u.err; ok $? "nagios: '$args' still explains on stderr"
done
"$V4CHECK" --output=nagios -t 0 all > $T/u 2>/dev/null; is $? 3 "--output=nagios: a usage error is UNKNOWN too"
"$V4CHECK" -t 0 all > $T/u 2>&1; is $? 64 "without -o nagios a usage error is still 64"
done_testing
