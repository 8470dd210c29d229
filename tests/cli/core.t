#!/bin/sh
# The CLI end to end, on this machine: options, exit status, replay, and the
# local transport against the stateful fake npu-smi / hccn_tool / docker.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4cli.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
FAKE=$PWD/fixtures/fake
export NO_COLOR=1

# --- options and usage ---
run $T/o "$V4CHECK" --version; is $RC 0 "--version exits 0"; like $T/o '^v4check [0-9]' "--version prints the version"
run $T/o "$V4CHECK" --help; is $RC 0 "--help exits 0"; like $T/o 'exit status' "--help documents the exit status"
run $T/o "$V4CHECK" --no-such-option all; is $RC 64 "unknown option: usage error 64"
run $T/o "$V4CHECK" frobnicate; is $RC 64 "unknown command: 64"; like $T/o "no command or check 'frobnicate'" "unknown command named"
run $T/o "$V4CHECK" -t 0 all; is $RC 64 "-t 0 refused"; like $T/o 'timeout takes whole seconds' "-t error says what it takes"
run $T/o "$V4CHECK" --dry-run all; is $RC 64 "--dry-run needs --fix"
run $T/o "$V4CHECK" -o yaml all; is $RC 64 "-o yaml refused"
run $T/o "$V4CHECK" -c /nonexistent/v4.json all; is $RC 64 "missing config: 64"; like $T/o 'nonexistent/v4.json: No such file' "missing config named"
printf '{"nodes": [\n  {"host": "a",}\n]}\n' > $T/bad.json
run $T/o "$V4CHECK" -c $T/bad.json all; is $RC 64 "malformed config: 64"; like $T/o 'bad.json:2:[0-9]+: malformed JSON' "malformed config: file, line and column"
printf '{"nodes": [{"host": 5}]}\n' > $T/bad2.json
run $T/o "$V4CHECK" -c $T/bad2.json all; like $T/o 'nodes\[0\]\.host: expected a non-empty string' "wrong type in config: path and expectation"

# --- list, explain, the catalogue ---
run $T/o "$V4CHECK" list; is $RC 0 "list exits 0"
like $T/o '^tls +fix ' "list: tls can fix"; like $T/o '^npu-mem +fix! ' "list: npu-mem has a disruptive fix"
run $T/o "$V4CHECK" explain tls; like $T/o 'EI0016' "explain tls names EI0016"; like $T/o 'hccn_tool -i N -tls -s enable 0' "explain tls gives the fix"
run $T/o "$V4CHECK" explain nope; is $RC 64 "explain of an unknown check: 64"
"$V4CHECK" list --man > $T/cat.7
if cmp -s $T/cat.7 man/v4check-checks.7; then ok 0 "man/v4check-checks.7 is what the check table generates"; else ok 1 "man/v4check-checks.7 is stale: make man/v4check-checks.7"; fi
for id in $("$V4CHECK" list | awk '{print $1}'); do
	grep -q "^\.SS $id\$" man/v4check-checks.7; ok $? "catalogue page has a section for $id"
done

# --- the bundled demo: the reference cluster with failures 1 and 8 ---
run $T/o "$V4CHECK" all --replay fixtures/replay/reference-cluster; is $RC 2 "demo: FAIL (2)"
like $T/o 'FAIL +TLS_MISMATCH +node3: TLS enabled on NPU 0-7 of 8' "demo: node3's TLS"
like $T/o 'FAIL +HBM_HELD_NO_PROCESS node2: NPU 3 holds 40960 of 65536 MB' "demo: node2's held NPU"
like $T/o 'ARGS_UNKNOWN_KEY node\[1-4\]: .*did you mean enable_npugraph_ex' "demo: the reference command's misspelled key"
is "$(grep -c '^  FAIL' $T/o)" 3 "demo: nothing else fails"
V4CHECK_CONFIG= "$V4CHECK" config > $T/o 2> $T/e; is $? 0 "config prints the built-in configuration"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert len(c["nodes"])==4 and "--headless" in c["deployment"]["serve_command"]' $T/o
ok $? "the built-in configuration is the reference deployment's"

