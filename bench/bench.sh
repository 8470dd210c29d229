#!/bin/sh
# Benchmark: `v4check all` (agentless, and in agent mode: `v4check agent` on
# the nodes) against pdsh, ClusterShell and Ansible running the
# same probes on N fake nodes (network namespaces + sshd, 198.18.1.0/24) whose
# fake tools take 30 ms a call. Prints a table of median wall time, controller
# CPU time (user+sys of everything the controller ran), peak RSS, the CPU of
# the whole machine (other users' included: the machine is shared) and the
# node side's CPU (the nodes' sshd trees, see nodes_cpu). Every run is verified: a contender that
# did not run every probe on every node is marked FAILED, not timed.
#
#   bench/bench.sh [N ...]        (default: 4 32 128; root only)
#   bench/bench.sh fleet N        v4check alone against N cheap simulated nodes:
#                                 N addresses of 198.19.56.0/21 on one namespace,
#                                 one sshd for all, the fake tools with one state
#                                 and no delay (the controller's cost per node),
#                                 agentless and in agent mode (FLEET_MODES)
# Env: RUNS (default 5), DELAY_MS (default 30), ANSIBLE_MAX (default 32) and
# PLAYBOOK_MAX (default 4): Ansible ad-hoc and the playbook are left out above
# that many nodes (one playbook run at 32 nodes takes many minutes here),
# TOOLS (default "v4check v4check-agent pdsh clush ansible playbook": v4check
# is `--agent never`, v4check-agent `--agent require`, with a copy of V4CHECK
# in the nodes' PATH), V4CHECK (the binary), FLEET_MODES (default "never
# require"), FLEET_NET (the fleet's /21 is 198.19.FLEET_NET.0, default 56).
set -u
cd "$(dirname "$0")/.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-66}
V4_REPO=$(pwd)
. tests/cluster/lib.sh
cluster_require >/dev/null
RUNS=${RUNS:-5}
DELAY_MS=${DELAY_MS:-30}
ANSIBLE_MAX=${ANSIBLE_MAX:-32}
PLAYBOOK_MAX=${PLAYBOOK_MAX:-4}
TOOLS=${TOOLS:-v4check v4check-agent pdsh clush ansible playbook}
V4CHECK=${V4CHECK:-$(pwd)/v4check}
FLEET_MODES=${FLEET_MODES:-never require}
FLEET_NET=${FLEET_NET:-56}
# the nodes' v4check (agent mode): a copy, outside V4_WORK (cluster_up clears that)
AGENT_BIN=${TMPDIR:-/tmp}/v4check-bench-agent$V4_CLUSTER
mkdir -p "$AGENT_BIN" && cp "$V4CHECK" "$AGENT_BIN/v4check" || exit 1
V4_NODE_PATH=$AGENT_BIN:$V4_REPO/fixtures/fake/bin:$V4_WORK/hostbin:/usr/bin:/bin
for t in /usr/bin/time pdsh clush ansible ansible-playbook; do
	command -v $t >/dev/null || { echo "bench: $t missing (tests/setup-deps.sh installs it)" >&2; exit 1; }
done

# The probes `v4check all` runs on a healthy node (node 1), as one script,
# each in a subshell (as v4check runs each in its own sh), ending with a
# marker line (how a run proves it got to the end).
probe_script() {
	rm -rf "$V4_WORK/cap"
	"$V4CHECK" -c "$1" -H "$(node_ip 1)" collect -o "$V4_WORK/cap" >/dev/null 2>&1
	python3 - "$V4_WORK/cap" <<'PY' > "$V4_WORK/probes.json"
import json, os, sys
cap = sys.argv[1]
node = sorted(d for d in os.listdir(cap) if os.path.isdir(os.path.join(cap, d)))[0]
for f in sorted(os.listdir(os.path.join(cap, node))):
    if f.endswith(".json"):
        m = json.load(open(os.path.join(cap, node, f)))
        if not m["cmd"].startswith("GET "):
            print(json.dumps(m["cmd"]))
PY
	python3 - "$V4_WORK/probes.json" > "$V4_WORK/probes.sh" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    print("( %s\n) >/dev/null 2>&1" % json.loads(line))
print("echo V4BENCH_DONE")
PY
}

