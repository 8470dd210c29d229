#!/bin/sh
# Benchmark: `v4check all` against pdsh, ClusterShell and Ansible running the
# same probes on N fake nodes (network namespaces + sshd, 198.18.0.0/24) whose
# fake tools take 30 ms a call. Prints a table of median wall time, controller
# CPU time (user+sys of everything the controller ran) and peak RSS.
#
#   bench/bench.sh [N ...]        (default: 4 32 128; root only)
# Env: RUNS (default 5), DELAY_MS (default 30), ANSIBLE_MAX (default 32: Ansible is
# left out above that many nodes, where one playbook run takes many minutes).
set -u
cd "$(dirname "$0")/.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-1}
. tests/cluster/lib.sh
cluster_require >/dev/null
RUNS=${RUNS:-5}
DELAY_MS=${DELAY_MS:-30}
ANSIBLE_MAX=${ANSIBLE_MAX:-32}
V4CHECK=$(pwd)/v4check
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 1; }

# The probes `v4check all` runs on a healthy node (node 1), as one script.
probe_script() {
	"$V4CHECK" -c "$1" -H "$(node_ip 1)" collect -o "$V4_WORK/cap" >/dev/null 2>&1
	python3 - "$V4_WORK/cap" <<'PY' > "$V4_WORK/probes.sh"
import json, os, sys
cap = sys.argv[1]
node = sorted(d for d in os.listdir(cap) if os.path.isdir(os.path.join(cap, d)))[0]
for f in sorted(os.listdir(os.path.join(cap, node))):
    if f.endswith(".json"):
        m = json.load(open(os.path.join(cap, node, f)))
        if not m["cmd"].startswith("GET "):
            print(m["cmd"] + " >/dev/null 2>&1")
PY
}

# measure NAME CMD...: RUNS runs; prints "NAME wall_median cpu_median rss_max".
measure() {
	_name=$1; shift
	: > "$V4_WORK/m"
	_r=0
	while [ $_r -lt "$RUNS" ]; do
		/usr/bin/time -f '%e %U %S %M' -o "$V4_WORK/t1" "$@" >/dev/null 2>&1
		cat "$V4_WORK/t1" | tail -n 1 >> "$V4_WORK/m"
		_r=$((_r + 1))
	done
	awk -v n="$_name" '{w[NR]=$1; c[NR]=$2+$3; if ($4>r) r=$4}
	function med(a, k,   i,j,t) { for(i=1;i<=k;i++) for(j=i+1;j<=k;j++) if(a[j]<a[i]){t=a[i];a[i]=a[j];a[j]=t}; return a[int((k+1)/2)] }
	END { printf "%-22s %8.2f %8.2f %8.1f\n", n, med(w,NR), med(c,NR), r/1024 }' "$V4_WORK/m"
}

# One size: cluster up, the five contenders measured, cluster down.
bench_n() {
	n=$1
	cluster_up "$n" >/dev/null || { echo "bench: cluster of $n did not come up" >&2; return 1; }
	i=1; hosts=
	while [ $i -le "$n" ]; do
		sh fixtures/fake/v4fake init "$(node_state $i)" --rank $((i - 1)) --bond-ip "$(node_ip $i)" >/dev/null
		echo "$DELAY_MS" > "$(node_state $i)/delay_ms"
		hosts="$hosts${hosts:+,}$(node_ip $i)"
		i=$((i + 1))
	done
	printf '{"ssh": {"user": "root", "identity": "%s", "known_hosts": "%s"}}\n' "$V4_CLIENT_KEY" "$V4_KNOWN_HOSTS" > "$V4_WORK/c.json"
	probe_script "$V4_WORK/c.json"
	SSHOPT="-i $V4_CLIENT_KEY -o UserKnownHostsFile=$V4_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o BatchMode=yes -l root"
	printf '[nodes]\n' > "$V4_WORK/inv"
	i=1; while [ $i -le "$n" ]; do echo "$(node_ip $i)" >> "$V4_WORK/inv"; i=$((i + 1)); done
	printf '[defaults]\nhost_key_checking = True\nforks = 64\ngathering = explicit\ninterpreter_python = /usr/bin/python3\n[ssh_connection]\nssh_args = -o UserKnownHostsFile=%s\npipelining = True\n' "$V4_KNOWN_HOSTS" > "$V4_WORK/ansible.cfg"
	printf -- '- hosts: nodes\n  gather_facts: false\n  tasks:\n' > "$V4_WORK/play.yml"
	while IFS= read -r line; do
		printf '    - shell: %s\n      changed_when: false\n' "$(printf '%s' "$line" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" >> "$V4_WORK/play.yml"
	done < "$V4_WORK/probes.sh"
	script=$(cat "$V4_WORK/probes.sh")
	echo "## N = $n nodes, $(wc -l < "$V4_WORK/probes.sh") probes a node, ${DELAY_MS} ms a tool call, median of $RUNS runs"
	printf '%-22s %8s %8s %8s\n' tool "wall s" "cpu s" "rss MiB"
	measure "v4check all" "$V4CHECK" -c "$V4_WORK/c.json" -H "$hosts" all
	PDSH_SSH_ARGS_APPEND="$SSHOPT" measure "pdsh (one script)" pdsh -R ssh -f 64 -w "$hosts" "$script"
	measure "clush (one script)" clush -f 64 -o "$SSHOPT" -w "$hosts" "$script"
	if [ "$n" -gt "$ANSIBLE_MAX" ]; then
		echo "(ansible left out above $ANSIBLE_MAX nodes)"
		cluster_down
		return 0
	fi
	ANSIBLE_CONFIG=$V4_WORK/ansible.cfg measure "ansible ad-hoc shell" ansible nodes -i "$V4_WORK/inv" -u root --private-key "$V4_CLIENT_KEY" -m shell -a "$script"
	ANSIBLE_CONFIG=$V4_WORK/ansible.cfg measure "ansible playbook" ansible-playbook -i "$V4_WORK/inv" -u root --private-key "$V4_CLIENT_KEY" "$V4_WORK/play.yml"
	cluster_down
}

for n in ${*:-4 32 128}; do
	bench_n "$n"
	echo
done
