#!/bin/sh
# Issue 13 items 7 and 8 (and, of items 9 and 1, HBM isolated pages and the
# MCU per NPU) on the reference deployment (lib.sh:
# cluster_reference_deploy, the notes' deployment with vllm serve running on
# every rank): the sampled cross-node NPU matrix and the net detect / gateway
# settings (reach), and CPU binding with each worker on its NPU's NUMA node
# (numa). Both pass on the healthy cluster; each fault, injected on one node
# (one NPU pair, one NPU, one worker), is caught naming it, and the cluster
# passes again once it is undone. POSIX sh, root only; V4_CLUSTER=18.
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-18}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
cluster_up 4 || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
T=$V4_WORK/t; mkdir -p "$T"
FAKE=$V4_REPO/fixtures/fake
export NO_COLOR=1

# The built-in reference configuration with this cluster's nodes and keys,
# each node's NPU addresses (v4fake's layout: rank R's NPU N is
# 10.20.R.(N+11), never contacted: the fake hccn_tool answers from its state)
# and a fixed rotation, so that the pairs pinged are known here.
reference_config "$T/c.json" '
for i, x in enumerate(c["nodes"]):
    x["npu_ips"] = ["10.20.%d.%d" % (i, n + 11) for n in range(8)]
c["checks"]["reach"] = {"rotation": 0}'
V="$V4CHECK -c $T/c.json -t 60"
BASE='ARGS_UNKNOWN_KEY|LOADER_STRING_BOOL|LOADER_STRATEGY_IGNORED|PREFIX_CACHE_ON'

# peers_all: each node's fake answers pings to the other nodes' NPUs (the fabric).
peers_all() {
	for i in 1 2 3 4; do
		: >"$(node_state $i)/peers"
		for j in 1 2 3 4; do
			[ $i = $j ] && continue
			for n in 0 1 2 3 4 5 6 7; do echo "10.20.$((j - 1)).$((n + 11))" >>"$(node_state $i)/peers"; done
		done
	done
}
# reserve i: restarts node i's fake vLLM (its workers bind again).
reserve() {
	node_unserve "$1" && node_serve "$1" "$(node_state "$1")/serve.env" "$(node_state "$1")/serve.argv"
}

cluster_reference_deploy
ok $? "the notes' deployment is up on 4 nodes (vllm serve running on every rank)"
peers_all

# Healthy: both pass on every node.
T0=$(date +%s%N)
run "$T/h" $V reach
T1=$(date +%s%N)
is "$RC" 0 "healthy: reach exits 0"
like "$T/h" '^  PASS +OK +node\[1-4\]: 48 NPU pairs to 3 other nodes without loss \(rotation 0\); one net detect address' \
	"healthy: reach passes on all four nodes (48 pairs each)"
[ "$RC" = 0 ] || sed 's/^/# /' "$T/h"
echo "# reach on 4 nodes: $(((T1 - T0) / 1000000)) ms"
run "$T/h" $V numa
is "$RC" 0 "healthy: numa exits 0"
like "$T/h" '^  PASS +OK +node\[1-4\]: CPU binding on; 8 workers on CPUs of their NPU.s NUMA node or the next \(3 NUMA nodes\)' \
	"healthy: numa passes on all four nodes"
[ "$RC" = 0 ] || sed 's/^/# /' "$T/h"

# 7. node1's NPU 3 cannot reach node2's NPU 5 (one pair, e.g. a switch ACL).
sh "$FAKE/v4fake" fault "$(node_state 1)" ping-unreachable 3 10.20.1.16 >/dev/null
expect reach 1 FAIL REACH_LOSS "7 one NPU pair"
like "$T/o" 'node1: NPU 3 -> node2 NPU 5 \(10\.20\.1\.16\): 0 of 3 packets received, 100\.00% loss' \
	"7 one NPU pair: both ends and the address named"
run "$T/r" $V roce
is "$RC" 0 "7 one NPU pair: roce's NPU i -> NPU i pings do not see it"
rm -f "$(node_state 1)/unreach.3"

