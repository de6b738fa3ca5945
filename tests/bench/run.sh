#!/usr/bin/env bash
# tests/bench/run.sh: benchmark our ipvsadm against the reference, in one VM boot.
#
#   tests/bench/run.sh [--ours PATH] [--baseline PATH] [--sizes "1000 10000"] [--big]
#                      [--big-repeat 1] [--small-runs 100] [--repeat 3] [--apply-repeat 1]
#                      [--apply-sizes "1000 10000"]
#                      [--icount] [--figures PATH] [--no-plot]
#   tests/bench/run.sh --summarize CONSOLE-LOG [--figures PATH] [--no-plot]
#
# Measures, in the same boot and each in a fresh network namespace, the reference
# (/usr/sbin/ipvsadm, Debian's 1.31) and ours on:
#   restore  `ipvsadm -R` of N services with K real servers each (N(K+1) lines)
#   list     `ipvsadm -Ln` of that table
#   save     `ipvsadm -Sn` of that table
#   clear    `ipvsadm -C`
#   startup  R runs of `ipvsadm -Ln` on a small table (5 services x 2 servers)
#   json     `ipvsadm -Ln --json` of that table (ours only: compared with our `-Ln`)
#   metrics  `ipvsadm --metrics` of that table, and one scrape of it by ipvsadm-exporter
#            (ours only: compared with our `-Ln`; the exporter's peak memory; the scrape's
#            client, busybox wget, discards what it receives)
#   apply    the table changed by 1% (services edited, removed and added, real servers
#            edited, removed and added): `ipvsadm-restore --apply` of the new rules against
#            the reference's `ipvsadm -C; ipvsadm -R` of them and against our own
#            `ipvsadm-restore` (which clears first), each from the old table; then `--apply`
#            with nothing to do against our `ipvsadm -Sn` of the same table (three of each,
#            in turns). The saves after the apply and after the reference's restore are
#            compared. Repeated --apply-repeat times (default 1; not at the --big size): a
#            clear followed by a restore is slow in the kernel itself (a cleared table's
#            real servers wait in a trash list that every add walks), so one repetition at
#            10,000 services takes minutes. --apply-sizes limits the 1% comparison to
#            those sizes (default: every size); at the others the no-op apply is measured
#            alone, on the changed table loaded by our restore.
# plus two floors, the kernel's own cost: the same changes parsed in advance and sent in
# batches by examples/floor.rs (restore's floor), then that table read by
# examples/listfloor.rs the way -L read it through netlink alone, nothing printed (the netlink
# list floor: the service dump and the dumps of real servers, timed apart), by
# examples/sockfloor.rs through the socket options alone (the sockopt floor: one
# IP_VS_SO_GET_SERVICES, one IP_VS_SO_GET_DESTS a service), and restore's line parser alone
# (`ipvsadm-restore --test`), so that ours = floor + parsing + start-up can be checked.
# Times and peak memory (max RSS) come from
# GNU time; the listings and saves of both are compared byte for byte. Prints a table with
# the ratios (reference time / our time) and the cost per service, and how each one's cost
# per service grows from the smallest size to the largest. Every measurement is repeated
# (--repeat, each time in a fresh namespace, the implementations taking turns) and the
# median is reported, with the lowest, median and highest ratio of the repetitions (each
# repetition's ratio compares runs made in turn, minutes apart at most, so its median
# resists a change in the host's load better than the ratio of the medians): figures under
# software emulation move by about +-10% from run to run, more on a busy host. Compare
# within one boot only. No test asserts a time.
# --sizes takes N (4 real servers per service) or N:K (K real servers per service).
# --big adds the scale point, 100,000 services with 2 real servers each, measured
# --big-repeat times (default once: the reference alone takes tens of minutes there).
# --baseline PATH measures another build of ours too (an earlier commit, say), in the same
# boot and in turn with the others, and adds its times and its ratio to ours.
# --icount runs the VM with QEMU's instruction counting (-icount shift=0,sleep=off): every
# time is then the guest's instructions at one per nanosecond, the same from run to run
# and whatever else the host is doing, but blind to what emulation itself costs (code
# translation, the software TLB), so start-up figures mean nothing there. A cross-check
# for a busy host, not a replacement for the wall-clock figures.
# --summarize CONSOLE-LOG prints the table of an earlier run again from its console log
# (target/vm/last-run.log after a run; the run also keeps it as target/bench/console.log),
# without running anything.
# --figures PATH: where the medians go, one a line (default target/bench/figures.tsv);
# tests/bench/plot.sh draws them into the PNG beside it (figures.png; --no-plot: not),
# the picture BENCHMARKS.md opens with.
set -euo pipefail

