# Shared library for cluster tests: N network namespaces on a bridge, each
# with a bond1 address in 198.18.C.0/24 and a real OpenSSH sshd whose sessions
# see the node's own fake host files (tests/cluster/node-shell.c).
# V4_CLUSTER=C (0-9, default 0) names a cluster, so that several can run at
# once (namespaces v4cCnI, bridge v4cCbr, work dir .../v4check-clusterC).
# Source it from a .t file (POSIX sh); root only. Nothing outside
# 198.18.0.0/15 is contacted.
#
#   cluster_up N        bridge v4cCbr (198.18.C.1/24) + nodes v4cCn1..v4cCnN
#   cluster_down        kill sshds, remove namespaces, veths, bridge, work dir
#   node_ip i           198.18.C.(10+i); sshd listens on ports 22 and 2222
#   node_exec i CMD...  run CMD inside node i's namespace
#   node_state i        node i's V4_FAKE_STATE folder
#   node_stop_sshd i    stop node i's sshd (connections are then refused)
#   node_start_sshd i   (re)start it
#   node_freeze_sshd i  SIGSTOP it: TCP connects, no SSH banner ever comes
#   node_thaw_sshd i    SIGCONT it
#   node_rekey i        new host key for node i (known_hosts then mismatches)
#   node_serve i ENV ARGV  start a fake running vLLM on node i (tests/cluster/
#                       fake-vllm.c): environment and command words from files
#   bastion_up          a bastion in front of the nodes: namespace v4cCb (198.18.C.9
#                       on the bridge, 198.19.C.1 towards the client) with its own
#                       sshd on bastion_ip:22, and a client namespace v4cCc
#                       (198.19.C.2) that reaches the nodes only through it
#   bastion_ip          198.19.C.1 (its host key is in known_hosts under that name)
#   client_exec CMD...  run CMD inside the client namespace
#   bastion_stop_sshd / bastion_start_sshd
#   node_serve_script i SCRIPT [SED]  the same, running serve script SCRIPT as a
#                       docker exec shell in node i's container would (SED edits
#                       the environment's KEY=VALUE lines first)
#   node_unserve i      stop node i's fake vLLM (its HBM and process entries freed)
# Each node has its own process namespace (its sessions and its fake vLLM see
# only the node's processes); V4_NODE_PIDNS=0 before cluster_up turns that off.
# Variables: V4_REPO, V4_WORK, V4_CLIENT_KEY, V4_KNOWN_HOSTS, V4_NNODES; set
# V4_NODE_PATH before cluster_up for the nodes' PATH (default: the fake tools,
# $V4_WORK/hostbin with the real coredumpctl, /usr/bin, /bin).
# V4_TEST_AGENT=require runs a test's v4check in agent mode (_test_agent).

V4_REPO=${V4_REPO:-$(cd "$(dirname "$0")/../.." 2>/dev/null && [ -f lib/v4.h ] && pwd ||
	git rev-parse --show-toplevel 2>/dev/null || pwd)}
V4_CLUSTER=${V4_CLUSTER:-0}
V4_NS=v4c${V4_CLUSTER}
V4_WORK=${TMPDIR:-/tmp}/v4check-cluster$V4_CLUSTER
V4_CLIENT_KEY=$V4_WORK/client_ed25519
V4_KNOWN_HOSTS=$V4_WORK/known_hosts
V4_NNODES=0
V4_SSHD=/usr/sbin/sshd
V4_NODE_PIDNS=${V4_NODE_PIDNS:-1}

# Prints a TAP skip plan and exits unless we are root with ip netns and sshd.
cluster_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP not root"
		exit 0
	fi
	if ! ip netns list >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null ||
	    [ ! -x "$V4_SSHD" ]; then
		echo "1..0 # SKIP ip netns, ssh-keygen or sshd unavailable"
		exit 0
	fi
}

