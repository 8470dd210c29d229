#!/bin/sh
# The configuration in force (-c, V4CHECK_CONFIG, the capture's, the default
# place, the built-in one) and how v4check says which; unknown keys refused
# with file and key path; config --check; the API key file's places and mode;
# tools found after PATH in tools.path, a missing one named with the places
# looked in. The default place itself (/etc/v4check) is tested by
# tests/pkg/deb.t on an installed package.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4cfg.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
FAKE=$PWD/fixtures/fake
export NO_COLOR=1
unset V4CHECK_CONFIG V4CHECK_API_KEY CREDENTIALS_DIRECTORY

# --- which configuration, and saying so ---
printf '{"deployment": {"container": "vllm-from-env"}}\n' > $T/env.json
printf '{"deployment": {"container": "vllm-from-c"}}\n' > $T/c.json
chmod 600 $T/env.json $T/c.json
V4CHECK_CONFIG=$T/env.json "$V4CHECK" config > $T/o 2> $T/e; is $? 0 "config with V4CHECK_CONFIG"
like $T/o 'vllm-from-env' "V4CHECK_CONFIG's file is the one printed"
like $T/e "configuration in force: $T/env.json \(V4CHECK_CONFIG\)" "config says it comes from V4CHECK_CONFIG"
V4CHECK_CONFIG=$T/env.json "$V4CHECK" -c $T/c.json config > $T/o 2> $T/e
like $T/o 'vllm-from-c' "-c wins over V4CHECK_CONFIG"
like $T/e "in force: $T/c.json \(-c\)" "config says -c"
if [ -e /etc/v4check/v4check.conf ]; then
	skip "this machine has /etc/v4check/v4check.conf: the built-in case is not testable here"
else
	"$V4CHECK" config > $T/o 2> $T/e
	like $T/e 'in force: built-in \(no /etc/v4check/v4check.conf\)' "without a file: built-in, and why"
fi
V4CHECK_CONFIG=$T/none.json "$V4CHECK" config > $T/o 2>&1; is $? 64 "V4CHECK_CONFIG naming no file: usage error"
like $T/o "$T/none.json: No such file" "the missing file is named"
run $T/o "$V4CHECK" -v --replay fixtures/replay/reference-cluster tls
like $T/o "configuration: .*reference-cluster/config.json \(the capture's\)|configuration: built-in" \
	"-v says which configuration a replay uses"
V4CHECK_CONFIG=$T/env.json "$V4CHECK" -v --replay fixtures/replay/reference-cluster tls > $T/o 2>&1
like $T/o "configuration: $T/env.json \(V4CHECK_CONFIG\)" "-v names V4CHECK_CONFIG's file"

# --- unknown keys: an error with the file and the key's path ---
bad() { # bad NAME JSON PATH: JSON is refused naming PATH
	printf '%s\n' "$2" > "$T/$1.json"
	run $T/o "$V4CHECK" -c "$T/$1.json" all
	is $RC 64 "$1: refused (64)"
	like $T/o "$T/$1.json: $3: unknown key \(known here: " "$1: file, key path and the known keys"
	V4CHECK_CONFIG="$T/$1.json" "$V4CHECK" config > $T/o 2>&1
	is $? 64 "$1: refused as V4CHECK_CONFIG too"
}
bad misspelt '{"deployment": {"tls_expectd": 1}}' 'deployment\.tls_expectd'
bad top '{"deploymnet": {}}' 'deploymnet'
bad node '{"nodes": [{"host": "a"}, {"host": "b", "rnak": 1}]}' 'nodes\[1\]\.rnak'
bad ssh '{"ssh": {"usr": "root"}}' 'ssh\.usr'
bad versions '{"deployment": {"versions": {"vlm": "0.21.0"}}}' 'deployment\.versions\.vlm'
bad api '{"api": {"key": "sk-not-here"}}' 'api\.key'
unlike $T/o 'sk-not-here' "an unknown key's value is not printed"
bad tools '{"tools": {"paths": ["/opt"]}}' 'tools\.paths'
printf '{"tools": {"path": ["/opt/x; rm -rf /"]}}\n' > $T/inj.json
run $T/o "$V4CHECK" config --check $T/inj.json; is $RC 64 "tools.path with shell text: refused"
like $T/o 'tools.path\[0\]: expected an absolute directory name' "the entry is named"

