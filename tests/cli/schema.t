#!/bin/sh
# Every JSON document v4check writes validates against schema/v4check.schema.json
# (Debian's python3-jsonschema, draft 2020-12): the report (demo replay, --facts,
# --fix --dry-run, --state, an unreachable node, merge), list -o json, the
# capture written by collect (manifest and per-probe files), and the --state file.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4schema.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export NO_COLOR=1
DEMO=fixtures/replay/reference-cluster

# the schema itself, and that the validator refuses what is not a report
"$JSON_PY" -c 'import json,jsonschema,sys; jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' schema/v4check.schema.json
ok $? "schema/v4check.schema.json is a valid draft 2020-12 schema"

"$V4CHECK" all --replay $DEMO -o json > $T/demo.json; is $? 2 "demo replay -o json: exit 2"
valid_json report $T/demo.json "demo replay report validates"
"$JSON_PY" - $T/demo.json <<'PY'
import json, sys, socket, datetime
d = json.load(open(sys.argv[1]))
assert d["schema"] == 2, d["schema"]
t = datetime.datetime.strptime(d["started"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
age = (datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()
assert -5 < age < 120, age
assert 0 <= d["duration_s"] < 120, d["duration_s"]
assert d["controller"] == socket.gethostname(), (d["controller"], socket.gethostname())
PY
ok $? "report: schema 2, started is this run's (UTC), duration, controller = this host"

# the validator can fail: a report of the old shape, and one with a stray field
"$JSON_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); [d.pop(k) for k in ("started","duration_s","controller")]; d["schema"]=1; json.dump(d,open(sys.argv[2],"w"))' $T/demo.json $T/old.json
"$JSON_PY" tests/validate-json.py report $T/old.json > $T/v 2>&1; is $? 1 "a schema 1 report does not validate as schema 2"
like $T/v "'started' is a required property" "the validator names the missing field"
"$JSON_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["checks"][0]["results"][0]["extra"]=1; json.dump(d,open(sys.argv[2],"w"))' $T/demo.json $T/stray.json
"$JSON_PY" tests/validate-json.py report $T/stray.json > $T/v 2>&1; is $? 1 "a field the schema does not know fails"
like $T/v "checks/0/results/0" "and the error gives its path"

"$V4CHECK" all --replay $DEMO -o json --facts > $T/facts.json
valid_json report $T/facts.json "--facts report (base64 outputs, timings) validates"
"$JSON_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(n["facts"] for n in d["nodes"])' $T/facts.json
ok $? "--facts: every node carries its facts"
"$V4CHECK" tls --replay fixtures/checks/tls/fail-node3-enabled --fix --dry-run -o json > $T/fix.json 2>/dev/null
valid_json report $T/fix.json "--fix --dry-run report (fixes) validates"
grep -q '"fixes"' $T/fix.json; ok $? "and it has fixes"
"$V4CHECK" tls --replay fixtures/checks/tls/error-unreachable-node -o json > $T/unr.json
valid_json report $T/unr.json "report with an unreachable node validates"
"$V4CHECK" tls --replay fixtures/checks/tls/pass-all-disabled --state $T/state -o json > $T/st1.json
"$V4CHECK" tls --replay fixtures/checks/tls/fail-node3-enabled --state $T/state -o json > $T/st2.json
valid_json report $T/st2.json "--state report (changes) validates"
grep -q '"change":.*"appeared"' $T/st2.json; ok $? "and it lists a change"
valid_json state $T/state "the --state file validates"

"$V4CHECK" list -o json > $T/list.json
valid_json list $T/list.json "list -o json validates"
"$V4CHECK" list | awk '{print $1}' > $T/ids
"$JSON_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); ids=[c["id"] for c in d["checks"]]; want=open(sys.argv[2]).read().split(); assert d["schema"]==1 and ids==want, (ids, want); assert all(c["findings"] for c in d["checks"])' $T/list.json $T/ids
ok $? "list -o json: schema 1, every check of list in order, with its findings"
valid_json manifest $DEMO/manifest.json "the demo capture's manifest validates"
valid_json fact "$DEMO/node1/npu-smi-info.json" "a probe file of the demo capture validates"
# every capture in fixtures/ (check cases, the demo): manifests and probe files
find fixtures -name manifest.json > $T/manifests
"$JSON_PY" tests/validate-json.py manifest $(cat $T/manifests) > $T/v 2>&1; ok $? "all $(wc -l < $T/manifests) fixture manifests validate"
head -5 $T/v | sed 's/^/#   /'
for m in $(cat $T/manifests); do find "$(dirname "$m")" -mindepth 2 -maxdepth 2 -name '*.json'; done > $T/probefiles
"$JSON_PY" tests/validate-json.py fact $(cat $T/probefiles) > $T/v 2>&1; ok $? "all $(wc -l < $T/probefiles) fixture probe files validate"
head -5 $T/v | sed 's/^/#   /'


# collect from the fake node, then merge two per-node reports
FAKE=$PWD/fixtures/fake
export V4_FAKE_STATE=$T/node PATH="$FAKE/bin:$PATH"
sh $FAKE/v4fake init $T/node --rank 0 --bond-ip 198.18.0.11 >/dev/null
"$V4CHECK" collect -o $T/cap tls npu-mem 2>/dev/null; is $? 0 "collect from the fake node"
valid_json manifest $T/cap/manifest.json "collect's manifest validates"
bad=0
for f in $T/cap/*/*.json; do "$JSON_PY" tests/validate-json.py fact "$f" || bad=1; done
ok $bad "every probe file collect wrote validates"
"$V4CHECK" --node nodeA tls -o json --facts > $T/a.json
sh $FAKE/v4fake init $T/nodeB --rank 1 --bond-ip 198.18.0.12 >/dev/null
V4_FAKE_STATE=$T/nodeB "$V4CHECK" --node nodeB tls -o json --facts > $T/b.json
valid_json report $T/a.json "a node's --local --facts report validates"
"$V4CHECK" merge $T/a.json $T/b.json -o json > $T/m.json; is $? 0 "merge of two nodes"
valid_json report $T/m.json "merge's report validates"
"$JSON_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [n["name"] for n in d["nodes"]]==["nodeA","nodeB"]' $T/m.json
ok $? "merge's report has both nodes"
"$JSON_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["schema"]=1; [d.pop(k) for k in ("started","duration_s","controller")]; json.dump(d,open(sys.argv[2],"w"))' $T/b.json $T/b1.json
"$V4CHECK" merge $T/a.json $T/b1.json > $T/o 2>&1; is $? 0 "merge still takes a schema 1 report"
done_testing
