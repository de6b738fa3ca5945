#!/bin/sh
# tests/json/vm.sh: runs INSIDE the test VM (busybox sh), from tests/json/run.sh.
#
# 1. A rich table (every scheduler flag, every tunnel type, fwmark IPv4 and IPv6, SCTP,
#    thresholds, persistence with netmasks and an engine, IPv6) in a director namespace,
#    with real traffic through a NAT service for counters. Every text listing mode
#    (`-Ln --exact` with each display option, one service, connections, timeouts, daemons,
#    and a listing with names) is captured with its JSON, while the table holds still (the
#    texts read before and after the JSON are the same), and printed base64-encoded between
#    `@@SAMPLE name@@` and `@@END@@` for the host to compare field by field and to validate.
# 2. Save as JSON, clear, restore the JSON: `-Sn` byte-identical before and after.
# 3. --netns: two namespaces with different tables, each command sees only its own; a missing
#    namespace gives the error, status 2, and changes nothing.
# 4. The library's two read paths (real servers through the socket options, netlink alone)
#    compared field by field by examples/readpaths on a table with every kind of IPv4
#    service, then with an IPv6 service, then with a persistence engine.
# Prints `ok - ...` / `not ok - ...` per check, then `N passed, N failed`.
cd /payload || exit 2
. ./lib.sh
export PATH=/payload/bin:$PATH
IPVSADM=/payload/bin/ipvsadm
: >/tmp/dp-state
. ./checks.sh

# ---- 1. the rich table, with traffic -------------------------------------------------------
VIP=192.0.2.1 C=jsc D=jsd R1=jsr1 R2=jsr2
ns_add $C $D $R1 $R2
router $D
wire $C eth0 $D eth0
addr $C eth0 192.0.2.10/24 2001:db8::10/64
addr $D eth0 $VIP/24 192.0.2.2/24 192.0.2.3/24 192.0.2.4/24 2001:db8::1/64
nat_servers jsb0 $D $R1 $R2
addr $D eth1 2001:db8:1::1/64
addr $R1 eth0 2001:db8:1::11/64
route $R1 -6 default via 2001:db8:1::1

ipvs $D -A -t $VIP:80 -s rr
ipvs $D -a -t $VIP:80 -r 203.0.113.11:80 -m -w 2 -x 1000 -y 10
ipvs $D -a -t $VIP:80 -r 203.0.113.12:80 -m
ipvs $D -A -u $VIP:5060 -s sh -b sh-fallback,sh-port -p 300 -M 255.255.255.0 --pe sip
ipvs $D -a -u $VIP:5060 -r 203.0.113.11 -g -w 0
ipvs $D -A -u $VIP:53 -s wlc -o
ipvs $D -a -u $VIP:53 -r 203.0.113.12:53 -m
ipvs $D -A -t 192.0.2.2:443 -s mh -b mh-fallback,mh-port
ipvs $D -a -t 192.0.2.2:443 -r 203.0.113.30 -i --tun-type ipip
ipvs $D -a -t 192.0.2.2:443 -r 203.0.113.31 -i --tun-type gue --tun-port 6080 --tun-remcsum
ipvs $D -a -t 192.0.2.2:443 -r 203.0.113.32 -i --tun-type gre --tun-csum
ipvs $D -A -t 192.0.2.3:8080 -s wrr -b flag-1,flag-3
ipvs $D -a -t 192.0.2.3:8080 -r 203.0.113.12:80 -m -w 7
ipvs $D -A --sctp-service 192.0.2.4:3868 -s lc
ipvs $D -a --sctp-service 192.0.2.4:3868 -r 203.0.113.11 -m
ipvs $D -A -f 7 -s wlc -p
ipvs $D -a -f 7 -r 203.0.113.11:80 -g
ipvs $D -A -f 8 -6 -s sed -p 100 -M 64
ipvs $D -a -f 8 -6 -r [2001:db8:1::11]:80 -m
ipvs $D -A -t [2001:db8::1]:80 -s nq
ipvs $D -a -t [2001:db8::1]:80 -r [2001:db8:1::11]:80 -m -x 50