# summarize LOG [FIGURES]: the table of a run from its console log; with FIGURES, its
# medians written there too, one a line (tab-separated: services, real servers per
# service, operation, implementation, median seconds, median peak KiB), the input of
# tests/bench/plot.sh. The implementations: ref, ours, base, and floor (the kernel's own
# cost: restore's floor; for list, json, metrics and scrape the list floor, the service
# dump and the dumps of real servers; for save the list floor with a second service dump,
# as a whole save reads the services twice).
summarize() {
	awk -v figs="${2:-}" '
function median(list,    a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# The median of the ratios a[i] / b[i] of two lists of one figure per repetition (the
# implementations take turns within a repetition, so this cancels a drift in the host load
# that the ratio of the medians does not).
function ratios(la, lb,    a, b, n, i, q) {
	n = split(la, a, " "); split(lb, b, " "); q = ""
	for (i = 1; i <= n; i++) if (b[i] > 0) q = q " " a[i] / b[i]
	return q == "" ? 0 : median(q)
}
# Microseconds per service of a time in seconds for the size of label "op-N".
function per(secs, o,    parts) {
	split(o, parts, "-")
	return (parts[2] > 0 && parts[1] != "startup") ? sprintf("%.0f", secs * 1e6 / parts[2]) : "-"
}
/^SIZE/ { servers[$2] = $3; sizes[++ns] = $2 }
/^SMALLRUNS/ { small = $2 }
/^RESULT/ {
	k2 = $2 SUBSEP $3
	t[k2] = t[k2] " " $4; m[k2] = m[k2] " " $5; runs[k2]++
	if ($6 != 0) bad[k2] = bad[k2] " " $6
	if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 }
}
/^FLOOR/ { floor[$2] = floor[$2] " " $4 }
/^PARSE/ { parse[$2] = parse[$2] " " $3 }
/^LISTFLOOR/ { lindex[$2] = lindex[$2] " " $4; lwalk[$2] = lwalk[$2] " " $6 }
/^SOCKFLOOR/ { sock[$2] = sock[$2] " " $4; sread[$2] = sread[$2] " " $6 }
END {
	if (figs != "") {
		printf "services\tservers\toperation\timplementation\tseconds\tmaxrss_kib\n" >figs
		for (i = 1; i <= k; i++) {
			o = order[i]
			if (o !~ /^(restore|list|save|json|metrics|scrape)-/) continue
			split(o, parts, "-")
			for (who = 1; who <= 3; who++) {
				impl = who == 1 ? "ref" : who == 2 ? "ours" : "base"
				if (t[o, impl] == "") continue
				printf "%s\t%s\t%s\t%s\t%s\t%s\n", parts[2], servers[parts[2]], parts[1], impl, median(t[o, impl]), median(m[o, impl]) >figs
			}
			n = parts[2]
			if (parts[1] == "restore" && floor[n] != "") f = median(floor[n])
			else if (lindex[n] != "") {
				f = median(lindex[n]) * (parts[1] == "save" ? 2 : 1) + median(lwalk[n])
			} else continue
			printf "%s\t%s\t%s\tfloor\t%s\t\n", n, servers[n], parts[1], f >figs
		}
		close(figs)
	}
	printf "%-14s %9s %9s %7s %18s %10s %10s %9s %9s\n", "operation", "ref s", "ours s", "ratio", "per rep min/med/max", "ref maxKiB", "ours maxKiB", "ref us/sv", "ours us/sv"
	for (i = 1; i <= k; i++) {
		o = order[i]
		if (o ~ /^(apply|noop)-/) continue
		if (o ~ /^(json|metrics|scrape|stats)-/) {
			w = o; sub(/-.*/, "", w); n = substr(o, length(w) + 2); u = median(t[o, "ours"]); l = median(t["list-" n, "ours"]); s = median(t["stats-" n, "ours"])
			what = w == "json" ? "-Ln --json" : w == "metrics" ? "--metrics" : w == "stats" ? "-Ln --stats" : "an exporter scrape, its peak"
			printf "%-14s %9s %9.2f  (ours %s; %.2fx the time of our -Ln, median of the repetitions %.2fx", o, "-", u, what, (l > 0 ? u / l : 0), ratios(t[o, "ours"], t["list-" n, "ours"])
			# The machine outputs read what -Ln --stats reads (counters, through netlink).
			if (w != "stats" && t["stats-" n, "ours"] != "") printf "; %.2fx our -Ln --stats, median of the repetitions %.2fx", (s > 0 ? u / s : 0), ratios(t[o, "ours"], t["stats-" n, "ours"])
			printf "; %s KiB)\n", median(m[o, "ours"])
			continue
		}
		r = median(t[o, "ref"]); u = median(t[o, "ours"])
		# The ratio of each repetition (the implementations ran in turns).
		nr = split(t[o, "ref"], ra, " "); split(t[o, "ours"], ua, " ")
		lo = ""; hi = ""
		for (j = 1; j <= nr; j++) if (ua[j] > 0) {
			q = ra[j] / ua[j]
			if (lo == "" || q < lo) lo = q
			if (hi == "" || q > hi) hi = q
		}
		printf "%-14s %9.2f %9.2f %6.1fx %5.1fx/%4.1fx/%4.1fx %10s %10s %9s %9s", o, r, u, (u > 0 ? r / u : 0), lo, ratios(t[o, "ref"], t[o, "ours"]), hi, median(m[o, "ref"]), median(m[o, "ours"]), per(r, o), per(u, o)
		if (runs[o, "base"]) {
			b = median(t[o, "base"])
			printf "   baseline %.2f s, %s KiB: ours %.2fx its speed (median of the repetitions: %.2fx)", b, median(m[o, "base"]), (u > 0 ? b / u : 0), ratios(t[o, "base"], t[o, "ours"])
		}
		printf "\n"
		if (bad[o, "ref"] != "" || bad[o, "ours"] != "") printf "   (non-zero exit statuses: ref%s, ours%s)\n", bad[o, "ref"], bad[o, "ours"]
	}
	for (i = 1; i <= ns; i++) {
		n = sizes[i]
		f = median(floor[n]); u = median(t["restore-" n, "ours"]); r = median(t["restore-" n, "ref"])
		printf "floor (kernel only) restore-%s: %.2f s (median); ours is %.2fx the floor (median of the repetitions: %.2fx), the reference %.1fx\n", n, f, (f > 0 ? u / f : 0), ratios(t["restore-" n, "ours"], floor[n]), (f > 0 ? r / f : 0)
		if (parse[n] != "") {
			# Where the rest goes: starting a process through ip netns exec (the start-up
			# figure, per run) and parsing every line (ipvsadm-restore --test, less its own
			# start-up).
			st = small > 0 ? median(t["startup", "ours"]) / small : 0
			p = median(parse[n]) - st
			if (p < 0) p = 0
			printf "  ours %.2f s = floor %.2f + parsing alone %.2f + start-up %.3f (sum %.2f); parsing is %.0f%% of the floor\n", u, f, p, st, f + p + st, (f > 0 ? 100 * p / f : 0)
		}
		x = median(lindex[n]); w = median(lwalk[n]); u = median(t["list-" n, "ours"])
		nl = split(lindex[n], li, " "); split(lwalk[n], lw, " "); lf = ""
		for (j = 1; j <= nl; j++) lf = lf " " li[j] + lw[j]
		printf "list floor (kernel only) list-%s: service dump %.2f s + real servers %.2f s = %.2f s; ours -Ln is %.2fx it (median of the repetitions: %.2fx)\n", n, x, w, x + w, (x + w > 0 ? u / (x + w) : 0), ratios(t["list-" n, "ours"], lf)
		if (sock[n] != "") {
			so = median(sock[n]); sr = median(sread[n])
			printf "sockopt floor (kernel only) list-%s: the IPv4 table through the socket options alone %.2f s; ours -Ln is %.2fx it (median of the repetitions: %.2fx), -Sn %.2fx; the library read of -Ln (service dump, then the socket options) %.2f s\n", n, so, (so > 0 ? u / so : 0), ratios(t["list-" n, "ours"], sock[n]), (so > 0 ? median(t["save-" n, "ours"]) / so : 0), sr
		}
	}
	for (i = 1; i <= k; i++) {
		o = order[i]
		if (o ~ /^apply-/) {
			n = substr(o, 7)
			a = median(t[o, "ours"]); rf = median(t[o, "ref"]); rs = median(t[o, "restore"])
			printf "apply 1%% of %s services x %s: ours --apply %.2f s (%s KiB); reference -C; -R %.2f s: %.1fx (target 20x); our ipvsadm-restore %.2f s: %.1fx\n", n, servers[n], a, median(m[o, "ours"]), rf, (a > 0 ? rf / a : 0), rs, (a > 0 ? rs / a : 0)
			if (bad[o, "ours"] != "") printf "   (non-zero exit statuses of --apply:%s)\n", bad[o, "ours"]
		}
		if (o ~ /^noop-/) {
			n = substr(o, 6)
			np = median(t[o, "ours"]); sv = median(t[o, "save"])
			printf "no-op apply of %s services x %s: %.2f s, our -Sn %.2f s: the apply takes %.2fx the -Sn (median of the turns %.2fx; target 1.3x or less)\n", n, servers[n], np, sv, (sv > 0 ? np / sv : 0), ratios(t[o, "ours"], t[o, "save"])
			if (bad[o, "ours"] != "") printf "   (non-zero exit statuses of the no-op --apply:%s)\n", bad[o, "ours"]
		}
	}
	if (ns > 1) {
		printf "cost per service (us: median time / services; restore: per line), and its growth from one size to the next:\n"
		for (oi = 1; oi <= 4; oi++) {
			op = (oi == 1 ? "restore" : oi == 2 ? "list" : oi == 3 ? "save" : "clear")
			for (who = 1; who <= 2; who++) {
				impl = (who == 1 ? "ours" : "ref")
				line = sprintf("  %-8s %-5s", op, impl); prev = ""
				for (i = 1; i <= ns; i++) {
					n = sizes[i]; c = median(t[op "-" n, impl]) * 1e6 / (op == "restore" ? n * (servers[n] + 1) : n)
					line = line sprintf("  %s x%s: %.0f", n, servers[n], c)
					if (prev != "" && prev > 0) line = line sprintf(" (%.2fx)", c / prev)
					prev = c
				}
				print line
			}
		}
		line = "  restore  floor"; prev = ""
		for (i = 1; i <= ns; i++) {
			n = sizes[i]; c = median(floor[n]) * 1e6 / (n * (servers[n] + 1))
			line = line sprintf("  %s x%s: %.1f", n, servers[n], c)
			if (prev != "" && prev > 0) line = line sprintf(" (%.2fx)", c / prev)
			prev = c
		}
		print line " (the kernel alone)"
		line = "  list     floor"; prev = ""
		for (i = 1; i <= ns; i++) {
			n = sizes[i]; c = median(lindex[n]) * 1e6 / n
			line = line sprintf("  %s x%s: %.1f", n, servers[n], c)
			if (prev != "" && prev > 0) line = line sprintf(" (%.2fx)", c / prev)
			prev = c
		}
		print line " (the service dump alone: the kernel resumes it from its first service for every datagram)"
	}
	printf "medians of %d repetitions per figure (the largest size: %d)\n", runs[order[1], "ref"], runs["restore-" sizes[ns], "ref"]
}' "$1"
}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/apt.sh
. "$repo/tests/apt.sh"
ours=$("$repo/tests/release-dir.sh")/ipvsadm
baseline=
floor=$("$repo/tests/release-dir.sh")/examples/floor
listfloor=$("$repo/tests/release-dir.sh")/examples/listfloor
sockfloor=$("$repo/tests/release-dir.sh")/examples/sockfloor
sizes="1000 10000"
big=
big_repeat=1
summary=
small_runs=100
repeat=3
apply_repeat=1
apply_sizes=
figures=$repo/target/bench/figures.tsv
plot=1
while [ $# -gt 0 ]; do
	case $1 in
	--ours) ours=$2; shift 2 ;;
	--baseline) baseline=$2; shift 2 ;;
	--sizes) sizes=$2; shift 2 ;;
	--big) big=100000:2; shift ;;
	--big-repeat) big_repeat=$2; shift 2 ;;
	--small-runs) small_runs=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--apply-repeat) apply_repeat=$2; shift 2 ;;
	--apply-sizes) apply_sizes=$2; shift 2 ;;
	--summarize) summary=$2; shift 2 ;;
	--figures) figures=$2; shift 2 ;;
	--no-plot) plot=; shift ;;
	--icount) export VM_QEMU_EXTRA="${VM_QEMU_EXTRA:-} -icount shift=0,sleep=off"; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

