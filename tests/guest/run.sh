#!/usr/bin/env bash
# tests/guest/run.sh: the packages on a real director. One boot of the Debian 12 guest
# (tests/guest/guest.sh: systemd as PID 1, Debian's ipvsadm, keepalived, prometheus), plus
# one reboot, driven through qemu-guest-agent. In this order:
#   1. dpkg -i of our .deb over Debian's ipvsadm: replaced, ipvsadm -v is ours, the saved
#      rules file is kept;
#   2. systemctl start restores the saved rules; reload changes only the difference while
#      a TCP connection through an unchanged service keeps flowing; restart and stop do
#      what ipvsadm-restore(8) says; a bad line makes start fail in systemctl status and
#      the journal (and the line number is checked on its own); a reboot brings the rules
#      back;
#   7. dpkg -r leaves the kernel's table as it was; dpkg -P removes our files;
#   3. an upgrade N -> N+1 with a TCP connection open through IPVS: it survives, the table
#      (connection counts included) is unchanged;
#   4. ipvsadm-exporter.service starts under its sandbox as shipped and serves /metrics;
#      with --all-netns in /etc/default/ipvsadm-exporter it reads the other namespaces;
#      systemd-analyze security is printed;
#   6. Debian's Prometheus scrapes the exporter; a PromQL query shows a non-zero
#      connection rate for a real server after real traffic; the shipped alert rules are
#      loaded, and IpvsUnreadable goes pending when the exporter cannot read IPVS ...
#   5. keepalived beside us: its own virtual_server with TCP-checked real servers; our
#      reload with IPVS_APPLY_SCOPE leaves its lines of ipvsadm -Sn byte for byte, also
#      while it holds a failed server at weight 0; with it, our unit's restart, stop and
#      start and a save touch only our services;
#   6. ... and IpvsUnreadable fires once its `for:` (2 minutes, run during check 5) is over.
#
#   tests/guest/run.sh      (needs `cargo build --release`; the packages are built from it)
# Prints one line per check with its time, the guest's boot times, `N passed, N failed`.
# The checks are guest scripts in single quotes: their $ expand in the guest.
# shellcheck disable=SC2016
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2

# shellcheck source=tests/guest/host-checks.sh
. "$here/host-checks.sh"

run=$repo/target/guest/run-$$
mkdir -p "$run"
cleanup() {
	"$here/guest.sh" stop "$run"
	rm -rf "$run"
}
trap cleanup EXIT

# The packages: N (revision 1) and N+1 (revision 2) of the same build.
deb1=$(tests/ship/packages.sh deb "$run/pkg" 1) || { echo "run.sh: building the .deb failed" >&2; exit 2; }
deb2=$(tests/ship/packages.sh deb "$run/pkg" 2) || { echo "run.sh: building the .deb failed" >&2; exit 2; }

"$here/guest.sh" build || exit 2
t0=$(now)
"$here/guest.sh" start "$run" || exit 2
echo "# guest booted in $(elapsed "$t0" "$(now)") s"
sock=$run/qga.sock

for f in lib.sh echo.py hold.py; do
	qga put "$here/in-guest/$f" "/root/$f" || exit 2
done
qga exec 'mkdir -p /root/pkg' || exit 2
qga put "$deb1" /root/pkg/n.deb || exit 2
qga put "$deb2" /root/pkg/n1.deb || exit 2

passed=0 failed=0 todo=0

# The saved rules: written by Debian's ipvsadm-save before our package comes.
check "1. dpkg -i over Debian's ipvsadm: replaced, ipvsadm -v ours, saved rules kept" '
dpkg-query -W -f="\${Status}\n" ipvsadm | grep -qx "install ok installed"
if ipvsadm -v | grep -q ipvsadm-rs; then echo "ours already?" >&2; exit 1; fi
ipvsadm-restore <<R
-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 1
-A -t 192.0.2.11:80 -s wlc
-a -t 192.0.2.11:80 -r 198.51.100.3:8080 -m -w 1
R
ipvsadm-save -n >/etc/ipvsadm.rules
ipvsadm -C
cp /etc/ipvsadm.rules /root/rules.saved
dpkg -i /root/pkg/n.deb </dev/null
dpkg-query -W -f="\${Status} \${Version}\n" ipvsadm-rs | grep -qx "install ok installed 0.1.0-1"
if dpkg-query -W -f="\${Status}\n" ipvsadm 2>/dev/null | grep -q " installed$"; then
	echo "Debian ipvsadm is still installed" >&2; exit 1
