#!/bin/sh
# `v4check agent` over a pipe, driven by tests/cli/agent-client.py (the frames
# written apart from the C code): the hello, results with NULs and exit
# codes, a missing tool, plain words run without a shell in a process group of
# their own, timeouts and KILL killing the whole group (nothing left), the
# output cap, many requests at once, EOF, a malformed frame, another protocol.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
A="python3 tests/cli/agent-client.py $V4CHECK agent --protocol 1"
CAP=4194304
# a number no other process's argv holds: sleeps named by it are ours
U=$((3000 + $$ % 5000))

# result FILE ID: the result line of request ID.
result() { grep "^result $2 " "$1"; }
# field FILE ID K: field K of that line (1 id, 2 state, 3 exit, 4 truncated,
# 5 out_len, 6 err_len, 7 ms, 8 out hex).
field() { result "$1" "$2" | cut -d' ' -f$(($3 + 1)); }
# ours: how many processes still run a sleep named by U (pgrep's own argv is not seen).
ours() { pgrep -f "sleep $U" | wc -l | tr -d ' '; }

cat >"$T/basic" <<EOF
run 1 5000 $CAP echo hello
run 2 5000 $CAP printf 'a\\000b'; echo err >&2; exit 3
run 3 5000 $CAP v4check_no_such_tool_x --flag
run 4 5000 $CAP cat /proc/self/stat
run 5 5000 1000 head -c 100000 /dev/zero
run 6 5000 $CAP ulimit -n
close
EOF
$A <"$T/basic" >"$T/basic.out" 2>"$T/basic.err"
like "$T/basic.out" "^hello 1 $($V4CHECK --version | cut -d' ' -f2)\$" "the agent says hello first: protocol 1, this version"
is "$(field "$T/basic.out" 1 8)" "$(printf 'hello\n' | od -An -tx1 | tr -d ' \n')" "echo: its stdout"
is "$(field "$T/basic.out" 1 2):$(field "$T/basic.out" 1 3)" "0:0" "echo: exited, status 0"
is "$(field "$T/basic.out" 2 8)" "610062" "a NUL in stdout is kept (a NUL b)"
is "$(field "$T/basic.out" 2 3):$(field "$T/basic.out" 2 6)" "3:4" "shell syntax: exit status 3, stderr 4 bytes (err and a newline)"
is "$(field "$T/basic.out" 3 3)" "127" "a missing tool: 127, as its shell says"
test "$(field "$T/basic.out" 3 6)" -gt 0; ok $? "a missing tool: the shell's message on stderr"
stat=$(field "$T/basic.out" 4 8 | python3 -c 'import sys; print(bytes.fromhex(sys.stdin.read().strip()).decode())')
apid=$(sed -n 's/^agent //p' "$T/basic.out")
set -- $stat
is "$4" "$apid" "plain words run without a shell: cat's parent is the agent"
is "$5" "$1" "each command in a process group of its own (pgid = pid)"
is "$(field "$T/basic.out" 5 5):$(field "$T/basic.out" 5 4)" "1000:1" "output past the cap asked: 1000 bytes kept, truncated"
is "$(field "$T/basic.out" 6 3)" "0" "a shell builtin named as plain words runs in the shell"
like "$T/basic.out" '^exit 0$' "EOF: the agent answers what it holds and exits 0"

# Single quotes in plain words are taken as the shell takes them, without one.
cat >"$T/quotes" <<'EOF'
run 1 5000 4194304 printf '%s|' 'a b' c''d '' e
run 2 5000 4194304 cat '/proc/self/stat'
run 3 5000 4194304 printf 'a'"b"
run 4 5000 4194304 echo 'unclosed
close
EOF
$A <"$T/quotes" >"$T/quotes.out" 2>&1
is "$(field "$T/quotes.out" 1 8)" "$(printf 'a b|cd||e|' | od -An -tx1 | tr -d ' \n')" "single quotes: words as the shell splits them (a b, cd, empty, e)"
stat=$(field "$T/quotes.out" 2 8 | python3 -c 'import sys; print(bytes.fromhex(sys.stdin.read().strip()).decode())')
set -- $stat
is "$4" "$(sed -n 's/^agent //p' "$T/quotes.out")" "a single-quoted argument: still no shell (cat's parent is the agent)"
is "$(field "$T/quotes.out" 3 8)" "6162" "double quotes: the shell's (ab)"
is "$(field "$T/quotes.out" 4 3)" "2" "an unclosed quote: the shell's syntax error (exit 2)"