if [ -n "$summary" ]; then
	echo "== benchmark: reference vs ours, same boot (the run in $summary)"
	mkdir -p "$(dirname "$figures")"
	summarize "$summary" "$figures"
	echo "figures: $figures"
	[ -z "$plot" ] || "$here/plot.sh" "$figures" "${figures%.*}.png"
	exit 0
fi

"$repo/tests/vm/vm.sh" setup
if ! [ -x /usr/bin/time ]; then
	apt_install time
fi
if [ "$ours" = "$("$repo/tests/release-dir.sh")/ipvsadm" ]; then
	(cd "$repo" && cargo build --release --quiet &&
		cargo build --release --quiet --example floor --example listfloor --example sockfloor)
fi
# Each size as N:K:R:A:F (services, real servers per service, repetitions, repetitions with
# the applies, 1 when the 1% apply is compared with the reference's clear and restore).
specs=
for s in $sizes; do
	case $s in *:*) ;; *) s=$s:4 ;; esac
	full=1
	if [ -n "$apply_sizes" ]; then
		case " $apply_sizes " in *" ${s%%:*} "*) ;; *) full=0 ;; esac
	fi
	specs="$specs $s:$repeat:$apply_repeat:$full"
done
[ -n "$big" ] && specs="$specs $big:$big_repeat:0:0"

payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
vm=$repo/tests/vm/vm.sh
"$vm" add-binary /usr/sbin/ipvsadm "$payload" ref/ipvsadm
"$vm" add-binary "$ours" "$payload" ours/ipvsadm
# ipvsadm-restore: its line parser alone (`--test`: every line parsed, nothing sent), and
# --apply when this build has it; ipvsadm-exporter, when it is there.
ours_restore=$(dirname "$ours")/ipvsadm-restore
has_apply=0
# --json and --metrics, when this build has them (an earlier build measured with --ours
# may not).
has_json=0
"$ours" -h 2>&1 | grep -q -- --json && has_json=1
has_metrics=0
"$ours" -h 2>&1 | grep -q -- --metrics && has_metrics=1
if [ -x "$ours_restore" ]; then
	"$vm" add-binary "$ours_restore" "$payload" ours/ipvsadm-restore
	"$ours_restore" --help 2>/dev/null | grep -q -- --apply && has_apply=1
fi
if [ -x "$(dirname "$ours")/ipvsadm-exporter" ]; then
	"$vm" add-binary "$(dirname "$ours")/ipvsadm-exporter" "$payload" ours/ipvsadm-exporter
fi
impls="ref ours"
if [ -n "$baseline" ]; then
	"$vm" add-binary "$baseline" "$payload" base/ipvsadm
	impls="ref ours base"