# 198.18.C.(10+i): node i's bond1 address.
node_ip() {
	echo "198.18.$V4_CLUSTER.$((10 + $1))"
}

# Runs a command inside node i's namespace.
node_exec() {
	_ne=$1
	shift
	ip netns exec "${V4_NS}n$_ne" "$@"
}

# The fake tools' state folder of node i.
node_state() {
	echo "$V4_WORK/node$1"
}

# Kills the processes of one of our namespaces, by pid.
_ns_kill() {
	for _p in $(ip netns pids "$1" 2>/dev/null); do
		kill -CONT "$_p" 2>/dev/null
		kill "$_p" 2>/dev/null
	done
}

# Removes every trace of a cluster (also a stale one from a crashed run).
cluster_down() {
	for _f in "$V4_WORK"/sshd*/sshd.pid; do
		[ -f "$_f" ] && kill -CONT "$(cat "$_f")" 2>/dev/null && kill "$(cat "$_f")" 2>/dev/null
	done
	# a process namespace ends with its init: everything in it is killed
	for _f in "$V4_WORK"/sshd*/init.pid; do
		[ -f "$_f" ] && kill -KILL "$(cat "$_f")" 2>/dev/null
	done
	for _ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${V4_NS}(n[0-9]+|b|c)\$"); do
		_ns_kill "$_ns"
		ip netns del "$_ns" 2>/dev/null
	done
	for _l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
		grep -E "^${V4_NS}(h[0-9]+|hb)\$"); do
		ip link del "$_l" 2>/dev/null
	done
	ip link del "${V4_NS}br" 2>/dev/null
	rm -rf "$V4_WORK"
	return 0
}

# Writes node i's sshd_config.
_node_sshd_config() {
	_d=$V4_WORK/sshd$1
	cat >"$_d/sshd_config" <<EOF
ListenAddress $(node_ip "$1"):22
ListenAddress $(node_ip "$1"):2222
HostKey $_d/ssh_host_ed25519_key
PidFile $_d/sshd.pid
AuthorizedKeysFile $V4_WORK/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
MaxSessions 10
LogLevel ERROR
SetEnv PATH=$(_node_path) V4_FAKE_STATE=$(node_state "$1") HOME=$(node_state "$1")$(_node_init_env "$1")
ForceCommand $V4_WORK/node-shell
EOF
}

# The nodes' PATH: V4_NODE_PATH or the default, after the folder with this
# build's v4check under V4_TEST_AGENT.
_node_path() {
	[ -z "${V4_TEST_AGENT:-}" ] || printf '%s:' "$V4_WORK/agentbin"
	printf '%s' "${V4_NODE_PATH:-$V4_REPO/fixtures/fake/bin:$V4_WORK/hostbin:/usr/bin:/bin}"
}

# V4_TEST_AGENT=MODE (auto, never, require): every v4check of the test runs
# with V4CHECK_AGENT=MODE, and the nodes have a copy of this build's v4check
# first in their PATH; the cluster suite then judges in that mode.
_test_agent() {
	[ -n "${V4_TEST_AGENT:-}" ] || return 0
	mkdir -p "$V4_WORK/agentbin" && cp "$V4_REPO/v4check" "$V4_WORK/agentbin/v4check" || return 1
	export V4CHECK_AGENT="$V4_TEST_AGENT"
}

# The SetEnv word that puts node i's sessions in its process namespace
# (none with V4_NODE_PIDNS=0: sessions then see the machine's processes).
_node_init_env() {
	[ "$V4_NODE_PIDNS" = 0 ] || printf ' V4_NODE_INIT=%s' "$V4_WORK/sshd$1/init.pid"
}

# Makes a fresh host key for node i and lists it in known_hosts.
_node_hostkey() {
	_d=$V4_WORK/sshd$1
	rm -f "$_d/ssh_host_ed25519_key" "$_d/ssh_host_ed25519_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C "v4n$1" -f "$_d/ssh_host_ed25519_key" || return 1
}

