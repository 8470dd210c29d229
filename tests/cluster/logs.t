#!/bin/sh
# logs (issue 13 item 6, live): on the reference deployment built as the
# notes write it (lib.sh: cluster_reference_deploy; the fake container's log
# and the engine's plog hold healthy lines of public logs) the logs check
# passes on all four nodes; a real failure line (each from a public log,
# fixtures/parse/logs-*.txt) written into ONE node's container log or engine
# plog is caught, naming that node, the file and the line; a line written
# before the container's start is not judged; --tier deep reads the longer
# window. POSIX sh, root only; V4_CLUSTER=17.
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-17}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
cluster_up 4 || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
T=$V4_WORK/t; mkdir -p "$T"
export NO_COLOR=1
FAKE=$V4_REPO/fixtures/fake
P=$V4_REPO/fixtures/parse
T0=$(date +%s)

reference_config "$T/c.json"
cluster_reference_deploy
ok $? "the notes' deployment is up on 4 nodes"
V="$V4CHECK -c $T/c.json -t 60"

# sample_line FILE N: log line N of a framed sample (its "N:" prefix dropped).
sample_line() { sed -n "s/^$2://p" "$P/$1"; }
# restore K: node K's logs as v4fake init writes them (healthy public lines).
restore() {
	_s=$(node_state "$1")
	sed 1d "$FAKE/logs/vllm-startup.txt" > "$_s/container_log"
	sed 1d "$FAKE/logs/plog-debug-warnings.txt" > "$_s/container_root/root/ascend/log/debug/plog/plog-4242_20260501080010123.log"
}

# Healthy: every node passes, the window says what it read.
run "$T/h" $V logs; is "$RC" 0 "reference deployment: logs exits 0"
like "$T/h" '^  PASS +OK +node\[1-4\]: no failing line in docker logs \(8 lines since start\)' "logs passes on all four nodes"
[ "$RC" = 0 ] || sed 's/^/# /' "$T/h"

# node3's engine plog gets the HCCL guide's ERROR CQE line.
sh "$FAKE/v4fake" fault "$(node_state 3)" plog-line "$(sample_line logs-plog.hicann-hccl-doc-cqe.txt 2)" >/dev/null
expect logs 3 FAIL LOG_ERROR_CQE "plog error CQE"
like "$T/o" 'node3: an error CQE .* first at /root/ascend/log/debug/plog/plog-4242_20260501080010123\.log:4: \[ERROR\] HCCL\(2040034,alltoall_test\)' "plog error CQE: the file, the line number and the quote"
restore 3

# node2's container log gets vllm-ascend#7384's EI0013 line.
sh "$FAKE/v4fake" fault "$(node_state 2)" log-line "$(sample_line logs-docker.vllm-ascend-7384-ei0013.txt 2)" >/dev/null
expect logs 2 FAIL LOG_ERROR_CQE "docker logs EI0013"
like "$T/o" 'node2: .*\[EI0013\] since the container started, 1 line\(s\); first at docker logs vllm \(line 9 of the last 9 since start\)' "docker logs EI0013: the window's line named"
restore 2

# node4: Ascend/pytorch#54's stuck collective, and the EI9999 before it.
for n in 7 8; do
	sh "$FAKE/v4fake" fault "$(node_state 4)" log-line "$(sample_line logs-docker.ascend-pytorch-54-fftsplus.txt $n)" >/dev/null
done
expect logs 4 FAIL LOG_TASK_TIMEOUT "fftsplus task timeout"
like "$T/o" 'node4: HCCL fault code EI9999 \(HCCL inner error' "fftsplus task timeout: the EI9999 code and its meaning"
restore 4

# node1: vllm-ascend#5509's aicore timeout in the plog.
sh "$FAKE/v4fake" fault "$(node_state 1)" plog-line "$(sample_line logs-docker.vllm-ascend-5509-aicore.txt 7)" >/dev/null
expect logs 1 FAIL LOG_AICORE_TIMEOUT "aicore timeout"
restore 1

# A failure line in a plog file last written before the container started
# (the run before a restart) is not judged: docker restart on node2.
sh "$FAKE/v4fake" fault "$(node_state 2)" plog-line "$(sample_line logs-plog.hicann-hccl-doc-cqe.txt 2)" >/dev/null
f=$(node_state 2)/container_root/root/ascend/log/debug/plog/plog-4242_20260501080010123.log
touch -d '2026-01-01 00:00:00 UTC' "$f"
date -u -d '2026-01-02 00:00:00 UTC' +%Y-%m-%dT%H:%M:%S.000000000Z > "$(node_state 2)/container_started_at"
run "$T/r" $V logs; is "$RC" 0 "a plog line from before the container's start: logs exits 0"
like "$T/r" 'node2: no failing line in docker logs \(8 lines since start\) nor in 1 plog file\(s\) written since' "the old file is not counted"
touch "$f"
expect logs 2 FAIL LOG_ERROR_CQE "the same file written again since the start"
restore 2

