#!/bin/sh
# The live probe as installed, read by the real node_exporter: in a throwaway
# root (lib.sh) with loopback only, the amd64 .deb and Debian's
# prometheus-node-exporter package; the probe runs the installed unit's
# ExecStart= as systemd would start it (umask, state folder, the API key as a
# credential, systemd's PATH), on this machine's fake Ascend tools and a fake
# vLLM API; node_exporter, as its own user and with its package's default
# textfile folder, serves v4check's series on /metrics over HTTP. Then the
# cron line (cron's PATH, flock), and the shipped alert rules: an absent()
# style alert for a probe that stopped, passing `promtool test rules`. Root.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
. tests/pkg/lib.sh
pkg_require
NE=/usr/bin/prometheus-node-exporter
[ -x $NE ] || { echo "1..0 # SKIP prometheus-node-exporter is not installed (tests/setup-deps.sh)"; exit 0; }
command -v promtool >/dev/null || { echo "1..0 # SKIP promtool missing (tests/setup-deps.sh)"; exit 0; }
DEB=$(pkg_deb amd64) || { echo "Bail out! no amd64 package"; exit 1; }
pkg_enter "$0"
pkg_root_up || { echo "Bail out! throwaway root"; exit 1; }
O=$PKG_T/out; mkdir -p $O
trap 'rbg_stop' EXIT
cp "$DEB" $ROOT/tmp/v4check.deb
rrun $O/i apt-get install -y /tmp/v4check.deb prometheus-node-exporter; is $RC 0 "apt-get install ./v4check.deb prometheus-node-exporter"
[ $RC = 0 ] || tail -5 $O/i | sed 's/^/#   /'
U=$ROOT/lib/systemd/system/v4check.service

# --- the textfile folder: the unit's is node_exporter's default ---
unit_file=$(sed -n 's/^ExecStart=.*--textfile \([^ ]*\).*/\1/p' $U)
unit_dir=$(dirname "$unit_file")
ne_dir=$(inroot $NE --help 2>&1 | sed -n 's/.*--collector.textfile.directory="\([^"]*\)".*/\1/p')
echo "# the unit writes $unit_file; node_exporter reads $ne_dir by default"
is "$unit_dir" "$ne_dir" "the unit writes where Debian's node_exporter reads by default"
grep -v '^#' $ROOT/etc/default/prometheus-node-exporter | grep -q 'textfile.directory'
ok $((! $?)) "/etc/default/prometheus-node-exporter does not move it"
grep -q "^ReadWritePaths=$unit_dir\$" $U; ok $? "ReadWritePaths= is that folder"

# --- a node: the fake Ascend tools, a fake vLLM API, the API key ---
FS=/var/lib/v4fake
inroot sh $V4_REPO/fixtures/fake/v4fake init $FS --rank 0 --bond-ip 198.18.0.11 >/dev/null
rm -f $ROOT/usr/local/bin/docker # this machine's docker CLI: the fake one stands in
KEY="sk-v4-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$KEY" > $ROOT/etc/v4check/api.key && chmod 600 $ROOT/etc/v4check/api.key
rbg $O/vllm.port python3 $V4_REPO/tests/fakevllm.py 0 --key-file /etc/v4check/api.key
i=0
while ! grep -q '^PORT ' $O/vllm.port 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
VPORT=$(awk '/^PORT/ {print $2}' $O/vllm.port)
[ -n "$VPORT" ]; ok $? "fake vLLM API listens on 127.0.0.1:$VPORT"
# The packaged config, with this node's API and the fake tools' folder.
python3 - $ROOT/etc/v4check/v4check.conf "$VPORT" "$V4_REPO/fixtures/fake/bin" <<'EOF'
import json, sys
p, port, fake = sys.argv[1:]
c = json.load(open(p))
c["deployment"]["api_url"] = "http://127.0.0.1:%s" % port
c["tools"]["path"].append(fake)
json.dump(c, open(p, "w"), indent=2)
EOF
rrun $O/chk v4check config --check /etc/v4check/v4check.conf; is $RC 0 "the edited config is valid"