got=$(fetch_n $C http://$VIP/ 6)
[ "$(count aaaa "$got")" -gt 0 ] && [ "$(count bbbbb "$got")" -gt 0 ] &&
	ok "traffic through the NAT service ($got)" || bad "traffic through the NAT service" "$got"
size=$(fetch_size $C http://$VIP/big)
[ "$size" = 65536 ] && ok "a 64 KiB download through it" || bad "a 64 KiB download" "$size bytes"
# The counters behind --stats are published by the kernel's estimator about every 2 s (late
# and irregularly under emulation): wait for what the host asserts, the download's bytes out.
outbytes() { nsx $D $IPVSADM -Ln --stats --exact -t $VIP:80 | awk '$1 == "TCP" { print $7 + 0 }'; }
counted() { [ "$(outbytes)" -gt 65536 ]; }
wait_for 60 counted && ok "the counters show the download ($(outbytes) bytes out)" ||
	bad "the counters show the download within 60 s" "$(outbytes) bytes out"

# A sync daemon, for the daemon listing.
ipvs $D --start-daemon master --mcast-interface lo --syncid 9
# The listings: texts before and after the JSON must be the same (rates and connection
# counts move while connections expire and the estimator ticks).
MODES="plain stats rate thresholds persistent-conn tun-info"
mode_opt() { [ "$1" = plain ] || echo "--$1"; }
texts() { # texts DIR: every text listing into DIR
	mkdir -p "$1"
	for m in $MODES; do
		nsx $D $IPVSADM -Ln --exact $(mode_opt $m) >"$1/list-$m.txt"
	done
	nsx $D $IPVSADM -Ln --exact -t $VIP:80 >"$1/service.txt"
	nsx $D $IPVSADM -L --exact >"$1/names.txt"
}
tries=0 same=0
while [ $tries -lt 30 ]; do
	tries=$((tries + 1))
	rm -rf /tmp/js-a /tmp/js-b
	texts /tmp/js-a
	mkdir -p /tmp/js-j
	nsx $D $IPVSADM -Ln --json >/tmp/js-j/list.json
	nsx $D $IPVSADM -Ln -t $VIP:80 -j >/tmp/js-j/service.json
	nsx $D $IPVSADM -L --json >/tmp/js-j/names.json
	texts /tmp/js-b
	if diff -r /tmp/js-a /tmp/js-b >/dev/null; then same=1; break; fi
	sleep 1
done
[ $same = 1 ] && ok "the texts held still around the JSON (try $tries)" ||
	bad "the table kept moving for $tries tries"
for f in /tmp/js-a/*.txt; do sample "$(basename "$f")" "$f"; done
for f in /tmp/js-j/*.json; do sample "$(basename "$f")" "$f"; done
# Every form of the JSON (pretty too), the other listings and saves: validated on the host.
nsx $D $IPVSADM -Ln --json --pretty >/tmp/js-pretty.json && sample pretty.json /tmp/js-pretty.json
# Connections: the text read between two JSON documents that list the same connections
# (entries expire and go while they are read), so the host can check that the text's
# countdowns lie between the two documents'.
conn_set() { sed 's/"expires":[0-9]*//g' "$1"; }
tries=0 same=0
while [ $tries -lt 30 ]; do
	tries=$((tries + 1))
	nsx $D $IPVSADM -Lnc --json >/tmp/js-c.json
	nsx $D $IPVSADM -Lnc >/tmp/js-c.txt
	nsx $D $IPVSADM -Lnc --json >/tmp/js-c-after.json
	if [ "$(conn_set /tmp/js-c.json)" = "$(conn_set /tmp/js-c-after.json)" ]; then same=1; break; fi
done
[ $same = 1 ] && ok "the connections held still around their text (try $tries)" ||
	bad "the connections kept changing for $tries tries"
sample conns.txt /tmp/js-c.txt
sample conns.json /tmp/js-c.json
sample conns-after.json /tmp/js-c-after.json
nsx $D $IPVSADM -L --timeout >/tmp/js-t.txt && sample timeouts.txt /tmp/js-t.txt
nsx $D $IPVSADM -L --timeout --json >/tmp/js-t.json && sample timeouts.json /tmp/js-t.json
nsx $D $IPVSADM -L --daemon >/tmp/js-d.txt && sample daemons.txt /tmp/js-d.txt
nsx $D $IPVSADM -L --daemon --json >/tmp/js-d.json && sample daemons.json /tmp/js-d.json
nsx $D $IPVSADM -S --json >/tmp/js-save-names.json && sample save-names.json /tmp/js-save-names.json
nsx $D ipvsadm-save -n --json >/tmp/js-save.json && sample save.json /tmp/js-save.json

# ---- 2. save as JSON, clear, restore the JSON -----------------------------------------------
nsx $D $IPVSADM -Sn >/tmp/js-before
for form in "-n --json" "--json" "-n --json --pretty"; do
	nsx $D $IPVSADM -S $form >/tmp/js-doc
	nsx $D $IPVSADM -C
	out=$(nsx $D ipvsadm-restore --json </tmp/js-doc 2>&1)
	rc=$?
	nsx $D $IPVSADM -Sn >/tmp/js-after
	if [ $rc = 0 ] && [ -z "$out" ] && cmp -s /tmp/js-before /tmp/js-after; then
		ok "-S $form, -C, ipvsadm-restore --json: -Sn the same ($(wc -l </tmp/js-after) lines)"
	else
		bad "-S $form round trip (status $rc)" "$out" "$(diff /tmp/js-before /tmp/js-after)"
	fi
done
# --noflush adds; a document that does not parse changes nothing.
nsx $D $IPVSADM -Sn >/tmp/js-before
out=$(echo '[{"family":"inet"}]' | nsx $D ipvsadm-restore --json 2>&1)
rc=$?
nsx $D $IPVSADM -Sn >/tmp/js-after
[ $rc = 2 ] && cmp -s /tmp/js-before /tmp/js-after &&
	ok "a bad document: status 2, nothing changed ($out)" ||
	bad "a bad document (status $rc)" "$out"

# ---- 3. network namespaces ----------------------------------------------------------------
ns_add jsna jsnb
nsx jsna $IPVSADM -A -t 192.0.2.100:80 -s rr
nsx jsnb $IPVSADM -A -u 192.0.2.200:53 -s wlc
$IPVSADM -C
a=$($IPVSADM --netns jsna -Sn)
b=$(ipvsadm-save --netns jsnb -n)
[ "$a" = "-A -t 192.0.2.100:80 -s rr" ] && [ "$b" = "-A -u 192.0.2.200:53 -s wlc" ] &&
	ok "--netns: each namespace's own table ($a | $b)" || bad "--netns tables" "$a" "$b"
[ -z "$($IPVSADM -Sn)" ] && ok "the VM's own table is untouched" || bad "the VM's own table" "$($IPVSADM -Sn)"
echo "-a -u 192.0.2.200:53 -r 192.0.2.201:53 -g" | ipvsadm-restore --netns jsnb --noflush
b=$(nsx jsnb $IPVSADM -Sn | tr '\n' '|')
a=$(nsx jsna $IPVSADM -Sn | tr '\n' '|')
[ "$b" = "-A -u 192.0.2.200:53 -s wlc|-a -u 192.0.2.200:53 -r 192.0.2.201:53 -g -w 1|" ] &&
	[ "$a" = "-A -t 192.0.2.100:80 -s rr|" ] &&
	ok "ipvsadm-restore --netns changes that namespace only" || bad "ipvsadm-restore --netns" "$a" "$b"
# A process in the namespace (ip netns exec becomes it), for its /proc/PID/ns/net.
$IP netns exec jsna sleep 300 &
sleeper=$!
echo "pid $sleeper" >>/tmp/dp-state
joined() { [ "$(stat -L -c %i /proc/$sleeper/ns/net)" = "$(stat -L -c %i /run/netns/jsna)" ]; }
wait_for 30 joined || bad "the process did not join jsna"
a=$($IPVSADM --netns /proc/$sleeper/ns/net -Ln --json)
case $a in *'"address":"192.0.2.100"'*) ok "--netns /proc/PID/ns/net, with --json" ;; *) bad "--netns by path" "$a" ;; esac
$IPVSADM --netns jsna -E -t 192.0.2.100:80 -s wlc
[ "$(nsx jsna $IPVSADM -Sn)" = "-A -t 192.0.2.100:80 -s wlc" ] && ok "a change through --netns" ||
	bad "a change through --netns" "$(nsx jsna $IPVSADM -Sn)"
