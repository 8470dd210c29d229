#!/bin/sh
# Field failures of issue 13, item 4 (shared/reference/field-failures.md 7: the
# RoCE fabric not lossless, optics degrading), each injected on ONE NPU of ONE
# node of a healthy 4-node fake cluster (network namespaces, real sshd, fake
# Ascend tools printing the published formats): the check must name that node
# and NPU, and pass on the healthy cluster and again once the fault is undone.
# POSIX sh, root only; V4_CLUSTER picks the namespace set (default 16).
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-16}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
N=4
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
T=$V4_WORK/t; mkdir -p "$T"
export NO_COLOR=1
T0=$(date +%s)

cluster_init_nodes
cluster_clean_command "$T/clean.sh"
cluster_config "$T/c.json" 5 "$(cluster_deployment "$T/clean.sh")"
V="$V4CHECK -c $T/c.json -t 60"

# Healthy: fabric and roce-counters pass on all four nodes.
run "$T/h" $V fabric; is "$RC" 0 "healthy cluster: fabric exits 0"
like "$T/h" '^  PASS +OK +node\[1-4\]: 8 NPU ports, no link-down in the last 24 h, optical power within the module thresholds, PFC as on the other NPUs$' \
	"fabric passes on all four nodes: links, optics, PFC"
[ "$RC" = 0 ] || sed 's/^/# /' "$T/h"
run "$T/h" $V roce-counters; is "$RC" 0 "healthy cluster: roce-counters exits 0"
like "$T/h" '^  PASS +OK +node\[1-4\]: 8 NPU ports: no error or pause counter grew between the two reads$' \
	"roce-counters passes on all four nodes"
[ "$RC" = 0 ] || sed 's/^/# /' "$T/h"
# The counters are read twice, interval_s (3 s) apart: -v counts the NPU
# list, 8 first reads, the wait and 8 second reads, and the wait's seconds.
run "$T/v" $V roce-counters -v
like "$T/v" '^v4check: node1: 18 probes in [3-9][0-9]{3} ms' "roce-counters: two reads of 8 NPUs with a wait of seconds between"
# The tiers: roce-counters is deep, fabric standard.
run "$T/ts" $V all --tier standard -o json
grep -q '"id":[[:space:]]*"roce-counters"' "$T/ts"; [ $? -ne 0 ]; ok $? "--tier standard leaves roce-counters out"
grep -q '"id":[[:space:]]*"fabric"' "$T/ts"; ok $? "--tier standard runs fabric"
run "$T/td" $V all --tier deep -o json
grep -q '"id":[[:space:]]*"roce-counters"' "$T/td"; ok $? "--tier deep runs roce-counters"

# 4a. node3's NPU 5 pauses priority 3, every other NPU priority 4.
echo "0 0 0 1 0 0 0 0" > "$(node_state 3)/pfc.5"
expect fabric 3 FAIL PFC_MISMATCH "4a PFC"
like "$T/o" 'node3: NPU 5: PFC on priority 3, the other NPUs of the cluster on 4' "4a PFC: the NPU and both priorities are named"
rm -f "$(node_state 3)/pfc.5"

# 4b. No NPU of any node pauses any priority: consistent, but lossy.
for i in 1 2 3 4; do for k in 0 1 2 3 4 5 6 7; do echo "0 0 0 0 0 0 0 0" > "$(node_state $i)/pfc.$k"; done; done
run "$T/o" $V fabric; is "$RC" 1 "4b PFC off everywhere: fabric exits 1 (WARN)"
like "$T/o" '^  WARN +PFC_OFF +cluster: PFC is on no priority on 32 NPUs' "4b PFC off: one verdict for the cluster, 32 NPUs"
for i in 1 2 3 4; do rm -f "$(node_state $i)"/pfc.*; done

# 4c. node2's NPU 6 module receives 0.0400 mW, below its 0.1445 mW threshold.
echo 0.0400 > "$(node_state 2)/optical_rx.6"
expect fabric 2 FAIL OPTICAL_POWER "4c optical power"
like "$T/o" 'node2: NPU 6: Rx lane 0 0.0400 mW below the module low threshold 0.1445 mW' "4c optical power: NPU, lane, value and threshold named"
rm -f "$(node_state 2)/optical_rx.6"

# 4d. node4's NPU 2 retransmits 50 packets a second.
echo "roce_new_pkt_rty_num 50" > "$(node_state 4)/stat_grow.2"
expect roce-counters 4 FAIL COUNTERS_ERRORS "4d error counters"
like "$T/o" 'node4: NPU 2: roce_new_pkt_rty_num \+[0-9]+ in [0-9.]+ s: the port drops or corrupts packets' "4d error counters: NPU, counter, growth and interval named"
rm -f "$(node_state 4)/stat_grow.2"

# 4e. node1's NPU 0 receives PFC pause frames.
echo "mac_rx_pfc_pkt_num 100" > "$(node_state 1)/stat_grow.0"
expect roce-counters 1 WARN COUNTERS_PAUSE "4e pause counters"
like "$T/o" 'node1: NPU 0: mac_rx_pfc_pkt_num \+[0-9]+ in [0-9.]+ s: the port is paused' "4e pause counters: NPU and counter named"
rm -f "$(node_state 1)/stat_grow.0"

# Every fault undone: the cluster passes again, deep tier included.
run "$T/a" $V all --tier deep; is "$RC" 0 "after restoring: v4check all --tier deep exits 0"
[ "$RC" = 0 ] || grep -E '^  (FAIL|ERROR|WARN)' "$T/a" | sed 's/^/# /'
echo "# $(($(date +%s) - T0)) s"
done_testing
