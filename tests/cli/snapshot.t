#!/bin/sh
# snapshot save, diff and --baseline (the drift check) on captures: the demo's
# capture, with node4 running vLLM (its /proc listing, cmdline and environ),
# and a copy where one node's driver, one NPU's hccn.conf entry and one
# variable of the serving processes' environment changed.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4snap.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export NO_COLOR=1
DEMO=fixtures/replay/reference-cluster

# probe DIR NODE ID CMD: stdin as probe ID's output in the capture (exit 0).
probe() {
	cat > "$1/$2/$3.out"; : > "$1/$2/$3.err"
	printf '{"cmd":"%s","state":"ok","exit":0,"ms":1,"truncated":false}\n' "$4" > "$1/$2/$3.json"
}
# serving DIR SED: the environment of node4's running vLLM processes in
# capture DIR (the demo's capture holds them: /proc/PID/environ, NUL-separated)
# with SHLVL=1 added, then edited by the sed script SED.
serving() {
	for f in "$1"/node4/serve-environ.*.out; do
		{ tr '\000' '\n' < "$f"; echo SHLVL=1; } | sed "$2" | tr '\n' '\000' > "$f.new" && mv "$f.new" "$f"
	done
}
cp -r $DEMO $T/good; serving $T/good ''
# the changed capture: node2's driver, node3 NPU 3's address in hccn.conf, node4's env
cp -r $T/good $T/now
sed -i 's/^Version=25.5.1/Version=25.5.2/' $T/now/node2/driver-version.out
sed -i 's/^address_3=10.20.2.14/address_3=10.20.2.99/' $T/now/node3/hccn-conf.out
serving $T/now 's/^HCCL_BUFFSIZE=512$/HCCL_BUFFSIZE=1024/; s/^SHLVL=1$/SHLVL=2/'
cmp -s $T/good/node2/driver-version.out $T/now/node2/driver-version.out && echo "# the driver edit changed nothing"
cmp -s $T/good/node3/hccn-conf.out $T/now/node3/hccn-conf.out && echo "# the hccn.conf edit changed nothing"

# --- snapshot save ---
run $T/o "$V4CHECK" snapshot save $T/s.json --replay $DEMO; is $RC 2 "the demo is not healthy: nothing saved (2)"
like $T/o 'snapshot not saved: the run is not healthy \(FAIL\)' "and says why"
like $T/o 'TLS_MISMATCH +node3' "naming what fails"
[ ! -e $T/s.json ]; ok $? "no file was written"
run $T/o "$V4CHECK" snapshot save; is $RC 64 "snapshot without save FILE: usage error"
W=--warn-only=tls,npu-mem,serve-args,netif,container,graph-mode,kv-budget,init-timeout,loader,prefix-cache
run $T/o "$V4CHECK" snapshot save $T/s.json --replay $T/good $W; is $RC 0 "snapshot save of the accepted run: 0"
like $T/o 'snapshot of 4 nodes .* written to ' "says what it wrote"
is "$(stat -c %a $T/s.json)" 600 "the snapshot is mode 0600"
python3 - $T/s.json <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
assert d["snapshot"] == 1 and d["tool"].startswith("v4check ") and d["source"].startswith("replay of ")
def natural(k): return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", k)]
def walk(o, path):
    if isinstance(o, list): raise AssertionError("an array at " + path)
    if isinstance(o, dict):
        assert list(o) == sorted(o, key=natural), "keys not sorted at " + path
        for k, v in o.items(): walk(v, path + "." + k)
walk(d, "")
n = d["nodes"]
assert sorted(n) == ["node1", "node2", "node3", "node4"]
assert [n["node3"]["npus"][str(i)]["tls"] for i in range(8)] == [1] * 8
assert n["node2"]["versions"]["driver"] == "25.5.1" and n["node2"]["versions"]["image"].startswith("quay.io/ascend/")
assert n["node3"]["hccn_conf"]["address_3"] == "10.20.2.14"
assert n["node3"]["npus"]["3"]["address"] == "10.20.2.14"
assert n["node1"]["model"]["files"]["config.json"] > 0
assert n["node1"]["container"]["env"]["HCCL_BUFFSIZE"] == "512" and n["node1"]["container"]["network_mode"] == "host"
assert n["node4"]["serve"]["source"] == "running process"
assert n["node4"]["serve"]["env"]["HCCL_BUFFSIZE"] == "512"
assert n["node4"]["serve"]["env"].get("VLLM_API_KEY", "***") == "***" and n["node4"]["serve"]["options"]["--api-key"] == "***"
assert n["node2"]["serve"]["source"] == "deployment.serve_command"  # its vLLM was killed
assert "unreadable" not in n["node1"]
assert "sk-" not in text, "a secret in the snapshot"
PY
ok $? "the snapshot: versioned, keys sorted, no arrays (one value per line), values, secrets masked"

