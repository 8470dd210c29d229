#!/bin/sh
# Agent mode (`v4check agent` on the nodes, --agent) gives the verdicts of
# agentless mode: the reference deployment (lib.sh: cluster_reference_deploy)
# and faults injected on one node each (TLS, a busy hccn_tool, a hung one, NPU
# memory held, a link down, the container stopped) are judged in both modes
# and the verdict lines must be identical. The report names each node's mode;
# a node whose v4check answers another version, and one without v4check, fall
# back to agentless and say why; --agent require makes them UNREACHABLE. The
# nodes have this build of v4check in their PATH (a copy). POSIX sh, root
# only; V4_CLUSTER=15.
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-15}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
unset V4_TEST_AGENT V4CHECK_AGENT # this file sets each run's mode itself
V4CHECK=$(pwd)/v4check
mkdir -p "$V4_WORK.bin/agent" "$V4_WORK.bin/other"
cp "$V4CHECK" "$V4_WORK.bin/agent/v4check"
# another version's agent: a hello naming v4check 0.0.9, then nothing
cat >"$V4_WORK.bin/other/v4check" <<'EOF'
#!/bin/sh
printf 'V4AG\001\001\000\000\000\000\000\012\013\000\000\000\0050.0.9'
EOF
chmod 755 "$V4_WORK.bin/other/v4check"
V4_NODE_PATH=$V4_WORK.bin/agent:$V4_REPO/fixtures/fake/bin:$V4_WORK/hostbin:/usr/bin:/bin
cluster_up 4 || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
trap 'cluster_down; rm -rf "$V4_WORK.bin"' EXIT
T=$V4_WORK/t; mkdir -p "$T"
export NO_COLOR=1
FAKE=$V4_REPO/fixtures/fake

# The built-in reference configuration with this cluster's nodes and keys
# (as reference.t writes it).
reference_config "$T/c.json"
cluster_reference_deploy
ok $? "the notes' deployment is up on 4 nodes, v4check in their PATH"

# verdicts JSON: the report's verdict lines, sorted (status check code node:
# message), host-mem's reading of this shared machine's free memory masked
# (it moves between any two runs).
verdicts() {
	python3 -c '
import json, re, sys
r = json.load(open(sys.argv[1]))
for l in sorted("%s %s %s %s: %s" % (x["status"], c["id"], x["code"], x["node"], x["message"])
                for c in r["checks"] for x in c["results"]):
    print(re.sub(r"^(\S+ host-mem .*: )[0-9.]+ GiB available", r"\1N GiB available", l))
' "$1"
}

# modes JSON: each node's name and mode ("-" none), one a line.
modes() {
	python3 -c '
import json, sys
for n in json.load(open(sys.argv[1]))["nodes"]:
    print(n["name"], n.get("mode", "-"), n.get("mode_why", ""))
' "$1"
}

# both NAME TIMEOUT "what": v4check all in both modes; same exit status,
# identical verdict lines, and every node in the mode asked.
both() {
	run "$T/$1.never.json" $V4CHECK -c "$T/c.json" -t "$2" --agent never all -o json
	rc_never=$RC
	run "$T/$1.agent.json" $V4CHECK -c "$T/c.json" -t "$2" --agent require all -o json
	is "$RC" "$rc_never" "$3: the same exit status agentless and in agent mode ($RC)"
	verdicts "$T/$1.never.json" >"$T/$1.never.v"
	verdicts "$T/$1.agent.json" >"$T/$1.agent.v"
	cmp -s "$T/$1.never.v" "$T/$1.agent.v"
	ok $? "$3: identical verdict lines ($(wc -l <"$T/$1.agent.v" | tr -d ' '))"
	diff "$T/$1.never.v" "$T/$1.agent.v" | sed 's/^/# /' | head -20
	is "$(modes "$T/$1.never.json" | awk '{print $2}' | sort | uniq -c | tr -s ' ')" " 4 agentless" \
		"$3: --agent never: every node agentless"
	is "$(modes "$T/$1.agent.json" | awk '{print $2}' | sort | uniq -c | tr -s ' ')" " 4 agent" \
		"$3: --agent require: every node in agent mode"
}

# 0. the reference deployment as the notes write it.
both ref 60 "reference deployment"
is "$rc_never" 1 "reference deployment: exit 1 (its own WARN findings) in both modes"
valid_json report "$T/ref.agent.json" "the agent-mode report (with modes) validates against the schema"

