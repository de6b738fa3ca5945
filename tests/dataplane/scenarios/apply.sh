#!/bin/sh
# TITLE: ipvsadm-restore --apply keeps a connection through an unchanged service flowing; -C then -R cuts it
#
# Layout of front.sh (clients c1.., director with VIP 192.0.2.1, rs1 and rs2 behind NAT);
# both real servers run an echo server on port 9000 that greets with its name. The
# director expires the connections of removed real servers (expire_nodest_conn=1, as
# kube-proxy sets it). A long-lived connection through VIP:9000 streams a line every 0.2 s.
# The new rules change the web service (scheduler, a real server's weight, one more real
# server) and add a service, but leave VIP:9000 as it is: across --apply the stream goes
# on. The classic reload, ipvsadm -C then ipvsadm -R of the same rules, cuts it.
FP=ap
. ./front.sh
echo_server $R1 9000 rs1
echo_server $R2 9000 rs2
xin $D sysctl -w net.ipv4.vs.expire_nodest_conn=1

cat >/tmp/dp/ap-old <<R
-A -t $VIP:9000 -s rr
-a -t $VIP:9000 -r $RS1:9000 -m -w 1
-A -t $VIP:80 -s rr
-a -t $VIP:80 -r $RS1:80 -m -w 1
R
cat >/tmp/dp/ap-new <<R
# the echo service as it was
-A -t $VIP:9000 -s rr
-a -t $VIP:9000 -r $RS1:9000 -m -w 1
# the web service edited, and a new one
-A -t $VIP:80 -s wrr
-a -t $VIP:80 -r $RS1:80 -m -w 3
-a -t $VIP:80 -r $RS2:80 -m -w 1
-A -t $VIP:8080 -s rr
-a -t $VIP:8080 -r $RS2:80 -m -w 1
R
restore_apply $D --apply /tmp/dp/ap-old >/dev/null || fail "--apply of the first rules"
show_listing $D -Ln

stream $C1 $VIP 9000 /tmp/dp/ap-stream
grows /tmp/dp/ap-stream 2 30 || fail "the stream through $VIP:9000 does not flow"
say "c1 -> $VIP:9000: $(head -n 1 /tmp/dp/ap-stream) greets, $(nlines /tmp/dp/ap-stream) lines back so far"

plan=$(nsx $D "$IPVSADM_RESTORE" --apply --dry-run /tmp/dp/ap-new 2>/dev/null)
say "$D# ipvsadm-restore --apply --dry-run ap-new"
say_text "$plan"
printf '%s\n' "$plan" | grep -q ":9000" && fail "the plan touches the unchanged service"
sum=$(restore_apply $D --apply /tmp/dp/ap-new) || fail "--apply exited with $?: $sum"
say "$D# ipvsadm-restore --apply ap-new: $sum"
show_listing $D -Ln
before=$(nlines /tmp/dp/ap-stream)
grows /tmp/dp/ap-stream 6 60 || fail "the stream stopped across --apply ($before lines before, $(nlines /tmp/dp/ap-stream) now)"
established $C1 $VIP 9000 || fail "c1's connection to $VIP:9000 is gone"
say "across --apply: $before lines before, then $(nlines /tmp/dp/ap-stream) on the same connection"
[ "$(fetch $C2 http://$VIP:8080/)" = bbbbb ] || fail "the new service does not answer"

# The classic way: clear, then restore the same rules.
xin $D sh -c "$IPVSADM -C; grep -v '^#' /tmp/dp/ap-new | $IPVSADM -R" || fail "-C; -R"
# The connection's next packet finds no connection entry: the director's own stack answers
# it with a reset, and c1's nc ends.
cut() { ! established $C1 $VIP 9000; }
wait_for 60 cut || fail "the stream survived the flush ($(nlines /tmp/dp/ap-stream) lines)"
say "across ipvsadm -C; ipvsadm -R: the connection was reset ($(nlines /tmp/dp/ap-stream) lines in all)"
show_listing $D -Lnc
exit 0
