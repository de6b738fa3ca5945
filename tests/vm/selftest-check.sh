#!/bin/sh
# tests/vm/selftest-check.sh: runs INSIDE the VM (from the payload built by difftest.sh
# --selftest or --selftest-only).  Proves that diff-runner.sh fails a wrong binary:
#  1. reference vs reference on selftest/*.case: every case must pass;
#  2. reference vs wrong/ipvsadm (tests/vm/wrong-ipvsadm.sh): each case must get the
#     verdict its `# expect: pass|fail` line names, failures must show a unified diff,
#     the summary line must match and the runner must exit non-zero.
# Output lines of the inner runs are prefixed with "selftest| ".  Exit 0 only if all holds.
set -u
cd /payload || exit 2
out=/tmp/selftest.out
bad=0
problem() { echo "selftest: PROBLEM: $*"; bad=1; }

sh ./diff-runner.sh --ref ref/ipvsadm --ours ref/ipvsadm selftest/*.case >$out 2>&1
rc=$?
sed 's/^/selftest| /' $out
ncase=$(ls selftest/*.case | wc -l)
[ $rc = 0 ] || problem "reference vs reference: runner exited $rc"
grep -qx "$ncase passed, 0 failed" $out || problem "reference vs reference: not all $ncase passed"

sh ./diff-runner.sh --ref ref/ipvsadm --ours wrong/ipvsadm selftest/*.case >$out 2>&1
rc=$?
sed 's/^/selftest| /' $out
[ $rc = 1 ] || problem "reference vs wrong: runner exited $rc, expected 1"
np=0 nf=0
for c in selftest/*.case; do
	n=${c##*/}
	n=${n%.case}
	case $(sed -n 's/^# expect: *\([a-z]*\).*/\1/p' "$c") in
	pass)
		np=$((np + 1))
		grep -q "^PASS $n " $out || problem "$n should have passed"
		;;
	fail)
		nf=$((nf + 1))
		grep -qx "FAIL $n" $out || problem "$n should have failed"
		;;
	*) problem "$c has no '# expect: pass|fail' line" ;;
	esac
done
grep -qx "$np passed, $nf failed" $out || problem "summary is not '$np passed, $nf failed'"
grep -q '^    --- reference ' $out && grep -q '^    +++ ours ' $out && grep -q '^    @@ ' $out ||
	problem "no unified diff in the report"
for s in stdout stderr "exit status"; do
	grep -q "^  $s differs:" $out || problem "no '$s differs' report"
done
if [ $bad = 0 ]; then
	echo "selftest: OK (the runner passed the reference and failed the wrong binary as expected)"
else
	echo "selftest: FAILED"
fi
exit $bad
