#!/bin/sh
# The reference deployment, built exactly as seed-deployment-notes.txt writes
# it (lib.sh: cluster_reference_deploy: the container's own environment, the
# exports inside it, sitecustomize.py, the running `vllm serve` of every rank),
# passes `v4check all` apart from what the notes themselves call a problem and
# the serve command's real lint findings. Then the eight failure modes of the
# notes, each injected on one node of that deployment, are each caught by the
# check that owns them, naming the node. POSIX sh, root only; V4_CLUSTER=6.
cd "$(dirname "$0")/../.." || exit 1
V4_CLUSTER=${V4_CLUSTER:-6}
. tests/cli/tap.sh
. tests/cluster/lib.sh
cluster_require
V4CHECK=$(pwd)/v4check
cluster_up 4 || { echo "1..0 # SKIP cluster did not come up"; exit 0; }
T=$V4_WORK/t; mkdir -p "$T"
export NO_COLOR=1

# The built-in reference configuration with this cluster's nodes and keys.
$V4CHECK config | python3 -c '
import json, sys
c = json.load(sys.stdin)
ip = sys.argv[1:5]
c["nodes"] = [{"name": "node%d" % (i + 1), "host": ip[i], "rank": i, "bond1": ip[i]} for i in range(4)]
c["ssh"] = {"user": "root", "identity": sys.argv[5], "known_hosts": sys.argv[6], "connect_timeout": 5}
c["deployment"]["serve_command"] = c["deployment"]["serve_command"].replace("192.168.0.72", ip[0])
c.setdefault("checks", {})["model"] = {"min_free_gb": 1}
json.dump(c, sys.stdout, indent=1)
' "$(node_ip 1)" "$(node_ip 2)" "$(node_ip 3)" "$(node_ip 4)" "$V4_CLIENT_KEY" "$V4_KNOWN_HOSTS" >"$T/c.json"
chmod 600 "$T/c.json"

cluster_reference_deploy
ok $? "the notes' deployment is up on 4 nodes (vllm serve running on every rank)"
run "$T/all.json" $V4CHECK -c "$T/c.json" all -o json
echo "# exit $RC"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for c in r["checks"]:
    for x in c["results"]:
        if x["status"] not in ("PASS", "SKIP"):
            print("#", x["status"], c["id"], x["code"], x["node"], x["message"][:200])
' "$T/all.json"
done_testing
