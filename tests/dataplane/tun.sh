# tests/dataplane/tun.sh: the LVS-TUN scenario, shared by tun-ipip, tun-gue and tun-gre.
# The caller sets TT (prefix), TUNOPT (ipvsadm options after -i), and defines rs_decap NS,
# which makes the real server NS decapsulate and prints the name of its decapsulating
# device (whose rx counter is the evidence that tunnelled packets arrived).
#
# Layout as in dr: one LAN (bridge ${TT}b0) with the director (198.51.100.1, VIP 192.0.2.1/32),
# rs1/rs2 (198.51.100.11/12, VIP on lo, arp_ignore=1, arp_announce=2) and the client
# 203.0.113.10, to which the director has no route.  The director encapsulates; the real
# servers decapsulate and answer the client directly.
. ./lib.sh
VIP=192.0.2.1 RS1=198.51.100.11 RS2=198.51.100.12 CIP=203.0.113.10
C=${TT}c D=${TT}d R1=${TT}r1 R2=${TT}r2

ns_add $C $D $R1 $R2
bridge ${TT}b0
port ${TT}b0 $C eth0
port ${TT}b0 $D eth0
port ${TT}b0 $R1 eth0
port ${TT}b0 $R2 eth0
addr $D eth0 198.51.100.1/24 $VIP/32
addr $C eth0 $CIP/24
route $C $VIP/32 dev eth0
route $C 198.51.100.0/24 dev eth0
addr $R1 eth0 $RS1/24
addr $R2 eth0 $RS2/24
for r in $R1 $R2; do
	vip_on_lo $r $VIP
	route $r 203.0.113.0/24 dev eth0
	dev=$(rs_decap $r) || fail "cannot set up decapsulation on $r"
	xin $r sysctl -w net.ipv4.conf.$dev.rp_filter=0
done
web $R1 80 aaaa
web $R2 80 bbbbb
wait_http $C http://$RS1/
wait_http $C http://$RS2/

ipvs $D -A -t $VIP:80 -s rr
ipvs $D -a -t $VIP:80 -r $RS1:80 -i $TUNOPT
ipvs $D -a -t $VIP:80 -r $RS2:80 -i $TUNOPT
show_listing $D -Ln
show_listing $D -Ln --tun-info

# UDP datagrams received by a namespace (GUE arrives as UDP).
udp_in() { nsx "$1" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $2 }' /proc/net/snmp; }
before1=$(counter $R1 $dev rx_packets) before2=$(counter $R2 $dev rx_packets)
u1=$(udp_in $R1) u2=$(udp_in $R2)
got=$(fetch_n $C http://$VIP/ 6)
say "client received (6 requests): $got"
after1=$(counter $R1 $dev rx_packets) after2=$(counter $R2 $dev rx_packets)
say "decapsulated by $dev: rs1 $((after1 - before1)) packets, rs2 $((after2 - before2)) packets"
if [ "${UDP_CHECK:-0}" = 1 ]; then
	du1=$(($(udp_in $R1) - u1)) du2=$(($(udp_in $R2) - u2))
	say "UDP datagrams received (GUE): rs1 $du1, rs2 $du2"
	[ $du1 -gt 0 ] && [ $du2 -gt 0 ] || fail "no UDP arrived: the traffic was not in GUE"
fi
alternates aaaa bbbbb "$got" || fail "answers do not alternate aaaa/bbbbb"
[ $((after1 - before1)) -gt 0 ] && [ $((after2 - before2)) -gt 0 ] ||
	fail "the real servers' $dev received nothing: the traffic was not tunnelled"

conns_to $D "$CIP" "$VIP" $RS1 $RS2
exit 0
