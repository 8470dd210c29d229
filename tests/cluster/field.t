#!/bin/sh
# Field failures beyond the reference deployment's eight (issue 13,
# shared/reference/field-failures.md), each injected on ONE node of a healthy
# 4-node fake cluster (network namespaces, real sshd and ss, fake Ascend
# tools): the matching check must name that node, and the cluster must pass
# again once the fault is undone. Also the tiers: `all --tier quick` runs the
# quick checks only, `--budget` leaves checks out with OVER_BUDGET; the wall
# time and probe count of each tier are printed (figures, not asserted:
# bench/tiers.sh measures them properly).
# POSIX sh, root only; V4_CLUSTER picks the namespace set (default 4).
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-14}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
N=4
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
FAKE=$V4_REPO/fixtures/fake
T=$V4_WORK/t; mkdir -p "$T"
export NO_COLOR=1

cluster_init_nodes
cluster_clean_command "$T/clean.sh"
cluster_config "$T/c.json" 5 "$(cluster_deployment "$T/clean.sh")"
V="$V4CHECK -c $T/c.json -t 60"


# listen K PORT: a process named python3 listening on PORT in node K's
# network and process namespaces (ss there names it) while $T/listening exists.
listen() {
	: > "$T/listening"; : > "$T/listen.out"
	node_exec "$1" nsenter --target "$(cat "$V4_WORK/sshd$1/init.pid")" --pid -- \
		python3 -c 'import os, socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(); print("up", flush=True)
while os.path.exists(sys.argv[2]): time.sleep(0.05)' "$2" "$T/listening" > "$T/listen.out" 2>&1 &
	_n=0
	while [ $_n -lt 600 ] && ! grep -q up "$T/listen.out"; do sleep 0.05; _n=$((_n + 1)); done # a loaded machine starts python slowly
}

# unlisten: stops the listener and waits for it.
unlisten() { rm -f "$T/listening"; wait; }

# The healthy cluster passes every check of every tier.
run "$T/all" $V --tier deep all; is "$RC" 0 "healthy 4-node cluster: v4check --tier deep all exits 0"
unlike "$T/all" '^  (FAIL|ERROR|WARN|UNREACHABLE) ' "no FAIL, ERROR, WARN or UNREACHABLE line"
[ "$RC" = 0 ] || grep -E '^  (FAIL|ERROR|WARN|UNREACHABLE)' "$T/all" | sed 's/^/# /'
like "$T/all" '^  PASS +OK +node\[1-4\]: [0-9]+ HCCL variables set, all in range' "hccl-env passes on all four nodes"
like "$T/all" '^  PASS +OK +node1: 60000-60015, the DP RPC and API ports free' "ports passes on rank 0 (HCCL, DP RPC, API)"
like "$T/all" '^  PASS +OK +node\[2-4\]: 60000-60015 free' "ports passes on the headless ranks (HCCL)"
like "$T/all" "^  PASS +OK +node\\[1-4\\]: NPU 0-7 are vllm's alone" "npu-sharing passes on all four nodes"

# Field 2 (507014 / 500001): node3's image carries a CANN that lists only
# drivers newer than the host's (compatible_version), read inside the container.
for f in "$(node_state 3)"/container_root/usr/local/Ascend/ascend-toolkit/latest/*-linux/ascend_toolkit_install.info \
	"$(node_state 3)"/container_root/usr/local/Ascend/cann/*-linux/ascend_toolkit_install.info; do
	cp "$f" "$f.orig"; sed -i 's/^compatible_version=.*/compatible_version=[V100R001C26],[V100R001C27]/' "$f"
