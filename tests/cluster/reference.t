#!/bin/sh
# The reference deployment, built exactly as seed-deployment-notes.txt writes
# it (lib.sh: cluster_reference_deploy: the container's own environment, the
# exports inside it, sitecustomize.py, the running `vllm serve` of every rank),
# passes `v4check all` apart from what the notes themselves call a problem and
# the serve command's real lint findings. Then the eight failure modes of the
# notes, each injected on one node of that deployment, are each caught by the
# check that owns them, naming the node (restored between faults). POSIX sh,
# root only; V4_CLUSTER=6.
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-6}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
cluster_up 4 || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
T=$V4_WORK/t; mkdir -p "$T"
export NO_COLOR=1

# The built-in reference configuration with this cluster's nodes and keys.
reference_config "$T/c.json"

cluster_reference_deploy
ok $? "the notes' deployment is up on 4 nodes (vllm serve running on every rank)"
V="$V4CHECK -c $T/c.json -t 60"
FAKE=$V4_REPO/fixtures/fake

# The findings the notes' deployment earns at vllm-ascend v0.21.0rc1
# (knowledge/AUDIT.md): the misspelt enable_npu_graph_ex, the string "true"
# loader flag, prefetch with no effect, and prefix caching on (the notes'
# own problem 6), each on every node; nothing else.
BASE='ARGS_UNKNOWN_KEY|LOADER_STRING_BOOL|LOADER_STRATEGY_IGNORED|PREFIX_CACHE_ON'
run "$T/all.json" $V all -o json
is "$RC" 1 "the reference deployment as written: v4check all exits 1 (WARN)"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted("%s %s %s %s" % (x["status"], c["id"], x["code"], x["node"])
             for c in r["checks"] for x in c["results"] if x["status"] not in ("PASS", "SKIP"))
want = sorted("WARN %s %s node%d" % (c, k, i) for i in range(1, 5) for c, k in
              (("serve-args", "ARGS_UNKNOWN_KEY"), ("loader", "LOADER_STRING_BOOL"),
               ("loader", "LOADER_STRATEGY_IGNORED"), ("prefix-cache", "PREFIX_CACHE_ON")))
for g in got:
    print("#", g)
sys.exit(0 if got == want else 1)
' "$T/all.json"
ok $? "exactly its real findings: enable_npu_graph_ex, the string loader flag, prefetch, prefix caching (failure 6), on each node"
grep -q '"enable_npugraph_ex stays\|keeps its default True' "$T/all.json"
ok $? "the misspelt key's finding says enable_npugraph_ex keeps its default"


# reserve K SED [ENV-SED]: node K's vllm serve restarted with its argv (one word
# a line) and environment edited.
reserve() {
	_st=$(node_state "$1")
	node_unserve "$1" || return 1
	reference_node "$1"
	sed -i "$2" "$_st/serve.argv"
	[ -n "${3:-}" ] && sed -i "$3" "$_st/serve.env"
	node_serve "$1" "$_st/serve.env" "$_st/serve.argv"
}

# restore K: node K as the notes deploy it again.
restore() { reserve "$1" 's/^//'; }

# 1. TLS on node3's NPUs.
sh "$FAKE/v4fake" fault "$(node_state 3)" tls-on >/dev/null
expect tls 3 FAIL TLS_MISMATCH "1 TLS"
sh "$FAKE/v4fake" fault "$(node_state 3)" tls-off >/dev/null

# 2. node2's rank runs eagerly.
reserve 2 '$a --enforce-eager'
expect graph-mode 2 FAIL GRAPH_EAGER "2 eager"
restore 2

# 3. gloo on loopback: node4's engine cores run without the interface variables
#    (its vllm serve started from a shell without the exports) and
#    sitecustomize.py, the notes' remedy, is not there.
reserve 4 's/^//' '/^\(HCCL_IF_IP\|IFNAME\|GLOO_SOCKET_IFNAME\|TP_SOCKET_IFNAME\|HCCL_SOCKET_IFNAME\)=/d'
sh "$FAKE/v4fake" fault "$(node_state 4)" sitecustomize-missing >/dev/null
expect netif 4 FAIL IFNAME_ENV_MISSING "3 gloo/NIC env"
like "$T/o" 'node4: process [0-9]* \(VLLM::EngineCor.*GLOO_SOCKET_IFNAME is not set' "3 gloo/NIC env: the engine core's GLOO_SOCKET_IFNAME is missing"
restore 4

# 4. KV overcommit on node1 (util 0.97), and enable_kv_nz on node2.
reserve 1 's/^0\.93$/0.97/'
expect kv-budget 1 FAIL KV_HEADROOM_SHORT "4 KV util 0.97"
restore 1
reserve 2 's/"enable_cpu_binding": true/"enable_cpu_binding": true, "enable_kv_nz": true/'
expect kv-budget 2 FAIL KV_NZ_CRASH "4 enable_kv_nz"
restore 2

# 5. enable_balance_scheduling on node2: the deployment's observation (WARN).
reserve 2 's/"enable_cpu_binding": true/"enable_cpu_binding": true, "enable_balance_scheduling": true/'
expect init-timeout 2 WARN BALANCE_SCHEDULING "5 balance scheduling"
restore 2

# 6. prefix caching: the notes' deployment already has it on (asserted above).

# 7. node1 loads without the multi-threaded loader.
reserve 1 '/^--model-loader-extra-config$/{N;d}'
expect loader 1 FAIL LOADER_MULTITHREAD_OFF "7 loader"
restore 1

# 8. NPU memory held on node3 after its vLLM was killed (pkill): no process holds it.
node_unserve 3; reference_node 3
sh "$FAKE/v4fake" fault "$(node_state 3)" hbm-held 2 40960 >/dev/null
expect npu-mem 3 FAIL HBM_HELD_NO_PROCESS "8 NPU memory held"
restore 3

# Every fault undone: the deployment's own findings again, and nothing else.
run "$T/again" $V all
is "$RC" 1 "after restoring: exit 1 again"
grep -E '^  (FAIL|WARN|ERROR|UNREACHABLE) ' "$T/again" | grep -vE " ($BASE) " > "$T/extra"
is "$(wc -l < "$T/extra" | tr -d ' ')" 0 "after restoring: no finding beyond the deployment's own"
sed 's/^/# /' "$T/extra"
done_testing
