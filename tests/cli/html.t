#!/bin/sh
# The HTML report: structure and escaping of the page v4check writes, and the
# demo's page rendered by a real browser (Debian's chromium, headless): the
# map's cells as the rendered DOM has them, and no error in the console.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4html.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export NO_COLOR=1
DEMO=fixtures/replay/reference-cluster

# cells FILE: one line per map cell, "node npu state tls hbm_used link health changed".
cells() {
	python3 - "$1" <<'PY'
import sys, html.parser
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-npu" in a:
            print(a["data-node"], a["data-npu"], a["data-state"], a["data-tls"],
                  a.get("data-hbm-used-mb", "-"), a["data-link"], a["data-health"], a["data-changed"])
P().feed(open(sys.argv[1], encoding="utf-8").read())
PY
}

# --- the page as written ---
run $T/demo.html "$V4CHECK" all --replay $DEMO -o html; is $RC 2 "-o html: the demo's exit status (2)"
like $T/demo.html '^<!DOCTYPE html>' "a page with a doctype"
cells $T/demo.html > $T/cells
is "$(wc -l < $T/cells)" 32 "one cell per NPU: 4 nodes x 8"
is "$(grep -c '^node3 [0-7] FAIL on ' $T/cells)" 8 "node3's eight NPUs: TLS on, FAIL"
like $T/cells '^node2 3 FAIL off 40960 UP OK 0$' "node2 NPU 3: FAIL, 40960 MB held"
is "$(grep -c ' PASS off [0-9]* UP OK 0$' $T/cells)" 23 "every other NPU: PASS, TLS off, link UP, health OK"
is "$(grep -c '^node2 [0-9] PASS off 3[0-9][0-9][0-9] ' $T/cells)" 7 "node2's other NPUs show their idle HBM"
like $T/demo.html 'data-node="cluster".*TLS_INCONSISTENT' "the cluster row holds the cross-node finding"
like $T/demo.html '<tr class="s-warn" data-node="node1".*PREFIX_CACHE_ON' "node-level findings beside the row"
is "$(grep -c '<details class="check ' $T/demo.html)" "$("$V4CHECK" list | awk '$3 != "deep"' | wc -l)" \
	"one folded section per check of the standard tier (the demo's)"
like $T/demo.html 'id="check-tls" data-check="tls" data-state="FAIL" open>' "a failing check is open"
like $T/demo.html 'id="check-npu" data-check="npu" data-state="PASS">' "a passing check is folded"
like $T/demo.html '<b class="nodes">node\[1-2,4\]</b>: TLS disabled on all 8 NPUs' "results folded across nodes as in text"
like $T/demo.html '<summary>what this check means</summary><pre>Symptom: creating the MC2' "each check carries its explanation"
like $T/demo.html '&quot;switch&quot;:	1' "evidence is shown, escaped"
like $T/demo.html '@media print' "a print style"
like $T/demo.html '\.mapwrap\{overflow:auto;max-height' "the map scrolls on its own"
unlike $T/demo.html '(src|href)=|url\(|@import|<link' "self-contained: no src, href, url() or @import"

# --html FILE beside another format
run $T/o.json "$V4CHECK" all --replay $DEMO -o json --html $T/side.html; is $RC 2 "-o json --html FILE: exit 2"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' $T/o.json; ok $? "stdout is still the JSON report"
cmp -s $T/side.html $T/demo.html; ok $? "the --html file is the -o html page"
run $T/o "$V4CHECK" all --replay $DEMO -q --html /nonexistent/dir/x.html; is $RC 2 "an unwritable --html: the run's status stays"
like $T/o 'html /nonexistent/dir/x.html: No such file' "and says why"

# --- 1,000 nodes: a capture whose nodes are the demo's four, over and over ---
mkdir -p $T/big
i=1
while [ $i -le 1000 ]; do
	ln -s "$PWD/$DEMO/node$(( (i - 1) % 4 + 1 ))" "$T/big/n$(printf %04d $i)"
	i=$((i + 1))