# --- replay of check fixtures ---
R=fixtures/checks/tls
run $T/o "$V4CHECK" tls --replay $R/fail-node3-enabled; is $RC 2 "replay: TLS on node3 fails (2)"
like $T/o 'FAIL +TLS_MISMATCH +node3: TLS enabled on NPU 0-7 of 8' "text names node3 and its NPUs"
like $T/o 'PASS +OK +node\[1-2,4\]: TLS disabled on all 8 NPUs' "identical results folded into node[1-2,4]"
run $T/o "$V4CHECK" tls --replay $R/error-npu-timeout; is $RC 3 "unreadable NPU, nothing failed: 3"
like $T/o 'ERROR.*NPU 7: .*timed out' "the ERROR says which NPU and why"
run $T/o "$V4CHECK" tls --replay $R/fail-node3-enabled --warn-only TLS_MISMATCH,TLS_INCONSISTENT; is $RC 1 "--warn-only demotes the findings to WARN (1)"
like $T/o 'demoted to WARN by --warn-only' "a demoted finding says so"
run $T/o "$V4CHECK" tls --replay $R/fail-node3-enabled --warn-only tls; is $RC 1 "--warn-only takes a check id too"
run $T/o "$V4CHECK" tls --replay $R/fail-node3-enabled --fix; is $RC 64 "--fix on a capture is refused"
run $T/o "$V4CHECK" tls --replay $R/fail-node3-enabled --fix --dry-run; is $RC 2 "--fix --dry-run on a capture shows the plan"
like $T/o 'node3: hccn_tool -i 7 -tls -s enable 0' "the plan names node3's NPUs"
"$V4CHECK" tls --replay $R/fail-node3-enabled -o json > $T/j.json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]==2 and d["status"]=="FAIL" and d["exit"]==2; c=d["checks"][0]; assert c["id"]=="tls"; r=[x for x in c["results"] if x["node"]=="node3"][0]; assert r["code"]=="TLS_MISMATCH"; assert [n["switch"] for n in r["evidence"]["npus"]]==[1]*8' $T/j.json
ok $? "JSON: schema 2, status, node3's per-NPU switches in evidence"
valid_json report $T/j.json "JSON report validates against schema/v4check.schema.json"
run $T/o "$V4CHECK" tls npu-mem --replay $R/pass-all-disabled --skip npu-mem; is $RC 0 "--skip leaves a check out"
unlike $T/o 'npu-mem' "a skipped check is not reported"

# --- local, with the fake tools ---
export V4_FAKE_STATE=$T/node PATH="$FAKE/bin:$PATH"
sh $FAKE/v4fake init $T/node --rank 0 --bond-ip 198.18.0.11 >/dev/null
run $T/o "$V4CHECK" tls npu-mem --local; is $RC 0 "healthy fake node passes"
sh $FAKE/v4fake fault $T/node tls-on-npu 2 >/dev/null; sh $FAKE/v4fake fault $T/node tls-on-npu 6 >/dev/null
run $T/o "$V4CHECK" tls; is $RC 2 "TLS on NPU 2 and 6: FAIL"; like $T/o 'TLS enabled on NPU 2,6 of 8' "the FAIL names NPU 2 and 6"
run $T/o "$V4CHECK" tls --fix --dry-run; is $RC 2 "--dry-run changes nothing"
is "$(cat $T/node/tls.2)" 1 "--dry-run left NPU 2 enabled"
run $T/o "$V4CHECK" tls --fix --fix-log $T/fix.log; is $RC 0 "tls --fix: the run after the fix passes"
is "$(grep -c 'result=ok' $T/fix.log)" 2 "exactly the two differing NPUs were changed, and logged"
like $T/fix.log 'node=.* result=ok cmd=hccn_tool -i 6 -tls -s enable 0' "the log has node, result and command"
run $T/o "$V4CHECK" tls --fix --fix-log $T/fix.log; is $RC 0 "a second --fix is a no-op"
like $T/o 'nothing to change' "second --fix plans nothing"
is "$(grep -c 'result=ok' $T/fix.log)" 2 "the second --fix changed nothing"

# held memory, and the disruptive fix
sh $FAKE/v4fake fault $T/node hbm-held 3 40960 >/dev/null
run $T/o "$V4CHECK" npu-mem; is $RC 2 "40 GB held with no process: FAIL"
like $T/o 'HBM_HELD_NO_PROCESS .*NPU 3 holds 4[0-9]{4} of 65536 MB' "names NPU 3 and its figures"
run $T/o "$V4CHECK" npu-mem --fix; is $RC 2 "without --yes the restart is refused"
like $T/o 'REFUSED.*--yes' "the refusal says --yes is needed"
run $T/o "$V4CHECK" npu-mem --fix --yes; is $RC 0 "--fix --yes restarts the container and the run passes"

