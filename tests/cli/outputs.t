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

# --- JUnit: validated with xmllint against the Jenkins xunit plugin's XSD ---
XSD=tests/xsd/junit-10.xsd
# junit NAME ARGS...: runs -o junit into $T/NAME.xml and validates it
junit() {
	_n=$1; shift
	"$V4CHECK" "$@" -o junit > $T/$_n.xml 2> $T/$_n.err
	xmllint --noout --schema $XSD $T/$_n.xml > $T/$_n.lint 2>&1; ok $? "junit $_n validates against $XSD (xmllint)"
	grep -v 'validates$' $T/$_n.lint | sed 's/^/#   /' | head -5
}
junit demo all --replay $DEMO
junit syserr all --replay $DEMO --junit-warn system-err
junit error tls --replay $TLS/error-npu-timeout
junit unreachable tls --replay $TLS/error-unreachable-node
junit skip api --replay $DEMO
# the validator can fail: a skipped= on <testsuites> (what v4check wrote before) is refused
sed 's/<testsuites name="v4check"/<testsuites skipped="0" name="v4check"/' $T/demo.xml > $T/bad.xml
xmllint --noout --schema $XSD $T/bad.xml > /dev/null 2>&1; is $? 3 "xmllint refuses an attribute the XSD does not have"
like $T/demo.xml '<failure type="WARN" message="PREFIX_CACHE_ON: ' "junit: a WARN is a failure of type WARN by default (GitLab and Jenkins both show it)"
like $T/demo.xml '<failure type="FAIL" message="TLS_MISMATCH: TLS enabled on NPU 0-7 of 8' "junit: a FAIL is a failure of type FAIL with the code and message"
ncase=$(grep -c '<testcase ' $T/demo.xml)
like $T/demo.xml "<testsuites name=\"v4check\" tests=\"$ncase\" failures=\"15\" errors=\"0\"" "junit: totals count WARN cases as failures ($ncase cases)"
unlike $T/syserr.xml '<failure type="WARN"' "--junit-warn system-err: no WARN failure"
like $T/syserr.xml '<system-err>WARN PREFIX_CACHE_ON: ' "--junit-warn system-err: the WARN lines in <system-err>"
like $T/syserr.xml "<testsuites name=\"v4check\" tests=\"$ncase\" failures=\"3\" errors=\"0\"" "--junit-warn system-err: only the FAILs count as failures"
like $T/error.xml '<error type="ERROR" message="PROBE_FAILED: ' "junit: ERROR is an <error>"
like $T/unreachable.xml '<error type="UNREACHABLE" message="' "junit: UNREACHABLE is an <error>"
like $T/skip.xml '<skipped type="SKIP" message="SKIP_PRE_DEPLOY: ' "junit: SKIP is <skipped>"
"$V4CHECK" all --replay $DEMO -o junit --junit-warn sometimes > $T/o 2>&1; is $? 64 "--junit-warn takes failure or system-err only"
# timestamp, hostname, and each testcase's time from the probes' own durations
"$JSON_PY" - $T/demo.xml $DEMO "$(hostname)" <<'PY'
import glob, json, sys, datetime, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for s in root.iter("testsuite"):
    assert s.get("hostname") == sys.argv[3], (s.get("hostname"), sys.argv[3])
    t = datetime.datetime.strptime(s.get("timestamp"), "%Y-%m-%dT%H:%M:%S")
    age = (datetime.datetime.utcnow() - t).total_seconds()
    assert -5 < age < 300, age
    assert abs(float(s.get("time")) - sum(float(c.get("time")) for c in s.iter("testcase"))) < 0.01
ms = lambda f: json.load(open(f))["ms"]
want = (ms("%s/node1/npu-smi-info.json" % sys.argv[2]) +
        sum(ms(f) for f in glob.glob("%s/node1/hccn-tls.*.json" % sys.argv[2]))) / 1000
got = [float(c.get("time")) for c in root.iter("testcase") if c.get("name") == "tls on node1"][0]
assert abs(got - want) < 0.002 and got > 0, (got, want)
times = {c.get("name"): float(c.get("time")) for c in root.iter("testcase")}
assert len(set(times.values())) > 5, times
PY
ok $? "junit: timestamp (UTC) and hostname on each testsuite; tls on node1's time is its probes' (npu-smi info, hccn_tool -tls) from the capture"

# --- Prometheus (-o prom): promtool, per-NPU gauges on every run, the rules ---
# prom_types FILE: every *_total series is TYPE counter, every counter ends in _total
prom_types() {
	awk '/^# TYPE /{t[$3]=$4} END{for (m in t) if ((m ~ /_total$/) != (t[m] == "counter")) {print m, t[m]; bad=1} exit bad}' "$1"
}
"$V4CHECK" all --replay $DEMO -o prom > $T/demo.prom
"$V4CHECK" tls --replay $TLS/error-npu-timeout -o prom > $T/err.prom
for f in demo err; do
	promtool check metrics < $T/$f.prom > $T/$f.lint 2>&1; ok $? "promtool check metrics: $f is clean"
	sed 's/^/#   /' $T/$f.lint | head -5
	prom_types $T/$f.prom > $T/$f.types; ok $? "prom $f: counters typed counter and named _total"