done
expect versions 3 FAIL CANN_DRIVER_INCOMPATIBLE "CANN vs driver"
like "$T/o" "node3: CANN 9.0.0 \(innerversion V100R001C25SPC001B210\) and driver 25.5.1 .* CANN's compatible_version does not list the driver's Innerversion" "CANN vs driver: says which list lacks which version"
for f in "$(node_state 3)"/container_root/usr/local/Ascend/*/*-linux/ascend_toolkit_install.info.orig \
	"$(node_state 3)"/container_root/usr/local/Ascend/ascend-toolkit/latest/*-linux/ascend_toolkit_install.info.orig; do
	[ -f "$f" ] && mv "$f" "${f%.orig}"
done

# Field 17: NPU 5 of node1 was left on an older firmware.
echo 7.8.0.5.200 > "$(node_state 1)/firmware_version.5"
expect versions 1 FAIL FIRMWARE_MIXED "per-NPU firmware"
like "$T/o" "node1: NPU firmware differs on this node: 7.8.0.5.200 on NPU 5; 7 NPUs have 7.8.0.6.201" "per-NPU firmware: names the NPU"
rm -f "$(node_state 1)/firmware_version.5"

# Field 6 (EI0001): node3's container was created with HCCL_CONNECT_TIMEOUT=9000.
sh "$FAKE/v4fake" fault "$(node_state 3)" container-env HCCL_CONNECT_TIMEOUT=9000 >/dev/null
expect hccl-env 3 FAIL HCCL_ENV_INVALID "EI0001 range"
like "$T/o" "node3: HCCL_CONNECT_TIMEOUT=9000 \(in the container's Config.Env\): HCCL accepts an integer in \[120, 7200\]" "EI0001 range: the value, where it is set and the range"
sh "$FAKE/v4fake" fault "$(node_state 3)" container-env HCCL_CONNECT_TIMEOUT=7200 >/dev/null

# Field 4 (EJ0003): another job on node2 listens on 60005, inside HCCL's range.
listen 2 60005
expect ports 2 FAIL PORT_IN_USE "HCCL port taken"
like "$T/o" "node2: port 60005 \(HCCL .*\) is taken by python3 \(pid [0-9]+\) listening on 0.0.0.0" "HCCL port taken: the holder by name and pid"
unlisten
# ... and one on rank 0's DP RPC port.
listen 1 29550
expect ports 1 FAIL PORT_IN_USE "DP RPC port taken"
like "$T/o" "node1: port 29550 \(the DP RPC port \(--data-parallel-rpc-port, default 29550\)\)" "DP RPC port taken: names the port's use"
unlisten

# Field 3 (-8005): a test container on node4 was given NPU 5 too.
sh "$FAKE/v4fake" fault "$(node_state 4)" other-container vllm-test 5 >/dev/null
expect npu-sharing 4 FAIL NPU_SHARED "NPU held by another container"
like "$T/o" "node4: container vllm-test \([0-9a-f]{12}, .*\) also has NPU 5: " "NPU held by another container: names the container and the NPU"
sh "$FAKE/v4fake" fault "$(node_state 4)" other-container-remove vllm-test >/dev/null
# ... and node1's serve script makes NPUs 8-15 visible in a container of 8.
sed '1i export ASCEND_RT_VISIBLE_DEVICES=8-15' "$T/clean.sh" > "$T/variant.sh"
python3 - "$T/c.json" "$T/variant.sh" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["nodes"][0]["serve_command"] = open(sys.argv[2]).read()
json.dump(c, open(sys.argv[1], "w"))
PY
expect npu-sharing 1 FAIL VISIBLE_DEVICES_BAD "ASCEND_RT_VISIBLE_DEVICES past the devices"
cluster_config "$T/c.json" 5 "$(cluster_deployment "$T/clean.sh")"

# Field 12 (Too many open files): node2's container was created with --ulimit nofile=1024:1024.
sh "$FAKE/v4fake" fault "$(node_state 2)" container-ulimit nofile 1024 1024 >/dev/null
expect limits 2 FAIL CONTAINER_ULIMIT_LOW "nofile 1024"
rm -f "$(node_state 2)/container_ulimits"

# Field 13 (OOM while loading): node3's copy of the model has a 1 TiB shard
# (sparse): its share is far beyond the host memory.
truncate -s 1T "$(node_state 3)/data/models/DeepSeek-V4-Pro-w4a8-mtp/model-00002-of-00002.safetensors"
expect host-mem 3 FAIL HOST_MEM_SHORT "host memory for loading"
rm -f "$(node_state 3)/data/models/DeepSeek-V4-Pro-w4a8-mtp/model-00002-of-00002.safetensors"

# Tiers: quick runs the quick checks only; a small budget leaves checks out.
quick=$($V4CHECK list | awk '$3 == "quick" {print $1}' | sort | tr '\n' ' ')
run "$T/q" $V --tier quick all; is "$RC" 0 "--tier quick on the healthy cluster exits 0"
is "$(grep -oE '^[a-z-]+  ' "$T/q" | tr -d ' ' | sort | tr '\n' ' ')" "$quick" "--tier quick runs the quick checks only"
run "$T/b" $V --budget 2 all
like "$T/b" '^  SKIP +OVER_BUDGET +cluster: left out by --budget 2' "--budget 2 leaves checks out, saying so"
unlike "$T/b" '^  (FAIL|ERROR|WARN|UNREACHABLE) ' "--budget 2: what it ran passes"

# Figures: wall time and probes (all nodes) of each tier, one run each.
for t in quick standard deep; do
	t0=$(date +%s.%N)
	$V --tier $t -o json all > "$T/$t.json" 2>/dev/null
	t1=$(date +%s.%N)
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print("# --tier %-8s %6.2f s, %d probes" % (sys.argv[2], float(sys.argv[4]) - float(sys.argv[3]), sum(n["probes"] for n in d["nodes"])))' "$T/$t.json" $t "$t0" "$t1"
done

# Every fault undone: the cluster passes again.
run "$T/all" $V --tier deep all; is "$RC" 0 "after restoring: v4check --tier deep all exits 0"
[ "$RC" = 0 ] || grep -E '^  (FAIL|ERROR|WARN)' "$T/all" | sed 's/^/# /'
done_testing
