# tests/dataplane/lib.sh: helpers shared by the data-plane scenarios (busybox sh, in the VM).
#
# A scenario is `scenarios/NAME.sh`, run by vm-run.sh as `sh scenarios/NAME.sh` with
#   IPVSADM      path of the ipvsadm under test (inside the VM)
#   DP_SCEN      the scenario's name
#   DP_STATE     file where the helpers record what to clean up (pids, namespaces, links)
#   DP_TRACE     file receiving the command trace (shown when the scenario fails)
#   DP_VERBOSE   1: print the trace on the console as it happens (tests/lab.sh)
# It prints evidence with `say`, and exits 0 (PASS) or non-zero (FAIL).
#
# Names: every scenario prefixes its namespaces and the links it leaves in the VM's root
# namespace (bridges, bridge ports) with its own short prefix, so scenarios cannot collide.
# Links inside a namespace may have plain names (eth0, eth1): namespaces do not share them.

IP=/usr/sbin/ip
: "${DP_TRACE:=/dev/null}" "${DP_STATE:=/tmp/dp-state}" "${DP_VERBOSE:=0}"

# ---- output -------------------------------------------------------------------------------
say() { echo "    $*"; }
trace() {
	echo "$*" >>"$DP_TRACE"
	[ "$DP_VERBOSE" = 1 ] && echo "  $*" >&2
	return 0
}
fail() {
	say "FAILED: $*"
	exit 1
}
# Print a multi-line text as evidence, indented.
say_text() { printf '%s\n' "$1" | sed 's/^/      | /'; }

