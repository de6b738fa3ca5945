#!/bin/sh
# TITLE: LVS-DR (-g): answers alternate, and the replies bypass the director
#
# One LAN (bridge drb0): director eth0 198.51.100.1 with the VIP 192.0.2.1/32,
# rs1 198.51.100.11 and rs2 198.51.100.12 with the VIP on lo (arp_ignore=1, arp_announce=2),
# and the client 203.0.113.10, a subnet the director has NO route to: the director could not
# send the replies even if it wanted to.  The replies go from the real servers to the client
# directly on the LAN.  Proof: the director's interface receives a few hundred bytes while the
# client receives 64 KiB answers.
. ./lib.sh
VIP=192.0.2.1 RS1=198.51.100.11 RS2=198.51.100.12 CIP=203.0.113.10
C=drc D=drd R1=drr1 R2=drr2

ns_add $C $D $R1 $R2
bridge drb0
port drb0 $C eth0
port drb0 $D eth0
port drb0 $R1 eth0
port drb0 $R2 eth0
addr $D eth0 198.51.100.1/24 $VIP/32
addr $C eth0 $CIP/24
route $C $VIP/32 dev eth0
route $C 198.51.100.0/24 dev eth0
for r in $R1 $R2; do
	vip_on_lo $r $VIP
	route $r 203.0.113.0/24 dev eth0
done
addr $R1 eth0 $RS1/24
addr $R2 eth0 $RS2/24
web $R1 80 aaaa
web $R2 80 bbbbb
wait_http $C http://$RS1/
wait_http $C http://$RS2/

ipvs $D -A -t $VIP:80 -s rr
ipvs $D -a -t $VIP:80 -r $RS1:80 -g
ipvs $D -a -t $VIP:80 -r $RS2:80 -g
show_listing $D -Ln

noroute=$(nsx $D $IP route get $CIP 2>&1)
say "director: ip route get $CIP -> $noroute"
case $noroute in
*unreachable*) ;;
*) fail "the director has a route to the client; the proof below would be weaker" ;;
esac

got=$(fetch_n $C http://$VIP/ 6)
say "client received (6 requests): $got"
alternates aaaa bbbbb "$got" || fail "answers do not alternate aaaa/bbbbb"

rx0=$(counter $D eth0 rx_bytes)
s1=$(fetch_size $C http://$VIP/big)
s2=$(fetch_size $C http://$VIP/big)
rx1=$(counter $D eth0 rx_bytes)
say "client received /big twice through the VIP: $s1 + $s2 bytes; director eth0 received $((rx1 - rx0)) bytes meanwhile"
[ "$s1" = 65536 ] && [ "$s2" = 65536 ] || fail "the client did not receive the 64 KiB answers"
[ $((rx1 - rx0)) -lt 20000 ] || fail "the director received the replies (it should not in LVS-DR)"

conns_to $D "$CIP" "$VIP" $RS1 $RS2
exit 0
