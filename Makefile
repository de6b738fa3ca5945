# Install ipvsadm, its save/restore commands, man pages, shell completions
# and boot integration. Build first with "cargo build --release" (or "make build").
# SPDX-License-Identifier: MIT OR Apache-2.0
#
#   make install [DESTDIR=/tmp/stage] [PREFIX=/usr] [SYSCONFDIR=/etc] ...
#   make uninstall (same variables)
#   make check     (tests/ship/check.sh)
#
# See INSTALL.md for every variable.

PREFIX         ?= /usr/local
EXEC_PREFIX    ?= $(PREFIX)
SBINDIR        ?= $(EXEC_PREFIX)/sbin
LIBEXECDIR     ?= $(EXEC_PREFIX)/libexec
DATAROOTDIR    ?= $(PREFIX)/share
MANDIR         ?= $(DATAROOTDIR)/man
DOCDIR         ?= $(DATAROOTDIR)/doc/ipvsadm
BASHCOMPDIR    ?= $(DATAROOTDIR)/bash-completion/completions
ZSHCOMPDIR     ?= $(DATAROOTDIR)/zsh/site-functions
FISHCOMPDIR    ?= $(DATAROOTDIR)/fish/vendor_completions.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR    ?= $(PREFIX)/lib/sysusers.d
# The Prometheus rules (alerts, node_exporter's names), for Prometheus's rule_files.
PROMRULESDIR   ?= $(DATAROOTDIR)/ipvsadm/prometheus
# The Grafana dashboard (JSON, to import or provision).
GRAFANADIR     ?= $(DATAROOTDIR)/ipvsadm/grafana
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
SYSCONFDIR     ?= /etc
INITDIR        ?= $(SYSCONFDIR)/init.d
# Where the built binaries are taken from: cargo builds for the host's target tuple
# (.cargo/config.toml), so they are in target/<tuple>/release. Without rustc on PATH (a
# root shell may lack it), the one target/*-linux-*/release holding ipvsadm is used.
HOST_TUPLE     ?= $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
ifneq ($(HOST_TUPLE),)
RELEASEDIR     ?= target/$(HOST_TUPLE)/release
else
RELEASEDIR     ?= $(patsubst %/ipvsadm,%,$(firstword $(wildcard target/*-linux-*/release/ipvsadm)))
endif
# Set to "no" to leave out the systemd unit or the SysV init script.
# OVERWRITE=yes: replace an init script that is not ours (see install-sysv).
OVERWRITE      ?= no
WITH_SYSTEMD   ?= yes
WITH_SYSV      ?= yes

INSTALL ?= install
CARGO   ?= cargo

BINARIES   = ipvsadm ipvsadm-save ipvsadm-restore ipvsadm-exporter
MANPAGES   = man/ipvsadm.8 man/ipvsadm-save.8 man/ipvsadm-restore.8 man/ipvsadm-exporter.8
# The metrics units: the exporter, and the timer that writes node_exporter's textfile.
METRICSUNITS = ipvsadm-exporter.service ipvsadm-metrics.service ipvsadm-metrics.timer
BOOTHELPER = $(LIBEXECDIR)/ipvsadm/ipvsadm-boot

# Paths compiled into the boot files.
SUBST = sed -e 's|^default_sysconfdir=.*|default_sysconfdir=$(SYSCONFDIR)|' \
	    -e 's|^default_ipvsadm=.*|default_ipvsadm=$(SBINDIR)/ipvsadm|' \
	    -e 's|^default_ipvsadm_restore=.*|default_ipvsadm_restore=$(SBINDIR)/ipvsadm-restore|' \
	    -e 's|^default_ipvsadm_save=.*|default_ipvsadm_save=$(SBINDIR)/ipvsadm-save|' \
	    -e 's|/usr/libexec/ipvsadm/ipvsadm-boot|$(BOOTHELPER)|g' \
	    -e 's|/usr/sbin/ipvsadm|$(SBINDIR)/ipvsadm|g'

.PHONY: all build check generate install uninstall install-bin install-man \
	install-completions install-boot install-systemd install-sysv \
	install-examples install-prometheus

all: build

build:
	$(CARGO) build --release --locked

check:
	bash tests/ship/check.sh

# Writes the files made from the option catalogue (src/cli/catalogue.rs): the three shell
# completions and tests/ship/options.txt. The unit tests fail while they are stale.
generate:
	IPVSADM_REGENERATE=1 $(CARGO) test --quiet --test generated

install: install-bin install-man install-completions install-boot install-examples \
	install-prometheus
