# tests/ship/report.sh: sourced by the packaging checks (check.sh, packages.sh): counts and
# prints checks in the TAP-like form the test command reads.
#   ok DESCRIPTION            a check that passed
#   not_ok DESCRIPTION [TEXT] a check that failed, with TEXT (its first 60 lines, indented)
#   report_done               prints `N passed, N failed`; its status is 0 when none failed
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
report_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