# Timeouts and KILL: the whole process group goes, grandchildren included.
cat >"$T/kill" <<EOF
run 1 300 $CAP sleep $U & sleep $U.5; echo never
run 2 20000 $CAP sleep $U.25 & sleep $U.75
sleep 400
kill 2
run 3 5000 $CAP echo after
close
EOF
$A <"$T/kill" >"$T/kill.out" 2>&1
is "$(field "$T/kill.out" 1 2):$(field "$T/kill.out" 1 3)" "1:-1" "past its timeout: state timeout, no exit status"
test "$(field "$T/kill.out" 1 7)" -ge 300; ok $? "the timeout came after the 300 ms asked"
is "$(field "$T/kill.out" 2 2)" "2" "KILL: state killed"
is "$(field "$T/kill.out" 3 8)" "$(printf 'after\n' | od -An -tx1 | tr -d ' \n')" "a request after a kill runs"
is "$(ours)" 0 "no sleep of the timed-out or killed groups is left"
like "$T/kill.out" '^exit 0$' "exit 0"

# A command inherits stdin, stdout and stderr only (ls's own fd 3 is its
# listing of the folder), while another runs beside it.
printf 'run 1 5000 %s sleep 0.2\nrun 2 5000 %s ls /proc/self/fd\nclose\n' $CAP $CAP | $A >"$T/fds.out" 2>&1
is "$(field "$T/fds.out" 2 8)" "$(printf '0\n1\n2\n3\n' | od -An -tx1 | tr -d ' \n')" "a command inherits no descriptor of the agent's"

# Many requests at once: all answered (16 run at once, the rest wait).
i=1
: >"$T/many"
while [ $i -le 40 ]; do echo "run $i 10000 $CAP sleep 0.05; echo $i" >>"$T/many"; i=$((i + 1)); done
echo close >>"$T/many"
$A <"$T/many" >"$T/many.out" 2>&1
is "$(grep -c '^result [0-9]* 0 0 ' "$T/many.out")" 40 "40 requests at once: 40 results, each exited 0"

# EOF while a command runs: it finishes and is answered.
printf 'run 1 5000 %s sleep 0.2; echo late\nclose\n' $CAP | $A >"$T/eof.out" 2>&1
is "$(field "$T/eof.out" 1 8)" "$(printf 'late\n' | od -An -tx1 | tr -d ' \n')" "EOF while a command runs: its result still comes"

# A malformed frame ends the input: exit 1, the reason on stderr.
printf 'raw 5834414701020000ffffffff\n' | $A >"$T/bad.out" 2>"$T/bad.err"
like "$T/bad.out" '^exit 1$' "a malformed frame: exit 1"
printf 'run 1 5000 %s echo x\nraw 00\n' $CAP | $A >"$T/bad2.out" 2>&1
like "$T/bad2.out" '^exit 1$' "garbage after a frame: exit 1"
result "$T/bad2.out" 1 >/dev/null; ok $? "garbage after a frame: the request before it is still answered"

# Another protocol asked: the agent says who it is and serves nothing.
$V4CHECK agent --protocol 9 </dev/null >"$T/p9" 2>&1; rc=$?
is "$rc" 2 "--protocol 9: exit 2"
head -c 4 "$T/p9" >"$T/p9.magic"
is "$(cat "$T/p9.magic")" "V4AG" "--protocol 9: still a hello frame (the controller falls back)"
run "$T/usage" $V4CHECK agent --bogus
is "$RC" 64 "agent with an unknown argument: usage error"

# --agent and ssh.agent are validated.
run "$T/opt" $V4CHECK --agent sometimes list
is "$RC" 64 "--agent sometimes: usage error"
like "$T/opt" "agent is auto, never or require" "--agent: the words it takes"
printf '{"ssh": {"agent": "maybe"}}\n' >"$T/c.json"
run "$T/cfg" $V4CHECK config --check "$T/c.json"
like "$T/cfg" 'ssh.agent: expected "auto", "never" or "require"' "config ssh.agent: validated"
printf '{"ssh": {"agent": "never"}}\n' >"$T/c2.json"
run "$T/cfg2" $V4CHECK config --check "$T/c2.json"
is "$RC" 0 "config ssh.agent never: accepted"
# V4CHECK_AGENT is validated where a run reads it; empty counts as unset.
run "$T/env" env V4CHECK_AGENT=sometimes $V4CHECK all --replay fixtures/replay/reference-cluster
is "$RC" 64 "V4CHECK_AGENT=sometimes: a configuration error"
like "$T/env" "V4CHECK_AGENT is auto, never or require, not 'sometimes'" "V4CHECK_AGENT: the words it takes"
run "$T/env0" env V4CHECK_AGENT= $V4CHECK all --replay fixtures/replay/reference-cluster
is "$RC" 2 "V4CHECK_AGENT empty: unset (the demo capture's FAIL, exit 2)"
done_testing
