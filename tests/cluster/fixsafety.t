#!/bin/sh
# Fix safety over real SSH: the plan is shown before anything changes, a fix
# applied twice changes nothing the second time, --fix-fanout bounds the nodes
# changed at once, every applied command is logged (file and syslog), a
# disruptive fix needs --yes and is refused while the node serves, and an NPU
# whose state could not be read is never changed. Root only; V4_CLUSTER=9 by default.
V4_CLUSTER=${V4_CLUSTER:-9}
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
N=3
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
FAKE=$V4_REPO/fixtures/fake
T=$V4_WORK/t; mkdir -p $T
export NO_COLOR=1

cluster_config $T/c.json 5
cluster_init_nodes
V="$V4CHECK -c $T/c.json -t 30"
S2=$(node_state 2)
setlog() { cat "$(node_state $1)/tls_set.log" 2>/dev/null; }
clear_setlogs() { for i in 1 2 3; do rm -f "$(node_state $i)/tls_set.log"; done; }

# ---- the plan comes first ----
sh $FAKE/v4fake fault $S2 tls-on-npu 1 >/dev/null
sh $FAKE/v4fake fault $S2 tls-set-delay 3000 >/dev/null
$V tls --fix --fix-log $T/fix.log > $T/o 2>&1 &
pid=$!
w=0
while ! grep -q '^start' $S2/tls_set.log 2>/dev/null && [ $w -lt 300 ]; do sleep 0.1; w=$((w + 1)); done
grep -q '^start' $S2/tls_set.log 2>/dev/null; ok $? "the fix started on node2"
like $T/o '^fix plan \(1 command\):' "the plan is already printed while the command runs"
unlike $T/o 'fixes applied' "nothing is reported applied yet"
wait $pid; is $? 0 "tls --fix: exit 0 after the fix"
is "$(grep -n 'fix plan\|fixes applied\|^result' $T/o | cut -d: -f2 | tr '\n' '|')" "fix plan (1 command)|fixes applied|result|" \
	"text: plan, then what was applied, then the verdict"
rm -f $S2/tls_set_delay_ms

# ---- the same fix twice changes nothing the second time ----
before=$(wc -l < $T/fix.log)
clear_setlogs
run $T/o $V tls --fix --fix-log $T/fix.log; is $RC 0 "second tls --fix: exit 0"
like $T/o '^fix plan: nothing to change' "second tls --fix plans nothing"
is "$(setlog 2)" "" "second tls --fix ran no hccn_tool -tls -s"
is "$(wc -l < $T/fix.log)" "$before" "second tls --fix logged no command"

# ---- JSON: the plan and its outcome in "fixes" ----
sh $FAKE/v4fake fault $S2 tls-on-npu 4 >/dev/null
"$V4CHECK" -c $T/c.json -t 30 tls --fix --fix-log $T/fix.log -o json > $T/j.json 2> $T/e
python3 - $T/j.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = d["fixes"]
assert len(f) == 1, f
assert f[0]["node"] == "node2" and f[0]["command"] == "hccn_tool -i 4 -tls -s enable 0", f
assert f[0]["class"] == "safe" and f[0]["result"] == "applied", f
assert d["status"] == "PASS", d["status"]
PY
ok $? "JSON: fixes lists node, command, class and result (applied)"
valid_json report $T/j.json "JSON of an applied fix validates against schema/v4check.schema.json"
like $T/e '^fix plan \(1 command\)' "JSON: the plan text goes to stderr"
"$V4CHECK" -c $T/c.json -t 30 tls --fix --dry-run -o json 2>/dev/null | python3 -c '
import json, sys; d = json.load(sys.stdin); assert d["fixes"] == [], d["fixes"]'
ok $? "JSON: a second run has no fixes"

# ---- the fix log: node, time, result, command ----
like $T/fix.log '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z node=node2 result=ok cmd=hccn_tool -i 1 -tls -s enable 0$' \
	"--fix-log: time, node, result and command"
like $T/fix.log 'node=node2 result=ok cmd=hccn_tool -i 4 -tls -s enable 0$' "--fix-log: the JSON run's command too"

# ---- --fix-fanout: nodes changed at once ----
# intervals: "start end node" of every -tls -s, from the fakes' logs
intervals() {
	for i in 1 2 3; do
		setlog $i | awk -v n=$i '$1 == "start" { s = $2 } $1 == "end" { print s, $2, n }'
	done | sort -n
}
fanout_case() {
	clear_setlogs
	for i in 1 2 3; do
		sh $FAKE/v4fake fault "$(node_state $i)" tls-on-npu 0 >/dev/null
		sh $FAKE/v4fake fault "$(node_state $i)" tls-set-delay 1500 >/dev/null
	done
	run $T/o $V tls --fix --fix-log $T/fix.log --fix-fanout $1
	is $RC 0 "--fix-fanout $1: exit 0"
	intervals > $T/iv
	is "$(wc -l < $T/iv)" 3 "--fix-fanout $1: three nodes changed"
	sed 's/^/#   /' $T/iv
}
fanout_case 1
awk 'NR > 1 && $1 < e { bad = 1 } { e = $2 } END { exit bad }' $T/iv
ok $? "--fix-fanout 1: each node's change starts after the previous one ended"
fanout_case 3
awk '{ if (NR == 1 || $1 > ms) ms = $1; if (NR == 1 || $2 < me) me = $2 } END { exit !(ms < me) }' $T/iv
ok $? "--fix-fanout 3: the three changes overlap"
for i in 1 2 3; do rm -f "$(node_state $i)/tls_set_delay_ms"; done

