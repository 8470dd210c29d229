#!/bin/sh
# Config and secrets: files readable by others are warned about (an API key
# file is not read), malformed
# configs name file, line or path and what was expected, and neither the SSH
# key passphrase nor the API key reaches argv (controller or nodes), output or
# the fix log. Root only; V4_CLUSTER=8 by default.
V4_CLUSTER=${V4_CLUSTER:-8}
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
N=2
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
FAKE=$V4_REPO/fixtures/fake
T=$V4_WORK/t; mkdir -p $T
export NO_COLOR=1
PASS="pp-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
APIKEY="sk-v4-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"

# An encrypted client key, accepted by the nodes.
ssh-keygen -q -t ed25519 -N "$PASS" -C v4check-enc -f $T/enc_key || exit 1
cat $T/enc_key.pub >> $V4_WORK/authorized_keys
printf '%s\n' "$APIKEY" > $T/api.key
chmod 600 $T/api.key

# cfg FILE IDENTITY: the nodes, with that identity.
cfg() {
	{
		printf '{"nodes": ['
		i=1
		while [ $i -le $N ]; do
			[ $i -gt 1 ] && printf ','
			printf '{"name":"node%d","host":"%s","rank":%d,"bond1":"%s"}' $i "$(node_ip $i)" $((i - 1)) "$(node_ip $i)"
			i=$((i + 1))
		done
		printf '], "ssh": {"user": "root", "identity": "%s", "known_hosts": "%s", "connect_timeout": 10}}\n' \
			"$2" "$V4_KNOWN_HOSTS"
	} > "$1"
	chmod 600 "$1"
}
cfg $T/c.json $T/enc_key
i=1
while [ $i -le $N ]; do
	sh $FAKE/v4fake init "$(node_state $i)" --rank $((i - 1)) --bond-ip "$(node_ip $i)" >/dev/null
	i=$((i + 1))
done

# ---- files readable by others ----
run $T/o env -u V4CHECK_KEY_PASSPHRASE "$V4CHECK" -t 30 -c $T/c.json tls
is $RC 3 "encrypted key without V4CHECK_KEY_PASSPHRASE: could not check"
like $T/o 'encrypted and V4CHECK_KEY_PASSPHRASE unset' "the cause is named"
unlike $T/o 'readable by others' "mode 600 config and key: no warning"
chmod 644 $T/c.json
run $T/o env V4CHECK_KEY_PASSPHRASE="$PASS" "$V4CHECK" -t 30 -c $T/c.json tls
is $RC 0 "encrypted key with V4CHECK_KEY_PASSPHRASE: passes"
like $T/o "warning: $T/c.json is readable by others" "config readable by others: warned"
chmod 600 $T/c.json
chmod 644 $T/enc_key
run $T/o env V4CHECK_KEY_PASSPHRASE="$PASS" "$V4CHECK" -t 30 -c $T/c.json tls
like $T/o "warning: $T/enc_key is readable by others" "identity readable by others: warned"
chmod 600 $T/enc_key
chmod 644 $T/api.key
run $T/o env V4CHECK_KEY_PASSPHRASE="$PASS" "$V4CHECK" -t 30 -c $T/c.json --api-key-file $T/api.key tls
is $RC 64 "API key file readable by others: refused (64)"
like $T/o "API key file $T/api.key has mode 0644: others may read it; not read" "API key file readable by others: named, not read"
chmod 600 $T/api.key

