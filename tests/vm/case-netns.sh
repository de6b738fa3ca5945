# tests/vm/case-netns.sh: sourced by the in-VM runners (diff-runner.sh, expect-runner.sh).
# Needs IP set to iproute2's ip (busybox's applet has no netns support).
# A fresh namespace with lo up, a dummy interface carrying addresses of the documentation
# ranges and default routes, so that real servers in those ranges count as unicast.
ns_create() {
	$IP netns add "$1" || return 1
	$IP -n "$1" -batch - <<EOF
link set lo up
link add d0 type dummy
link set d0 up
addr add 192.0.2.254/24 dev d0
addr add 198.51.100.254/24 dev d0
addr add 203.0.113.254/24 dev d0
addr add 198.18.0.254/15 dev d0
addr add 2001:db8:ffff::fe/48 dev d0 nodad
route add default dev d0
route add ::/0 dev d0
EOF
}


# ns_delete NAME: deletes the namespace, clearing its IPVS table first (with the reference
# ipvsadm of the VM's image). The kernel keeps the services of every namespace in one
# table, and a service dump resumes by position counted across all of them, so services
# that a deleted namespace's teardown unlinks later, in the background, would shift (and
# tear) a dump running meanwhile in the next case's namespace. A clear unlinks them at
# once, under the IPVS mutex.
ns_delete() {
	$IP netns exec "$1" /usr/sbin/ipvsadm -C >/dev/null 2>&1
	$IP netns del "$1"
}
