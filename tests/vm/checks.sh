# tests/vm/checks.sh: sourced INSIDE the VM (busybox sh) by the suites that tests/vm/suite.sh
# runs, and by tests/apply/vm-run.sh: counts and prints checks, and hands files to the host.
#   ok DESCRIPTION             a check that passed
#   bad DESCRIPTION [LINE...]  a check that failed, with the lines that show why (indented)
#   sample NAME FILE           FILE, base64-encoded between `@@SAMPLE NAME@@` and `@@END@@`
#   checks_done                prints `N passed, N failed`; its status is 0 when none failed
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() {
	fail=$((fail + 1))
	echo "not ok - $1"
	shift
	for l in "$@"; do printf '%s\n' "$l" | sed 's/^/    /'; done
}
sample() {
	echo "@@SAMPLE $1@@"
	base64 "$2"
	echo "@@END@@"
}
checks_done() {
	echo "$pass passed, $fail failed"
	[ $fail = 0 ]
}