out=$($IPVSADM --netns nosuch -C 2>&1)
rc=$?
[ $rc = 2 ] && [ "$out" = 'Cannot open network namespace "nosuch": No such file or directory' ] &&
	[ "$(nsx jsna $IPVSADM -Sn)" = "-A -t 192.0.2.100:80 -s wlc" ] &&
	ok "a missing namespace: $out (status 2)" || bad "a missing namespace (status $rc)" "$out"
out=$(ipvsadm-restore --netns nosuch </dev/null 2>&1)
rc=$?
[ $rc = 2 ] && [ "$out" = 'Cannot open network namespace "nosuch": No such file or directory' ] &&
	ok "ipvsadm-restore, a missing namespace: status 2" || bad "ipvsadm-restore --netns nosuch (status $rc)" "$out"
out=$($IPVSADM --netns /etc/hosts -Ln 2>&1)
rc=$?
[ $rc = 2 ] && [ "$out" = 'setting the network namespace "/etc/hosts" failed: Invalid argument' ] &&
	ok "a file that is not a namespace: $out" || bad "--netns /etc/hosts (status $rc)" "$out"

# ---- 4. the two read paths of the library -------------------------------------------------
# examples/readpaths reads the table with its real servers (IPv4 services' through the socket
# options) and through netlink alone, and compares them field by field.
P=jsrp
ns_add $P
xin $P $IP link add rs0 type dummy
xin $P $IP link set rs0 up
addr $P rs0 203.0.113.1/24 198.51.100.1/24 2001:db8:2::1/64
readpaths() { nsx $P /payload/bin/examples/readpaths 2>&1; }
for c in "-A -t 192.0.2.1:80 -s rr" \
	"-a -t 192.0.2.1:80 -r 203.0.113.11:80 -m -w 2 -x 1000 -y 10" \
	"-a -t 192.0.2.1:80 -r 203.0.113.12:8080 -g -w 0" \
	"-A -u 192.0.2.1:53 -s wlc -o" "-a -u 192.0.2.1:53 -r 198.51.100.53 -m" \
	"-A -t 192.0.2.2:443 -s mh -b mh-fallback,mh-port" \
	"-a -t 192.0.2.2:443 -r 203.0.113.30 -i --tun-type ipip" \
	"-a -t 192.0.2.2:443 -r 203.0.113.31 -i --tun-type gue --tun-port 6080 --tun-remcsum" \
	"-a -t 192.0.2.2:443 -r 203.0.113.32 -i --tun-type gre --tun-csum" \
	"-A -t 192.0.2.3:8080 -s wrr -b flag-1,flag-3 -p 600 -M 255.255.255.0" \
	"-a -t 192.0.2.3:8080 -r 203.0.113.12:80 -m -w 7 -x 5" \
	"-A --sctp-service 192.0.2.4:3868 -s lc" "-a --sctp-service 192.0.2.4:3868 -r 203.0.113.11 -m" \
	"-A -f 7 -s wlc -p" "-a -f 7 -r 203.0.113.11:80 -g" \
	"-A -t 192.0.2.5:25 -s sh -b sh-fallback,sh-port" \
	"-A -t 192.0.2.6:80 -s rr" "-a -t 192.0.2.6:80 -r 203.0.113.40:80 -m" \
	"-a -t 192.0.2.6:80 -r [2001:db8:2::5]:80 -i" \
	"-A -u 192.0.2.7:0 -s none -p 60"; do
	out=$(nsx $P $IPVSADM $c 2>&1) || bad "readpaths table: ipvsadm $c" "$out"
