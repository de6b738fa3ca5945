#!/usr/bin/env bash
# tests/lib/run.sh: the linux-ipvs library against the real kernel, in one VM boot.
#
#   tests/lib/run.sh [--bin-dir DIR]
#
# Runs examples/lib_vm.rs (a program on the library, as a controller would write it) in the
# VM, next to the reference ipvsadm; tests/lib/vm-run.sh has the checks:
#   - any page size: a service with 500 real servers listed after the kernel has seen a
#     32 KiB receive buffer on the socket that reads them (what a kernel with 64 KiB pages
#     does from a dump's first datagram), compared with the reference's listing;
#   - a client's sockets all belong to the namespace it was opened in, even when its
#     thread joins another namespace afterwards;
#   - a dump that fails half-way (real servers, then services) leaves the client working:
#     its next listings match the reference's;
#   - a service deleted (by another client) between the socket options' one-call service
#     list and its real servers is noticed, the table read again and handed out without it,
#     every other service whole.
# Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# A debug build: the checks are about behaviour, and `cargo test` has built it already.
debug=$(dirname "$("$repo/tests/release-dir.sh")")/debug
bin=$debug
while [ $# -gt 0 ]; do
	case $1 in
	--bin-dir) bin=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "lib/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$bin" = "$debug" ]; then
	(cd "$repo" && cargo build --quiet --example lib_vm)
fi
[ -x "$bin/examples/lib_vm" ] || { echo "lib/run.sh: $bin/examples/lib_vm missing" >&2; exit 2; }

. "$repo/tests/vm/suite.sh"
vm=$repo/tests/vm/vm.sh
"$vm" setup
log=${VM_LOG:-$repo/target/vm/last-run.log}
suite_run "$vm" "$here/vm-run.sh" 1800 "$log" "$bin" examples/lib_vm -- "$repo/tests/vm/case-netns.sh"
