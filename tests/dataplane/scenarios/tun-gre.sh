#!/bin/sh
# TITLE: LVS-TUN (-i --tun-type gre): GRE, decapsulated by the real servers' gre0
TT=tg TUNOPT="--tun-type gre"
rs_decap() {
	modprobe ip_gre 2>/dev/null # creates the catch-all gre0 in every namespace
	xin "$1" /usr/sbin/ip link set gre0 up || return 1
	echo gre0
}
. ./tun.sh
