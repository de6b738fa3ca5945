#!/bin/sh
# tests/metrics/vm.sh: runs INSIDE the test VM (busybox sh), from tests/metrics/run.sh.
#
# 1. A NAT service with two real servers, an idle fwmark service and a master sync daemon
#    in a director namespace; real traffic through the NAT service. While the table holds
#    still (its JSON the same before and after), `--json`, `--metrics --rate`, `-Ln --stats
#    --exact` and an exporter scrape are taken; then more traffic and the same again. The
#    host compares them value by value (tests/metrics_vm.rs) and lints every exposition
#    with promtool.
# 2. The textfile route: the command of the shipped ipvsadm-metrics.service, as written.
# 3. The exporter survives: scrapes while another namespace's table churns, a watched
#    namespace deleted, 1,000 scrapes in a row (its RSS before and after), clients that
#    never read beside 20 concurrent scrapes of 2,000 services x 4, 50 concurrent
#    scrapers (its RSS), the cap on scrapes in flight, the write timeout, and the ip_vs
#    module unloaded.
# Prints `ok - ...` / `not ok - ...` per check, the samples base64-encoded between
# `@@SAMPLE name@@` and `@@END@@`, then `N passed, N failed`.
cd /payload || exit 2
. ./lib.sh
export PATH=/payload/bin:$PATH
IPVSADM=/payload/bin/ipvsadm
EXPORTER=/payload/bin/ipvsadm-exporter
: >/tmp/dp-state
. ./checks.sh
# scrape PORT [ACCEPT]: the exporter's /metrics, seen from the monitoring namespace.
scrape() {
	if [ -n "${2:-}" ]; then
		nsx mtm timeout 60 wget -q -O - --header "Accept: $2" "http://127.0.0.1:$1/metrics"
	else
		nsx mtm timeout 60 wget -q -O - "http://127.0.0.1:$1/metrics"
	fi
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# The number of metric families of an exposition.
families() { grep -c '^# TYPE ' "$1"; }

# ---- 1. the NAT service, with traffic ------------------------------------------------------
VIP=192.0.2.1 C=mtc D=mtd R1=mtr1 R2=mtr2
ns_add $C $D $R1 $R2 mtm mtx mty
router $D
wire $C eth0 $D eth0
addr $C eth0 192.0.2.10/24
addr $D eth0 $VIP/24
nat_servers mtb0 $D $R1 $R2
ipvs $D -A -t $VIP:80 -s rr
ipvs $D -a -t $VIP:80 -r 203.0.113.11:80 -m
ipvs $D -a -t $VIP:80 -r 203.0.113.12:80 -m -w 2
ipvs $D -A -f 7 -6 -s wlc -p 60
ipvs $D -a -f 7 -6 -r 2001:db8::11 -g
ipvs $D --start-daemon master --mcast-interface lo --syncid 9
ipvs mty -A -u 198.18.0.53:53 -s rr

# The exporter, in its own namespace on its loopback, watching three others.
$IP netns exec mtm $EXPORTER --listen 127.0.0.1:9617 --netns $D --netns mtx --netns mty --rates \
	2>/tmp/exporter.log &
E1=$!
echo "pid $E1" >>/tmp/dp-state
wait_ok() { nsx mtm timeout 5 wget -q -O /dev/null http://127.0.0.1:9617/health; }
wait_for 60 wait_ok && ok "the exporter answers /health" || bad "the exporter answers /health" "$(cat /tmp/exporter.log)"

traffic() { # traffic N: N page fetches and two 64 KiB downloads through the NAT service
	got=$(fetch_n $C http://$VIP/ "$1")
	s1=$(fetch_size $C http://$VIP/big)
	s2=$(fetch_size $C http://$VIP/big)
	[ "$(count aaaa "$got")" -gt 0 ] && [ "$(count bbbbb "$got")" -gt 0 ] && [ "$s1$s2" = 6553665536 ]
}
traffic 6 && ok "traffic through the NAT service" || bad "traffic through the NAT service" "$got $s1 $s2"
# The counters are published by the kernel's estimator about every 2 s.
conns_now() { nsx $D $IPVSADM -Ln --stats --exact -t $VIP:80 | awk '$1 == "TCP" { print $3 }'; }
conns_at_least() { [ "$(conns_now)" -ge "$1" ]; }
wait_for 60 conns_at_least 8 && ok "the counters show the traffic ($(conns_now) connections)" ||
	bad "the counters show the traffic" "$(conns_now)"

# still N: json, metrics, -Ln --stats --exact, a scrape and json again, until the two JSON
# documents are the same (nothing moved in between); the four go to the host as samples.
still() {
	tries=0
	while [ $tries -lt 20 ]; do
		tries=$((tries + 1))
		nsx $D $IPVSADM -Ln --json >/tmp/mt-a.json
		nsx $D $IPVSADM --metrics --rate >/tmp/mt-metrics.prom
		nsx $D $IPVSADM -Ln --stats --exact >/tmp/mt-stats.txt
		scrape 9617 >/tmp/mt-scrape.prom
		nsx $D $IPVSADM -Ln --json >/tmp/mt-b.json
		if cmp -s /tmp/mt-a.json /tmp/mt-b.json; then
			ok "snapshot $1: the table held still around --metrics, -Ln --stats and a scrape (try $tries)"
			sample "json-$1.json" /tmp/mt-a.json
			sample "metrics-$1.prom" /tmp/mt-metrics.prom
			sample "stats-$1.txt" /tmp/mt-stats.txt
			sample "scrape-$1.prom" /tmp/mt-scrape.prom
			return 0
		fi
		sleep 0.7
	done
	bad "snapshot $1: the table kept moving for $tries tries"
}
still 1
before=$(conns_now)
traffic 4 && ok "more traffic" || bad "more traffic" "$got $s1 $s2"
wait_for 60 conns_at_least $((before + 6)) && ok "the counters grew ($before -> $(conns_now) connections)" ||
	bad "the counters grew" "$before -> $(conns_now)"
still 2

# The kernel's per-second estimates only when asked for: 15 families more with --rate.
nsx $D $IPVSADM --metrics >/tmp/mt-norates.prom
[ $(($(families /tmp/mt-metrics.prom) - $(families /tmp/mt-norates.prom))) = 15 ] &&
	! grep -q '_per_second' /tmp/mt-norates.prom && [ "$(grep -v '_per_second' /tmp/mt-metrics.prom)" = "$(cat /tmp/mt-norates.prom)" ] &&
	ok "--metrics without --rate: the 15 families of per-second estimates left out, the rest the same" ||
	bad "--metrics without --rate" "$(families /tmp/mt-metrics.prom) and $(families /tmp/mt-norates.prom) families"
sample metrics-norates.prom /tmp/mt-norates.prom
nsx $D $IPVSADM --metrics --openmetrics >/tmp/mt-om.txt && [ "$(tail -n 1 /tmp/mt-om.txt)" = "# EOF" ] &&
	ok "--metrics --openmetrics ends with # EOF" || bad "--metrics --openmetrics" "$(tail -n 3 /tmp/mt-om.txt)"
sample openmetrics.txt /tmp/mt-om.txt
scrape 9617 "application/openmetrics-text; version=1.0.0" >/tmp/mt-om-scrape.txt
[ "$(tail -n 1 /tmp/mt-om-scrape.txt)" = "# EOF" ] && grep -q '^# TYPE ipvs_service info$' /tmp/mt-om-scrape.txt &&
	ok "a scrape asking for OpenMetrics gets it" || bad "a scrape asking for OpenMetrics" "$(head -n 5 /tmp/mt-om-scrape.txt)"
sample openmetrics-scrape.txt /tmp/mt-om-scrape.txt

# ---- 2. the textfile route, as the shipped unit writes it ----------------------------------
mkdir -p /tmp/textfile
unit_cmd=$(sed -n 's/^ExecStart=//p' ipvsadm-metrics.service | sed 's/\$\$/$/g; s|/usr/sbin/ipvsadm|/payload/bin/ipvsadm|g')
out=$(nsx $D env TEXTFILE_DIR=/tmp/textfile sh -c "$unit_cmd" 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ] && [ "$(ls /tmp/textfile)" = ipvs.prom ] &&
	grep -q '^ipvs_service_connections_total{family="inet",protocol="tcp",address="192.0.2.1",port="80"} ' /tmp/textfile/ipvs.prom; then
	ok "the textfile unit's command writes ipvs.prom (and no temporary file is left)"
else
	bad "the textfile unit's command (status $rc)" "$unit_cmd" "$out" "$(ls -l /tmp/textfile)"
fi
sample textfile.prom /tmp/textfile/ipvs.prom

# ---- 3. the exporter survives --------------------------------------------------------------
# a. Scrapes while mtx's table churns: 40 rounds of a 60-service restore and a clear.
i=0
while [ $i -lt 60 ]; do
	i=$((i + 1))
	echo "-A -t 198.18.1.$i:80 -s rr"
	echo "-a -t 198.18.1.$i:80 -r 198.51.100.$i:80 -g"
	echo "-a -t 198.18.1.$i:80 -r 198.51.100.$((i + 100)):80 -g -w 2"
done >/tmp/churn.rules
(
	n=0
	while [ $n -lt 40 ]; do
		n=$((n + 1))
		nsx mtx ipvsadm-restore </tmp/churn.rules
		nsx mtx $IPVSADM -C
	done
) &
churner=$!
echo "pid $churner" >>/tmp/dp-state
n=0 good=0 partial=0 expected=$(families /tmp/mt-scrape.prom)
while [ $n -lt 30 ]; do
	n=$((n + 1))
	if scrape 9617 >/tmp/mt-churn.prom && [ "$(families /tmp/mt-churn.prom)" = "$expected" ] &&
		grep -q '^ipvs_up{netns="mtx"} 1$' /tmp/mt-churn.prom; then
		good=$((good + 1))
		s=$(grep -c '^ipvs_service_connections_total{netns="mtx",' /tmp/mt-churn.prom)
		[ "$s" -gt 0 ] && [ "$s" -lt 60 ] && partial=$((partial + 1))
		[ "$s" -gt 0 ] && cp /tmp/mt-churn.prom /tmp/mt-churn-some.prom
	fi
done
wait $churner
kill -0 $E1 2>/dev/null && [ $good = 30 ] &&
	ok "30 scrapes while a table churned: all complete, mtx up in all ($partial caught it part-way)" ||
	bad "scrapes while a table churned: $good of 30 complete" "$(tail -n 5 /tmp/exporter.log)"
[ -f /tmp/mt-churn-some.prom ] && sample churn.prom /tmp/mt-churn-some.prom

# b. A watched namespace deleted; and an exporter of every namespace sees it go.
$IP netns exec mtm $EXPORTER --listen 127.0.0.1:9618 --all-netns 2>/tmp/exporter-all.log &
E2=$!
echo "pid $E2" >>/tmp/dp-state
wait_all() { nsx mtm timeout 5 wget -q -O /dev/null http://127.0.0.1:9618/health; }
wait_for 60 wait_all || bad "the --all-netns exporter answers"
scrape 9618 >/tmp/mt-all.prom
sample all-netns.prom /tmp/mt-all.prom
grep -q '^ipvs_up{netns="mty"} 1$' /tmp/mt-all.prom && grep -q '^ipvs_up{netns="mtd"} 1$' /tmp/mt-all.prom &&
	ok "--all-netns watches every namespace ($(grep -c '^ipvs_up{' /tmp/mt-all.prom))" ||
	bad "--all-netns" "$(grep '^ipvs_up' /tmp/mt-all.prom)"
$IP netns del mty
scrape 9617 >/tmp/mt-del.prom
scrape 9618 >/tmp/mt-del-all.prom
if grep -q '^ipvs_up{netns="mty"} 0$' /tmp/mt-del.prom && grep -q '^ipvs_up{netns="mtd"} 1$' /tmp/mt-del.prom &&
	! grep -q 'netns="mty"' /tmp/mt-del-all.prom && grep -q '^ipvs_up{netns="mtd"} 1$' /tmp/mt-del-all.prom &&
	kill -0 $E1 2>/dev/null && kill -0 $E2 2>/dev/null &&
	grep -q '^ipvsadm-exporter: netns mty: ' /tmp/exporter.log &&
	grep -q '^ipvsadm-exporter: netns mty: gone' /tmp/exporter-all.log; then
	ok "a watched namespace deleted: ipvs_up 0 and a log line; --all-netns drops it"
else
	bad "a watched namespace deleted" "$(grep '^ipvs_up' /tmp/mt-del.prom /tmp/mt-del-all.prom)" \
		"$(cat /tmp/exporter.log /tmp/exporter-all.log)"
fi
sample deleted.prom /tmp/mt-del.prom
kill $E2

# c. 1,000 scrapes in a row, the RSS before and after: ten wget runs of 100 URLs each (one
# connection per URL; a process per scrape would cost more than the scrapes).
urls() { i=0; while [ $i -lt "$1" ]; do i=$((i + 1)); echo http://127.0.0.1:9617/metrics; done; }
scrapes() { nsx mtm timeout 300 wget -q -O /dev/null $(urls "$1"); }
scrapes 10
rss0=$(rss $E1)
t0=$(cut -d' ' -f1 /proc/uptime)
n=0 failed=0
while [ $n -lt 10 ]; do
	n=$((n + 1))
	scrapes 100 || failed=$((failed + 1))
	[ $n = 1 ] && rss100=$(rss $E1)
done
rss1=$(rss $E1)
t1=$(cut -d' ' -f1 /proc/uptime)
echo "1,000 scrapes (3 namespaces each) in $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s"
echo "exporter RSS: ${rss0} kB after 10 scrapes, ${rss100} kB after 110, ${rss1} kB after 1,010"
# Stable memory: what the last 900 scrapes added stays under 1 MiB (a leak of one table per
# scrape, some 10 KiB here, would add 9 MiB).
if [ $failed = 0 ] && [ $((rss1 - rss100)) -lt 1024 ] && kill -0 $E1 2>/dev/null; then
	ok "1,000 scrapes, none failed; RSS ${rss0} kB -> ${rss1} kB"
else
	bad "1,000 scrapes: $failed runs of 100 failed; RSS ${rss0} -> ${rss100} -> ${rss1} kB"
fi

# d. Clients that do not read hold up no one: 2,000 services x 4 real servers in mtbig, an
# exporter of it (its write timeout long, so the stalled client below stays connected
# throughout).
ns_add mtbig
awk 'BEGIN { for (i = 0; i < 2000; i++) {
	vip = sprintf("198.18.%d.%d:80", int(i / 250) + 2, i % 250 + 1)
	printf "-A -t %s -s wrr\n", vip
	for (r = 1; r <= 4; r++) printf "-a -t %s -r 198.51.100.%d:80 -g -w %d\n", vip, r, r
} }' >/tmp/big.rules
nsx mtbig ipvsadm-restore </tmp/big.rules && [ "$(nsx mtbig $IPVSADM -Ln | grep -c '^  ->')" = 8001 ] &&
	ok "mtbig holds 2,000 services x 4 real servers" || bad "mtbig: the 2,000 x 4 table"
PB=9619
$IP netns exec mtm $EXPORTER --listen 127.0.0.1:$PB --netns mtbig --web.write-timeout 3600 \
	--web.max-requests 100 2>/tmp/exporter-big.log &
E3=$!
echo "pid $E3" >>/tmp/dp-state
wait_big() { nsx mtm timeout 5 wget -q -O /dev/null http://127.0.0.1:$PB/health; }
wait_for 20 wait_big || bad "the exporter of mtbig answers" "$(cat /tmp/exporter-big.log)"
# series FILE: the series of an exposition (names and labels, no values), as one checksum.
series() { grep -v '^#' "$1" | sed 's/ [^ ]*$//' | sort | md5sum | cut -d' ' -f1; }
scrape $PB >/tmp/big-ref.prom
ref=$(series /tmp/big-ref.prom)
nref=$(grep -vc '^#' /tmp/big-ref.prom)
[ "$(grep -c '^ipvs_server_weight{' /tmp/big-ref.prom)" = 8000 ] &&
	ok "a scrape of mtbig: $nref series, $(wc -c </tmp/big-ref.prom) bytes" ||
	bad "a scrape of mtbig" "$(grep -c '^ipvs_server_weight{' /tmp/big-ref.prom) real servers"
# A client that sends a request and never reads: busybox nc becomes the script, with the
# connection as its standard input and output; the script asks, leaves its pid (the one
# process that holds the connection) and then sleeps.
printf '#!/bin/sh\nprintf "GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"\necho $$ >/tmp/stall.pid\nexec sleep 100000\n' >/tmp/stall.sh
chmod +x /tmp/stall.sh
# stalled PORT: the exporter's side of a connection on PORT has bytes its client has not
# taken (its send queue is not empty).
stalled() {
	nsx mtm awk -v p="$(printf ':%04X' "$1")" '$2 ~ p "$" && $4 == "01" {
		split($5, q, ":"); if (q[1] != "00000000") n++ } END { exit !n }' /proc/net/tcp
}
stall() { # stall PORT: a stalled client of the exporter on PORT; its pid in $stall_pid
	rm -f /tmp/stall.pid
	nsx mtm nc 127.0.0.1 "$1" -e /tmp/stall.sh &
	wait_for 60 test -s /tmp/stall.pid || bad "the stalled client connects to port $1"
	stall_pid=$(cat /tmp/stall.pid)
	echo "pid $stall_pid" >>/tmp/dp-state
}
stall $PB
wait_for 60 stalled $PB && ok "a client that never reads: the exporter's send queue to it is full" ||
	bad "the stalled client" "$(nsx mtm cat /proc/net/tcp)"
# 20 scrapes at once while it stays connected, each checked for every series.
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	(nsx mtm timeout 300 wget -q -O /tmp/big-$i.prom http://127.0.0.1:$PB/metrics; echo $? >/tmp/big-$i.rc) &
done
wait_done() { [ "$(cat /tmp/big-*.rc 2>/dev/null | wc -l)" = 20 ]; }
wait_for 330 wait_done
complete=0
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	[ "$(cat /tmp/big-$i.rc 2>/dev/null)" = 0 ] && [ "$(series /tmp/big-$i.prom)" = "$ref" ] && complete=$((complete + 1))
	rm -f /tmp/big-$i.prom
done
[ $complete = 20 ] && kill -0 $stall_pid 2>/dev/null && stalled $PB &&
	ok "20 concurrent scrapes complete, each with all $nref series, while a client that never reads stays connected" ||
	bad "20 concurrent scrapes beside a stalled client: $complete of 20 complete with every series" \
		"$(tail -n 5 /tmp/exporter-big.log)"
# 50 concurrent scrapers, two rounds: the RSS after each round.
fifty() {
	j=0
	while [ $j -lt 50 ]; do
		j=$((j + 1))
		nsx mtm timeout 300 wget -q -O /dev/null http://127.0.0.1:$PB/metrics || echo x >>/tmp/fifty.failed &
	done
	wait_for 330 fifty_over
}
fifty_over() { ! pidof wget >/dev/null; }
: >/tmp/fifty.failed
rss_before=$(rss $E3)
round=0 rsses=""
while [ $round -lt 2 ]; do
	round=$((round + 1))
	fifty
	rsses="$rsses $(rss $E3)"
done
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$E3/status")
echo "exporter RSS (2,000 x 4): ${rss_before} kB before, after each round of 50 concurrent scrapes:$rsses kB; peak $hwm kB"
# Flat: no round leaves the exporter more than 64 MiB above where it started (between
# reads it holds at most a read's text, some $(($(wc -c </tmp/big-ref.prom) / 1048576)) MiB,
# and a table; a copy of the text per scraper would be 50 times that).
top=0
for r in $rsses; do [ "$r" -gt $top ] && top=$r; done
if [ ! -s /tmp/fifty.failed ] && [ $((top - rss_before)) -lt 65536 ] && kill -0 $E3 2>/dev/null; then
	ok "100 scrapes, 50 at a time, none failed; RSS flat (${rss_before} kB before, at most ${top} kB after a round)"
else
	bad "50 concurrent scrapers: $(wc -l </tmp/fifty.failed) failed; RSS $rss_before ->$rsses kB"
fi
kill $stall_pid
# The cap: with one place, a stalled client's scrape holds it and the next is answered 503;
# when that client goes, its place is given back.
$IP netns exec mtm $EXPORTER --listen 127.0.0.1:9620 --netns mtbig --web.max-requests 1 \
	--web.write-timeout 3600 2>/tmp/exporter-cap.log &
E4=$!
echo "pid $E4" >>/tmp/dp-state
wait_cap() { nsx mtm timeout 5 wget -q -O /dev/null http://127.0.0.1:9620/health; }
wait_for 20 wait_cap || bad "the capped exporter answers" "$(cat /tmp/exporter-cap.log)"
stall 9620
wait_for 60 stalled 9620 || bad "the stalled client of the capped exporter"
out=$(nsx mtm timeout 60 wget -q -O /dev/null http://127.0.0.1:9620/metrics 2>&1)
case $out in
*503*) ok "--web.max-requests 1: a scrape beyond it is answered 503" ;;
*) bad "--web.max-requests 1: a scrape beyond it" "$out" ;;
esac
kill $stall_pid
scrape_cap() { nsx mtm timeout 300 wget -q -O /dev/null http://127.0.0.1:9620/metrics; }
wait_for 120 scrape_cap && ok "the stalled client gone, its place is given back" || bad "the place given back"
kill $E4
# A write without progress ends its connection: a write timeout of 2 s and a stalled client.
$IP netns exec mtm $EXPORTER --listen 127.0.0.1:9621 --netns mtbig --web.write-timeout 2 \
	2>/tmp/exporter-wt.log &
E5=$!
echo "pid $E5" >>/tmp/dp-state
wait_wt() { nsx mtm timeout 5 wget -q -O /dev/null http://127.0.0.1:9621/health; }
wait_for 20 wait_wt || bad "the exporter with a write timeout answers" "$(cat /tmp/exporter-wt.log)"
stall 9621
ended() { ! stalled 9621 && grep -q 'connection: error writing a body' /tmp/exporter-wt.log; }
wait_for 120 ended && kill -0 $stall_pid 2>/dev/null &&
	ok "--web.write-timeout 2: the exporter ends the connection of a client that stopped reading" ||
	bad "the write timeout" "$(cat /tmp/exporter-wt.log)"
kill $stall_pid $E5
sed 's/^/    /' /tmp/exporter-wt.log

# e. The ip_vs module unloaded: every table flushed, the daemon stopped, the modules removed,
# and the kernel's module loader pointed at /bin/false (the kernel loads ip_vs on demand when
# a program asks generic netlink for the IPVS family: this makes it a kernel without it).
nsx $D $IPVSADM --stop-daemon master
for ns in $($IP netns list | awk '{ print $1 }'); do nsx "$ns" $IPVSADM -C; done
$IPVSADM -C
for m in $(awk '$1 ~ /^ip_vs_/ { print $1 }' /proc/modules); do rmmod "$m"; done
rmmod ip_vs 2>/tmp/rmmod.err
modprobe_was=$(cat /proc/sys/kernel/modprobe)
echo /bin/false >/proc/sys/kernel/modprobe
if grep -q '^ip_vs ' /proc/modules; then
	bad "ip_vs could not be unloaded" "$(cat /tmp/rmmod.err)" "$(grep '^ip_vs' /proc/modules)"
else
	scrape 9617 >/tmp/mt-noipvs.prom
	if grep -q '^ipvs_up{netns="mtd"} 0$' /tmp/mt-noipvs.prom && grep -q '^ipvs_up{netns="mtx"} 0$' /tmp/mt-noipvs.prom &&
		kill -0 $E1 2>/dev/null && ! grep -q '^ip_vs ' /proc/modules &&
		grep -q '^ipvsadm-exporter: netns mtd: .*IPVS' /tmp/exporter.log; then
		ok "ip_vs unloaded: ipvs_up 0 everywhere, a log line, the exporter serving"
	else
		bad "ip_vs unloaded" "$(grep '^ipvs_up' /tmp/mt-noipvs.prom)" "$(cat /tmp/exporter.log)"
	fi
	sample no-ipvs.prom /tmp/mt-noipvs.prom
	# The textfile unit's command, IPVS unreadable: its earlier ipvs.prom (section 2) is
	# replaced by `ipvs_up 0` alone, and the unit fails; a missing directory fails at once.
	# ipvsadm itself runs /sbin/modprobe ip_vs when IPVS is missing (as the reference does),
	# which the kernel's module loader setting does not stop: it is moved aside meanwhile.
	mv /sbin/modprobe /sbin/modprobe.off
	out=$(nsx $D env TEXTFILE_DIR=/tmp/textfile sh -c "$unit_cmd" 2>&1)
	rc=$?
	if [ $rc = 1 ] && [ "$(grep -v '^#' /tmp/textfile/ipvs.prom)" = "ipvs_up 0" ] && [ "$(ls /tmp/textfile)" = ipvs.prom ]; then
		ok "the textfile unit's command without IPVS: ipvs.prom says ipvs_up 0 and nothing stale, status 1"
	else
		bad "the textfile unit's command without IPVS (status $rc)" "$out" "$(head -n 5 /tmp/textfile/ipvs.prom)"
	fi
	sample textfile-down.prom /tmp/textfile/ipvs.prom
	out=$(nsx $D env TEXTFILE_DIR=/tmp/no-such-dir sh -c "$unit_cmd" 2>&1)
	rc=$?
	[ $rc = 1 ] && [ ! -e /tmp/no-such-dir ] && [ "$out" = "ipvsadm-metrics: /tmp/no-such-dir is not a directory" ] &&
		ok "the textfile unit's command with no directory: status 1, a message, nothing made" ||
		bad "the textfile unit's command with no directory (status $rc)" "$out"
	mv /sbin/modprobe.off /sbin/modprobe
fi
echo "$modprobe_was" >/proc/sys/kernel/modprobe
nsx mtm timeout 5 wget -q -O - http://127.0.0.1:9617/health | grep -qx ok &&
	ok "/health still answers" || bad "/health"
echo "exporter log:"
sed 's/^/    /' /tmp/exporter.log

for pid in $(sed -n 's/^pid //p' /tmp/dp-state); do kill "$pid" 2>/dev/null; done
checks_done
