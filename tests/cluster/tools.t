#!/bin/sh
# Tools found over SSH where the Ascend driver puts them, not on the login
# PATH: nodes whose sessions get PATH=/usr/bin:/bin (as cron's and many
# ForceCommand setups), the fake tools only in a folder named by the config's
# tools.path; without it, ERROR naming every place looked in. Root only;
# V4_CLUSTER=12 by default.
V4_CLUSTER=${V4_CLUSTER:-12}
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
FAKE=$V4_REPO/fixtures/fake
N=2
V4_NODE_PATH=/usr/bin:/bin
cluster_up $N || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
T=$V4_WORK/t; mkdir -p $T
export NO_COLOR=1
i=1
while [ $i -le $N ]; do
	sh $FAKE/v4fake init "$(node_state $i)" --rank $((i - 1)) --bond-ip "$(node_ip $i)" >/dev/null
	i=$((i + 1))
done
# The tools' folder as the driver would have it: not on the nodes' PATH.
mkdir -p $T/ascend/tools && cp $FAKE/bin/* $T/ascend/tools/

cluster_config $T/found.json 10 "\"tools\": {\"path\": [\"/usr/local/sbin\", \"$T/ascend/tools\"]}"
run $T/o "$V4CHECK" -t 30 -c $T/found.json tls npu-mem
is $RC 0 "tools only in tools.path: found over SSH, the checks pass"
[ $RC = 0 ] || sed 's/^/#   /' $T/o | head -20
run $T/o "$V4CHECK" -t 30 -c $T/found.json collect -o $T/cap tls
grep -rq 'PATH=' $T/cap 2>/dev/null; ok $((! $?)) "captures keep the probe's own command (no PATH prefix)"

cluster_config $T/none.json 10 "\"tools\": {\"path\": [\"$T/nowhere\"]}"
run $T/o "$V4CHECK" -t 30 -c $T/none.json -o json tls
is $RC 3 "tools nowhere: could not check (3), not FAIL"
like $T/o "npu-smi: not found \(looked in the node's login PATH, then $T/nowhere\)" \
	"the ERROR names the places looked in"
cluster_config $T/default.json 10
run $T/o "$V4CHECK" -t 30 -c $T/default.json -o json tls
like $T/o "not found \(looked in the node's login PATH, then /usr/local/sbin:[^)]*/usr/local/Ascend/driver/tools" \
	"by default: where the Ascend driver installs them"
done_testing