# Appends node i's current host key to the cluster known_hosts.
_node_known() {
	echo "$(node_ip "$1") $(cut -d' ' -f1,2 "$V4_WORK/sshd$1/ssh_host_ed25519_key.pub")" \
		>>"$V4_KNOWN_HOSTS"
}

# Starts node i's sshd and waits until it accepts connections.
node_start_sshd() {
	_d=$V4_WORK/sshd$1
	rm -f "$_d/sshd.pid"
	# in a subshell, so that a plain "wait" in a test never waits for sshd
	(node_exec "$1" "$V4_SSHD" -D -f "$_d/sshd_config" -E "$_d/sshd.log" </dev/null \
		>/dev/null 2>&1 &)
	_sshd_wait "$_d" "${V4_NS}n$1" "sshd on node $1"
}

# _sshd_wait DIR NETNS WHAT: waits until the sshd of DIR listens on port 22 in NETNS.
_sshd_wait() {
	_n=0
	while [ $_n -lt 100 ]; do
		if [ -s "$1/sshd.pid" ] &&
		    ip netns exec "$2" ss -Hltn "sport = :22" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.05
		_n=$((_n + 1))
	done
	echo "# $3 did not start:" >&2
	sed 's/^/# /' "$1/sshd.log" >&2
	return 1
}

# The pid of node i's sshd (from its PidFile).
_node_sshd_pid() {
	cat "$V4_WORK/sshd$1/sshd.pid"
}

# Stops node i's sshd; new connections are refused afterwards.
node_stop_sshd() {
	_pid=$(_node_sshd_pid "$1")
	kill -CONT "$_pid" 2>/dev/null
	kill "$_pid" 2>/dev/null
	_n=0
	while kill -0 "$_pid" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	rm -f "$V4_WORK/sshd$1/sshd.pid"
}

# Freezes node i's sshd: the kernel still accepts TCP, no banner is sent.
node_freeze_sshd() {
	kill -STOP "$(_node_sshd_pid "$1")"
}

# Lets a frozen sshd run again.
node_thaw_sshd() {
	kill -CONT "$(_node_sshd_pid "$1")"
}

# Gives node i a new host key (restarting sshd): a CHANGED key for clients.
node_rekey() {
	node_stop_sshd "$1"
	_node_hostkey "$1" && node_start_sshd "$1"
}

# Creates node i: namespace, veth (bond1 in the namespace), address, sshd.
_node_up() {
	_ns=${V4_NS}n$1
	ip netns add "$_ns" || return 1
	ip link add "${V4_NS}h$1" type veth peer name "${V4_NS}p$1" || return 1
	ip link set "${V4_NS}h$1" master "${V4_NS}br" up
	ip link set "${V4_NS}p$1" netns "$_ns"
	if node_exec "$1" ip link add bond1 type bond mode active-backup 2>/dev/null; then
		node_exec "$1" ip link set "${V4_NS}p$1" down
		node_exec "$1" ip link set "${V4_NS}p$1" master bond1
		node_exec "$1" ip link set "${V4_NS}p$1" up
	else
		node_exec "$1" ip link set "${V4_NS}p$1" name bond1
	fi
	node_exec "$1" ip addr add "$(node_ip "$1")/24" dev bond1
	node_exec "$1" ip link set bond1 up
	node_exec "$1" ip link set lo up
	mkdir -p "$V4_WORK/sshd$1" "$(node_state "$1")"
	if [ "$V4_NODE_PIDNS" != 0 ]; then
		"$V4_WORK/node-shell" --init "$V4_WORK/sshd$1/init.pid" || return 1
	fi
	_node_sshd_config "$1"
	_node_hostkey "$1" && _node_known "$1" && node_start_sshd "$1"
}

