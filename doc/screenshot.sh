#!/bin/sh
# Renders the demo's HTML report (the bundled capture of the reference cluster)
# with headless Chromium into doc/report.png, the picture in README.md.
cd "$(dirname "$0")/.." || exit 1
set -e
T=$(mktemp -d "${TMPDIR:-/tmp}/v4shot.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
./v4check all --replay fixtures/replay/reference-cluster -o html > "$T/demo.html" || [ $? -eq 2 ]
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$T/profile" --hide-scrollbars --window-size=1280,1180 \
	--screenshot="$T/report.png" "file://$T/demo.html" 2>/dev/null
cp "$T/report.png" doc/report.png
echo "doc/report.png: $(wc -c < doc/report.png) bytes"
