#!/bin/sh
# tests/vm/expect-runner.sh: runs expectation cases INSIDE the test VM (busybox sh).
#
#   expect-runner.sh --ours DIR/ipvsadm CASE-FILE...
#
# For behaviour where we deliberately differ from the reference (the README's deviations),
# there is nothing to compare against: each case states the expected output itself.
# Format (tests/deviations/README.md): `$ CMD` runs CMD (sh -c, `ipvsadm` = ours) in the
# case's namespace; the lines after it until the next `$` say what it must print:
# `> TEXT` a line of stdout, `! TEXT` a line of stderr, `? N` the exit status (default 0),
# `< TEXT` a line of its stdin; `@ CMD` is an unchecked setup command; `#` comments.
# Each case gets a fresh namespace like the differential runner's (lo, dummy d0 with
# documentation-range addresses and default routes). Prints PASS/FAIL per case with diffs,
# then `N passed, N failed`.
set -u
IP=/usr/sbin/ip

ours=""
[ "${1:-}" = --ours ] && { ours=$2; shift 2; }
[ -x "$ours" ] || { echo "expect-runner: --ours must name our ipvsadm" >&2; exit 2; }
export PATH="$(dirname "$ours"):$PATH"

. "$(dirname "$0")/case-netns.sh"

pass=0 fail=0 n=0
for case in "$@"; do
	name=$(basename "$case" .case)
	n=$((n + 1))
	ns=ex$n
	w=/tmp/expect-$n
	rm -rf "$w"; mkdir -p "$w"
	ns_create $ns
	ok=1 report=""
	k=0
	# Split the case into steps: k.cmd, k.in, k.out, k.err, k.rc, k.setup
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		'$ '*) k=$((k + 1)); printf '%s\n' "${line#\$ }" >$w/$k.cmd; : >$w/$k.in; : >$w/$k.out; : >$w/$k.err; echo 0 >$w/$k.rc ;;
		'@ '*) k=$((k + 1)); printf '%s\n' "${line#@ }" >$w/$k.cmd; touch $w/$k.setup ;;
		'> '*) printf '%s\n' "${line#> }" >>$w/$k.out ;;
		'>') echo >>$w/$k.out ;;
		'! '*) printf '%s\n' "${line#! }" >>$w/$k.err ;;
		'!') echo >>$w/$k.err ;;
		'< '*) printf '%s\n' "${line#< }" >>$w/$k.in ;;
		'<') echo >>$w/$k.in ;;
		'? '*) echo "${line#? }" >$w/$k.rc ;;
		'#'* | '') ;;
		*) echo "expect-runner: $name: cannot read line: $line" >&2; ok=0 ;;
		esac
	done <"$case"
	i=1
	while [ $i -le $k ]; do
		cmd=$(cat $w/$i.cmd)
		if [ -e $w/$i.setup ]; then
			$IP netns exec $ns sh -c "$cmd" </dev/null >/dev/null 2>&1
		else
			$IP netns exec $ns sh -c "$cmd" <$w/$i.in >$w/$i.got-out 2>$w/$i.got-err
			echo $? >$w/$i.got-rc
			for s in out err rc; do
				if ! cmp -s $w/$i.$s $w/$i.got-$s; then
					ok=0
					report="$report
  \$ $cmd: $s differs:
$(diff -u $w/$i.$s $w/$i.got-$s | sed 's/^/    /')"
				fi
			done
		fi
		i=$((i + 1))
	done
	ns_delete $ns
	if [ $ok = 1 ]; then
		pass=$((pass + 1)); echo "PASS $name ($k steps)"
	else
		fail=$((fail + 1)); echo "FAIL $name$report"
	fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