# The host paths node-shell binds the nodes' files over must exist (an empty
# file or folder is created when missing; they stay: other clusters may use them).
# A journal folder for the nodes' own journals: /var/log/journal or
# /run/log/journal where the host has one; else /run/log/journal is made (under
# /run: gone at reboot; /var/log/journal would make a later journald keep its
# journal on disk).
_host_paths() {
	[ -e /etc/hccn.conf ] || : >/etc/hccn.conf || return 1
	[ -d /var/log/journal ] || [ -d /run/log/journal ] || mkdir -p /run/log/journal || return 1
	mkdir -p /usr/local/Ascend /data
}

# The nodes' host tools that are not fakes and not installed on this machine:
# $V4_WORK/hostbin on their PATH, with the real coredumpctl unpacked by
# tests/coredump-tools.sh (a test takes it from one node by that node's PATH).
# V4_FAKE_EMPTY_JOURNAL: a journal file of no entries (the real
# systemd-journal-remote's), which v4fake init links into each node's journal
# folders: a node's journal then exists and lists no core dump.
_hostbin() {
	mkdir -p "$V4_WORK/hostbin" || return 1
	_b=$("$V4_REPO/tests/coredump-tools.sh") || return 0
	ln -sf "$_b/coredumpctl" "$V4_WORK/hostbin/coredumpctl"
	: | "${_b%/usr/bin}/lib/systemd/systemd-journal-remote" -o "$V4_WORK/empty.journal" - 2>/dev/null &&
		export V4_FAKE_EMPTY_JOURNAL="$V4_WORK/empty.journal"
}

# Brings up n nodes (removing any stale cluster first); cluster_down runs on exit.
cluster_up() {
	cluster_down
	trap cluster_down EXIT
	trap 'cluster_down; exit 130' INT
	trap 'cluster_down; exit 143' TERM
	mkdir -p "$V4_WORK" /run/sshd && chmod 700 "$V4_WORK" || return 1
	ssh-keygen -q -t ed25519 -N '' -C v4check-test -f "$V4_CLIENT_KEY" || return 1
	cp "$V4_CLIENT_KEY.pub" "$V4_WORK/authorized_keys"
	: >"$V4_KNOWN_HOSTS"
	_host_paths || return 1
	_hostbin || return 1
	_test_agent || return 1
	${CC:-cc} -O2 -o "$V4_WORK/node-shell" "$V4_REPO/tests/cluster/node-shell.c" || return 1
	${CC:-cc} -O2 -o "$V4_WORK/fake-vllm" "$V4_REPO/tests/cluster/fake-vllm.c" || return 1
	ip link add "${V4_NS}br" type bridge || return 1
	ip addr add "198.18.$V4_CLUSTER.1/24" dev "${V4_NS}br"
	ip link set "${V4_NS}br" up
	_i=1
	while [ "$_i" -le "$1" ]; do
		_node_up "$_i" || return 1
		_i=$((_i + 1))
	done
	V4_NNODES=$1
}

