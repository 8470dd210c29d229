#!/bin/sh
# Unpacks the real coredumpctl and systemd-journal-remote (Debian packages
# systemd-coredump and systemd-journal-remote) into build-coredump/ for the
# cluster tests, without installing them: installing systemd-coredump runs
# systemd-sysctl in its postinst, which sets this machine's kernel.core_pattern
# (global, not namespaced). dpkg-deb -x runs no maintainer script. Their
# libraries come from the installed `systemd` (libsystemd-shared) and
# libmicrohttpd12 (tests/setup-deps.sh installs both). Quiet when done already;
# prints the folder's bin path (build-coredump/usr/bin) on success.
set -u
R=$(cd "$(dirname "$0")/.." && pwd)
D=$R/build-coredump
if [ -x "$D/usr/bin/coredumpctl" ] && [ -x "$D/lib/systemd/systemd-journal-remote" ]; then
	echo "$D/usr/bin"
	exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
	{ echo "coredump-tools: needs apt-get and dpkg-deb (Debian)" >&2; exit 1; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
v=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null)
( cd "$T" && chmod 777 . &&
	{ apt-get download -qq "systemd-coredump=$v" "systemd-journal-remote=$v" 2>/dev/null ||
	  apt-get download -qq systemd-coredump systemd-journal-remote; } ) >/dev/null 2>&1 ||
	{ echo "coredump-tools: apt-get download systemd-coredump systemd-journal-remote failed" >&2; exit 1; }
mkdir -p "$T/x" && for f in "$T"/*.deb; do dpkg-deb -x "$f" "$T/x" || exit 1; done
rm -rf "$D" && mkdir -p "$D" && cp -a "$T/x/." "$D/" || exit 1
"$D/usr/bin/coredumpctl" --version >/dev/null 2>&1 ||
	{ echo "coredump-tools: the unpacked coredumpctl does not run (libsystemd-shared of the package systemd?)" >&2; exit 1; }
echo "$D/usr/bin"