done
python3 -c 'import json; print(json.dumps({"schema": 1, "nodes": [{"name": "n%04d" % i, "host": "n%04d" % i, "rank": (i - 1) % 4} for i in range(1, 1001)]}))' > $T/big/manifest.json
run $T/big.html "$V4CHECK" all --replay $T/big -o html; is $RC 2 "1,000 nodes: the page is written"
echo "# 1,000-node page: $(wc -c < $T/big.html) bytes"
cells $T/big.html > $T/big.cells
is "$(wc -l < $T/big.cells)" 8000 "1,000 nodes: 8,000 cells"
is "$(grep -c '^n[0-9]* [0-7] FAIL on ' $T/big.cells)" 2000 "the 250 TLS outliers' NPUs"
is "$(grep -o '<tr class="[^"]*" data-node="n[0-9]*"' $T/big.html | wc -l)" 1000 "one row per node"
is "$(grep -o '<td class="others"><details><summary>' $T/big.html | wc -l)" 1001 "each row's findings (and the cluster's) folded behind a tally"
is "$(grep -o '<details class="check [^>]* open>' $T/big.html | grep -vc 'data-state="FAIL"')" 0 "only failing checks are open"
is "$(grep -o '<details class="evidence" open' $T/big.html | wc -l)" 0 "no evidence is unfolded"

# --- escaping: a hostile node name and hostile tool output, on this machine ---
FAKE=$PWD/fixtures/fake
export V4_FAKE_STATE=$T/node PATH="$FAKE/bin:$PATH"
sh $FAKE/v4fake init $T/node --rank 0 --bond-ip 198.18.0.11 >/dev/null
sh $FAKE/v4fake fault $T/node npu-health 2 '<svg/onload=document.title="PWNED">' >/dev/null
EVIL='<img src=x onerror="document.title=&#39;PWNED&#39;">&amp;"'"'"'n1'
python3 -c 'import json,sys; print(json.dumps({"nodes": [{"name": sys.argv[1], "host": "localhost", "rank": 0}]}))' "$EVIL" > $T/evil.json
chmod 600 $T/evil.json
run $T/evil.html "$V4CHECK" -c $T/evil.json --local --node "$EVIL" tls npu -o html; is $RC 2 "hostile node: the unhealthy NPU fails"
unlike $T/evil.html '<img|<svg' "no tag from the node name or the tool's output survives"
like $T/evil.html '&lt;img src=x onerror=&quot;document.title=&amp;#39;PWNED&amp;#39;&quot;&gt;&amp;amp;&quot;&#39;n1' "the node name is shown escaped"
like $T/evil.html 'data-health="&lt;svg/onload=doc"' "the tool's health text (as parsed: 15 characters) is escaped in attributes"
like $T/evil.html '&quot;Health Status&quot;:	&quot;&lt;svg/onload=document.title=\\&quot;PWNED\\&quot;&gt;&quot;' "and in the evidence"

# --- a real browser ---
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
	ok 1 "chromium is installed (tests/setup-deps.sh installs it)"
	done_testing
	exit
fi
# browse URL OUT: the rendered DOM in OUT, the browser's log in OUT.log.
browse() {
	_u=$(mktemp -d "$T/chromium.XXXXXX")
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$_u" --enable-logging=stderr --v=0 --dump-dom "$1" > "$2" 2> "$2.log"
}
# console_errors LOG: the page's console messages and uncaught errors.
console_errors() {
	grep -E 'CONSOLE|Uncaught' "$1"
}
printf '<!DOCTYPE html><html><body><script>window.noSuchFunction();</script></body></html>\n' > $T/broken.html
browse "file://$T/broken.html" $T/broken.dom
console_errors $T/broken.dom.log > /dev/null; ok $? "control: a page error shows in the browser's log"

browse "file://$T/demo.html" $T/demo.dom; ok $? "chromium renders the demo's page"
is "$(console_errors $T/demo.dom.log)" "" "no error in the console"
cells $T/demo.dom > $T/dom-cells
is "$(wc -l < $T/dom-cells)" 32 "rendered DOM: 32 NPU cells"
is "$(grep -c '^node3 [0-7] FAIL on ' $T/dom-cells)" 8 "rendered DOM: node3's eight NPUs shown with TLS on"
like $T/dom-cells '^node2 3 FAIL off 40960 ' "rendered DOM: node2's NPU 3 shown holding memory"
is "$(grep -o '<div class="tls-on">TLS on</div>' $T/demo.dom | wc -l)" 8 "rendered DOM: the words 'TLS on' in eight cells"
like $T/demo.dom '<div>40.0/64 GB</div>' "rendered DOM: node2 NPU 3 reads 40.0/64 GB"

browse "file://$T/big.html" $T/big.dom; ok $? "chromium renders the 1,000-node page"
is "$(cells $T/big.dom | wc -l)" 8000 "rendered DOM: 8,000 cells"
is "$(console_errors $T/big.dom.log)" "" "1,000 nodes: no error in the console"
_u=$(mktemp -d "$T/chromium.XXXXXX")
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync --user-data-dir="$_u" \
	--enable-logging=stderr --v=0 --no-pdf-header-footer --print-to-pdf=$T/demo.pdf "file://$T/demo.html" 2> $T/pdf.log
is "$(head -c 5 $T/demo.pdf 2>/dev/null)" "%PDF-" "the demo's page prints (print style, the print helper script)"
is "$(console_errors $T/pdf.log)" "" "printing: no error in the console"

browse "file://$T/evil.html" $T/evil.dom
like $T/evil.dom '<title>v4check: FAIL, 1 node</title>' "hostile page: no script changed the title"
unlike $T/evil.dom 'PWNED</title>|<img|<svg' "hostile page: no element was injected"
is "$(console_errors $T/evil.dom.log)" "" "hostile page: no error in the console"
done_testing
