#!/bin/sh
# What changed since it worked: a snapshot of the healthy 4-node cluster
# (network namespaces, real sshd, fake Ascend tools), then three changes, each
# on one node: node2's driver version, a variable in the environment of
# node3's running vLLM (every node runs a fake `vllm serve` of the clean
# command in its own process namespace, lib.sh node_serve_script; node3's is
# restarted with TASK_QUEUE_ENABLE=2), and node4 NPU 5's address in
# /etc/hccn.conf. v4check all --baseline names exactly those, live
# over SSH and from a capture, the page marks them, and the Ansible gate
# passes the baseline and shows them as warnings.
# POSIX sh, root only; V4_CLUSTER picks the namespace set (default 30).
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-30}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
N=4
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
FAKE=$V4_REPO/fixtures/fake
T=$V4_WORK/t; mkdir -p "$T"
export NO_COLOR=1

cluster_clean_command "$T/clean.sh"
grep -q '^export HCCL_BUFFSIZE=512 HCCL_OP_EXPANSION_MODE=AIV TASK_QUEUE_ENABLE=1$' "$T/clean.sh" ||
	echo "# the clean command no longer exports TASK_QUEUE_ENABLE=1 as expected"

# cfg [K FILE]: the config (node K gets FILE as its own serve_command).
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
cluster_init_nodes
cfg
V="$V4CHECK -c $T/c.json -t 60"
i=1
while [ $i -le $N ]; do
	node_serve_script $i "$T/clean.sh" || echo "# node$i: the fake vllm serve did not start"
	i=$((i + 1))
done

# drift_set FILE: the drift check's non-PASS results of a JSON report, one
# "node code field npu" line each, sorted.
drift_set() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = []
for c in d["checks"]:
    for x in c["results"]:
        if c["id"] == "drift" and x["status"] != "PASS":
            e = x["evidence"]
            rows.append("%s %s %s %s" % (x["node"], x["code"], e.get("field", "-"), e.get("npu", "-")))
print("\n".join(sorted(rows)))
PY
}

# --- the healthy cluster, and its snapshot ---
run "$T/o" $V snapshot save "$T/base.json"; is "$RC" 0 "snapshot save of the healthy cluster: 0"
[ "$RC" = 0 ] || sed 's/^/# /' "$T/o" | head -20
like "$T/o" 'snapshot of 4 nodes \(ssh\) written to ' "four nodes recorded"
python3 - "$T/base.json" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))["nodes"]
assert all(n[k]["serve"]["source"] == "running process" for k in n), [n[k]["serve"]["source"] for k in n]
assert n["node3"]["serve"]["env"]["TASK_QUEUE_ENABLE"] == "1", n["node3"]["serve"]["env"]
PY
ok $? "the snapshot's serve sections are the running vLLMs' (node3: TASK_QUEUE_ENABLE=1)"
run "$T/o" $V all --baseline "$T/base.json"; is "$RC" 0 "unchanged cluster: all --baseline exits 0"
like "$T/o" '^  PASS +OK +node\[1-4\]: as in the baseline of ' "every node as in the baseline"
[ "$RC" = 0 ] || grep -E '^  (FAIL|ERROR|WARN)' "$T/o" | sed 's/^/# /'

# --- three changes ---
sh "$FAKE/v4fake" fault "$(node_state 2)" driver-version 25.5.2 >/dev/null
node_unserve 3; ok $? "node3's vllm serve stopped"
node_serve_script 3 "$T/clean.sh" 's/^TASK_QUEUE_ENABLE=1$/TASK_QUEUE_ENABLE=2/'
ok $? "node3's vllm serve started again with TASK_QUEUE_ENABLE=2"
nv=0 nchanged=0
for p in $(ip netns pids "${V4_NS}n3"); do
	case $(readlink "/proc/$p/exe") in "$V4_WORK/fake-vllm"*) ;; *) continue ;; esac
	nv=$((nv + 1))
	tr '\0' '\n' < "/proc/$p/environ" | grep -qx 'TASK_QUEUE_ENABLE=2' && nchanged=$((nchanged + 1))
done
[ $nv -gt 0 ] && [ $nchanged = $nv ]
ok $? "all $nv processes of node3's vLLM have TASK_QUEUE_ENABLE=2 in their environment"
H4=$(node_state 4)/etc/hccn.conf
sed 's/^address_5=10\.20\.3\.16$/address_5=10.20.3.99/' "$H4" > "$T/h4" && cat "$T/h4" > "$H4"
grep -q '^address_5=10.20.3.99$' "$H4"; ok $? "node4's hccn.conf now has address_5=10.20.3.99"

run "$T/o" $V all --baseline "$T/base.json" --html "$T/page.html"
like "$T/o" '^  WARN +DRIFT_VERSION +node2: driver 25.5.2, baseline 25.5.1$' "node2: the installed driver"
like "$T/o" '^  WARN +DRIFT_VERSION +node2: driver_loaded 25.5.2, baseline 25.5.1$' "node2: the loaded driver (npu-smi)"
like "$T/o" "^  WARN +DRIFT_ENV +node3: serving processes' TASK_QUEUE_ENABLE 2, baseline 1\$" "node3: the serving environment"
like "$T/o" '^  WARN +DRIFT_HCCN_CONF +node4: NPU 5: /etc/hccn.conf address_5 10.20.3.99, baseline 10.20.3.16$' "node4 NPU 5: the hccn.conf address"
like "$T/o" '^  PASS +OK +node1: as in the baseline' "node1: unchanged"
"$V4CHECK" -c "$T/c.json" -t 60 all --baseline "$T/base.json" -o json > "$T/live.json"
drift_set "$T/live.json" > "$T/live.set"
printf '%s\n' "node2 DRIFT_VERSION versions.driver -" "node2 DRIFT_VERSION versions.driver_loaded -" \
	"node3 DRIFT_ENV serve.env.TASK_QUEUE_ENABLE -" "node4 DRIFT_HCCN_CONF hccn_conf.address 5" > "$T/want.set"
