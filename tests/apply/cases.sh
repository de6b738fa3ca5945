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

# ---- item 4: --scope: services outside it are never touched nor shown ---------------------
case_scope() {
	ns_create c4 || { bad "scope-foreign: setup"; return; }
	# Another owner's services (keepalived's, kube-proxy's): outside the scope below.
	cat >$W/foreign.rules <<'R'
-A -t 203.0.113.10:443 -s wlc -p 300
-a -t 203.0.113.10:443 -r 198.51.100.20:443 -g -w 3
-A -t 192.0.2.200:80 -s rr
-a -t 192.0.2.200:80 -r 198.51.100.21:80 -m -w 1
-A -f 5 -s rr
-a -f 5 -r 198.51.100.22:0 -g -w 1
-A -u [2001:db8:ffff::10]:53 -s rr
-a -u [2001:db8:ffff::10]:53 -r [2001:db8:ffff::20]:53 -m -w 1
R
	# Ours: TCP 192.0.2.0/25 port 80-89, fwmarks 100-199, IPv6 2001:db8:1::/48.
	cat >$W/ours-old.rules <<'R'
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1
-A -t 192.0.2.2:81 -s rr
-a -t 192.0.2.2:81 -r 198.51.100.1:81 -m -w 1
-A -f 150 -s rr
-a -f 150 -r 198.51.100.3:0 -g -w 1
R
	cat >$W/ours-new.rules <<'R'
-A -t 192.0.2.1:80 -s wlc
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 4
-a -t 192.0.2.1:80 -r 198.51.100.4:80 -m -w 2
-A -f 150 -s rr
-a -f 150 -r 198.51.100.3:0 -g -w 2
-A -f 160 -s sh
-a -f 160 -r 198.51.100.5:0 -g -w 1
-A -u [2001:db8:1::1]:53 -s rr
-a -u [2001:db8:1::1]:53 -r [2001:db8:ffff::21]:53 -m -w 1
R
	scope="--scope addr=192.0.2.0/25,proto=tcp,port=80-89 --scope fwmark=100-199 --scope addr=2001:db8:1::/48"
	why=""
	$IP netns exec c4 $APPLY <$W/foreign.rules
	$IP netns exec c4 $APPLY --noflush <$W/ours-old.rules
	sn c4 $W/c4.before
	# The table the reference builds from the foreign services and ours-new, for comparison.
	ns_create c4r
	{ echo -C; cat $W/foreign.rules $W/ours-new.rules; } | $IP netns exec c4r $REF -R
	sn c4r $W/c4.want
	ns_delete c4r
	# --dry-run shows our changes only.
	run_in c4 $APPLY --apply --dry-run $scope $W/ours-new.rules
	[ $st = 1 ] || why="$why --dry-run exited $st: $(cat $W/err | tr '\n' ' ');"
	grep -qE '203\.0\.113\.10|192\.0\.2\.200|-f 5 |2001:db8:ffff::10' $W/out && why="$why the plan shows a foreign service: $(cat $W/out | tr '\n' ' ');"
	grep -q 'no --scope' $W/err && why="$why a scoped --dry-run says it covers the whole table;"
	# A rule outside the scope is refused with its line, nothing changed.
	{ cat $W/ours-new.rules; echo '-A -t 192.0.2.200:80 -s rr'; } >$W/outside.rules
	run_in c4 $APPLY --apply $scope $W/outside.rules
	[ $st = 2 ] || why="$why a rule outside the scope exited $st;"
	grep -q '^line 10: .*outside the --scope' $W/err || why="$why a rule outside the scope said: $(cat $W/err | tr '\n' ' ');"
	sn c4 $W/c4.after
	cmp -s $W/c4.before $W/c4.after || why="$why the refused file changed the table;"
	# The apply: foreign services byte-identical, ours as the file says.
	run_in c4 $APPLY --apply --drain 1 $scope $W/ours-new.rules
	[ $st = 0 ] || why="$why --apply exited $st: $(cat $W/err | tr '\n' ' ');"
	sn c4 $W/c4.after
	cmp -s $W/c4.want $W/c4.after || why="$why -Sn after --apply differs from the foreign services plus ours-new;"
	run_in c4 $APPLY --apply --dry-run $scope $W/ours-new.rules
	[ $st = 0 ] && [ ! -s $W/out ] || why="$why the second --dry-run exited $st: $(cat $W/out);"
	# Without a scope, --dry-run says in one line that it covers the whole table.
	run_in c4 $APPLY --apply --dry-run $W/ours-new.rules
	[ "$(grep -c 'no --scope: the plan covers the whole IPVS table' $W/err)" = 1 ] || why="$why an unscoped --dry-run did not say it covers the whole table: $(cat $W/err | tr '\n' ' ');"
	if [ -z "$why" ]; then
		ok "scope-foreign: with three --scope terms (v4 prefix+proto+ports, fwmark range, v6 prefix) --apply --drain changed ours only, four foreign services byte-identical, none in the plan; a rule outside the scope is status 2 with its line; an unscoped --dry-run says so"
	else
		bad "scope-foreign:$why" "$(diff $W/c4.want $W/c4.after)"
	fi
	ns_delete c4
}

