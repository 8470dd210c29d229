#!/bin/sh
# Field failures of issue 13 beyond the reference deployment's eight, part two
# (shared/reference/field-failures.md), each injected on ONE node of a healthy
# 4-node fake cluster (network namespaces, real sshd, fake Ascend tools): the
# matching check must name that node, and pass on the healthy cluster and
# again once the fault is undone.
# POSIX sh, root only; V4_CLUSTER picks the namespace set (default 10).
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-10}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
N=4
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
FAKE=$V4_REPO/fixtures/fake
T=$V4_WORK/t; mkdir -p "$T"
export NO_COLOR=1
T0=$(date +%s)

cluster_init_nodes
cluster_clean_command "$T/clean.sh"
cluster_config "$T/c.json" 5 "$(cluster_deployment "$T/clean.sh")"
V="$V4CHECK -c $T/c.json -t 60"


# Healthy: the new checks pass on all four nodes.
run "$T/h" $V binaries; is "$RC" 0 "healthy cluster: binaries exits 0"
like "$T/h" '^  PASS +OK +node\[1-4\]: 4 shared objects, the same bits' "binaries passes on all four nodes"
[ "$RC" = 0 ] || sed 's/^/# /' "$T/h"
run "$T/h" $V fabric; is "$RC" 0 "healthy cluster: fabric exits 0"
like "$T/h" '^  PASS +OK +node\[1-4\]: 8 NPU ports, no link-down in the last 24 h' "fabric passes on all four nodes"

# 4. node2's NPU 4 port went down six times in the last hour.
echo 6 > "$(node_state 2)/link_flaps.4"
expect fabric 2 FAIL LINK_FLAPPING "4 flapping port"
like "$T/o" 'node2: NPU 4: the link went down 6 times' "4 flapping port: the NPU is named"
rm -f "$(node_state 2)/link_flaps.4"

# 9. node4's NPU 1 in Alarm with a RestartNPU fault code (mind-cluster faultCode.json).
sh "$FAKE/v4fake" fault "$(node_state 4)" npu-health 1 Alarm >/dev/null
echo 8C03A000 > "$(node_state 4)/npu_errcode.1"
expect npu 4 FAIL NPU_FAULT_ACT "9 fault level"
like "$T/o" 'node4: NPU 1: fault code 8C03A000, MindCluster level RestartNPU: stop the service and reset' "9 fault level: code, level and action named"
# ... cleared (the NPU reset), then back: --state marks it as recurring.
run "$T/s1" $V npu --state "$T/state.json"
sh "$FAKE/v4fake" init "$(node_state 4)" --rank 3 --bond-ip "$(node_ip 4)" >/dev/null
run "$T/s2" $V npu --state "$T/state.json"
like "$T/s2" '^  - cleared +npu NPU_FAULT_ACT node4: NPU 1: fault code 8C03A000' "9 fault level: --state sees it clear"
sh "$FAKE/v4fake" fault "$(node_state 4)" npu-health 1 Alarm >/dev/null
echo 8C03A000 > "$(node_state 4)/npu_errcode.1"
run "$T/s3" $V npu --state "$T/state.json"
like "$T/s3" '^  \+ FAIL +npu NPU_FAULT_ACT node4: NPU 1: fault code 8C03A000.*\(again: cleared 1 time\(s\) in 24 h before\)$' "9 fault level: the same code back on the same NPU is marked as recurring"
sh "$FAKE/v4fake" init "$(node_state 4)" --rank 3 --bond-ip "$(node_ip 4)" >/dev/null

# 10. node3's torch_npu library rebuilt under the same version.
sh "$FAKE/v4fake" fault "$(node_state 3)" so-rebuilt torch_npu/lib/libtorch_npu.so >/dev/null
expect binaries 3 FAIL SO_DRIFT "10 same bits"
like "$T/o" 'node3: torch_npu 2.10.0: torch_npu/lib/libtorch_npu.so is sha256 ' "10 same bits: the file is named"
sh "$FAKE/v4fake" init "$(node_state 3)" --rank 2 --bond-ip "$(node_ip 3)" >/dev/null

# Every fault undone: the cluster passes again.
run "$T/a" $V all; is "$RC" 0 "after restoring: v4check all exits 0"
[ "$RC" = 0 ] || grep -E '^  (FAIL|ERROR|WARN)' "$T/a" | sed 's/^/# /'
echo "# $(($(date +%s) - T0)) s"
done_testing
