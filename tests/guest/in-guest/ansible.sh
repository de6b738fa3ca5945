# shellcheck shell=bash
# tests/guest/in-guest/ansible.sh: the Ansible collection's integration checks, sourced in
# the Debian guest after lib.sh (bash, as root; our .deb installed; Debian's ansible-core in
# the image). One function per check (ans_first, ans_second, ...), run in that order by
# tests/ansible/guest-checks.sh; each fails with a message on standard error.
#
# Three directors: network namespaces ans-d1, ans-d2, ans-d3, the hosts of
# /root/ansible/inventory.ini (connection local, the namespace as the variable `netns`).
# Director 1 also forwards: clients in namespace ans-c (203.0.113.2) reach 192.0.2.10:80
# through it, NAT to the echo servers 198.51.100.2 and 198.51.100.3 (namespace ans-rs,
# port 8080); the others only hold tables.

A=/root/ansible
# ansible-core wants a UTF-8 locale; the agent's commands may come without any.
export LC_ALL=C.UTF-8
export ANSIBLE_COLLECTIONS_PATH=$A/collections ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
	ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCAL_TEMP=$A/tmp ANSIBLE_DEPRECATION_WARNINGS=0 \
	ANSIBLE_INVENTORY=$A/inventory.ini ANSIBLE_STDOUT_CALLBACK=default
DIRECTORS="1 2 3"

# The rules every director gets first.
ans_rules_v1() {
	cat <<'R'
-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 1
-A -t 192.0.2.11:80 -s wlc
-a -t 192.0.2.11:80 -r 198.51.100.3:8080 -m -w 1
R
}

# ans_setup: the collection installed from its tarball, the namespaces and director 1's
# data plane (idempotent).
ans_setup() {
	mkdir -p "$A/tmp" "$A/rules"
	if [ ! -d "$A/collections/ansible_collections/ipvsadm_rs/ipvs" ]; then
		ansible-galaxy collection install -p "$A/collections" "$A/ipvsadm_rs-ipvs.tar.gz" >/dev/null
	fi
	modprobe ip_vs
	local d
	for d in $DIRECTORS; do
		if [ ! -e "/run/netns/ans-d$d" ]; then
			ip netns add "ans-d$d"
			ip -n "ans-d$d" link set lo up
		fi
	done
	if [ ! -e /run/netns/ans-rs ]; then
		ip netns add ans-c
		ip netns add ans-rs
		ip -n ans-d1 link add ac1 type veth peer name ac0 netns ans-c
		ip -n ans-d1 addr add 203.0.113.1/24 dev ac1
		ip -n ans-d1 link set ac1 up
		ip -n ans-c addr add 203.0.113.2/24 dev ac0
		ip -n ans-c link set ac0 up
		ip -n ans-c link set lo up
		ip -n ans-c route add default via 203.0.113.1
		ip -n ans-d1 link add ar1 type veth peer name ar0 netns ans-rs
		ip -n ans-d1 addr add 198.51.100.1/24 dev ar1
		ip -n ans-d1 link set ar1 up
		ip -n ans-rs addr add 198.51.100.2/24 dev ar0
		ip -n ans-rs addr add 198.51.100.3/24 dev ar0
		ip -n ans-rs link set ar0 up
		ip -n ans-rs link set lo up
		ip -n ans-rs route add default via 198.51.100.1
		ip -n ans-d1 link add vip type dummy
		ip -n ans-d1 link set vip up
		ip -n ans-d1 addr add 192.0.2.10/32 dev vip
		ip netns exec ans-d1 sysctl -qw net.ipv4.ip_forward=1
	fi
	if ! systemctl -q is-active ans-echo.service; then
		systemd-run -q --unit=ans-echo --collect ip netns exec ans-rs python3 /root/echo.py 8080
	fi
	wait_for 60 "the echo server of ans-rs listening" listening ans-rs 8080
}

# ans_play LOG PLAYBOOK ARGS...: ansible-playbook with its output in LOG; its status.
ans_play() {
	local logf=$1 book=$2
	shift 2
	ansible-playbook "$A/$book" "$@" >"$logf" 2>&1
}

# recap LOG HOST FIELD: FIELD's count (ok, changed, failed, ...) in the PLAY RECAP of HOST.
recap() {
	awk -v h="$2" -v f="$3" '
		/^PLAY RECAP/ { on = 1; next }
		on && $1 == h { for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2 && kv[1] == f) print kv[2] }
	' "$1"
}

# expect_recap LOG FIELD VALUE: every director's recap has FIELD=VALUE.
expect_recap() {
	local d v
	for d in $DIRECTORS; do
		v=$(recap "$1" "director$d" "$2")
		if [ "$v" != "$3" ]; then
			echo "director$d: $2=${v:-(none)} in the recap, expected $3" >&2
			cat "$1" >&2
			return 1
		fi
	done
}

# table D: the -Sn of director D, sorted.
table() { ipvsadm --netns "ans-d$1" -Sn | sort; }

