#!/bin/sh
# TITLE: LVS-TUN (-i), ipip: the real servers decapsulate on tunl0 and answer directly
TT=ti TUNOPT=""
rs_decap() {
	modprobe ipip 2>/dev/null # creates tunl0 in every namespace
	xin "$1" /usr/sbin/ip link set tunl0 up || return 1
	echo tunl0
}
. ./tun.sh