fi
ipvsadm -v | grep -q "ipvsadm-rs"
same "the saved rules file" /root/rules.saved /etc/ipvsadm.rules
'

check "2. systemctl start ipvsadm restores the saved rules" '
systemctl start ipvsadm
systemctl -q is-active ipvsadm
ipvsadm -Sn | sort >/root/now
sort /etc/ipvsadm.rules >/root/want
same "the table" /root/want /root/now
'

check "2. systemctl reload changes only the difference; a connection through an unchanged service keeps flowing" '
net_up
hold_start hold1 192.0.2.10
hold_ping hold1 before-reload
wait_for 60 "the connection counted on 198.51.100.2" counted
wait_for 60 "the connection in the published counters" published 192.0.2.10:80
block 192.0.2.10:80 >/root/a.before
stats 192.0.2.10:80 >/root/s.before
# Edit the rules: the second service gets another scheduler, weight and real server.
cat >/etc/ipvsadm.rules <<R
-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 1
-A -t 192.0.2.11:80 -s rr
-a -t 192.0.2.11:80 -r 198.51.100.2:8080 -m -w 2
-a -t 192.0.2.11:80 -r 198.51.100.3:8080 -m -w 3
R
systemctl reload ipvsadm
ipvsadm -Sn | sort >/root/now
sort /etc/ipvsadm.rules >/root/want
same "the table after reload" /root/want /root/now
block 192.0.2.10:80 >/root/a.after
same "the unchanged service (with its connection counts)" /root/a.before /root/a.after
# Its counters too: a clear and restore makes a new service whose counters start at 0
# (the kernel gives the new service the old real servers back, counts included).
stats 192.0.2.10:80 >/root/s.after
kept "the unchanged service'"'"'s counters" /root/s.before /root/s.after
hold_ping hold1 after-reload
cat /root/a.after
'

check "2. restart clears and restores, stop clears (ipvsadm-restore(8))" '
ipvsadm -A -t 192.0.2.99:80 -s rr
systemctl restart ipvsadm
ipvsadm -Sn | sort >/root/now
sort /etc/ipvsadm.rules >/root/want
same "the table after restart" /root/want /root/now
systemctl stop ipvsadm
if systemctl -q is-active ipvsadm; then echo "still active after stop" >&2; exit 1; fi
[ -z "$(ipvsadm -Sn)" ] || { echo "stop left:"; ipvsadm -Sn; exit 1; } >&2
systemctl stop hold1 2>/dev/null || true
'

bad_rules='cp /etc/ipvsadm.rules /root/rules.good
sed -i "3i -a -t 192.0.2.10:80 -r 198.51.100.9:8080 -m -w lots" /etc/ipvsadm.rules
journalctl --rotate -q 2>/dev/null || true
since=$(date +%s)
if systemctl start ipvsadm; then echo "start succeeded with a bad line 3" >&2; exit 1; fi
systemctl status ipvsadm --no-pager -l -n 20 >/root/status || true
grep -q "Active: failed" /root/status || { cat /root/status >&2; exit 1; }
journalctl -u ipvsadm --since "@$since" -o cat --no-pager >/root/journal
'
SHOW=1 check "2. a bad line makes start fail in systemctl status and the journal" "$bad_rules"'
cat /root/status
cp /root/rules.good /etc/ipvsadm.rules
systemctl reset-failed ipvsadm
'
check "2. ... and the journal names the bad line's number (3)" "$bad_rules"'
cp /root/rules.good /etc/ipvsadm.rules
systemctl reset-failed ipvsadm
grep -Eiq "line 3([^0-9]|$)" /root/journal || { cat /root/journal >&2; exit 1; }
'