# node_serve i ENVFILE ARGVFILE: starts a fake running vLLM (server, engine
# core, TP workers holding the NPUs) in node i's namespaces, its environment
# exactly ENVFILE's KEY=VALUE lines and its command line ARGVFILE's words.
node_serve() {
	_st=$(node_state "$1")
	_before=$(_rows "$_st/procs")
	(cd "$_st" && node_exec "$1" nsenter --target "$(cat "$V4_WORK/sshd$1/init.pid")" --pid -- \
		"$V4_WORK/fake-vllm" "$2" "$3" </dev/null >/dev/null 2>&1 &)
	_n=0 # its workers enter their rows in the fake npu-smi's process table
	while [ $_n -lt 100 ] && [ "$(_rows "$_st/procs")" -le "$_before" ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	[ "$(_rows "$_st/procs")" -gt "$_before" ]
}

# _rows FILE: its number of lines (0 when absent).
_rows() {
	[ -f "$1" ] && wc -l < "$1" || echo 0
}

# node_serve_script i SCRIPT [SED]: node i's serve.env and serve.argv from
# SCRIPT's exports and vllm serve words in its container's environment (the
# node's fake container_env), SED applied to serve.env; then node_serve.
node_serve_script() {
	_st=$(node_state "$1")
	_reference_serve_files "$1" "$_st" "$2" || return 1
	[ -z "${3:-}" ] || sed -i "$3" "$_st/serve.env" || return 1
	node_serve "$1" "$_st/serve.env" "$_st/serve.argv"
}

# node_unserve i: kills node i's fake vLLM processes (found by their program,
# this cluster's fake-vllm, among the node's processes), then frees what they
# held as a container restart does.
node_unserve() {
	for _p in $(ip netns pids "${V4_NS}n$1" 2>/dev/null); do
		[ "$(readlink "/proc/$_p/exe" 2>/dev/null)" = "$V4_WORK/fake-vllm" ] && kill "$_p" 2>/dev/null
	done
	_n=0
	while [ $_n -lt 100 ]; do
		_left=0
		for _p in $(ip netns pids "${V4_NS}n$1" 2>/dev/null); do
			[ "$(readlink "/proc/$_p/exe" 2>/dev/null)" = "$V4_WORK/fake-vllm" ] && _left=1
		done
		[ $_left = 0 ] && break
		sleep 0.05
		_n=$((_n + 1))
	done
	V4_FAKE_STATE=$(node_state "$1") sh "$V4_REPO/fixtures/fake/bin/docker" restart vllm >/dev/null
	[ $_left = 0 ]
}

# cluster_config FILE [CONNECT_TIMEOUT [EXTRA]]: a v4check config naming
# node1..nodeN (ranks 0..N-1, their bond1 addresses) with the cluster's client
# key and known_hosts, plus the top-level JSON members EXTRA; mode 600.
cluster_config() {
	{
		printf '{"nodes": ['
		_i=1
		while [ $_i -le "$V4_NNODES" ]; do
			[ $_i -gt 1 ] && printf ','
			printf '{"name":"node%d","host":"%s","rank":%d,"bond1":"%s"}' $_i "$(node_ip $_i)" \
				$((_i - 1)) "$(node_ip $_i)"
			_i=$((_i + 1))
		done
		printf '], "ssh": {"user": "root", "identity": "%s", "known_hosts": "%s", "connect_timeout": %d}%s}\n' \
			"$V4_CLIENT_KEY" "$V4_KNOWN_HOSTS" "${2:-5}" "${3:+, $3}"
	} >"$1"
	chmod 600 "$1"
}

# json_str FILE: the file's text as a JSON string.
json_str() {
	sed 's/\\/\\\\/g; s/"/\\"/g' "$1" | awk 'BEGIN { printf "\"" } { printf "%s\\n", $0 } END { printf "\"" }'
}

# cluster_clean_command FILE: the reference deployment's serve command with its
# real findings corrected (npugraph_ex key, boolean loader flag without
# prefetch, prefix caching off) and this cluster's rank-0 bond1 address.
cluster_clean_command() {
	sed -e '1{/^# source:/d}' -e 's/enable_npu_graph_ex/enable_npugraph_ex/' \
		-e 's/"enable_multithread_load": "true"/"enable_multithread_load": true/' \
		-e '/^--safetensors-load-strategy prefetch/d' \
		-e 's/--enable-prefix-caching/--no-enable-prefix-caching/' \
		-e "s/--data-parallel-address 192.168.0.72/--data-parallel-address $(node_ip 1)/" \
		"$V4_REPO/fixtures/serve/reference.sh" >"$1"
}

# cluster_deployment CMDFILE: config members for a healthy deployment: the
# fake nodes' model folder, CMDFILE as the serve command, and a 1 GB disk
# floor (the fake /data is this machine's disk).
cluster_deployment() {
	printf '"deployment": {"model_dir": "/data/models/DeepSeek-V4-Pro-w4a8-mtp", "serve_command": %s}, ' \
		"$(json_str "$1")"
	printf '"checks": {"model": {"min_free_gb": 1}, "limits": {"nofile_min": %d}}' "$(_nofile_min)"
}

# The open-files minimum a fake vLLM on this machine can meet: 65535 (what
# vLLM raises itself to), or this machine's hard limit when lower (a sandbox
# may keep processes from taking docker's).
_nofile_min() {
	_h=$(ulimit -Hn)
	case $_h in unlimited) echo 65535 ;; *) [ "$_h" -lt 65535 ] && echo "$_h" || echo 65535 ;; esac
}