# ---- item 11: two applies at once end in one file's table, never a mix ---------------------
# gen_rules WEIGHT SCHED: 50 services of two real servers each.
gen_rules() {
	i=1
	while [ $i -le 50 ]; do
		echo "-A -t 192.0.2.$i:80 -s $2"
		echo "-a -t 192.0.2.$i:80 -r 198.51.100.1:80 -m -w $1"
		echo "-a -t 192.0.2.$i:80 -r 198.51.100.2:80 -m -w $1"
		i=$((i + 1))
	done
}
case_race() {
	races=${RACES:-12}
	ns_create c11 || { bad "apply-lock-race: setup"; return; }
	gen_rules 1 rr >$W/race-c.rules
	gen_rules 3 rr >$W/race-a.rules
	gen_rules 4 wlc >$W/race-b.rules
	why=""
	for f in a b; do
		$IP netns exec c11 $APPLY <$W/race-c.rules
		$IP netns exec c11 $APPLY --apply $W/race-$f.rules 2>/dev/null
		sn c11 $W/race-$f.want
	done
	cmp -s $W/race-a.want $W/race-b.want && why="$why the two files give the same table;"
	n=0 mixed=0 as_a=0 as_b=0
	while [ $n -lt $races ]; do
		n=$((n + 1))
		$IP netns exec c11 $APPLY <$W/race-c.rules
		$IP netns exec c11 $APPLY --apply $W/race-a.rules 2>$W/race-a.err &
		pa=$!
		$IP netns exec c11 $APPLY --apply $W/race-b.rules 2>$W/race-b.err &
		pb=$!
		wait $pa
		sa=$?
		wait $pb
		sb=$?
		[ $sa = 0 ] && [ $sb = 0 ] || why="$why race $n: statuses $sa and $sb ($(cat $W/race-a.err $W/race-b.err | tr '\n' ' '));"
		sn c11 $W/race.got
		if cmp -s $W/race.got $W/race-a.want; then
			as_a=$((as_a + 1))
		elif cmp -s $W/race.got $W/race-b.want; then
			as_b=$((as_b + 1))
		else
			mixed=$((mixed + 1))
		fi
	done
	[ $mixed = 0 ] || why="$why $mixed of $races races ended in a mix of both files;"
	# A holder that keeps the lock: a --dry-run whose plan (8,000 lines) fills a pipe that
	# nobody reads, so it blocks while it holds the lock. The wait is bounded and the
	# message names the holder's PID.
	ino=$($IP netns exec c11 stat -L -c %i /proc/self/ns/net)
	lockf=/run/ipvsadm-apply.$ino.lock
	awk 'BEGIN { for (i = 0; i < 8000; i++) printf "-A -t 198.18.%d.%d:80 -s rr\n", i / 250, i % 250 + 1 }' >$W/big.rules
	rm -f $W/fifo
	mkfifo $W/fifo
	exec 7<>$W/fifo
	$IP netns exec c11 $APPLY --apply --dry-run $W/big.rules >$W/fifo 2>/dev/null &
	holder=$!
	tries=0
	until [ "$(cat $lockf 2>/dev/null)" = "$holder" ]; do
		tries=$((tries + 1))
		[ $tries -gt 600 ] && why="$why the holder never took the lock;" && break
		usleep 50000
	done
	$IP netns exec c11 $APPLY --apply --wait 1 $W/race-a.rules >$W/out 2>$W/err
	st=$?
	[ $st = 5 ] || why="$why with the lock held --apply --wait 1 exited $st;"
	grep -q "(PID $holder) holds the lock of this network namespace" $W/err || why="$why the message does not name PID $holder: $(cat $W/err | tr '\n' ' ');"
	$IP netns exec c11 $APPLY --apply --dry-run --wait 0 $W/race-a.rules >$W/out 2>$W/err
	st=$?
	[ $st = 5 ] || why="$why with the lock held --dry-run --wait 0 exited $st;"
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	exec 7>&-
	if [ -z "$why" ]; then
		ok "apply-lock-race: $races races of two applies (weights 3 rr against weights 4 wlc, 50 services): $as_a ended as the first file, $as_b as the second, none mixed; a held lock gives status 5 naming the holder's PID after --wait"
	else
		bad "apply-lock-race:$why (first: $as_a, second: $as_b)"
	fi
	ns_delete c11
}

