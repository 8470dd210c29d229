#!/bin/sh
# The eight failure modes of the reference deployment (deployment.md §5), each
# injected on ONE node of a healthy 4-node fake cluster (network namespaces,
# real sshd, fake Ascend tools): the matching check must name that node, and
# the cluster must pass again once the fault is undone.
#
# Faults live where the deployment had them: in a node's fake state (TLS,
# held NPU memory, sitecustomize.py, the container, /etc/hosts) or in one
# rank's vllm serve command, given as that node's nodes[].serve_command in the
# config (checks/serve_source.c). No fake vLLM process is started: the nodes
# share the machine's PID namespace, so a process would be seen by all four.
# POSIX sh, root only; V4_CLUSTER picks the namespace set (default 3).
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-3}
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

# init_node i: a healthy fake node: state, its /etc/hosts (the hostname
# resolves to its bond1 address, as on the real nodes), the model files.
init_node() {
	_s=$(node_state "$1")
	sh "$FAKE/v4fake" init "$_s" --rank $(($1 - 1)) --bond-ip "$(node_ip "$1")" >/dev/null
}

cluster_clean_command "$T/clean.sh"

# cfg [K FILE]: the config (node K gets FILE as its own serve_command).
# (cluster_deployment: the healthy deployment members, see lib.sh)
cfg() {
	{
		printf '{"nodes": ['
		i=1
		while [ $i -le $N ]; do
			[ $i -gt 1 ] && printf ','
			printf '{"name":"node%d","host":"%s","rank":%d,"bond1":"%s"' $i "$(node_ip $i)" $((i - 1)) "$(node_ip $i)"
			[ "${1:-}" = $i ] && printf ',"serve_command":%s' "$(json_str "$2")"
			printf '}'
			i=$((i + 1))
		done
		printf '], "ssh": {"user": "root", "identity": "%s", "known_hosts": "%s", "connect_timeout": 5},\n' \
			"$V4_CLIENT_KEY" "$V4_KNOWN_HOSTS"
		printf ' %s}\n' "$(cluster_deployment "$T/clean.sh")"
	} > "$T/c.json"
	chmod 600 "$T/c.json"
}

# variant K SED-SCRIPT: node K runs the clean command edited by SED-SCRIPT.
variant() {
	sed "$2" "$T/clean.sh" > "$T/variant.sh"
	cmp -s "$T/clean.sh" "$T/variant.sh" && echo "# variant for node$1 changed nothing: $2"
	cfg "$1" "$T/variant.sh"
}


i=1
while [ $i -le $N ]; do init_node $i; i=$((i + 1)); done
cfg
# -t 60: the probe timeout, with a wide margin (the machine is shared and
# each node runs its probes in parallel over ssh).
V="$V4CHECK -c $T/c.json -t 60"

# The healthy cluster: every check passes (api SKIPs before deployment, roce
# SKIPs the cross-node ping: the config names no NPU addresses).
run "$T/all" $V all; is "$RC" 0 "healthy 4-node cluster: v4check all exits 0"
unlike "$T/all" '^  (FAIL|ERROR|WARN|UNREACHABLE) ' "no FAIL, ERROR, WARN or UNREACHABLE line"
like "$T/all" '^  PASS +OK +node\[1-4\]: bond1 up with' "netif passes on all four nodes"
like "$T/all" '^  PASS +OK +node\[1-4\]: vllm runs' "container passes on all four nodes"
[ "$RC" = 0 ] || sed 's/^/# /' "$T/all"

# 1. TLS enabled on node2's eight NPUs.
sh "$FAKE/v4fake" fault "$(node_state 2)" tls-on >/dev/null
expect tls 2 FAIL TLS_MISMATCH "1 TLS"
sh "$FAKE/v4fake" fault "$(node_state 2)" tls-off >/dev/null

# 2. node3 runs eagerly.
variant 3 's/--async-scheduling /--async-scheduling --enforce-eager /'
expect graph-mode 3 FAIL GRAPH_EAGER "2 eager"

