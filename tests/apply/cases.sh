# tests/apply/cases.sh: sourced by tests/apply/vm-run.sh (busybox sh, in the VM) after
# checks.sh and case-netns.sh: the cases of issue 20, each in its own namespace, each named
# `ok - NAME: ...`. Uses OURS, APPLY, REF, IP and W from vm-run.sh.

# run_in NS CMD...: runs CMD in namespace NS, its output in $W/out and $W/err, its status
# in $st.
run_in() {
	ns=$1
	shift
	$IP netns exec "$ns" "$@" >$W/out 2>$W/err
	st=$?
}

# sn NS FILE: the namespace's table as our -Sn prints it.
sn() { $IP netns exec "$1" $OURS -Sn >"$2"; }

# A small table to start from.
cat >$W/base.rules <<'R'
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 2
-A -u 192.0.2.2:53 -s wlc
-a -u 192.0.2.2:53 -r 198.51.100.3:53 -m -w 1
R

# case_setup NS: a fresh namespace holding base.rules; its -Sn in $W/NS.before.
case_setup() {
	ns_create "$1" || return 1
	$IP netns exec "$1" $APPLY <$W/base.rules || return 1
	sn "$1" $W/$1.before
}

# ---- item 1: a rules source that cannot be read changes nothing --------------------------
case_unreadable() {
	case_setup c1 || { bad "unreadable-rules: setup"; return; }
	mkdir -p $W/adir
	why=""
	run_in c1 $APPLY --apply $W/adir
	[ $st = 2 ] || why="$why --apply DIR exited $st;"
	grep -qx "ipvsadm-restore: cannot read $W/adir: Is a directory" $W/err || why="$why --apply DIR said: $(cat $W/err);"
	sn c1 $W/c1.after
	cmp -s $W/c1.before $W/c1.after || why="$why --apply DIR changed the table;"
	$IP netns exec c1 $APPLY --apply <$W/adir >$W/out 2>$W/err
	st=$?
	[ $st = 2 ] || why="$why --apply <DIR exited $st;"
	grep -qx "ipvsadm-restore: cannot read standard input: Is a directory" $W/err || why="$why --apply <DIR said: $(cat $W/err);"
	$IP netns exec c1 $APPLY --apply --dry-run <$W/adir >$W/out 2>$W/err
	st=$?
	[ $st = 2 ] && [ ! -s $W/out ] || why="$why --apply --dry-run <DIR exited $st, printed $(cat $W/out);"
	$IP netns exec c1 $APPLY --apply --json <$W/adir >$W/out 2>$W/err
	st=$?
	[ $st = 2 ] || why="$why --apply --json <DIR exited $st;"
	grep -qx "ipvsadm-restore: cannot read standard input: Is a directory" $W/err || why="$why --apply --json <DIR said: $(cat $W/err);"
	sn c1 $W/c1.after
	cmp -s $W/c1.before $W/c1.after || why="$why --apply <DIR changed the table;"
	run_in c1 $APPLY --apply $W/no-such-file
	[ $st = 2 ] && grep -qx "ipvsadm-restore: cannot read $W/no-such-file: No such file or directory" $W/err ||
		why="$why --apply MISSING exited $st: $(cat $W/err);"
	$IP netns exec c1 $APPLY --test <$W/adir >$W/out 2>$W/err
	st=$?
	[ $st = 2 ] && grep -qx "ipvsadm-restore: cannot read standard input: Is a directory" $W/err ||
		why="$why --test <DIR exited $st: $(cat $W/err);"
	if [ -z "$why" ]; then
		ok "unreadable-rules: --apply, --dry-run, --json and --test of a directory or a missing file exit 2 with 'cannot read NAME: REASON', the table unchanged"
	else
		bad "unreadable-rules:$why" "$(diff $W/c1.before $W/c1.after)"
	fi
	ns_delete c1
}

# ---- item 2: --test FILE checks FILE ------------------------------------------------------
case_test_file() {
	printf '%s\n' '-A -t 192.0.2.9:80 -s rr' '-a -t 192.0.2.9:80 -r 198.51.100.1 --bogus' >$W/bad.rules
	why=""
	$APPLY --test $W/bad.rules </dev/null >$W/out 2>$W/err
	st=$?
	[ $st = 2 ] && grep -q "^line 2: " $W/err || why="$why --test BAD </dev/null exited $st: $(cat $W/err);"
	$APPLY --test $W/base.rules <$W/bad.rules >$W/out 2>$W/err
	st=$?
	[ $st = 0 ] || why="$why --test GOOD <BAD exited $st: $(cat $W/err);"
	grep -qx "ipvsadm-restore: checked $W/base.rules, not standard input" $W/err || why="$why --test GOOD <BAD did not say which it read: $(cat $W/err);"
	$APPLY $W/base.rules </dev/null >$W/out 2>$W/err
	st=$?
	[ $st = 2 ] || why="$why a FILE without --apply or --test exited $st;"
	if [ -z "$why" ]; then
		ok "test-reads-file: --test FILE checks FILE (bad: status 2 with its line, good: 0 whatever standard input holds, saying which it read); a FILE alone is a usage error"
	else
		bad "test-reads-file:$why"
	fi
}