# cluster_init_nodes: a healthy fake state (v4fake init) on every node.
cluster_init_nodes() {
	_i=1
	while [ $_i -le "$V4_NNODES" ]; do
		sh "$V4_REPO/fixtures/fake/v4fake" init "$(node_state $_i)" --rank $((_i - 1)) \
			--bond-ip "$(node_ip $_i)" >/dev/null
		_i=$((_i + 1))
	done
}

# reference_config FILE [PY]: the built-in reference configuration with this
# cluster's four nodes, its keys and rank 0's address in the serve command,
# written 0600 to FILE. The model check needs 1 GB free, and the open-files
# minimum is what this machine lets the fake vLLM have (a sandbox may not let
# it take docker's). PY: Python statements that change the dict c further.
reference_config() {
	"${V4CHECK:-$V4_REPO/v4check}" config | python3 -c '
import json, sys
c = json.load(sys.stdin)
ip = sys.argv[1:5]
c["nodes"] = [{"name": "node%d" % (i + 1), "host": ip[i], "rank": i, "bond1": ip[i]} for i in range(4)]
c["ssh"] = {"user": "root", "identity": sys.argv[5], "known_hosts": sys.argv[6], "connect_timeout": 5}
c["deployment"]["serve_command"] = c["deployment"]["serve_command"].replace("192.168.0.72", ip[0])
c.setdefault("checks", {})["model"] = {"min_free_gb": 1}
c["checks"]["limits"] = {"nofile_min": min(65535, int(sys.argv[7]))}
exec(sys.argv[8])
json.dump(c, sys.stdout, indent=1)
' "$(node_ip 1)" "$(node_ip 2)" "$(node_ip 3)" "$(node_ip 4)" "$V4_CLIENT_KEY" "$V4_KNOWN_HOSTS" \
		"$(ulimit -Hn)" "${2:-}" >"$1" && chmod 600 "$1"
}

# The reference deployment as seed-deployment-notes.txt writes it (steps 0-2),
# on every node: a healthy node state (TLS off on all eight NPUs, step 0); the
# container as its `docker run` made it (the image's own ENV lines, from
# vllm-ascend v0.21.0rc1's Dockerfile, plus the five -e variables, nothing
# else); sitecustomize.py in site-packages; and `vllm serve` running with the
# environment of a `docker exec` shell after the notes' export lines and the
# notes' command line, RANK and --headless per rank. The only departures: the
# API key, and this cluster's rank-0 bond1 address for --data-parallel-address.
cluster_reference_deploy() {
	_i=1
	while [ $_i -le "$V4_NNODES" ]; do
		reference_node $_i || return 1
		_i=$((_i + 1))
	done
	_i=1
	while [ $_i -le "$V4_NNODES" ]; do
		node_serve $_i "$(node_state $_i)/serve.env" "$(node_state $_i)/serve.argv" || return 1
		_i=$((_i + 1))
	done
}

# reference_node i: node i's state as the reference deployment has it before
# vllm serve starts (fake state, the container's env, the serve files).
reference_node() {
	_st=$(node_state $1)
	sh "$V4_REPO/fixtures/fake/v4fake" init "$_st" --rank $(($1 - 1)) \
		--bond-ip "$(node_ip $1)" >/dev/null
	_reference_container_env >"$_st/container_env"
	_reference_serve_files $1 "$_st"
}