# x CMD...: run a command, tracing it; its output goes to the trace.
x() {
	trace "# $*"
	"$@" >>"$DP_TRACE" 2>&1 || {
		rc=$?
		trace "  (exit status $rc)"
		return $rc
	}
}
# xin NS CMD...: run a command in namespace NS, tracing it as `NS# CMD`.
xin() {
	ns=$1
	shift
	trace "$ns# $*"
	$IP netns exec "$ns" "$@" >>"$DP_TRACE" 2>&1 || {
		rc=$?
		trace "  (exit status $rc)"
		return $rc
	}
}
# nsx NS CMD...: run a command in NS without tracing; output on stdout.
nsx() {
	ns=$1
	shift
	$IP netns exec "$ns" "$@"
}
# ipvs NS ARGS...: the ipvsadm under test, in NS, traced; fails the scenario on error.
ipvs() {
	ns=$1
	shift
	trace "$ns# ipvsadm $*"
	out=$($IP netns exec "$ns" "$IPVSADM" "$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" >>"$DP_TRACE"
	[ "$DP_VERBOSE" = 1 ] && [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /' >&2
	[ $rc = 0 ] || fail "ipvsadm $* (in $ns) exited with $rc: $out"
}
# ipvs_out NS ARGS...: the listing printed by the ipvsadm under test (traced).
ipvs_out() {
	ns=$1
	shift
	trace "$ns# ipvsadm $*"
	$IP netns exec "$ns" "$IPVSADM" "$@" 2>&1
}

# restore_apply NS ARGS...: ipvsadm-restore (the one beside the ipvsadm under test) in NS,
# traced; prints its standard error (the summary) and returns its exit status.
restore_apply() {
	ns=$1
	shift
	[ -x "${IPVSADM_RESTORE:-}" ] || fail "no ipvsadm-restore beside the ipvsadm under test"
	trace "$ns# ipvsadm-restore $*"
	$IP netns exec "$ns" "$IPVSADM_RESTORE" "$@" 2>/tmp/dp/restore-err
	rc=$?
	cat /tmp/dp/restore-err >>"$DP_TRACE"
	cat /tmp/dp/restore-err
	return $rc
}

# ---- long-lived TCP connections (busybox nc) ----------------------------------------------
# echo_server NS PORT NAME: a TCP echo server in NS on PORT that greets each connection
# with NAME, then echoes every line; each connection's handler writes its pid to
# /tmp/dp/NAME.pids (its first line is the first connection's).
echo_server() {
	h=/tmp/dp/echo-$3.sh
	printf '#!/bin/sh\necho $$ >>/tmp/dp/%s.pids\necho %s\nexec cat\n' "$3" "$3" >"$h"
	chmod +x "$h"
	: >"/tmp/dp/$3.pids"
	bg "$1" nc -ll -p "$2" -e "$h"
}
# stream NS ADDR PORT FILE: a long-lived connection from NS to ADDR:PORT that sends a
# numbered line every 0.2 s and appends what comes back to FILE.
stream() {
	: >"$4"
	trace "$1# (a line every 0.2 s) | nc $2 $3 >$4 &"
	$IP netns exec "$1" sh -c "i=0; while :; do echo line-\$i; i=\$((i + 1)); usleep 200000; done | nc $2 $3" >"$4" 2>/dev/null &
	echo "pid $!" >>"$DP_STATE"
}
# nlines FILE: how many lines FILE holds.
nlines() { wc -l <"$1" | tr -d ' '; }
# grows FILE N SECONDS: succeeds as soon as FILE holds N lines more than it does now; fails
# when SECONDS pass first. (A stream's lines come back every 0.2 s when nothing is loaded;
# the bound is for a machine that is.)
grows() {
	_want=$(($(nlines "$1") + $2))
	wait_for "$3" at_least_lines "$1" "$_want"
}
at_least_lines() { [ "$(nlines "$1")" -ge "$2" ]; }
# established NS ADDR PORT: NS holds an established TCP connection to ADDR:PORT.
established() {
	nsx "$1" netstat -tn 2>/dev/null | awk -v p="$2:$3" '$5 == p && $6 == "ESTABLISHED" { f = 1 } END { exit !f }'
}
# the_other NAME: for the layout of front.sh, where the echo servers are named rs1 and rs2,
# sets xa to NAME's address, other to the other server's name and oa to its address.
the_other() {
	case $1 in
	rs1) xa=$RS1 other=rs2 oa=$RS2 ;;
	rs2) xa=$RS2 other=rs1 oa=$RS1 ;;
	*) fail "unexpected greeting '$1'" ;;
	esac
}
# greeting NS ADDR PORT: the first line a new connection from NS to ADDR:PORT receives
# (the echo server's name), or "<no answer>". busybox nc half-closes at the end of its
# input and reads on until the server closes: the echo server greets, sees the end of the
# input and leaves, so this takes as long as the exchange does (20 s at most).
greeting() {
	g=$($IP netns exec "$1" sh -c "true | timeout 20 nc $2 $3" 2>/dev/null | head -n 1)
	[ -n "$g" ] || g="<no answer>"
	trace "$1# nc $2 $3   -> $g"
	echo "$g"
}