# verify TOOL OUT RC: 0 when the run of TOOL (its output in OUT, exit status
# RC) reached every node and ran every probe there.
verify() {
	case $1 in
	# exit 0; or 2 with no ERROR/UNREACHABLE when the shared machine runs a
	# `vllm serve` of its own (the nodes' process listings see every process)
	v4check | v4check-agent) { [ "$3" = 0 ] || { [ "$3" = 2 ] && ! grep -qE '^  +(ERROR|UNREACHABLE) ' "$2"; }; } &&
		grep -q "^v4check .*: $n nodes ($n reached)" "$2" ;;
	pdsh | clush | ansible) [ "$3" = 0 ] && [ "$(grep -c 'V4BENCH_DONE' "$2")" = "$n" ] ;;
	playbook) [ "$3" = 0 ] && [ "$(grep -cE "ok=$((NPROBES + 1)) +changed=0 +unreachable=0 +failed=0" "$2")" = "$n" ] ;;
	esac
}

cpu_jiffies() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# nodes_cpu: the CPU ticks of the nodes' sshd masters and of every process
# they waited for (sessions, shells, tools): the node side of a run, whatever
# else the shared machine runs. Waits (up to 3 s) for sessions still ending.
nodes_cpu() {
	_pids=$(cat "$V4_WORK"/sshd*/sshd.pid "$V4_WORK"/fsshd/sshd.pid 2>/dev/null)
	_w=0
	while [ $_w -lt 30 ]; do
		_busy=0
		for _p in $_pids; do
			[ -n "$(ps -o pid= --ppid "$_p" 2>/dev/null)" ] && _busy=1
		done
		[ $_busy = 0 ] && break
		sleep 0.1
		_w=$((_w + 1))
	done
	for _p in $_pids; do cat "/proc/$_p/stat"; done 2>/dev/null |
		awk '{ t += $14 + $15 + $16 + $17 } END { print t + 0 }'
}

# measure TOOL CMD...: RUNS verified runs; prints "TOOL wall cpu rss machine-cpu".
measure() {
	_tool=$1; shift
	: > "$V4_WORK/m"
	_r=0
	while [ $_r -lt "$RUNS" ]; do
		_n0=$(nodes_cpu)
		_j0=$(cpu_jiffies)
		/usr/bin/time -f '%e %U %S %M' -o "$V4_WORK/t1" "$@" >"$V4_WORK/out" 2>&1
		_rc=$?
		_j1=$(cpu_jiffies)
		_n1=$(nodes_cpu)
		if ! verify "$_tool" "$V4_WORK/out" "$_rc"; then
			printf '%-22s FAILED (exit %s); its output:\n' "$_tool" "$_rc"
			{ grep -E '^  (FAIL|ERROR|UNREACHABLE) ' "$V4_WORK/out"; tail -n 15 "$V4_WORK/out"; } |
				head -n 30 | sed 's/^/    /'
			return 1
		fi
		echo "$(tail -n 1 "$V4_WORK/t1") $((_j1 - _j0)) $((_n1 - _n0))" >> "$V4_WORK/m"
		_r=$((_r + 1))
	done
	# node cpu: the sshd trees of the nodes (nodes_cpu); a probe: over N x probes.
	# Not for Ansible: its ssh ControlPersist masters keep the sessions open
	# past the run, so their CPU is not yet in their sshd's children
	awk -v n="$_tool" -v hz="$(getconf CLK_TCK)" -v probes="$((n * NPROBES))" \
		'{w[NR]=$1; c[NR]=$2+$3; m[NR]=$5/hz; nc[NR]=$6/hz; if ($4>r) r=$4}
	function med(a, k,   i,j,t) { for(i=1;i<=k;i++) for(j=i+1;j<=k;j++) if(a[j]<a[i]){t=a[i];a[i]=a[j];a[j]=t}; return a[int((k+1)/2)] }
	END { mn = med(nc,NR); nm = n ~ /^(ansible|playbook)$/
	printf "| %-20s | %8.2f | %8.2f | %8.1f | %9.1f | %8s | %8s |\n", n, med(w,NR), med(c,NR), r/1024, med(m,NR),
		nm ? "-" : sprintf("%.2f", mn), nm ? "-" : sprintf("%.2f", mn * 1000 / probes) }' "$V4_WORK/m"
}

