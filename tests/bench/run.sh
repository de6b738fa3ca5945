#!/usr/bin/env bash
# tests/bench/run.sh: benchmark our ipvsadm against the reference, in one VM boot.
#
#   tests/bench/run.sh [--ours PATH] [--baseline PATH] [--sizes "1000 10000"]
#                      [--small-runs 100] [--repeat 3] [--apply-repeat 1]
#
# Measures, in the same boot and each in a fresh network namespace, the reference
# (/usr/sbin/ipvsadm, Debian's 1.31) and ours on:
#   restore  `ipvsadm -R` of N services with 4 real servers each (5N lines)
#   list     `ipvsadm -Ln` of that table
#   save     `ipvsadm -Sn` of that table
#   json     `ipvsadm -Ln --json` of that table (ours only: compared with our `-Ln`)
#   metrics  `ipvsadm --metrics` of that table, and one scrape of it by ipvsadm-exporter
#            (wget's time; the exporter's peak RSS) (ours only: compared with our `-Ln`)
#   clear    `ipvsadm -C`
#   startup  R runs of `ipvsadm -Ln` on a small table (5 services x 2 servers)
#   apply    the N-service table changed by 1% (services edited, removed and added, real
#            servers edited, removed and added): `ipvsadm-restore --apply` of the new
#            rules against the reference's `ipvsadm -C; ipvsadm -R` of them and against
#            our own `ipvsadm-restore` (which clears first), each from the old table; then
#            `--apply` with nothing to do against our `ipvsadm -Sn` of the same table (three
#            of each, in turns).
#            The saves after the apply and after the reference's restore are compared.
#            Repeated --apply-repeat times (default 1): a clear followed by a restore is
#            slow in the kernel itself (a cleared table's real servers wait in a trash list
#            that every add walks), so one repetition at 10,000 services takes minutes.
# plus the floor: the same changes parsed in advance and sent in batches by
# examples/floor.rs, i.e. the kernel's own cost. Times and peak memory (max RSS) come from
# GNU time; the listings and saves of both are compared byte for byte. Prints a table with
# the ratios (reference time / our time). Every measurement is repeated (--repeat, each time
# in a fresh namespace, the implementations taking turns) and the median is reported, with
# the lowest and highest ratio of the repetitions: figures under software emulation move by
# about +-10% from run to run. Compare within one boot only. No test asserts a time.
# --baseline PATH measures another build of ours too (an earlier commit, say), in the same
# boot and in turn with the others, and adds its times and its ratio to ours.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
ours=$("$repo/tests/release-dir.sh")/ipvsadm
baseline=
floor=$("$repo/tests/release-dir.sh")/examples/floor
sizes="1000 10000"
small_runs=100
repeat=3
apply_repeat=1
while [ $# -gt 0 ]; do
	case $1 in
	--ours) ours=$2; shift 2 ;;
	--baseline) baseline=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--small-runs) small_runs=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--apply-repeat) apply_repeat=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

"$repo/tests/vm/vm.sh" setup
if ! [ -x /usr/bin/time ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >&2
fi
if [ "$ours" = "$("$repo/tests/release-dir.sh")/ipvsadm" ]; then
	(cd "$repo" && cargo build --release --quiet && cargo build --release --quiet --example floor)
fi

payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
vm=$repo/tests/vm/vm.sh
"$vm" add-binary /usr/sbin/ipvsadm "$payload" ref/ipvsadm
"$vm" add-binary "$ours" "$payload" ours/ipvsadm
ours_restore=$(dirname "$ours")/ipvsadm-restore
has_apply=0
if "$ours_restore" --help 2>/dev/null | grep -q -- --apply; then
	"$vm" add-binary "$ours_restore" "$payload" ours/ipvsadm-restore
	has_apply=1
fi
"$vm" add-binary "$(dirname "$ours")/ipvsadm-exporter" "$payload" ours/ipvsadm-exporter
impls="ref ours"
if [ -n "$baseline" ]; then
	"$vm" add-binary "$baseline" "$payload" base/ipvsadm
	impls="ref ours base"
fi
"$vm" add-binary "$floor" "$payload" bin/floor
"$vm" add-binary /usr/bin/time "$payload" bin/time

# Rule sets: VIPs from 198.18.0.0/15, real servers from 203.0.113.0/24 (documentation ranges).
mkdir -p "$payload/data"
for n in $sizes; do
	awk -v n="$n" 'BEGIN {
		for (i = 0; i < n; i++) {
			vip = sprintf("198.%d.%d.%d:80", 18 + int(i / 65536), int(i / 256) % 256, i % 256)
			printf "-A -t %s -s wlc\n", vip
			for (k = 1; k <= 4; k++)
				printf "-a -t %s -r 203.0.113.%d:8080 -m -w %d\n", vip, k, k
		}
	}' >"$payload/data/rules-$n"
