#!/bin/sh
# TITLE: --apply --drain: a removed real server keeps its connection until it closes, takes no new ones, then goes
#
# Layout of front.sh; rs1 and rs2 run an echo server on port 9000 that greets with its
# name. VIP:9000 (rr) has both; a long-lived connection from c1 streams through one of
# them, X. The new rules drop X. With --drain 90, X gets weight 0 at once: the stream goes
# on, and new connections from other clients all reach the other server. When the stream
# ends (X's handler is killed while data waits unread, so X answers with a reset and IPVS
# keeps the connection 10 s in CLOSE), X has no connections left and is removed before
# the 90 s are over (the summary says so: no removal "when the drain time was over"; 90 s
# is far beyond the 20-odd seconds this takes, so a loaded machine does not reach it); the
# apply exits 0.
FP=dr
. ./front.sh
echo_server $R1 9000 rs1
echo_server $R2 9000 rs2

cat >/tmp/dp/dr-old <<R
-A -t $VIP:9000 -s rr
-a -t $VIP:9000 -r $RS1:9000 -m -w 1
-a -t $VIP:9000 -r $RS2:9000 -m -w 1
R
restore_apply $D --apply /tmp/dp/dr-old >/dev/null || fail "--apply of the first rules"

stream $C1 $VIP 9000 /tmp/dp/dr-stream
grows /tmp/dp/dr-stream 2 30 || fail "the stream through $VIP:9000 does not flow"
x=$(head -n 1 /tmp/dp/dr-stream)
the_other "$x"
say "c1 streams through $x ($xa); the new rules keep only $other"
cat >/tmp/dp/dr-new <<R
-A -t $VIP:9000 -s rr
-a -t $VIP:9000 -r $oa:9000 -m -w 1
R

t0=$(cut -d. -f1 /proc/uptime)
(restore_apply $D --apply --drain 90 /tmp/dp/dr-new >/tmp/dp/dr-apply 2>&1; echo $? >/tmp/dp/dr-status) &
echo "pid $!" >>"$DP_STATE"
weight0() { ipvs_out $D -Ln | grep -q -- "-> $xa:9000 *Masq *0 "; }
wait_for 60 weight0 || { show_listing $D -Ln; fail "$x did not get weight 0"; }
show_listing $D -Ln
grows /tmp/dp/dr-stream 5 60 || fail "the stream through the draining $x stopped"
say "the stream through $x goes on while it drains: $(nlines /tmp/dp/dr-stream) lines back so far"
got=""
for c in $C2 $C3 $C4 $C2 $C3 $C4; do got="$got $(greeting $c $VIP 9000)"; done
say "new connections during the drain reached:$got"
[ "$(count $other "$got")" = 6 ] || fail "a new connection did not reach $other"
[ -f /tmp/dp/dr-status ] && fail "the apply ended while $x still had its connection: $(cat /tmp/dp/dr-apply)"

pid=$(head -n 1 /tmp/dp/$x.pids)
say "the stream ends: $x's handler (pid $pid) stops reading, then is killed"
kill -STOP "$pid"
# Killed with the stream's data waiting unread in its socket, the handler's end resets.
case $x in rs1) xr=$R1 ;; *) xr=$R2 ;; esac
unread() { nsx $xr netstat -tn | awk '$4 ~ /:9000$/ && $2 > 0 { f = 1 } END { exit !f }'; }
wait_for 60 unread || fail "no data waits unread at $x"
kill -KILL "$pid"
tk=$(cut -d. -f1 /proc/uptime)
wait_for 120 test -f /tmp/dp/dr-status || fail "the apply did not end"
t1=$(cut -d. -f1 /proc/uptime)
say "ipvsadm-restore --apply --drain 90 ended $((t1 - t0)) s after it started, $((t1 - tk)) s after the stream ended, with status $(cat /tmp/dp/dr-status):"
say_text "$(cat /tmp/dp/dr-apply)"
[ "$(cat /tmp/dp/dr-status)" = 0 ] || fail "the apply failed"
# Its own account: removed because the connection had gone, not because time was up.
grep -q "0 added, 0 edited, 1 removed, 1 drained$" /tmp/dp/dr-apply ||
	fail "$x was not removed when its connection had gone (or the summary is wrong)"
show_listing $D -Ln
ipvs_out $D -Ln | grep -q "$xa:9000" && fail "$x is still there"
exit 0