# tables_equal FILE: every director's -Sn (sorted) is FILE's lines (sorted).
tables_equal() {
	local d
	sort "$1" >"$A/want"
	for d in $DIRECTORS; do
		table "$d" >"$A/now"
		same "the table of director$d" "$A/want" "$A/now" || return 1
	done
}

save_tables() {
	local d
	for d in $DIRECTORS; do table "$d" >"$A/before.d$d"; done
}

tables_unchanged() {
	local d
	for d in $DIRECTORS; do
		table "$d" >"$A/now"
		same "the table of director$d (it must not change)" "$A/before.d$d" "$A/now" || return 1
	done
}

ans_first() {
	ans_setup
	local d
	for d in $DIRECTORS; do ipvsadm --netns "ans-d$d" -C; done
	ans_rules_v1 >"$A/rules/v1.rules"
	ans_play "$A/first.log" apply.yml -e rules="$A/rules/v1.rules" || {
		cat "$A/first.log" >&2
		return 1
	}
	expect_recap "$A/first.log" changed 1
	expect_recap "$A/first.log" failed 0
	tables_equal "$A/rules/v1.rules"
	ansible --version | head -1
	grep '^director' "$A/first.log"
}

ans_second() {
	ans_setup
	ans_play "$A/second.log" apply.yml -e rules="$A/rules/v1.rules" || {
		cat "$A/second.log" >&2
		return 1
	}
	expect_recap "$A/second.log" ok 1
	expect_recap "$A/second.log" changed 0
	tables_equal "$A/rules/v1.rules"
}

# count_lines FILE LINE: how many lines of FILE are exactly LINE.
count_lines() { grep -cxF -- "$2" "$1" || true; }

ans_check_diff() {
	ans_setup
	# The edit: a weight, a new real server, a service gone.
	cat >"$A/rules/v2.rules" <<'R'
-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 3
-a -t 192.0.2.10:80 -r 198.51.100.4:8080 -m -w 1
R
	save_tables
	ans_play "$A/check.log" apply.yml --check --diff -e rules="$A/rules/v2.rules" || {
		cat "$A/check.log" >&2
		return 1
	}
	expect_recap "$A/check.log" changed 1
	expect_recap "$A/check.log" failed 0
	local line n
	for line in "-a -t 192.0.2.10:80 -r 198.51.100.4:8080 -m -w 1" \
		"-e -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 3" \
		"-D -t 192.0.2.11:80"; do
		n=$(count_lines "$A/check.log" "$line")
		if [ "$n" != 3 ]; then
			echo "the plan line '$line' shown $n times, expected once per director (3):" >&2
			cat "$A/check.log" >&2
			return 1
		fi
	done
	grep -q "plan for network namespace ans-d2: 1 to add, 1 to edit, 1 to remove" "$A/check.log" || {
		cat "$A/check.log" >&2
		return 1
	}
	tables_unchanged
}

# server_line D VIP RS: the real server RS of VIP in director D's -Ln (Forward Weight
# ActiveConn InActConn).
server_line() {
	ipvsadm --netns "ans-d$1" -Ln | awk -v vip="$2" -v rs="$3" '
		/^(TCP|UDP|SCTP|FWM)/ { on = ($2 == vip); next }
		on && $2 == rs { print $3, $4, $5, $6 }'
}

# held_on: which real server of 192.0.2.10:80 in director 1 counts the held connection.
held_on() {
	local rs
	for rs in 198.51.100.2:8080 198.51.100.3:8080; do
		if [ "$(server_line 1 192.0.2.10:80 "$rs" | awk '{ print $3 }')" = 1 ]; then
			echo "$rs"
			return 0
		fi
	done
	return 1
}

weight0() { [ "$(server_line 1 192.0.2.10:80 "$1" | awk '{ print $2 }')" = 0 ]; }
running() { kill -0 "$1" 2>/dev/null; }
# draining_or_done RS PID: RS is at weight 0, or the run PID ended (then the check fails
# on what follows, without waiting out the limit).
draining_or_done() { weight0 "$1" || ! running "$2"; }
finished() { ! kill -0 "$1" 2>/dev/null; }

# ans_hold NAME: a TCP connection from ans-c to 192.0.2.10:80 through director 1, kept open
# (hold.py; lib.sh's hold_ping talks over it).
ans_hold() {
	local name=$1
	rm -f "/run/$name.in" "/run/$name.out"
	mkfifo "/run/$name.in"
	: >"/run/$name.out"
	systemd-run -q --unit="$name" --collect \
		ip netns exec ans-c python3 /root/hold.py 192.0.2.10 80 "/run/$name.in" "/run/$name.out"
	wait_for 60 "connection $name established" grep -qx connected "/run/$name.out"
}

