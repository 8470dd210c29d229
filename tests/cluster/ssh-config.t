#!/bin/sh
# ~/.ssh/config against real sshds: the nodes are reachable only through a
# bastion (its own namespace and sshd), v4check runs in a client namespace
# behind it and reaches them by ProxyJump (libssh2 direct-tcpip channels),
# with Include and Match host deciding which hosts jump. The jump host's key
# is verified too. Root only.
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-11}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
[ -x "$V4CHECK" ] || { echo "1..0 # SKIP ./v4check not built"; exit 0; }
cluster_up 2 || { echo "Bail out! cluster_up failed"; exit 1; }
bastion_up || { echo "Bail out! bastion_up failed"; exit 1; }
cluster_init_nodes
T=$V4_WORK/t
mkdir -p "$T/ssh.d"
B=$(bastion_ip)
N1=$(node_ip 1)
N2=$(node_ip 2)
KEY=$V4_CLIENT_KEY
KH=$V4_KNOWN_HOSTS
unset SSH_AUTH_SOCK
C=$V4_CLUSTER

# The user's ssh config: node names from an included file, Match host on
# the addresses they resolve to decides the jump, an option v4check does
# not support, and node2 two hops away (bastion, then node1).
cat >"$T/config" <<EOF
Include $T/ssh.d/*.conf
Host bastion
    HostName $B
    User root
    IdentityFile $KEY
Match host 198.18.$C.*
    User root
    IdentityFile $KEY
    ServerAliveInterval 10
Host node1
    ProxyJump bastion
Host node2
    ProxyJump bastion,root@$N1
Host *
    UserKnownHostsFile $KH
EOF
cat >"$T/ssh.d/nodes.conf" <<EOF
Host node1
    HostName $N1
Host node2
    HostName $N2
EOF

# v4 ARGS...: v4check in the client namespace; output in $T/o, status in RC.
v4() {
	run "$T/o" client_exec env -u SSH_AUTH_SOCK "$V4CHECK" "$@"
}
# states FILE: "name state" of a JSON report's nodes.
states() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(n["name"]+"="+n["state"] for n in d["nodes"]))' "$1"
}

# 0. Without the bastion the client cannot reach a node at all.
v4 -H "$N1" -i "$KEY" --known-hosts "$KH" --connect-timeout 3 tls
is "$RC" 3 "no route from the client to a node: UNREACHABLE (3)"
like "$T/o" 'UNREACHABLE.*(unreachable|timed out)' "the reason is the network"

# 1. The real OpenSSH client takes the same file through the bastion.
if client_exec ssh -F "$T/config" -o BatchMode=yes node1 'echo $V4_FAKE_STATE' >"$T/ssh.out" 2>"$T/ssh.err"; then
	is "$(cat "$T/ssh.out")" "$(node_state 1)" "ssh -F config node1 works through the bastion (the reference)"
else
	ok 1 "ssh -F config node1 works through the bastion (the reference)"
	sed 's/^/#   /' "$T/ssh.err"
fi

# 2. v4check through the bastion: both nodes, every check of tls.
v4 -F "$T/config" -H 'node[1-2]' tls -o json
is "$RC" 0 "through the bastion (node2 over two jumps): tls passes on both nodes"
sed -n '/^{/,$p' "$T/o" >"$T/jump.json"
is "$(states "$T/jump.json")" "node1=reached node2=reached" "both nodes reached"
is "$(grep -c "ServerAliveInterval is not supported" "$T/o")" 1 \
	"ServerAliveInterval is named once (for two nodes and their jump hosts)"
like "$T/o" "config:9: ServerAliveInterval" "with file and line"
grep -q "Accepted publickey for root" "$V4_WORK/sshdb/sshd.log"; ok $? "the bastion's sshd saw the logins"

# 3. Every check through the relay gives what a direct run gives.
v4 -F "$T/config" -H 'node[1-2]' all -o json
sed -n '/^{/,$p' "$T/o" >"$T/jump-all.json"
# the same names from the root namespace, where the nodes are on the bridge: no jump
{ printf 'Host *\n    ProxyJump none\n'; cat "$T/config"; } >"$T/config-direct"
run "$T/d" env -u SSH_AUTH_SOCK "$V4CHECK" -F "$T/config-direct" -H 'node[1-2]' all -o json 2>/dev/null
verdicts() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["checks"]:
    for r in c["results"]:
        print(c["id"], r["node"], r["status"], r["code"])' "$1" | sort
}
verdicts "$T/jump-all.json" >"$T/v-jump"
sed -n '/^{/,$p' "$T/d" >"$T/direct.json"
verdicts "$T/direct.json" >"$T/v-direct"
cmp -s "$T/v-jump" "$T/v-direct"; ok $? "all through the bastion: the same verdicts as a direct run ($(wc -l <"$T/v-jump") results)"
[ "$T_FAIL" -gt 0 ] && diff "$T/v-jump" "$T/v-direct" | sed 's/^/#   /'
unlike "$T/v-jump" ' UNREACHABLE ' "no node unreachable"

# 4. The jump host's key is checked like any other.
grep -v "^$B " "$KH" >"$T/kh-nobastion"
sed "s|$KH|$T/kh-nobastion|" "$T/config" >"$T/config-nokey"
v4 -F "$T/config-nokey" -H node1 tls
is "$RC" 3 "the bastion's key unknown: UNREACHABLE"
like "$T/o" "via jump host $B: host key for $B not in known_hosts" "it names the jump host and why"
{ grep -v "^$B " "$KH"; echo "$B $(cut -d' ' -f1,2 "$V4_WORK/sshd1/ssh_host_ed25519_key.pub")"; } >"$T/kh-wrong"
sed "s|$KH|$T/kh-wrong|" "$T/config" >"$T/config-wrong"
v4 -F "$T/config-wrong" -H node1 tls
is "$RC" 3 "the bastion's key changed: UNREACHABLE"
like "$T/o" "via jump host $B: host key for $B CHANGED" "refused as a changed key"
v4 -F "$T/config-nokey" -H node1 --accept-new-host-keys tls
is "$RC" 0 "--accept-new-host-keys takes the new bastion key"
grep -q "^$B " "$T/kh-nobastion"; ok $? "and records it under the bastion's name"

# 5. A target the bastion cannot open a channel to; the bastion down.
node_stop_sshd 2
v4 -F "$T/config" -H node2 --connect-timeout 5 tls
is "$RC" 3 "node2's sshd down: UNREACHABLE"
like "$T/o" "via jump host $N1: cannot open a channel to $N2 port 22" "the jump host says it cannot reach it"
node_start_sshd 2
bastion_stop_sshd
v4 -F "$T/config" -H node1 --connect-timeout 5 tls
is "$RC" 3 "the bastion down: UNREACHABLE"
like "$T/o" "via jump host $B: connect to $B port 22: Connection refused" "names the jump host"
bastion_start_sshd

# 6. ProxyJump none in a first-matching block turns the jump off.
{ printf 'Host node1\n    ProxyJump none\n'; cat "$T/config"; } >"$T/config-none"
v4 -F "$T/config-none" -H node1 --connect-timeout 3 tls
is "$RC" 3 "ProxyJump none: direct, and so unreachable from the client"
done_testing
