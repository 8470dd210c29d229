#!/bin/sh
# --tier and --budget on the reference capture (fixtures/replay): which checks
# a tier runs, the tier and cost each check declares (list, list -o json), and
# the budget plan (left-out checks SKIP with OVER_BUDGET, cheapest kept). TAP.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
V=./v4check
R="--replay fixtures/replay/reference-cluster"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export NO_COLOR=1

# Every check shows its tier and cost in list and list -o json.
run "$T/list" $V list; is "$RC" 0 "list exits 0"
n=$($V list | wc -l)
is "$(grep -cE '^[a-z-]+ +(-|fix|fix!) +(quick|standard|deep) +[0-9]+\.[0-9]s ' "$T/list")" "$n" "list: every line has a tier and a cost"
run "$T/json" $V list -o json
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(all(c["tier"] in ("quick","standard","deep") and c["cost_ms"] > 0 for c in d["checks"]))' "$T/json")" True "list -o json: tier and cost_ms of every check"
like "$T/list" '^npu-mem +fix! +quick ' "npu-mem is quick"
like "$T/list" '^tls +fix +standard ' "tls is standard"
run "$T/ex" $V explain hccl-env
like "$T/ex" '^Tier: standard; expected cost about [0-9.]+ s a node' "explain shows the tier"
grep -q '^\\fBTier:\\fR ' man/v4check-checks.7; ok $? "the catalogue page shows the tiers"

# checks_in FILE: the check ids whose section the text report has.
checks_in() { grep -oE '^[a-z-]+  ' "$1" | tr -d ' ' | sort | tr '\n' ' '; }
quick=$(awk '$3 == "quick" {print $1}' "$T/list" | sort | tr '\n' ' ')
std=$(awk '$3 != "deep" {print $1}' "$T/list" | sort | tr '\n' ' ')
all=$(awk '{print $1}' "$T/list" | sort | tr '\n' ' ')

run "$T/q" $V $R --tier quick all
is "$(checks_in "$T/q")" "$quick" "--tier quick runs the quick checks only"
run "$T/s" $V $R all
is "$(checks_in "$T/s")" "$std" "the default tier is standard"
run "$T/d" $V $R --tier deep all
is "$(checks_in "$T/d")" "$all" "--tier deep runs every check"
run "$T/n" $V $R --tier quick tls
is "$(checks_in "$T/n")" "tls " "a check named on the command line runs whatever its tier"
run "$T/bad" $V $R --tier fast all
is "$RC" 64 "--tier fast is a usage error"
like "$T/bad" "tier is quick, standard or deep, not 'fast'" "... saying which tiers there are"

# cost ID: the check's declared cost_ms.
cost() { python3 -c 'import json,sys; print([c["cost_ms"] for c in json.load(open(sys.argv[1]))["checks"] if c["id"] == sys.argv[2]][0])' "$T/json" "$1"; }

# --budget 2: 1.5 s of check costs after opening the nodes; the sum of the
# kept checks' costs fits, every other check SKIPs with OVER_BUDGET.
run "$T/b" $V $R --budget 2 all
grep -q 'OVER_BUDGET' "$T/b"; ok $? "--budget 2 leaves checks out"
left=$(grep -E -B1 'SKIP +OVER_BUDGET +cluster: left out by --budget 2: expected' "$T/b" | grep -oE '^[a-z-]+  ' | tr -d ' ' | sort | tr '\n' ' ')
[ -n "$left" ]; ok $? "each left-out check has a SKIP saying why ($left)"
kept=0
for c in $(checks_in "$T/b"); do
	case " $left " in *" $c "*) ;; *) kept=$((kept + $(cost "$c"))) ;; esac
done
[ "$kept" -le 1500 ] && [ "$kept" -gt 0 ]; ok $? "the kept checks' costs fit in the budget ($kept ms)"
for c in $left; do
	cost=$(cost "$c")
	[ $((kept + cost)) -gt 1500 ] || { echo "# $c ($cost ms) would have fit"; false; } || break
done
ok $? "no left-out check would have fit"
for q in $quick; do case " $left " in *" $q "*) echo "# quick check $q left out";; esac; done > "$T/ql"
[ ! -s "$T/ql" ]; ok $? "quick checks go first"
run "$T/bj" $V $R --budget 2 -o json all
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(sorted(c["id"] for c in d["checks"] if any(r["code"] == "OVER_BUDGET" for r in c["results"]))))' "$T/bj" 2>&1)" "$(echo $left)" "-o json carries the same OVER_BUDGET results"
run "$T/b60" $V $R --budget 60 all
unlike "$T/b60" 'OVER_BUDGET' "--budget 60 leaves nothing out"
is "$(checks_in "$T/b60")" "$std" "... and runs the standard tier"
done_testing