# facts_awk: sums the "facts K KiB (R KiB as read)" of v4check -v lines.
facts_awk='/: [0-9]+ probes in .* facts / {
	for (i = 1; i <= NF; i++) if ($i == "facts") k += $(i + 1)
	if (match($0, /\(([0-9.]+) KiB as read\)/)) { s = substr($0, RSTART + 1); sub(/ KiB.*/, "", s); a += s }
	m++ }'

# facts_per_node TOOL V4CHECK-ARGS...: one more run with -v; notes what the
# controller keeps per node (its facts after the reduction, and as read), and
# how many nodes ran in each mode.
facts_per_node() {
	_t=$1; shift
	"$@" -v >/dev/null 2>"$V4_WORK/v"
	awk -v t="$_t" "$facts_awk"' /probes in .* \((agent|agentless), / { mode[$0 ~ /\(agent,/ ? "agent" : "agentless"]++ }
	END { if (m) printf "%s -v: facts kept %.1f KiB a node on average (%.1f KiB as read), %d nodes (agent mode %d, agentless %d).\n", t, k / m, a / m, m, mode["agent"], mode["agentless"] }' \
		"$V4_WORK/v" >> "$V4_WORK/notes"
}

# The inventory, ansible.cfg and playbook for the Ansible contenders.
ansible_files() {
	printf '[nodes]\n' > "$V4_WORK/inv"
	i=1; while [ $i -le "$n" ]; do node_ip $i >> "$V4_WORK/inv"; i=$((i + 1)); done
	cat > "$V4_WORK/ansible.cfg" <<EOF
[defaults]
host_key_checking = True
forks = 64
gathering = explicit
interpreter_python = /usr/bin/python3
retry_files_enabled = False
[ssh_connection]
ssh_args = -o UserKnownHostsFile=$V4_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ControlPersist=60s
control_path_dir = $V4_WORK/cp
pipelining = True
transfer_method = piped
EOF
	# !unsafe: the probes' {{...}} (docker inspect -f) are not Jinja templates;
	# failed_when false: a probe's exit status is evidence, not a failure
	python3 - "$V4_WORK/probes.json" > "$V4_WORK/play.yml" <<'PY'
import json, sys
print("- hosts: nodes\n  gather_facts: false\n  tasks:")
for line in list(open(sys.argv[1])) + [json.dumps("echo V4BENCH_DONE")]:
    print("    - shell: !unsafe %s\n      changed_when: false\n      failed_when: false" % line.strip())
PY
}