# ---- item 3: rules without any service are refused unless --allow-empty -----------------
case_empty() {
	case_setup c3 || { bad "empty-guard: setup"; return; }
	why=""
	: >$W/empty.rules
	printf '%s\n' '# only a comment' '' '# -A -t 192.0.2.1:80 -s rr' >$W/comments.rules
	for f in empty comments; do
		run_in c3 $APPLY --apply $W/$f.rules
		[ $st = 2 ] || why="$why --apply $f exited $st;"
		grep -q "holds no service" $W/err || why="$why --apply $f said: $(cat $W/err | tr '\n' ' ');"
		$IP netns exec c3 $APPLY --apply <$W/$f.rules >$W/out 2>$W/err
		[ $? = 2 ] || why="$why --apply <$f did not exit 2;"
		$IP netns exec c3 $APPLY --apply --dry-run <$W/$f.rules >$W/out 2>$W/err
		[ $? = 2 ] || why="$why --apply --dry-run <$f did not exit 2;"
	done
	echo '[]' | $IP netns exec c3 $APPLY --apply --json >$W/out 2>$W/err
	[ $? = 2 ] || why="$why --apply --json [] did not exit 2;"
	sn c3 $W/c3.after
	cmp -s $W/c3.before $W/c3.after || why="$why a refused empty file changed the table;"
	run_in c3 $APPLY --apply --allow-empty $W/comments.rules
	[ $st = 0 ] || why="$why --apply --allow-empty exited $st: $(cat $W/err);"
	sn c3 $W/c3.after
	[ -s $W/c3.after ] && why="$why --apply --allow-empty left services;"
	if [ -z "$why" ]; then
		ok "empty-guard: an empty file, comments only, [] in JSON: --apply and --dry-run exit 2 and change nothing; --allow-empty clears"
	else
		bad "empty-guard:$why"
	fi
	ns_delete c3
}

# ---- item 7: "cannot reach IPVS" has its own status ---------------------------------------
case_unreachable() {
	case_setup c7 || { bad "unreachable-status: setup"; return; }
	why=""
	$APPLY --apply --netns no-such-ns $W/base.rules >$W/out 2>$W/err
	st=$?
	[ $st = 3 ] || why="$why --netns no-such-ns exited $st: $(cat $W/err | tr '\n' ' ');"
	$APPLY --apply --dry-run --netns no-such-ns $W/base.rules >$W/out 2>$W/err
	st=$?
	[ $st = 3 ] || why="$why --dry-run --netns no-such-ns exited $st;"
	# Root of a new user namespace has no CAP_NET_ADMIN over the namespace it came from.
	if unshare -U -r true 2>/dev/null; then
		$IP netns exec c7 unshare -U -r $APPLY --apply --dry-run $W/base.rules >$W/out 2>$W/err
		st=$?
		[ $st = 3 ] || why="$why --dry-run without CAP_NET_ADMIN exited $st: $(cat $W/err | tr '\n' ' ');"
		$IP netns exec c7 unshare -U -r $APPLY --apply $W/bad.rules >$W/out 2>$W/err
		st=$?
		[ $st = 2 ] || why="$why bad rules without CAP_NET_ADMIN exited $st (the rules come first);"
	else
		why="$why busybox unshare -U -r does not work here;"
	fi
	run_in c7 $APPLY --apply $W/bad.rules
	[ $st = 2 ] || why="$why bad rules exited $st;"
	sn c7 $W/c7.after
	cmp -s $W/c7.before $W/c7.after || why="$why the table changed;"
	if [ -z "$why" ]; then
		ok "unreachable-status: no such namespace and no CAP_NET_ADMIN exit 3 (--apply and --dry-run), bad rules 2, nothing changed"
	else
		bad "unreachable-status:$why"
	fi
	ns_delete c7
}

case_unreadable
case_test_file
case_empty
case_unreachable
