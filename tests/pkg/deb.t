#!/bin/sh
# The amd64 .deb in a throwaway root (an overlay over this machine, see
# lib.sh): dpkg -i, reinstall, apt-get install ./pkg.deb, an upgrade keeping
# an edited conffile, dpkg -r keeping it, dpkg --purge removing it and the
# probe's state; v4check reads /etc/v4check/v4check.conf by default; the
# installed units name the packaged paths and pass systemd-analyze. Root.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
. tests/pkg/lib.sh
pkg_require
DEB=$(pkg_deb amd64) || { echo "Bail out! no amd64 package"; exit 1; }
host_had_etc=$([ -e /etc/v4check ] && echo 1)
pkg_enter "$0"
pkg_root_up || { echo "Bail out! throwaway root"; exit 1; }
O=$PKG_T/out; mkdir -p $O
cp "$DEB" $ROOT/tmp/v4check.deb
# The same package one version up, for the upgrade.
dpkg-deb -R "$DEB" $PKG_T/up && sed -i "s/^Version: .*/Version: ${PKG_VERSION}+t1/" $PKG_T/up/DEBIAN/control &&
	dpkg-deb -b $PKG_T/up $ROOT/tmp/v4check-up.deb >/dev/null || { echo "Bail out! repack"; exit 1; }
status() { inroot dpkg-query -W -f '${db:Status-Abbrev}${Version}' v4check 2>/dev/null; }
CONF=$ROOT/etc/v4check/v4check.conf

# --- the package itself ---
dpkg-deb -x "$DEB" $PKG_T/x
n=$(objdump -T $PKG_T/x/usr/bin/v4check | grep -c '__[a-z]*_chk$')
[ "$n" -gt 0 ]; ok $? "dpkg-buildflags kept _FORTIFY_SOURCE ($n fortified calls: __*_chk)"
readelf -d $PKG_T/x/usr/bin/v4check | grep -q 'BIND_NOW' && readelf -h $PKG_T/x/usr/bin/v4check | grep -q 'DYN'
ok $? "and hardening=+all: PIE, BIND_NOW"
if command -v lintian >/dev/null; then
	lintian --tag-display-limit 0 "$DEB" > $PKG_T/lintian 2>&1
	grep -E '^[EW]: ' $PKG_T/lintian | sed 's/^/#   /'
	grep -qE '^[EW]: ' $PKG_T/lintian; ok $((! $?)) "lintian: no error or warning"
else
	skip "lintian missing"
fi

# --- dpkg -i ---
rrun $O/i dpkg -i /tmp/v4check.deb; is $RC 0 "dpkg -i installs"
is "$(status)" "ii $PKG_VERSION" "installed, version $PKG_VERSION"
for f in /usr/bin/v4check /etc/v4check/v4check.conf /lib/systemd/system/v4check.service \
	/lib/systemd/system/v4check.timer /usr/share/man/man1/v4check.1.gz /usr/share/man/man5/v4check.conf.5.gz \
	/usr/share/man/man7/v4check-monitoring.7.gz /usr/share/man/man7/v4check-checks.7.gz \
	/usr/share/doc/v4check/examples/v4check.cron /usr/share/v4check/prometheus/v4check.rules.yml; do
	[ -e "$ROOT$f" ]; ok $? "installed: $f"
done
inroot dpkg-query -W -f '${Conffiles}\n' v4check > $O/cf
like $O/cf '^ /etc/v4check/v4check.conf [0-9a-f]{32}' "/etc/v4check/v4check.conf is a conffile"
cmp -s $CONF packaging/v4check.conf; ok $? "the conffile is packaging/v4check.conf"
K=$ROOT/etc/v4check/api.key
[ -f $K ] && [ ! -s $K ] && [ "$(stat -c %a $K)" = 600 ]; ok $? "an empty API key file, mode 0600, for the unit's LoadCredential="
grep -q 'api.key' $O/cf; ok $((! $?)) "the key file is not a conffile (it is the admin's)"
is "$(stat -c %a $ROOT/var/lib/v4check)" 700 "the state folder is root's alone"
[ -d $ROOT/var/lib/prometheus/node-exporter ]; ok $? "the textfile folder exists"

# --- the default configuration ---
rrun $O/c v4check config
like $O/c 'configuration in force: /etc/v4check/v4check.conf \(the default place\)' "config: reads /etc/v4check/v4check.conf"
inroot sh -c 'v4check -v all 2>&1 >/dev/null' > $O/v
like $O/v 'configuration: /etc/v4check/v4check.conf \(the default place\)' "v4check -v all says so"
sed -i 's/"container": "vllm"/"container": "vllm-edited"/' $CONF
inroot v4check config 2>/dev/null > $O/c2
like $O/c2 'vllm-edited' "an edit of the file is what v4check uses"
printf '{"deployment": {"tls_expectd": 1}}\n' > $ROOT/tmp/bad.json
rrun $O/b env V4CHECK_CONFIG=/tmp/bad.json v4check all; is $RC 64 "V4CHECK_CONFIG overrides it (and a misspelt key stops the run)"
like $O/b '/tmp/bad.json: deployment.tls_expectd: unknown key' "the file and the key are named"

