#!/bin/sh
# The Ansible gate (ansible/roles/v4check_gate) with real ansible-playbook
# against the namespace cluster: ansible/site.yml --tags gate over 4 nodes,
# direct and merge mode, a TLS fault on node3, and its repair.
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-2}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
if ! command -v ansible-playbook >/dev/null; then
	echo "1..0 # SKIP ansible-playbook not installed"
	exit 0
fi
V4CHECK=$(pwd)/v4check
[ -x "$V4CHECK" ] || { echo "1..0 # SKIP ./v4check not built"; exit 0; }
N=4
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
FAKE=$V4_REPO/fixtures/fake
T=$V4_WORK/t; mkdir -p "$T"
MODEL=/data/models/DeepSeek-V4-Pro-w4a8-mtp

# Healthy nodes (v4fake init writes the model under state/data, bound at /data).
i=1
while [ $i -le $N ]; do
	s=$(node_state $i)
	sh "$FAKE/v4fake" init "$s" --rank $((i - 1)) --bond-ip "$(node_ip $i)" >/dev/null
	i=$((i + 1))
done

# The inventory: the namespace nodes; Ansible's python is the host's (shared
# file system). The nodes' sshd runs every session through node-shell
# (ForceCommand), so sftp/scp cannot work: files go piped over the shell.
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
} >"$T/inventory.ini"

# Test settings: binaries and work folders here; a clean serve command (the
# gate lints it) with loader threads the test machine's cores allow.
python3 - "$T/vars.json" "$V4CHECK" "$T" "$V4_KNOWN_HOSTS" "$(node_ip 1)" "$MODEL" <<'PY'
import json, sys
out, v4check, t, known, rank0, model = sys.argv[1:]
serve = (
    "vllm serve %s --host 0.0.0.0 --port 10010 $([ $RANK != 0 ] && echo --headless) "
    "--max-model-len 1048576 --max-num-batched-tokens 2048 --max-num-seqs 512 "
    "--served-model-name ds-v4 --gpu-memory-utilization 0.93 --block-size 128 "
    "--data-parallel-size 4 --tensor-parallel-size 8 --data-parallel-size-local 1 "
    "--data-parallel-start-rank $RANK --data-parallel-address %s "
    "--enable-expert-parallel --quantization ascend --enable-chunked-prefill --no-enable-prefix-caching "
    "--model-loader-extra-config '{\"enable_multithread_load\": true, \"num_threads\": 1}' "
    "--speculative-config '{\"num_speculative_tokens\": 1, \"method\": \"mtp\", \"enforce_eager\": true}' "
    "--additional-config '{\"enable_cpu_binding\": true, \"ascend_compilation_config\": {\"enable_npugraph_ex\": true}}' "
    "--compilation-config '{\"cudagraph_mode\": \"FULL_DECODE_ONLY\"}'" % (model, rank0))
json.dump({
    "v4check_gate_binary": v4check,
    "v4check_gate_node_binary": v4check,
    "v4check_gate_workdir": t + "/gate",
    "v4check_gate_node_workdir": t + "/gate-node",
    "v4check_gate_ssh_known_hosts": known,
    "v4check_gate_connect_timeout": 20,
    "v4check_gate_timeout": 30,
    "v4check_gate_deployment": {"model_dir": model, "serve_command": serve},
    "v4check_gate_check_params": {"loader": {"min_threads": 1}},
}, open(out, "w"), indent=1)
PY

export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_HOME=$T/ansible-home ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_SSH_CONTROL_PATH_DIR=$T/cp ANSIBLE_LOCAL_TEMP=$T/ansible-tmp
# gate OUT [ANSIBLE-PLAYBOOK ARGS...]: the gate of site.yml; sets RC, keeps the report.
gate() {
	_out=$1
	shift
	_t0=$(date +%s)
	rm -f "$T/gate/report.json" # a play that stops early leaves none: no stale verdicts
	run "$_out" sh -c 'r=$0 inv=$1 vars=$2; shift 2; cd "$r/ansible" &&
		exec ansible-playbook -i "$inv" site.yml --tags gate -e @"$vars" "$@"' \
		"$V4_REPO" "$T/inventory.ini" "$T/vars.json" "$@"
	echo "# $(basename "$_out"): exit $RC in $(($(date +%s) - _t0)) s"
}
# statuses FILE: the exit and "check node status code" lines of a report.
statuses() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("exit", d["exit"])
for c in d["checks"]:
    for r in c["results"]:
        print(c["id"], r["node"], r["status"], r["code"])