fi
"$vm" add-binary "$floor" "$payload" bin/floor
"$vm" add-binary "$listfloor" "$payload" bin/listfloor
"$vm" add-binary "$sockfloor" "$payload" bin/sockfloor
"$vm" add-binary /usr/bin/time "$payload" bin/time

# Rule sets: VIPs from 198.18.0.0/15, real servers from 203.0.113.0/24 (documentation ranges).
mkdir -p "$payload/data"
for spec in $specs; do
	n=${spec%%:*} k=${spec#*:} k=${k%%:*}
	awk -v n="$n" -v servers="$k" 'BEGIN {
		for (i = 0; i < n; i++) {
			vip = sprintf("198.%d.%d.%d:80", 18 + int(i / 65536), int(i / 256) % 256, i % 256)
			printf "-A -t %s -s wlc\n", vip
			for (k = 1; k <= servers; k++)
				printf "-a -t %s -r 203.0.113.%d:8080 -m -w %d\n", vip, k, k
		}
	}' >"$payload/data/rules-$n"
	# The same table with 1% changed: of every 100 services one gets another scheduler, and
	# of every 400 one is gone and one new (198.20.0.0/16) comes; of every 100 real servers
	# one gets another weight, and of every 400 one is gone and one on a new port comes.
	a=${spec#*:*:*:} a=${a%%:*}
	[ "$a" -gt 0 ] || continue
	awk -v n="$n" -v servers="$k" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (i % 400 == 1) continue
			vip = sprintf("198.%d.%d.%d:80", 18 + int(i / 65536), int(i / 256) % 256, i % 256)
			printf "-A -t %s -s %s\n", vip, (i % 100 == 0 ? "rr" : "wlc")
			for (k = 1; k <= servers; k++) {
				j = i * servers + k
				if (j % 400 == 3) { printf "-a -t %s -r 203.0.113.%d:9090 -m -w %d\n", vip, k, k; continue }
				printf "-a -t %s -r 203.0.113.%d:8080 -m -w %d\n", vip, k, (j % 100 == 2 ? 7 : k)
			}
		}
		for (i = 0; i < n / 400; i++) {
			vip = sprintf("198.20.%d.%d:80", int(i / 256) % 256, i % 256)
			printf "-A -t %s -s wlc\n", vip
			for (k = 1; k <= servers; k++) printf "-a -t %s -r 203.0.113.%d:8080 -m -w 1\n", vip, k
		}
	}' >"$payload/data/rules-$n-new"
