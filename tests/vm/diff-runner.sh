#!/bin/sh
# tests/vm/diff-runner.sh: differential runner, run INSIDE the test VM (busybox sh).
#
#   diff-runner.sh [--show] --ref DIR/ipvsadm --ours DIR/ipvsadm CASE-FILE...
#
# Runs every case file (format: tests/cases/README.md) twice, each time in a fresh network
# namespace: once with the reference binary, once with ours.  Each binary must be a file
# named exactly `ipvsadm` in a directory of its own; that directory is put first in PATH
# so that a case's `ipvsadm` (and argv[0] in messages) is the binary under test.
# For every compared line stdout, stderr and the exit status must be byte-identical.
# Prints `PASS <case>` or `FAIL <case>` with unified diffs, then `N passed, N failed`.
# --show also prints the reference's transcript of every case (command, stdout, stderr,
# exit status), to review what a new case really tests.
# Exit status: 0 if all cases passed, 1 if any failed, 2 on a usage error.
#
# How a case runs: the case file is parsed once into a directory of steps (see parse_case);
# then for each binary one `ip netns exec NS sh diff-runner.sh --exec STEPS OUT` process
# runs all the steps, so each line costs one `sh -c` and the binary, nothing more.
set -u

IP=/usr/sbin/ip # busybox's ip applet has no netns support
LINE_TIMEOUT=${LINE_TIMEOUT:-60}
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

# --exec STEPS OUT: (inside the namespace, PATH already set) run the parsed steps.
# A step `s N` is setup line N (N.cmd), `c N` is compared line N (N.cmd, N.stdin), leaving
# OUT/N.out, OUT/N.err, OUT/N.rc.  Setup failures are noted in OUT/notes.
if [ "${1:-}" = --exec ]; then
	steps=$2 out=$3
	while read -r kind n; do
		IFS= read -r line <"$steps/$n.cmd"
		if [ "$kind" = s ]; then
			timeout "$LINE_TIMEOUT" sh -c "$line" </dev/null >/dev/null 2>&1
			rc=$?
			[ $rc = 0 ] || echo "  note: setup line exited $rc: $line" >>"$out/notes"
		else
			timeout "$LINE_TIMEOUT" sh -c "$line" <"$steps/$n.stdin" >"$out/$n.out" 2>"$out/$n.err"
			echo $? >"$out/$n.rc"
		fi
	done <"$steps/steps"
	exit 0
fi

ref="" ours="" show=0
while [ $# -gt 0 ]; do
	case $1 in
	--ref) ref=$2; shift 2 ;;
	--ours) ours=$2; shift 2 ;;
	--show) show=1; shift ;;
	--) shift; break ;;
	-*) echo "diff-runner: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
for b in "$ref" "$ours"; do
	if [ -z "$b" ] || [ ! -x "$b" ] || [ "${b##*/}" != ipvsadm ]; then
		echo "diff-runner: --ref and --ours must name executables called ipvsadm (got '$b')" >&2
		exit 2
	fi