done
# The same tables with 1% changed: of every 100 services one gets another scheduler, and of
# every 400 one is gone and one new (198.20.0.0/16) comes; of every 100 real servers one
# gets another weight, and of every 400 one is gone and one on a new port comes.
for n in $sizes; do
	awk -v n="$n" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (i % 400 == 1) continue
			vip = sprintf("198.%d.%d.%d:80", 18 + int(i / 65536), int(i / 256) % 256, i % 256)
			printf "-A -t %s -s %s\n", vip, (i % 100 == 0 ? "rr" : "wlc")
			for (k = 1; k <= 4; k++) {
				j = i * 4 + k
				if (j % 400 == 3) { printf "-a -t %s -r 203.0.113.%d:9090 -m -w %d\n", vip, k, k; continue }
				printf "-a -t %s -r 203.0.113.%d:8080 -m -w %d\n", vip, k, (j % 100 == 2 ? 7 : k)
			}
		}
		for (i = 0; i < n / 400; i++) {
			vip = sprintf("198.20.%d.%d:80", int(i / 256) % 256, i % 256)
			printf "-A -t %s -s wlc\n", vip
			for (k = 1; k <= 4; k++) printf "-a -t %s -r 203.0.113.%d:8080 -m -w 1\n", vip, k
		}
	}' >"$payload/data/rules-$n-new"
done
awk 'BEGIN { for (i = 1; i <= 5; i++) { printf "-A -t 192.0.2.%d:80 -s rr\n", i;
	for (k = 1; k <= 2; k++) printf "-a -t 192.0.2.%d:80 -r 198.51.100.%d:80 -m\n", i, k } }' \
	>"$payload/data/small"

