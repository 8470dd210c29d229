#!/bin/sh
# The arm64 package's binary (cross-built, for the Atlas nodes' Kunpeng CPUs)
# under qemu-user gives the same output and exit status as the amd64 one:
# on the bundled replay (text and JSON) and on every check's fixture case
# (fixtures/checks/<id>/<case>/, replayed as tests/unit/test_checks.c does:
# that check alone, the case's config.json, --phase live when it has a
# phase file). Also: which glibc symbol versions each binary needs.
# Root (the packages are built with apt-get installs when missing).
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
. tests/pkg/lib.sh
pkg_require
command -v qemu-aarch64 >/dev/null || { echo "1..0 # SKIP qemu-aarch64 missing (apt-get install qemu-user)"; exit 0; }
A=$(pkg_deb arm64) || { echo "Bail out! no arm64 package"; exit 1; }
X=$(pkg_deb amd64) || { echo "Bail out! no amd64 package"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/v4qemu.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
dpkg-deb -x "$A" $T/arm64 && dpkg-deb -x "$X" $T/amd64 || { echo "Bail out! dpkg-deb -x"; exit 1; }
ARM="qemu-aarch64 $T/arm64/usr/bin/v4check"
AMD="$T/amd64/usr/bin/v4check"
export NO_COLOR=1 V4CHECK_CONFIG=

file "$T/arm64/usr/bin/v4check" | grep -q 'ARM aarch64'; ok $? "the arm64 package holds an aarch64 binary"
$ARM --version > $T/v 2>&1; is $? 0 "it runs under qemu-aarch64"
like $T/v "^v4check $PKG_VERSION" "and says its version"
for b in amd64 arm64; do
	v=$(objdump -T $T/$b/usr/bin/v4check | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
	echo "# $b: newest glibc symbol version needed: $v"
	[ "$v" = GLIBC_2.34 ] || [ "$v" = GLIBC_2.33 ] || [ "$v" = GLIBC_2.25 ]
	ok $? "$b: needs glibc <= 2.34 ($v), as the README says"
done

# run BIN OUT ARGS...: BIN's stdout in OUT, the run's own time fields (its
# start and duration in the JSON report) blanked: they differ between any two
# runs. Leaves the exit status in $?.
run_bin() {
	_b=$1 _o=$2; shift 2
	$_b "$@" > $_o.raw 2>/dev/null; _rc=$?
	sed -e 's/"started":[[:space:]]*"[^"]*"/"started": ""/' \
	    -e 's/"duration_s":[[:space:]]*[0-9.e+-]*/"duration_s": 0/' $_o.raw > $_o
	return $_rc
}
# same NAME ARGS...: both binaries, same stdout and exit status.
same() {
	name=$1; shift
	run_bin "$AMD" $T/x.out "$@"; xr=$?
	run_bin "$ARM" $T/a.out "$@"; ar=$?
	if [ $xr = $ar ] && cmp -s $T/x.out $T/a.out; then
		return 0
	fi
	echo "# $name: amd64 exit $xr, arm64 exit $ar"
	diff $T/x.out $T/a.out | head -10 | sed 's/^/#   /'
	return 1
}
R=fixtures/replay/reference-cluster
for f in text json; do
	same "replay $f" all --replay $R -o $f; ok $? "bundled replay, -o $f: identical"
done
$AMD all --replay $R -o json > $T/j 2>/dev/null
grep -Eq '"status":[[:space:]]*"FAIL"' $T/j; ok $? "and not trivially: the replay's verdict is FAIL"

n=0 bad=0
for d in fixtures/checks/*/*/; do
	[ -f "$d/manifest.json" ] || continue
	c=$(basename "$(dirname "$d")")
	ph=; [ -f "$d/phase" ] && ph="--phase live"
	for f in text json; do
		n=$((n + 1))
		same "$c/$(basename "$d") -o $f" $c --replay "$d" $ph -o $f || bad=$((bad + 1))
	done
done
echo "# fixture cases compared: $n runs"
[ $n -gt 300 ]; ok $? "every check's fixture cases ran ($n runs, text and JSON)"
is $bad 0 "arm64 and amd64 agree on every fixture case"
done_testing
