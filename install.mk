# SPDX-License-Identifier: GPL-2.0
#
# make install, make uninstall (docs/install.md).  Included by the top
# Makefile after the userspace fragments, whose targets it installs.
#
# The module goes where kbuild's own modules_install puts an external
# module, /lib/modules/<release>/extra/, and depmod indexes it.  The release
# is the one the module was built for (its vermagic), so a module is never
# installed under another kernel.  DKMS, which rebuilds the module for every
# kernel, installs to updates/dkms/ instead (dkms.conf), which depmod
# prefers: both can be present and the DKMS one wins.
#
# DESTDIR stages everything under a directory, as a package build does; the
# depmod index is then written there (depmod -b), never in the host's tree.
# PREFIX moves the programs, the library, the headers, the pkg-config file,
# the unit and the manual; the .pc file and the unit are written for it.
# The configuration stays in /etc, where mempressured looks for it.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/mempressure
# systemd reads units from /usr/local/lib/systemd/system too.
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
MODPROBEDIR ?= $(SYSCONFDIR)/modprobe.d
# kmod's tools, in /sbin, which a user's PATH may lack.
DEPMOD ?= $(shell PATH="$$PATH:/sbin:/usr/sbin" command -v depmod || echo depmod)
MODINFO ?= $(shell PATH="$$PATH:/sbin:/usr/sbin" command -v modinfo || echo modinfo)
INSTALL ?= install

# The module to install (make module builds it here) and the kernel it is
# for; KERNELRELEASE may be given, and must then match the module.
KMOD ?= module/mempressure.ko
INSTALL_MOD_DIR ?= extra
KMOD_RELEASE = $(shell $(MODINFO) -F vermagic $(KMOD) 2>/dev/null | cut -d' ' -f1)
# Set, this writes $(MODPROBEDIR)/mempressure.conf: "options mempressure
# $(MODULE_OPTIONS)", which modprobe applies at every load.
MODULE_OPTIONS ?=
MODPROBE_CONF := $(DESTDIR)$(MODPROBEDIR)/mempressure.conf
# The first line of a modprobe.d file make install wrote: make uninstall
# removes only such a file.
MODPROBE_MARK := \# mempressure: written by make install (docs/install.md)

# What the DKMS source tree holds: the kbuild tree and dkms.conf.
DKMS_SRCDIR ?= $(DESTDIR)/usr/src/mempressure-$(VERSION)