# ---- item 5: all or nothing --------------------------------------------------------------
case_undo() {
	ns_create c5 || { bad "undo-refused: setup"; return; }
	awk 'BEGIN { for (i = 1; i <= 50; i++) {
		printf "-A -t 198.18.1.%d:80 -s rr\n", i
		printf "-a -t 198.18.1.%d:80 -r 198.51.100.1:80 -m -w 1\n", i
		printf "-a -t 198.18.1.%d:80 -r 198.51.100.2:80 -m -w 1\n", i } }' >$W/undo-cur.rules
	# 200 changes: 50 weights edited, 50 real servers removed (with --drain: set to weight
	# 0), 50 services added with a real server each; the 25th new service names a
	# scheduler the kernel does not have.
	awk 'BEGIN { for (i = 1; i <= 50; i++) {
		printf "-A -t 198.18.1.%d:80 -s rr\n", i
		printf "-a -t 198.18.1.%d:80 -r 198.51.100.1:80 -m -w 2\n", i }
		for (i = 1; i <= 50; i++) {
		printf "-A -t 198.18.2.%d:80 -s %s\n", i, (i == 25 ? "nosuchsched" : "wrr")
		printf "-a -t 198.18.2.%d:80 -r 198.51.100.3:80 -m -w 1\n", i } }' >$W/undo-des.rules
	why=""
	$IP netns exec c5 $APPLY <$W/undo-cur.rules
	sn c5 $W/c5.before
	run_in c5 $APPLY --apply --dry-run $W/undo-des.rules
	planned=$(wc -l <$W/out)
	[ "$planned" = 200 ] || why="$why the plan has $planned changes, not 200;"
	for drain in "--drain 30" ""; do
		run_in c5 $APPLY --apply $drain $W/undo-des.rules
		[ $st = 4 ] || why="$why --apply $drain exited $st;"
		grep -q '^ipvsadm-restore: -A -t 198.18.2.25:80 -s nosuchsched: ' $W/err || why="$why --apply $drain did not report the refused line: $(head -3 $W/err | tr '\n' ' ');"
		grep -q 'undone: the table is as it was read' $W/err || why="$why --apply $drain did not say it undid: $(tail -3 $W/err | tr '\n' ' ');"
		sn c5 $W/c5.after
		cmp -s $W/c5.before $W/c5.after || why="$why after --apply $drain -Sn differs from before ($(diff $W/c5.before $W/c5.after | grep -c '^[-+][-]'));"
	done
	if [ -z "$why" ]; then
		ok "undo-refused: a 200-change plan (with and without --drain) with an unknown scheduler in the middle exits 4, reports the refused line, and -Sn is byte-identical to before (weights of draining servers back)"
	else
		bad "undo-refused:$why" "$(diff $W/c5.before $W/c5.after | head -10)"
	fi
	ns_delete c5
}

