#!/bin/sh
# tests/dataplane/vm-run.sh: runs data-plane scenarios inside the VM (busybox sh).
#
#   IPVSADM=/path/in/vm sh vm-run.sh [-v] [-t SECONDS] SCENARIO...
#
# Runs each scenarios/SCENARIO.sh in turn (each under a time limit, default 300 s: a guard
# against a hang, far above any scenario's time), cleans up what it left (processes first,
# then namespaces and root-namespace links), and prints
#   === SCENARIO: <title> ===      before it,
#   PASS SCENARIO (Ns) / FAIL SCENARIO (Ns)   after it (and its command trace if it failed),
# and as the very last line `N passed, N failed`.  Exit status 0 when all passed.
# -v: trace every command on the console as it runs (tests/lab.sh).
cd "$(dirname "$0")" || exit 2
verbose=0 limit=300
while [ $# -gt 0 ]; do
	case $1 in
	-v) verbose=1; shift ;;
	-t) limit=$2; shift 2 ;;
	*) break ;;
	esac
done
[ -n "$IPVSADM" ] || { echo "vm-run.sh: IPVSADM is not set"; exit 2; }
mkdir -p /tmp/dp
passed=0 failed=0 failed_names=""

cleanup() {
	state=$1
	[ -f "$state" ] || return 0
	for pid in $(sed -n 's/^pid //p' "$state"); do kill "$pid" 2>/dev/null; done
	sleep 0.2
	for pid in $(sed -n 's/^pid //p' "$state"); do kill -9 "$pid" 2>/dev/null; done
	for ns in $(sed -n 's/^ns //p' "$state"); do
		# Anything else still running in the namespace (e.g. children of a killed shell).
		for pid in $(/usr/sbin/ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		/usr/sbin/ip netns del "$ns" 2>/dev/null
	done
	for l in $(sed -n 's/^link //p' "$state"); do /usr/sbin/ip link del "$l" 2>/dev/null; done
	rm -f "$state"
}

for s in "$@"; do
	f=scenarios/$s.sh
	title=$(sed -n 's/^# TITLE: //p' "$f" 2>/dev/null | head -n 1)
	echo "=== $s: ${title:-?} ==="
	if [ ! -f "$f" ]; then
		echo "    no such scenario: $f"
		echo "FAIL $s (0s)"
		failed=$((failed + 1)) failed_names="$failed_names $s"
		continue
	fi
	export DP_SCEN=$s DP_STATE=/tmp/dp/$s.state DP_TRACE=/tmp/dp/$s.trace DP_VERBOSE=$verbose
	: >"$DP_STATE"
	: >"$DP_TRACE"
	t0=$(cut -d. -f1 /proc/uptime)
	timeout "$limit" sh "$f"
	rc=$?
	t1=$(cut -d. -f1 /proc/uptime)
	[ $rc = 143 ] || [ $rc = 124 ] && echo "    FAILED: time limit of ${limit}s reached"
	cleanup "$DP_STATE"
	if [ $rc = 0 ]; then
		echo "PASS $s ($((t1 - t0))s)"
		passed=$((passed + 1))
	else
		if [ "$verbose" = 0 ]; then
			echo "    --- command trace of $s (last 80 lines) ---"
			tail -n 80 "$DP_TRACE" | sed 's/^/    : /'
		fi
		echo "FAIL $s ($((t1 - t0))s)"
		failed=$((failed + 1)) failed_names="$failed_names $s"
	fi
done
echo
left=$(/usr/sbin/ip netns list 2>/dev/null)
[ -z "$left" ] || echo "warning: namespaces left behind: $(echo $left)"
[ $failed = 0 ] || echo "failed:$failed_names"
echo "in the VM: $passed passed, $failed failed"
[ $failed = 0 ]
