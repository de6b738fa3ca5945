#!/bin/sh
# tests/lib/vm-run.sh: in the VM (busybox sh), the library checks of tests/lib/run.sh. The
# program is /payload/bin/examples/lib_vm (examples/lib_vm.rs); the reference is /usr/sbin/ipvsadm,
# which builds every table here. Prints `ok - ...`/`not ok - ...` and, last,
# `N passed, N failed`.
IP=/usr/sbin/ip
. ./case-netns.sh
LIB=/payload/bin/examples/lib_vm
REF=/usr/sbin/ipvsadm
. ./checks.sh
W=/tmp/lib
mkdir -p $W

# The reference's real servers of a TCP service as `ADDR:PORT WEIGHT` lines, sorted.
ref_dests() {
	$IP netns exec "$1" $REF -Ln -t "$2" | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2, $4 }' | sort
}

# ---- any page size: 500 real servers after the kernel has seen a 32 KiB buffer ----------
ns_create big || exit 2
{
	echo "-A -t 192.0.2.1:80 -s rr"
	i=0
	while [ $i -lt 500 ]; do
		echo "-a -t 192.0.2.1:80 -r 198.51.100.$((i % 250 + 1)):$((8000 + i / 250)) -m -w $((i % 7 + 1))"
		i=$((i + 1))
	done
} >$W/big.rules
$IP netns exec big $REF -R <$W/big.rules || bad "the reference could not load 500 real servers"
ref_dests big 192.0.2.1:80 >$W/big.ref
$IP netns exec big $LIB large-buffer-dests 192.0.2.1:80 >$W/big.out 2>$W/big.err
status=$?
sort $W/big.out >$W/big.lib
if [ $status = 0 ] && [ "$(wc -l <$W/big.ref)" = 500 ] && cmp -s $W/big.ref $W/big.lib; then
	ok "500 real servers read after a 32 KiB buffer was shown match the reference ($(cat $W/big.err))"
else
	bad "500 real servers read after a 32 KiB buffer was shown (exit $status)" "$(cat $W/big.err)" \
		"$(diff $W/big.ref $W/big.lib | head -10)"
fi

# ---- a client's sockets are its namespace's ---------------------------------------------
ns_create home || exit 2
ns_create away || exit 2
$IP netns exec home sh -c "$REF -A -t 192.0.2.1:80 && $REF -A -t 192.0.2.2:80 && $REF -A -t 192.0.2.3:443"
$IP netns exec away $REF -A -t 203.0.113.9:80
printf 'service %s\n' 192.0.2.1:80 192.0.2.2:80 192.0.2.3:443 >$W/home.want
$IP netns exec home $LIB open-then-join /run/netns/away >$W/home.lib 2>$W/home.err
status=$?
if [ $status = 0 ] && cmp -s $W/home.want $W/home.lib; then
	ok "a client opened before its thread joined another namespace lists its own namespace's services"
else
	bad "a client opened before its thread joined another namespace (exit $status)" \
		"$(cat $W/home.err)" "$(diff $W/home.want $W/home.lib)"
fi

# ---- a dump abandoned half-way leaves the client working ---------------------------------
# 300 more services in the namespace of the 500 real servers, so that both dumps take
# several datagrams; the program fails each dump once after its first datagram.
i=1
while [ $i -le 300 ]; do
	echo "-A -t 203.0.113.1:$i -s wlc"
	i=$((i + 1))
done >$W/many.rules
$IP netns exec big $REF -R <$W/many.rules || bad "the reference could not load 300 services"
$IP netns exec big $REF -Ln | awk '$1 == "TCP" { print "service", $2 }' | sort >$W/svc.ref
$IP netns exec big $LIB aborted-dump 192.0.2.1:80 >$W/abort.out 2>$W/abort.err
status=$?
grep -v '^service ' $W/abort.out | sort >$W/abort.dests
grep '^service ' $W/abort.out >$W/abort.svc
if [ $status = 0 ] && cmp -s $W/big.ref $W/abort.dests && [ "$(wc -l <$W/svc.ref)" = 301 ] &&
	cmp -s $W/svc.ref $W/abort.svc; then
	ok "after a real-server dump and a service dump abandoned half-way, the same client lists both as the reference does"
else
	bad "listings after dumps abandoned half-way (exit $status)" "$(cat $W/abort.err)" \
		"$(diff $W/big.ref $W/abort.dests | head -5)" "$(diff $W/svc.ref $W/abort.svc | head -5)"
fi

# ---- a service deleted between the one-call list and its real servers -------------------
# 20 services of 3 real servers; a second client deletes the 12th after the read has the
# socket options' service list and before it asks for any service's real servers. The
# read must notice (IP_VS_SO_GET_DESTS: no such service), read again, and hand out the
# table without it, every other service whole: as the reference lists it afterwards.
ns_create vanish || exit 2
i=1
while [ $i -le 20 ]; do
	echo "-A -t 192.0.2.$i:80 -s rr"
	for k in 1 2 3; do echo "-a -t 192.0.2.$i:80 -r 198.51.100.$k:8080 -m -w $((i + k))"; done
	i=$((i + 1))
done >$W/vanish.rules
$IP netns exec vanish $REF -R <$W/vanish.rules || bad "the reference could not load 20 services"
$IP netns exec vanish $LIB vanishing-service 192.0.2.12:80 >$W/vanish.out 2>$W/vanish.err
status=$?
sort $W/vanish.out >$W/vanish.lib
$IP netns exec vanish $REF -Ln |
	awk '$1 == "TCP" { s = $2; print s, "-" } $1 == "->" && $2 != "RemoteAddress:Port" { print s, $2, $4 }' |
	sort >$W/vanish.ref
if [ $status = 0 ] && grep -q "^deleted" $W/vanish.err && grep -q "reads thrown away: 1;" $W/vanish.err &&
	grep -q "read with the index: true" $W/vanish.err && [ "$(wc -l <$W/vanish.ref)" = 76 ] &&
	! grep -q "^192.0.2.12:80 " $W/vanish.lib && cmp -s $W/vanish.ref $W/vanish.lib; then
	ok "a service deleted between the one-call list and its real servers: read again, the rest whole ($(tr '\n' ' ' <$W/vanish.err))"
else
	bad "a service deleted between the one-call list and its real servers (exit $status)" \
		"$(cat $W/vanish.err)" "$(diff $W/vanish.ref $W/vanish.lib | head -10)"
fi

checks_done
