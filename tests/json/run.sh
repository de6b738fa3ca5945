#!/usr/bin/env bash
# tests/json/run.sh: JSON output and network namespaces against the real kernel, one VM boot.
#
#   tests/json/run.sh [--bin-dir DIR]      (default DIR: tests/release-dir.sh)
#
# In the VM (tests/json/vm.sh): a rich table with real traffic, every listing as text and as
# JSON, a JSON save/clear/restore round trip, --netns across namespaces, and the library's
# two read paths compared (examples/readpaths). The texts and
# JSON documents it prints come back here (target/json-samples/), where
#   - tests/json_vm.rs compares every text listing mode with the JSON, field by field, and
#   - tests/json_schema.rs validates every JSON document against docs/ipvsadm.schema.json.
# Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$("$repo/tests/release-dir.sh")
[ "${1:-}" = --bin-dir ] && bin=$2
[ "${1:-}" = --bin-dir ] || (cd "$repo" && cargo build --release --quiet --example readpaths)
for b in ipvsadm ipvsadm-save ipvsadm-restore examples/readpaths; do
	[ -x "$bin/$b" ] || { echo "json/run.sh: $bin/$b missing (cargo build --release)" >&2; exit 2; }
done
vm=$repo/tests/vm/vm.sh
"$vm" setup
. "$repo/tests/vm/suite.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
vm_status=0
suite_run "$vm" "$here/vm.sh" 2400 "$log" "$bin" ipvsadm ipvsadm-save ipvsadm-restore examples/readpaths ||
	vm_status=$?
samples=$repo/target/json-samples
suite_samples "$log" "$samples"
status=0
[ $vm_status = 0 ] || { echo "the VM checks failed (status $vm_status; console: ${VM_LOG:-target/vm/last-run.log})"; status=1; }
(cd "$repo" && IPVSADM_JSON_VM=$samples cargo test --quiet --test json_vm -- --nocapture) || status=1
(cd "$repo" && IPVSADM_JSON_SAMPLES=$samples cargo test --quiet --test json_schema collected -- --nocapture) || status=1
exit $status