# The mode from the environment: V4CHECK_AGENT where no --agent says it,
# before the config's ssh.agent.
mode_count() { modes "$1" | awk '{print $2}' | sort | uniq -c | tr -s ' '; }
V4CHECK_AGENT=require $V4CHECK -c "$T/c.json" -t 60 all -o json >"$T/env.json" 2>/dev/null
is "$(mode_count "$T/env.json")" " 4 agent" "V4CHECK_AGENT=require: every node in agent mode"
V4CHECK_AGENT=require $V4CHECK -c "$T/c.json" -t 60 --agent never all -o json >"$T/env.json" 2>/dev/null
is "$(mode_count "$T/env.json")" " 4 agentless" "--agent never wins over V4CHECK_AGENT=require"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["ssh"]["agent"]="never"; json.dump(c, open(sys.argv[2], "w"))' \
	"$T/c.json" "$T/never.json" && chmod 600 "$T/never.json"
V4CHECK_AGENT=require $V4CHECK -c "$T/never.json" -t 60 all -o json >"$T/env.json" 2>/dev/null
is "$(mode_count "$T/env.json")" " 4 agent" "V4CHECK_AGENT=require wins over the config's ssh.agent never"
V4CHECK_AGENT=sometimes $V4CHECK -c "$T/c.json" -t 60 all -o json >/dev/null 2>"$T/env.err"
is "$?" 64 "V4CHECK_AGENT=sometimes: a configuration error (exit 64)"
like "$T/env.err" "V4CHECK_AGENT is auto, never or require, not 'sometimes'" "the error names the variable and its values"

# 1. TLS on node3's NPUs.
sh "$FAKE/v4fake" fault "$(node_state 3)" tls-on >/dev/null
both tls 60 "TLS on node3"
grep -q '^FAIL tls TLS_MISMATCH node3' "$T/tls.agent.v"; ok $? "TLS on node3: FAIL TLS_MISMATCH node3 in agent mode"
sh "$FAKE/v4fake" fault "$(node_state 3)" tls-off >/dev/null

# 2. hccn_tool busy twice on node2's NPU 1 (the runner's busy retries).
sh "$FAKE/v4fake" fault "$(node_state 2)" hccn-busy 1 2 >/dev/null
both busy 60 "hccn_tool busy on node2"
sh "$FAKE/v4fake" fault "$(node_state 2)" clear >/dev/null

# 3. hccn_tool hangs on node4's NPU 5: the probe times out (-t 3).
sh "$FAKE/v4fake" fault "$(node_state 4)" hccn-hang 5 >/dev/null
both hang 3 "hccn_tool hangs on node4"
grep -q 'node4: .*timed out after 3 s' "$T/hang.agent.v"; ok $? "hung hccn_tool: a verdict says it timed out after 3 s"
sleep 1
left=0
for p in $(ip netns pids "${V4_NS}n4"); do
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'hccn_tool' && left=$((left + 1))
done
is "$left" 0 "the timed-out probes' process groups are gone on node4 (agent killed them)"
sh "$FAKE/v4fake" fault "$(node_state 4)" clear >/dev/null

# restore K: node K as the notes deploy it again, its vLLM restarted.
restore() {
	node_unserve "$1"
	reference_node "$1"
	node_serve "$1" "$(node_state "$1")/serve.env" "$(node_state "$1")/serve.argv"
}

# 4. NPU memory held on node3 after its vLLM was killed.
node_unserve 3; reference_node 3
sh "$FAKE/v4fake" fault "$(node_state 3)" hbm-held 2 40960 >/dev/null
both hbm 60 "NPU memory held on node3"
grep -q '^FAIL npu-mem HBM_HELD_NO_PROCESS node3' "$T/hbm.agent.v"; ok $? "held memory: FAIL HBM_HELD_NO_PROCESS node3 in agent mode"
restore 3