# ---- item 6: the offline check, and the boot path's numbered restore ----------------------
case_check() {
	case_setup c6 || { bad "offline-check: setup"; return; }
	printf '%s\n' '-A -t 192.0.2.1:80 -s rr' '-a -t 192.0.2.9:80 -r 198.51.100.1 -m' \
		'-A -t 192.0.2.1:80 -s rr' '-A -t 192.0.2.2:80 -s rr --bogus' '-A -f 7 -s rr' \
		'-a -f 7 -r 2001:db8::1 -m' '-A -u 203.0.113.1:53 -s rr' >$W/check.rules
	why=""
	# Without CAP_NET_ADMIN (root of a new user namespace): the check needs no IPVS.
	$IP netns exec c6 unshare -U -r $APPLY --apply --check --scope addr=192.0.2.0/24 --scope fwmark=1-10 $W/check.rules >$W/out 2>$W/err
	st=$?
	[ $st = 2 ] || why="$why the check of a bad file exited $st;"
	for n in 2 3 4 6 7; do
		grep -q "^line $n: " $W/err || why="$why line $n not reported;"
	done
	[ "$(grep -c '^line ' $W/err)" = 5 ] || why="$why $(grep -c '^line ' $W/err) lines reported, not 5: $(cat $W/err | tr '\n' ' ');"
	$IP netns exec c6 unshare -U -r $APPLY --apply --check $W/base.rules >$W/out 2>$W/err
	st=$?
	[ $st = 0 ] || why="$why the check of a good file exited $st: $(cat $W/err | tr '\n' ' ');"
	: >$W/empty.rules
	$IP netns exec c6 unshare -U -r $APPLY --apply --check $W/empty.rules >$W/out 2>$W/err
	[ $? = 2 ] || why="$why the check of an empty file did not exit 2;"
	sn c6 $W/c6.after
	cmp -s $W/c6.before $W/c6.after || why="$why a check changed the table;"
	# The boot path: load what loads, every failing line with its number, non-zero status.
	printf '%s\n' '# boot rules' '-A -t 192.0.2.1:80 -s rr' '-A -t 192.0.2.3:80 -s nosuchsched' \
		'-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m' '-A -t 192.0.2.4:80 -s rr --bogus' \
		'-A -t 192.0.2.5:80 -s wlc' >$W/boot.rules
	$IP netns exec c6 $APPLY --numbered <$W/boot.rules >$W/out 2>$W/err
	st=$?
	[ $st = 2 ] || why="$why --numbered exited $st;"
	grep -q '^line 3: ' $W/err && grep -q '^line 5: ' $W/err || why="$why --numbered did not name lines 3 and 5: $(cat $W/err | tr '\n' ' ');"
	sn c6 $W/c6.boot
	printf '%s\n' '-A -t 192.0.2.1:80 -s rr' '-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1' '-A -t 192.0.2.5:80 -s wlc' >$W/c6.want.rules
	ns_create c6r
	$IP netns exec c6r $REF -R <$W/c6.want.rules
	sn c6r $W/c6.want
	ns_delete c6r
	cmp -s $W/c6.want $W/c6.boot || why="$why --numbered did not load what loads: $(cat $W/c6.boot | tr '\n' ' ');"
	if [ -z "$why" ]; then
		ok "offline-check: --apply --check without CAP_NET_ADMIN reports the 5 bad lines of 7 (duplicate, no service, family mix, scope, parse) with numbers, 0 for a good file, nothing changed; --numbered loads what loads, names lines 3 and 5, exits 2"
	else
		bad "offline-check:$why"
	fi
	ns_delete c6
}