done
awk 'BEGIN { for (i = 1; i <= 5; i++) { printf "-A -t 192.0.2.%d:80 -s rr\n", i;
	for (k = 1; k <= 2; k++) printf "-a -t 192.0.2.%d:80 -r 198.51.100.%d:80 -m\n", i, k } }' \
	>"$payload/data/small"

cat >"$payload/run.sh" <<EOF
#!/bin/sh
specs="$specs"
has_apply=$has_apply
has_json=$has_json
has_metrics=$has_metrics
small_runs=$small_runs
echo "SMALLRUNS $small_runs"
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
for spec in $specs; do
	n=${spec%%:*} k=${spec#*:} reps=${k#*:} k=${k%%:*} applies=${reps#*:} reps=${reps%%:*}
	full=${applies#*:} applies=${applies%%:*}
	echo "SIZE $n $k"
	r=0
	while [ $r -lt $reps ]; do
		r=$((r + 1))
		for impl in $impls; do
			fresh
			measure restore-$n $impl /payload/data/rules-$n /payload/$impl/ipvsadm -R
			measure list-$n $impl /dev/null /payload/$impl/ipvsadm -Ln
			if [ $impl = ours ]; then
				# The same netlink read as the machine outputs (services and real servers
				# with their counters), printed as text: their fair baseline since -Ln
				# reads the real servers through the socket options.
				measure stats-$n ours /dev/null /payload/ours/ipvsadm -Ln --stats
			fi
			if [ $impl = ours ] && [ $has_json = 1 ]; then
				measure json-$n ours /dev/null /payload/ours/ipvsadm -Ln --json
			fi
			if [ $impl = ours ] && [ $has_metrics = 1 ]; then
				measure metrics-$n ours /dev/null /payload/ours/ipvsadm --metrics
			fi
			if [ $impl = ours ] && [ -x /payload/ours/ipvsadm-exporter ]; then
				$IP netns exec b$ns /payload/ours/ipvsadm-exporter --listen 127.0.0.1:9617 2>/dev/null &
				exporter=$!
				for _ in $(seq 300); do
					$IP netns exec b$ns wget -q -O /dev/null http://127.0.0.1:9617/health 2>/dev/null && break
					sleep 0.1
				done
				# The timed scrape's client throws the bytes away, as a Prometheus server
				# keeps them in memory: what is timed is the exporter and the loopback, not
				# the client's writing of some 64 MB to tmpfs (0.3 to 0.6 s of its own under
				# emulation at 10,000 x 4). A second scrape, untimed, keeps the text to count
				# what it holds.
				$T -f "%e" -o /tmp/t $IP netns exec b$ns wget -q -O /dev/null http://127.0.0.1:9617/metrics
				st=$?
				echo "RESULT scrape-$n ours $(cat /tmp/t) $(awk '/^VmHWM:/ { print $2 }' /proc/$exporter/status) $st"
				$IP netns exec b$ns wget -q -O /tmp/out-scrape-$n-ours http://127.0.0.1:9617/metrics
				kill $exporter
				wait $exporter 2>/dev/null
				echo "METRICS $n services: $(wc -c </tmp/out-metrics-$n-ours) bytes, $(grep -c '^ipvs_service_connections_total' /tmp/out-scrape-$n-ours) services scraped"
			fi
			measure save-$n $impl /dev/null /payload/$impl/ipvsadm -Sn
			measure clear-$n $impl /dev/null /payload/$impl/ipvsadm -C
			gone
			# The floors right after our own runs, so that a change in the host's load
			# between the two moves both alike.
			[ "$impl" = ours ] || continue
			fresh
			out=$($IP netns exec b$ns /payload/bin/floor </payload/data/rules-$n)
			echo "FLOOR $n $out"
			out=$($IP netns exec b$ns /payload/bin/listfloor)
			echo "LISTFLOOR $n $out"
			out=$($IP netns exec b$ns /payload/bin/sockfloor)
			echo "SOCKFLOOR $n $out"
			if [ -x /payload/ours/ipvsadm-restore ]; then
				$T -f "%e" -o /tmp/t $IP netns exec b$ns /payload/ours/ipvsadm-restore --test \
					</payload/data/rules-$n >/dev/null 2>&1
				echo "PARSE $n $(cat /tmp/t)"
			fi
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
		[ "$has_apply" = 1 ] && [ $r -le "$applies" ] || continue
		new=/payload/data/rules-$n-new
		if [ "$full" = 1 ]; then
			# Applying 1% of change: from the old table each time, the three ways in turn,
			# each once the kernel's work after loading the old table (its rate estimators
			# start) is done.
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
			if cmp -s /tmp/applied-ref /tmp/applied-ours; then
				echo "SAME apply-$n $(wc -l </tmp/applied-ours) lines"
			else
				echo "DIFFER apply-$n"; status=1
				diff /tmp/applied-ref /tmp/applied-ours | head -5
			fi
		else
			fresh
			$IP netns exec b$ns /payload/ours/ipvsadm -R <$new
		fi
		# Nothing left to do: three no-op applies and three saves of the same table, in turns.
		settle
		for _ in 1 2 3; do
			measure noop-$n ours /dev/null /payload/ours/ipvsadm-restore --apply $new
			measure noop-$n save /dev/null /payload/ours/ipvsadm -Sn
		done
		gone
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
timeout=1800
[ -n "$big" ] && timeout=$((timeout + 7200 * big_repeat))
"$vm" run "$payload" $timeout | tee "$log" | grep -E '^(RESULT|FLOOR|LISTFLOOR|PARSE|SAME|DIFFER|SIZE|METRICS)' || status=$?
grep -q '^DIFFER' "$log" && status=1

echo
clock="QEMU TCG"
case ${VM_QEMU_EXTRA:-} in *icount*) clock="QEMU TCG, -icount: guest instructions, 1 ns each" ;; esac
echo "== benchmark: reference vs ours, same boot ($(date -u +%F), $(nproc) cpu host, $clock)"
mkdir -p "$(dirname "$figures")"
summarize "$log" "$figures"
echo "figures: $figures"
# The picture of BENCHMARKS.md, drawn from those figures.
[ -z "$plot" ] || "$here/plot.sh" "$figures" "${figures%.*}.png" || status=$?
cp "$log" "$(dirname "$figures")/console.log"
rm -f "$log"
exit $status
