# tests/guest/host-checks.sh: the host's side of the checks run in the systemd guest,
# sourced (bash) by tests/guest/run.sh and by tests/ansible/run.sh for its guest mode.
#
#   now, elapsed START END       wall-clock stamps and the seconds between two of them
#   qga ARGS...                  the guest's agent on the socket $sock (tests/guest/qga.py)
#   check NAME SCRIPT            runs SCRIPT in the guest (bash -e, after /root/lib.sh) and
#                                passes on status 0, counting in $passed and $failed; the
#                                script's output is shown when it fails, or always with
#                                SHOW=1. With TODO=REASON a failure is reported but counted
#                                in $todo instead (TAP's TODO): for what another branch adds.
# shellcheck shell=bash

guest_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The caller sets passed and failed; todo counts only with TODO, and starts here if not.
todo=${todo:-0}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# shellcheck disable=SC2154 # the caller sets sock
qga() { python3 "$guest_dir/qga.py" "$sock" "$@"; }
check() {
	local name=$1 script=$2 t out rc
	t=$(now)
	out=$(printf '. /root/lib.sh\n%s\n' "$script" | qga exec --timeout 1800 - 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		echo "ok - $name ($(elapsed "$t" "$(now)") s)${TODO:+ # TODO passes now: drop the TODO ($TODO)}"
		[ "${SHOW:-0}" = 1 ] && printf '%s\n' "$out" | sed 's/^/    /'
	else
		if [ -n "${TODO:-}" ]; then
			todo=$((todo + 1))
		else
			failed=$((failed + 1))
		fi
		echo "not ok - $name ($(elapsed "$t" "$(now)") s, status $rc)${TODO:+ # TODO $TODO}"
		printf '%s\n' "$out" | sed 's/^/    /' | tail -60
	fi
	return 0
}