MAN_PAGES := $(wildcard docs/man/*.[0-9] userspace/lib/man/*.[0-9])
DOC_FILES := README.md $(wildcard docs/*.md)
CLI_BIN := $(BUILD)/userspace/mempressure
# The unit names its paths: written for SBINDIR, SYSCONFDIR and DOCDIR.
UNIT_OUT := $(BUILD)/userspace/mempressured.service

# The install selftest: modprobe with modprobe.d, in the VM
# (scripts/mkinitramfs stages the module with install-module).
SELFTESTS += install

.PHONY: install uninstall install-module uninstall-module install-userspace \
	uninstall-userspace install-dkms-source uninstall-dkms-source

install: install-module install-userspace

uninstall: uninstall-module uninstall-userspace

# Run by a recipe: the release, checked against the module's vermagic.
define kmod_release
	@test -f "$(KMOD)" || { \
		echo "error: no module at $(KMOD): make module first" >&2; \
		echo "(or name one: make install KMOD=path/to/mempressure.ko)" >&2; \
		exit 1; }
	@test -n "$(KMOD_RELEASE)" || { \
		echo "error: $(KMOD) has no vermagic: not a module?" >&2; exit 1; }
	@test -z "$(KERNELRELEASE)" || test "$(KERNELRELEASE)" = "$(KMOD_RELEASE)" || { \
		echo "error: $(KMOD) is built for $(KMOD_RELEASE), not KERNELRELEASE=$(KERNELRELEASE)" >&2; \
		exit 1; }
endef

# Shell: index the modules of release $rel.  Under DESTDIR depmod -b, which
# warns that the kernel's own lists (modules.order, modules.builtin) are
# absent from a staged tree: they are, and need not be.  A staged tree left
# with no module loses its index too.
define depmod_rel
if [ -z "$(DESTDIR)" ]; then \
	echo "  DEPMOD  $$rel"; $(DEPMOD) -a $$rel; \
elif ls $(DESTDIR)/lib/modules/$$rel 2>/dev/null | grep -qv '^modules\.'; then \
	echo "  DEPMOD  $(DESTDIR) $$rel"; err=$$(mktemp); \
	$(DEPMOD) -b $(DESTDIR) $$rel 2>$$err; rc=$$?; \
	grep -v 'could not open modules\.' $$err >&2; \
	rm -f $$err; [ $$rc = 0 ]; \
else \
	rm -f $(DESTDIR)/lib/modules/$$rel/modules.*; \
	rmdir -p --ignore-fail-on-non-empty $(DESTDIR)/lib/modules/$$rel 2>/dev/null || true; \
fi
endef

install-module:
	$(kmod_release)
	$(INSTALL) -D -m 644 $(KMOD) \
		$(DESTDIR)/lib/modules/$(KMOD_RELEASE)/$(INSTALL_MOD_DIR)/mempressure.ko
	@rel=$(KMOD_RELEASE); $(depmod_rel)
	@if [ -z "$(MODULE_OPTIONS)" ]; then :; \
	elif [ -f $(MODPROBE_CONF) ] && \
	     [ "$$(head -n 1 $(MODPROBE_CONF))" != "$(MODPROBE_MARK)" ]; then \
		echo "keeping $(MODPROBE_CONF): not written by make install" >&2; \
	else \
		echo "  GEN     $(MODPROBE_CONF)"; \
		mkdir -p $(dir $(MODPROBE_CONF)) && \
		printf '%s\noptions mempressure %s\n' "$(MODPROBE_MARK)" \
			"$(MODULE_OPTIONS)" >$(MODPROBE_CONF); \
	fi

# From the kernel KERNELRELEASE names, else from every kernel it is in.
uninstall-module:
	@for dir in $(or $(KERNELRELEASE:%=$(DESTDIR)/lib/modules/%),$(wildcard $(DESTDIR)/lib/modules/*)); do \
		f=$$dir/$(INSTALL_MOD_DIR)/mempressure.ko; rel=$${dir##*/}; \
		[ -e $$f ] || continue; \
		echo "rm -f $$f"; rm -f $$f; \
		rmdir $$dir/$(INSTALL_MOD_DIR) 2>/dev/null; \
		$(depmod_rel) || exit 1; \
	done
	@if [ -f $(MODPROBE_CONF) ]; then \
		if [ "$$(head -n 1 $(MODPROBE_CONF))" = "$(MODPROBE_MARK)" ]; then \
			echo "rm -f $(MODPROBE_CONF)"; rm -f $(MODPROBE_CONF); \
		else \
			echo "keeping $(MODPROBE_CONF): not written by make install"; \
		fi; \
	fi

$(UNIT_OUT): userspace/daemon/mempressured.service FORCE
	@mkdir -p $(@D)
	@sed -e 's|/usr/sbin/mempressured|$(SBINDIR)/mempressured|g' \
	     -e 's|/etc/mempressure/|$(SYSCONFDIR)/mempressure/|g' \
	     -e 's|/usr/share/doc/mempressure/|$(DOCDIR)/|g' $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; echo "  GEN     $@"; fi