# ---- item 9: a drain of a persistent service warns while templates are kept ---------------
case_templates() {
	why=""
	for q in 0 1; do
		ns_create c9 || { bad "drain-template-warning: setup"; return; }
		$IP netns exec c9 sh -c "echo $q >/proc/sys/net/ipv4/vs/expire_quiescent_template" 2>/dev/null ||
			$IP netns exec c9 sh -c "$OURS -Ln >/dev/null; echo $q >/proc/sys/net/ipv4/vs/expire_quiescent_template"
		printf '%s\n' '-A -t 192.0.2.1:443 -s rr -p 300' '-a -t 192.0.2.1:443 -r 198.51.100.1:443 -m -w 1' \
			'-a -t 192.0.2.1:443 -r 198.51.100.2:443 -m -w 1' | $IP netns exec c9 $APPLY
		printf '%s\n' '-A -t 192.0.2.1:443 -s rr -p 300' '-a -t 192.0.2.1:443 -r 198.51.100.1:443 -m -w 1' >$W/tpl.rules
		run_in c9 $APPLY --apply --drain 1 $W/tpl.rules
		[ $st = 0 ] || why="$why expire_quiescent_template=$q: --apply --drain exited $st;"
		n=$(grep -c 'warning: net.ipv4.vs.expire_quiescent_template is 0' $W/err)
		if [ $q = 0 ]; then
			[ "$n" = 1 ] || why="$why expire_quiescent_template=0: $n warnings: $(cat $W/err | tr '\n' ' ');"
		else
			[ "$n" = 0 ] || why="$why expire_quiescent_template=1 warned;"
		fi
		ns_delete c9
	done
	if [ -z "$why" ]; then
		ok "drain-template-warning: --drain of a persistent service's real server warns once with expire_quiescent_template 0, not with 1"
	else
		bad "drain-template-warning:$why"
	fi
}