# --- config --check FILE ---
run $T/o "$V4CHECK" config --check examples/cluster.json; is $RC 0 "examples/cluster.json is valid"
like $T/o 'examples/cluster.json: valid' "config --check says valid"
run $T/o "$V4CHECK" config --check packaging/v4check.conf; is $RC 0 "the packaged v4check.conf is valid"
"$V4CHECK" config 2>/dev/null > $T/builtin.json
run $T/o "$V4CHECK" config --check $T/builtin.json; is $RC 0 "what config prints is valid"
run $T/o "$V4CHECK" config --check $T/misspelt.json; is $RC 64 "config --check of a misspelt key: 64"
like $T/o 'deployment.tls_expectd: unknown key' "config --check names the key"
run $T/o "$V4CHECK" tls --check $T/c.json; is $RC 64 "--check goes only with config"
# The packaged file is the built-in deployment, with the default places spelt out.
python3 - "$T/builtin.json" packaging/v4check.conf <<'EOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for k in ("nodes", "ssh", "deployment"):
    assert a[k] == b[k], k
assert b["api"]["key_file"] == "/etc/v4check/api.key"
EOF
ok $? "packaging/v4check.conf: nodes, ssh and deployment as built in; api.key_file the default place"

# --- the API key file: its places, and only when no one else may read it ---
export V4_FAKE_STATE=$T/node PATH="$FAKE/bin:$PATH"
sh $FAKE/v4fake init $T/node --rank 0 --bond-ip 198.18.0.11 >/dev/null
KEY="sk-v4-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$KEY" > $T/api.key; chmod 644 $T/api.key
run $T/o "$V4CHECK" tls --api-key-file $T/api.key
is $RC 64 "key file of mode 0644: refused (64)"
like $T/o "API key file $T/api.key has mode 0644: others may read it; not read" "the file and its mode are named"
chmod 640 $T/api.key
run $T/o "$V4CHECK" tls --api-key-file $T/api.key; is $RC 64 "mode 0640 (group may read): refused"
chmod 600 $T/api.key
run $T/o "$V4CHECK" -v tls --api-key-file $T/api.key; is $RC 0 "mode 0600: read, the run goes on"
like $T/o "API key from $T/api.key" "-v says where the key came from"
unlike $T/o "$KEY" "the key itself is not printed"
mkdir $T/cred; printf 'cred-key\n' > $T/cred/api.key; chmod 400 $T/cred/api.key
printf '{"api": {"key_file": "%s"}}\n' "$T/api.key" > $T/k.json; chmod 600 $T/k.json
CREDENTIALS_DIRECTORY=$T/cred "$V4CHECK" -v -c $T/k.json --local tls > $T/o 2>&1
like $T/o "API key from $T/cred/api.key" "systemd's credential (LoadCredential=) wins over api.key_file"
"$V4CHECK" -v -c $T/k.json --local tls > $T/o 2>&1
like $T/o "API key from $T/api.key" "without it: config api.key_file"
mkdir $T/cred0; : > $T/cred0/api.key; chmod 400 $T/cred0/api.key
CREDENTIALS_DIRECTORY=$T/cred0 "$V4CHECK" -v -c $T/k.json --local tls > $T/o 2>&1
like $T/o "API key from $T/api.key" "an empty credential (the unit's SetCredential= default) is passed over"
chmod 644 $T/cred/api.key
CREDENTIALS_DIRECTORY=$T/cred "$V4CHECK" -c $T/k.json --local tls > $T/o 2>&1
is $? 64 "a credential others may read: refused too"

# --- tools: looked for after PATH in tools.path ---
printf '{"tools": {"path": ["%s"]}}\n' "$FAKE/bin" > $T/tools.json; chmod 600 $T/tools.json
env PATH=/usr/bin:/bin V4CHECK_CONFIG=$T/tools.json "$V4CHECK" tls > $T/o 2>&1
is $? 0 "PATH=/usr/bin:/bin (cron's): the tools are found in tools.path"
printf '{"tools": {"path": ["%s/nothing"]}}\n' "$T" > $T/none.json; chmod 600 $T/none.json
env PATH=/usr/bin:/bin V4CHECK_CONFIG=$T/none.json "$V4CHECK" -o json tls > $T/o 2>&1
is $? 3 "tools nowhere: could not check (3)"
like $T/o "npu-smi: not found \(looked in /usr/bin:/bin:$T/nothing\)" "the ERROR names every place looked in"
env PATH=/usr/bin:/bin "$V4CHECK" -o json tls > $T/o 2>&1
like $T/o 'looked in /usr/bin:/bin:/usr/local/sbin:[^)]*/usr/local/Ascend/driver/tools' \
	"by default, also where the Ascend driver installs them"

done_testing