# node_unserve i: stops node i's fake vLLM: every fake-vllm process in its
# network namespace (host pids, matched by executable), nothing else.
node_unserve() {
	for _p in $(ip netns pids "${V4_NS}n$1" 2>/dev/null); do
		[ "$(readlink "/proc/$_p/exe" 2>/dev/null)" = "$V4_WORK/fake-vllm" ] && kill -KILL "$_p" 2>/dev/null
	done
	_n=0
	while [ $_n -lt 100 ]; do
		_left=0
		for _p in $(ip netns pids "${V4_NS}n$1" 2>/dev/null); do
			[ "$(readlink "/proc/$_p/exe" 2>/dev/null)" = "$V4_WORK/fake-vllm" ] && _left=1
		done
		[ $_left = 0 ] && return 0
		sleep 0.05
		_n=$((_n + 1))
	done
	return 1
}

# Config.Env of the notes' container: the image's ENV, then the -e variables.
_reference_container_env() {
	cat <<'E'
PATH=/usr/local/python3.12.13/bin:/usr/local/Ascend/ascend-toolkit/latest/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
DEBIAN_FRONTEND=noninteractive
SOC_VERSION=ascend910b1
TASK_QUEUE_ENABLE=1
OMP_NUM_THREADS=1
HCCL_OP_EXPANSION_MODE=AIV
HCCL_BUFFSIZE=512
VLLM_ASCEND_ENABLE_FLASHCOMM1=1
PYTORCH_NPU_ALLOC_CONF=expandable_segments:True
E
}

# _reference_serve_files i STATE [SCRIPT]: STATE/serve.env and STATE/serve.argv
# for node i: the container's env plus a docker exec shell's HOSTNAME and HOME,
# then the exports of SCRIPT (default: the notes'); its vllm serve words for
# rank i-1.
_reference_serve_files() {
	python3 - "$1" "$2" "$(node_ip "$1")" "$(node_ip 1)" "${3:-$V4_REPO/fixtures/serve/reference.sh}" <<'PY'
import re, shlex, sys
i, state, own, rank0, script = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
rank = i - 1
env = {}
for line in open(state + "/container_env"):
    k, _, v = line.rstrip("\n").partition("=")
    env[k] = v
env["HOSTNAME"] = open(state + "/hostname").read().strip()
env["HOME"] = "/root"
text = "".join(l for l in open(script) if not l.startswith("# source:"))
text = text.replace("<本机bond1>", own).replace("192.168.0.72", rank0)
text = text.replace("$([ $RANK != 0 ] && echo --headless)", "--headless" if rank else "")
text = text.replace("$RANK", str(rank))
cmd = None
for stmt in re.split(r"\n(?!-)", text.replace("\\\n", "")):
    words = shlex.split(stmt, comments=True)
    if words[:1] == ["export"]:
        for w in words[1:]:
            k, _, v = w.partition("=")
            env[k] = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), v)
    elif words[:2] == ["vllm", "serve"]:
        cmd = words
with open(state + "/serve.env", "w") as f:
    f.writelines("%s=%s\n" % kv for kv in env.items())
py = "/usr/local/python3.12.13/bin/"
with open(state + "/serve.argv", "w") as f:
    f.writelines(w + "\n" for w in [py + "python3.12", py + "vllm"] + cmd[1:])
PY
}

# 198.19.C.1: the bastion's address on the client's side.
bastion_ip() {
	echo "198.19.$V4_CLUSTER.1"
}

# Runs a command inside the client namespace (behind the bastion).
client_exec() {
	ip netns exec "${V4_NS}c" "$@"
}

