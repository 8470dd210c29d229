#!/bin/sh
# Hostile nodes: node1 of a 4-node cluster misbehaves (floods, junk, endless
# output, a tool that ignores SIGTERM, a dropped connection, a dead link, an
# sshd that never sends its banner, a very slow node). Each case must end in
# ERROR or UNREACHABLE for node1 with the cause, within the deadline, with
# bounded memory, the healthy nodes still PASS, exit status 3, and no probe
# process left on node1. Root only; V4_CLUSTER=4 by default.
V4_CLUSTER=${V4_CLUSTER:-4}
# The "drop" fault kills the session's sshd processes from inside the session: it must
# see them, so these nodes share the machine's process namespace.
V4_NODE_PIDNS=0
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
[ -x /usr/bin/time ] || { echo "1..0 # SKIP /usr/bin/time unavailable"; exit 0; }
V4CHECK=$(pwd)/v4check
N=4
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
FAKE=$V4_REPO/fixtures/fake
T=$V4_WORK/t; mkdir -p $T
export NO_COLOR=1
RSS_MAX_KB=65536 # 64 MiB: the 4 MiB per-stream output cap keeps it far below

cluster_config $T/c.json 10
cluster_init_nodes

# leftovers I: processes in node i's namespace other than sshd (probe leftovers).
leftovers() {
	for p in $(ip netns pids ${V4_NS}n$1); do
		c=$(cat /proc/$p/comm 2>/dev/null) || continue
		case $c in sshd*) ;; *) printf '%s ' "$p:$c" ;; esac
	done
}

# wait_clean I SECS: waits until node i has no leftover; prints the seconds waited.
wait_clean() {
	w=0
	while [ -n "$(leftovers $1)" ] && [ $w -lt $(($2 * 10)) ]; do
		sleep 0.1
		w=$((w + 1))
	done
	echo $((w / 10))
}

# hostile NAME MAXSEC CAUSE-REGEX [v4check options...]: runs tls and npu-mem
# against the cluster with node1 hostile and checks the common promises.
hostile() {
	name=$1 maxs=$2 cause=$3
	shift 3
	t0=$(date +%s%N)
	/usr/bin/time -f %M -o $T/rss "$V4CHECK" -c $T/c.json tls npu-mem "$@" > $T/o 2>&1
	RC=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	rss=$(tail -1 $T/rss)
	echo "# $name: exit $RC, $ms ms, peak RSS $rss KB"
	echo "| $name | $(grep -E 'node1' $T/o | grep -vE '^ *PASS' | head -1 | sed 's/^ *//; s/|/\\|/g') | $RC | $ms | $rss |" >> $T/table
	is $RC 3 "$name: exit status 3 (could not check)"
	like $T/o "(ERROR|UNREACHABLE) +[A-Z_]+ +node1: .*($cause)" "$name: node1 ERROR/UNREACHABLE with the cause"
	is "$((ms <= maxs * 1000))" 1 "$name: ended within $maxs s ($ms ms)"
	is "$((rss < RSS_MAX_KB))" 1 "$name: peak RSS $rss KB < $RSS_MAX_KB KB"
	like $T/o 'PASS +OK +node\[2-4\]: TLS disabled on all 8 NPUs' "$name: tls PASS on the healthy nodes"
	like $T/o 'PASS +OK +node\[2-4\]: no HBM held' "$name: npu-mem PASS on the healthy nodes"
	unlike $T/o 'FAIL ' "$name: no FAIL invented"
}

# clean NAME: clears node1's faults and checks no probe process is left on it.
clean() {
	sh $FAKE/v4fake fault "$(node_state 1)" clear >/dev/null
	rm -f "$(node_state 1)/delay_ms"
	w=$(wait_clean 1 15)
	is "$(leftovers 1)" "" "$1: no probe process left on node1 (after ${w} s)"
}

: > $T/table
run $T/o "$V4CHECK" -c $T/c.json tls npu-mem; is $RC 0 "healthy cluster passes first"

# 50 MB of output: kept to the 4 MiB cap, memory bounded.
sh $FAKE/v4fake fault "$(node_state 1)" npusmi-flood >/dev/null
hostile "50 MB of output" 45 'npu-smi|not understood|table|truncat|cut' -t 30 --deadline 45
clean "50 MB of output"

# Binary junk instead of the table.
sh $FAKE/v4fake fault "$(node_state 1)" npusmi-junk >/dev/null
hostile "binary junk" 30 'npu-smi|not understood|table' -t 8 --deadline 30
grep -q "$(printf '\001')" $T/o; is $? 1 "binary junk: no control bytes copied into the report"
clean "binary junk"

# Output that never ends.
sh $FAKE/v4fake fault "$(node_state 1)" npusmi-endless >/dev/null
hostile "endless output" 60 'timed out' -t 20 --deadline 60
clean "endless output"

# A tool that ignores SIGTERM.
sh $FAKE/v4fake fault "$(node_state 1)" npusmi-ignore-term >/dev/null
hostile "ignores SIGTERM" 60 'timed out' -t 20 --deadline 60
clean "ignores SIGTERM"

# The connection drops mid-probe (the fake kills its own sshd session).
sh $FAKE/v4fake fault "$(node_state 1)" npusmi-drop >/dev/null
hostile "connection dropped" 30 'connection lost|connect|closed|disconnect' -t 10 --deadline 40
clean "connection dropped"

# The node's link goes down mid-probe: no RST, nothing answers.
sh $FAKE/v4fake fault "$(node_state 1)" npusmi-link-down >/dev/null
hostile "link down mid-probe" 32 'timed out|connection lost|deadline' -t 8 --deadline 25
node_exec 1 ip link set bond1 up
clean "link down mid-probe"

# sshd accepts TCP and never sends its banner.
node_freeze_sshd 1
hostile "sshd stalls before banner" 15 'handshake.*timed out|banner' -t 10 --deadline 30 --connect-timeout 3
node_thaw_sshd 1
clean "sshd stalls before banner"

# A very slow node: every call takes 60 s; the run deadline (12 s) ends it.
sh $FAKE/v4fake fault "$(node_state 1)" delay 60000 >/dev/null
hostile "very slow node (deadline)" 20 'run deadline reached' -t 30 --deadline 12
clean "very slow node (deadline)"

# Same node, probe timeout shorter than the deadline.
sh $FAKE/v4fake fault "$(node_state 1)" delay 60000 >/dev/null
hostile "very slow node (timeout)" 40 'timed out after 6 s' -t 6 --deadline 40
clean "very slow node (timeout)"

# A FAIL elsewhere as well: exit status 2, node1 still reported.
sh $FAKE/v4fake fault "$(node_state 3)" tls-on >/dev/null
sh $FAKE/v4fake fault "$(node_state 1)" npusmi-endless >/dev/null
run $T/o "$V4CHECK" -c $T/c.json tls -t 20 --deadline 60
is $RC 2 "hostile node1 + FAIL on node3: exit status 2"
like $T/o 'ERROR +[A-Z_]+ +node1: .*timed out' "node1 still ERROR"
like $T/o 'FAIL +TLS_MISMATCH +node3' "node3 FAIL"
sh $FAKE/v4fake fault "$(node_state 3)" tls-off >/dev/null
clean "hostile + FAIL"

run $T/o "$V4CHECK" -c $T/c.json tls npu-mem; is $RC 0 "the cluster passes again afterwards"
[ -n "${HOSTILE_TABLE:-}" ] && cp $T/table "$HOSTILE_TABLE"
done_testing