# One size: cluster up, the contenders measured, cluster down.
bench_n() {
	n=$1
	cluster_up "$n" >/dev/null || { echo "bench: cluster of $n did not come up" >&2; return 1; }
	cluster_init_nodes
	i=1; hosts=
	while [ $i -le "$n" ]; do
		echo "$DELAY_MS" > "$(node_state $i)/delay_ms"
		hosts="$hosts${hosts:+,}$(node_ip $i)"
		i=$((i + 1))
	done
	# the deployment grown to N nodes: data-parallel size N (one rank a node)
	cluster_clean_command "$V4_WORK/serve0.sh"
	sed "s/--data-parallel-size 4 /--data-parallel-size $n /" "$V4_WORK/serve0.sh" > "$V4_WORK/serve.sh"
	# connect timeout 60 s: at 128 nodes, 64 handshakes at once wait for the two cores
	cluster_config "$V4_WORK/c.json" 60 "$(cluster_deployment "$V4_WORK/serve.sh")"
	probe_script "$V4_WORK/c.json"
	NPROBES=$(wc -l < "$V4_WORK/probes.json")
	script=$(cat "$V4_WORK/probes.sh")
	SSHOPT="-i $V4_CLIENT_KEY -o UserKnownHostsFile=$V4_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o BatchMode=yes -l root"
	ansible_files
	echo "### N = $n nodes, $NPROBES probes a node, ${DELAY_MS} ms a tool call, median of $RUNS runs"
	echo
	echo "Load before: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
	echo
	echo "| tool | wall s | ctl cpu s | rss MiB | machine cpu s | node cpu s | node cpu ms/probe |"
	echo "|---|---|---|---|---|---|---|"
	for tool in $TOOLS; do
		case $tool in
		# -t 60: N nodes share this machine's 2 cores, and a probe waits its
		# turn for them (pdsh and clush run without any timeout)
		v4check) measure v4check "$V4CHECK" -c "$V4_WORK/c.json" -t 60 --agent never all &&
			facts_per_node v4check "$V4CHECK" -c "$V4_WORK/c.json" -t 60 --agent never all ;;
		v4check-agent) measure v4check-agent "$V4CHECK" -c "$V4_WORK/c.json" -t 60 --agent require all &&
			facts_per_node v4check-agent "$V4CHECK" -c "$V4_WORK/c.json" -t 60 --agent require all ;;
		pdsh) PDSH_SSH_ARGS_APPEND="$SSHOPT" measure pdsh pdsh -R ssh -f 64 -w "$hosts" "$script" ;;
		clush) measure clush clush -f 64 -o "$SSHOPT" -w "$hosts" "$script" ;;
		ansible | playbook)
			max=$ANSIBLE_MAX; [ $tool = playbook ] && max=$PLAYBOOK_MAX
			if [ "$n" -gt "$max" ]; then
				echo "| $tool | (left out above $max nodes) | | | |"
				continue
			fi
			export ANSIBLE_CONFIG=$V4_WORK/ansible.cfg ANSIBLE_HOME=$V4_WORK/ansible-home \
				ANSIBLE_LOCAL_TEMP=$V4_WORK/ansible-tmp ANSIBLE_NOCOLOR=1
			if [ $tool = ansible ]; then
				measure ansible ansible nodes -i "$V4_WORK/inv" -u root --private-key "$V4_CLIENT_KEY" \
					-m shell -a "{% raw %}$script{% endraw %}"
			else
				measure playbook ansible-playbook -i "$V4_WORK/inv" -u root \
					--private-key "$V4_CLIENT_KEY" "$V4_WORK/play.yml"
			fi ;;
		esac
	done
	echo
	[ -s "$V4_WORK/notes" ] && cat "$V4_WORK/notes"
	cluster_down
}

# fleet_ip I: simulated node i's address (198.19.56.10 onwards, in the /21
# 198.19.56.0-198.19.63.255: at most 2038 nodes; FLEET_NET moves the /21).
fleet_ip() {
	_a=$(($1 + 9))
	echo "198.19.$((FLEET_NET + _a / 256)).$((_a % 256))"
}

# Removes the simulated fleet (namespace, veth, sshd, work dir).
fleet_down() {
	[ -f "$V4_WORK/fsshd/sshd.pid" ] && kill "$(cat "$V4_WORK/fsshd/sshd.pid")" 2>/dev/null
	_ns_kill "${V4_NS}f"
	ip netns del "${V4_NS}f" 2>/dev/null
	ip link del "${V4_NS}fh" 2>/dev/null
	rm -rf "$V4_WORK"
}