# --- the units name the packaged paths ---
U=$ROOT/lib/systemd/system/v4check.service
like $U '^ExecStart=/usr/bin/v4check all --phase live' "the service runs /usr/bin/v4check"
like $U '--textfile /var/lib/prometheus/node-exporter/v4check.prom' "the textfile goes to node_exporter's folder"
like $U '^LoadCredential=api.key:/etc/v4check/api.key' "the API key as a credential"
like $ROOT/lib/systemd/system/v4check.timer '^RandomizedDelaySec=' "the timer spreads the nodes"
like $ROOT/usr/share/doc/v4check/examples/v4check.cron 'root flock -n /run/v4check.lock /usr/bin/v4check all' "the cron line: packaged path, no overlap"
unlike $U '/usr/local' "nothing under /usr/local"
rrun $O/sa systemd-analyze verify --man=no /lib/systemd/system/v4check.service /lib/systemd/system/v4check.timer
is $RC 0 "systemd-analyze verify: the installed units are valid"
[ $RC = 0 ] || sed 's/^/#   /' $O/sa
inroot systemd-analyze security --offline=yes /lib/systemd/system/v4check.service > $O/sec 2>&1
score=$(sed -n 's/.*Overall exposure level for v4check.service: \([0-9.]*\).*/\1/p' $O/sec)
echo "# systemd-analyze security: exposure $score (the unit before hardening: 9.6)"
awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 5.0) }'; ok $? "hardened unit: exposure $score <= 5.0"

# --- reinstall, apt-get install ./pkg.deb ---
echo '{"findings": []}' > $ROOT/var/lib/v4check/state.json
rrun $O/r dpkg -i /tmp/v4check.deb; is $RC 0 "dpkg -i again (reinstall)"
like $CONF 'vllm-edited' "reinstall keeps the edited conffile"
echo sk-kept > $K
rrun $O/a apt-get install -y --reinstall /tmp/v4check.deb; is $RC 0 "apt-get install --reinstall ./v4check.deb"
[ $RC = 0 ] || sed 's/^/#   /' $O/a | tail -5

# --- upgrade ---
rrun $O/u apt-get install -y /tmp/v4check-up.deb; is $RC 0 "apt-get install of a newer version (upgrade)"
[ $RC = 0 ] || sed 's/^/#   /' $O/u | tail -5
is "$(status)" "ii ${PKG_VERSION}+t1" "upgraded"
like $CONF 'vllm-edited' "upgrade keeps the edited conffile"

# --- remove, purge ---
: > $ROOT/var/lib/prometheus/node-exporter/v4check.prom
rrun $O/rm dpkg -r v4check; is $RC 0 "dpkg -r"
[ ! -e $ROOT/usr/bin/v4check ]; ok $? "remove: the binary is gone"
is "$(status)" "rc ${PKG_VERSION}+t1" "remove: config-files state"
like $CONF 'vllm-edited' "remove keeps the conffile"
like $K sk-kept "upgrade and remove keep the API key"
rrun $O/p dpkg --purge v4check; is $RC 0 "dpkg --purge"
[ ! -e $CONF ] && [ ! -e $K ] && [ ! -e $ROOT/etc/v4check ]; ok $? "purge removes the conffile, the key file and /etc/v4check"
[ ! -e $ROOT/var/lib/v4check ]; ok $? "purge removes the probe's state"
[ ! -e $ROOT/var/lib/prometheus/node-exporter/v4check.prom ]; ok $? "purge removes the probe's textfile"
[ -d $ROOT/var/lib/prometheus/node-exporter ]; ok $? "purge leaves node_exporter's folder"
is "$(status)" "" "purged: dpkg knows no v4check"

# --- a fresh apt-get install ./pkg.deb ---
rrun $O/a2 apt-get install -y /tmp/v4check.deb; is $RC 0 "apt-get install ./v4check.deb after purge"
cmp -s $CONF packaging/v4check.conf; ok $? "the conffile is back as shipped"

# --- this machine was not touched ---
[ -e /etc/v4check ] && [ -z "$host_had_etc" ]; ok $((! $?)) "this machine's /etc has no v4check (the root was a throwaway)"
dpkg-query -W v4check >/dev/null 2>&1; ok $((! $?)) "this machine's dpkg knows no v4check"
done_testing