ifeq ($(WITH_SYSTEMD),yes)
install: install-systemd
endif
ifeq ($(WITH_SYSV),yes)
install: install-sysv
endif

install-bin:
	@for b in $(BINARIES); do \
	  if [ ! -f "$(RELEASEDIR)/$$b" ]; then \
	    echo "missing $(RELEASEDIR)/$$b: run 'cargo build --release' first" >&2; exit 1; \
	  fi; \
	done
	$(INSTALL) -d "$(DESTDIR)$(SBINDIR)"
	for b in $(BINARIES); do \
	  $(INSTALL) -m 0755 "$(RELEASEDIR)/$$b" "$(DESTDIR)$(SBINDIR)/$$b" || exit 1; \
	done

install-man:
	$(INSTALL) -d "$(DESTDIR)$(MANDIR)/man8"
	$(INSTALL) -m 0644 $(MANPAGES) "$(DESTDIR)$(MANDIR)/man8/"

install-completions:
	$(INSTALL) -d "$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)" "$(DESTDIR)$(FISHCOMPDIR)"
	$(INSTALL) -m 0644 completions/ipvsadm.bash "$(DESTDIR)$(BASHCOMPDIR)/ipvsadm"
	ln -sf ipvsadm "$(DESTDIR)$(BASHCOMPDIR)/ipvsadm-save"
	ln -sf ipvsadm "$(DESTDIR)$(BASHCOMPDIR)/ipvsadm-restore"
	$(INSTALL) -m 0644 completions/_ipvsadm "$(DESTDIR)$(ZSHCOMPDIR)/_ipvsadm"
	$(INSTALL) -m 0644 completions/ipvsadm.fish "$(DESTDIR)$(FISHCOMPDIR)/ipvsadm.fish"
	ln -sf ipvsadm.fish "$(DESTDIR)$(FISHCOMPDIR)/ipvsadm-save.fish"
	ln -sf ipvsadm.fish "$(DESTDIR)$(FISHCOMPDIR)/ipvsadm-restore.fish"
	$(INSTALL) -m 0644 completions/ipvsadm-exporter.bash "$(DESTDIR)$(BASHCOMPDIR)/ipvsadm-exporter"
	$(INSTALL) -m 0644 completions/_ipvsadm-exporter "$(DESTDIR)$(ZSHCOMPDIR)/_ipvsadm-exporter"
	$(INSTALL) -m 0644 completions/ipvsadm-exporter.fish "$(DESTDIR)$(FISHCOMPDIR)/ipvsadm-exporter.fish"

install-boot:
	$(INSTALL) -d "$(DESTDIR)$(LIBEXECDIR)/ipvsadm" "$(DESTDIR)$(MODULESLOADDIR)"
	$(SUBST) packaging/ipvsadm-boot > "$(DESTDIR)$(BOOTHELPER).tmp"
	$(INSTALL) -m 0755 "$(DESTDIR)$(BOOTHELPER).tmp" "$(DESTDIR)$(BOOTHELPER)"
	rm -f "$(DESTDIR)$(BOOTHELPER).tmp"
	$(INSTALL) -m 0644 packaging/ipvsadm.conf "$(DESTDIR)$(MODULESLOADDIR)/ipvsadm.conf"

install-systemd:
	$(INSTALL) -d "$(DESTDIR)$(SYSTEMDUNITDIR)"
	$(SUBST) packaging/ipvsadm.service > "$(DESTDIR)$(SYSTEMDUNITDIR)/ipvsadm.service.tmp"
	$(INSTALL) -m 0644 "$(DESTDIR)$(SYSTEMDUNITDIR)/ipvsadm.service.tmp" "$(DESTDIR)$(SYSTEMDUNITDIR)/ipvsadm.service"
	rm -f "$(DESTDIR)$(SYSTEMDUNITDIR)/ipvsadm.service.tmp"
	for u in $(METRICSUNITS); do \
	  $(SUBST) "packaging/$$u" > "$(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp" && \
	  $(INSTALL) -m 0644 "$(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp" "$(DESTDIR)$(SYSTEMDUNITDIR)/$$u" && \
	  rm -f "$(DESTDIR)$(SYSTEMDUNITDIR)/$$u.tmp" || exit 1; \
	done
	$(INSTALL) -d "$(DESTDIR)$(SYSUSERSDIR)"
	$(INSTALL) -m 0644 packaging/ipvsadm-exporter.sysusers "$(DESTDIR)$(SYSUSERSDIR)/ipvsadm-exporter.conf"

