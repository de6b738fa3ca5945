#!/bin/sh
# TITLE: LVS-TUN (-i --tun-type gue): IPIP in GUE (UDP 6080), decapsulated by fou + tunl0
TT=tu TUNOPT="--tun-type gue --tun-port 6080" UDP_CHECK=1
rs_decap() {
	modprobe ipip 2>/dev/null
	modprobe fou 2>/dev/null
	xin "$1" /usr/sbin/ip fou add port 6080 gue || return 1
	xin "$1" /usr/sbin/ip link set tunl0 up || return 1
	echo tunl0
}
. ./tun.sh
