#!/usr/bin/env bash
# tests/vm/expecttest.sh: run the expectation cases (tests/deviations/*.case) with our
# ipvsadm in the VM, one boot. These cover the deliberate deviations of the README,
# where the reference is not the oracle.
#
#   tests/vm/expecttest.sh [--ours PATH] [CASE-FILE...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ours=$("$repo/tests/release-dir.sh")/ipvsadm
[ "${1:-}" = --ours ] && { ours=$2; shift 2; }
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=("$repo"/tests/deviations/*.case)
[ -x "$ours" ] || { echo "expecttest.sh: $ours missing (cargo build --release)" >&2; exit 2; }
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
"$here/vm.sh" add-binary "$ours" "$payload" ours/ipvsadm
# ipvsadm-save and ipvsadm-restore beside it, when they are there (the cases find them on
# PATH, like ipvsadm).
for b in ipvsadm-save ipvsadm-restore; do
	if [ -x "$(dirname "$ours")/$b" ]; then
		"$here/vm.sh" add-binary "$(dirname "$ours")/$b" "$payload" "ours/$b"
	fi
done
mkdir "$payload/cases"
cp "${cases[@]}" "$payload/cases/"
cp "$here/expect-runner.sh" "$here/case-netns.sh" "$payload/"
cat >"$payload/run.sh" <<'EOF'
#!/bin/sh
sh ./expect-runner.sh --ours /payload/ours/ipvsadm cases/*.case
EOF
chmod +x "$payload/run.sh"
"$here/vm.sh" run "$payload" 600