# --tier deep reads the longer window: a failure 3000 lines back in node3's
# container log is past the standard 2000 lines, within deep's 20000.
_s=$(node_state 3)
sh "$FAKE/v4fake" fault "$_s" log-line "$(sample_line logs-docker.vllm-ascend-5461-ei0006.txt 1)" >/dev/null
ok1=$(sed -n 1p "$_s/container_log")
i=0; while [ $i -lt 3000 ]; do printf '%s\n' "$ok1"; i=$((i + 1)); done >> "$_s/container_log"
run "$T/s" $V logs; is "$RC" 0 "an EI0006 3000 lines back: the standard window does not reach it"
run "$T/d" $V logs --tier deep; is "$RC" 2 "--tier deep: logs exits 2"
like "$T/d" '^  FAIL +LOG_HCCL_CODE +node3: HCCL fault code EI0006' "--tier deep: the EI0006 of node3 is caught"
only_node "$T/d" 3; ok $? "--tier deep: no other node is blamed"
restore 3

# Bounded: a 50 MB container log is read as its last tail_lines lines, cut
# to max_kib KiB (the evidence says how many lines were read of the window).
_s=$(node_state 1)
yes "$(sed -n 1p "$_s/container_log")" | head -c 52428800 > "$_s/container_log"
run "$T/b" $V logs -o json; is "$RC" 0 "a 50 MB container log: logs exits 0"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
res = [x for c in r["checks"] if c["id"] == "logs" for x in c["results"] if x["node"] == "node1"]
rd = res[0]["evidence"]["read"] if res and res[0].get("evidence") else []
d = [x for x in rd if x["where"] == "docker logs"]
print("# node1 docker logs:", d)
sys.exit(0 if d and d[0]["lines_in_window"] == 2000 and 0 < d[0]["lines_read"] <= 2000 else 1)
' "$T/b"
ok $? "a 50 MB log: the last 2000 lines at most were read"
restore 1

# A plog file of some 45 MB: only its last plog_read_mib (16) MiB are read, and the
# failure at its end is found there.
f=$(node_state 3)/container_root/root/ascend/log/debug/plog/plog-4242_20260501080010123.log
sample_line logs-plog.hicann-hccl-doc-healthy.txt 1 > "$T/l1"
yes "$(cat "$T/l1")" | head -n 300000 >> "$f"
sh "$FAKE/v4fake" fault "$(node_state 3)" plog-line "$(sample_line logs-plog.hicann-hccl-doc-cqe.txt 2)" >/dev/null
expect logs 3 FAIL LOG_ERROR_CQE "a 45 MB plog"
like "$T/o" 'node3: .*plog-4242_20260501080010123\.log \(line [0-9]+ after its first [0-9]+ bytes\)' "a 45 MB plog: read from its end, the line counted from there"
restore 3

# A 3 MB line without a newline: read cut to its first 2 KiB, no failure invented.
head -c 3000000 /dev/zero | tr '\0' 'x' >> "$(node_state 4)/container_log"
run "$T/l" $V logs; is "$RC" 0 "a 3 MB line without end: logs exits 0"
like "$T/l" 'node\[1-4\]: no failing line in docker logs \(8 lines since start\)|node4: no failing line in docker logs \(9 lines since start\)' "a 3 MB line: counted as one line"
restore 4

# A secret on a quoted line is masked in the text and in the JSON's facts.
sh "$FAKE/v4fake" fault "$(node_state 2)" log-line "vllm serve /data/m --api-key sk-logscan-secret-42 $(sample_line logs-docker.vllm-ascend-5461-ei0006.txt 1)" >/dev/null
run "$T/k" $V logs -o json; is "$RC" 2 "a failing line with an API key: logs exits 2"
grep -q 'sk-logscan-secret-42' "$T/k"; is $? 1 "the API key is in neither the finding nor the facts"
grep -q 'EI0006' "$T/k"; ok $? "the line is still quoted"
restore 2

run "$T/a" $V logs; is "$RC" 0 "every fault undone: logs exits 0"
echo "# $(($(date +%s) - T0)) s"
done_testing