# --- the service, as systemd starts it ---
cmd=$(sed -n 's/^ExecStart=//p' $U)
umask_v=$(sed -n 's/^UMask=//p' $U)
cred=$(sed -n 's/^LoadCredential=\([^:]*\):\(.*\)/\1 \2/p' $U)
CD=/run/credentials/v4check.service
mkdir -p $ROOT$CD && cp $ROOT${cred#* } $ROOT$CD/${cred%% *} && chmod 400 $ROOT$CD/${cred%% *}
sd=$(sed -n 's/^StateDirectory=//p' $U); sdm=$(sed -n 's/^StateDirectoryMode=//p' $U)
install -d -m $sdm $ROOT/var/lib/$sd
chroot $ROOT env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	CREDENTIALS_DIRECTORY=$CD STATE_DIRECTORY=/var/lib/$sd V4_FAKE_STATE=$FS \
	sh -c "umask $umask_v; exec $cmd" > $O/svc.out 2> $O/svc.err
rc=$?
echo "# ExecStart=$cmd: exit $rc"
case $rc in 0 | 1 | 2 | 3) ok 0 "the service's run ends in a SuccessExitStatus ($rc)" ;; *) ok 1 "service exit $rc"; sed 's/^/#   /' $O/svc.err ;; esac
unlike $O/svc.err "$KEY" "the key is not in its output"
TF=$ROOT$unit_file
[ -s $TF ]; ok $? "the textfile is written"
is "$(stat -c %a $TF)" 644 "world-readable (0644) under UMask=$umask_v"
is "$(ls $ROOT$unit_dir | grep -c 'v4check.prom.')" 0 "no temporary file left beside it (written atomically)"
[ -f $ROOT/var/lib/$sd/state.json ]; ok $? "--state in the state folder"
like $TF '^v4check_check_status\{check="api",node="[^"]*"\} 0$' "the api check passed: the key came through LoadCredential="
like $TF '^v4check_check_status\{check="tls",node="[^"]*"\} 0$' "the tools were found (tls checked on the fake NPUs)"

# --- node_exporter, as its package runs it ---
rbg $O/ne.log runuser -u prometheus -- $NE $(sed -n 's/^ARGS="\(.*\)"/\1/p' $ROOT/etc/default/prometheus-node-exporter) \
	--web.listen-address=127.0.0.1:9100
i=0
until curl -fsS http://127.0.0.1:9100/metrics > $O/metrics 2>/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s $O/metrics ]; ok $? "node_exporter serves /metrics on 127.0.0.1:9100"
like $O/metrics '^node_textfile_scrape_error 0$' "its textfile collector read the folder without error"
like $O/metrics '^v4check_run_timestamp_seconds [0-9.e+]+$' "v4check's run timestamp is served"
like $O/metrics '^v4check_check_status\{check="tls",node="[^"]*"\} 0$' "v4check's per-check series are served"
like $O/metrics '^v4check_api_' "and the api check's gauges"
like $O/metrics "^node_textfile_mtime_seconds\{file=\"($unit_file|v4check.prom)\"\}" "node_exporter names the file"
unlike $O/metrics "$KEY" "no key in what node_exporter serves"

# --- the cron line: cron's PATH, no overlap ---
cron=$(sed -n 's/^[*0-9/,-]* [*0-9/,-]* [*0-9/,-]* [*0-9/,-]* [*0-9/,-]* root //p' $ROOT/usr/share/doc/v4check/examples/v4check.cron)
t0=$(sed -n 's/^v4check_run_timestamp_seconds //p' $TF)
sleep 1.1
chroot $ROOT env -i PATH=/usr/bin:/bin SHELL=/bin/sh V4_FAKE_STATE=$FS sh -c "$cron" > $O/cron.out 2>&1
rc=$?
case $rc in 0 | 1 | 2 | 3) ok 0 "the cron line runs with cron's PATH=/usr/bin:/bin ($rc)" ;; *) ok 1 "cron exit $rc"; sed 's/^/#   /' $O/cron.out ;; esac
t1=$(sed -n 's/^v4check_run_timestamp_seconds //p' $TF)
[ "$t1" != "$t0" ]; ok $? "it rewrote the textfile ($t0 -> $t1)"
like $TF '^v4check_check_status\{check="tls",node="[^"]*"\} 0$' "the Ascend tools found via tools.path, not PATH"
rbg $O/hold flock /run/v4check.lock sleep 30
sleep 0.3
chroot $ROOT env -i PATH=/usr/bin:/bin V4_FAKE_STATE=$FS sh -c "$cron" > $O/cron2.out 2>&1
is $? 1 "while a run holds the lock, the next one does not start (flock -n)"
is "$(sed -n 's/^v4check_run_timestamp_seconds //p' $TF)" "$t1" "and the textfile is left alone"
rbg_stop

# --- the shipped rules: an alert for a probe that stopped ---
RULES=$ROOT/usr/share/v4check/prometheus
grep -q 'expr: absent(v4check_run_timestamp_seconds)' $RULES/v4check.rules.yml
ok $? "the rules have an absent() alert on v4check_run_timestamp_seconds"
grep -q 'max_over_time(v4check_run_timestamp_seconds\[1d\]) unless v4check_run_timestamp_seconds' $RULES/v4check.rules.yml
ok $? "and one per instance whose series went away (V4checkGone)"
(cd $RULES && promtool check rules v4check.rules.yml) > $O/pc 2>&1; is $? 0 "promtool check rules"
(cd $RULES && promtool test rules v4check.rules.test.yml) > $O/pt 2>&1; is $? 0 "promtool test rules: the stopped-probe cases pass"
[ -s $O/pt ] && grep -q SUCCESS $O/pt || sed 's/^/#   /' $O/pt
grep -q 'alertname: V4checkGone' $RULES/v4check.rules.test.yml && grep -q 'alertname: V4checkAbsent' $RULES/v4check.rules.test.yml
ok $? "the rule tests have cases for both absence alerts"
done_testing