# 3. gloo on loopback: node4's serve shell does not export the interface
#    variables, the container env lacks GLOO_SOCKET_IFNAME and sitecustomize.py
#    is gone ...
sh "$FAKE/v4fake" fault "$(node_state 4)" sitecustomize-missing >/dev/null
sh "$FAKE/v4fake" fault "$(node_state 4)" container-env-unset GLOO_SOCKET_IFNAME >/dev/null
variant 4 '/^export GLOO_SOCKET_IFNAME/d'
expect netif 4 WARN SITECUSTOMIZE_MISSING "3 gloo/NIC env"
like "$T/o" '^  FAIL +IFNAME_ENV_MISSING +node4: .*GLOO_SOCKET_IFNAME is not set' "3 gloo/NIC env: GLOO_SOCKET_IFNAME missing on node4"
init_node 4
cfg
# ... node2's hostname resolves to 127.0.1.1 ...
printf '127.0.1.1 %s\n' "$(hostname)" > "$(node_state 2)/etc/hosts"
expect netif 2 FAIL HOSTNAME_LOOPBACK "3 hostname loopback"
init_node 2
# ... node3 starts without --data-parallel-address (vLLM: 127.0.0.1); the
# DP address is serve-args' to judge.
variant 3 "s/ --data-parallel-address $(node_ip 1)//"
expect serve-args 3 FAIL ARGS_DP_ADDRESS "3 DP address left out"
like "$T/o" 'node3: --data-parallel-address not given \(defaults to 127\.0\.0\.1\)' "3 DP address: the default is named"

# 4. KV overcommit on node1 (util 0.97), and enable_kv_nz on node2.
variant 1 's/--gpu-memory-utilization 0.93/--gpu-memory-utilization 0.97/'
expect kv-budget 1 FAIL KV_HEADROOM_SHORT "4 KV util 0.97"
variant 2 's/"enable_cpu_binding": true/"enable_cpu_binding": true, "enable_kv_nz": true/'
expect kv-budget 2 FAIL KV_NZ_CRASH "4 enable_kv_nz"

# 5. enable_balance_scheduling on node2: the deployment's observation, a WARN
#    (no code path at v0.21.0rc1 explains the 5-minute failure).
variant 2 's/"enable_cpu_binding": true/"enable_cpu_binding": true, "enable_balance_scheduling": true/'
expect init-timeout 2 WARN BALANCE_SCHEDULING "5 balance scheduling"

# 6. prefix caching on node4. The check WARNs by design: the deployment's
#    rule is "known limit: expect no gain", not a start-up failure.
variant 4 's/--no-enable-prefix-caching/--enable-prefix-caching/'
expect prefix-cache 4 WARN PREFIX_CACHE_ON "6 prefix cache"

# 7. node1 loads without the multi-threaded loader.
variant 1 '/--model-loader-extra-config/d'
expect loader 1 FAIL LOADER_MULTITHREAD_OFF "7 loader"

# 8. NPU memory held on node3 after a pkill; docker restart frees it.
cfg
sh "$FAKE/v4fake" fault "$(node_state 3)" hbm-held 2 40960 >/dev/null
expect npu-mem 3 FAIL HBM_HELD_NO_PROCESS "8 NPU memory held"
V4_FAKE_STATE=$(node_state 3) sh "$FAKE/bin/docker" restart vllm >/dev/null

# The container check: node2's container lost a device.
sh "$FAKE/v4fake" fault "$(node_state 2)" container-device-remove /dev/davinci5 >/dev/null
expect container 2 FAIL DEVICE_MISSING "container"
init_node 2

# The cabling check: node3's NPU 5 reports the switch port of its NPU 2.
echo 400GE1/3/3:1 > "$(node_state 3)/lldp_port.5"
expect lldp 3 FAIL LLDP_PORT_SHARED "cabling"
like "$T/o" 'node3: switch port 400GE1/3/3:1 .* seen by node3 NPU 2, node3 NPU 5' "cabling: both NPUs named"
rm -f "$(node_state 3)/lldp_port.5"

# Every fault undone: the cluster passes again.
run "$T/all" $V all; is "$RC" 0 "after restoring: v4check all exits 0"
[ "$RC" = 0 ] || grep -E '^  (FAIL|ERROR|WARN)' "$T/all" | sed 's/^/# /'
echo "# $(($(date +%s) - T0)) s"
done_testing
