#!/bin/sh
# tests/vm/churn-check.sh: deviation D12, INSIDE the test VM (busybox sh). While another
# process keeps adding and deleting services, `ipvsadm -Sn` never exits 0 with a torn
# table: every save that succeeds holds each service that was there all along exactly
# once with each of its real servers, and every save that fails says so on stderr and
# writes nothing.
#
#   churn-check.sh --ours DIR/ipvsadm [--listfloor PATH]
#
# The table: 3,000 services with one real server each (198.18.0.0/15), which the kernel
# dumps in many datagrams, the only way a read can be torn; the first service has 60 more
# real servers, whose dump also takes several datagrams. The churn: a loop that adds and
# deletes services in 198.19.0.0/24 and real servers of the first service in
# 198.51.100.0/24: first flat out (a shell loop feeding one `ipvsadm -R`, thousands of
# changes a second, under which most saves of ours are refused), then one `ipvsadm` per
# change with a pause after each round of four (under which saves of ours must succeed);
# then flat out again, in another namespace. In each phase the reference's `ipvsadm -Sn`
# is read under the same
# churn too: its torn saves show that the churn does tear reads (the check fails if it tore
# none, as it would then prove nothing). With --listfloor (examples/listfloor.rs), the
# phase also reports how many reads the library's consistent read took
# (`consistent_service_index`, what -S uses). Prints the counts; exits 1 on a failure.
set -u
IP=/usr/sbin/ip
REF=/usr/sbin/ipvsadm
ours="" listfloor=""
while [ $# -gt 0 ]; do
	case $1 in
	--ours) ours=$2; shift 2 ;;
	--listfloor) listfloor=$2; shift 2 ;;
	*) echo "churn-check: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -x "$ours" ] || { echo "churn-check: --ours must name our ipvsadm" >&2; exit 2; }
. "$(dirname "$0")/case-netns.sh"

STABLE=3000
w=/tmp/churn
rm -rf $w; mkdir -p $w
ns=churn
ns_create $ns
awk -v n=$STABLE 'BEGIN { for (i = 0; i < n; i++) {
	vip = sprintf("198.%d.%d.%d:80", 18 + int(i / 65536), int(i / 256) % 256, i % 256)
	printf "-A -t %s -s rr\n-a -t %s -r 203.0.113.1:8080 -m\n", vip, vip }
	for (k = 101; k <= 160; k++) printf "-a -t 198.18.0.0:80 -r 203.0.113.%d:8080 -m\n", k }' >$w/rules
$IP netns exec $ns "$ours" -R <$w/rules || { echo "FAIL churn: the table did not load"; exit 1; }

# whole FILE: "whole" when the save in FILE has every stable service once with each of
# its stable real servers, and no service or real server twice, else "torn".
whole() {
	awk -v n=$STABLE '
	$1 == "-A" { seen[$3]++ }
	$1 == "-a" { pair[$3 " " $5]++; if ($5 !~ /^198\.51\.100\./) servers[$3]++ }
	END {
		bad = 0; stable = 0
		for (p in pair) if (pair[p] != 1) bad = 1
		for (v in seen) {
			if (seen[v] != 1) bad = 1
			if (v ~ /^198\.19\./) continue
			stable++
			if (servers[v] != (v == "198.18.0.0:80" ? 61 : 1)) bad = 1
		}
		print (bad || stable != n) ? "torn" : "whole"
	}' "$1"
}

churn() { # churn PAUSE: runs until $w/stop exists, in namespace $cns
	i=0
	if [ "$1" = 0 ]; then
		while [ ! -e $w/stop ]; do
			i=$((i % 200 + 1))
			echo "-A -t 198.19.0.$i:80 -s rr"
			echo "-a -t 198.18.0.0:80 -r 198.51.100.$i:8080 -m"
			echo "-D -t 198.19.0.$i:80"
			echo "-d -t 198.18.0.0:80 -r 198.51.100.$i:8080"
		done | $IP netns exec $cns "$ours" -R
		return
	fi
	while [ ! -e $w/stop ]; do
		i=$((i % 200 + 1))
		$IP netns exec $cns "$ours" -A -t 198.19.0.$i:80 -s rr
		$IP netns exec $cns "$ours" -a -t 198.18.0.0:80 -r 198.51.100.$i:8080 -m
		$IP netns exec $cns "$ours" -D -t 198.19.0.$i:80
		$IP netns exec $cns "$ours" -d -t 198.18.0.0:80 -r 198.51.100.$i:8080
		sleep "$1"
	done
}

fail=0
phase() { # phase NAME PAUSE SAVES MUST-SAVE READS: MUST-SAVE 1 when some save must
	# succeed; READS runs of the library's consistent read
	name=$1
	t0=$(cut -d' ' -f1 /proc/uptime)
	rm -f $w/stop
	churn "$2" &
	pid=$!
	sleep 1
	ok=0 refused=0 torn=0 k=0
	while [ $k -lt "$3" ]; do
		k=$((k + 1))
		$IP netns exec $ns "$ours" -Sn >$w/out 2>$w/err
		rc=$?
		if [ $rc = 0 ]; then
			if [ "$(whole $w/out)" = whole ] && [ ! -s $w/err ]; then
				ok=$((ok + 1))
			else
				torn=$((torn + 1))
				echo "  $name: save $k exited 0 with a torn table"
			fi
		elif [ ! -s $w/out ] && grep -q "changed while it was being read" $w/err; then
			refused=$((refused + 1))
		else
			torn=$((torn + 1))
			echo "  $name: save $k exited $rc: $(head -c 200 $w/err)"
		fi
	done
	reftorn=0 k=0
	while [ $k -lt 10 ]; do
		k=$((k + 1))
		$IP netns exec $ns $REF -Sn >$w/ref 2>/dev/null
		[ "$(whole $w/ref)" = torn ] && reftorn=$((reftorn + 1))
	done
	reads=""
	if [ -n "$listfloor" ]; then
		k=0
		while [ $k -lt "$5" ]; do
			k=$((k + 1))
			r=$($IP netns exec $ns "$listfloor" --consistent 10 2>&1 | sed -n 's/.* reads \([0-9]*\)$/\1/p')
			reads="$reads ${r:-gave-up}"
		done
	fi
	touch $w/stop
	wait $pid
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "churn $name ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s): ours -Sn: $ok whole, $refused refused (torn on every read), $torn torn or wrong; reference -Sn: $reftorn of 10 torn${reads:+; reads of the consistent read:$reads}"
	[ $torn = 0 ] || fail=1
	[ $ok -gt 0 ] || [ "$4" = 0 ] || { echo "  $name: no save of ours succeeded"; fail=1; }
	reference_torn=$((${reference_torn:-0} + reftorn))
}

# Flat out, a save may be refused every time (the table never holds still for two reads);
# with pauses, saves must go through.
cns=$ns
phase flat-out 0 6 0 3
phase paused 0.3 12 1 6
# The churn in another namespace, the saved table unchanged: the kernel keeps every
# namespace's services in one table and a dump's position counts them all, so this tears
# reads too (the reference's), and ours must still never save a torn table.
cns=churn-other
ns_create $cns
$IP netns exec $cns "$ours" -A -t 198.18.0.0:80 -s rr
phase other-namespace 0 3 0 1
ns_delete $cns
$IP netns del $ns
if [ "$reference_torn" = 0 ]; then
	echo "FAIL churn: the churn tore none of the reference's saves, so it proved nothing"
	fail=1
fi
if [ $fail = 0 ]; then echo "PASS churn (D12)"; else echo "FAIL churn (D12)"; fi
exit $fail