PY
}

# 1. A healthy cluster: every check (`all`) passes the gate.
gate "$T/healthy.out"
is "$RC" 0 "healthy cluster: the gate passes"
like "$T/healthy.out" '"v4check gate: (PASS|SKIP) \(exit 0, ssh to 4 nodes\)"' "it says so, exit 0"
python3 - "$T/gate/report.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = [c["id"] for c in d["checks"]]
for want in ("tls", "npu-mem", "npu", "roce", "versions", "serve-args"):
    assert want in ids, (want, ids)
bad = [(c["id"], r["node"], r["status"], r["code"], r["message"]) for c in d["checks"]
       for r in c["results"] if r["status"] not in ("PASS", "SKIP")]
assert not bad, bad
assert [n["state"] for n in d["nodes"]] == ["reached"] * 4
PY
ok $? "the report: all checks run, PASS or SKIP, four nodes reached"

# 2. TLS on node3's eight NPUs: the play fails and says where and why.
sh "$FAKE/v4fake" fault "$(node_state 3)" tls-on >/dev/null
gate "$T/fault.out"
is "$RC" 2 "TLS on node3: the play fails"
like "$T/fault.out" 'fatal: .*v4check gate: FAIL \(exit 2, ssh to 4 nodes\)' "the failure is the gate's verdict"
like "$T/fault.out" 'fatal: .*tls FAIL node3 TLS_MISMATCH: TLS enabled on NPU 0-7 of 8' "the message names node3, the check and the finding"
like "$T/fault.out" 'fatal: .*tls FAIL cluster TLS_INCONSISTENT: .*enabled on \[node3\]' "and the cross-node verdict"
unlike "$T/fault.out" 'tls FAIL node[124] ' "no other node is blamed"
cp "$T/gate/report.json" "$T/direct.json"

# 2b. --check: the gate still judges (read-only tasks run), fixes are only planned.
gate "$T/check.out" --check -e '{"v4check_gate_fix": ["tls"]}'
is "$RC" 2 "--check: the gate still judges and fails the play"
like "$T/check.out" 'fatal: .*tls FAIL node3 TLS_MISMATCH' "--check: the same finding"
like "$T/check.out" '"node3: hccn_tool -i 0 -tls -s enable 0: planned"' "--check: the repair is planned, not applied"
is "$(cat "$(node_state 3)"/tls.* | sort -u)" 1 "--check: node3's TLS is still on"

# 3. Merge mode on the same cluster: per-node runs, merged on the controller.
# One fork: the nodes run one after the other, seconds apart, as in a fleet
# larger than Ansible's forks; each node's plain `--local -o json` report.
gate "$T/merge-check.out" -e v4check_gate_mode=merge --check --forks 1
is "$RC" 2 "merge mode under --check: the play fails on the merged verdict"
statuses "$T/gate/report.json" >"$T/merge-check.st"
test ! -e "$T/gate-node"; ok $? "merge mode under --check: nothing written on the nodes"
gate "$T/merge.out" -e v4check_gate_mode=merge --forks 1
is "$RC" 2 "merge mode: the play fails too"
like "$T/merge.out" 'fatal: .*v4check gate: FAIL \(exit 2, merge of 4 reports\)' "from the merged report"
like "$T/merge.out" 'fatal: .*tls FAIL node3 TLS_MISMATCH' "naming node3"
statuses "$T/direct.json" >"$T/direct.st"
statuses "$T/gate/report.json" >"$T/merge.st"
cmp -s "$T/direct.st" "$T/merge.st"
ok $? "merge: same checks, per-node statuses, codes and exit as the direct run"
[ "$T_FAIL" -gt 0 ] && diff "$T/direct.st" "$T/merge.st" | sed 's/^/#   /'
is "$(grep -c . "$T/merge.st")" "$(grep -c . "$T/direct.st")" "as many results"
cmp -s "$T/direct.st" "$T/merge-check.st"; ok $? "merge under --check: the same verdicts as the direct run"
grep -q '^clock node[1-4] PASS OK$' "$T/merge.st" && ! grep -q '^clock .* CLOCK_SKEW' "$T/merge.st"
ok $? "nodes run seconds apart: their clocks PASS, as in the direct run"
unlike "$T/merge.out" '"--facts"' "the nodes' plain reports are merged (no --facts)"