done
for m in hbm_used_bytes hbm_total_bytes health_ok temperature_celsius power_watts aicore_utilization_ratio tls_enabled; do
	is "$(grep -c "^v4check_npu_${m}{node=\"node[1-4]\",npu=\"[0-7]\"} " $T/demo.prom)" 32 "prom: v4check_npu_$m for all 32 NPUs of the 4 nodes"
done
is "$(grep -c '^v4check_npu_hbm_used_bytes{node="node2",' $T/demo.prom)" 8 "prom: node2's NPU gauges are there although npu-mem FAILs on it"
like $T/demo.prom '^v4check_npu_hbm_used_bytes\{node="node2",npu="3"\} 42949672960$' "prom: node2's held NPU 3 shows its 40960 MiB"
like $T/demo.prom '^v4check_npu_tls_enabled\{node="node3",npu="7"\} 1$' "prom: node3's TLS switches are on"
like $T/demo.prom '^v4check_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+",schema="2"\} 1$' "prom: build info with the version"
like $T/demo.prom '^# TYPE v4check_run_duration_seconds gauge$' "prom: a run-duration gauge"
like $T/demo.prom '^v4check_run_duration_seconds [0-9.]+$' "prom: the run's duration"
like $T/demo.prom '^v4check_run_timestamp_seconds [0-9]{10}' "prom: the run's end time"
like $T/err.prom '^v4check_check_status\{check="tls",node="node1"\} 3$' "prom: an NPU that timed out: ERROR (3) in check_status"
# the check can fail: a counter without _total is found
printf '# TYPE v4check_x counter\nv4check_x 1\n' > $T/badc.prom
prom_types $T/badc.prom > /dev/null; is $? 1 "the counter-name check finds a counter without _total"
R=contrib/prometheus
promtool check rules $R/v4check.rules.yml > $T/r.lint 2>&1; ok $? "promtool check rules: the shipped rules"
(cd $R && promtool test rules v4check.rules.test.yml) > $T/rt 2>&1; r=$?
ok $r "promtool test rules: the stale, gone and absent alerts fire on a v4check that stopped"
[ $r -eq 0 ] || sed 's/^/#   /' $T/rt | head -30
# the rule tests can fail: without the age alert they do
mkdir $T/rules
sed 's/time() - v4check_run_timestamp_seconds > 900/time() - v4check_run_timestamp_seconds > 90000/' $R/v4check.rules.yml > $T/rules/v4check.rules.yml
cp $R/v4check.rules.test.yml $T/rules/
(cd $T/rules && promtool test rules v4check.rules.test.yml) > /dev/null 2>&1; is $? 1 "promtool test rules fails when the age alert does not fire"

# --- --color: on a terminal (a pty from script(1)), NO_COLOR, TERM ---
ESC=$(printf '\033')
F=$TLS/fail-node3-enabled
V=$(cd "$(dirname "$V4CHECK")" && pwd)/$(basename "$V4CHECK")
# on_tty OUT ENV... -- ARGS: runs v4check on a pseudo-terminal
on_tty() {
	_o=$1; shift
	script -qec "env $* $V tls --replay $F" /dev/null > $T/$_o 2>&1
}
on_tty tty_auto -u NO_COLOR TERM=xterm; like $T/tty_auto "$ESC\[31;1mFAIL" "--color auto on a terminal: FAIL in red"
on_tty tty_nocolor NO_COLOR=1 TERM=xterm; unlike $T/tty_nocolor "$ESC\[" "NO_COLOR=1 on a terminal: no colour"
on_tty tty_empty NO_COLOR= TERM=xterm; like $T/tty_empty "$ESC\[31;1mFAIL" "NO_COLOR set but empty: colour as usual"
on_tty tty_dumb -u NO_COLOR TERM=dumb; unlike $T/tty_dumb "$ESC\[" "TERM=dumb on a terminal: no colour"
script -qec "env TERM=xterm $V tls --replay $F --color=never" /dev/null > $T/tty_never 2>&1
unlike $T/tty_never "$ESC\[" "--color=never on a terminal: no colour"
"$V4CHECK" tls --replay $F > $T/pipe_auto; unlike $T/pipe_auto "$ESC\[" "--color auto into a pipe: no colour"
"$V4CHECK" tls --replay $F --color=always > $T/pipe_always; like $T/pipe_always "$ESC\[32mPASS" "--color=always into a pipe: colour"
NO_COLOR=1 TERM=dumb "$V4CHECK" tls --replay $F --color always > $T/pipe_always2; like $T/pipe_always2 "$ESC\[31;1mFAIL" "--color always wins over NO_COLOR and TERM=dumb"
"$V4CHECK" tls --replay $F --color=always -o json > $T/json_always; unlike $T/json_always "$ESC" "--color=always never colours JSON"
"$V4CHECK" tls --replay $F --color=sometimes > $T/o 2>&1; is $? 64 "--color takes auto, always or never"
done_testing