# hostile or missing tools
printf '1\n' > $T/node/hccn_hang.4
start=$(date +%s)
run $T/o "$V4CHECK" tls -t 1; is $RC 3 "hung hccn_tool: ERROR (3)"
is "$(( $(date +%s) - start < 8 ))" 1 "the hung probe did not hold the run past its timeout"
like $T/o 'NPU 4: hccn_tool -i 4 -tls -g: timed out after 1 s' "ERROR names NPU 4 and the timeout"
sleep 0.2
left=$(for p in $(pgrep -f 'sleep 100000'); do grep -qa "V4_FAKE_STATE=$T/node" /proc/$p/environ 2>/dev/null && echo $p; done | wc -l)
is "$left" 0 "no leftover process of the killed probe"
rm -f $T/node/hccn_hang.4
printf '1\n' > $T/node/hccn_garbage.1
run $T/o "$V4CHECK" tls; is $RC 3 "garbage from hccn_tool: ERROR, never PASS"
like $T/o 'NPU 1: .*' "the garbage ERROR names the NPU"
rm -f $T/node/hccn_garbage.1
printf '2\n' > $T/node/hccn_busy.5
run $T/o "$V4CHECK" tls; is $RC 0 "a busy hccn_tool is retried until it answers"
run $T/o env PATH=/usr/bin:/bin "$V4CHECK" tls; is $RC 3 "no npu-smi on the node: ERROR (3)"
like $T/o 'npu-smi.*not found' "the ERROR says the tool is missing"

# collect, then replay the capture: the same verdict
sh $FAKE/v4fake fault $T/node tls-on-npu 0 >/dev/null
run $T/o "$V4CHECK" collect -o $T/cap; is $RC 0 "collect writes a capture"
test -f $T/cap/manifest.json; ok $? "the capture has a manifest"
valid_json manifest $T/cap/manifest.json "the manifest validates against the schema"
run $T/o "$V4CHECK" tls --replay $T/cap; is $RC 2 "replaying the capture gives the same FAIL"
like $T/o 'TLS enabled on NPU 0 of 8' "same finding from the capture"
unlike $T/o "$(printf '\033')" "no colour when not on a terminal"

# per-node reports merged: the same verdicts as one run over both nodes
sh $FAKE/v4fake init $T/nodeB --rank 1 --bond-ip 198.18.0.12 >/dev/null
"$V4CHECK" --node nodeA tls -o json --facts > $T/a.json
V4_FAKE_STATE=$T/nodeB "$V4CHECK" --node nodeB tls -o json --facts > $T/b.json
valid_json report $T/a.json "node A's --facts report validates"; valid_json report $T/b.json "node B's too"
run $T/o "$V4CHECK" merge $T/a.json $T/b.json; is $RC 2 "merge: node A's TLS on NPU 0 fails the merged run"
like $T/o 'TLS_INCONSISTENT cluster: .*enabled on \[\], disabled on \[nodeB\], mixed on \[nodeA\]' "merge applies the cross-node verdict"
run $T/o "$V4CHECK" merge $T/a.json $T/a.json; is $RC 64 "merge refuses the same node twice"
# a node's plain report (`--local -o json`, no --facts) is mergeable as it is,
# and nodes that ran seconds apart are each judged within their own run
"$V4CHECK" --node nodeA clock tls -o json > $T/a1.json
sleep 3
V4_FAKE_STATE=$T/nodeB "$V4CHECK" --node nodeB clock tls -o json > $T/b1.json
python3 -c 'import json,sys; n=json.load(open(sys.argv[1]))["nodes"][0]; assert "facts" not in n and n["raw"] and all("at0" in f for f in n["raw"])' $T/a1.json
ok $? "a local JSON report carries its probe output compactly (raw, with the run's clock window)"
run $T/o "$V4CHECK" merge $T/a1.json $T/b1.json -o json; is $RC 2 "merge of plain local reports: node A's TLS fails the merged run"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=[(x["node"],x["status"],x["code"]) for c in d["checks"] if c["id"]=="clock" for x in c["results"] if x["code"]!="NTP_UNSYNCED"]; assert sorted(r)==[("nodeA","PASS","OK"),("nodeB","PASS","OK")], r' $T/o
ok $? "runs 3 s apart: both clocks PASS (not CLOCK_SKEW)"
printf '{"schema": 1, "nodes": [{"name": "x"}]}' > $T/bad.json
run $T/o "$V4CHECK" merge $T/bad.json; is $RC 64 "merge refuses a report without facts"
like $T/o 'facts' "and says the facts are missing"
done_testing
