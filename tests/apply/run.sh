#!/usr/bin/env bash
# tests/apply/run.sh: ipvsadm-restore --apply against the real kernel, in one VM boot.
#
#   tests/apply/run.sh [--bin-dir DIR] [--pairs N] [--churn-runs N] [--cases-only]
#
# 1. Corpus (examples/apply_corpus.rs, N pairs of rules files, default 200): for each pair
#    (current, wanted), in the VM: load `current` with our ipvsadm-restore, run
#    `ipvsadm-restore --apply wanted` (every third pair with --drain 5), and check that it
#    exits 0, that our `ipvsadm -Sn` then prints exactly what it prints after the
#    reference's `ipvsadm -R` of `-C` and `wanted` in another namespace, and that
#    `--apply --dry-run wanted` then exits 0 with an empty plan (a second apply sends no
#    change).
# 2. Cases (tests/apply/cases.sh): unreadable rules, --test FILE, the empty-table guard,
#    exit statuses, scope, the lock, all-or-nothing, the offline check; `--cases-only`
#    runs these alone.
# 3. Churn (tests/apply/churn.sh): a table of 600 services that the rules file holds too,
#    while another process adds and deletes other services in a loop: plain reads (the
#    reference's `-Sn`) are counted torn or not (the control), and --apply and --dry-run must never
#    act on a torn read (their plans hold nothing but removals of the churning services);
#    the reads each took are printed.
# Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$("$repo/tests/release-dir.sh")
pairs=200
churn_runs=5
cases_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--bin-dir) bin=$2; shift 2 ;;
	--pairs) pairs=$2; shift 2 ;;
	--churn-runs) churn_runs=$2; shift 2 ;;
	--cases-only) cases_only=1; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "apply/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
corpus=$bin/examples/apply_corpus
if [ "$bin" = "$("$repo/tests/release-dir.sh")" ]; then
	(cd "$repo" && cargo build --release --quiet && cargo build --release --quiet --example apply_corpus)
fi
for b in ipvsadm ipvsadm-restore examples/apply_corpus; do
	[ -x "$bin/$b" ] || { echo "apply/run.sh: $bin/$b missing (cargo build --release)" >&2; exit 2; }
done

vm=$repo/tests/vm/vm.sh
"$vm" setup
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
"$vm" add-binary "$bin/ipvsadm" "$payload" bin/ipvsadm
"$vm" add-binary "$bin/ipvsadm-restore" "$payload" bin/ipvsadm-restore
"$corpus" "$payload/corpus" "$pairs"
cp "$here/vm-run.sh" "$here/churn.sh" "$here/cases.sh" "$repo/tests/vm/case-netns.sh" "$repo/tests/vm/checks.sh" "$payload/"
cat >"$payload/run.sh" <<RUN
#!/bin/sh
cd /payload && CASES_ONLY=$cases_only CHURN_RUNS=$churn_runs sh ./vm-run.sh
RUN
chmod +x "$payload/run.sh"

out=$(mktemp)
set +e
"$vm" run "$payload" 3600 2>&1 | tee "$out" |
	awk '/@@VM-PAYLOAD-BEGIN/ { on = 1; next } /@@VM-PAYLOAD-STATUS/ { on = 0 } on || /^vm\.sh: / { print; fflush() }'
set -e
status=0
grep -q '^@@VM-PAYLOAD-STATUS=0@@' "$out" || status=1
tail -n 1 "$out" >/dev/null
rm -f "$out"
exit $status
