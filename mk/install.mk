# Installation directories (GNU names; Debian passes prefix=/usr), cross
# builds, `make install` / `make uninstall` with DESTDIR. Included by the
# Makefile after the compiler flags.
.DEFAULT_GOAL := all

prefix         ?= $(if $(PREFIX),$(PREFIX),/usr/local)
exec_prefix    ?= $(prefix)
bindir         ?= $(if $(BINDIR),$(BINDIR),$(exec_prefix)/bin)
datarootdir    ?= $(prefix)/share
datadir        ?= $(datarootdir)
mandir         ?= $(if $(MANDIR),$(MANDIR),$(datarootdir)/man)
docdir         ?= $(datarootdir)/doc/v4check
bashcompdir    ?= $(datarootdir)/bash-completion/completions
zshcompdir     ?= $(datarootdir)/zsh/vendor-completions
# /etc whatever the prefix (GNU would say $(prefix)/etc): the binary, the
# units, the cron line and every doc name /etc/v4check/v4check.conf.
sysconfdir     ?= /etc
localstatedir  ?= /var
# Debian 12 keeps packaged units in /lib/systemd/system; systemd also reads
# /usr/local/lib/systemd/system. RPM builds pass %{_unitdir}.
systemdunitdir ?= $(if $(filter /usr,$(prefix)),/lib/systemd/system,$(prefix)/lib/systemd/system)
# Where Debian's prometheus-node-exporter reads textfiles by default
# (--collector.textfile.directory).
textfiledir    ?= $(localstatedir)/lib/prometheus/node-exporter
INSTALL        ?= install

V4_CFLAGS += -DV4_SYSCONFDIR='"$(sysconfdir)"'

# A cross build (CC makes code for another machine than BUILD_CC): the build
# never runs what it built, and the archiver is the target's.
BUILD_CC ?= cc
V4_HOST  := $(shell $(CC) -dumpmachine 2>/dev/null)
V4_BUILD := $(shell $(BUILD_CC) -dumpmachine 2>/dev/null)
V4_CROSS := $(if $(filter-out $(V4_BUILD),$(V4_HOST)),1)
ifneq ($(V4_CROSS),)
ifeq ($(origin AR),default)
AR := $(V4_HOST)-ar
endif
endif

# Text files with the install paths filled in (units, cron line); remade on
# every install, since the paths come from the command line.
SUBST = sed -e 's|@bindir@|$(bindir)|g' -e 's|@sysconfdir@|$(sysconfdir)|g' \
            -e 's|@localstatedir@|$(localstatedir)|g' -e 's|@textfiledir@|$(textfiledir)|g'
GEN   = $(B)/gen/v4check.service $(B)/gen/v4check.cron

$(B)/gen/v4check.service: contrib/systemd/v4check.service.in gen-always
	@mkdir -p $(dir $@)
	$(SUBST) $< > $@
$(B)/gen/v4check.cron: contrib/cron/v4check.in gen-always
	@mkdir -p $(dir $@)
	$(SUBST) $< > $@

MAN1 = man/v4check.1
MAN5 = man/v4check.conf.5
MAN7 = $(wildcard man/*.7)
D    = $(DESTDIR)

# Installs only; `all` builds. The config is not overwritten when present; an
# empty API key file (mode 0600) is made when missing, for the unit's
# LoadCredential= (the packages make it in their scripts: NO_KEY_FILE=1).
install: all $(GEN)
	$(INSTALL) -d $(D)$(bindir) $(D)$(mandir)/man1 $(D)$(mandir)/man5 $(D)$(mandir)/man7 \
	  $(D)$(systemdunitdir) $(D)$(sysconfdir)/v4check $(D)$(docdir)/examples \
	  $(D)$(datadir)/v4check/prometheus $(D)$(textfiledir)
	$(INSTALL) -d -m 700 $(D)$(localstatedir)/lib/v4check
	$(INSTALL) -m 755 $(BIN) $(D)$(bindir)/v4check
	$(INSTALL) -m 644 $(MAN1) $(D)$(mandir)/man1/
	$(INSTALL) -m 644 $(MAN5) $(D)$(mandir)/man5/
	$(INSTALL) -m 644 $(MAN7) $(D)$(mandir)/man7/
	$(INSTALL) -m 644 $(B)/gen/v4check.service $(D)$(systemdunitdir)/v4check.service
	$(INSTALL) -m 644 contrib/systemd/v4check.timer $(D)$(systemdunitdir)/v4check.timer
	[ -e $(D)$(sysconfdir)/v4check/v4check.conf ] || \
	  $(INSTALL) -m 644 packaging/v4check.conf $(D)$(sysconfdir)/v4check/v4check.conf
	[ -n "$(NO_KEY_FILE)" ] || [ -e $(D)$(sysconfdir)/v4check/api.key ] || \
	  $(INSTALL) -m 600 /dev/null $(D)$(sysconfdir)/v4check/api.key
	$(INSTALL) -m 644 $(B)/gen/v4check.cron $(D)$(docdir)/examples/v4check.cron
	$(INSTALL) -m 644 examples/cluster.json $(D)$(docdir)/examples/cluster.json
	$(INSTALL) -m 644 contrib/prometheus/v4check.rules.yml contrib/prometheus/v4check.rules.test.yml \
	  $(D)$(datadir)/v4check/prometheus/
	$(INSTALL) -d $(D)$(bashcompdir) $(D)$(zshcompdir)
	$(INSTALL) -m 644 contrib/completion/v4check.bash $(D)$(bashcompdir)/v4check
	$(INSTALL) -m 644 contrib/completion/_v4check $(D)$(zshcompdir)/_v4check

# Removes what install put there; the config only when unchanged, the key
# file only when empty.
uninstall:
	rm -f $(D)$(bindir)/v4check $(D)$(mandir)/man1/v4check.1 $(D)$(mandir)/man5/v4check.conf.5 \
	  $(MAN7:man/%=$(D)$(mandir)/man7/%) $(D)$(systemdunitdir)/v4check.service \
	  $(D)$(systemdunitdir)/v4check.timer $(D)$(docdir)/examples/v4check.cron \
	  $(D)$(docdir)/examples/cluster.json $(D)$(datadir)/v4check/prometheus/v4check.rules.yml \
	  $(D)$(datadir)/v4check/prometheus/v4check.rules.test.yml \
	  $(D)$(bashcompdir)/v4check $(D)$(zshcompdir)/_v4check
	! cmp -s packaging/v4check.conf $(D)$(sysconfdir)/v4check/v4check.conf || \
	  rm -f $(D)$(sysconfdir)/v4check/v4check.conf
	[ -s $(D)$(sysconfdir)/v4check/api.key ] || rm -f $(D)$(sysconfdir)/v4check/api.key
	-rmdir $(D)$(localstatedir)/lib/v4check $(D)$(docdir)/examples $(D)$(docdir) $(D)$(datadir)/v4check/prometheus \
	  $(D)$(datadir)/v4check $(D)$(sysconfdir)/v4check 2>/dev/null

.PHONY: install uninstall gen-always
