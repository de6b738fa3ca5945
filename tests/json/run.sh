#!/usr/bin/env bash
# tests/json/run.sh: JSON output and network namespaces against the real kernel, one VM boot.
#
#   tests/json/run.sh [--bin-dir DIR]      (default DIR: tests/release-dir.sh)
#
# In the VM (tests/json/vm.sh): a rich table with real traffic, every listing as text and as
# JSON, a JSON save/clear/restore round trip, and --netns across namespaces. The texts and
# JSON documents it prints come back here (target/json-samples/), where
#   - tests/json_vm.rs compares every text listing mode with the JSON, field by field, and
#   - tests/json_schema.rs validates every JSON document against docs/ipvsadm.schema.json.
# Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$("$repo/tests/release-dir.sh")
[ "${1:-}" = --bin-dir ] && bin=$2
for b in ipvsadm ipvsadm-save ipvsadm-restore; do
	[ -x "$bin/$b" ] || { echo "json/run.sh: $bin/$b missing (cargo build --release)" >&2; exit 2; }
done
vm=$repo/tests/vm/vm.sh
"$vm" setup
payload=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$payload" "$log"' EXIT
for b in ipvsadm ipvsadm-save ipvsadm-restore; do
	"$vm" add-binary "$bin/$b" "$payload" "bin/$b"
done
cp "$repo/tests/dataplane/lib.sh" "$here/vm.sh" "$payload/"
cat >"$payload/run.sh" <<'EOF'
#!/bin/sh
exec sh /payload/vm.sh
EOF
chmod +x "$payload/run.sh"

set +e
"$vm" run "$payload" 600 >"$log" 2>&1
vm_status=$?
set -e
# The checks' lines; the samples go to files.
grep -E '^(ok|not ok) - |^    |^[0-9]+ passed, [0-9]+ failed' "$log" | grep -v '^    $' || true
samples=$repo/target/json-samples
rm -rf "$samples"
mkdir -p "$samples"
awk -v dir="$samples" '
	/^@@SAMPLE .*@@$/ { name = substr($0, 10, length($0) - 11); file = dir "/" name ".b64"; next }
	/^@@END@@$/ { close(file); file = ""; next }
	file != "" { print > file }' "$log"
for f in "$samples"/*.b64; do
	base64 -d "$f" >"${f%.b64}"
	rm "$f"
done
echo "$(ls "$samples" | wc -l) samples in $samples"
status=0
[ $vm_status = 0 ] || { echo "the VM checks failed (status $vm_status; console: target/vm/last-run.log)"; status=1; }
(cd "$repo" && IPVSADM_JSON_VM=$samples cargo test --quiet --test json_vm -- --nocapture) || status=1
(cd "$repo" && IPVSADM_JSON_SAMPLES=$samples cargo test --quiet --test json_schema collected -- --nocapture) || status=1
exit $status