# ---- topology -----------------------------------------------------------------------------
# ns_add NS...: fresh namespaces with lo up, forwarding off, rp_filter off.
ns_add() {
	for ns in "$@"; do
		x $IP netns add "$ns" || fail "ip netns add $ns"
		echo "ns $ns" >>"$DP_STATE"
		$IP netns exec "$ns" $IP link set lo up
		$IP netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			>/dev/null 2>&1
	done
}
# router NS: enable IPv4 and IPv6 forwarding in NS.
router() {
	xin "$1" sysctl -w net.ipv4.ip_forward=1
	xin "$1" sysctl -w net.ipv6.conf.all.forwarding=1
}
# bridge BR: a bridge in the VM's root namespace (BR must carry the scenario's prefix).
bridge() {
	x $IP link add "$1" type bridge || fail "bridge $1"
	echo "link $1" >>"$DP_STATE"
	# No IPv6 autoconfiguration noise on the bridge itself.
	echo 1 >"/proc/sys/net/ipv6/conf/$1/disable_ipv6" 2>/dev/null
	x $IP link set "$1" up
}
# wire NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
wire() {
	x $IP link add "$2" netns "$1" type veth peer name "$4" netns "$3" || fail "veth $1/$2 - $3/$4"
	$IP netns exec "$1" $IP link set "$2" up
	$IP netns exec "$3" $IP link set "$4" up
}
# port BR NS IF: plug interface IF of NS into bridge BR (a veth pair; the bridge-side end
# is named BR-NS... truncated to 15 characters, so keep the names short).
port() {
	br=$1 ns=$2 ifn=$3
	peer=$(echo "${br}${ns}${ifn}" | cut -c1-15)
	x $IP link add "$ifn" netns "$ns" type veth peer name "$peer" || fail "veth $ns/$ifn on $br"
	echo "link $peer" >>"$DP_STATE"
	echo 1 >"/proc/sys/net/ipv6/conf/$peer/disable_ipv6" 2>/dev/null
	x $IP link set "$peer" master "$br" up
	$IP netns exec "$ns" $IP link set "$ifn" up
}
# addr NS IF ADDR/LEN...: add addresses (IPv6 without duplicate address detection).
addr() {
	ns=$1 ifn=$2
	shift 2
	for a in "$@"; do
		case $a in
		*:*) xin "$ns" $IP addr add "$a" dev "$ifn" nodad || fail "addr $a on $ns/$ifn" ;;
		*) xin "$ns" $IP addr add "$a" dev "$ifn" || fail "addr $a on $ns/$ifn" ;;
		esac
	done
}
# route NS ARGS...: ip route add ARGS in NS (`route NS -6 ...` for IPv6).
route() {
	ns=$1
	shift
	if [ "$1" = -6 ]; then
		shift
		xin "$ns" $IP -6 route add "$@" || fail "route -6 $* in $ns"
	else
		xin "$ns" $IP route add "$@" || fail "route $* in $ns"
	fi
}
# vip_on_lo NS VIP: the LVS-DR/TUN real-server trick: the VIP on lo, and no ARP for it.
vip_on_lo() {
	xin "$1" sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	xin "$1" $IP addr add "$2/32" dev lo || fail "VIP $2 on $1/lo"
}
# mac NS IF: the link-layer address of IF in NS.
mac() { nsx "$1" cat "/sys/class/net/$2/address"; }
# counter NS IF rx_bytes|tx_bytes|rx_packets...: an interface statistic.
counter() { nsx "$1" cat "/sys/class/net/$2/statistics/$3"; }

# ---- servers and clients ------------------------------------------------------------------
# web NS LISTEN BODY: busybox httpd in NS on LISTEN ("ADDR:PORT", "[ADDR6]:PORT" or "PORT")
# serving BODY as /index.html and 64 KiB of zeroes as /big.
web() {
	ns=$1 listen=$2 body=$3
	d=/tmp/dp-www/$ns-$(echo "$listen" | tr -c 'A-Za-z0-9\n' _)
	mkdir -p "$d"
	echo "$body" >"$d/index.html"
	dd if=/dev/zero of="$d/big" bs=1024 count=64 2>/dev/null
	trace "$ns# httpd -f -p $listen -h $d   (/index.html: $body)"
	$IP netns exec "$ns" httpd -f -p "$listen" -h "$d" >>"$DP_TRACE" 2>&1 &
	echo "pid $!" >>"$DP_STATE"
}
# bg NS CMD...: a background process in NS, killed at cleanup.
bg() {
	ns=$1
	shift
	trace "$ns# $* &"
	$IP netns exec "$ns" "$@" >>"$DP_TRACE" 2>&1 &
	echo "pid $!" >>"$DP_STATE"
}
# fetch NS URL: what the client in NS received (busybox wget under busybox timeout: the
# static wget's own -T crashes).  Prints the body, or "<no answer>".
fetch() {
	body=$($IP netns exec "$1" timeout 30 wget -q -O - "$2" 2>/dev/null) || body="<no answer>"
	[ -n "$body" ] || body="<empty>"
	trace "$1# wget -q -O - $2   -> $body"
	echo "$body"
}
# fetch_n NS URL N: N fetches; prints the bodies on one line, space-separated.  Stops at
# the first request without an answer (each has 30 s at most; one is enough to fail).
fetch_n() {
	i=0 all=""
	while [ $i -lt "$3" ]; do
		b=$(fetch "$1" "$2")
		all="$all $b"
		[ "$b" = "<no answer>" ] && break
		i=$((i + 1))
	done
	echo "${all# }"
}
# fetch_size NS URL: the number of bytes received.
fetch_size() {
	$IP netns exec "$1" timeout 60 wget -q -O - "$2" 2>/dev/null | wc -c
}
# wait_http NS URL [TRIES]: wait until URL answers (servers started in the background).
# nat_servers BRIDGE DIRECTOR RS1-NS RS2-NS: the NAT back end shared by several layouts.
# The director's eth1 (203.0.113.1) and two real servers (203.0.113.11 answering aaaa,
# 203.0.113.12 answering bbbbb) on BRIDGE (created here), routed back through the director;
# returns once both answer.
nat_servers() {
	bridge "$1"
	port "$1" "$2" eth1
	port "$1" "$3" eth0
	port "$1" "$4" eth0
	addr "$2" eth1 203.0.113.1/24
	addr "$3" eth0 203.0.113.11/24
	addr "$4" eth0 203.0.113.12/24
	route "$3" default via 203.0.113.1
	route "$4" default via 203.0.113.1
	web "$3" 80 aaaa
	web "$4" 80 bbbbb
	wait_http "$2" http://203.0.113.11/
	wait_http "$2" http://203.0.113.12/
}

