#!/bin/sh
# TITLE: --drain and persistence: a live template keeps its client on the draining server unless expire_quiescent_template is set
#
# Layout of front.sh; echo servers on port 9000 greet with their names. VIP:9000 is rr
# with persistence (-p 60) over rs1 and rs2. c1 connects once and gets a template for
# its server X. The new rules drop X; --apply --drain 40 gives it weight 0. With
# net.ipv4.vs.expire_quiescent_template=0 (the default), c1's next connection still goes
# to X (its template is alive), while a new client, c2, reaches the other server. With
# expire_quiescent_template=1 the kernel drops a template that points to a weight-0
# server when it is used, so c1's next connection reaches the other server too. X keeps
# inactive connections (TIME_WAIT), so the drain ends at its 40 s: far beyond the few
# seconds the checks take, so a loaded machine does not run out of it before they are done.
FP=dp
. ./front.sh
echo_server $R1 9000 rs1
echo_server $R2 9000 rs2

cat >/tmp/dp/dp-old <<R
-A -t $VIP:9000 -s rr -p 60
-a -t $VIP:9000 -r $RS1:9000 -m -w 1
-a -t $VIP:9000 -r $RS2:9000 -m -w 1
R
restore_apply $D --apply /tmp/dp/dp-old >/dev/null || fail "--apply of the first rules"
xin $D sysctl -w net.ipv4.vs.expire_quiescent_template=0

x=$(greeting $C1 $VIP 9000)
the_other "$x"
say "c1's first connection reached $x; the new rules keep only $other"
cat >/tmp/dp/dp-new <<R
-A -t $VIP:9000 -s rr -p 60
-a -t $VIP:9000 -r $oa:9000 -m -w 1
R
(restore_apply $D --apply --drain 40 /tmp/dp/dp-new >/tmp/dp/dp-apply 2>&1; echo $? >/tmp/dp/dp-status) &
echo "pid $!" >>"$DP_STATE"
weight0() { ipvs_out $D -Ln | grep -q -- "-> $xa:9000 *Masq *0 "; }
wait_for 60 weight0 || { show_listing $D -Ln; fail "$x did not get weight 0"; }

g1=$(greeting $C1 $VIP 9000)
g2=$(greeting $C2 $VIP 9000)
say "expire_quiescent_template=0: c1 (live template) reached $g1, c2 (new client) reached $g2"
[ "$g1" = "$x" ] || fail "c1's template did not keep it on $x (the kernel's documented behaviour)"
[ "$g2" = "$other" ] || fail "a new client reached the draining $x"
xin $D sysctl -w net.ipv4.vs.expire_quiescent_template=1
g3=$(greeting $C1 $VIP 9000)
say "expire_quiescent_template=1: c1 reached $g3"
[ "$g3" = "$other" ] || fail "c1 still reached the draining $x"
show_listing $D -Lnc

wait_for 90 test -f /tmp/dp/dp-status || fail "the apply did not end"
say_text "$(cat /tmp/dp/dp-apply)"
[ "$(cat /tmp/dp/dp-status)" = 0 ] || fail "the apply failed"
grep -q "removed when the drain time was over" /tmp/dp/dp-apply || fail "the drain did not end at its time limit"
ipvs_out $D -Ln | grep -q "$xa:9000" && fail "$x is still there"
exit 0