cat >"$payload/run.sh" <<EOF
#!/bin/sh
has_apply=$has_apply
apply_repeat=$apply_repeat
sizes="$sizes"
small_runs=$small_runs
repeat=$repeat
impls="$impls"
EOF
cat >>"$payload/run.sh" <<'EOF'
IP=/usr/sbin/ip
T=/payload/bin/time
ns=0
fresh() { ns=$((ns + 1)); $IP netns add b$ns; $IP -n b$ns link set lo up; }
# The kernel frees a deleted namespace's table (and a cleared table's servers) in the
# background; wait until the CPU has been idle for most of half a second (at most 20 s),
# so that this work does not land in the next measurement.
settle() {
	for _ in $(seq 40); do
		set -- $(head -n 1 /proc/stat)
		busy0=$(($2 + $3 + $4 + $7 + $8)) idle0=$(($5 + $6))
		sleep 0.5
		set -- $(head -n 1 /proc/stat)
		busy=$(($2 + $3 + $4 + $7 + $8 - busy0)) idle=$(($5 + $6 - idle0))
		[ $((idle * 10)) -ge $(((busy + idle) * 9)) ] && return 0
	done
}
gone() { $IP netns del b$ns; settle; }
# measure LABEL IMPL STDIN CMD...: prints "RESULT label impl seconds maxrss_kb status"
measure() {
	label=$1 impl=$2 input=$3; shift 3
	$T -f "%e %M" -o /tmp/t $IP netns exec b$ns "$@" <"$input" >/tmp/out-$label-$impl 2>/tmp/err-$label-$impl
	st=$?
	echo "RESULT $label $impl $(cat /tmp/t) $st"
}
status=0
for n in $sizes; do
	r=0
	while [ $r -lt $repeat ]; do
		r=$((r + 1))
		for impl in $impls; do
			fresh
			measure restore-$n $impl /payload/data/rules-$n /payload/$impl/ipvsadm -R
			measure list-$n $impl /dev/null /payload/$impl/ipvsadm -Ln
			[ $impl = ours ] && measure json-$n ours /dev/null /payload/ours/ipvsadm -Ln --json
			if [ $impl = ours ]; then
				measure metrics-$n ours /dev/null /payload/ours/ipvsadm --metrics
				$IP netns exec b$ns /payload/ours/ipvsadm-exporter --listen 127.0.0.1:9617 2>/dev/null &
				exporter=$!
				for _ in $(seq 50); do
					$IP netns exec b$ns wget -q -O /dev/null http://127.0.0.1:9617/health 2>/dev/null && break
					sleep 0.1
				done
				$T -f "%e" -o /tmp/t $IP netns exec b$ns wget -q -O /tmp/out-scrape-$n-ours http://127.0.0.1:9617/metrics
				st=$?
				echo "RESULT scrape-$n ours $(cat /tmp/t) $(awk '/^VmHWM:/ { print $2 }' /proc/$exporter/status) $st"
				kill $exporter
				echo "METRICS $n services: $(wc -c </tmp/out-metrics-$n-ours) bytes, $(grep -c '^ipvs_service_connections_total' /tmp/out-scrape-$n-ours) services scraped"
			fi
			measure save-$n $impl /dev/null /payload/$impl/ipvsadm -Sn
			measure clear-$n $impl /dev/null /payload/$impl/ipvsadm -C
			gone
		done
		for what in list save; do
			if cmp -s /tmp/out-$what-$n-ref /tmp/out-$what-$n-ours; then
				echo "SAME $what-$n $(wc -l </tmp/out-$what-$n-ref) lines"
			else
				echo "DIFFER $what-$n"; status=1
				diff /tmp/out-$what-$n-ref /tmp/out-$what-$n-ours | head -5
			fi
		done
		fresh
		out=$($IP netns exec b$ns /payload/bin/floor </payload/data/rules-$n)
		echo "FLOOR $n $out"
		gone
		[ "$has_apply" = 1 ] && [ $r -le "$apply_repeat" ] || continue
		# Applying 1% of change: from the old table each time, the three ways in turn, each
		# once the kernel's work after loading the old table (its rate estimators start) is
		# done.
		new=/payload/data/rules-$n-new
		fresh
		$IP netns exec b$ns /payload/ours/ipvsadm -R </payload/data/rules-$n
		settle
		measure apply-$n ref /dev/null sh -c "/payload/ref/ipvsadm -C; /payload/ref/ipvsadm -R <$new"
		$IP netns exec b$ns /payload/ours/ipvsadm -Sn >/tmp/applied-ref
		gone
		fresh
		$IP netns exec b$ns /payload/ours/ipvsadm -R </payload/data/rules-$n
		settle
		measure apply-$n restore $new /payload/ours/ipvsadm-restore
		gone
		fresh
		$IP netns exec b$ns /payload/ours/ipvsadm -R </payload/data/rules-$n
		settle
		measure apply-$n ours /dev/null /payload/ours/ipvsadm-restore --apply $new
		$IP netns exec b$ns /payload/ours/ipvsadm -Sn >/tmp/applied-ours
		# Nothing left to do: three no-op applies and three saves of the same table, in turns.
		settle
		for _ in 1 2 3; do
			measure noop-$n ours /dev/null /payload/ours/ipvsadm-restore --apply $new
			measure noop-$n save /dev/null /payload/ours/ipvsadm -Sn
		done
		gone
		if cmp -s /tmp/applied-ref /tmp/applied-ours; then
			echo "SAME apply-$n $(wc -l </tmp/applied-ours) lines"
		else
			echo "DIFFER apply-$n"; status=1
			diff /tmp/applied-ref /tmp/applied-ours | head -5
		fi
	done
done
r=0
while [ $r -lt $repeat ]; do
	r=$((r + 1))
	for impl in $impls; do
		fresh
		$IP netns exec b$ns /payload/$impl/ipvsadm -R </payload/data/small
		t0=$(cut -d' ' -f1 /proc/uptime)
		$IP netns exec b$ns sh -c "i=0; while [ \$i -lt $small_runs ]; do /payload/$impl/ipvsadm -Ln >/dev/null; i=\$((i + 1)); done"
		t1=$(cut -d' ' -f1 /proc/uptime)
		echo "RESULT startup $impl $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }') 0 0"
		gone
	done
done
exit $status
EOF
chmod +x "$payload/run.sh"

log=$(mktemp)
status=0
"$vm" run "$payload" 1800 | tee "$log" | grep -E '^(RESULT|FLOOR|SAME|DIFFER|METRICS)' || status=$?
grep -q '^DIFFER' "$log" && status=1

