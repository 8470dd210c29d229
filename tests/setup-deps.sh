#!/bin/sh
# Installs what the test suite needs on Debian (as root), or says what is missing.
# Quiet and quick when everything is there.
PKGS="libssh2-1-dev libcurl4-openssl-dev libcjson-dev libpcre2-dev libyaml-dev zlib1g-dev pkg-config
      openssh-server openssh-client iproute2 procps psmisc findutils python3 time
      prometheus pdsh clustershell ansible ansible-lint python3-apt libyaml-dev valgrind clang libclang-rt-14-dev man-db
      python3-jsonschema python3-nagiosplugin libxml2-utils zsh chromium
      debhelper dpkg-dev lintian rpm rpmlint qemu-user prometheus-node-exporter systemd
      binutils file curl util-linux libmicrohttpd12"
# tests/pkg/: `make deb-arm64` itself adds dpkg's arm64 architecture and installs
# crossbuild-essential-arm64 and the arm64 -dev packages (the runtime libraries
# qemu-user runs the arm64 binary with).
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
# the real coredumpctl and systemd-journal-remote for the cluster tests,
# unpacked into build-coredump/, not installed (tests/coredump-tools.sh says why)
if [ -z "$missing" ]; then
	[ "$(id -u)" != 0 ] || "$(dirname "$0")/coredump-tools.sh" >/dev/null
	exit
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "setup-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "setup-deps: apt-get failed" >&2; exit 1; }
	"$(dirname "$0")/coredump-tools.sh" >/dev/null || exit 1
else
	echo "setup-deps: missing:$missing (sudo apt-get install$missing)" >&2
	exit 1
fi
