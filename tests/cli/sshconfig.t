#!/bin/sh
# ~/.ssh/config as OpenSSH reads it: Host, Match (host, originalhost, user,
# localuser, all, negated), Include (globs), tokens, first value wins. What
# v4check resolves (`--list-hosts -v`) is compared with the real `ssh -G`
# over the same file; options v4check does not support are named once, with
# file and line. No connection is made.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4sshcfg.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export NO_COLOR=1
mkdir -p "$T/inc"

cat >"$T/config" <<EOF
# the test cluster's nodes, behind a bastion
Include $T/inc/*.conf
Host bastion
    HostName 198.18.9.1
    User jump
    Port 2222
Host node* !node9
    ProxyJump bastion
    User=ops
Match originalhost node2 user ops
    Port 2202
Match host 198.18.0.* !user root
    IdentityFile $T/key_%h
Match localuser nosuchlocaluser
    User never
Match !host 198.18.0.*
    Port 2299
Host node9
    ProxyJump root@198.18.9.2:22,bastion
Host *
    User fallback
    Port 2200
EOF
cat >"$T/inc/10-nodes.conf" <<'EOF'
Host node1 node2 node3
    HostName %h.lab
Host node1
    Port 2201
    HostName not-this-one
EOF
cat >"$T/inc/20-other.conf" <<'EOF'
Host 198.18.0.*
    User byaddr
EOF

# fields HOST...: "hostname H user U port P [proxyjump J]" as ssh -G reports them
fields() {
	for _h in "$@"; do
		ssh -G -F "$T/config" "$_h" 2>/dev/null | awk -v h="$_h" '
			$1 == "hostname" { hn = $2 } $1 == "user" { u = $2 } $1 == "port" { p = $2 }
			$1 == "proxyjump" { j = " proxyjump " $2 }
			END { printf "%s hostname %s user %s port %s%s\n", h, hn, u, p, j }'
	done
}
HOSTS="node1 node2 node3 node9 bastion other 198.18.0.15"
if ! command -v ssh >/dev/null; then
	skip "OpenSSH client not installed"
else
	fields $HOSTS >"$T/ssh-G"
	# shellcheck disable=SC2086
	USER=root "$V4CHECK" -F "$T/config" -H "$(echo $HOSTS | tr ' ' ,)" --list-hosts -v >"$T/v4" 2>"$T/v4.err"
	while read -r line; do
		h=${line%% *}
		grep -qxF -- "$line" "$T/v4"; ok $? "$h resolves as ssh -G says: ${line#* }"
		grep -qxF -- "$line" "$T/v4" || grep "^$h " "$T/v4" | sed 's/^/#   v4check: /'
	done <"$T/ssh-G"
	# -l and -p beat the file, as for ssh -l -p
	USER=root "$V4CHECK" -F "$T/config" -H node2 -l bob -p 23 --list-hosts -v >"$T/o"
	ssh -G -F "$T/config" -l bob -p 23 node2 2>/dev/null | grep -E '^(user|port) ' | tr '\n' ' ' >"$T/g"
	is "$(cat "$T/g")" "user bob port 23 " "ssh -G -l bob -p 23 (the reference)"
	like "$T/o" '^node2 hostname node2.lab user bob port 23 proxyjump bastion$' "-l and -p beat the ssh config, as with ssh"
fi

# what v4check does not do is said once (per file:line), never ignored silently
cat >"$T/config2" <<EOF
Host node*
    HostName 198.18.0.11
    ServerAliveInterval 15
    Compression yes
    BatchMode yes
    ForwardAgent yes
    ProxyCommand nc %h %p
Match exec "touch $T/ran"
    User exec-user
Match final
    Port 1
EOF
run "$T/o" "$V4CHECK" -F "$T/config2" -H 'node[1-3]' --list-hosts
is "$RC" 0 "unsupported options are warnings, not errors"
is "$(grep -c 'config2:3: ServerAliveInterval is not supported by v4check; ignored' "$T/o")" 1 \
	"ServerAliveInterval: named once for three nodes, with file and line"
like "$T/o" 'config2:4: Compression is not supported' "Compression named"
unlike "$T/o" 'BatchMode' "BatchMode yes is what v4check does: nothing to say"
like "$T/o" 'config2:6: ForwardAgent yes is not supported \(v4check forwards nothing\)' "ForwardAgent yes: named, with why"
like "$T/o" 'config2:7: ProxyCommand is not supported .*use ProxyJump' "ProxyCommand: points to ProxyJump"
like "$T/o" 'config2:8: Match exec is not supported .* this block is skipped' "Match exec: named, block skipped"
like "$T/o" 'config2:10: Match final is not supported' "Match final: named"
test ! -e "$T/ran"; ok $? "Match exec's command did not run"
USER=root "$V4CHECK" -F "$T/config2" -H node1 --list-hosts -v >"$T/o" 2>/dev/null
like "$T/o" '^node1 hostname 198.18.0.11 user root port 22$' "the skipped blocks' options are not applied"

# malformed lines and include loops: usage errors naming file and line
printf 'Host x\n    Port banana\n' >"$T/bad"
run "$T/o" "$V4CHECK" -F "$T/bad" -H x --list-hosts
is "$RC" 64 "Port banana: usage error"
like "$T/o" 'bad:2: bad Port' "and where"
printf 'Include %s/loop\n' "$T" >"$T/loop"
run "$T/o" "$V4CHECK" -F "$T/loop" -H x --list-hosts
is "$RC" 64 "an Include loop: usage error, not a hang"
run "$T/o" "$V4CHECK" -F "$T/nonexistent" -H x --list-hosts
is "$RC" 64 "a missing -F file: usage error"

# relative Include paths are under ~/.ssh (HOME here)
mkdir -p "$T/home/.ssh/conf.d"
printf 'Include conf.d/*\n' >"$T/home/.ssh/config"
printf 'Host rel\n    HostName 198.18.0.77\n' >"$T/home/.ssh/conf.d/a"
HOME=$T/home USER=root "$V4CHECK" -H rel --list-hosts -v >"$T/o" 2>&1
like "$T/o" '^rel hostname 198.18.0.77 ' "Include conf.d/* is read from ~/.ssh/conf.d"
done_testing