# 7. node3's NPU 6 has a default gateway outside its subnet.
sh "$FAKE/v4fake" fault "$(node_state 3)" gateway-set 6 10.20.9.1 >/dev/null
expect reach 3 FAIL GATEWAY_SUBNET "7 gateway"
like "$T/o" "node3: NPU 6: default gateway 10\.20\.9\.1 is outside the NPU's subnet \(10\.20\.2\.17 netmask 255\.255\.255\.0\)" \
	"7 gateway: the NPU and both addresses named"
echo 10.20.2.1 >"$(node_state 3)/gateway.6"

# 7. node4's NPU 2 has a net detect address of its own.
sh "$FAKE/v4fake" fault "$(node_state 4)" netdetect-set 2 10.20.3.254 >/dev/null
expect reach 4 WARN NETDETECT_DIFFERS "7 net detect"
like "$T/o" "node4: NPU 2: net detect address 10\.20\.3\.254, the node's other NPUs have 10\.20\.3\.1" \
	"7 net detect: the NPU and both addresses named"
echo 10.20.3.1 >"$(node_state 4)/netdetect.2"

# 8. node2's worker of NPU 5 (NUMA node 1) bound to CPU 0 (node 0).
sh "$FAKE/v4fake" fault "$(node_state 2)" worker-cpus 5 0 >/dev/null
reserve 2
expect numa 2 WARN WORKER_REMOTE_NUMA "8 remote NUMA"
like "$T/o" 'node2: worker pid [0-9]+ \(NPU 5, NUMA node 1, CPUs 1\): allowed CPUs 0 are on NUMA node 0, not node 1 or 2' \
	"8 remote NUMA: the worker, its NPU and the nodes named"
echo 1 >"$(node_state 2)/worker_cpus.5"
reserve 2

# 8. node3 serves with "enable_cpu_binding": false.
cp "$(node_state 3)/serve.argv" "$T/argv3"
sed -i 's/"enable_cpu_binding": true/"enable_cpu_binding": false/' "$(node_state 3)/serve.argv"
reserve 3
expect numa 3 WARN CPU_BINDING_OFF "8 binding off"
cp "$T/argv3" "$(node_state 3)/serve.argv"
reserve 3

# 9 (in part). node4's NPU 1 retired 3 HBM pages after ECC errors.
echo 3 >"$(node_state 4)/ecc_HBM_Double_isolated.1"
expect npu 4 WARN HBM_ISOLATED_PAGES "9 isolated HBM pages"
like "$T/o" 'node4: NPU 1: HBM pages isolated after ECC errors' "9 isolated HBM pages: the NPU is named"
rm -f "$(node_state 4)/ecc_HBM_Double_isolated.1"

# 17 / 1 (MCU). node3's NPU 4 still runs the MCU it shipped with.
echo 23.3.13 >"$(node_state 3)/mcu_version.4"
expect versions 3 WARN MCU_MIXED "MCU per NPU"
like "$T/o" 'node3: NPU MCU differs on this node: 23\.3\.13 on NPU 4; 7 NPUs have 25\.50\.10' "MCU per NPU: the NPU and both versions named"
rm -f "$(node_state 3)/mcu_version.4"

# Every fault undone: the whole deep tier gives the notes' deployment its
# real findings only (the four WARNs of reference.t), reach and numa pass.
run "$T/a" $V all --tier deep
is "$RC" 1 "restored: v4check all --tier deep exits 1 (the notes' own WARNs)"
grep -E '^  (FAIL|WARN|ERROR) ' "$T/a" | grep -vE " ($BASE) " >"$T/other"
is "$(wc -l <"$T/other")" 0 "restored: nothing but the reference deployment's real findings"
sed 's/^/# /' "$T/other"
like "$T/a" '^  PASS +OK +node\[1-4\]: 48 NPU pairs' "restored: reach passes"
like "$T/a" '^  PASS +OK +node\[1-4\]: CPU binding on; 8 workers' "restored: numa passes"
done_testing
