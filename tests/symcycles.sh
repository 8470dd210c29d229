#!/bin/sh
# symcycles.sh [OBJECT...]: fails when the objects' symbols form a cycle
# (a function of A used by B, and through B, or B's users, one of B's used by
# A). Default objects: the library, the checks and the commands in build/.
# Prints each loop as tsort finds it, and every edge A -> B (symbol) between
# the objects of a loop.
set -u
if [ $# -eq 0 ]; then
	set -- $(find build/lib build/checks build/cmd -name '*.o' 2>/dev/null | sort)
fi
[ $# -gt 0 ] || { echo "symcycles: no objects (run make first)" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/symcycles.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
for o in "$@"; do
	nm -g --defined-only "$o" | awk -v o="$o" 'NF >= 3 {print "D", o, $3}'
	nm -g --undefined-only "$o" | awk -v o="$o" 'NF >= 2 {print "U", o, $2}'
done > "$T/syms" || exit 2
# edges "user definer symbol", one per pair of objects and symbol
awk 'NR == FNR { if ($1 == "D") def[$3] = $2; next }
     $1 == "U" && ($3 in def) && def[$3] != $2 {print $2, def[$3], $3}' "$T/syms" "$T/syms" |
	sort -u > "$T/edges"
# every object is a node, so that tsort sees the ones without edges too
for o in "$@"; do echo "$o $o"; done > "$T/graph"
awk '{print $1, $2}' "$T/edges" | sort -u >> "$T/graph"
if tsort "$T/graph" > /dev/null 2> "$T/loops"; then
	exit 0
fi
echo "symbol cycles between object files:"
sed "s/^tsort: //; s/^.*input contains a loop:$/loop:/" "$T/loops"
grep -v 'input contains a loop' "$T/loops" | sed 's/^tsort: //' | sort -u > "$T/inloop"
awk 'NR == FNR {in_loop[$1] = 1; next} ($1 in in_loop) && ($2 in in_loop) {print "  " $1 " -> " $2 " (" $3 ")"}' \
	"$T/inloop" "$T/edges"
exit 1
