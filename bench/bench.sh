#!/bin/sh
# Benchmark: `v4check all` against pdsh, ClusterShell and Ansible running the
# same probes on N fake nodes (network namespaces + sshd, 198.18.1.0/24) whose
# fake tools take 30 ms a call. Prints a table of median wall time, controller
# CPU time (user+sys of everything the controller ran), peak RSS, and the
# node-side CPU of the whole machine. Every run is verified: a contender that
# did not run every probe on every node is marked FAILED, not timed.
#
#   bench/bench.sh [N ...]        (default: 4 32 128; root only)
# Env: RUNS (default 5), DELAY_MS (default 30), ANSIBLE_MAX (default 32) and
# PLAYBOOK_MAX (default 4): Ansible ad-hoc and the playbook are left out above
# that many nodes (one playbook run at 32 nodes takes many minutes here),
# TOOLS (default "v4check pdsh clush ansible playbook").
set -u
cd "$(dirname "$0")/.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-1}
V4_REPO=$(pwd)
. tests/cluster/lib.sh
cluster_require >/dev/null
RUNS=${RUNS:-5}
DELAY_MS=${DELAY_MS:-30}
ANSIBLE_MAX=${ANSIBLE_MAX:-32}
PLAYBOOK_MAX=${PLAYBOOK_MAX:-4}
TOOLS=${TOOLS:-v4check pdsh clush ansible playbook}
V4CHECK=$(pwd)/v4check
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
	v4check) [ "$3" = 0 ] && grep -q "^v4check .*: $n nodes ($n reached)" "$2" ;;
	pdsh | clush | ansible) [ "$3" = 0 ] && [ "$(grep -c 'V4BENCH_DONE' "$2")" = "$n" ] ;;
	playbook) [ "$3" = 0 ] && [ "$(grep -cE "ok=$((NPROBES + 1)) +changed=0 +unreachable=0 +failed=0" "$2")" = "$n" ] ;;
	esac
}

cpu_jiffies() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# measure TOOL CMD...: RUNS verified runs; prints "TOOL wall cpu rss machine-cpu".
measure() {
	_tool=$1; shift
	: > "$V4_WORK/m"
	_r=0
	while [ $_r -lt "$RUNS" ]; do
		_j0=$(cpu_jiffies)
		/usr/bin/time -f '%e %U %S %M' -o "$V4_WORK/t1" "$@" >"$V4_WORK/out" 2>&1
		_rc=$?
		_j1=$(cpu_jiffies)
		if ! verify "$_tool" "$V4_WORK/out" "$_rc"; then
			printf '%-22s FAILED (exit %s); its output:\n' "$_tool" "$_rc"
			{ grep -E '^  (FAIL|ERROR|UNREACHABLE) ' "$V4_WORK/out"; tail -n 15 "$V4_WORK/out"; } |
				head -n 30 | sed 's/^/    /'
			return 1
		fi
		echo "$(tail -n 1 "$V4_WORK/t1") $((_j1 - _j0))" >> "$V4_WORK/m"
		_r=$((_r + 1))
	done
	awk -v n="$_tool" -v hz="$(getconf CLK_TCK)" '{w[NR]=$1; c[NR]=$2+$3; m[NR]=$5/hz; if ($4>r) r=$4}
	function med(a, k,   i,j,t) { for(i=1;i<=k;i++) for(j=i+1;j<=k;j++) if(a[j]<a[i]){t=a[i];a[i]=a[j];a[j]=t}; return a[int((k+1)/2)] }
	END { printf "| %-20s | %8.2f | %8.2f | %8.1f | %9.1f |\n", n, med(w,NR), med(c,NR), r/1024, med(m,NR) }' "$V4_WORK/m"
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
	echo "| tool | wall s | ctl cpu s | rss MiB | machine cpu s |"
	echo "|---|---|---|---|---|"
	for tool in $TOOLS; do
		case $tool in
		# -t 60: N nodes share this machine's 2 cores, and a probe waits its
		# turn for them (pdsh and clush run without any timeout)
		v4check) measure v4check "$V4CHECK" -c "$V4_WORK/c.json" -t 60 all ;;
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
	cluster_down
}

for n in ${*:-4 32 128}; do
	bench_n "$n"
	echo
done
