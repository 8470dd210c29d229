#!/bin/sh
# The ssh transport against real sshds in network namespaces, driven directly
# through tests/cluster/sshdrive.c. Root only; V4_CLUSTER=5 by default.
V4_CLUSTER=${V4_CLUSTER:-5}
. "$(dirname "$0")/lib.sh"
cluster_require

T=0
FAILED=0
START=$(date +%s%3N)
# ok COND-STATUS DESCRIPTION: prints a TAP line for the previous command's status.
ok() {
	T=$((T + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T - $2 # $(($(ms) - START)) ms"
	else
		echo "not ok $T - $2"
		FAILED=$((FAILED + 1))
		[ -n "$OUT" ] && printf '%s\n' "$OUT" | sed 's/^/#   /'
	fi
}
# has TEXT: 0 when the last output holds TEXT.
has() {
	printf '%s\n' "$OUT" | grep -qF -- "$1"
}
# ms: monotonic-enough milliseconds.
ms() {
	date +%s%3N
}

if ! command -v cc >/dev/null || ! pkg-config --exists libssh2 libcjson; then
	echo "1..0 # SKIP cc or libssh2/libcjson development files missing"
	exit 0
fi
D=$V4_WORK.bin/sshdrive
mkdir -p "$V4_WORK.bin"
if [ ! -f "$V4_REPO/build/libv4.a" ]; then
	echo "1..0 # SKIP build/libv4.a missing (run make first)"
	exit 0
fi
# shellcheck disable=SC2046
if ! cc -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wno-comment -I"$V4_REPO/lib" -I"$V4_REPO/lib/transport" \
	$(pkg-config --cflags libssh2 libcjson) -o "$D" "$V4_REPO/tests/cluster/sshdrive.c" \
	"$V4_REPO/build/libv4.a" $(pkg-config --libs libssh2 libcjson libcurl libpcre2-8 yaml-0.1 zlib) \
	-lpthread; then
	echo "Bail out! cannot build sshdrive against build/libv4.a"
	exit 1
fi

cluster_up 2 || { echo "Bail out! cluster_up failed"; exit 1; }
trap 'cluster_down; rm -rf "$V4_WORK.bin"' EXIT
N1=$(node_ip 1)
N2=$(node_ip 2)
KH=$V4_KNOWN_HOSTS
# run ARGS...: sshdrive with the cluster key and known_hosts; output in $OUT.
run() {
	OUT=$(env -u SSH_AUTH_SOCK "$D" -u root -i "$V4_CLIENT_KEY" -k "$KH" "$@" 2>&1)
}

# -- output and exit codes
run -P "$N1" 'a=echo hello; echo oops >&2; exit 3' 'b=v4_no_such_cmd' \
	'c=echo "$V4_FAKE_STATE"' "d=echo \"it's\" 'a  b' \$((6*7))"
has "open OK"; ok $? "open node 1"
has "a OK 3 6 -"; ok $? "stdout length and exit code come back"
has "#out a hello\\n"; ok $? "stdout content"
printf '%s\n' "$OUT" | grep -q "^b NOTFOUND 127 0 .*not found"; ok $? "missing command is NOTFOUND with stderr reason"
has "#out c $(node_state 1)\\n"; ok $? "session sees the node's V4_FAKE_STATE"
has "#out d it's a  b 42\\n"; ok $? "quotes survive the remote wrapper"
SINGLE=$(printf '%s\n' "$OUT" | sed -n 's/^# probes_ms \([0-9.]*\) total_ms \([0-9.]*\)/connect+exec \2 ms, probes \1 ms/p')
echo "# one probe: $SINGLE"

# -- 8 concurrent probes on one session, both nodes at once
P8=""
for i in 1 2 3 4 5 6 7 8; do P8="$P8 'p$i=sleep 1; echo $i'"; done
# shellcheck disable=SC2086
eval "run -j 8 $N2 $P8" &
bg=$!
eval "run -j 8 $N1 $P8"
wait $bg
n=$(printf '%s\n' "$OUT" | grep -c '^p[1-8] OK 0 2 -')
[ "$n" -eq 8 ]; ok $? "8 concurrent probes all OK"
pms=$(printf '%s\n' "$OUT" | sed -n 's/^# probes_ms \([0-9]*\).*/\1/p')
[ "${pms:-99999}" -lt 2500 ]; ok $? "8 x sleep 1 ran concurrently (${pms} ms)"
Q8=""
for i in 1 2 3 4 5 6 7 8; do Q8="$Q8 q$i=true"; done
eval "run -j 8 $N1 $Q8"
echo "# 8 concurrent 'true' probes: $(printf '%s\n' "$OUT" | grep '^# probes')"

# -- more jobs than sshd's MaxSessions (10): refused opens wait for a free channel
P12=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do P12="$P12 'm$i=sleep 0.5; echo $i'"; done
eval "run -j 12 $N1 $P12"
n=$(printf '%s\n' "$OUT" | grep -c '^m[0-9]* OK 0 ')
[ "$n" -eq 12 ]; ok $? "12 jobs over MaxSessions 10 all complete ($n OK)"

# -- timeout kills the remote process group
t0=$(ms)
run -t 2000 "$N1" 's=sleep 100' 'g=(sleep 101 &); sleep 101'
t1=$(ms)
has "s TIMEOUT -1 0 timed out after 2s"; ok $? "sleep 100 with 2 s timeout is TIMEOUT"
has "g TIMEOUT"; ok $? "background child probe is TIMEOUT"
[ $((t1 - t0)) -lt 3500 ]; ok $? "timeout reported within ~3 s ($((t1 - t0)) ms)"
sleep 1
# the node's own processes (network namespaces share the machine's process table)
ns_has() { for _p in $(ip netns pids "${V4_NS}n1"); do tr '\0' ' ' < /proc/$_p/cmdline 2>/dev/null; echo; done | grep -q "$1"; }
! ns_has 'sleep 100$\|sleep 100 '; ok $? "no 'sleep 100' left on the node"
! ns_has 'sleep 101'; ok $? "no background 'sleep 101' left on the node"

# -- host keys
KH=$V4_WORK/kh_new
: >"$KH"
run "$N1" 'a=true'
has "host key for $N1 not in known_hosts (use --accept-new-host-keys)"; ok $? "unknown host key refused"
run -A "$N1" 'a=true'
has "a OK 0"; ok $? "accept-new connects"
grep -q "^$N1 ssh-ed25519 " "$KH"; ok $? "accept-new wrote the key"
run "$N1" 'a=true'
has "a OK 0"; ok $? "accepted key is then known"
ssh-keygen -q -H -f "$KH" >/dev/null 2>&1 && rm -f "$KH.old"
grep -q '^|1|' "$KH" && run "$N1" 'a=true' && has "a OK 0"; ok $? "hashed known_hosts entry matches"
echo "[$N1]:2222 $(cut -d' ' -f1,2 "$V4_WORK/sshd1/ssh_host_ed25519_key.pub")" >"$KH"
run -p 2222 "$N1" 'a=true'
has "a OK 0"; ok $? "[host]:port entry matches on port 2222"
: >"$KH"
run -A -p 2222 "$N1" 'a=true'
grep -q "^\[$N1\]:2222 ssh-ed25519 " "$KH"; ok $? "accept-new writes [host]:port for port 2222"
KH=$V4_KNOWN_HOSTS
node_rekey 2
run "$N2" 'a=true'
has "host key for $N2 CHANGED (possible man-in-the-middle); refusing"; ok $? "changed host key refused"
run -A "$N2" 'a=true'
has "CHANGED"; ok $? "changed host key refused even with accept-new"

# -- unreachable
node_stop_sshd 2
run "$N2" 'a=true'
has "connect to $N2 port 22: Connection refused"; ok $? "stopped sshd: connection refused"
node_start_sshd 2
node_freeze_sshd 1
t0=$(ms)
run -c 1500 "$N1" 'a=true'
t1=$(ms)
node_thaw_sshd 1
has "timed out"; ok $? "sshd without a banner times out"
[ $((t1 - t0)) -lt 3500 ]; ok $? "banner timeout bounded ($((t1 - t0)) ms)"
run -c 1000 198.18.$V4_CLUSTER.99 'a=true'
has "open FAIL"; ok $? "absent address fails"

# -- authentication
ssh-keygen -q -t ed25519 -N '' -f "$V4_WORK/wrong_key"
OUT=$(env -u SSH_AUTH_SOCK V4CHECK_KEY_PASSPHRASE=s3cr3t-pass "$D" -u root \
	-i "$V4_WORK/wrong_key" -k "$KH" "$N1" 'a=true' 2>&1)
has "authentication failed for root@$N1 (tried: $V4_WORK/wrong_key"; ok $? "wrong key: auth failure lists what was tried"
! has "s3cr3t-pass"; ok $? "no passphrase in messages"
ssh-keygen -q -t ed25519 -N 'p4ss phrase' -f "$V4_WORK/enc_key"
cat "$V4_WORK/enc_key.pub" >>"$V4_WORK/authorized_keys"
OUT=$(env -u SSH_AUTH_SOCK -u V4CHECK_KEY_PASSPHRASE "$D" -u root -i "$V4_WORK/enc_key" \
	-k "$KH" "$N1" 'a=true' 2>&1)
has "V4CHECK_KEY_PASSPHRASE unset"; ok $? "encrypted key without passphrase explained"
OUT=$(env -u SSH_AUTH_SOCK V4CHECK_KEY_PASSPHRASE='p4ss phrase' "$D" -u root \
	-i "$V4_WORK/enc_key" -k "$KH" "$N1" 'a=true' 2>&1)
has "a OK 0"; ok $? "encrypted key with V4CHECK_KEY_PASSPHRASE"
! has "p4ss"; ok $? "passphrase not echoed"

# -- ssh-agent is tried first
if command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null; then
	eval "$(ssh-agent -s -a "$V4_WORK/agent.sock")" >/dev/null
	ssh-add -q "$V4_CLIENT_KEY" 2>/dev/null
	OUT=$("$D" -u root -i "$V4_WORK/wrong_key" -k "$KH" "$N1" 'a=true' 2>&1)
	has "a OK 0"; ok $? "ssh-agent key used before the identity file"
	ssh-add -q -D 2>/dev/null
	OUT=$("$D" -u root -i "$V4_WORK/wrong_key" -k "$KH" "$N1" 'a=true' 2>&1)
	has "tried: ssh-agent (0 keys), $V4_WORK/wrong_key (rejected)"; ok $? "empty agent, then key file, both listed"
	kill "$SSH_AGENT_PID"
	unset SSH_AUTH_SOCK SSH_AGENT_PID
fi

# -- ~/.ssh/config style file
cat >"$V4_WORK/ssh_config" <<EOF
# first value wins; patterns with ? and *, negation
Host other
  User nobody
Host n? !n2
  IdentityFile $V4_CLIENT_KEY
Host n1
  HostName $N1
  Port 2222
Host *
  User root
  Port 22
EOF
printf '%s\n' "[$N1]:2222 $(cut -d' ' -f1,2 "$V4_WORK/sshd1/ssh_host_ed25519_key.pub")" >>"$KH"
OUT=$(env -u SSH_AUTH_SOCK "$D" -F "$V4_WORK/ssh_config" -k "$KH" n1 'a=echo cfg' 2>&1)
has "a OK 0 4"; ok $? "ssh_config: HostName, Port, User, IdentityFile, Host patterns"

# -- output cap
/usr/bin/time -f 'maxrss_kb %M' -o "$V4_WORK/time" \
	env -u SSH_AUTH_SOCK "$D" -u root -i "$V4_CLIENT_KEY" -k "$KH" "$N1" \
	'big=head -c 6000000 /dev/zero' 'e=head -c 6000000 /dev/zero >&2; echo x' >"$V4_WORK/big" 2>&1
OUT=$(cat "$V4_WORK/big")
has "big OK 0 4194304 -"; ok $? "6 MB of stdout kept at the 4 MiB cap"
has "#trunc big"; ok $? "truncation flagged"
has "e OK 0 2 -"; ok $? "stderr flood drained, stdout intact"
rss=$(sed -n 's/maxrss_kb //p' "$V4_WORK/time")
[ "${rss:-999999}" -lt 40000 ]; ok $? "memory stays bounded (max RSS ${rss} kB)"

# -- connection lost mid-probe
(sleep 1; for p in $(ip netns pids ${V4_NS}n1); do kill -9 "$p" 2>/dev/null; done) &
bg=$!
run -t 10000 "$N1" 'l=sleep 5'
wait $bg
has "l FAILED -1 0 connection lost"; ok $? "dropped connection: FAILED, connection lost"
node_start_sshd 1

# -- leaks
if command -v valgrind >/dev/null; then
	OUT=$(env -u SSH_AUTH_SOCK valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=9 "$D" -c 30000 -u root -i "$V4_CLIENT_KEY" -k "$KH" -t 3000 "$N1" \
		'a=echo hi' 'b=nosuch' 'c=sleep 20' 'd=head -c 5000000 /dev/zero' 2>&1)
	ok $? "valgrind: no errors or definite leaks"
	OUT=$(env -u SSH_AUTH_SOCK valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=9 "$D" -a auto -c 30000 -u root -i "$V4_CLIENT_KEY" -k "$KH" -t 3000 "$N1" \
		'a=echo hi' 'c=sleep 20' 2>&1)
	ok $? "valgrind, --agent auto falling back (no v4check on the node): no errors or definite leaks"
	has "mode agentless no agent hello"; ok $? "--agent auto without v4check on the node: agentless, and why"
	has "a OK 0 3"; ok $? "--agent auto falling back: the probe ran agentless"
fi

echo "1..$T"
[ "$FAILED" -eq 0 ]
