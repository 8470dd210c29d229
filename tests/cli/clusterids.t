#!/bin/sh
# Every cluster test file runs on a cluster of its own by default (make check
# runs two at a time): no two files share a V4_CLUSTER default. TAP.
cd "$(dirname "$0")/../.." || exit 1
ids=$(grep -h '^V4_CLUSTER=\${V4_CLUSTER:-[0-9]*}' tests/cluster/*.t | sed 's/.*:-\([0-9]*\)}/\1/')
echo "1..2"
n=$(ls tests/cluster/*.t | wc -l)
m=$(grep -l '^V4_CLUSTER=\${V4_CLUSTER:-[0-9]*}' tests/cluster/*.t | wc -l)
[ $((n - m)) -le 1 ] && echo "ok 1 - every cluster test but at most one (cluster 0) names its cluster" ||
	echo "not ok 1 - $((n - m)) cluster tests name no cluster"
d=$(printf '%s\n' $ids 0 | sort | uniq -d)
[ -z "$d" ] && echo "ok 2 - no two cluster tests share a cluster" || echo "not ok 2 - shared: $d"
