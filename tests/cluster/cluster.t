#!/bin/sh
# The cluster end to end: v4check over real libssh2 sessions to real sshds in
# network namespaces (198.18.0.0/24), fake Ascend tools with per-node state.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
N=4
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
FAKE=$V4_REPO/fixtures/fake
T=$V4_WORK/t; mkdir -p $T
export NO_COLOR=1

cluster_config $T/c.json 2
cluster_init_nodes
V="$V4CHECK -c $T/c.json"

run $T/o $V tls npu-mem; is $RC 0 "healthy 4-node cluster: exit 0"
like $T/o 'PASS +OK +node\[1-4\]: TLS disabled on all 8 NPUs' "all four nodes folded into one PASS line"
"$V4CHECK" -c $T/c.json tls -o json > $T/j.json
python3 - $T/j.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "PASS", d["status"]
assert [n["state"] for n in d["nodes"]] == ["reached"] * 4
PY
ok $? "JSON: four nodes reached"
valid_json report $T/j.json "JSON over SSH validates against schema/v4check.schema.json"

# Failure 1: node3's eight NPUs have TLS on.
sh $FAKE/v4fake fault "$(node_state 3)" tls-on >/dev/null
run $T/o $V tls; is $RC 2 "TLS on node3: FAIL"
like $T/o 'FAIL +TLS_MISMATCH +node3: TLS enabled on NPU 0-7 of 8' "names node3 and its NPUs"
like $T/o 'TLS_INCONSISTENT cluster: TLS differs between NPUs: enabled on \[node3\]' "cross-node verdict names the outlier"
run $T/o $V tls --fix --fix-log $T/fix.log; is $RC 0 "tls --fix: the cluster passes after it"
is "$(grep -c 'node=node3 result=ok' $T/fix.log)" 8 "only node3's eight NPUs were changed"
is "$(grep -vc 'node=node3' $T/fix.log)" 0 "no other node was touched"
run $T/o $V tls; is $RC 0 "a fresh run passes too"

# A node whose sshd is stopped.
node_stop_sshd 2
run $T/o $V tls; is $RC 3 "sshd stopped on node2: could not check (3)"
like $T/o 'UNREACHABLE +UNREACHABLE +node2: .*(refused|Connection)' "node2 UNREACHABLE with the cause"
like $T/o 'PASS +OK +node\[1,3-4\]' "the other nodes still judged"
node_start_sshd 2

# A changed host key is refused.
node_rekey 4
run $T/o $V tls; is $RC 3 "changed host key: node4 refused"
like $T/o 'node4: .*CHANGED' "the reason says the key changed"
run $T/o $V --accept-new-host-keys tls; is $RC 3 "--accept-new-host-keys does not accept a changed key"

# An unknown host key: refused, then accepted with --accept-new-host-keys.
grep -v "^$(node_ip 4) " $V4_KNOWN_HOSTS > $T/kh; cat $T/kh > $V4_KNOWN_HOSTS
run $T/o $V tls; is $RC 3 "unknown host key: refused by default"
like $T/o 'node4: .*not in known_hosts' "the reason says the key is unknown"
run $T/o $V --accept-new-host-keys tls; is $RC 0 "--accept-new-host-keys adds it"
grep -q "$(node_ip 4)" $V4_KNOWN_HOSTS; ok $? "the new key was written to known_hosts"

# An sshd that accepts TCP but never sends its banner.
node_freeze_sshd 1
start=$(date +%s)
run $T/o $V tls; is $RC 3 "sshd stalled before its banner: UNREACHABLE"
is "$(( $(date +%s) - start <= 6 ))" 1 "within the connect timeout"
like $T/o 'node1: .*' "node1 reported"
node_thaw_sshd 1

# hung_left i: after 3 s, how many hung fake calls (sleep 100000) node i still runs.
hung_left() {
	sleep 3
	for p in $(ip netns pids ${V4_NS}n$1); do cat /proc/$p/cmdline 2>/dev/null | tr '\0' ' '; echo; done |
		grep -c 'sleep 100000'
}

# hccn_tool hangs on one NPU of node2.
printf '1\n' > "$(node_state 2)/hccn_hang.5"
start=$(date +%s)
run $T/o $V tls -t 8; is $RC 3 "hung hccn_tool: ERROR"
is "$(( $(date +%s) - start <= 25 ))" 1 "the run ended within the timeout"
like $T/o 'ERROR +PROBE_FAILED +node2: NPU 5: .*timed out' "ERROR for node2 NPU 5"
like $T/o 'node\[1,3-4\]' "the other nodes were judged"
is "$(hung_left 2)" 0 "no leftover process in node2's namespace"

# The same hang inside a device batch (roce asks link, health and address of
# each NPU: one script per NPU): NPU 5's three calls time out one after
# another, the batch goes on, the other NPUs are judged.
start=$(date +%s)
run $T/o $V roce -t 4; is $RC 3 "hung hccn_tool in a batch: ERROR"
is "$(( $(date +%s) - start <= 30 ))" 1 "the run ended within three timeouts"
like $T/o 'ERROR +PROBE_FAILED +node2: .*NPU 5.*timed out' "ERROR names node2 NPU 5"
unlike $T/o 'node2: .*NPU [0-46-7][^0-9].*timed out' "no other NPU of node2 timed out"
is "$(hung_left 2)" 0 "no leftover process after the batch"
rm -f "$(node_state 2)/hccn_hang.5"

# Busy answers inside a batch are retried until the NPU answers.
printf '2\n' > "$(node_state 3)/hccn_busy.6"
run $T/o $V roce; is $RC 0 "busy hccn_tool in a batch: retried, PASS"
is "$(cat "$(node_state 3)/hccn_busy.6")" 0 "both busy answers were consumed"

# Memory held on one NPU of node2, with no process (failure 8).
sh $FAKE/v4fake fault "$(node_state 2)" hbm-held 3 40960 >/dev/null
run $T/o $V npu-mem; is $RC 2 "held HBM on node2: FAIL"
like $T/o 'HBM_HELD_NO_PROCESS node2: NPU 3 holds' "names node2 NPU 3"
run $T/o $V npu-mem --fix --yes; is $RC 0 "npu-mem --fix --yes restarts the container on node2 only"

# collect over SSH, then replay.
sh $FAKE/v4fake fault "$(node_state 3)" tls-on-npu 1 >/dev/null
run $T/o $V collect -o $T/cap tls; is $RC 0 "collect over SSH"
run $T/o "$V4CHECK" tls --replay $T/cap; is $RC 2 "the capture replays the same FAIL"
like $T/o 'node3: TLS enabled on NPU 1 of 8' "same finding from the capture"
done_testing