# The init script is the one file outside the prefix. One already there that is not ours
# (ours runs ipvsadm-boot) belongs to the distribution's ipvsadm package: it is left alone,
# with a warning, unless OVERWRITE=yes.
install-sysv:
	$(INSTALL) -d "$(DESTDIR)$(INITDIR)"
	@f="$(DESTDIR)$(INITDIR)/ipvsadm"; \
	if [ -e "$$f" ] && ! grep -q 'ipvsadm-boot' "$$f" && [ "$(OVERWRITE)" != yes ]; then \
	  echo "make install: leaving $$f alone: it is not ours (the distribution's ipvsadm package?); OVERWRITE=yes replaces it" >&2; \
	else \
	  $(SUBST) packaging/ipvsadm.init > "$$f.tmp" && \
	  $(INSTALL) -m 0755 "$$f.tmp" "$$f" && rm -f "$$f.tmp"; \
	fi

install-prometheus:
	$(INSTALL) -d "$(DESTDIR)$(PROMRULESDIR)"
	$(INSTALL) -m 0644 prometheus/ipvsadm-alerts.yml prometheus/ipvsadm-node-names.yml "$(DESTDIR)$(PROMRULESDIR)/"
	$(INSTALL) -d "$(DESTDIR)$(GRAFANADIR)"
	$(INSTALL) -m 0644 grafana/ipvsadm-dashboard.json "$(DESTDIR)$(GRAFANADIR)/"

install-examples:
	$(INSTALL) -d "$(DESTDIR)$(DOCDIR)/examples"
	$(INSTALL) -m 0644 packaging/ipvsadm.default packaging/ipvsadm-config \
	  packaging/ipvsadm-exporter-netns.conf "$(DESTDIR)$(DOCDIR)/examples/"

uninstall:
	for b in $(BINARIES); do rm -f "$(DESTDIR)$(SBINDIR)/$$b"; done
	for m in $(notdir $(MANPAGES)); do rm -f "$(DESTDIR)$(MANDIR)/man8/$$m"; done
	rm -f "$(DESTDIR)$(BASHCOMPDIR)/ipvsadm" "$(DESTDIR)$(BASHCOMPDIR)/ipvsadm-save" \
	      "$(DESTDIR)$(BASHCOMPDIR)/ipvsadm-restore" "$(DESTDIR)$(ZSHCOMPDIR)/_ipvsadm" \
	      "$(DESTDIR)$(FISHCOMPDIR)/ipvsadm.fish" "$(DESTDIR)$(FISHCOMPDIR)/ipvsadm-save.fish" \
	      "$(DESTDIR)$(FISHCOMPDIR)/ipvsadm-restore.fish" \
	      "$(DESTDIR)$(BASHCOMPDIR)/ipvsadm-exporter" "$(DESTDIR)$(ZSHCOMPDIR)/_ipvsadm-exporter" \
	      "$(DESTDIR)$(FISHCOMPDIR)/ipvsadm-exporter.fish"
	rm -f "$(DESTDIR)$(BOOTHELPER)" "$(DESTDIR)$(MODULESLOADDIR)/ipvsadm.conf" \
	      "$(DESTDIR)$(SYSTEMDUNITDIR)/ipvsadm.service"
	-grep -q 'ipvsadm-boot' "$(DESTDIR)$(INITDIR)/ipvsadm" 2>/dev/null && rm -f "$(DESTDIR)$(INITDIR)/ipvsadm"
	for u in $(METRICSUNITS); do rm -f "$(DESTDIR)$(SYSTEMDUNITDIR)/$$u"; done
	rm -f "$(DESTDIR)$(SYSUSERSDIR)/ipvsadm-exporter.conf"
	rm -f "$(DESTDIR)$(PROMRULESDIR)/ipvsadm-alerts.yml" "$(DESTDIR)$(PROMRULESDIR)/ipvsadm-node-names.yml"
	rm -f "$(DESTDIR)$(GRAFANADIR)/ipvsadm-dashboard.json"
	-rmdir "$(DESTDIR)$(PROMRULESDIR)" "$(DESTDIR)$(GRAFANADIR)" "$(DESTDIR)$(DATAROOTDIR)/ipvsadm" 2>/dev/null
	rm -f "$(DESTDIR)$(DOCDIR)/examples/ipvsadm.default" "$(DESTDIR)$(DOCDIR)/examples/ipvsadm-config" \
	      "$(DESTDIR)$(DOCDIR)/examples/ipvsadm-exporter-netns.conf"
	-rmdir "$(DESTDIR)$(LIBEXECDIR)/ipvsadm" "$(DESTDIR)$(DOCDIR)/examples" "$(DESTDIR)$(DOCDIR)" 2>/dev/null