# --- --baseline on the same capture, then on the changed one ---
run $T/o "$V4CHECK" drift --replay $T/good --baseline $T/s.json; is $RC 0 "same capture: drift passes (0)"
like $T/o 'PASS +OK +node\[1-4\]: as in the baseline of ' "all four nodes as in the baseline"
run $T/o "$V4CHECK" drift --replay $T/now --baseline $T/s.json; is $RC 1 "changed capture: drift WARNs (1)"
like $T/o '^  WARN +DRIFT_VERSION +node2: driver 25.5.2, baseline 25.5.1$' "node2's driver"
like $T/o '^  WARN +DRIFT_HCCN_CONF +node3: NPU 3: /etc/hccn.conf address_3 10.20.2.99, baseline 10.20.2.14$' "node3 NPU 3's hccn.conf entry"
like $T/o "^  WARN +DRIFT_ENV +node4: serving processes' HCCL_BUFFSIZE 1024, baseline 512$" "node4's serving environment"
is "$(grep -c '^  WARN' $T/o)" 3 "nothing else (SHLVL is not compared)"
like $T/o '^  PASS +OK +node1: ' "node1 unchanged"
run $T/o "$V4CHECK" all --replay $T/now --baseline $T/s.json; is $RC 2 "all --baseline: the checks' own verdicts stay (2)"
like $T/o 'FAIL +TLS_MISMATCH +node3' "beside them: tls"
like $T/o 'WARN +DRIFT_VERSION +node2' "beside them: drift"
run $T/o "$V4CHECK" all --replay $T/now --baseline $T/s.json --skip drift; unlike $T/o 'DRIFT_' "--skip drift leaves it out"
"$V4CHECK" drift --replay $T/now --baseline $T/s.json -o json > $T/d.json
python3 - $T/d.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for c in d["checks"] if c["id"] == "drift" for x in c["results"] if x["status"] != "PASS"]
h = [x for x in r if x["code"] == "DRIFT_HCCN_CONF"][0]["evidence"]
assert h == {"field": "hccn_conf.address", "npu": 3, "baseline": "10.20.2.14", "now": "10.20.2.99"}, h
e = [x for x in r if x["code"] == "DRIFT_ENV"][0]["evidence"]
assert e["field"] == "serve.env.HCCL_BUFFSIZE" and "npu" not in e
PY
ok $? "JSON evidence: field, NPU, baseline and current value"

# merge judges reports with facts: --baseline there too
"$V4CHECK" all --replay $T/now -o json --facts > $T/facts.json
run $T/o "$V4CHECK" merge $T/facts.json --baseline $T/s.json; is $RC 2 "merge --baseline: the run's status (2)"
like $T/o '^  WARN +DRIFT_HCCN_CONF +node3: NPU 3: ' "merge: drift findings from the reports' facts"
is "$(grep -Ec '^  WARN +DRIFT_' $T/o)" 3 "merge: the same three"

# --- per-field severity (config drift.fields) ---
cfg() { "$V4CHECK" config | python3 -c 'import json,sys; c=json.load(sys.stdin); c["drift"]={"fields":json.loads(sys.argv[1])}; print(json.dumps(c))' "$1" > $T/c.json; chmod 600 $T/c.json; }
cfg '{"versions.driver": "FAIL", "serve.env": "ignore"}'
run $T/o "$V4CHECK" -c $T/c.json drift --replay $T/now --baseline $T/s.json; is $RC 2 "versions.driver: FAIL (2)"
like $T/o '^  FAIL +DRIFT_VERSION +node2: driver 25.5.2.* \(WARN, raised to FAIL by drift\.fields\)$' "the driver change is a FAIL, and the message says why"
unlike $T/o 'DRIFT_ENV' "serve.env: ignored"
like $T/o 'WARN +DRIFT_HCCN_CONF +node3' "the rest stays WARN"
run $T/o "$V4CHECK" -c $T/c.json drift --replay $T/now --baseline $T/s.json --warn-only drift:DRIFT_VERSION
like $T/o '^  WARN +DRIFT_VERSION +node2: .*raised to FAIL by drift\.fields\) \(FAIL, demoted to WARN by --warn-only\)$' \
	"--warn-only CHECK:CODE demotes the raised finding again (it runs after drift.fields)"
