#!/bin/sh
# TITLE: connection synchronisation: master/backup directors, failover keeps a TCP session
#
#   client 192.0.2.10 --bridge syf0-- master eth0 192.0.2.2, backup eth0 192.0.2.3
#                                     (the VIP 192.0.2.1 floats; first on the master)
#   master eth1 203.0.113.2, backup eth1 203.0.113.3 --bridge syb0-- rs1 .11, rs2 .12
#                                     (the real servers' gateway 203.0.113.1 floats too)
#   master eth2 198.18.0.2, backup eth2 198.18.0.3 --bridge sys0 (multicast snooping off)--
#                                     the sync daemons' own link (--mcast-interface eth2)
# Both directors carry the same LVS-NAT services (as keepalived would configure them).
# Connections made through the master must appear in the backup's -Lnc; then the floating
# addresses move to the backup (as keepalived moves them: delete on the master, add on the
# backup, point the neighbours at the backup's MAC addresses, as its gratuitous ARP would),
# and a TCP session opened before the move must carry a line after it.
. ./lib.sh
VIP=192.0.2.1 GW=203.0.113.1 RS1=203.0.113.11 RS2=203.0.113.12 CIP=192.0.2.10
C=syc M=sym B=syb R1=syr1 R2=syr2

ns_add $C $M $B $R1 $R2
router $M
router $B
bridge syf0
bridge syb0
bridge sys0
x $IP link set sys0 type bridge mcast_snooping 0
port syf0 $C eth0
port syf0 $M eth0
port syf0 $B eth0
port syb0 $M eth1
port syb0 $B eth1
port syb0 $R1 eth0
port syb0 $R2 eth0
port sys0 $M eth2
port sys0 $B eth2
addr $C eth0 $CIP/24
addr $M eth0 192.0.2.2/24 $VIP/24
addr $B eth0 192.0.2.3/24
addr $M eth1 203.0.113.2/24 $GW/24
addr $B eth1 203.0.113.3/24
addr $M eth2 198.18.0.2/24
addr $B eth2 198.18.0.3/24
addr $R1 eth0 $RS1/24
addr $R2 eth0 $RS2/24
route $R1 default via $GW
route $R2 default via $GW
for r in $R1 $R2; do
	bg $r nc -ll -p 7000 -e /bin/cat
done
web $R1 80 aaaa
web $R2 80 bbbbb
wait_http $M http://$RS1/
wait_http $M http://$RS2/
wait_listen $R1 7000
wait_listen $R2 7000

for d in $M $B; do
	ipvs $d -A -t $VIP:80 -s rr
	ipvs $d -a -t $VIP:80 -r $RS1:80 -m
	ipvs $d -a -t $VIP:80 -r $RS2:80 -m
	ipvs $d -A -t $VIP:7000 -s rr
	ipvs $d -a -t $VIP:7000 -r $RS1:7000 -m
	ipvs $d -a -t $VIP:7000 -r $RS2:7000 -m
done
ipvs $M --start-daemon master --mcast-interface eth2 --syncid 7
ipvs $B --start-daemon backup --mcast-interface eth2 --syncid 7
show_listing $M -L --daemon
show_listing $B -L --daemon

# 1. Connections through the master show up on the backup.
got=$(fetch_n $C http://$VIP/ 4)
say "client received through the master (4 requests): $got"
alternates aaaa bbbbb "$got" || fail "answers through the master do not alternate"
synced() {
	l=$(ipvs_out $B -Lnc)
	printf '%s\n' "$l" | grep -q "^TCP .* $CIP:[0-9]* *$VIP:80 *$RS1:80" &&
		printf '%s\n' "$l" | grep -q "^TCP .* $CIP:[0-9]* *$VIP:80 *$RS2:80"
}
t0=$(cut -d' ' -f1 /proc/uptime)
wait_for 60 synced || { show_listing $B -Lnc; fail "the master's connections did not reach the backup's -Lnc within 60 s"; }
t1=$(cut -d' ' -f1 /proc/uptime)
say "the backup's -Lnc lists them after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s:"
say_text "$(ipvs_out $B -Lnc | grep "$VIP:80 ")"

# 2. A TCP session (busybox nc to an echo server) across the move of the VIP.
flag=/tmp/dp/sync.moved out=/tmp/dp/sync.out
rm -f $flag
: >$out
trace "$C# (echo before; <wait for the move>; echo after; <wait for its echo>) | nc $VIP 7000"
(
	echo before
	while [ ! -f $flag ]; do sleep 0.2; done
	echo after
	i=0
	while ! grep -q after $out && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
) | $IP netns exec $C timeout 200 nc $VIP 7000 >$out 2>&1 &
echo "pid $!" >>"$DP_STATE"
wait_for 60 grep -q before $out || fail "the echo session through the master did not start: $(cat $out)"
say "session through the master echoed: $(cat $out | tr '\n' ' ')"
session_synced() { ipvs_out $B -Lnc | grep -q "^TCP .* ESTABLISHED *$CIP:[0-9]* *$VIP:7000 "; }
wait_for 60 session_synced || { show_listing $B -Lnc; fail "the session did not reach the backup"; }
say "the backup knows the session: $(ipvs_out $B -Lnc | grep "$VIP:7000 ")"

say "failover: the VIP $VIP and the gateway $GW move from the master to the backup"
xin $M $IP addr del $VIP/24 dev eth0
xin $M $IP addr del $GW/24 dev eth1
xin $B $IP addr add $VIP/24 dev eth0
xin $B $IP addr add $GW/24 dev eth1
bmac0=$(mac $B eth0) bmac1=$(mac $B eth1)
xin $C $IP neigh replace $VIP lladdr $bmac0 dev eth0 nud reachable
xin $R1 $IP neigh replace $GW lladdr $bmac1 dev eth0 nud reachable
xin $R2 $IP neigh replace $GW lladdr $bmac1 dev eth0 nud reachable
rx0=$(counter $B eth0 rx_packets) mrx0=$(counter $M eth0 rx_packets)
touch $flag
wait_for 60 grep -q after $out
rx1=$(counter $B eth0 rx_packets) mrx1=$(counter $M eth0 rx_packets)
say "session after the move echoed: $(cat $out | tr '\n' ' ')"
say "packets received meanwhile: backup eth0 $((rx1 - rx0)), master eth0 $((mrx1 - mrx0))"
[ "$(cat $out | tr '\n' ' ')" = "before after " ] ||
	fail "the session opened before the failover did not survive it"
[ $((rx1 - rx0)) -gt 0 ] || fail "the backup received nothing: the session did not go through it"
show_listing $B -Lnc
exit 0
