# tests/vm/suite.sh: sourced by the runners of the VM suites whose script prints checks
# (`ok - ...`, `not ok - ...`, indented details, `N passed, N failed`) and samples (files,
# base64-encoded between `@@SAMPLE name@@` and `@@END@@`) for the host to check further:
# tests/json/run.sh and tests/metrics/run.sh. The script's side is tests/vm/checks.sh.
#
#   suite_run VM SCRIPT TIMEOUT LOG BIN-DIR BINARIES... [-- FILES...]
#       Boots the VM with SCRIPT as its payload (with tests/dataplane/lib.sh,
#       tests/vm/checks.sh, BINARIES from BIN-DIR under bin/, and FILES), the console
#       in LOG; prints the checks' lines (and the lines matching $SUITE_SHOW, an extended
#       regular expression, when set); returns the VM's status.
#   suite_samples LOG DIR
#       Writes the samples of LOG into DIR (emptied first), decoded; says how many.

suite_run() {
	local vm=$1 script=$2 timeout=$3 log=$4 bin=$5 payload status b
	shift 5
	local repo
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	payload=$(mktemp -d)
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		"$vm" add-binary "$bin/$1" "$payload" "bin/$1"
		shift
	done
	[ "${1:-}" = -- ] && shift
	cp "$repo/tests/dataplane/lib.sh" "$repo/tests/vm/checks.sh" "$script" "$@" "$payload/"
	printf '#!/bin/sh\nexec sh /payload/%s\n' "$(basename "$script")" >"$payload/run.sh"
	chmod +x "$payload/run.sh"
	set +e
	"$vm" run "$payload" "$timeout" >"$log" 2>&1
	status=$?
	set -e
	rm -rf "$payload"
	grep -E "^(ok|not ok) - |^    |^[0-9]+ passed, [0-9]+ failed${SUITE_SHOW:+|$SUITE_SHOW}" "$log" |
		grep -v '^    $' || true
	return $status
}

suite_samples() {
	local log=$1 dir=$2 f
	rm -rf "$dir"
	mkdir -p "$dir"
	awk -v dir="$dir" '
		/^@@SAMPLE .*@@$/ { name = substr($0, 10, length($0) - 11); file = dir "/" name ".b64"; next }
		/^@@END@@$/ { close(file); file = ""; next }
		file != "" { print > file }' "$log"
	for f in "$dir"/*.b64; do
		[ -e "$f" ] || continue
		base64 -d "$f" >"${f%.b64}"
		rm "$f"
	done
	echo "$(ls "$dir" | wc -l) samples in $dir"
}