# The reboot: the unit, enabled by the package, brings the rules back. A power cycle of
# the same disk (guest.sh says why not QEMU's reset): the guest's own poweroff, then a new
# boot.
t=$(now)
old=$(cat "$run/boot-id")
qga exec 'ipvsadm -C; systemctl --no-block poweroff' >/dev/null 2>&1
if "$here/guest.sh" wait-off "$run" 600 && "$here/guest.sh" start "$run" &&
	new=$(cat "$run/boot-id") && [ "$new" != "$old" ]; then
	echo "# guest power-cycled in $(elapsed "$t" "$(now)") s"
	check "2. a reboot brings the rules back" '
active() { systemctl show -p ActiveState ipvsadm | grep -qx ActiveState=active; }
wait_for 600 "ipvsadm.service done" active
ipvsadm -Sn | sort >/root/now
sort /etc/ipvsadm.rules >/root/want
same "the table after the reboot" /root/want /root/now
'
else
	failed=$((failed + 1))
	echo "not ok - 2. a reboot brings the rules back (the guest did not come back)"
	tail -20 "$run/console.log" | sed 's/^/    /'
	exit 1
fi

check "7. dpkg -r leaves the IPVS table; dpkg -P removes our files" '
net_up
[ -n "$(ipvsadm -Sn)" ]
# The kernel'"'"'s own listing: our ipvsadm goes with the package.
cat /proc/net/ip_vs >/root/kt.before
dpkg-query -L ipvsadm-rs | while read -r f; do [ -d "$f" ] || echo "$f"; done >/root/files
dpkg -r ipvsadm-rs </dev/null
cat /proc/net/ip_vs >/root/kt.after
same "the kernel table after dpkg -r" /root/kt.before /root/kt.after
[ ! -e /sbin/ipvsadm ]
[ ! -e /usr/sbin/ipvsadm-exporter ]
[ -e /etc/default/ipvsadm ]
dpkg -P ipvsadm-rs </dev/null
cat /proc/net/ip_vs >/root/kt.after
same "the kernel table after dpkg -P" /root/kt.before /root/kt.after
left=$(
	while read -r f; do if [ -e "$f" ]; then echo "$f"; fi; done </root/files
	ls /etc/systemd/system/*/ipvsadm*.service /etc/rc?.d/*ipvsadm /etc/ipvsadm.rules 2>/dev/null || true
)
[ -z "$left" ] || { echo "left after purge: $left" >&2; exit 1; }
'

check "3. upgrade N -> N+1 with a connection open through IPVS: it survives, the table is unchanged" '
cp /root/rules.saved /etc/ipvsadm.rules
dpkg -i /root/pkg/n.deb </dev/null
net_up
hold_start hold2 192.0.2.10
hold_ping hold2 before-upgrade
wait_for 60 "the connection counted on 198.51.100.2" counted
wait_for 60 "the connection in the published counters" published 192.0.2.10:80
ipvsadm -Ln >/root/up.before
stats 192.0.2.10:80 >/root/ups.before
dpkg -i /root/pkg/n1.deb </dev/null
dpkg-query -W -f="\${Status} \${Version}\n" ipvsadm-rs | grep -qx "install ok installed 0.1.0-2"
ipvsadm -Ln >/root/up.after
stats 192.0.2.10:80 >/root/ups.after
same "the table across the upgrade" /root/up.before /root/up.after
kept "the counters across the upgrade (a restart would zero them)" /root/ups.before /root/ups.after
hold_ping hold2 after-upgrade
systemctl stop hold2
'

SHOW=1 check "4. ipvsadm-exporter.service starts as shipped, serves /metrics; --all-netns reads other namespaces" '
cp /etc/default/ipvsadm-exporter /root/exporter.default
systemctl start ipvsadm-exporter
scrape() { curl -fsS http://127.0.0.1:9617/metrics >/root/metrics; }
wait_for 120 "/metrics served" scrape
grep -Eq "^ipvs_up(\{[^}]*\})? 1$" /root/metrics || { grep ipvs_up /root/metrics >&2; exit 1; }
grep -q "^ipvs_service_connections_total{.*address=\"192.0.2.10\"" /root/metrics || { head -40 /root/metrics >&2; exit 1; }
# A service inside namespace rs, seen only with --all-netns and the documented drop-in
# (joining another namespace needs CAP_SYS_ADMIN, which the unit as shipped does not have).
ip netns exec rs ipvsadm -A -t 198.51.100.2:81 -s rr
echo "IPVSADM_EXPORTER_ARGS=\"--all-netns\"" >/etc/default/ipvsadm-exporter
mkdir -p /etc/systemd/system/ipvsadm-exporter.service.d
cp /usr/share/doc/ipvsadm-rs/examples/ipvsadm-exporter-netns.conf /etc/systemd/system/ipvsadm-exporter.service.d/
systemctl daemon-reload
systemctl restart ipvsadm-exporter
in_rs() { scrape && grep "^ipvs_service_connections_total{" /root/metrics | grep "netns=\"rs\"" | grep -q "address=\"198.51.100.2\""; }
wait_for 120 "/metrics with namespace rs" in_rs
systemctl -q is-active ipvsadm-exporter
echo "--- systemd-analyze security ipvsadm-exporter.service"
systemd-analyze security --no-pager ipvsadm-exporter.service | tail -25
'

SHOW=1 check "6. Prometheus scrapes the exporter; PromQL shows a non-zero per-real-server connection rate" '
cat >/etc/prometheus/prometheus.yml <<Y
global:
  scrape_interval: 5s
  scrape_timeout: 5s
  evaluation_interval: 1s
rule_files:
  - /usr/share/ipvsadm/prometheus/ipvsadm-alerts.yml
scrape_configs:
  - job_name: ipvsadm-exporter
    static_configs:
      - targets: ["127.0.0.1:9617"]
Y
# The exporter as shipped again (the root namespace only).
cp /root/exporter.default /etc/default/ipvsadm-exporter
systemctl restart ipvsadm-exporter
systemctl restart prometheus
wait_for 600 "Prometheus ready" curl -fsS -o /dev/null http://127.0.0.1:9090/-/ready
# Real traffic: short connections through 192.0.2.10 from the client namespace.
systemd-run -q --unit=traffic --collect ip netns exec client python3 -c "
import socket, time
while True:
    s = socket.create_connection((\"192.0.2.10\", 80), timeout=10)
    s.sendall(b\"x\\n\"); s.recv(10); s.close(); time.sleep(0.2)
"
q="rate(ipvs_server_connections_total{server_address=\"198.51.100.2\",port=\"80\"}[30s]) > 0"
nonzero() {
	curl -fsS --data-urlencode "query=$q" http://127.0.0.1:9090/api/v1/query >/root/answer &&
		python3 -c "import json,sys; sys.exit(0 if json.load(open(\"/root/answer\"))[\"data\"][\"result\"] else 1)"
}
wait_for 600 "a non-zero rate in Prometheus" nonzero
systemctl stop traffic
echo "query: $q"
cat /root/answer; echo
'

# --- 6. the shipped alert rules: IpvsUnreadable -----------------------------------------
# The rule waits 2 minutes (its `for:`, kept as shipped) before it fires: the exporter is
# made unable to read IPVS here, and check 5 runs while the rule is pending; the firing is
# checked after it. How: a drop-in takes the exporter's only capability away (CAP_NET_ADMIN,
# which every IPVS netlink request needs), as an over-tightened sandbox would: the exporter
# keeps serving, with ipvs_up 0, while the table itself (ours and keepalived's) is untouched.
SHOW=1 check "6. the shipped alert rules are loaded; IpvsUnreadable pending once the exporter cannot read IPVS" '
rules=/usr/share/ipvsadm/prometheus/ipvsadm-alerts.yml
[ -f "$rules" ]
rules_loaded() {
	curl -fsS http://127.0.0.1:9090/api/v1/rules >/root/rules.json &&
		python3 - <<P
import json, sys
d = json.load(open("/root/rules.json"))["data"]["groups"]
names = {r["name"]: r.get("health") for g in d for r in g["rules"]}
sys.exit(0 if names.get("IpvsUnreadable") == "ok" and names.get("IpvsExporterDown") == "ok" else 1)
P
}
wait_for 300 "the alert rules loaded and evaluated" rules_loaded
python3 -c "import json; print(\"rules loaded:\", sorted(r[\"name\"] for g in json.load(open(\"/root/rules.json\"))[\"data\"][\"groups\"] for r in g[\"rules\"]))"
# While the exporter reads IPVS the rule is inactive (ipvs_up 1 in the rule'"'"'s evaluations).
if alert_state IpvsUnreadable pending firing; then
	echo "IpvsUnreadable $(cat /root/alert.state) while the exporter reads IPVS" >&2
	exit 1
fi
mkdir -p /etc/systemd/system/ipvsadm-exporter.service.d
printf "[Service]\nAmbientCapabilities=\nCapabilityBoundingSet=\n" \
	>/etc/systemd/system/ipvsadm-exporter.service.d/zz-test-no-capability.conf
systemctl daemon-reload
systemctl restart ipvsadm-exporter
down() { curl -fsS http://127.0.0.1:9617/metrics | grep -Eq "^ipvs_up(\{[^}]*\})? 0$"; }
wait_for 120 "ipvs_up 0 from the exporter without CAP_NET_ADMIN" down
wait_for 120 "IpvsUnreadable pending or firing" alert_state IpvsUnreadable pending firing
echo "IpvsUnreadable: $(cat /root/alert.state) at $(date +%T)"
date +%s >/root/alert.since
'

# --- 5. keepalived beside us ---------------------------------------------------------------
# keepalived (Debian's) keeps its own virtual_server 192.0.2.200:80 with two TCP-checked real
# servers (echo servers in namespace rs, ports 8081 and 8082); ours is the rules file's
# 192.0.2.10 and 192.0.2.11, and IPVS_APPLY_SCOPE in /etc/default/ipvsadm (the documented
# setting) gives our reload the scope addr=192.0.2.0/25, which keepalived's address is
# outside. Our reloads must leave keepalived's lines of `ipvsadm -Sn` byte for byte, also
# while keepalived holds a failed server at weight 0.
SHOW=1 check "5. keepalived beside us: a scoped reload leaves keepalived's service, real servers and weights byte-identical, also while it marks a server down" '
net_up
systemctl -q is-active ipvsadm || systemctl start ipvsadm
for p in 8081 8082; do
	systemctl -q is-active hc$p || systemd-run -q --unit=hc$p --collect ip netns exec rs python3 /root/echo.py $p
	wait_for 60 "the checked server on $p listening" listening rs $p
done
cat >/etc/keepalived/keepalived.conf <<K
global_defs {
	router_id director
}
virtual_server 192.0.2.200 80 {
	delay_loop 1
	lb_algo wlc
	lb_kind NAT
	protocol TCP
	real_server 198.51.100.2 8081 {
		weight 5
		inhibit_on_failure
		TCP_CHECK {
			connect_timeout 2
			retry 1
			delay_before_retry 1
		}
	}
	real_server 198.51.100.3 8082 {
		weight 7
		TCP_CHECK {
			connect_timeout 2
		}
	}
}
K
systemctl restart keepalived
# theirs / ours: the lines of `ipvsadm -Sn` of keepalived'"'"'s service, and the others (sorted).
theirs() { ipvsadm -Sn | grep -E "^-[Aa] -t 192\.0\.2\.200:80 "; }
ours() { ipvsadm -Sn | grep -Ev "^-[Aa] -t 192\.0\.2\.200:80 " | sort; }
ka_up() { theirs >/root/ka.now && grep -q "198\.51\.100\.2:8081 -m -w 5$" /root/ka.now && grep -q "198\.51\.100\.3:8082 -m -w 7$" /root/ka.now; }
wait_for 120 "keepalived'"'"'s service with both real servers" ka_up
theirs >/root/ka.before
echo "--- keepalived'"'"'s service:"; cat /root/ka.before
# Without the scope, the same reload would take keepalived'"'"'s service away (the plan of
# the unscoped apply removes it): this check would then fail.
st=0
ipvsadm-restore --apply --dry-run /etc/ipvsadm.rules >/root/plan.unscoped 2>/root/plan.err || st=$?
[ "$st" = 1 ] || { echo "the unscoped dry run exited $st (1: changes to make)" >&2; cat /root/plan.err >&2; exit 1; }
grep -q "^-D -t 192\.0\.2\.200:80" /root/plan.unscoped || { echo "the unscoped plan keeps keepalived'"'"'s service?" >&2; cat /root/plan.unscoped >&2; exit 1; }
cp /etc/default/ipvsadm /root/ipvsadm.default
echo "IPVS_APPLY_SCOPE=\"addr=192.0.2.0/25\"" >>/etc/default/ipvsadm
# A change of ours: another real server and weight for 192.0.2.11.
cat >/etc/ipvsadm.rules <<R
-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 1
-A -t 192.0.2.11:80 -s wlc
-a -t 192.0.2.11:80 -r 198.51.100.3:8080 -m -w 4
-a -t 192.0.2.11:80 -r 198.51.100.2:8080 -m -w 2
R
systemctl reload ipvsadm
ours >/root/now; sort /etc/ipvsadm.rules >/root/want
same "our services after the scoped reload" /root/want /root/now
theirs >/root/ka.after
same "keepalived'"'"'s service after our reload" /root/ka.before /root/ka.after
# keepalived marks 198.51.100.2:8081 down (inhibit_on_failure: weight 0) when its server stops.
systemctl stop hc8081
ka_down() { theirs >/root/ka.now && grep -q "198\.51\.100\.2:8081 -m -w 0$" /root/ka.now; }
wait_for 120 "keepalived setting 198.51.100.2:8081 to weight 0" ka_down
theirs >/root/ka.down
echo "--- keepalived'"'"'s service with a server down:"; cat /root/ka.down
cat >/etc/ipvsadm.rules <<R
-A -t 192.0.2.10:80 -s wlc
-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 1
-A -t 192.0.2.11:80 -s wlc
-a -t 192.0.2.11:80 -r 198.51.100.3:8080 -m -w 4
R
systemctl reload ipvsadm
ours >/root/now; sort /etc/ipvsadm.rules >/root/want
same "our services after the second scoped reload" /root/want /root/now
theirs >/root/ka.after
same "keepalived'"'"'s service (a server down) after our reload" /root/ka.down /root/ka.after
# keepalived still owns it: the server back, its weight back.
systemd-run -q --unit=hc8081 --collect ip netns exec rs python3 /root/echo.py 8081
wait_for 120 "keepalived restoring 198.51.100.2:8081 to weight 5" ka_up
'

# With IPVS_APPLY_SCOPE (still set by check 5), our unit's restart, stop and start keep to
# our services: stop removes only them, start applies the rules file instead of clearing
# the table, and `ipvsadm-boot save` writes only them. Without the scope (or on a build
# whose stop runs ipvsadm -C) keepalived's service would be gone after the restart.
SHOW=1 check "5. keepalived beside us: with IPVS_APPLY_SCOPE, systemctl restart and stop of ipvsadm and a save leave keepalived's service byte-identical" '
theirs() { ipvsadm -Sn | grep -E "^-[Aa] -t 192\.0\.2\.200:80 "; }
ours() { ipvsadm -Sn | grep -Ev "^-[Aa] -t 192\.0\.2\.200:80 " | sort; }
ka_up() { theirs >/root/ka.now && grep -q "198\.51\.100\.2:8081 -m -w 5$" /root/ka.now && grep -q "198\.51\.100\.3:8082 -m -w 7$" /root/ka.now; }
grep -q "^IPVS_APPLY_SCOPE=" /etc/default/ipvsadm
systemctl -q is-active keepalived
wait_for 120 "keepalived'"'"'s service with both real servers" ka_up
theirs >/root/ka.before
sort /etc/ipvsadm.rules >/root/want
systemctl restart ipvsadm
ours >/root/now
same "our services after a scoped restart" /root/want /root/now
theirs >/root/ka.after
same "keepalived'"'"'s service after our restart" /root/ka.before /root/ka.after
systemctl stop ipvsadm
ours >/root/now
[ ! -s /root/now ] || { echo "our services are still there after stop:" >&2; cat /root/now >&2; exit 1; }
theirs >/root/ka.after
same "keepalived'"'"'s service after our stop" /root/ka.before /root/ka.after
systemctl start ipvsadm
ours >/root/now
same "our services after start" /root/want /root/now
cp /etc/ipvsadm.rules /root/rules.kept
/usr/libexec/ipvsadm/ipvsadm-boot save
sort /etc/ipvsadm.rules >/root/saved
same "the scoped save (ours only)" /root/want /root/saved
cp /root/rules.kept /etc/ipvsadm.rules
theirs >/root/ka.after
same "keepalived'"'"'s service after all of it" /root/ka.before /root/ka.after
echo "--- keepalived'"'"'s service throughout:"; cat /root/ka.after
systemctl stop keepalived hc8081 hc8082
cp /root/ipvsadm.default /etc/default/ipvsadm
'

# --- 6. IpvsUnreadable firing (its `for:` has run during check 5) -------------------------
SHOW=1 check "6. IpvsUnreadable reaches firing (the rule's for: 2m respected)" '
fired=no
wait_for 300 "IpvsUnreadable firing" alert_state IpvsUnreadable firing && fired=yes
if [ $fired = yes ]; then
	echo "IpvsUnreadable: firing at $(date +%T), $(( $(date +%s) - $(cat /root/alert.since) )) s after it was first seen pending"
else
	# Why not: a pending alert starts again whenever ipvs_up has no sample (a failed
	# scrape marks it stale), so show the scrapes of the last five minutes.
	for q in "count_over_time(ipvs_up[5m])" "min_over_time(up[5m])" "max_over_time(scrape_duration_seconds[5m])"; do
		echo "--- $q"
		curl -fsS --data-urlencode "query=$q" http://127.0.0.1:9090/api/v1/query; echo
	done
fi
curl -fsS http://127.0.0.1:9090/api/v1/alerts | python3 -c "
import json, sys
for a in json.load(sys.stdin)[\"data\"][\"alerts\"]:
    print(a[\"labels\"][\"alertname\"], a[\"state\"], a.get(\"activeAt\"))
"
# The exporter as shipped again.
rm /etc/systemd/system/ipvsadm-exporter.service.d/zz-test-no-capability.conf
systemctl daemon-reload
systemctl restart ipvsadm-exporter
[ $fired = yes ]
'

# ---- 8. the Ansible collection (tests/ansible): begin ----
# ansible-playbook (Debian's ansible-core) against three directors in namespaces; the
# checks are in tests/ansible/guest-checks.sh and in-guest/ansible.sh. Needs our .deb
# installed: check 3 left it so.
if tarball=$(tests/ansible/run.sh build 2>"$run/ansible-build.log"); then
	# shellcheck source=tests/ansible/guest-checks.sh
	. "$repo/tests/ansible/guest-checks.sh"
	ansible_guest_checks qga check "$tarball"
else
	failed=$((failed + 1))
	echo "not ok - 8. ansible: building the collection failed"
	sed 's/^/    /' "$run/ansible-build.log" | tail -20
fi
# ---- 8. the Ansible collection: end ----

echo "$passed passed, $failed failed${todo:+, $todo todo}"
[ "$failed" = 0 ]
