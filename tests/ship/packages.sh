#!/usr/bin/env bash
# tests/ship/packages.sh: builds the .deb and the .rpm from the release build and checks
# them (host only, no IPVS needed). Needs `cargo build --release` first.
#
#   tests/ship/packages.sh                 build both, lintian, rpmlint, rpm queries and an
#                                          install into a scratch root (prints N passed)
#   tests/ship/packages.sh deb OUTDIR [REV]  only build the .deb (revision REV, default 1)
#
# Tools: cargo-deb and cargo-generate-rpm (crates.io; installed with `cargo install
# --locked` when missing), lintian, rpmlint and rpm (Debian packages; apt-get when missing).
# SPDX-License-Identifier: MIT OR Apache-2.0
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tuple=$(rustc -vV | sed -n 's/^host: //p')
reldir=$(tests/release-dir.sh)

ensure_tools() {
	local missing=() c
	for c in cargo-deb cargo-generate-rpm; do
		command -v "$c" >/dev/null || cargo install --locked --quiet "$c" >&2 || return 1
	done
	command -v lintian >/dev/null || missing+=(lintian)
	command -v rpmlint >/dev/null || missing+=(rpmlint)
	command -v rpm >/dev/null || missing+=(rpm)
	if [ ${#missing[@]} -gt 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; } >&2 ||
			return 1
	fi
}

# build_deb OUTDIR REV: prints the path of the .deb.
build_deb() {
	local out=$1 rev=${2:-1}
	mkdir -p "$out"
	cargo deb --quiet --no-build --target "$tuple" --deb-revision "$rev" -o "$out" >&2 || return 1
	ls "$out"/ipvsadm-rs_*-"${rev}"_*.deb
}

# build_rpm OUTDIR: prints the path of the .rpm.
build_rpm() {
	local out=$1
	mkdir -p "$out"
	cargo generate-rpm --target "$tuple" -o "$out" >&2 || return 1
	ls "$out"/ipvsadm-rs-*.rpm
}

for b in ipvsadm ipvsadm-save ipvsadm-restore ipvsadm-exporter; do
	[ -x "$reldir/$b" ] || { echo "packages.sh: $reldir/$b missing (cargo build --release)" >&2; exit 2; }
done
ensure_tools || { echo "packages.sh: cannot install the packaging tools" >&2; exit 2; }

if [ "${1:-}" = deb ]; then
	build_deb "${2:?usage: packages.sh deb OUTDIR [REV]}" "${3:-1}"
	exit
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/    /' | head -60; fi
}

# --- the .deb ---------------------------------------------------------------------------
if deb=$(build_deb "$work/deb" 1 2>"$work/deb.log"); then
	ok "cargo deb builds $(basename "$deb")"
	# lintian: no error and no warning (the overrides, each with its reason, are in
	# packaging/deb/ipvsadm-rs.lintian-overrides).
	if out=$(lintian --fail-on error,warning "$deb" 2>&1 | grep -v '^running with root privileges'); [ "${PIPESTATUS[0]}" = 0 ]; then
		ok "lintian: no error, no warning${out:+ ($(printf '%s' "$out" | wc -l) info lines)}"
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
		/etc/init.d/ipvsadm /etc/default/ipvsadm /etc/default/ipvsadm-exporter; do
		grep -qx -- "$f" <<<"$files" || missing+=" $f"
	done
	[ -z "$missing" ] && ok ".deb holds the commands, exporter, man pages, completions, units" ||
		not_ok ".deb holds the commands, exporter, man pages, completions, units" "missing:$missing"
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

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
