# Helpers of the package tests (root): the packages (built when missing), a
# throwaway root (an overlay over this machine's / in a private mount
# namespace: dpkg and apt write only to its upper layer, which goes away
# with the test) and commands run inside it. Source after tests/cli/tap.sh.
V4_REPO=$(pwd)
PKG_VERSION=$(sed -n 's/^#define V4_VERSION "\(.*\)"/\1/p' lib/v4.h)
PKG_OUT=$V4_REPO/build-pkg

# pkg_require: root and the tools, else the whole file is skipped.
pkg_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP not root"
		exit 0
	fi
	for t in unshare chroot dpkg-deb mount; do
		command -v $t >/dev/null || { echo "1..0 # SKIP $t missing"; exit 0; }
	done
}

# pkg_deb ARCH: path of the built .deb for ARCH (amd64, arm64), made with
# `make deb` / `make deb-arm64` when missing; the log in build-pkg/.
pkg_deb() {
	f=$PKG_OUT/v4check_${PKG_VERSION}_$1.deb
	if [ ! -f "$f" ]; then
		t=deb; [ "$1" = arm64 ] && t=deb-arm64
		mkdir -p "$PKG_OUT"
		make $t > "$PKG_OUT/make-$t.log" 2>&1 || { echo "# make $t failed: see $PKG_OUT/make-$t.log"; return 1; }
	fi
	echo "$f"
}

# pkg_enter SCRIPT: re-runs the test inside private mount and network
# namespaces (loopback only), where PKG_INSIDE=1 and it returns. Outside it
# waits, then removes the throwaway root's folder: the mounts lived only in
# the namespace, so nothing is mounted there any more (checked first).
pkg_enter() {
	[ -n "$PKG_INSIDE" ] && return 0
	PKG_T=$(mktemp -d /tmp/v4pkg.XXXXXX) || exit 1
	PKG_INSIDE=1 PKG_T=$PKG_T unshare -m -n sh "$1"
	rc=$?
	if grep -q " $PKG_T" /proc/self/mounts; then
		echo "# $PKG_T still has mounts: left in place" >&2
	else
		rm -rf "$PKG_T"
	fi
	exit $rc
}

# pkg_root_up: mounts the overlay root ($ROOT) and the kernel file systems in
# it (inside the namespace only).
pkg_root_up() {
	mount --make-rprivate / || return 1
	ip link set lo up || return 1
	ROOT=$PKG_T/root
	mkdir -p $PKG_T/upper $PKG_T/work $ROOT
	mount -t overlay overlay -o lowerdir=/,upperdir=$PKG_T/upper,workdir=$PKG_T/work $ROOT || return 1
	mount -t proc proc $ROOT/proc && mount --rbind /dev $ROOT/dev && mount --rbind /sys $ROOT/sys &&
		mount -t tmpfs tmpfs $ROOT/run && mount -t tmpfs tmpfs $ROOT/tmp
}

# inroot CMD...: runs CMD in the throwaway root with a clean environment.
inroot() {
	chroot "$ROOT" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive NO_COLOR=1 "$@"
}

# rbg OUT CMD...: starts CMD in the throwaway root in the background, in its
# own process group, output in OUT; its id is added to PKG_BG (rbg_stop).
rbg() {
	_o=$1; shift
	setsid chroot "$ROOT" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 "$@" > "$_o" 2>&1 &
	PKG_BG="$PKG_BG $!"
}

# rbg_stop: ends every process group rbg started.
rbg_stop() {
	for _p in $PKG_BG; do kill -TERM -"$_p" 2>/dev/null; done
	PKG_BG=
}

# rrun OUT CMD...: inroot with stdout+stderr in OUT (a path outside); RC.
rrun() { _o=$1; shift; inroot "$@" > "$_o" 2>&1; RC=$?; }
