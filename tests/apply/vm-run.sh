#!/bin/sh
# tests/apply/vm-run.sh: in the VM (busybox sh), the corpus and churn checks of
# tests/apply/run.sh. Our binaries are /payload/bin/ipvsadm and ipvsadm-restore; the
# reference is /usr/sbin/ipvsadm. Prints `ok - ...`/`not ok - ...` and, last,
# `N passed, N failed`.
IP=/usr/sbin/ip
. ./case-netns.sh
OURS=/payload/bin/ipvsadm
APPLY=/payload/bin/ipvsadm-restore
REF=/usr/sbin/ipvsadm
. ./checks.sh
W=/tmp/apply
mkdir -p $W

# CASES_ONLY=1: only the cases of tests/apply/cases.sh.
if [ "${CASES_ONLY:-0}" = 1 ]; then
	. ./cases.sh
	checks_done
	exit
fi

# ---- the corpus: --apply against the reference's flush and restore ----------------------
# Some wanted tables are empty: --allow-empty lets them through (the guard against empty
# rules has its own case, empty-guard). Each side runs in one namespace and one shell (entering a namespace costs as much as a
# command here): first every pair through --apply, then every wanted table through the
# reference's flush and restore; then the results are compared. A scoped pair (NNN.scope:
# its --scope terms) has the foreign services of corpus/foreign.rules added to its current
# table, and the reference restores them with the wanted table: they must be left as they
# were. Wanted files that name timeouts or sync daemons are compared on those too (-L
# --timeout and -L --daemon after -Sn). Both sides stop the daemons after such a pair:
# while a sync daemon runs the kernel refuses real servers of the other family, which the
# other pairs have.
ns_create ap || exit 2
ns_create rf || exit 2
mkdir -p $W/c
t0=$(cut -d' ' -f1 /proc/uptime)
$IP netns exec ap sh -c '
n=0
for cur in corpus/*.cur; do
	des=${cur%.cur}.des
	o=$0/c/$(basename "$cur" .cur)
	n=$((n + 1))
	$2 <"$cur" 2>$o.load-err || echo "the current table does not load" >>$o.problems
	scope=""
	if [ -f ${cur%.cur}.scope ]; then
		scope=$(cat ${cur%.cur}.scope)
		$2 --noflush <corpus/foreign.rules 2>>$o.load-err || echo "the foreign services do not load" >>$o.problems
	fi
	drain=""
	[ $((n % 3)) = 0 ] && drain="--drain 5" && touch $o.drained
	$2 --apply --allow-empty $drain $scope "$des" 2>$o.apply-err || echo "--apply exited $?" >>$o.problems
	{ $1 -Sn; $1 -L --timeout; $1 -L --daemon; } >$o.apply
	$2 --apply --allow-empty --dry-run $scope "$des" >$o.plan 2>$o.plan-err || echo "the second --apply --dry-run exited $?" >>$o.problems
	if grep -q -- "^--start-daemon" "$des"; then
		$1 --stop-daemon master 2>/dev/null
		$1 --stop-daemon backup 2>/dev/null
	fi
done' $W $OURS $APPLY
$IP netns exec rf sh -c '
for des in corpus/*.des; do
	o=$0/c/$(basename "$des" .des)
	foreign=/dev/null
	[ -f ${des%.des}.scope ] && foreign=corpus/foreign.rules
	{ echo -C; cat $foreign; grep -v "^#" "$des"; } | $2 -R 2>$o.ref-err
	{ $1 -Sn; $1 -L --timeout; $1 -L --daemon; } >$o.ref
	if grep -q -- "^--start-daemon" "$des"; then
		$2 --stop-daemon master 2>/dev/null
		$2 --stop-daemon backup 2>/dev/null
	fi
done' $W $OURS $REF
t1=$(cut -d' ' -f1 /proc/uptime)
n=0 drained=0 changes=0 corpus_bad=0 scoped=0 stated=0
for cur in corpus/*.cur; do
	name=$(basename "$cur" .cur)
	o=$W/c/$name
	n=$((n + 1))
	[ -f $o.drained ] && drained=$((drained + 1))
	[ -f ${cur%.cur}.scope ] && scoped=$((scoped + 1))
	grep -q -e '^--set' -e '^--start-daemon' ${cur%.cur}.des && stated=$((stated + 1))
	cmp -s $o.apply $o.ref || echo "-Sn, the timeouts or the daemons differ from the reference's flush and restore" >>$o.problems
	[ -s $o.plan ] && echo "the second plan is not empty" >>$o.problems
	set -- $(grep -o '[0-9]* added, [0-9]* edited, [0-9]* removed' $o.apply-err)
	changes=$((changes + ${1:-0} + ${3:-0} + ${5:-0}))
	if [ -s $o.problems ]; then
		corpus_bad=$((corpus_bad + 1))
		bad "$name: $(cat $o.problems | tr '\n' ';')" "apply: $(cat $o.apply-err)" \
			"reference restore: $(cat $o.ref-err)" "$(diff $o.ref $o.apply | head -20)" \
			"second plan: $(cat $o.plan)"
	fi
done
if [ $corpus_bad = 0 ] && [ $n -ge 200 ]; then
	ok "corpus: $n pairs ($drained with --drain, $scoped scoped beside foreign services, $stated with timeouts or daemons), $changes changes: every -Sn (timeouts, daemons) after --apply equals the reference's flush and restore, every second --apply has nothing to do ($(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.0f", b - a }') s)"
else
	bad "corpus: $corpus_bad of $n pairs failed (at least 200 needed)"
fi
$IP netns del ap
$IP netns del rf

# ---- the cases: unreadable rules, --test FILE, scope, locking, undo, ... ---------------
. ./cases.sh

# ---- churn ---------------------------------------------------------------------------------
. ./churn.sh

checks_done
