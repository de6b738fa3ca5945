#!/bin/sh
# TITLE: persistence (-p) and its netmask (-M): rr would alternate, persistence sticks
#
# Service :80 is rr with -p 60: a client's repeated requests stick to one server; the next
# client (new template, rr moves on) gets the other one.  Service :8080 is rr with
# -p 60 -M 255.255.255.0: two clients in 192.0.2.0/24 share one server, and a client in
# 198.18.0.0/24 gets the other.
FP=pe
. ./front.sh
ipvs $D -A -t $VIP:80 -s rr -p 60
ipvs $D -a -t $VIP:80 -r $RS1:80 -m
ipvs $D -a -t $VIP:80 -r $RS2:80 -m
ipvs $D -A -t $VIP:8080 -s rr -p 60 -M 255.255.255.0
ipvs $D -a -t $VIP:8080 -r $RS1:80 -m
ipvs $D -a -t $VIP:8080 -r $RS2:80 -m
show_listing $D -Ln

g1=$(fetch_n $C1 http://$VIP/ 4)
g2=$(fetch_n $C2 http://$VIP/ 4)
say "-p 60, port 80: c1 (192.0.2.10) received: $g1"
say "-p 60, port 80: c2 (192.0.2.11) received: $g2"
all_same "$g1" || fail "c1 was not persistent"
all_same "$g2" || fail "c2 was not persistent"
[ "${g1%% *}" != "${g2%% *}" ] || fail "c1 and c2 share a server though the netmask is /32"

h1=$(fetch_n $C1 http://$VIP:8080/ 3)
h2=$(fetch_n $C2 http://$VIP:8080/ 3)
h3=$(fetch_n $C3 http://$VIP:8080/ 3)
say "-p 60 -M 255.255.255.0, port 8080: c1 (192.0.2.10) received: $h1"
say "-p 60 -M 255.255.255.0, port 8080: c2 (192.0.2.11) received: $h2"
say "-p 60 -M 255.255.255.0, port 8080: c3 (198.18.0.10) received: $h3"
all_same "$h1 $h2" || fail "c1 and c2 (same /24) did not reach the same server"
all_same "$h3" || fail "c3 was not persistent"
[ "${h1%% *}" != "${h3%% *}" ] || fail "c3 (another /24) shares c1's server: the template did not group by /24"

lnc=$(ipvs_out $D -Lnc)
say "$D# ipvsadm -Lnc"
say_text "$lnc"
# Persistence templates: port 0 client entries; with -M, the masked client 192.0.2.0.
printf '%s\n' "$lnc" | grep -q "^TCP .* 192\.0\.2\.10:0 *$VIP:80 " || fail "-Lnc shows no template for c1 on :80"
printf '%s\n' "$lnc" | grep -q "^TCP .* 192\.0\.2\.0:0 *$VIP:8080 " || fail "-Lnc shows no /24 template on :8080"
say "-Lnc: templates 192.0.2.10:0 -> $VIP:80 and 192.0.2.0:0 -> $VIP:8080 present"
exit 0