# fleet_up N: one namespace holding N addresses, one sshd answering on all,
# one fake node state; known_hosts and a config listing the N nodes.
fleet_up() {
	fleet_down
	trap fleet_down EXIT
	mkdir -p "$V4_WORK/fsshd" /run/sshd && chmod 700 "$V4_WORK" || return 1
	ssh-keygen -q -t ed25519 -N '' -C v4check-bench -f "$V4_CLIENT_KEY" || return 1
	cp "$V4_CLIENT_KEY.pub" "$V4_WORK/authorized_keys"
	ssh-keygen -q -t ed25519 -N '' -C v4fleet -f "$V4_WORK/fsshd/key" || return 1
	${CC:-cc} -O2 -o "$V4_WORK/node-shell" "$V4_REPO/tests/cluster/node-shell.c" || return 1
	_host_paths && _hostbin || return 1
	ip netns add "${V4_NS}f" || return 1
	ip link add "${V4_NS}fh" type veth peer name "${V4_NS}fn" netns "${V4_NS}f" || return 1
	[ "$1" -le 2038 ] || { echo "bench: at most 2038 simulated nodes" >&2; return 1; }
	ip addr add "198.19.$FLEET_NET.1/21" dev "${V4_NS}fh" && ip link set "${V4_NS}fh" up
	ip -n "${V4_NS}f" link set lo up && ip -n "${V4_NS}f" link set "${V4_NS}fn" up
	_i=1
	: > "$V4_WORK/addrs"
	: > "$V4_KNOWN_HOSTS"
	_key=$(cut -d' ' -f1,2 "$V4_WORK/fsshd/key.pub")
	while [ $_i -le "$1" ]; do
		echo "addr add $(fleet_ip $_i)/21 dev ${V4_NS}fn" >> "$V4_WORK/addrs"
		echo "$(fleet_ip $_i) $_key" >> "$V4_KNOWN_HOSTS"
		_i=$((_i + 1))
	done
	# the nodes share one namespace: `ip` there would list all N addresses, so
	# the nodes get a trivial fake `ip` printing that namespace with one address
	mkdir -p "$V4_WORK/fbin"
	ip -n "${V4_NS}f" addr add "$(fleet_ip 1)/21" dev "${V4_NS}fn" || return 1
	ip -n "${V4_NS}f" -j addr show > "$V4_WORK/fbin/ip.addr"
	ip -n "${V4_NS}f" -j -d link show > "$V4_WORK/fbin/ip.link"
	printf '#!/bin/sh\ncase "$*" in\n"-j addr show") exec cat %s ;;\n"-j -d link show") exec cat %s ;;\nesac\nexec /usr/sbin/ip "$@"\n' \
		"$V4_WORK/fbin/ip.addr" "$V4_WORK/fbin/ip.link" > "$V4_WORK/fbin/ip"
	chmod 755 "$V4_WORK/fbin/ip"
	sed -i 1d "$V4_WORK/addrs" # the first is there already
	ip -n "${V4_NS}f" -batch "$V4_WORK/addrs" || return 1
	mkdir -p "$V4_WORK/state"
	sh "$V4_REPO/fixtures/fake/v4fake" init "$V4_WORK/state" --rank 0 --bond-ip "$(fleet_ip 1)" >/dev/null
	{
		echo "ListenAddress 0.0.0.0:22"
		echo "HostKey $V4_WORK/fsshd/key"
		echo "PidFile $V4_WORK/fsshd/sshd.pid"
		echo "AuthorizedKeysFile $V4_WORK/authorized_keys"
		echo "PubkeyAuthentication yes"
		echo "PasswordAuthentication no"
		echo "KbdInteractiveAuthentication no"
		echo "PermitRootLogin prohibit-password"
		echo "UsePAM no"
		echo "StrictModes no"
		echo "MaxSessions 10"
		echo "MaxStartups 256"
		echo "LogLevel ERROR"
		echo "SetEnv PATH=$V4_WORK/fbin:$AGENT_BIN:$V4_REPO/fixtures/fake/bin:$V4_WORK/hostbin:/usr/bin:/bin V4_FAKE_STATE=$V4_WORK/state HOME=$V4_WORK/state"
		echo "ForceCommand $V4_WORK/node-shell"
	} > "$V4_WORK/fsshd/sshd_config"
	cluster_clean_command "$V4_WORK/serve0.sh"
	sed "s/--data-parallel-size 4 /--data-parallel-size $1 /" "$V4_WORK/serve0.sh" > "$V4_WORK/serve.sh"
	ip netns exec "${V4_NS}f" "$V4_SSHD" -f "$V4_WORK/fsshd/sshd_config" -E "$V4_WORK/fsshd/log" || return 1
	{
		printf '{"nodes": ['
		_i=1
		while [ $_i -le "$1" ]; do
			[ $_i -gt 1 ] && printf ','
			printf '{"name":"n%d","host":"%s","rank":%d,"bond1":"%s"}' $_i "$(fleet_ip $_i)" \
				$((_i - 1)) "$(fleet_ip $_i)"
			_i=$((_i + 1))
		done
		printf '], "ssh": {"user": "root", "identity": "%s", "known_hosts": "%s", "connect_timeout": 60}, %s}\n' \
			"$V4_CLIENT_KEY" "$V4_KNOWN_HOSTS" "$(cluster_deployment "$V4_WORK/serve.sh")"
	} > "$V4_WORK/c.json"
	chmod 600 "$V4_WORK/c.json"
}

