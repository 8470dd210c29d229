#!/bin/sh
# No symbol cycles between object files (tests/symcycles.sh over build/), and
# the script does find one: two objects that call each other, three in a ring.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4cyc.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
CC=${CC:-cc}
obj() { # obj NAME 'C source': compiles $T/NAME.o
	printf '%s\n' "$2" > "$T/$1.c" && $CC -c -o "$T/$1.o" "$T/$1.c"
}
obj a 'int b(void); int a(void) { return b(); }'
obj b 'int a(void); int b(void) { return 1; } int b2(void) { return a(); }'
obj c 'int d(void); int c(void) { return d(); }'
obj d 'int e(void); int d(void) { return e(); }'
obj e 'int c(void); int e(void) { return 0; } int e2(void) { return c(); }'
obj f 'int a(void); int f(void) { return a(); }'
run $T/out tests/symcycles.sh "$T/a.o" "$T/b.o"
is "$RC" 1 "a pair of objects using each other is a cycle"
like $T/out "a\.o -> .*b\.o \(b\)" "the cycle's edges are named with their symbol"
run $T/out tests/symcycles.sh "$T/c.o" "$T/d.o" "$T/e.o"
is "$RC" 1 "a ring of three objects is a cycle"
run $T/out tests/symcycles.sh "$T/f.o" "$T/a.o"
is "$RC" 0 "a one-way use is no cycle"
if ls build/lib/*.o >/dev/null 2>&1; then
	run $T/out tests/symcycles.sh
	is "$RC" 0 "no symbol cycle between the objects of build/"
	[ "$RC" = 0 ] || sed 's/^/#   /' $T/out
else
	skip "build/ has no objects (run make first)"
fi
done_testing
