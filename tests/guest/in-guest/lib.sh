# shellcheck shell=bash
# tests/guest/in-guest/lib.sh: helpers for the checks, sourced by each check's script in
# the Debian guest (bash, as root). The director is the root namespace: clients in
# namespace "client" (203.0.113.2) reach the virtual addresses 192.0.2.10 and 192.0.2.11
# through it; the real servers 198.51.100.2 and 198.51.100.3 (namespace "rs") echo lines
# on port 8080. NAT forwarding, so replies come back through the director.

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds (bounded).
wait_for() {
	local limit=$1 what=$2 end
	shift 2
	end=$((SECONDS + limit))
	until "$@"; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "timed out after ${limit}s waiting for: $what" >&2
			return 1
		fi
		sleep 0.2
	done
}

listening() { ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q .; }

# net_up: the namespaces, links, addresses and the echo servers (idempotent).
net_up() {
	if ! ip netns list | grep -qw rs; then
		ip netns add client
		ip netns add rs
		ip link add c1 type veth peer name c0 netns client
		ip addr add 203.0.113.1/24 dev c1
		ip link set c1 up
		ip -n client addr add 203.0.113.2/24 dev c0
		ip -n client link set c0 up
		ip -n client link set lo up
		ip -n client route add default via 203.0.113.1
		ip link add r1 type veth peer name r0 netns rs
		ip addr add 198.51.100.1/24 dev r1
		ip link set r1 up
		ip -n rs addr add 198.51.100.2/24 dev r0
		ip -n rs addr add 198.51.100.3/24 dev r0
		ip -n rs link set r0 up
		ip -n rs link set lo up
		ip -n rs route add default via 198.51.100.1
		ip link add vip type dummy
		ip link set vip up
		ip addr add 192.0.2.10/32 dev vip
		ip addr add 192.0.2.11/32 dev vip
		sysctl -qw net.ipv4.ip_forward=1
	fi
	if ! systemctl -q is-active echo-rs.service; then
		systemd-run -q --unit=echo-rs --collect ip netns exec rs python3 /root/echo.py 8080
	fi
	wait_for 60 "the echo server listening" listening rs 8080
}

# hold_start NAME VIP: opens a connection from the client namespace to VIP:80, kept open.
hold_start() {
	local name=$1 vip=$2
	rm -f "/run/$name.in" "/run/$name.out"
	mkfifo "/run/$name.in"
	: >"/run/$name.out"
	systemd-run -q --unit="$name" --collect \
		ip netns exec client python3 /root/hold.py "$vip" 80 "/run/$name.in" "/run/$name.out"
	wait_for 60 "connection $name established" grep -qx connected "/run/$name.out"
}

# hold_ping NAME WORD: sends WORD over connection NAME and waits for its echo.
hold_ping() {
	local name=$1 word=$2
	# shellcheck disable=SC2016 # expanded by that sh
	if ! timeout 60 sh -c 'echo "$1" >"$2"' sh "$word" "/run/$name.in"; then
		echo "connection $name: nobody reads /run/$name.in" >&2
		cat "/run/$name.out" >&2
		return 1
	fi
	wait_for 60 "echo of $word on $name" grep -qx "$word" "/run/$name.out" || {
		cat "/run/$name.out" >&2
		return 1
	}
}

# block VIP: the lines of one virtual service in `ipvsadm -Ln` (with its connection counts).
block() {
	ipvsadm -Ln | awk -v vip="$1" '/^(TCP|UDP|SCTP|FWM)/ { on = ($2 == vip) } on'
}

# stats VIP: the same block in `ipvsadm -Ln --stats --exact` (the service's and its real
# servers' counters).
stats() {
	ipvsadm -Ln --stats --exact | awk -v vip="$1" '/^(TCP|UDP|SCTP|FWM)/ { on = ($2 == vip) } on'
}

# same WHAT EXPECTED-FILE ACTUAL-FILE: compares, showing the difference.
same() {
	if ! cmp -s "$2" "$3"; then
		echo "$1 differs:" >&2
		diff -u "$2" "$3" >&2
		return 1
	fi
}

# counted: the held connection is counted on 198.51.100.2 (ActiveConn 1, InActConn 0).
counted() { block 192.0.2.10:80 | grep -Eq '198\.51\.100\.2:8080 +Masq +1 +1 +0'; }

# published VIP: the kernel's statistics estimator (it publishes the counters about every
# 2 s) has counted a connection for the service VIP.
published() { stats "$1" | awk 'NR == 1 && $3 + 0 >= 1 { f = 1 } END { exit !f }'; }

# kept WHAT BEFORE AFTER: two `stats` blocks of the same service, read before and after a
# change: the same lines, and no counter went down (counters only grow, and they go on
# counting the traffic the estimator had not yet published when BEFORE was read), with the
# connections of the service still counted (a clear and restore makes a new service whose
# connection count starts at 0).
kept() {
	if ! awk 'NR == FNR { for (i = 1; i <= NF; i++) b[FNR, i] = $i; n[FNR] = NF; nb = FNR; next }
		{
			if (n[FNR] != NF || b[FNR, 1] != $1 || b[FNR, 2] != $2) bad = 1
			for (i = 3; i <= NF; i++) if ($i + 0 < b[FNR, i] + 0) bad = 1
			if (FNR == 1 && $3 + 0 < 1) bad = 1
			lines = FNR
		}
		END { exit bad || lines != nb }' "$2" "$3"; then
		echo "$1: a counter went down or the lines changed:" >&2
		diff -u "$2" "$3" >&2
		return 1
	fi
}

# alert_state NAME STATE...: Debian's Prometheus (127.0.0.1:9090) has the alert NAME in one
# of the STATEs (pending, firing); its state goes to /root/alert.state.
alert_state() {
	local name=$1
	shift
	curl -fsS http://127.0.0.1:9090/api/v1/alerts >/root/alerts.json || return 1
	python3 - "$name" "$@" >/root/alert.state <<'P'
import json, sys
name, states = sys.argv[1], sys.argv[2:]
for a in json.load(open("/root/alerts.json"))["data"]["alerts"]:
    if a["labels"].get("alertname") == name and a["state"] in states:
        print(a["state"])
        sys.exit(0)
sys.exit(1)
P
}