# ---- item 8: timeouts and sync daemons are part of the desired state ----------------------
# state_of NS FILE: the namespace's timeouts and daemons as our -L prints them.
state_of() {
	{
		$IP netns exec "$1" $OURS -L --timeout
		$IP netns exec "$1" $OURS -L --daemon
	} >"$2" 2>&1
}
case_state() {
	case_setup c8 || { bad "state-timeouts-daemons: setup"; return; }
	why=""
	$IP netns exec c8 $OURS --set 900 120 300
	$IP netns exec c8 $OURS --start-daemon backup --mcast-interface d0 --syncid 5 || why="$why the backup daemon does not start;"
	state_of c8 $W/c8.state0
	{ cat $W/base.rules; echo '--set 600 60 200'; echo '--start-daemon master --mcast-interface d0 --syncid 7 --mcast-port 8850 --mcast-ttl 2'; } >$W/state.rules
	# --dry-run: the timeouts, the backup stopped (the file names no backup), the master started.
	run_in c8 $APPLY --apply --dry-run $W/state.rules
	[ $st = 1 ] || why="$why --dry-run exited $st: $(cat $W/err | tr '\n' ' ');"
	printf '%s\n' '--set 600 60 200' '--stop-daemon backup' '--start-daemon master --mcast-interface d0 --syncid 7 --mcast-port 8850 --mcast-ttl 2' >$W/c8.plan
	cmp -s $W/c8.plan $W/out || why="$why the plan is not the three state lines: $(cat $W/out | tr '\n' '|');"
	state_of c8 $W/c8.state
	cmp -s $W/c8.state0 $W/c8.state || why="$why --dry-run changed timeouts or daemons;"
	run_in c8 $APPLY --apply $W/state.rules
	[ $st = 0 ] || why="$why --apply exited $st: $(cat $W/err | tr '\n' ' ');"
	state_of c8 $W/c8.state
	grep -qx 'Timeout (tcp tcpfin udp): 600 60 200' $W/c8.state || why="$why timeouts after --apply: $(head -1 $W/c8.state);"
	grep -q '^master sync daemon (mcast=d0, syncid=7, .*port=8850, ttl=2)$' $W/c8.state || why="$why no master daemon as the file says: $(cat $W/c8.state | tr '\n' '|');"
	grep -q '^backup' $W/c8.state && why="$why the backup daemon still runs;"
	sn c8 $W/c8.after
	cmp -s $W/c8.before $W/c8.after || why="$why the services changed;"
	run_in c8 $APPLY --apply --dry-run $W/state.rules
	[ $st = 0 ] && [ ! -s $W/out ] || why="$why the second --dry-run exited $st: $(cat $W/out | tr '\n' '|');"
	# New parameters restart the daemon: stop, then start.
	sed 's/--syncid 7 --mcast-port 8850 --mcast-ttl 2/--syncid 8/' $W/state.rules >$W/state8.rules
	run_in c8 $APPLY --apply --dry-run $W/state8.rules
	printf '%s\n' '--stop-daemon master' '--start-daemon master --mcast-interface d0 --syncid 8' >$W/c8.plan
	[ $st = 1 ] && cmp -s $W/c8.plan $W/out || why="$why the restart plan ($st): $(cat $W/out | tr '\n' '|');"
	run_in c8 $APPLY --apply $W/state8.rules
	state_of c8 $W/c8.state
	[ $st = 0 ] && grep -q '^master sync daemon (mcast=d0, syncid=8, .*port=8848, ttl=1)$' $W/c8.state || why="$why the restart ($st): $(cat $W/c8.state | tr '\n' '|');"
	# A file without --set and daemon lines leaves them as they are.
	run_in c8 $APPLY --apply $W/base.rules
	state_of c8 $W/c8.state2
	[ $st = 0 ] && cmp -s $W/c8.state $W/c8.state2 || why="$why a file without state lines changed the state ($st);"
	# In a scoped apply they are refused with their line; the offline check too.
	run_in c8 $APPLY --apply --scope addr=192.0.2.0/24 $W/state.rules
	[ $st = 2 ] && grep -q '^line 6: .*--scope' $W/err && grep -q '^line 7: .*--scope' $W/err || why="$why a scoped apply of state lines exited $st: $(cat $W/err | tr '\n' ' ');"
	run_in c8 $APPLY --apply --check --scope addr=192.0.2.0/24 $W/state.rules
	[ $st = 2 ] || why="$why the scoped check exited $st;"
	run_in c8 $APPLY --apply --check $W/state.rules
	[ $st = 0 ] || why="$why the check of state.rules exited $st: $(cat $W/err | tr '\n' ' ');"
	{ cat $W/state.rules; echo '--stop-daemon master'; } >$W/twice.rules
	run_in c8 $APPLY --apply --check $W/twice.rules
	[ $st = 2 ] && grep -q '^line 8: ' $W/err || why="$why a master started and stopped exited $st: $(cat $W/err | tr '\n' ' ');"
	state_of c8 $W/c8.state2
	cmp -s $W/c8.state $W/c8.state2 || why="$why a refused file changed the state;"
	# All or nothing: a refused service change puts timeouts and daemons back too.
	{ echo '-A -t 192.0.2.1:80 -s nosuchsched'; echo '--set 700 70 250'; echo '--start-daemon backup --mcast-interface d0 --syncid 9'; } >$W/state-bad.rules
	run_in c8 $APPLY --apply --allow-empty $W/state-bad.rules
	state_of c8 $W/c8.state2
	[ $st = 4 ] && cmp -s $W/c8.state $W/c8.state2 || why="$why the undo ($st) left: $(cat $W/c8.state2 | tr '\n' '|');"
	# --stop-daemon lines alone make the daemons part of the state: none runs after.
	{ cat $W/base.rules; echo '--stop-daemon master'; } >$W/stop.rules
	run_in c8 $APPLY --apply $W/stop.rules
	state_of c8 $W/c8.state
	[ $st = 0 ] && ! grep -q 'sync daemon' $W/c8.state || why="$why --stop-daemon master ($st) left: $(cat $W/c8.state | tr '\n' '|');"
	sn c8 $W/c8.after
	cmp -s $W/c8.before $W/c8.after || why="$why the services changed;"
	if [ -z "$why" ]; then
		ok "state-timeouts-daemons: --set and daemon lines converge (timeouts set, an unnamed backup stopped, a master started, restarted on new parameters, stopped by --stop-daemon), --dry-run prints them as restore lines, files without them leave both alone, --scope refuses them with their lines, an undo puts them back"
	else
		bad "state-timeouts-daemons:$why"
	fi
	$IP netns exec c8 $OURS --stop-daemon master >/dev/null 2>&1
	$IP netns exec c8 $OURS --stop-daemon backup >/dev/null 2>&1
	ns_delete c8
}

case_unreadable
case_test_file
case_empty
case_unreachable
case_scope
case_race
case_undo
case_check
case_templates
case_state