# 3b. Installing the package in merge mode: a .deb built here (the v4check
# just built, under a name and folder of this test's own).
PKG=v4check-gatetest$V4_CLUSTER
mkdir -p "$T/deb/DEBIAN" "$T/deb/usr/lib/$PKG"
cp "$V4CHECK" "$T/deb/usr/lib/$PKG/v4check"
printf 'Package: %s\nVersion: 0.1-1\nArchitecture: %s\nMaintainer: v4check tests <tests@example.org>\nDescription: v4check built by tests/cluster/ansible.t\n' \
	"$PKG" "$(dpkg --print-architecture)" >"$T/deb/DEBIAN/control"
dpkg-deb --root-owner-group --build "$T/deb" "$T/$PKG.deb" >/dev/null
ok $? "a .deb to install"
gate "$T/pkg-check.out" -e v4check_gate_mode=merge --check \
	-e v4check_gate_package="$T/$PKG.deb" -e v4check_gate_node_binary="$V4CHECK"
is "$RC" 2 "--check with a package: the gate still judges"
is "$(grep -c "$PKG 0.1-1 from $PKG.deb: would be installed (node has none)" "$T/pkg-check.out")" 4 \
	"--check: each of the 4 nodes would install it"
dpkg-query -W "$PKG" >/dev/null 2>&1; is $? 1 "--check: nothing was installed"
# A real install changes this machine's dpkg database (the namespace nodes
# share its file system): only in CI's own machine or when asked.
if [ "${CI:-}" = true ] || [ "${V4_TEST_INSTALL:-}" = 1 ]; then
	# one fork: the four test nodes share this machine's dpkg, and its lock
	gate "$T/pkg.out" -e v4check_gate_mode=merge -e v4check_gate_package="$T/$PKG.deb" --forks 1 \
		-e v4check_gate_node_binary="/usr/lib/$PKG/v4check"
	is "$RC" 2 "the package installed on the nodes: they run it, the gate judges"
	# the nodes run /usr/lib/$PKG/v4check, which only the package put there: a
	# node without it would be UNREACHABLE (exit 3), not FAIL with node3's finding
	like "$T/pkg.out" 'fatal: .*v4check gate: FAIL \(exit 2, merge of 4 reports\)' "the play failed on the merged verdict"
	like "$T/pkg.out" 'fatal: .*tls FAIL node3 TLS_MISMATCH' "judged from the installed v4check's reports"
	dpkg-query -W -f '${Version}' "$PKG" >"$T/ver" 2>/dev/null
	is "$(cat "$T/ver")" "0.1-1" "the package is installed"
	statuses "$T/gate/report.json" >"$T/pkg.st"
	cmp -s "$T/direct.st" "$T/pkg.st"; ok $? "the installed v4check's merged verdicts equal the direct run's"
	dpkg -r "$PKG" >/dev/null 2>&1
else
	skip "real package install (set V4_TEST_INSTALL=1; CI does it)"
fi

# 3c. Ansible validates the variables (meta/argument_specs.yml).
gate "$T/bad.out" -e v4check_gate_mode=bogus
is "$RC" 2 "a wrong v4check_gate_mode stops the play"
like "$T/bad.out" 'v4check_gate_mode.*(must be one of|choices).*direct, merge' "Ansible says which values it takes"
gate "$T/bad2.out" -e v4check_gate_fix_fanout=many
like "$T/bad2.out" 'v4check_gate_fix_fanout.*int' "a wrong type is named"
if command -v ansible-lint >/dev/null; then
	(cd "$V4_REPO/ansible" && ANSIBLE_HOME=$T/ansible-home ansible-lint --offline -q site.yml roles/v4check_gate) >"$T/lint" 2>&1
	is "$?" 0 "ansible-lint is clean"
	[ "$T_FAIL" -gt 0 ] && sed 's/^/#   /' "$T/lint" | tail -30
else
	skip "ansible-lint not installed"
fi

# 4. v4check_gate_fix: [tls] repairs node3, then the gate passes.
gate "$T/fix.out" -e '{"v4check_gate_fix": ["tls"]}'
is "$RC" 0 "v4check_gate_fix [tls]: the gate passes after the repair"
like "$T/fix.out" '"node3: hccn_tool -i 7 -tls -s enable 0: applied"' "the repairs are shown"
unlike "$T/fix.out" '"node[124]: hccn_tool' "only node3 was changed"
is "$(cat "$(node_state 3)"/tls.* | sort -u)" 0 "node3's TLS is off on every NPU"
done_testing
