#!/usr/bin/env bash
# tests/vm/expecttest.sh: run the expectation cases (tests/deviations/*.case) with our
# ipvsadm in the VM, one boot. These cover the deliberate deviations of the README,
# where the reference is not the oracle. The same boot then runs churn-check.sh (D12:
# saves of a table that another process keeps changing), unless cases are named.
#
#   tests/vm/expecttest.sh [--ours PATH] [CASE-FILE...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ours=$("$repo/tests/release-dir.sh")/ipvsadm
[ "${1:-}" = --ours ] && { ours=$2; shift 2; }
cases=("$@")
churn=1
[ ${#cases[@]} -gt 0 ] && churn=0
[ ${#cases[@]} -gt 0 ] || cases=("$repo"/tests/deviations/*.case)
[ -x "$ours" ] || { echo "expecttest.sh: $ours missing (cargo build --release)" >&2; exit 2; }
listfloor=$("$repo/tests/release-dir.sh")/examples/listfloor
(cd "$repo" && cargo build --release --quiet --example listfloor)
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
"$here/vm.sh" add-binary "$ours" "$payload" ours/ipvsadm
"$here/vm.sh" add-binary "$listfloor" "$payload" bin/listfloor
# ipvsadm-save and ipvsadm-restore beside it, when they are there (the cases find them on
# PATH, like ipvsadm).
for b in ipvsadm-save ipvsadm-restore; do
	if [ -x "$(dirname "$ours")/$b" ]; then
		"$here/vm.sh" add-binary "$(dirname "$ours")/$b" "$payload" "ours/$b"
	fi
done
mkdir "$payload/cases"
cp "${cases[@]}" "$payload/cases/"
cp "$here/expect-runner.sh" "$here/case-netns.sh" "$here/churn-check.sh" "$payload/"
cat >"$payload/run.sh" <<EOF
#!/bin/sh
sh ./expect-runner.sh --ours /payload/ours/ipvsadm cases/*.case
status=\$?
if [ $churn = 1 ]; then
	sh ./churn-check.sh --ours /payload/ours/ipvsadm --listfloor /payload/bin/listfloor ||
		status=1
fi
exit \$status
EOF
chmod +x "$payload/run.sh"
# A guard against a hang, not a time to meet: under a heavily loaded host the churn
# phases alone have taken over 600 s (the saves slow down with everything else).
"$here/vm.sh" run "$payload" 3600