# ---- syslog: without --fix-log the commands go to /dev/log ----
# In a private mount namespace /dev is replaced by a folder holding null,
# urandom and a datagram socket "log" read by a small python receiver.
sh $FAKE/v4fake fault $S2 tls-on-npu 6 >/dev/null
mkdir -p $T/dev && : > $T/dev/null && : > $T/dev/urandom && : > $T/dev/random
cat > $T/syslogd.py <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2], "w").close()
while True:
    with open(sys.argv[2], "ab") as f:
        f.write(s.recv(65536) + b"\n")
PY
if command -v unshare >/dev/null; then
	: > $T/syslog
	unshare -m --propagation private sh -c '
		T=$1; shift
		for d in null urandom random; do mount --bind /dev/$d $T/dev/$d || exit 1; done
		rm -f $T/dev/log
		python3 $T/syslogd.py $T/dev/log $T/syslog & sp=$!
		n=0; while [ ! -S $T/dev/log ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
		mount --rbind $T/dev /dev || { kill $sp; exit 1; }
		"$@"; rc=$?
		sleep 0.3; kill $sp
		exit $rc' sh $T $V tls --fix > $T/o 2>&1
	is $? 0 "syslog: tls --fix without --fix-log: exit 0"
	like $T/syslog 'v4check\[[0-9]+\]: fix node=node2 result=ok cmd=hccn_tool -i 6 -tls -s enable 0' \
		"syslog: the applied command with node and result (time from syslog)"
	unlike $T/o 'no syslog' "syslog: no warning when /dev/log is there"
else
	skip "unshare unavailable: syslog receiver"; skip "syslog"; skip "syslog"
fi
# without syslog (this machine has no /dev/log when the test is written): a warning
sh $FAKE/v4fake fault $S2 tls-on-npu 7 >/dev/null
if [ -S /dev/log ]; then
	skip "/dev/log exists here: the no-syslog warning is not shown"
else
	run $T/o $V tls --fix; like $T/o 'warning: no syslog.*--fix-log' "no /dev/log and no --fix-log: warned"
	sh $FAKE/v4fake fault $S2 tls-off >/dev/null
fi

# ---- an NPU that could not be read is never changed ----
sh $FAKE/v4fake fault $S2 tls-on >/dev/null
sh $FAKE/v4fake fault $S2 hccn-garbage 2 >/dev/null
run $T/o $V tls --fix --dry-run -t 30; is $RC 2 "garbage on NPU 2, TLS on elsewhere: FAIL"
like $T/o 'ERROR +PROBE_FAILED +node2: NPU 2:' "NPU 2 reported unreadable"
like $T/o '^fix plan \(7 commands\)' "the plan has 7 commands"
unlike $T/o 'hccn_tool -i 2 -tls -s' "the plan leaves NPU 2 alone"
run $T/o $V tls --fix --fix-log $T/fix.log -t 30
unlike $T/fix.log 'cmd=hccn_tool -i 2 -tls' "NPU 2 was never changed"
is "$(cat $S2/tls.2)" 1 "NPU 2's switch is as it was"
rm -f $S2/hccn_garbage.2
sh $FAKE/v4fake fault $S2 tls-off >/dev/null

# ---- npu-mem: disruptive, needs --yes, refused while serving ----
cat > $T/health.py <<'PY'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if sys.argv[2] == "hang":
            time.sleep(60)
        code = 200 if self.path == "/health" else 404
        self.send_response(code); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer((sys.argv[1], 10010), H).serve_forever()
PY
# health_up MODE: starts the node2 API stand-in (ok or hang); health_down stops it.
health_up() {
	ip netns exec ${V4_NS}n2 python3 $T/health.py "$(node_ip 2)" $1 & HP=$!
	n=0; while ! node_exec 2 ss -Hltn "sport = :10010" | grep -q . && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
}
health_down() { kill $HP; wait $HP 2>/dev/null; }
held() { cat $S2/hbm_used.3; }

sh $FAKE/v4fake fault $S2 hbm-held 3 40960 >/dev/null
h0=$(held)
run $T/o $V npu-mem --fix --fix-log $T/fix.log; is $RC 2 "npu-mem --fix without --yes: still FAIL"
like $T/o 'REFUSED +node2: docker restart vllm +-> disruptive fix: run with --fix --yes' "refused without --yes"
is "$(held)" "$h0" "without --yes the container was not restarted"
like $T/fix.log 'node=node2 result=refused cmd=docker restart vllm' "the refusal is logged"

health_up ok
run $T/o $V npu-mem --fix --yes --fix-log $T/fix.log; is $RC 2 "API answers /health: still FAIL"
like $T/o 'REFUSED: the API on this node answers /health: it is serving' "--yes refused while serving"
is "$(held)" "$h0" "while serving the container was not restarted"
health_down

health_up hang
run $T/o $V npu-mem --fix --yes -t 12; is $RC 2 "API hangs on /health: still FAIL"
like $T/o 'REFUSED: the API did not answer /health in time' "--yes refused when /health does not answer"
is "$(held)" "$h0" "a hung API: the container was not restarted"
health_down

run $T/o $V npu-mem --fix --yes --fix-log $T/fix.log; is $RC 0 "no API on the node: --fix --yes restarts"
like $T/o '^fix plan \(1 command\):' "the plan is shown"
like $T/fix.log 'node=node2 result=ok cmd=docker restart vllm' "the restart is logged"
[ "$(held)" -lt "$h0" ]; ok $? "HBM released"
run $T/o $V npu-mem --fix --yes; like $T/o '^fix plan: nothing to change' "second npu-mem --fix --yes plans nothing"
done_testing
