#!/usr/bin/env bash
# tests/bench/edit-cost.sh: what one in-place edit of a virtual service costs the kernel,
# by kind, in one VM boot: a minimal measurement behind the figures of an --apply.
#
#   tests/bench/edit-cost.sh [--ours PATH] [--edits 100]
#
# Loads 1,000 services (wlc, 4 real servers each) into a fresh namespace, then times, each
# as one `ipvsadm -R` batch of EDITS lines (one datagram), edits that change
#   timeout  the persistence (-p) and nothing else,
#   sched    the scheduler (wlc to rr, then back),
#   weight   a real server's weight (-e),
# and prints seconds per batch and milliseconds per edit. An edit that changes the
# scheduler makes the kernel wait for an RCU grace period (every reader of the old
# scheduler's state gone) before it binds the new one; the others do not wait.
# Prints figures only; asserts nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ours=$("$repo/tests/release-dir.sh")/ipvsadm
edits=100
while [ $# -gt 0 ]; do
	case $1 in
	--ours) ours=$2; shift 2 ;;
	--edits) edits=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "edit-cost.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -x "$ours" ] || (cd "$repo" && cargo build --release --quiet)
vm=$repo/tests/vm/vm.sh
"$vm" setup
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
"$vm" add-binary "$ours" "$payload" bin/ipvsadm
mkdir "$payload/data"
awk 'BEGIN { for (i = 0; i < 1000; i++) {
	vip = sprintf("198.18.%d.%d:80", int(i / 250), i % 250 + 1)
	printf "-A -t %s -s wlc\n", vip
	for (k = 1; k <= 4; k++) printf "-a -t %s -r 203.0.113.%d:8080 -m -w 1\n", vip, k } }' \
	>"$payload/data/table"
for kind in timeout sched sched-back weight; do
	awk -v n="$edits" -v kind=$kind 'BEGIN { for (i = 0; i < n; i++) {
		vip = sprintf("198.18.%d.%d:80", int(i / 250), i % 250 + 1)
		if (kind == "timeout") printf "-E -t %s -s wlc -p %d\n", vip, 300 + i
		else if (kind == "sched") printf "-E -t %s -s rr\n", vip
		else if (kind == "sched-back") printf "-E -t %s -s wlc\n", vip
		else printf "-e -t %s -r 203.0.113.1:8080 -m -w 2\n", vip } }' >"$payload/data/$kind"
done
cat >"$payload/run.sh" <<EOF
#!/bin/sh
edits=$edits
EOF
cat >>"$payload/run.sh" <<'EOF'
IP=/usr/sbin/ip
$IP netns add e
X="$IP netns exec e"
$X /payload/bin/ipvsadm -R </payload/data/table
sleep 2
for round in 1 2 3; do
	for kind in timeout sched sched-back weight; do
		t0=$(cut -d' ' -f1 /proc/uptime)
		$X /payload/bin/ipvsadm -R </payload/data/$kind
		t1=$(cut -d' ' -f1 /proc/uptime)
		echo "EDIT $kind $(awk -v a=$t0 -v b=$t1 -v n=$edits 'BEGIN { printf "%.2f s, %.1f ms an edit", b - a, 1000 * (b - a) / n }')"
	done
done
$IP netns del e
EOF
chmod +x "$payload/run.sh"
echo "== $edits in-place edits in one batch, 1,000 services x 4 ($(date -u +%F), QEMU TCG, one virtual CPU; three rounds)"
"$vm" run "$payload" 600 | grep '^EDIT'