done
[ $# -gt 0 ] || { echo "diff-runner: no case files" >&2; exit 2; }
case $ref in /*) ;; *) ref=$(pwd)/$ref ;; esac
case $ours in /*) ;; *) ours=$(pwd)/$ours ;; esac

work=$(mktemp -d /tmp/diffrun.XXXXXX)
nsn=0

# parse_case CASE-FILE STEPS: write STEPS/steps (lines `s N` / `c N`), N.cmd and, for
# compared lines, N.stdin; STEPS/count = number of compared lines.  Numbering: compared
# lines are 1..count in order; setup lines get s1, s2, ...
parse_case() {
	mkdir -p "$2"
	: >"$2/steps"
	: >"$2/stdin"
	k=0 nsetup=0
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'' | '#'*) ;;
		'<') printf '\n' >>"$2/stdin" ;;
		'< '*) printf '%s\n' "${line#< }" >>"$2/stdin" ;;
		'@ '*)
			nsetup=$((nsetup + 1))
			printf '%s\n' "${line#@ }" >"$2/s$nsetup.cmd"
			echo "s s$nsetup" >>"$2/steps"
			;;
		*)
			k=$((k + 1))
			printf '%s\n' "$line" >"$2/$k.cmd"
			mv "$2/stdin" "$2/$k.stdin"
			: >"$2/stdin"
			echo "c $k" >>"$2/steps"
			;;
		esac
	done <"$1"
	echo "$k" >"$2/count"
}

# ns_create NAME: see case-netns.sh beside this file.
. "$(dirname "$self")/case-netns.sh"

# run_case STEPS IMPL-NAME BINARY OUT: run the parsed case with one binary in a fresh netns.
run_case() {
	nsn=$((nsn + 1))
	ns=dt$nsn-$2
	mkdir -p "$4"
	if ! ns_create "$ns" >"$4/ns.log" 2>&1; then
		echo "cannot create namespace $ns:" >&2
		cat "$4/ns.log" >&2
		$IP netns del "$ns" 2>/dev/null
		return 1
	fi
	$IP netns exec "$ns" env PATH="${3%/*}:$PATH" sh "$self" --exec "$1" "$4"
	rc=$?
	ns_delete "$ns"
	return $rc
}

show_transcript() {
	echo "---- $1 (reference)"
	k=1
	while [ "$k" -le "$(cat "$2/count")" ]; do
		echo "\$ $(cat "$2/$k.cmd")"
		[ ! -s "$2/$k.stdin" ] || sed 's/^/stdin< /' "$2/$k.stdin"
		sed 's/$/$/' "$3/$k.out"
		sed 's/^/stderr: /; s/$/$/' "$3/$k.err"
		echo "[exit $(cat "$3/$k.rc")]"
		k=$((k + 1))
	done
}

passed=0 failed=0
for case_file in "$@"; do
	name=${case_file##*/}
	name=${name%.case}
	dir=$work/$name
	if [ ! -r "$case_file" ]; then
		echo "FAIL $name: cannot read $case_file"
		failed=$((failed + 1))
		continue
	fi
	parse_case "$case_file" "$dir/steps"
	if ! run_case "$dir/steps" ref "$ref" "$dir/ref" || ! run_case "$dir/steps" ours "$ours" "$dir/ours"; then
		echo "FAIL $name: could not run"
		failed=$((failed + 1))
		continue
	fi
	[ $show = 0 ] || show_transcript "$name" "$dir/steps" "$dir/ref"
	bad=0 report=$dir/report
	: >"$report"
	n=$(cat "$dir/steps/count")
	k=1
	while [ "$k" -le "$n" ]; do
		line_bad=0
		for s in out err rc; do
			cmp -s "$dir/ref/$k.$s" "$dir/ours/$k.$s" && continue
			if [ $line_bad = 0 ]; then
				echo "  line $k: $(cat "$dir/steps/$k.cmd")" >>"$report"
				line_bad=1
			fi
			case $s in out) label=stdout ;; err) label=stderr ;; rc) label="exit status" ;; esac
			echo "  $label differs:" >>"$report"
			diff -u -L "reference $label" -L "ours $label" "$dir/ref/$k.$s" "$dir/ours/$k.$s" |
				sed 's/^/    /' >>"$report"
		done
		[ $line_bad = 0 ] || bad=1
		k=$((k + 1))
	done
	if [ $bad = 0 ]; then
		echo "PASS $name ($n lines)"
		passed=$((passed + 1))
		sed 's/^/  (reference) /' "$dir/ref/notes" 2>/dev/null
	else
		echo "FAIL $name"
		cat "$report"
		sed 's/^/  (reference) /' "$dir/ref/notes" 2>/dev/null
		sed 's/^/  (ours) /' "$dir/ours/notes" 2>/dev/null
		failed=$((failed + 1))
	fi
done
rm -rf "$work"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
