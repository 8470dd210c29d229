#!/bin/sh
# Benchmark of the tiers: `v4check all --tier quick|standard|deep` on the
# healthy 4-node fake cluster (network namespaces + sshd, as the cluster tests
# build it; the fake Ascend tools take DELAY_MS a call). Prints, for each tier,
# the median wall time of RUNS runs and the probes run (all nodes), then each
# check run alone (median wall time and probes of one node): the figures the
# checks' declared costs (struct v4_check cost_ms) come from. A run that does
# not exit 0 on the healthy cluster is reported FAILED, not timed.
#
#   bench/tiers.sh            (root only)
# Env: RUNS (default 3), DELAY_MS (default 30), V4_CLUSTER (default 1).
set -u
cd "$(dirname "$0")/.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-1}
V4_REPO=$(pwd)
. tests/cluster/lib.sh
cluster_require >/dev/null
RUNS=${RUNS:-3}
DELAY_MS=${DELAY_MS:-30}
V4CHECK=$(pwd)/v4check
cluster_up 4 || { echo "tiers: the cluster did not come up" >&2; exit 1; }
cluster_init_nodes
i=1
while [ $i -le 4 ]; do echo "$DELAY_MS" > "$(node_state $i)/delay_ms"; i=$((i + 1)); done
cluster_clean_command "$V4_WORK/clean.sh"
cluster_config "$V4_WORK/c.json" 5 "$(cluster_deployment "$V4_WORK/clean.sh")"
export NO_COLOR=1

# run ARGS...: one run; prints "wall-seconds probes" or FAILED.
run() {
	_t0=$(date +%s.%N)
	"$V4CHECK" -c "$V4_WORK/c.json" -t 60 -o json "$@" > "$V4_WORK/out.json" 2>"$V4_WORK/err"
	_rc=$?
	_t1=$(date +%s.%N)
	[ $_rc = 0 ] || { echo FAILED; return; }
	python3 - "$_t0" "$_t1" "$V4_WORK/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[3]))
print("%.3f %d" % (float(sys.argv[2]) - float(sys.argv[1]), sum(n["probes"] for n in d["nodes"])))
PY
}

# median ARGS...: RUNS runs; prints "median-wall probes" or FAILED.
median() {
	: > "$V4_WORK/m"
	_r=0
	while [ $_r -lt "$RUNS" ]; do
		run "$@" >> "$V4_WORK/m"
		_r=$((_r + 1))
	done
	grep -q FAILED "$V4_WORK/m" && { echo FAILED; return; }
	sort -n "$V4_WORK/m" | sed -n "$(((RUNS + 1) / 2))p"
}

echo "# 4 nodes, fake tools ${DELAY_MS} ms a call, median of $RUNS runs"
printf '%-10s %8s %7s\n' tier wall_s probes
for t in quick standard deep; do
	set -- $(median --tier "$t" all)
	printf '%-10s %8s %7s\n' "$t" "$1" "${2:-}"
done
printf '\n%-14s %8s %7s  (alone, -H node1)\n' check wall_s probes
for c in $("$V4CHECK" list | awk '{print $1}'); do
	set -- $(median -H "$(node_ip 1)" "$c")
	printf '%-14s %8s %7s\n' "$c" "$1" "${2:-}"
done
