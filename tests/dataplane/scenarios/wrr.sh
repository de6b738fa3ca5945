#!/bin/sh
# TITLE: LVS-NAT, weighted round robin 1:3 gives 10/30 of 40; weight 0 takes no new connections
#
# Same layout as nat: client -- director (VIP 192.0.2.1) -- bridge wrb0 -- rs1, rs2.
. ./lib.sh
VIP=192.0.2.1 RS1=203.0.113.11 RS2=203.0.113.12
C=wrc D=wrd R1=wrr1 R2=wrr2

ns_add $C $D $R1 $R2
router $D
wire $C eth0 $D eth0
addr $C eth0 192.0.2.10/24
addr $D eth0 $VIP/24
nat_servers wrb0 $D $R1 $R2

ipvs $D -A -t $VIP:80 -s wrr
ipvs $D -a -t $VIP:80 -r $RS1:80 -m -w 1
ipvs $D -a -t $VIP:80 -r $RS2:80 -m -w 3
show_listing $D -Ln

got=$(fetch_n $C http://$VIP/ 40)
a=$(count aaaa "$got") b=$(count bbbbb "$got")
say "client received (40 requests, weights 1:3): aaaa x$a, bbbbb x$b"
say "  sequence: $got"
[ "$a" = 10 ] && [ "$b" = 30 ] || fail "expected aaaa x10 and bbbbb x30"

ipvs $D -e -t $VIP:80 -r $RS2:80 -m -w 0
show_listing $D -Ln
got=$(fetch_n $C http://$VIP/ 10)
a=$(count aaaa "$got") b=$(count bbbbb "$got")
say "client received (10 requests, weights 1:0): aaaa x$a, bbbbb x$b"
[ "$a" = 10 ] || fail "a real server with weight 0 still took new connections"

# Loose shape of the statistics: both real servers have connections (the estimator
# refreshes about every 2 s).
conns_ok() {
	ipvs_out $D -Ln --stats | awk -v a="$RS1:80" -v b="$RS2:80" '
		$1 == "->" && ($2 == a || $2 == b) && $3 + 0 > 0 { n++ } END { exit n != 2 }'
}
wait_for 60 conns_ok || { show_listing $D -Ln --stats; fail "--stats does not count both real servers"; }
show_listing $D -Ln --stats
exit 0