# Starts the bastion's sshd (no ForceCommand: it only forwards) and waits for it.
bastion_start_sshd() {
	_d=$V4_WORK/sshdb
	rm -f "$_d/sshd.pid"
	(ip netns exec "${V4_NS}b" "$V4_SSHD" -D -f "$_d/sshd_config" -E "$_d/sshd.log" </dev/null \
		>/dev/null 2>&1 &)
	_sshd_wait "$_d" "${V4_NS}b" "the bastion's sshd"
}

# Stops the bastion's sshd.
bastion_stop_sshd() {
	_pid=$(cat "$V4_WORK/sshdb/sshd.pid" 2>/dev/null)
	[ -n "$_pid" ] && kill "$_pid" 2>/dev/null
	_n=0
	while [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null && [ $_n -lt 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	rm -f "$V4_WORK/sshdb/sshd.pid"
}

# Brings up the bastion and the client namespace (after cluster_up).
bastion_up() {
	_b=${V4_NS}b
	_c=${V4_NS}c
	ip netns add "$_b" && ip netns add "$_c" || return 1
	ip link add "${V4_NS}hb" type veth peer name "${V4_NS}pb" || return 1
	ip link set "${V4_NS}hb" master "${V4_NS}br" up
	ip link set "${V4_NS}pb" netns "$_b"
	ip link add "${V4_NS}bc" type veth peer name "${V4_NS}cb" || return 1
	ip link set "${V4_NS}bc" netns "$_b"
	ip link set "${V4_NS}cb" netns "$_c"
	ip netns exec "$_b" sysctl -qw net.ipv4.ip_forward=0
	ip netns exec "$_b" ip addr add "198.18.$V4_CLUSTER.9/24" dev "${V4_NS}pb"
	ip netns exec "$_b" ip addr add "$(bastion_ip)/24" dev "${V4_NS}bc"
	ip netns exec "$_c" ip addr add "198.19.$V4_CLUSTER.2/24" dev "${V4_NS}cb"
	for _l in "$_b ${V4_NS}pb" "$_b ${V4_NS}bc" "$_b lo" "$_c ${V4_NS}cb" "$_c lo"; do
		# shellcheck disable=SC2086
		set -- $_l
		ip netns exec "$1" ip link set "$2" up
	done
	_d=$V4_WORK/sshdb
	mkdir -p "$_d"
	ssh-keygen -q -t ed25519 -N '' -C v4bastion -f "$_d/ssh_host_ed25519_key" || return 1
	cat >"$_d/sshd_config" <<EOF
ListenAddress $(bastion_ip):22
HostKey $_d/ssh_host_ed25519_key
PidFile $_d/sshd.pid
AuthorizedKeysFile $V4_WORK/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
AllowTcpForwarding yes
LogLevel VERBOSE
EOF
	echo "$(bastion_ip) $(cut -d' ' -f1,2 "$_d/ssh_host_ed25519_key.pub")" >>"$V4_KNOWN_HOSTS"
	bastion_start_sshd
}

# only_node FILE K: every FAIL/WARN/ERROR line of a report names node K alone
# (or the cluster), apart from lines of the codes in $BASE (an ERE alternation
# of findings the deployment has anyway; empty: none).
only_node() {
	grep -E '^  (FAIL|WARN|ERROR) ' "$1" | grep -vE " (${BASE:-^$}) " |
		grep -vE " (node$2|cluster): " | grep -q . && return 1
	return 0
}

# expect CHECK K STATE CODE "what": runs $V CHECK (tests/cli/tap.sh's run, into
# $T/o); a STATE line with CODE names node K, and no other node is blamed.
expect() {
	run "$T/o" $V "$1"
	like "$T/o" "^  $3 +$4 +node$2: " "$5: $1 $3 $4 names node$2"
	only_node "$T/o" "$2"; ok $? "$5: no other node is blamed"
	only_node "$T/o" "$2" || sed 's/^/# /' "$T/o"
}
