#!/bin/sh
# tests/vm/diff-runner.sh: differential runner, run INSIDE the test VM (busybox sh).
#
#   diff-runner.sh --ref DIR/ipvsadm --ours DIR/ipvsadm CASE-FILE...
#
# Runs every case file (format: tests/cases/README.md) twice, each time in a fresh network
# namespace: once with the reference binary, once with ours.  Each binary must be a file
# named exactly `ipvsadm` in a directory of its own; that directory is put first in PATH
# so that a case's `ipvsadm` (and argv[0] in messages) is the binary under test.
# For every compared line stdout, stderr and the exit status must be byte-identical.
# Prints `PASS <case>` or `FAIL <case>` with unified diffs, then `N passed, N failed`.
# Exit status: 0 if all cases passed, 1 if any failed, 2 on a usage error.
set -u

IP=/usr/sbin/ip # busybox's ip applet has no netns support
LINE_TIMEOUT=${LINE_TIMEOUT:-60}

ref="" ours=""
while [ $# -gt 0 ]; do
	case $1 in
	--ref) ref=$2; shift 2 ;;
	--ours) ours=$2; shift 2 ;;
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

work=$(mktemp -d /tmp/diffrun.XXXXXX)
nsn=0

# A fresh namespace with lo up, a dummy interface carrying addresses of the documentation
# ranges and default routes, so that real servers in those ranges count as unicast.
ns_create() {
	$IP netns add "$1" || return 1
	$IP -n "$1" -batch - <<EOF
link set lo up
link add d0 type dummy
link set d0 up
addr add 192.0.2.254/24 dev d0
addr add 198.51.100.254/24 dev d0
addr add 203.0.113.254/24 dev d0
addr add 198.18.0.254/15 dev d0
addr add 2001:db8:ffff::fe/48 dev d0 nodad
route add default dev d0
route add ::/0 dev d0
EOF
}

# run_case CASE-FILE IMPL-NAME BINARY OUTDIR: run all lines of the case with one binary.
# Compared line k leaves OUTDIR/k.out, k.err, k.rc; OUTDIR/k.cmd holds the command.
run_case() {
	case_file=$1 bindir=${3%/*} out=$4
	nsn=$((nsn + 1))
	ns=dt$nsn-$2
	mkdir -p "$out"
	: >"$out/stdin"
	if ! ns_create "$ns" >"$out/ns.log" 2>&1; then
		echo "cannot create namespace $ns:" >&2
		cat "$out/ns.log" >&2
		$IP netns del "$ns" 2>/dev/null
		return 1
	fi
	k=0 have_stdin=0
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'' | '#'*) continue ;;
		'<') printf '\n' >>"$out/stdin"; have_stdin=1; continue ;;
		'< '*) printf '%s\n' "${line#< }" >>"$out/stdin"; have_stdin=1; continue ;;
		'@ '*)
			cmd=${line#@ }
			timeout "$LINE_TIMEOUT" $IP netns exec "$ns" env PATH="$bindir:$PATH" \
				sh -c "$cmd" </dev/null >"$out/setup.log" 2>&1
			rc=$?
			[ $rc = 0 ] || echo "  note ($2): setup line exited $rc: $cmd" >>"$out/notes"
			continue
			;;
		esac
		k=$((k + 1))
		printf '%s\n' "$line" >"$out/$k.cmd"
		if [ $have_stdin = 1 ]; then
			mv "$out/stdin" "$out/$k.stdin"
			: >"$out/stdin"
			have_stdin=0
		else
			: >"$out/$k.stdin"
		fi
		timeout "$LINE_TIMEOUT" $IP netns exec "$ns" env PATH="$bindir:$PATH" \
			sh -c "$line" <"$out/$k.stdin" >"$out/$k.out" 2>"$out/$k.err"
		echo $? >"$out/$k.rc"
	done <"$case_file"
	echo "$k" >"$out/count"
	$IP netns del "$ns"
	return 0
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
	if ! run_case "$case_file" ref "$ref" "$dir/ref" || ! run_case "$case_file" ours "$ours" "$dir/ours"; then
		echo "FAIL $name: could not run"
		failed=$((failed + 1))
		continue
	fi
	bad=0 report=$dir/report
	: >"$report"
	n=$(cat "$dir/ref/count")
	k=1
	while [ "$k" -le "$n" ]; do
		line_bad=0
		for s in out err rc; do
			cmp -s "$dir/ref/$k.$s" "$dir/ours/$k.$s" && continue
			if [ $line_bad = 0 ]; then
				echo "  line $k: $(cat "$dir/ref/$k.cmd")" >>"$report"
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
		cat "$dir/ref/notes" 2>/dev/null
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		cat "$report"
		cat "$dir/ref/notes" "$dir/ours/notes" 2>/dev/null
		failed=$((failed + 1))
	fi
done
rm -rf "$work"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
