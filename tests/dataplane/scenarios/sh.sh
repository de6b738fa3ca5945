#!/bin/sh
# TITLE: source hashing (-s sh): each client always reaches the same real server
FP=sh
. ./front.sh
ipvs $D -A -t $VIP:80 -s sh
ipvs $D -a -t $VIP:80 -r $RS1:80 -m
ipvs $D -a -t $VIP:80 -r $RS2:80 -m
show_listing $D -Ln
used=""
for c in $C1 $C2 $C3 $C4; do
	got=$(fetch_n $c http://$VIP/ 4)
	say "$c ($(nsx $c $IP -4 -o addr show dev eth0 | awk '{ print $4 }')) received: $got"
	all_same "$got" || fail "$c did not always reach the same real server"
	used="$used ${got%% *}"
done
say "servers chosen for the 4 clients:$used"
# The kernel hashes the client address (hash_32, 256 buckets dealt to the servers in turn):
# 192.0.2.10, 192.0.2.11 and 198.18.0.10 fall in even buckets, 198.18.0.7 in an odd one, so
# both servers must appear; which one is which depends on the order of the real servers.
[ "$(count aaaa "$used")" -gt 0 ] && [ "$(count bbbbb "$used")" -gt 0 ] ||
	fail "all clients hashed to one server; expected 198.18.0.7 to land on the other"
exit 0