cmp -s "$T/want.set" "$T/live.set"; ok $? "live: exactly these drift findings, and nothing else"
cmp -s "$T/want.set" "$T/live.set" || sed 's/^/# got: /' "$T/live.set"
like "$T/o" 'FAIL +VERSION_INCONSISTENT cluster: driver differs between nodes: 25.5.2 on node2' "the checks' own verdicts stand beside them (versions)"
like "$T/o" 'FAIL +IP_MISMATCH +node4: NPU 5: ' "and roce"

# the page marks node4 NPU 5 and the rows of node2 and node3
python3 - "$T/page.html" <<'PY'
import sys, html.parser
cells, rows = [], []
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and a.get("data-changed") == "1":
            cells.append((a["data-node"], a["data-npu"]))
        if tag == "tr" and "changed" in a.get("class", "").split():
            rows.append(a["data-node"])
P().feed(open(sys.argv[1]).read())
assert cells == [("node4", "5")], cells
assert rows == ["node2", "node3"], rows
PY
ok $? "the page marks node4 NPU 5's cell and node2's and node3's rows, nothing else"

# --- the same from a capture ---
run "$T/o" $V collect -o "$T/cap"; is "$RC" 0 "collect the changed cluster"
"$V4CHECK" all --replay "$T/cap" --baseline "$T/base.json" -o json > "$T/replay.json"
drift_set "$T/replay.json" > "$T/replay.set"
cmp -s "$T/want.set" "$T/replay.set"; ok $? "replay: the same drift findings"

# --- the Ansible gate with v4check_gate_baseline ---
if ! command -v ansible-playbook >/dev/null; then
	skip "ansible-playbook not installed"
	done_testing
	exit
fi
cfg
{
	echo "[vllm]"
	i=1
	while [ $i -le $N ]; do
		echo "node$i ansible_host=$(node_ip $i) v4check_rank=$((i - 1)) v4check_bond1=$(node_ip $i)"
		i=$((i + 1))
	done
	cat <<EOF

[vllm:vars]
ansible_connection=ssh
ansible_user=root
ansible_ssh_private_key_file=$V4_CLIENT_KEY
ansible_ssh_common_args=-o UserKnownHostsFile=$V4_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o ConnectTimeout=20
ansible_ssh_transfer_method=piped
ansible_ssh_pipelining=true
ansible_python_interpreter=/usr/bin/python3
EOF
} > "$T/inventory.ini"
python3 - "$T/vars.json" "$V4CHECK" "$T" "$V4_KNOWN_HOSTS" "$T/clean.sh" "$(_nofile_min)" <<'PY'
import json, sys
out, v4check, t, known, clean, nofile_min = sys.argv[1:6] + [int(sys.argv[6])]
json.dump({
    "v4check_gate_binary": v4check,
    "v4check_gate_workdir": t + "/gate",
    "v4check_gate_ssh_known_hosts": known,
    "v4check_gate_connect_timeout": 20,
    "v4check_gate_timeout": 60,
    "v4check_gate_deployment": {"model_dir": "/data/models/DeepSeek-V4-Pro-w4a8-mtp",
                                "serve_command": open(clean).read()},
    "v4check_gate_check_params": {"model": {"min_free_gb": 1}, "limits": {"nofile_min": nofile_min}},
    "v4check_gate_warn_only": ["versions", "roce", "container"],
}, open(out, "w"), indent=1)
PY
# gate [EXTRA-VARS-JSON]: the gate alone over the four nodes.
gate() {
	(cd "$V4_REPO/ansible" && ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=True \
		ansible-playbook -i "$T/inventory.ini" site.yml --tags gate -e "@$T/vars.json" ${1:+-e "$1"})
}
run "$T/g0" gate; is "$RC" 0 "the gate without a baseline passes (versions, roce and container demoted)"
[ "$RC" = 0 ] || tail -30 "$T/g0" | sed 's/^/# /'
run "$T/g1" gate "{\"v4check_gate_baseline\": \"$T/base.json\"}"; is "$RC" 0 "the gate with the baseline passes: drift is WARN"
[ "$RC" = 0 ] || tail -30 "$T/g1" | sed 's/^/# /'
like "$T/g1" 'DRIFT_HCCN_CONF' "the gate shows the drift findings as warnings"
like "$T/g1" 'drift WARN node4 DRIFT_HCCN_CONF: NPU 5: ' "naming node4 NPU 5"
drift_set "$T/gate/report.json" > "$T/gate.set"
cmp -s "$T/want.set" "$T/gate.set"; ok $? "the gate's report: the same drift findings"
cmp -s "$T/want.set" "$T/gate.set" || sed 's/^/# got: /' "$T/gate.set"
unlike "$T/g0" 'DRIFT_' "without the variable, no drift check"
done_testing
