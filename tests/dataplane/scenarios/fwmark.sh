#!/bin/sh
# TITLE: firewall-mark service (-f 1): nft marks VIP:80 and VIP:8080 into one rr service
FP=fm
. ./front.sh
command -v nft >/dev/null || fail "nft is not in the payload (install nftables on the host)"
before=$(fetch $C1 http://$VIP/)
say "before any mark, the client received: $before"
cat >/tmp/dp/fwmark.nft <<NFT
table ip lvs {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip daddr $VIP tcp dport { 80, 8080 } meta mark set 1
	}
}
NFT
trace "$(cat /tmp/dp/fwmark.nft)"
xin $D nft -f /tmp/dp/fwmark.nft || fail "nft -f failed"
say "$D# nft list ruleset"
say_text "$(nsx $D nft list ruleset)"
ipvs $D -A -f 1 -s rr
ipvs $D -a -f 1 -r $RS1:80 -m
ipvs $D -a -f 1 -r $RS2:80 -m
show_listing $D -Ln
got=""
for port in 80 8080 80 8080 80 8080; do
	got="$got $(fetch $C1 http://$VIP:$port/)"
done
got=${got# }
say "client received (ports 80 8080 80 8080 80 8080): $got"
alternates aaaa bbbbb "$got" || fail "answers do not alternate over the marked ports"
lnc=$(ipvs_out $D -Lnc)
say "$D# ipvsadm -Lnc"
say_text "$lnc"
for p in 80 8080; do
	printf '%s\n' "$lnc" | grep -q "^TCP .* 192\.0\.2\.10:[0-9]* *$VIP:$p " ||
		fail "-Lnc shows no connection to $VIP:$p"
done
exit 0
