# Packages: `make deb` (this machine's architecture), `make deb-arm64`
# (Debian's cross toolchain and arm64 -dev packages, installed here when
# missing), `make rpm` (packaging/rpm/v4check.spec with Debian's rpm tools,
# then rpmlint). Everything lands in $(PKGOUT).
V4_VERSION := $(shell sed -n 's/^\#define V4_VERSION "\(.*\)"/\1/p' lib/v4.h)
# Outside $(B): the Makefile includes every *.d file under $(B).
PKGOUT      = build-pkg
DEB_TOOLS   = debhelper dpkg-dev
RPM_TOOLS   = rpm rpmlint
ARM64_DEV   = crossbuild-essential-arm64 libssh2-1-dev:arm64 libcurl4-openssl-dev:arm64 \
              libcjson-dev:arm64 libpcre2-dev:arm64 libyaml-dev:arm64 zlib1g-dev:arm64 pkg-config:arm64
APT_GET     = DEBIAN_FRONTEND=noninteractive apt-get -y -qq -o DPkg::Lock::Timeout=600 \
              --no-install-recommends

# pkg-install PKGS: installs the Debian packages that are missing (as root).
pkg-install = missing=; for p in $(1); do dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | \
  grep -q 'ok installed' || missing="$$missing $$p"; done; [ -z "$$missing" ] || { \
  [ "$$(id -u)" = 0 ] || { echo "missing:$$missing (run as root)" >&2; exit 1; }; \
  echo "installing:$$missing"; apt-get update -qq && $(APT_GET) install $$missing >/dev/null; }

# The source tree without build output or git, where dpkg-buildpackage may
# write (it puts its packages beside the tree).
# src-tree DIR: copies the tree to DIR/v4check-VERSION.
src-tree = rm -rf $(1) && mkdir -p $(1)/v4check-$(V4_VERSION) && \
  tar -c --exclude=./.git --exclude='./build*' --exclude=./v4check . | tar -x -C $(1)/v4check-$(V4_VERSION)

deb:
	$(call src-tree,$(PKGOUT)/src-native)
	@$(call pkg-install,$(DEB_TOOLS) libssh2-1-dev libcurl4-openssl-dev libcjson-dev libpcre2-dev pkg-config)
	cd $(PKGOUT)/src-native/v4check-$(V4_VERSION) && dpkg-buildpackage -b -us -uc
	cp $(PKGOUT)/src-native/*.deb $(PKGOUT)/
	@ls $(PKGOUT)/*.deb

# dpkg --add-architecture arm64 once, then the arm64 -dev packages beside
# the amd64 ones (multiarch); the build runs nothing it built (V4_CROSS).
deb-arm64:
	$(call src-tree,$(PKGOUT)/src-arm64)
	@dpkg --print-foreign-architectures | grep -qx arm64 || { \
	  [ "$$(id -u)" = 0 ] || { echo "dpkg has no arm64 architecture (run as root)" >&2; exit 1; }; \
	  echo "dpkg --add-architecture arm64"; dpkg --add-architecture arm64 && apt-get update -qq; }
	@$(call pkg-install,$(DEB_TOOLS) $(ARM64_DEV))
	cd $(PKGOUT)/src-arm64/v4check-$(V4_VERSION) && \
	  DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -a arm64 -b -us -uc
	cp $(PKGOUT)/src-arm64/*.deb $(PKGOUT)/
	@ls $(PKGOUT)/*arm64.deb

debs: deb deb-arm64

# The source tarball the spec builds from.
# Debian's rpmbuild has no RPM database of the build dependencies (--nodeps),
# and its brp-compress needs bash.
rpm:
	$(call src-tree,$(PKGOUT)/src-rpm)
	mkdir -p $(PKGOUT)/rpm/SOURCES
	tar -C $(PKGOUT)/src-rpm -czf $(PKGOUT)/rpm/SOURCES/v4check-$(V4_VERSION).tar.gz v4check-$(V4_VERSION)
	@$(call pkg-install,$(RPM_TOOLS))
	rpmbuild -ba --nodeps --define '_topdir $(abspath $(PKGOUT)/rpm)' \
	  --define '__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}' packaging/rpm/v4check.spec
	cp $(PKGOUT)/rpm/RPMS/*/v4check-$(V4_VERSION)-*.rpm $(PKGOUT)/
	rpmlint -r packaging/rpm/v4check.rpmlintrc packaging/rpm/v4check.spec \
	  $(PKGOUT)/rpm/RPMS/*/v4check-$(V4_VERSION)-*.rpm

packages: deb deb-arm64 rpm

pkg-clean:
	rm -rf $(PKGOUT)

.PHONY: deb deb-arm64 debs rpm packages pkg-clean