done
i=1
while [ $i -le 40 ]; do
	nsx $P $IPVSADM -a -t 192.0.2.1:80 -r 198.51.100.$((i + 100)):80 -m -w $i || bad "real server $i"
	i=$((i + 1))
done
out=$(readpaths)
rc=$?
case "$rc $out" in
"0 with-servers yes services 9 real-servers 51") ok "every kind of IPv4 service: both read paths say the same ($out)" ;;
*) bad "every kind of IPv4 service: both read paths (status $rc)" "$out" ;;
esac
nsx $P $IPVSADM -A -t [2001:db8::1]:80 -s rr
nsx $P $IPVSADM -a -t [2001:db8::1]:80 -r [2001:db8:2::7]:80 -m -x 50
out=$(readpaths)
rc=$?
[ "$rc $out" = "0 with-servers yes services 10 real-servers 52" ] &&
	ok "an IPv6 service, through netlink: both read paths say the same ($out)" || bad "with an IPv6 service (status $rc)" "$out"
nsx $P $IPVSADM -D -t [2001:db8::1]:80
nsx $P $IPVSADM -A -u 192.0.2.8:5060 -s rr -p 300 --pe sip
nsx $P $IPVSADM -a -u 192.0.2.8:5060 -r 203.0.113.11 -m
out=$(readpaths)
rc=$?
[ "$rc $out" = "0 with-servers yes services 10 real-servers 52" ] &&
	ok "a persistence engine: both read paths say the same ($out)" || bad "with a persistence engine (status $rc)" "$out"
nsx $P $IPVSADM -D -u 192.0.2.8:5060
out=$(readpaths)
rc=$?
[ "$rc $out" = "0 with-servers yes services 9 real-servers 51" ] &&
	ok "both services gone: both read paths say the same ($out)" || bad "after the engine's service (status $rc)" "$out"

for pid in $(sed -n 's/^pid //p' /tmp/dp-state); do kill "$pid" 2>/dev/null; done
checks_done