# 5. node2's v4check is another version, node3 has none: their sshd sessions
# get another PATH.
node_path() {
	sed -i "s|^SetEnv PATH=[^ ]*|SetEnv PATH=$2|" "$V4_WORK/sshd$1/sshd_config"
	node_stop_sshd "$1"
	node_start_sshd "$1"
}
node_path 2 "$V4_WORK.bin/other:$V4_REPO/fixtures/fake/bin:$V4_WORK/hostbin:/usr/bin:/bin"
node_path 3 "$V4_REPO/fixtures/fake/bin:$V4_WORK/hostbin:/usr/bin:/bin"
run "$T/mixed.never.json" $V4CHECK -c "$T/c.json" -t 60 --agent never all -o json
rc_never=$RC
run "$T/mixed.json" $V4CHECK -c "$T/c.json" -t 60 all -o json
is "$RC" "$rc_never" "--agent auto (the default), mixed nodes: the agentless run's exit status"
verdicts "$T/mixed.never.json" >"$T/mixed.never.v"
verdicts "$T/mixed.json" >"$T/mixed.v"
cmp -s "$T/mixed.never.v" "$T/mixed.v"; ok $? "mixed nodes: the verdict lines of the agentless run"
diff "$T/mixed.never.v" "$T/mixed.v" | sed 's/^/# /' | head -20
modes "$T/mixed.json" >"$T/mixed.modes"
like "$T/mixed.modes" '^node1 agent $' "node1 (this version) ran in agent mode"
like "$T/mixed.modes" '^node2 agentless the node.s v4check agent is version 0\.0\.9, not ' \
	"node2 (another version) fell back to agentless and says why"
like "$T/mixed.modes" '^node3 agentless no agent hello \(it ended' "node3 (no v4check) fell back to agentless and says why"
like "$T/mixed.modes" '^node4 agent $' "node4 ran in agent mode"
run "$T/mixed.txt" $V4CHECK -c "$T/c.json" -t 60 -v all
like "$T/mixed.txt" '^mode: node2: agentless \(the node.s v4check agent is version 0\.0\.9' "-v: the text report says node2 ran agentless, and why"
like "$T/mixed.txt" '^mode: node1: agent$' "-v: the text report says node1 ran in agent mode"
run "$T/req.json" $V4CHECK -c "$T/c.json" -t 60 --agent require all -o json
like "$T/req.json" '"reason":\s*"--agent require: the node.s v4check agent is version 0\.0\.9' \
	"--agent require: node2 is UNREACHABLE, with the reason"
node_path 2 "$V4_NODE_PATH"
node_path 3 "$V4_NODE_PATH"

# The transport alone in agent mode under valgrind (tests/cluster/sshdrive.c):
# output, a missing tool, a probe killed at its timeout (a KILL frame), the
# output cap, no memory errors or leaks.
D=$V4_WORK.bin/sshdrive
# shellcheck disable=SC2046
if ! command -v valgrind >/dev/null || [ ! -f "$V4_REPO/build/libv4.a" ]; then
	skip "valgrind or build/libv4.a missing: no sshdrive run"
elif ! cc -std=c11 -D_GNU_SOURCE -g -O1 -I"$V4_REPO/lib" -I"$V4_REPO/lib/transport" \
		$(pkg-config --cflags libssh2 libcjson) -o "$D" "$V4_REPO/tests/cluster/sshdrive.c" \
		"$V4_REPO/build/libv4.a" $(pkg-config --libs libssh2 libcjson libcurl libpcre2-8 yaml-0.1 zlib) -lpthread; then
	ok 1 "sshdrive builds against build/libv4.a"
else
	env -u SSH_AUTH_SOCK valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
		"$D" -a require -c 30000 -u root -i "$V4_CLIENT_KEY" -k "$V4_KNOWN_HOSTS" -t 3000 "$(node_ip 1)" \
		'a=echo hi' 'b=v4check_no_such_tool' 'c=sleep 20' 'd=head -c 5000000 /dev/zero' >"$T/drive" 2>&1
	ok $? "sshdrive -a require under valgrind: no errors or definite leaks"
	like "$T/drive" '^mode agent$' "sshdrive: the node runs in agent mode"
	like "$T/drive" '^a OK 0 3 ' "agent mode: a probe's output"
	like "$T/drive" '^b NOTFOUND 127 ' "agent mode: a missing tool is NOTFOUND (127)"
	like "$T/drive" '^c TIMEOUT -1 0 ' "agent mode: a probe past its timeout is killed (TIMEOUT)"
	like "$T/drive" '^d OK 0 4194304 ' "agent mode: output kept at the 4 MiB cap"
	sed 's/^/# /' "$T/drive" | head -20
fi

# 6. a link down on node1's NPU 0, and the container stopped on node2.
sh "$FAKE/v4fake" fault "$(node_state 1)" link-down 0 >/dev/null
sh "$FAKE/v4fake" fault "$(node_state 2)" container-stopped >/dev/null
both link 60 "link down on node1, container stopped on node2"

done_testing