# ---- malformed configs: file, line or path, and what was expected ----
printf '[\n  {"host": "a"}\n]\n' > $T/m1.json
run $T/o "$V4CHECK" -c $T/m1.json all; is $RC 64 "top-level array: usage error"
like $T/o 'm1.json: line 1: expected a JSON object at the top' "top-level array: file, line, expectation"
printf '{\n  "nodes": {"host": "a"}\n}\n' > $T/m2.json
run $T/o "$V4CHECK" -c $T/m2.json all; is $RC 64 "nodes not an array: usage error"
like $T/o 'm2.json: nodes: expected an array of objects' "nodes not an array: file, path, expectation"
printf '{\n  "nodes": [\n    {"host": "a"},\n    {"host": "b"\n  ]\n}\n' > $T/m3.json
run $T/o "$V4CHECK" -c $T/m3.json all; is $RC 64 "unclosed object: usage error"
like $T/o 'm3.json:5:[0-9]+: malformed JSON: expected' "unclosed object: file, line 5, expectation"
printf '{"nodes": [{"host": "a"}], "ssh": "root@a"}\n' > $T/m4.json
run $T/o "$V4CHECK" -c $T/m4.json all; is $RC 64 "ssh not an object: usage error"
like $T/o 'm4.json: ssh: expected an object' "ssh not an object: file, path, expectation"
: > $T/m5.json
run $T/o "$V4CHECK" -c $T/m5.json all; is $RC 64 "empty config: usage error"
like $T/o 'm5.json' "empty config: the file is named"

# ---- secrets never in argv, output or logs ----
# A stand-in API on node1 so that the live checks send the key somewhere.
cat > $T/api.py <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "0"); self.end_headers()
    do_POST = do_GET
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer((sys.argv[1], 10010), H).serve_forever()
PY
ip netns exec ${V4_NS}n1 python3 $T/api.py "$(node_ip 1)" & AP=$!
sh $FAKE/v4fake fault "$(node_state 2)" tls-on-npu 1 >/dev/null
sh $FAKE/v4fake fault "$(node_state 2)" tls-set-delay 1000 >/dev/null
: > $T/ps
# ps snapshots of every process (controller and nodes share the pid namespace)
( while [ ! -e $T/stop ]; do ps -eo args >> $T/ps; sleep 0.05; done ) & PSP=$!
export V4CHECK_KEY_PASSPHRASE="$PASS"
"$V4CHECK" -t 30 -c $T/c.json -v --phase live --api-key-file $T/api.key all --fix --fix-log $T/fix.log > $T/out1 2>&1
echo "rc=$?" >> $T/out1
"$V4CHECK" -t 30 -c $T/c.json --phase live --api-key-file $T/api.key all -o json --facts > $T/out2 2>&1
"$V4CHECK" -t 30 -c $T/c.json --phase live --api-key-file $T/api.key collect -o $T/cap tls api > $T/out3 2>&1
"$V4CHECK" --replay $T/cap tls api > $T/out4 2>&1
unset V4CHECK_KEY_PASSPHRASE
touch $T/stop; wait $PSP
kill $AP; wait $AP 2>/dev/null
like $T/out1 'ok +node2: hccn_tool -i 1 -tls -s enable 0' "the run reached the nodes and applied a fix"
like $T/fix.log 'node=node2 result=ok' "the fix log was written"
[ "$(grep -c 'v4check -t 30 -c' $T/ps)" -gt 0 ]; ok $? "ps snapshots saw v4check running ($(grep -c 'v4check -t 30 -c' $T/ps) lines)"
grep -q 'hccn_tool -i' $T/ps; ok $? "ps snapshots saw probes on the nodes"
for f in out1 out2 out3 fix.log ps; do
	grep -qF "$PASS" $T/$f; is $? 1 "the passphrase is not in $f"
	grep -qF "$APIKEY" $T/$f; is $? 1 "the API key is not in $f"
done
grep -rqF "$APIKEY" $T/cap; is $? 1 "the API key is not in the capture"
grep -rqF "$PASS" $T/cap; is $? 1 "the passphrase is not in the capture"
grep -qF "$APIKEY" $T/out4; is $? 1 "the API key is not in the replay"
grep -rqF "$PASS" "$V4_WORK"/sshd*/sshd.log; is $? 1 "the passphrase is not in the nodes' sshd logs"
done_testing
