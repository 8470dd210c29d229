#!/bin/sh
# make install / uninstall with DESTDIR and the GNU directory variables (the
# units get the install paths); CPPFLAGS, CFLAGS, LDFLAGS and PKG_CONFIG reach
# the compiler; a cross build never runs what it built. Needs the tree built
# (make all); no root.
cd "$(dirname "$0")/../.." || exit 1
. tests/cli/tap.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/v4inst.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
[ -x ./v4check ] || { echo "1..0 # SKIP not built (make all)"; exit 0; }
M="make --no-print-directory -s"

# --- Debian's layout ---
D=$T/deb
$M install DESTDIR=$D prefix=/usr > $T/o 2>&1; is $? 0 "make install DESTDIR=... prefix=/usr"
for f in usr/bin/v4check usr/share/man/man1/v4check.1 usr/share/man/man5/v4check.conf.5 \
	usr/share/man/man7/v4check-checks.7 usr/share/man/man7/v4check-monitoring.7 \
	lib/systemd/system/v4check.service lib/systemd/system/v4check.timer etc/v4check/v4check.conf \
	usr/share/doc/v4check/examples/v4check.cron usr/share/doc/v4check/examples/cluster.json \
	usr/share/v4check/prometheus/v4check.rules.yml usr/share/v4check/prometheus/v4check.rules.test.yml; do
	[ -f "$D/$f" ]; ok $? "installed /$f"
done
[ -d $D/var/lib/prometheus/node-exporter ] && [ "$(stat -c %a $D/var/lib/v4check)" = 700 ]
ok $? "the textfile folder, and the state folder (0700)"
like $D/lib/systemd/system/v4check.service '^ExecStart=/usr/bin/v4check all ' "the unit runs the installed binary"
like $D/lib/systemd/system/v4check.service '^LoadCredential=api.key:/etc/v4check/api.key$' "the key from sysconfdir"
unlike $D/lib/systemd/system/v4check.service '@[a-z]+@' "every @placeholder@ filled"
like $D/usr/share/doc/v4check/examples/v4check.cron ' /usr/bin/v4check all ' "the cron line too"
[ "$(stat -c %a $D/usr/bin/v4check)" = 755 ] && [ "$(stat -c %a $D/etc/v4check/v4check.conf)" = 644 ] &&
	[ "$(stat -c %a $D/etc/v4check/api.key)" = 600 ] && [ ! -s $D/etc/v4check/api.key ]
ok $? "modes: binary 755, config 644, an empty API key file 600"

# --- the config is not overwritten; uninstall removes what install put ---
echo '{"deployment": {"container": "mine"}}' > $D/etc/v4check/v4check.conf
$M install DESTDIR=$D prefix=/usr > $T/o 2>&1
like $D/etc/v4check/v4check.conf mine "install again keeps an edited config"
$M uninstall DESTDIR=$D prefix=/usr > $T/o 2>&1; is $? 0 "make uninstall"
is "$(find $D -type f | sed "s|^$D||" | sort | tr '\n' ' ')" "/etc/v4check/v4check.conf " \
	"uninstall leaves only the edited config"
$M install DESTDIR=$D prefix=/usr > $T/o 2>&1; rm $D/etc/v4check/v4check.conf
$M install DESTDIR=$D prefix=/usr > $T/o 2>&1; $M uninstall DESTDIR=$D prefix=/usr > $T/o 2>&1
is "$(find $D -type f | wc -l)" 0 "an unchanged config goes with uninstall"

# --- GNU defaults and overrides ---
G=$T/gnu
$M install DESTDIR=$G > $T/o 2>&1
[ -x $G/usr/local/bin/v4check ] && [ -f $G/usr/local/lib/systemd/system/v4check.service ] &&
	[ -f $G/usr/local/share/man/man1/v4check.1 ] && [ -f $G/etc/v4check/v4check.conf ]
ok $? "default prefix /usr/local (units in /usr/local/lib/systemd/system), config in /etc"
like $G/usr/local/lib/systemd/system/v4check.service '^ExecStart=/usr/local/bin/v4check ' "the unit follows the prefix"
O=$T/over
$M install DESTDIR=$O prefix=/opt/v4 bindir=/opt/v4/sbin mandir=/opt/man sysconfdir=/opt/etc \
	systemdunitdir=/opt/units textfiledir=/srv/tf > $T/o 2>&1
[ -x $O/opt/v4/sbin/v4check ] && [ -f $O/opt/man/man5/v4check.conf.5 ] && [ -f $O/opt/etc/v4check/v4check.conf ] &&
	[ -f $O/opt/units/v4check.timer ] && [ -d $O/srv/tf ]
ok $? "bindir, mandir, sysconfdir, systemdunitdir, textfiledir as given"
like $O/opt/units/v4check.service '^ExecStart=/opt/v4/sbin/v4check .*--textfile /srv/tf/v4check.prom' "and in the unit"
like $O/opt/units/v4check.service '^ReadWritePaths=/srv/tf$' "ReadWritePaths= follows textfiledir"

# --- flags reach the compiler (make -n: nothing is built) ---
$M -n -B build/lib/core.o CPPFLAGS=-DV4_T_CPP CFLAGS='-O1 -DV4_T_CFLAGS' > $T/n 2>&1
like $T/n ' -DV4_T_CPP .*-DV4_T_CFLAGS' "CPPFLAGS and CFLAGS on the compile line"
like $T/n "-DV4_SYSCONFDIR='\"/etc\"'" "the config's folder is compiled in (sysconfdir)"
$M -n -B v4check LDFLAGS=-Wl,-z,v4tflag > $T/n 2>&1
grep -- '-o v4check ' $T/n | grep -q -- '-Wl,-z,v4tflag'; ok $? "LDFLAGS on the link line"
printf '#!/bin/sh\necho -DV4_T_PKGCONFIG\n' > $T/pc; chmod +x $T/pc
$M -n -B build/lib/core.o PKG_CONFIG=$T/pc > $T/n 2>&1
like $T/n '-DV4_T_PKGCONFIG' "PKG_CONFIG is the pkg-config used"
if command -v aarch64-linux-gnu-gcc >/dev/null; then
	touch v4check
	$M -n all CC=aarch64-linux-gnu-gcc PKG_CONFIG=$T/pc > $T/n 2>&1
	unlike $T/n 'list --man' "a cross build (CC for aarch64) does not run the binary to make the man page"
	$M -n all > $T/n 2>&1
	like $T/n 'list --man' "a native one does"
	$M -n -B build/libv4.a CC=aarch64-linux-gnu-gcc PKG_CONFIG=$T/pc > $T/n 2>&1
	like $T/n '^aarch64-linux-gnu-ar ' "the cross archiver"
else
	skip "no aarch64-linux-gnu-gcc (make deb-arm64 installs it)"
fi
done_testing