ans_drain() {
	ans_setup
	local d rs pid rc
	# Every director back on the first rules, directly (this check is about the drain).
	for d in $DIRECTORS; do ipvsadm-restore --apply --netns "ans-d$d" "$A/rules/v1.rules" 2>/dev/null; done
	tables_equal "$A/rules/v1.rules"
	ans_hold ans-hold
	hold_ping ans-hold before-drain
	wait_for 60 "the held connection counted on a real server" held_on
	rs=$(held_on)
	echo "the held connection goes to $rs"
	# The rules without that real server.
	grep -vxF -- "-a -t 192.0.2.10:80 -r $rs -m -w 1" "$A/rules/v1.rules" >"$A/rules/v3.rules"
	# The drain's limit (300 s) leaves the checks below time to see the drain under load
	# (ansible-playbook takes minutes to reach director1 under TCG at load 13; the 240 s
	# wait that was here ran out in one of two runs side by side).
	ans_play "$A/drain.log" apply.yml -e rules="$A/rules/v3.rules" -e drain=300 &
	pid=$!
	wait_for 900 "$rs at weight 0 in director1 (draining)" draining_or_done "$rs" "$pid"
	# Draining: the connection still works, and the apply waits for it.
	hold_ping ans-hold during-drain
	running "$pid" || {
		echo "the apply ended while the connection to $rs was open:" >&2
		cat "$A/drain.log" >&2
		return 1
	}
	[ "$(server_line 1 192.0.2.10:80 "$rs" | awk '{ print $3 }')" = 1 ] || {
		echo "the drained server lost its connection: $(server_line 1 192.0.2.10:80 "$rs")" >&2
		return 1
	}
	echo "during the drain: $rs $(server_line 1 192.0.2.10:80 "$rs") (forward weight active inactive)"
	# The connection closes; the apply removes the server (at the latest at the drain's
	# limit: the closed connection's TIME_WAIT entry counts as inactive for two minutes).
	systemctl stop ans-hold
	wait_for 900 "the drain run to finish" finished "$pid"
	if wait "$pid"; then rc=0; else rc=$?; fi
	[ "$rc" = 0 ] || {
		echo "ansible-playbook: status $rc" >&2
		cat "$A/drain.log" >&2
		return 1
	}
	expect_recap "$A/drain.log" changed 1
	tables_equal "$A/rules/v3.rules"
	grep 'director1' "$A/drain.log" | head -5
}

ans_bad() {
	ans_setup
	# Line 3: a weight that is not a number; line 5: a real server without its service.
	cat >"$A/rules/bad.rules" <<'R'
-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 1
-a -t 192.0.2.10:80 -r 198.51.100.5:8080 -m -w lots
-A -t 192.0.2.12:80 -s rr
-a -t 192.0.2.13:80 -r 198.51.100.3:8080 -m -w 1
R
	save_tables
	if ans_play "$A/bad.log" apply.yml -e rules="$A/rules/bad.rules"; then
		echo "ansible-playbook succeeded with bad rules" >&2
		cat "$A/bad.log" >&2
		return 1
	fi
	expect_recap "$A/bad.log" failed 1
	expect_recap "$A/bad.log" changed 0
	local d
	for d in $DIRECTORS; do
		grep "^fatal: \[director$d\]: FAILED!" "$A/bad.log" | grep 'line 3: ' | grep -q 'line 5: ' || {
			echo "director$d: no failure naming lines 3 and 5:" >&2
			cat "$A/bad.log" >&2
			return 1
		}
	done
	tables_unchanged
	grep '^fatal: \[director1\]' "$A/bad.log"
}

ans_validate() {
	ans_setup
	local d
	for d in $DIRECTORS; do cp "$A/rules/v1.rules" "$A/director$d.rules"; done
	if ans_play "$A/validate.log" validate.yml -e rules="$A/rules/bad.rules"; then
		echo "the copy with validate succeeded with bad rules" >&2
		cat "$A/validate.log" >&2
		return 1
	fi
	expect_recap "$A/validate.log" failed 1
	for d in $DIRECTORS; do
		grep "^fatal: \[director$d\]: FAILED!" "$A/validate.log" | grep -q 'line 3: ' || {
			echo "director$d: the failure does not name line 3:" >&2
			cat "$A/validate.log" >&2
			return 1
		}
		same "director$d's rules file (kept)" "$A/rules/v1.rules" "$A/director$d.rules" || return 1
	done
	# The good rules pass the same check and are written.
	ans_play "$A/validate-good.log" validate.yml -e rules="$A/rules/v3.rules" || {
		cat "$A/validate-good.log" >&2
		return 1
	}
	for d in $DIRECTORS; do
		same "director$d's rules file (written)" "$A/rules/v3.rules" "$A/director$d.rules" || return 1
	done
}

ans_facts() {
	ans_setup
	local d
	for d in $DIRECTORS; do ipvsadm-restore --apply --netns "ans-d$d" "$A/rules/v1.rules" 2>/dev/null; done
	ans_play "$A/facts.log" facts.yml || {
		cat "$A/facts.log" >&2
		return 1
	}
	expect_recap "$A/facts.log" failed 0
	expect_recap "$A/facts.log" changed 0
}
