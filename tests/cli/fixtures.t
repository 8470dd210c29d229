#!/bin/sh
# Every committed check-case tree is what its make.sh writes: each
# fixtures/checks/<id>/make.sh runs in a copy of the tree and the result must
# equal the committed cases byte for byte (a hand edit or a forgotten
# regeneration fails here). Git keeps no empty folders, so none are compared.
# TAP.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests"
cp -R fixtures "$tmp/"
cp tests/mkcase.sh "$tmp/tests/"
# the binary of this tree, for the make.sh that need it (drift: the built-in config)
V4CHECK=${V4CHECK:-./v4check}
case $V4CHECK in /*) ;; *) V4CHECK=$(pwd)/$V4CHECK ;; esac
export V4CHECK
set -- fixtures/checks/*/make.sh
echo "1..$#"
i=0
for m in "$@"; do
	i=$((i + 1))
	d=${m%/make.sh}
	rm -rf "$tmp/$d"/pass-* "$tmp/$d"/warn-* "$tmp/$d"/fail-* "$tmp/$d"/error-*
	if ! out=$(sh "$tmp/$m" 2>&1) || ! find "$tmp/$d" -type d -empty -delete; then
		echo "not ok $i - $d/make.sh runs"
		printf '%s\n' "$out" | sed 's/^/# /'
	elif diff=$(diff -r "$d" "$tmp/$d" 2>&1); then
		echo "ok $i - $d is what its make.sh writes"
	else
		echo "not ok $i - $d is what its make.sh writes"
		printf '%s\n' "$diff" | head -20 | sed 's/^/# /'
	fi
done
