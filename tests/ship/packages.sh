#!/usr/bin/env bash
# tests/ship/packages.sh: builds the .deb and the .rpm from the release build and checks
# them (host only, no IPVS needed). Needs `cargo build --release` first.
#
#   tests/ship/packages.sh                 build both, lintian, rpmlint, rpm queries and an
#                                          install into a scratch root (prints N passed)
#   tests/ship/packages.sh deb OUTDIR [REV]  only build the .deb (revision REV, default 1)
#   tests/ship/packages.sh tools           only install the tools (tests/run-all.sh's setup)
#
# Tools: cargo-deb (crates.io; `cargo install --locked` when missing) for the .deb, from the
# metadata in Cargo.toml; rpmbuild (Debian's rpm package) for the .rpm, from
# packaging/rpm/ipvsadm-rs.spec; lintian and rpmlint (apt-get when missing).
# SPDX-License-Identifier: MIT OR Apache-2.0
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/apt.sh
. "$top/tests/apt.sh"
cd "$top" || exit 1
tuple=$(rustc -vV | sed -n 's/^host: //p')
reldir=$(tests/release-dir.sh)

# ensure_tools CARGO-SUBCOMMAND...: installs what is missing.
ensure_tools() {
	local missing=() c
	for c in "$@"; do
		command -v "$c" >/dev/null || cargo install --locked --quiet "$c" >&2 || return 1
	done
	command -v lintian >/dev/null || missing+=(lintian)
	command -v rpmlint >/dev/null || missing+=(rpmlint)
	command -v rpm >/dev/null || missing+=(rpm)
	if [ ${#missing[@]} -gt 0 ]; then
		apt_install "${missing[@]}" || return 1
	fi
}

# build_deb OUTDIR REV: prints the path of the .deb.
build_deb() {
	local out=$1 rev=${2:-1}
	mkdir -p "$out"
	cargo deb --quiet --no-build --target "$tuple" --deb-revision "$rev" -o "$out" >&2 || return 1
	ls "$out"/ipvsadm-rs_*-"${rev}"_*.deb
}

# build_rpm OUTDIR RELEASE: prints the path of the .rpm.
build_rpm() {
	local out=$1 rel=$2 version
	version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
	mkdir -p "$out"
	rpmbuild -bb --quiet packaging/rpm/ipvsadm-rs.spec --define "_topdir $out" --define "repo $top" \
		--define "bindir $reldir" --define "pkgversion $version" --define "pkgrelease $rel" >&2 || return 1
	ls "$out"/RPMS/*/ipvsadm-rs-*.rpm
}

if [ "${1:-}" = tools ]; then
	ensure_tools cargo-deb
	exit
fi
for b in ipvsadm ipvsadm-save ipvsadm-restore ipvsadm-exporter; do
	[ -x "$reldir/$b" ] || { echo "packages.sh: $reldir/$b missing (cargo build --release)" >&2; exit 2; }
done
if [ "${1:-}" = deb ]; then
	ensure_tools cargo-deb || { echo "packages.sh: cannot install cargo-deb" >&2; exit 2; }
	build_deb "${2:?usage: packages.sh deb OUTDIR [REV]}" "${3:-1}"
	exit
fi

ensure_tools cargo-deb || { echo "packages.sh: cannot install the packaging tools" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$top/tests/ship/report.sh"

# --- the .deb ---------------------------------------------------------------------------
if deb=$(build_deb "$work/deb" 1 2>"$work/deb.log"); then
	ok "cargo deb builds $(basename "$deb")"
	# lintian: no error and no warning (the overrides, each with its reason, are in
	# packaging/deb/ipvsadm-rs.lintian-overrides).
	lintian --fail-on error,warning "$deb" >"$work/lintian.out" 2>&1
	st=$?
	out=$(grep -v '^running with root privileges' "$work/lintian.out")
	if [ $st = 0 ]; then
		ok "lintian: no error, no warning${out:+ ($(printf '%s\n' "$out" | wc -l) info lines)}"
	else
		not_ok "lintian: no error, no warning" "$out"
	fi
	fields=$(dpkg-deb -f "$deb" Provides Conflicts Replaces)
	want=$'Provides: ipvsadm (= 1:1.31)\nConflicts: ipvsadm\nReplaces: ipvsadm'
	[ "$fields" = "$want" ] && ok ".deb provides, conflicts with and replaces ipvsadm" ||
		not_ok ".deb provides, conflicts with and replaces ipvsadm" "$fields"
	files=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
	missing=""
	for f in /sbin/ipvsadm /sbin/ipvsadm-save /sbin/ipvsadm-restore /usr/sbin/ipvsadm-exporter \
		/usr/share/man/man8/ipvsadm.8.gz /usr/share/man/man8/ipvsadm-save.8.gz \
		/usr/share/man/man8/ipvsadm-restore.8.gz /usr/share/man/man8/ipvsadm-exporter.8.gz \
		/usr/share/bash-completion/completions/ipvsadm /usr/share/zsh/vendor-completions/_ipvsadm \
		/usr/share/fish/vendor_completions.d/ipvsadm.fish /lib/systemd/system/ipvsadm.service \
		/lib/systemd/system/ipvsadm-exporter.service /usr/libexec/ipvsadm/ipvsadm-boot \
		/etc/init.d/ipvsadm /etc/default/ipvsadm /etc/default/ipvsadm-exporter \
		/usr/lib/sysusers.d/ipvsadm-exporter.conf /usr/share/ipvsadm/prometheus/ipvsadm-alerts.yml \
		/usr/share/ipvsadm/grafana/ipvsadm-dashboard.json; do
		grep -qx -- "$f" <<<"$files" || missing+=" $f"
	done
	[ -z "$missing" ] && ok ".deb holds the commands, exporter, man pages, completions, units, the exporter's user, rules and dashboard" ||
		not_ok ".deb holds the commands, exporter, man pages, completions, units, the exporter's user, rules and dashboard" "missing:$missing"
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$work/conffiles" 2>/dev/null
	printf '/etc/default/ipvsadm\n/etc/default/ipvsadm-exporter\n/etc/init.d/ipvsadm\n' >"$work/want-conffiles"
	cmp -s "$work/want-conffiles" <(sort "$work/conffiles") && ok ".deb: the defaults files and init script are conffiles" ||
		not_ok ".deb: the defaults files and init script are conffiles" "$(cat "$work/conffiles")"
	# The maintainer scripts never clear, reload or stop the table: no start, stop,
	# restart or reload of ipvsadm.service, no ipvsadm -C, no ipvsadm-boot.
	mkdir -p "$work/ctrl"
	dpkg-deb -e "$deb" "$work/ctrl"
	bad=$(awk '!/^[[:space:]]*#/ && ((/(start|stop|restart|reload)/ && /ipvsadm(\.service)?([^-a-z.]|$)/) ||
		/invoke-rc\.d|ipvsadm +-C|ipvsadm-boot|ipvsadm-restore/) { print FILENAME ":" FNR ": " $0 }' \
		"$work/ctrl"/*inst "$work/ctrl"/*rm 2>/dev/null)
	[ -z "$bad" ] && ok ".deb maintainer scripts never start, stop, restart or reload ipvsadm.service" ||
		not_ok ".deb maintainer scripts never start, stop, restart or reload ipvsadm.service" "$bad"
else
	not_ok "cargo deb builds the package" "$(tail -20 "$work/deb.log")"
fi

# --- the .rpm ---------------------------------------------------------------------------
if rpm1=$(build_rpm "$work/rpm1" 1 2>"$work/rpm.log") && rpm2=$(build_rpm "$work/rpm2" 2 2>>"$work/rpm.log"); then
	ok "rpmbuild builds $(basename "$rpm1")"
	# The filters, each with its reason: packaging/rpm/ipvsadm-rs.rpmlintrc.
	out=$(rpmlint -r packaging/rpm/ipvsadm-rs.rpmlintrc "$rpm1" 2>&1)
	if [ $? = 0 ] && ! grep -q ' E: ' <<<"$out"; then
		ok "rpmlint: no error ($(sed -n 's/.*\([0-9][0-9]*\) errors*, \([0-9][0-9]*\) warnings*.*/\2 warnings/p' <<<"$out" | tail -1))"
		printf '%s\n' "$out" | grep ' W: ' | sed 's/^/    # /'
	else
		not_ok "rpmlint: no error" "$out"
	fi
	list=$(rpm -qlp "$rpm1" 2>/dev/null)
	missing=""
	for f in /usr/sbin/ipvsadm /usr/sbin/ipvsadm-save /usr/sbin/ipvsadm-restore /usr/sbin/ipvsadm-exporter \
		/usr/share/man/man8/ipvsadm.8 /usr/lib/systemd/system/ipvsadm.service \
		/usr/lib/systemd/system/ipvsadm-exporter.service /usr/libexec/ipvsadm/ipvsadm-boot \
		/etc/sysconfig/ipvsadm-config /etc/sysconfig/ipvsadm-exporter \
		/usr/share/bash-completion/completions/ipvsadm /usr/lib/sysusers.d/ipvsadm-exporter.conf \
		/usr/share/ipvsadm/prometheus/ipvsadm-alerts.yml /usr/share/ipvsadm/grafana/ipvsadm-dashboard.json; do
		grep -qx -- "$f" <<<"$list" || missing+=" $f"
	done
	[ -z "$missing" ] && ok "rpm -qlp: the commands, man pages, units, completions, /etc/sysconfig files" ||
		not_ok "rpm -qlp: the commands, man pages, units, completions, /etc/sysconfig files" "missing:$missing"
	conf=$(rpm -qcp "$rpm1" 2>/dev/null | sort | tr '\n' ' ')
	[ "$conf" = "/etc/sysconfig/ipvsadm-config /etc/sysconfig/ipvsadm-exporter " ] &&
		ok "rpm -qcp: the settings files are configuration files" || not_ok "rpm -qcp: the settings files are configuration files" "$conf"
	deps=$(rpm -qp --provides "$rpm1" 2>/dev/null; rpm -qp --obsoletes "$rpm1" 2>/dev/null)
	grep -qx 'ipvsadm = 1.31-1000' <<<"$deps" && grep -qx 'ipvsadm < 1.31-1000' <<<"$deps" &&
		ok "rpm provides and obsoletes ipvsadm" || not_ok "rpm provides and obsoletes ipvsadm" "$deps"
	rpm -q --scripts -p "$rpm1" 2>/dev/null | sed 's/^/    # /' | grep -v '^    # *#' | grep -v '^    # *$'

	# An install into a scratch root, as the oldest users did (rpm -ivh), then an upgrade
	# and a removal. The scriptlets run chrooted there, with busybox as /bin/sh and a
	# systemctl that only logs its arguments (and /run/systemd/system, so that the
	# scriptlets believe systemd runs): the log shows what they would have done.
	root=$work/scratch
	mkdir -p "$root/bin" "$root/usr/bin" "$root/run/systemd/system" "$root/tmp" "$root/dev"
	mknod -m 666 "$root/dev/null" c 1 3
	cp /bin/busybox "$root/bin/busybox"
	for a in sh cat echo; do ln -s busybox "$root/bin/$a"; done
	printf '#!/bin/sh\necho "systemctl $*" >>/systemctl.log\n' >"$root/usr/bin/systemctl"
	chmod 755 "$root/usr/bin/systemctl"
	rpmi() { rpm --root "$root" --dbpath /var/lib/rpm --nodeps "$@" 2>&1; }
	if out=$(rpm --root "$root" --dbpath /var/lib/rpm --initdb 2>&1 && rpmi -ivh "$rpm1") &&
		rpm --root "$root" --dbpath /var/lib/rpm -q ipvsadm-rs >/dev/null 2>&1 &&
		[ -x "$root/usr/sbin/ipvsadm" ] && [ -f "$root/etc/sysconfig/ipvsadm-config" ]; then
		ok "rpm --root -ivh installs into a scratch root"
	else
		not_ok "rpm --root -ivh installs into a scratch root" "$out"
	fi
	echo 'IPVS_SAVE_ON_STOP="yes"' >>"$root/etc/sysconfig/ipvsadm-config"
	cp "$root/systemctl.log" "$work/log.install" 2>/dev/null
	out2=$(rpmi -Uvh "$rpm2") || not_ok "rpm --root -Uvh upgrades" "$out2"
	grep -q '^IPVS_SAVE_ON_STOP="yes"$' "$root/etc/sysconfig/ipvsadm-config" &&
		ok "rpm -Uvh keeps the edited /etc/sysconfig/ipvsadm-config" ||
		not_ok "rpm -Uvh keeps the edited /etc/sysconfig/ipvsadm-config" "$out2"
	out3=$(rpmi -e ipvsadm-rs) || not_ok "rpm --root -e removes" "$out3"
	[ ! -e "$root/usr/sbin/ipvsadm" ] && ok "rpm -e removes the commands" || not_ok "rpm -e removes the commands" "$out3"
	log=$(cat "$root/systemctl.log" 2>/dev/null)
	printf '%s\n' "$log" | sed 's/^/    # scriptlet: /'
	if grep -q 'preset ipvsadm.service' "$work/log.install" && grep -q 'try-restart ipvsadm-exporter.service' <<<"$log" &&
		grep -q 'disable ipvsadm.service' <<<"$log"; then
		ok "the scriptlets ran (preset at install, exporter try-restart at upgrade, disable at removal)"
	else
		not_ok "the scriptlets ran (preset at install, exporter try-restart at upgrade, disable at removal)" "$log"
	fi
	bad=$(grep -E '(start|stop|restart|reload|isolate|kill)( .*)? ipvsadm\.service' <<<"$log" | grep -v 'preset\|disable')
	[ -z "$bad" ] && ok "the scriptlets never start, stop, restart or reload ipvsadm.service" ||
		not_ok "the scriptlets never start, stop, restart or reload ipvsadm.service" "$bad"
else
	not_ok "rpmbuild builds the package" "$(tail -20 "$work/rpm.log")"
fi

report_done