echo
echo "== benchmark: reference vs ours, same boot ($(date -u +%F), $(nproc) cpu host, QEMU TCG)"
awk '
function median(list,    a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# The lowest and highest ratio of the repetitions (the implementations ran in turns), into
# the globals lo and hi.
function ratio_range(slow, fast,    ra, ua, nr, j, q) {
	nr = split(slow, ra, " "); split(fast, ua, " ")
	lo = ""; hi = ""
	for (j = 1; j <= nr; j++) if (ua[j] > 0) {
		q = ra[j] / ua[j]
		if (lo == "" || q < lo) lo = q
		if (hi == "" || q > hi) hi = q
	}
}
/^RESULT/ {
	k2 = $2 SUBSEP $3
	t[k2] = t[k2] " " $4; m[k2] = m[k2] " " $5; runs[k2]++
	if ($6 != 0) bad[k2] = bad[k2] " " $6
	if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 }
}
/^FLOOR/ { floor[$2] = floor[$2] " " $4 }
END {
	printf "%-14s %10s %10s %8s %15s %12s %12s\n", "operation", "ref s", "ours s", "ratio", "(min-max)", "ref maxKiB", "ours maxKiB"
	for (i = 1; i <= k; i++) {
		o = order[i]
		if (o ~ /^(apply|noop)-/) continue
		if (o ~ /^(json|metrics|scrape)-/) {
			w = o; sub(/-.*/, "", w); n = substr(o, length(w) + 2); u = median(t[o, "ours"]); l = median(t["list-" n, "ours"])
			what = w == "json" ? "-Ln --json" : w == "metrics" ? "--metrics" : "an exporter scrape, its peak"
			printf "%-14s %10s %10.2f  (ours %s; %.2fx the time of our -Ln, %s KiB)\n", o, "-", u, what, (l > 0 ? u / l : 0), median(m[o, "ours"])
			continue
		}
		r = median(t[o, "ref"]); u = median(t[o, "ours"])
		ratio_range(t[o, "ref"], t[o, "ours"])
		printf "%-14s %10.2f %10.2f %7.1fx %6.1fx-%5.1fx %12s %12s", o, r, u, (u > 0 ? r / u : 0), lo, hi, median(m[o, "ref"]), median(m[o, "ours"])
		if (runs[o, "base"]) {
			b = median(t[o, "base"])
			printf "   baseline %.2f s, %s KiB: ours %.2fx its speed", b, median(m[o, "base"]), (u > 0 ? b / u : 0)
		}
		printf "\n"
		if (bad[o, "ref"] != "" || bad[o, "ours"] != "") printf "   (non-zero exit statuses: ref%s, ours%s)\n", bad[o, "ref"], bad[o, "ours"]
	}
	for (n in floor) {
		f = median(floor[n]); u = median(t["restore-" n, "ours"]); r = median(t["restore-" n, "ref"])
		printf "floor (kernel only) restore-%s: %.2f s (median); ours is %.2fx the floor, the reference %.1fx\n", n, f, (f > 0 ? u / f : 0), (f > 0 ? r / f : 0)
	}
	for (i = 1; i <= k; i++) {
		o = order[i]
		if (o !~ /^apply-/) continue
		n = substr(o, 7)
		a = median(t[o, "ours"]); rf = median(t[o, "ref"]); rs = median(t[o, "restore"])
		np = median(t["noop-" n, "ours"]); sv = median(t["noop-" n, "save"])
		ratio_range(t[o, "ref"], t[o, "ours"])
		printf "apply 1%% of %s services x 4: ours --apply %.2f s (%s KiB); reference -C; -R %.2f s: %.1fx (%.1fx-%.1fx, target 20x); our ipvsadm-restore %.2f s: %.1fx\n", n, a, median(m[o, "ours"]), rf, (a > 0 ? rf / a : 0), lo, hi, rs, (a > 0 ? rs / a : 0)
		printf "no-op apply of %s services x 4: %.2f s, our -Sn %.2f s: the apply takes %.2fx the -Sn (target 1.3x or less)\n", n, np, sv, (sv > 0 ? np / sv : 0)
		if (bad[o, "ours"] != "" || bad["noop-" n, "ours"] != "") printf "   (non-zero exit statuses of --apply:%s%s)\n", bad[o, "ours"], bad["noop-" n, "ours"]
	}
	printf "medians of %d repetitions per figure\n", runs[order[1], "ref"]
}' "$log"
rm -f "$log"
exit $status
