#!/bin/sh
# TITLE: LVS-NAT over IPv6 (2001:db8::/32), round robin: answers alternate
#
#   client 2001:db8:1::10 --veth-- director eth0 2001:db8:1::1 (VIP 2001:db8:1::80)
#   director eth1 2001:db8:2::1 --bridge v6b0-- rs1 2001:db8:2::11, rs2 2001:db8:2::12
. ./lib.sh
VIP=2001:db8:1::80 RS1=2001:db8:2::11 RS2=2001:db8:2::12
C=v6c D=v6d R1=v6r1 R2=v6r2

ns_add $C $D $R1 $R2
router $D
wire $C eth0 $D eth0
addr $C eth0 2001:db8:1::10/64
addr $D eth0 2001:db8:1::1/64 $VIP/64
route $C -6 default via 2001:db8:1::1
bridge v6b0
port v6b0 $D eth1
port v6b0 $R1 eth0
port v6b0 $R2 eth0
addr $D eth1 2001:db8:2::1/64
addr $R1 eth0 $RS1/64
addr $R2 eth0 $RS2/64
route $R1 -6 default via 2001:db8:2::1
route $R2 -6 default via 2001:db8:2::1
web $R1 "[$RS1]:80" aaaa
web $R2 "[$RS2]:80" bbbbb
wait_http $D "http://[$RS1]/"
wait_http $D "http://[$RS2]/"

ipvs $D -A -t "[$VIP]:80" -s rr
ipvs $D -a -t "[$VIP]:80" -r "[$RS1]:80" -m
ipvs $D -a -t "[$VIP]:80" -r "[$RS2]:80" -m
show_listing $D -Ln

got=$(fetch_n $C "http://[$VIP]/" 6)
say "client received (6 requests): $got"
alternates aaaa bbbbb "$got" || fail "answers do not alternate aaaa/bbbbb"
conns_to $D '\[2001:db8:1::10\]' "\\[$VIP\\]" "\\[$RS1\\]" "\\[$RS2\\]"
exit 0
