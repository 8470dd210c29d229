#!/bin/sh
# Host lists as pdsh and ClusterShell take them: -H ^FILE, -H @group from
# ClusterShell's YAML group files, nodeset operators, --list-hosts, and words
# that are no host. The expansions are compared with the real `nodeset -e`
# (ClusterShell) and `pdsh -q`, reading the same files.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4hosts.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export NO_COLOR=1

# A ClusterShell configuration of our own: $CLUSTERSHELL_CFGDIR has the
# highest priority for ClusterShell and for v4check alike. Two YAML sources,
# groups naming groups (also of the other source, and as ranges), a list.
mkdir -p "$T/cfg/groups.d" "$T/empty"
cat >"$T/cfg/groups.conf" <<EOF
[Main]
default: v4
confdir: $T/empty
autodir: \$CFGDIR/groups.d
EOF
cat >"$T/cfg/groups.d/cluster.yaml" <<'EOF'
# groups of the test cluster
v4:
    prefill: 'node[01-02]'
    decode: "node[03-04]"
    all: '@prefill,@decode'
    rack1: 'node[01-04]'
    rack2: 'node[05-08]'
    old: '@rack[1-2]!node06'
    spare:
        - 'node09'   # a list, as ClusterShell's example shows
        - 'node[10-11]'
roles:
    head: 'node01'
    workers: '@v4:all!@head'
EOF
export CLUSTERSHELL_CFGDIR=$T/cfg
unset V4CHECK_GROUPS

# same SPEC: v4check's expansion (sorted) equals nodeset -e's.
same() {
	"$V4CHECK" -H "$1" --list-hosts >"$T/v4" 2>"$T/v4.err"
	_rc=$?
	nodeset -e "$1" 2>"$T/cs.err" | tr ' ' '\n' | grep . | sort >"$T/cs"
	sort "$T/v4" >"$T/v4s"
	if [ $_rc -eq 0 ] && [ -s "$T/cs" ] && cmp -s "$T/v4s" "$T/cs"; then
		ok 0 "-H '$1' expands as nodeset -e does ($(grep -c . "$T/cs") hosts)"
	else
		ok 1 "-H '$1' expands as nodeset -e does"
		echo "#   v4check (exit $_rc): $(tr '\n' ' ' <"$T/v4") $(cat "$T/v4.err")"
		echo "#   nodeset: $(tr '\n' ' ' <"$T/cs") $(cat "$T/cs.err")"
	fi
}

if ! command -v nodeset >/dev/null; then
	skip "ClusterShell's nodeset not installed (tests/setup-deps.sh installs clustershell)"
else
	same 'node[01-04],gpu[1-3,7]'
	same '198.18.0.[11-14]'
	same 'node[1-10/3]'
	same '@prefill'
	same '@v4:decode'
	same '@all'
	same '@*'
	same '@old'
	same '@spare'
	same '@roles:workers'
	same '@roles:*'
	same '@rack[1-2]'
	same 'node[01-08]!@decode'
	same '@rack1&@all,node09'
	same 'node[01-05]^node[04-07]'
	same '@rack2 ! node[05-06]'
fi

# the order written is kept (it is the rank order); nodeset would sort
"$V4CHECK" -H 'node3,node1,@prefill' --list-hosts >"$T/o"
is "$(tr '\n' ' ' <"$T/o")" "node3 node1 node01 node02 " "--list-hosts keeps the order written, one host a line"
"$V4CHECK" -H '@rack1' -x '@decode' --list-hosts >"$T/o"
is "$(tr '\n' ' ' <"$T/o")" "node01 node02 " "-x takes groups too"

# ^FILE, as pdsh -w ^FILE reads it
printf 'node4\n# a comment\nnode[1-2]   # rank order\n\n@decode\n' >"$T/hosts"
"$V4CHECK" -H "^$T/hosts" --list-hosts >"$T/o"
is "$(tr '\n' ' ' <"$T/o")" "node4 node1 node2 node03 node04 " "-H ^FILE: one host list a line, comments and blank lines skipped"
if command -v pdsh >/dev/null; then
	printf 'node4\nnode[1-2]\nnode7\n' >"$T/plain"
	"$V4CHECK" -H "^$T/plain" --list-hosts | sort >"$T/v4"
	nodeset -e "$(pdsh -w "^$T/plain" -q 2>/dev/null | tail -n 1)" | tr ' ' '\n' | sort >"$T/pd"
	cmp -s "$T/v4" "$T/pd"; ok $? "-H ^FILE: the hosts pdsh -w ^FILE -q targets"
else
	skip "pdsh not installed"
fi

# --groups FILE (and V4CHECK_GROUPS): a YAML group file of one's own
printf 'lab:\n    pair: "n[7-8]"\n' >"$T/lab.yaml"
"$V4CHECK" --groups "$T/lab.yaml" -H @pair --list-hosts >"$T/o"
is "$(tr '\n' ' ' <"$T/o")" "n7 n8 " "--groups FILE.yaml: its first source is the default"
V4CHECK_GROUPS=$T/lab.yaml "$V4CHECK" -H @lab:pair --list-hosts >"$T/o"
is "$(tr '\n' ' ' <"$T/o")" "n7 n8 " "V4CHECK_GROUPS names the group file too"

# words that are neither host names nor ranges: usage errors, never nodes
for w in 'node1;reboot' 'a b|c' 'node[1-2' '$(id)' '-rf' 'user@node1' '@nosuchgroup' '@nosource:x' "^$T/nonexistent" '@rack[1-2' '!node1'; do
	run "$T/o" "$V4CHECK" -H "$w" all
	is "$RC" 64 "-H '$w': usage error 64"
done
run "$T/o" "$V4CHECK" -H 'node1;reboot' all
like "$T/o" "'node1;reboot' is neither a host name nor a host range" "the error names the word"
unlike "$T/o" "UNREACHABLE" "and no node was tried"
run "$T/o" "$V4CHECK" -H '@nosuchgroup' --list-hosts
like "$T/o" 'no group @v4:nosuchgroup' "an unknown group is named with its source"
printf 'v4:\n    loop: "@loop"\n' >"$T/loop.yaml"
run "$T/o" "$V4CHECK" --groups "$T/loop.yaml" -H @loop --list-hosts
is "$RC" 64 "a group that names itself is an error, not a hang"

# a source defined by shell commands (map: upcall) is never run
mkdir -p "$T/up"
cat >"$T/up/groups.conf" <<EOF
[Main]
default: cmd
[cmd]
map: touch $T/ran; echo node1
EOF
run "$T/o" "$V4CHECK" --groups "$T/up/groups.conf" -H @g --list-hosts
is "$RC" 64 "an upcall group source: usage error"
like "$T/o" "defined by shell commands, which v4check does not run" "it says why"
test ! -e "$T/ran"; ok $? "and its command did not run"

# malformed YAML: file and line
printf 'v4:\n  a: "x\n  b: [\n' >"$T/bad.yaml"
run "$T/o" "$V4CHECK" --groups "$T/bad.yaml" -H @a --list-hosts
like "$T/o" 'bad.yaml:[0-9]+: YAML' "malformed YAML: file and line"

# --list-hosts with a config: its nodes, no connection made
printf '{"nodes": [{"name": "a1", "host": "198.18.0.11"}, {"name": "a2", "host": "198.18.0.12"}]}\n' >"$T/c.json"
chmod 600 "$T/c.json"
"$V4CHECK" -c "$T/c.json" --list-hosts >"$T/o"
is "$(tr '\n' ' ' <"$T/o")" "a1 a2 " "--list-hosts with -c: the config's nodes"
done_testing
