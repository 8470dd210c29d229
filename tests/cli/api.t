#!/bin/sh
# TAP tests of the api check and the monitoring outputs against tests/fakevllm.py.
# Run from anywhere: V4CHECK=/path/to/v4check tests/cli/api.t  (default ./v4check).
# Servers listen on 127.0.0.1 only and are always killed (trap).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
V4=${V4CHECK:-$ROOT/v4check}
case $V4 in /*) ;; *) V4=$(pwd)/$V4 ;; esac
FAKE="$ROOT/tests/fakevllm.py"
KEY="sk-v4test-$$-Zq8w"
n=0; failed=0; PIDS=

T=$(mktemp -d "${TMPDIR:-/tmp}/v4api.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
diag() { sed 's/^/# /' "$@"; }

[ -x "$V4" ] || { echo "1..0 # SKIP no v4check binary at $V4 (set V4CHECK)"; exit 0; }
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 missing"; exit 0; }

umask 077
printf '%s\n' "$KEY" > "$T/key"
printf 'wrong-key\n' > "$T/badkey"
# A config of the api check alone: DP 4, the model, a short stream.
cat > "$T/cfg.json" <<C
{"deployment": {"served_model_name": "ds-v4", "data_parallel_size": 4},
 "checks": {"api": {"stream_tokens": 8}}}
C

# start NAME ARGS...: starts a fake server, sets PORT_NAME.
start() {
	name=$1; shift
	python3 "$FAKE" 0 --key-file "$T/key" "$@" > "$T/port.$name" 2>"$T/srv.$name.err" &
	PIDS="$PIDS $!"
	i=0
	while ! grep -q '^PORT ' "$T/port.$name" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && { echo "Bail out! fake server $name did not start"; diag "$T/srv.$name.err"; exit 1; }
		sleep 0.05
	done
	eval "PORT_$name=\$(awk '{print \$2}' \"\$T/port.$name\")"
}
# run NAME OUT [OPTIONS]: runs the api check against server NAME; rc in RC.
run() {
	name=$1 out=$2; shift 2
	eval "port=\$PORT_$name"
	"$V4" api -c "$T/cfg.json" --local --phase live --api-url "http://127.0.0.1:$port" \
		--api-key-file "$T/key" "$@" > "$T/$out" 2>"$T/$out.err"
	RC=$?
}

start good
start eager --token-ms 646
start hung --hang-completions
start three --engines 3
start old --old-names
start e500 --error500
start hdr --hang-headers
start slow --token-ms 300

# ---------------------------------------------------------------- verdicts
run good good.txt
[ $RC -eq 0 ] && grep -q 'TPOT' "$T/good.txt" && ! grep -q FAIL "$T/good.txt"; ok $? "healthy server: PASS (exit $RC)"
grep -q "lists 'ds-v4'" "$T/good.txt"; ok $? "healthy: /v1/models lists the served model"
grep -q '4 engines' "$T/good.txt"; ok $? "healthy: 4 engines for DP 4"

run old old.txt
[ $RC -eq 0 ] && grep -q '4 engines' "$T/old.txt"; ok $? "old metric names (gpu_cache_usage_perc ...): PASS (exit $RC)"

run eager eager.txt -t 10
[ $RC -eq 2 ] && grep -q 'EAGER_DECODE' "$T/eager.txt" && grep -q 'decode looks like eager mode' "$T/eager.txt"
ok $? "eager-paced tokens (646 ms): FAIL EAGER_DECODE (exit $RC)"

run slow slow.txt
[ $RC -eq 1 ] && grep -q 'TPOT_HIGH' "$T/slow.txt"; ok $? "300 ms tokens: WARN TPOT_HIGH (exit $RC)"

t0=$(date +%s)
run hung hung.txt -t 2
t1=$(date +%s)
[ $RC -eq 2 ] && grep -q 'NOT_LIVE' "$T/hung.txt" && grep -q 'looks hung' "$T/hung.txt"
ok $? "hung completions with /health 200: FAIL NOT_LIVE (exit $RC)"
[ $((t1 - t0)) -le 8 ]; ok $? "hung completions judged within the timeout ($((t1 - t0)) s with -t 2)"

t0=$(date +%s)
run hdr hdr.txt -t 2
t1=$(date +%s)
[ $RC -eq 2 ] && grep -q 'API_DOWN' "$T/hdr.txt" && [ $((t1 - t0)) -le 5 ]
ok $? "hang after headers: FAIL API_DOWN within the timeout (exit $RC, $((t1 - t0)) s)"

run e500 e500.txt
[ $RC -eq 2 ] && grep -q 'COMPLETION_FAILED' "$T/e500.txt" && grep -q 'HTTP 500' "$T/e500.txt"
ok $? "500s: FAIL COMPLETION_FAILED (exit $RC)"

run good badkey.txt --api-key-file "$T/badkey"
[ $RC -eq 2 ] && grep -q 'API key rejected' "$T/badkey.txt"; ok $? "wrong key: 'API key rejected' (exit $RC)"

"$V4" api -c "$T/cfg.json" --local --phase live --api-url "http://127.0.0.1:$PORT_good" > "$T/nokey.txt" 2>&1
grep -q 'API key rejected.*no key was given' "$T/nokey.txt"; ok $? "no key: rejected, and says none was given"

V4CHECK_API_KEY=$KEY "$V4" api -c "$T/cfg.json" --local --phase live --api-url "http://127.0.0.1:$PORT_good" > "$T/envkey.txt" 2>&1
[ $? -eq 0 ]; ok $? "key from V4CHECK_API_KEY: PASS"

run three three.txt
[ $RC -eq 2 ] && grep -q 'ENGINES_MISSING' "$T/three.txt" && grep -q '3 engines' "$T/three.txt"
ok $? "3 engines for DP 4: FAIL ENGINES_MISSING (exit $RC)"

"$V4" api -c "$T/cfg.json" --local --api-url "http://127.0.0.1:$PORT_good" > "$T/pre.txt" 2>&1
[ $? -eq 0 ] && grep -q 'SKIP .*SKIP_PRE_DEPLOY' "$T/pre.txt"
ok $? "--phase pre (default): SKIP, not FAIL"

"$V4" api -c "$T/cfg.json" --local --phase live --api-url 'ftp://x' > "$T/badurl.txt" 2>&1
[ $? -eq 3 ] && grep -q API_URL_INVALID "$T/badurl.txt"; ok $? "a non-http URL: ERROR API_URL_INVALID (exit 3)"

# ---------------------------------------------------------------- formats
for f in json prom nagios junit; do
	run good "good.$f" -o "$f" -v
	run eager "eager.$f" -o "$f" -v
	run good "badkey.$f" -o "$f" -v --api-key-file "$T/badkey"
done
run good good.v.txt -v

if command -v promtool >/dev/null; then
	promtool check metrics < "$T/good.prom" > "$T/promtool.out" 2>&1; ok $? "promtool check metrics: healthy prom output"
	promtool check metrics < "$T/eager.prom" > "$T/promtool2.out" 2>&1; ok $? "promtool check metrics: failing prom output"
else
	n=$((n + 1)); echo "ok $n # SKIP promtool not installed"
	n=$((n + 1)); echo "ok $n # SKIP promtool not installed"
fi
grep -q '^v4check_check_status{check="api",node="[^"]*"} 5$' "$T/eager.prom"; ok $? "prom: check status 5 (FAIL) for eager decode"
grep -q '^v4check_api_tpot_seconds{node=' "$T/eager.prom" && grep -q '^v4check_api_ttft_seconds{node=' "$T/good.prom"
ok $? "prom: TTFT and TPOT gauges"
grep -q '^v4check_vllm_prefix_cache_hit_ratio{node="[^"]*"} 0.25$' "$T/good.prom"; ok $? "prom: prefix cache hit ratio"
grep -q '^# TYPE v4check_vllm_preemptions_total counter$' "$T/good.prom" && grep -q '^v4check_vllm_preemptions_total{node=' "$T/good.prom"
ok $? "prom: vLLM's preemptions as a counter named _total"

run good t.prom -o prom --textfile "$T/tf.prom"
[ $RC -eq 0 ] && [ ! -s "$T/t.prom" ] && grep -q v4check_check_ok "$T/tf.prom" && ! ls "$T"/tf.prom.tmp* >/dev/null 2>&1
ok $? "--textfile writes the file (no temp left), stdout empty with -o prom"

run good n0 -o nagios; r0=$RC
run slow n1 -o nagios; r1=$RC
run eager n2 -o nagios; r2=$RC
"$V4" api -c "$T/cfg.json" --local --phase live --api-url 'ftp://x' -o nagios > "$T/n3" 2>&1; r3=$?
[ "$r0$r1$r2$r3" = 0123 ]; ok $? "nagios exit codes OK/WARNING/CRITICAL/UNKNOWN = 0/1/2/3 (got $r0$r1$r2$r3)"
head -1 "$T/n2" | grep -q '^V4CHECK CRITICAL - 1 failed: api (.*) | failed=1;;0;0 ' && [ "$(grep -c '|' "$T/n2")" -eq 1 ] &&
	sed -n 2p "$T/n2" | grep -q '^FAIL api .* EAGER_DECODE: '
ok $? "nagios: one CRITICAL status line with perfdata, the finding in the long output"
grep -q ' tpot=0\.[0-9]*s;0\.2000;@0\.4000:;0' "$T/n2"; ok $? "nagios: TPOT thresholds are the api check's (warn above 200 ms, critical from 400 ms)"
for NPY in python3 /usr/bin/python3 false; do "$NPY" -c 'import nagiosplugin' 2>/dev/null && break; done
for k in 0 1 2 3; do
	eval "want=\$r$k"
	"$NPY" "$ROOT/tests/nagios-perf.py" "$T/n$k" "$want" > "$T/nchk" 2>&1; ok $? "nagios n$k: perfdata thresholds (nagiosplugin ranges) agree with exit $want"
	diag "$T/nchk"
done
grep -q '^V4CHECK OK - ' "$T/n0" && grep -q '^V4CHECK WARNING - ' "$T/n1" && grep -q '^V4CHECK UNKNOWN - ' "$T/n3"
ok $? "nagios: OK, WARNING and UNKNOWN words"

for f in good eager badkey; do
	python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$T/$f.junit" 2>"$T/xml.err"
	ok $? "junit well-formed ($f)"
done
grep -q '<failure type="FAIL" message="EAGER_DECODE: ' "$T/eager.junit"; ok $? "junit: eager decode is a failure"
for f in good eager badkey; do
	xmllint --noout --schema "$ROOT/tests/xsd/junit-10.xsd" "$T/$f.junit" > "$T/xsd.err" 2>&1; ok $? "junit ($f) validates against tests/xsd/junit-10.xsd"
	grep -v 'validates$' "$T/xsd.err" | diag
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="FAIL"' "$T/eager.json"; ok $? "json output parses"
# a python3 with jsonschema (Debian's python3-jsonschema may sit under /usr/bin)
for JPY in python3 /usr/bin/python3 false; do "$JPY" -c 'import jsonschema' 2>/dev/null && break; done
for f in good eager badkey; do
	"$JPY" "$ROOT/tests/validate-json.py" report "$T/$f.json" > "$T/schema.err" 2>&1; ok $? "json ($f) validates against schema/v4check.schema.json"
	diag "$T/schema.err"
done

# ---------------------------------------------------------------- --state
run good s1 --state "$T/state.json"
run eager s2 --state "$T/state.json"
run eager s3 --state "$T/state.json" -o json
run good s4 --state "$T/state.json"
grep -q 'no changes since the last run' "$T/s1" ; ok $? "--state: first healthy run has no changes"
grep -q '^  + FAIL *api EAGER_DECODE' "$T/s2"; ok $? "--state: a new finding appears at the top"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["changes"]==[]' "$T/s3"; ok $? "--state: unchanged run has \"changes\": [] in JSON"
"$JPY" "$ROOT/tests/validate-json.py" report "$T/s3" > "$T/schema.err" 2>&1; ok $? "--state report validates"; diag "$T/schema.err"
"$JPY" "$ROOT/tests/validate-json.py" state "$T/state.json" > "$T/schema.err" 2>&1; ok $? "the --state file validates"; diag "$T/schema.err"
grep -q '^  - cleared *api EAGER_DECODE' "$T/s4"; ok $? "--state: a cleared finding is shown"
run eager s5 --state "$T/state.json"
grep -q '^  + FAIL *api EAGER_DECODE .*(again: cleared 1 time(s) in 24 h before)$' "$T/s5"; ok $? "--state: a finding back within 24 h is marked as recurring"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["cleared"]; assert len(c)==1 and c[0]["code"]=="EAGER_DECODE" and c[0]["time"]>0' "$T/state.json"; ok $? "--state: the file remembers the cleared finding with its time"
[ "$(stat -c %a "$T/state.json")" = 600 ]; ok $? "--state file is mode 600"

# ---------------------------------------------------------------- the key
leaks=$(grep -l -F -- "$KEY" "$T"/* 2>/dev/null | grep -v -e '/key$' -e '/port\.' | tr '\n' ' ')
[ -z "$leaks" ]; ok $? "the API key appears in no output, stderr, state or textfile ($leaks)"
# the key reached the server (it answered 200 on /v1/models)
grep -q "lists 'ds-v4'" "$T/good.v.txt"; ok $? "the key was sent (side channel)"

echo "1..$n"
[ $failed -eq 0 ]