# conns_to DIRECTOR CLIENT VIP RS...: shows the director's `-Lnc` and fails unless it has a
# TCP connection CLIENT -> VIP:80 -> RS:80 for every RS. The addresses are grep patterns
# (IPv6 ones bracketed and escaped: '\[2001:db8::1\]').
conns_to() {
	_d=$1 _c=$2 _v=$3
	shift 3
	lnc=$(ipvs_out "$_d" -Lnc)
	say "$_d# ipvsadm -Lnc"
	say_text "$lnc"
	for _rs in "$@"; do
		printf '%s\n' "$lnc" | grep -q "^TCP .* $_c:[0-9]* *$_v:80 *$_rs:80" ||
			fail "-Lnc shows no connection to $_rs:80"
	done
}

wait_http() {
	t=${3:-50}
	while [ "$t" -gt 0 ]; do
		$IP netns exec "$1" timeout 2 wget -q -O /dev/null "$2" 2>/dev/null && return 0
		sleep 0.1
		t=$((t - 1))
	done
	fail "$2 does not answer from $1"
}
# wait_listen NS PORT: wait (30 s at most) until something listens on PORT in NS.
wait_listen() {
	t=300
	while [ $t -gt 0 ]; do
		nsx "$1" netstat -lnt 2>/dev/null | grep -q ":$2 " && return 0
		sleep 0.1
		t=$((t - 1))
	done
	fail "nothing listens on port $2 in $1"
}

# ---- checks -------------------------------------------------------------------------------
# count WORD LIST: how many times WORD occurs in the space-separated LIST.
count() {
	n=0
	for w in $2; do [ "$w" = "$1" ] && n=$((n + 1)); done
	echo $n
}
# alternates A B LIST: LIST is A B A B... or B A B A... (strictly alternating, both present).
alternates() {
	prev="" ok=1
	for w in $3; do
		[ "$w" = "$1" ] || [ "$w" = "$2" ] || ok=0
		[ "$w" = "$prev" ] && ok=0
		prev=$w
	done
	[ $ok = 1 ] && [ "$(count "$1" "$3")" -gt 0 ] && [ "$(count "$2" "$3")" -gt 0 ]
}
# all_same LIST: every word of LIST is the same (and there is at least one, not an error).
all_same() {
	first=${1%% *}
	case $first in "" | "<"*) return 1 ;; esac
	for w in $1; do [ "$w" = "$first" ] || return 1; done
}
# wait_for SECONDS CMD...: retry CMD every 0.5 s until it succeeds or SECONDS pass.
wait_for() {
	n=$(($1 * 2))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.5
		n=$((n - 1))
	done
	return 1
}
# stats_show NS: print `-Ln --stats` and `-Lnc` of the ipvsadm under test as evidence.
show_listing() {
	ns=$1
	shift
	say "$ns# ipvsadm $*"
	say_text "$(ipvs_out "$ns" "$@")"
}
