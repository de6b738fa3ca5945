# tests/apply/churn.sh: sourced by tests/apply/vm-run.sh. --apply while another process
# adds and deletes services.
#
# The kernel holds 600 services (TCP, 198.18.0.0/16, two real servers each) and the rules
# file holds the same. A churning process keeps 20 more services (198.19.0.0/16) coming
# and going: each step adds one and deletes the one added 20 steps before. Positions in
# the service dump shift under a reader, so a plain read can miss or repeat services.
#  - Control: plain reads under churn, the reference's `ipvsadm -Sn` (ours never saves a
#    torn table, D12), each counted torn when it does not hold the 600 services exactly
#    once.
#  - --dry-run under churn: its plan may only remove churning services (`-D -t 198.19...`):
#    any other line comes from a torn read.
#  - --apply under churn: it must add and edit nothing (only remove churning services; a
#    removal may find its service gone already, which the summary reports as a failure).
# Each run's number of reads ("a consistent read took N tries") is printed. Two rates:
# "slow" (about 40 changes a second) and "fast" (thousands a second, where every read of
# --apply is expected to fail its checks and the run to give up, changing nothing).
CH=ch
ns_create $CH || exit 2
X="$IP netns exec $CH"
awk 'BEGIN { for (i = 0; i < 600; i++) {
	v = sprintf("198.18.%d.%d:80", int(i / 250), i % 250 + 1)
	printf "-A -t %s -s rr\n-a -t %s -r 203.0.113.1:80 -m -w 1\n-a -t %s -r 203.0.113.2:8080 -m -w 2\n", v, v, v } }' >$W/stable
$X $OURS -R <$W/stable

# churn STEPS PAUSE: the churning process, one ipvsadm -R fed a stream: STEPS steps (each an
# add and, 20 steps later, its delete) then a pause of PAUSE microseconds, until $W/stop
# holds a line.
churn() {
	awk -v stop=$W/stop -v steps="$1" -v pause="$2" 'BEGIN { for (i = 1; ; i++) {
		printf "-A -t 198.19.%d.%d:80 -s rr\n", int(i / 250) % 250, i % 250 + 1
		j = i - 20
		if (j >= 0) printf "-D -t 198.19.%d.%d:80\n", int(j / 250) % 250, j % 250 + 1
		if (i % steps == 0) {
			fflush()
			if ((getline line < stop) > 0) exit
			close(stop)
			system("usleep " pause)
		}
	} }' | $X $OURS -R 2>/dev/null
}

# tries FILE: the number of reads a run reports (1 when it says nothing).
tries() {
	t=$(sed -n 's/.*a consistent read took \([0-9]*\) tries.*/\1/p' "$1")
	echo "${t:-1}"
}

for rate in ${CHURN_RATES:-slow fast}; do
	rm -f $W/stop
	case $rate in
	slow) churn 1 50000 & ;;   # about 40 changes a second
	*) churn 50 10000 & ;;     # thousands a second
	esac
	churner=$!
	sleep 2
	torn=0 listings=0
	for _ in 1 2 3 4; do
		$X $REF -Sn >$W/list
		listings=$((listings + 1))
		got=$(grep -c '^-A -t 198\.18\.' $W/list)
		dups=$(grep '^-A ' $W/list | sort | uniq -d | wc -l)
		{ [ "$got" != 600 ] || [ "$dups" != 0 ]; } && torn=$((torn + 1))
	done
	echo "# $rate churn: $torn of $listings plain reads (the reference's -Sn) were torn (not the 600 services exactly once)"
	dry_tries="" dry_gave_up=0 dry_bad=0
	apply_tries="" apply_gave_up=0 apply_bad=0 apply_removed=0
	r=0
	while [ $r -lt "${CHURN_RUNS:-8}" ]; do
		r=$((r + 1))
		$X $APPLY --apply --dry-run $W/stable >$W/plan 2>$W/err
		st=$?
		if grep -q "kept changing" $W/err; then
			# Giving up is status 5 ("busy: nothing changed, try again later"), no plan.
			dry_gave_up=$((dry_gave_up + 1))
			if [ $st != 5 ] || [ -s $W/plan ]; then
				dry_bad=$((dry_bad + 1))
				echo "# a --dry-run that gave up exited $st (5 expected) with $(wc -l <$W/plan) plan lines"
			fi
		else
			dry_tries="$dry_tries $(tries $W/err)"
			if grep -qv '^-D -t 198\.19\.' $W/plan; then
				dry_bad=$((dry_bad + 1))
				echo "# a plan acted on a torn read:"; sed 's/^/#   /' $W/plan | grep -v '198\.19\.' | head -5
			fi
		fi
		$X $APPLY --apply $W/stable >$W/plan 2>$W/err
		st=$?
		if grep -q "kept changing" $W/err; then
			apply_gave_up=$((apply_gave_up + 1))
			if [ $st != 5 ]; then
				apply_bad=$((apply_bad + 1))
				echo "# an --apply that gave up exited $st (5 expected)"
			fi
		else
			apply_tries="$apply_tries $(tries $W/err)"
			if ! grep -q ': 0 added, 0 edited, [0-9]* removed' $W/err ||
				grep -v -e '198\.19\.' -e 'added, ' -e 'a consistent read' $W/err | grep -q .; then
				apply_bad=$((apply_bad + 1))
				echo "# an apply acted on a torn read:"; sed 's/^/#   /' $W/err | head -5
			fi
			set -- $(sed -n 's/.* \([0-9]*\) removed.*/\1/p' $W/err)
			apply_removed=$((apply_removed + ${1:-0}))
		fi
	done
	echo stop >$W/stop
	wait $churner
	if [ $dry_bad = 0 ]; then
		ok "$rate churn: $r --dry-run plans only remove churning services (reads per run:${dry_tries:- none}; gave up: $dry_gave_up)"
	else
		bad "$rate churn: $dry_bad of $r --dry-run plans came from a torn read"
	fi
	if [ $apply_bad = 0 ]; then
		ok "$rate churn: $r --apply runs added and edited nothing, removed $apply_removed churning services (reads per run:${apply_tries:- none}; gave up: $apply_gave_up)"
	else
		bad "$rate churn: $apply_bad of $r --apply runs acted on a torn read"
	fi
done
# The table the file describes is intact.
$X $APPLY --apply $W/stable 2>$W/err
$X $APPLY --apply --dry-run $W/stable >$W/plan 2>&1
st=$?
[ $st = 0 ] && ok "after the churn, the table matches the rules file" || bad "after the churn, the table matches the rules file" "$(cat $W/plan)"
$IP netns del $CH