run $T/o "$V4CHECK" -c $T/c.json drift --replay $T/now --baseline $T/s.json --skip DRIFT_VERSION
like $T/o '^  SKIP +DRIFT_VERSION +node2: .*skipped by --skip\)$' "--skip takes a bare drift code"
run $T/o "$V4CHECK" all --replay $T/now --baseline $T/s.json --skip drift:DRIFT_NOPE; is $RC 64 "--skip drift:UNDECLARED: usage error (64)"
like $T/o 'check drift has no finding DRIFT_NOPE' "naming the check"
cfg '{"DRIFT_HCCN_CONF": "ignore", "serve.env.SHLVL": "WARN"}'
run $T/o "$V4CHECK" -c $T/c.json drift --replay $T/now --baseline $T/s.json
unlike $T/o 'DRIFT_HCCN_CONF' "a finding code can be ignored"
like $T/o "DRIFT_ENV +node4: serving processes' SHLVL 2, baseline 1" "a volatile variable is compared when configured"
cfg '{"versions": "loud"}'
run $T/o "$V4CHECK" -c $T/c.json drift --replay $T/now --baseline $T/s.json; is $RC 3 "an unknown severity word: ERROR (3)"
like $T/o 'ERROR +CONFIG_INVALID +cluster: drift.fields' "and says where"
printf '{"drift": ["versions"]}\n' > $T/c.json; chmod 600 $T/c.json
run $T/o "$V4CHECK" -c $T/c.json config; is $RC 64 "a drift section that is not an object: the config is refused (64)"
like $T/o 'drift: expected an object' "saying which section"
run $T/o "$V4CHECK" drift --replay $T/now --baseline $T/s.json --warn-only DRIFT_VERSION; is $RC 1 "--warn-only applies to drift codes"

# --- diff OLD NEW ---
"$V4CHECK" snapshot save $T/s2.json --replay $T/now $W --skip versions,roce > /dev/null; ok $? "a snapshot of the changed capture"
run $T/o "$V4CHECK" diff $T/s.json $T/s2.json; is $RC 1 "diff: the differences are WARN (1)"
is "$(grep -c '^  WARN' $T/o)" 3 "diff: the same three differences"
like $T/o 'DRIFT_HCCN_CONF +node3: NPU 3: ' "diff names node3 NPU 3"
run $T/o "$V4CHECK" diff $T/s.json $T/s.json; is $RC 0 "diff of a snapshot with itself: 0"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["nodes"]["node4"]; json.dump(d, open(sys.argv[2], "w"))' $T/s.json $T/s3.json
run $T/o "$V4CHECK" diff $T/s.json $T/s3.json; like $T/o 'WARN +DRIFT_NODE_MISSING node4' "a node gone"
run $T/o "$V4CHECK" diff $T/s3.json $T/s.json; like $T/o 'WARN +DRIFT_NODE_NEW +node4' "a node new"
run $T/o "$V4CHECK" diff $T/s.json; is $RC 64 "diff takes two files"
echo '{"snapshot": 2, "nodes": {}}' > $T/v2.json
run $T/o "$V4CHECK" diff $T/s.json $T/v2.json; is $RC 64 "diff of an unknown snapshot version: usage error"
like $T/o 'snapshot version 2: this v4check reads version 1' "and says so"
run $T/o "$V4CHECK" all --replay $T/now --baseline $T/nonexistent.json; is $RC 64 "a missing --baseline: usage error"
like $T/o 'baseline .*nonexistent.json: No such file' "naming the file"
run $T/o "$V4CHECK" drift --replay $T/now; is $RC 64 "drift without --baseline: usage error"
like $T/o 'drift compares with a snapshot: give --baseline FILE' "says so"

# --- the page marks what changed ---
"$V4CHECK" all --replay $T/now --baseline $T/s.json -o html > $T/p.html
like $T/p.html '<td class="npu s-fail changed" data-node="node3" data-npu="3"' "the map marks node3 NPU 3 changed"
is "$(grep -o 'class="npu [a-z-]* changed"' $T/p.html | wc -l)" 1 "and no other cell"
like $T/p.html '<tr class="s-fail changed" data-node="node2"' "node2's row is marked (the driver)"
like $T/p.html '<tr class="s-[a-z]* changed" data-node="node4"' "node4's row is marked (the environment)"
unlike $T/p.html '<tr class="[a-z-]* changed" data-node="node[13]"' "node1's and node3's rows are not"

run $T/o "$V4CHECK" explain drift; like $T/o '^drift: ' "explain drift"
like $T/o 'DRIFT_HCCN_CONF' "explain lists the drift codes"
for code in $(sed -n '/^Findings:/,$p' $T/o | awk 'NR > 1 {print $1}'); do
	grep -q "^\.B $code\$" man/v4check-snapshot.7; ok $? "man/v4check-snapshot.7 documents $code"
done
done_testing