# bench_fleet N: `v4check -v all` over N simulated nodes, once per mode of
# FLEET_MODES (--agent never: agentless; require: agent mode): wall,
# controller CPU, peak RSS (and per node), nodes reached, facts kept per node.
bench_fleet() {
	n=$1
	fleet_up "$n" || { echo "bench: fleet of $n did not come up" >&2; return 1; }
	echo "### v4check alone, N = $n simulated nodes (one sshd, fake tools without delay)"
	echo
	echo "Load before: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
	echo
	echo "| nodes | --agent | reached | exit | wall s | ctl cpu s | peak rss MiB | rss KiB/node | machine cpu s | node cpu s | facts KiB/node kept (as read) |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	for mode in $FLEET_MODES; do
		fleet_run "$n" "$mode"
	done
	echo
	echo "Command: FLEET_MODES=\"$FLEET_MODES\" bench/bench.sh fleet $n"
	fleet_down
}

# fleet_run N MODE: one run over the fleet with --agent MODE; its table row.
fleet_run() {
	_n0=$(nodes_cpu)
	_j0=$(cpu_jiffies)
	/usr/bin/time -f '%e %U %S %M' -o "$V4_WORK/t1" "$V4CHECK" -c "$V4_WORK/c.json" -t 120 --agent "$2" -v all \
		> "$V4_WORK/out" 2> "$V4_WORK/err"
	_rc=$?
	_j1=$(cpu_jiffies)
	_n1=$(nodes_cpu)
	reached=$(grep -o "$1 nodes ([0-9]* reached)" "$V4_WORK/out" | grep -o '([0-9]*' | tr -d '(')
	awk -v n="$1" -v mode="$2" -v reached="${reached:-0}" -v rc="$_rc" -v mc="$(((_j1 - _j0) / $(getconf CLK_TCK)))" \
		-v nc="$(((_n1 - _n0) / $(getconf CLK_TCK)))" \
		'NR == FNR { w = $1; c = $2 + $3; r = $4; next }'"$facts_awk"'
		END { printf "| %d | %s | %d | %d | %.1f | %.2f | %.1f | %.1f | %d | %d | %.1f (%.1f) |\n", n, mode, reached, rc, w, c, r / 1024, r / n, mc, nc, m ? k / m : 0, m ? a / m : 0 }' \
		"$V4_WORK/t1" "$V4_WORK/err"
	grep -E '^  +(ERROR|UNREACHABLE) ' "$V4_WORK/out" | cut -c1-160 | head -5 | sed 's/^/    /'
}

# BENCH_SOURCED=1: only the functions (for a look at one fleet by hand)
[ -n "${BENCH_SOURCED:-}" ] && return 0

if [ "${1:-}" = fleet ]; then
	shift
	for n in ${*:-1024}; do
		bench_fleet "$n"
		echo
	done
	exit 0
fi

for n in ${*:-4 32 128}; do
	bench_n "$n"
	echo
done

