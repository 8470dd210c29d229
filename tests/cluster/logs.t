#!/bin/sh
# logs (issue 13 item 6, live): on the reference deployment built as the
# notes write it (lib.sh: cluster_reference_deploy; the fake container's log
# and the engine's plog hold healthy lines of public logs) the logs check
# passes on all four nodes; a real failure line (each from a public log,
# fixtures/parse/logs-*.txt) written into ONE node's container log or engine
# plog is caught, naming that node, the file and the line; a line written
# before the container's start is not judged; --tier deep reads the longer
# window; a python core dump since the start (the real coredumpctl over a
# journal the real systemd-journal-remote writes) or a core file in the serving
# process's cwd fails, one from before the start is not judged, another
# handler is named, coredumpctl missing is an ERROR. POSIX sh, root only;
# V4_CLUSTER=17.
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

# Core dumps, read where each node's core_pattern (node-shell binds the
# node's file over /proc/sys/kernel/core_pattern) sends them: the REAL
# coredumpctl lists the node's own journal folder (bound over the host's),
# into which the REAL systemd-journal-remote writes the entry systemd-coredump
# logs (journal export format). The host's core_pattern stays as it was.
CP0=$(cat /proc/sys/kernel/core_pattern)
JR=$V4_REPO/build-coredump/lib/systemd/systemd-journal-remote
MID=$(cat /etc/machine-id 2>/dev/null)
# jdir K: node K's journal folder for this machine id (the host's place).
jdir() { [ -d /var/log/journal ] && echo "$(node_state "$1")/var/log/journal/$MID" || echo "$(node_state "$1")/run/log/journal/$MID"; }
# coredump K PID EXE EPOCH: a SIGSEGV core dump entry of EXE in node K's journal.
coredump() {
	mkdir -p "$(jdir "$1")"
	_us=${4}000000
	printf '%s\n' "__REALTIME_TIMESTAMP=$_us" "_BOOT_ID=0123456789abcdef0123456789abcdef" \
		"_MACHINE_ID=$MID" "_HOSTNAME=node$1" "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1" \
		"PRIORITY=2" "COREDUMP_PID=$2" "COREDUMP_UID=0" "COREDUMP_GID=0" "COREDUMP_SIGNAL=11" \
		"COREDUMP_SIGNAL_NAME=SIGSEGV" "COREDUMP_TIMESTAMP=$_us" "COREDUMP_COMM=${3##*/}" \
		"COREDUMP_EXE=$3" "COREDUMP_CMDLINE=${3##*/} -m vllm.entrypoints.cli.main serve" \
		"COREDUMP_FILENAME=/var/lib/systemd/coredump/core.${3##*/}.0.0123456789abcdef0123456789abcdef.$2.$_us.zst" \
		"MESSAGE=Process $2 (${3##*/}) of user 0 dumped core." "" |
		"$JR" -o "$(jdir "$1")/remote-$2.journal" - 2>/dev/null
}
# nocores K: node K's core setup as v4fake init writes it.
nocores() {
	rm -f "$(node_state "$1")"/var/log/journal/*/remote-[0-9]*.journal "$(node_state "$1")"/run/log/journal/*/remote-[0-9]*.journal
	echo '|/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h %d' > "$(node_state "$1")/proc/sys/kernel/core_pattern"
}
if [ -x "$JR" ] && [ -n "$MID" ] && [ -x "$V4_WORK/hostbin/coredumpctl" ]; then
	now=$(date +%s)
	coredump 2 4242 /usr/bin/python3.11 "$now"; ok $? "systemd-journal-remote wrote node2's core dump entry"
	expect logs 2 FAIL LOG_CORE_DUMP "a python core dump since the start"
	like "$T/o" 'node2: 1 core dump\(s\) of the engine.s processes since the container started \(coredumpctl\); first: /usr/bin/python3\.11 \(pid 4242\) on SIGSEGV at ' "python core dump: the exe, the pid and the signal"
	nocores 2

	# A core dump from before the container's start (2026-04-01): not judged.
	coredump 3 5151 /usr/bin/python3.11 "$(date -u -d '2026-04-01 00:00:00 UTC' +%s)"
	run "$T/c0" $V logs; is "$RC" 0 "a core dump before the container started: logs exits 0"
	like "$T/c0" 'node\[1-4\]: no failing line .*; no core dump since \(coredumpctl\)' "the old dump is not counted"
	nocores 3

	# Another program's dump: a warning.
	coredump 4 6161 /usr/bin/sleep "$now"
	expect logs 4 WARN LOG_CORE_DUMP_OTHER "another process's core dump"
	nocores 4

	# A path pattern "core": a core file in the serving process's cwd.
	echo core > "$(node_state 1)/proc/sys/kernel/core_pattern"
	srv=
	for p in $(ip netns pids "${V4_NS}n1"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$V4_WORK/fake-vllm" ] || continue
		[ "$(readlink "/proc/$p/cwd")" = "$(node_state 1)" ] && srv=$p && break
	done
	ok "$([ -n "$srv" ]; echo $?)" "node1's fake vLLM runs in its state folder"
	echo core > "$(node_state 1)/core.4311"
	expect logs 1 FAIL LOG_CORE_DUMP "a core file in the serving process's cwd"
	like "$T/o" 'node1: 1 core file\(s\) written since the container started in /proc/[0-9]+/cwd/ \(core_pattern core\); first: core\.4311' "core file: the folder and the name"
	rm -f "$(node_state 1)/core.4311"
	run "$T/c1" $V logs; is "$RC" 0 "the core file gone: logs exits 0"
	like "$T/c1" 'node1: no failing line .*; no core file since in /proc/[0-9]+/cwd/' "a path pattern: the folder read is named"
	nocores 1

	# coredumpctl absent on node3 (its PATH without hostbin): ERROR naming it.
	cp "$V4_WORK/sshd3/sshd_config" "$T/sshd_config.3"
	sed -i "/^SetEnv PATH=/s|:$V4_WORK/hostbin:|:|" "$V4_WORK/sshd3/sshd_config"
	node_stop_sshd 3; node_start_sshd 3
	expect logs 3 ERROR PROBE_FAILED "coredumpctl absent"
	like "$T/o" 'node3: .*coredumpctl \(package systemd-coredump\) is not on the node.s PATH' "coredumpctl absent: named"
	cp "$T/sshd_config.3" "$V4_WORK/sshd3/sshd_config"
	node_stop_sshd 3; node_start_sshd 3

	# apport's pipe on node2: not looked for, said (SKIP), the node still passes.
	echo '|/usr/share/apport/apport -p%p -s%s -c%c -d%d -P%P -u%u -g%g -- %E' > "$(node_state 2)/proc/sys/kernel/core_pattern"
	run "$T/c2" $V logs; is "$RC" 0 "apport's pipe: logs exits 0"
	like "$T/c2" '^  SKIP +LOG_CORES_UNREAD +node2: core_pattern pipes core dumps to /usr/share/apport/apport, which this check does not read' "apport's pipe: the handler is named"
	nocores 2
	is "$(cat /proc/sys/kernel/core_pattern)" "$CP0" "the host's core_pattern is unchanged"
else
	skip "no systemd-journal-remote/coredumpctl unpacked (tests/coredump-tools.sh) or /etc/machine-id"
fi

run "$T/a" $V logs; is "$RC" 0 "every fault undone: logs exits 0"
echo "# $(($(date +%s) - T0)) s"
done_testing
