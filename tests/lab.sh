#!/usr/bin/env bash
# tests/lab.sh: watch our ipvsadm balance real traffic (a newcomer's entry point).
#
#   tests/lab.sh [--ipvsadm PATH] [SCENARIO]    default scenario: nat
#   tests/lab.sh --list                         the scenarios, with one line each
#
# Builds the binary (cargo build --release; skipped with --ipvsadm PATH).  If this machine's
# kernel has IPVS (/proc/net/ip_vs exists, or `modprobe ip_vs` works), it just runs
# `target/<host tuple>/release/ipvsadm -Ln` here.  Otherwise (the usual case on the project's machines)
# it boots the test VM (tests/vm/vm.sh, QEMU TCG, Debian's cloud kernel) and runs the
# scenario from tests/dataplane/scenarios/ verbosely: every command as it runs, in which
# namespace, and what the client received (for nat: aaaa and bbbbb alternating).
# Needs root for the VM (package installs, namespaces inside the VM are root's anyway).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
die() { echo "lab.sh: error: $*" >&2; exit 2; }

bin="" scenario=nat
while [ $# -gt 0 ]; do
	case $1 in
	--list) exec "$repo/tests/dataplane/run.sh" --list ;;
	--ipvsadm) [ $# -ge 2 ] || die "--ipvsadm needs a path"; bin=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d'; exit 0 ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) scenario=$1; shift ;;
	esac
done
[ -f "$repo/tests/dataplane/scenarios/$scenario.sh" ] ||
	die "no such scenario: $scenario (tests/lab.sh --list)"

if [ -z "$bin" ]; then
	echo "+ cargo build --release"
	(cd "$repo" && cargo build --release) || die "cargo build --release failed"
	bin=$("$repo/tests/release-dir.sh")/ipvsadm
fi
[ -x "$bin" ] || die "no binary at $bin"

if [ -e /proc/net/ip_vs ] || modprobe ip_vs 2>/dev/null; then
	echo "This kernel has IPVS: running $bin -Ln here."
	echo "+ $bin -Ln"
	exec "$bin" -Ln
fi

echo "This kernel has no IPVS: booting the test VM (QEMU TCG, about 10 s) to run the"
echo "'$scenario' scenario with $bin."
echo "Lines '  NS# command' are commands run in network namespace NS inside the VM;"
echo "'wget ... -> BODY' is what the client received."
echo
exec "$repo/tests/dataplane/run.sh" -v --ipvsadm "$bin" "$scenario"
