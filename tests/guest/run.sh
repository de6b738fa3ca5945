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
#      connection rate for a real server after real traffic.
# (5, keepalived beside us, waits for ipvsadm-restore's scope option: issue 20.)
#
#   tests/guest/run.sh      (needs `cargo build --release`; the packages are built from it)
# Prints one line per check with its time, the guest's boot times, `N passed, N failed`.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

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
qga() { python3 "$here/qga.py" "$sock" "$@"; }

for f in lib.sh echo.py hold.py; do
	qga put "$here/in-guest/$f" "/root/$f" || exit 2
done
qga exec 'mkdir -p /root/pkg' || exit 2
qga put "$deb1" /root/pkg/n.deb || exit 2
qga put "$deb2" /root/pkg/n1.deb || exit 2

passed=0 failed=0 todo=0
# check NAME SCRIPT: runs SCRIPT in the guest (bash -e, after lib.sh); passes on status 0.
# The script's output is shown when it fails, or always with SHOW=1. With TODO=REASON the
# check runs and is reported, but a failure is not counted (TAP's TODO): for what another
# branch is adding.
check() {
	local name=$1 script=$2 t out rc
	t=$(now)
	out=$(printf '. /root/lib.sh\n%s\n' "$script" | qga exec --timeout 900 - 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		echo "ok - $name ($(elapsed "$t" "$(now)") s)${TODO:+ # TODO passes now: drop the TODO ($TODO)}"
		[ "${SHOW:-0}" = 1 ] && printf '%s\n' "$out" | sed 's/^/    /'
	else
		if [ -n "${TODO:-}" ]; then
			todo=$((todo + 1))
		else
			failed=$((failed + 1))
		fi
		echo "not ok - $name ($(elapsed "$t" "$(now)") s, status $rc)${TODO:+ # TODO $TODO}"
		printf '%s\n' "$out" | sed 's/^/    /' | tail -60
	fi
	return 0
}

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

# The reboot: the unit, enabled by the package, brings the rules back.
t=$(now)
old=$(cat "$run/boot-id")
qga exec 'ipvsadm -C; systemctl --no-block reboot' >/dev/null 2>&1
if new=$(qga wait-boot --not "$old" --timeout 900); then
	echo "$new" >"$run/boot-id"
	echo "# guest rebooted in $(elapsed "$t" "$(now)") s"
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
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ipvs
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
q="rate(ipvs_server_connections_total{server_address=\"198.51.100.2\",port=\"80\"}[10s]) > 0"
nonzero() {
	curl -fsS --data-urlencode "query=$q" http://127.0.0.1:9090/api/v1/query >/root/answer &&
		python3 -c "import json,sys; sys.exit(0 if json.load(open(\"/root/answer\"))[\"data\"][\"result\"] else 1)"
}
wait_for 600 "a non-zero rate in Prometheus" nonzero
systemctl stop traffic
echo "query: $q"
cat /root/answer; echo
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

echo "# 5. keepalived beside us: not run (needs ipvsadm-restore --apply with a scope, issue 20)"
echo "$passed passed, $failed failed${todo:+, $todo todo}"
[ "$failed" = 0 ]