install-userspace: userspace $(UNIT_OUT)
	$(INSTALL) -D -m 755 $(BUILD)/userspace/mempressured $(DESTDIR)$(SBINDIR)/mempressured
	@if [ -f $(CLI_BIN) ]; then \
		echo "$(INSTALL) -D -m 755 $(CLI_BIN) $(DESTDIR)$(BINDIR)/mempressure"; \
		$(INSTALL) -D -m 755 $(CLI_BIN) $(DESTDIR)$(BINDIR)/mempressure; \
	fi
	$(INSTALL) -D -m 755 $(LIB_OUT)/$(LIB_SONAME) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmempressure.so
	$(INSTALL) -D -m 644 $(LIB_OUT)/libmempressure.a $(DESTDIR)$(LIBDIR)/libmempressure.a
	$(INSTALL) -D -m 644 $(LIB_OUT)/libmempressure.pc $(DESTDIR)$(PKGCONFIGDIR)/libmempressure.pc
	$(INSTALL) -D -m 644 $(LIB_HDR) $(DESTDIR)$(INCLUDEDIR)/mempressure/mempressure.h
	$(INSTALL) -D -m 644 include/uapi/linux/mempressure.h $(DESTDIR)$(INCLUDEDIR)/linux/mempressure.h
	$(INSTALL) -D -m 644 $(UNIT_OUT) $(DESTDIR)$(UNITDIR)/mempressured.service
	@# An existing configuration is the operator's: never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/mempressure/mempressured.conf ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/mempressure/mempressured.conf"; \
	else \
		echo "$(INSTALL) -D -m 644 userspace/daemon/mempressured.conf $(DESTDIR)$(SYSCONFDIR)/mempressure/mempressured.conf"; \
		$(INSTALL) -D -m 644 userspace/daemon/mempressured.conf \
			$(DESTDIR)$(SYSCONFDIR)/mempressure/mempressured.conf; \
	fi
	@for f in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${f##*.}; \
		echo "$(INSTALL) -D -m 644 $$f $$d/$${f##*/}"; \
		$(INSTALL) -D -m 644 $$f $$d/$${f##*/} || exit 1; \
	done
	$(INSTALL) -d $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 644 $(DOC_FILES) $(DESTDIR)$(DOCDIR)/
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall-userspace:
	rm -f $(DESTDIR)$(SBINDIR)/mempressured $(DESTDIR)$(BINDIR)/mempressure
	rm -f $(DESTDIR)$(LIBDIR)/$(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmempressure.so \
	      $(DESTDIR)$(LIBDIR)/libmempressure.a $(DESTDIR)$(PKGCONFIGDIR)/libmempressure.pc
	rm -f $(DESTDIR)$(INCLUDEDIR)/mempressure/mempressure.h \
	      $(DESTDIR)$(INCLUDEDIR)/linux/mempressure.h
	@rmdir $(DESTDIR)$(INCLUDEDIR)/mempressure 2>/dev/null || true
	rm -f $(DESTDIR)$(UNITDIR)/mempressured.service
	@# The configuration goes only if it is still the one installed.
	@c=$(DESTDIR)$(SYSCONFDIR)/mempressure/mempressured.conf; \
	if [ -f $$c ] && ! cmp -s $$c userspace/daemon/mempressured.conf; then \
		echo "keeping $$c: changed since it was installed"; \
	else \
		echo "rm -f $$c"; rm -f $$c; \
		rmdir $(DESTDIR)$(SYSCONFDIR)/mempressure 2>/dev/null || true; \
	fi
	@for f in $(MAN_PAGES); do \
		echo "rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/}"; \
		rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$${f##*/}; \
	done
	rm -rf $(DESTDIR)$(DOCDIR)
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

# The source tree dkms add takes: dkms add mempressure/$(VERSION).
install-dkms-source:
	@grep -qx 'PACKAGE_VERSION="$(VERSION)"' dkms.conf || { \
		echo "error: dkms.conf's PACKAGE_VERSION is not $(VERSION) (VERSION)" >&2; exit 1; }
	rm -rf $(DKMS_SRCDIR)
	mkdir -p $(DKMS_SRCDIR)
	tar --exclude='*.o' --exclude='*.ko' --exclude='.*' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude=compat_probes.h --exclude=modules.order \
		--exclude=Module.symvers \
		-cf - dkms.conf Kbuild VERSION module pure include | tar -C $(DKMS_SRCDIR) -xf -

uninstall-dkms-source:
	rm -rf $(DKMS_SRCDIR)
