#!/bin/sh
# TITLE: LVS-NAT, round robin: the client's answers alternate aaaa/bbbbb
#
#   client (192.0.2.10) --veth-- director eth0 (VIP 192.0.2.1)
#                                director eth1 (203.0.113.1) --bridge nab0-- rs1 (203.0.113.11)
#                                                                        `-- rs2 (203.0.113.12)
# The real servers' default route is the director, which forwards and rewrites (-m).
. ./lib.sh
VIP=192.0.2.1 RS1=203.0.113.11 RS2=203.0.113.12
C=nac D=nad R1=nar1 R2=nar2

ns_add $C $D $R1 $R2
router $D
wire $C eth0 $D eth0
addr $C eth0 192.0.2.10/24
addr $D eth0 $VIP/24
nat_servers nab0 $D $R1 $R2

ipvs $D -A -t $VIP:80 -s rr
ipvs $D -a -t $VIP:80 -r $RS1:80 -m
ipvs $D -a -t $VIP:80 -r $RS2:80 -m

got=$(fetch_n $C http://$VIP/ 6)
say "client received (6 requests): $got"
alternates aaaa bbbbb "$got" || fail "answers do not alternate aaaa/bbbbb"

# The counters behind --stats are refreshed by the kernel's estimator about every 2 s.
conns_ok() {
	ipvs_out $D -Ln --stats | awk -v a="$RS1:80" -v b="$RS2:80" '
		$1 == "->" && ($2 == a || $2 == b) && $3 + 0 > 0 { n++ } END { exit n != 2 }'
}
wait_for 60 conns_ok || { show_listing $D -Ln --stats; fail "--stats does not count connections on both real servers"; }
show_listing $D -Ln --stats
lnc=$(ipvs_out $D -Lnc)
say "$D# ipvsadm -Lnc"
say_text "$lnc"
for rs in $RS1 $RS2; do
	n=$(printf '%s\n' "$lnc" | grep -c "^TCP .* 192\.0\.2\.10:[0-9]* *$VIP:80 *$rs:80")
	[ "$n" -ge 1 ] || fail "-Lnc shows no connection from the client to $rs"
	say "-Lnc: $n connection(s) 192.0.2.10 -> $VIP:80 -> $rs:80"
done
exit 0
