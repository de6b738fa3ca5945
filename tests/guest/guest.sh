#!/usr/bin/env bash
# tests/guest/guest.sh: a Debian 12 guest with systemd as PID 1, for the checks that need a
# real director (packages, units, keepalived, Prometheus). Same cloud kernel as the busybox
# VM (tests/vm/vm.sh setup downloads it); QEMU TCG.
#
#   tests/guest/guest.sh build
#       Builds (once; cached) target/guest/root.img: mmdebstrap's Debian 12 (systemd,
#       Debian's ipvsadm, keepalived, prometheus, curl, python3, qemu-guest-agent ...) with
#       the cloud kernel's modules, as a raw ext4 image. The key of the cache is the kernel
#       version, the package list and the functions that build it. Prints the build time.
#       Takes target/guest/build.lock: a second build waits for the first, then finds it.
#   tests/guest/guest.sh start DIR
#       Boots the image with the console logged to DIR/console.log and qemu-guest-agent's
#       channel on DIR/qga.sock; returns when the agent answers (bounded) and prints the
#       boot time. DIR/qemu.pid holds QEMU's pid, DIR/boot-id the guest's boot id. Writes
#       go to DIR/disk.qcow2, an overlay on the image (the image itself never changes),
#       made at the first start: a second start of the same DIR boots the same disk.
#   tests/guest/guest.sh wait-off DIR SECONDS
#       Waits (at most SECONDS) until the guest has powered itself off (`systemctl
#       poweroff` in the guest ends QEMU); fails if it has not.
#   tests/guest/guest.sh stop DIR
#       Powers the guest off (QEMU's pid from DIR/qemu.pid); prints the CPU time QEMU used.
#
# A reboot in the guest resets the machine in QEMU, and under TCG a reset now and then
# never comes back (the console ends at `reboot: Restarting system`; seen once in about
# ten test runs, under load): the checks power-cycle instead (poweroff, wait-off, start),
# which runs the same shutdown and boot in the guest.
#
# The guest is driven through qemu-guest-agent (tests/guest/qga.py): commands with their
# output and status, files in both directions, and the boot id (a reboot is seen when it
# changes). The root disk is an NVMe drive: the cloud kernel has NVMe and ext4 built in,
# so no initramfs is needed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/apt.sh
. "$repo/tests/apt.sh"
GUEST_DIR=${GUEST_DIR:-$repo/target/guest}
VM_DIR=${VM_DIR:-$repo/target/vm}
# What the checks need in the guest besides systemd (ansible-core: Debian's 2.14, for the
# Ansible collection's checks, tests/ansible; the guest has no network to pip from).
INCLUDE=systemd,systemd-sysv,udev,dbus,iproute2,kmod,procps,ipvsadm,keepalived,prometheus,curl,python3,qemu-guest-agent,e2fsprogs,ansible-core

log() { echo "guest.sh: $*" >&2; }
die() {
	echo "guest.sh: error: $*" >&2
	exit 2
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

kernel_version() {
	local k
	k=$(cat "$VM_DIR/kernel/.package" 2>/dev/null) || die "no kernel in $VM_DIR/kernel: run tests/vm/vm.sh setup"
	echo "${k#linux-image-}"
}

ensure_tools() {
	local need=() p
	for p in mmdebstrap e2fsprogs qemu-system-x86 qemu-utils; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			need+=("$p")
	done
	[ ${#need[@]} = 0 ] && return 0
	log "installing: ${need[*]}"
	apt_install "${need[@]}"
}

# configure ROOT KVER: what the guest needs beyond the packages.
configure() {
	local root=$1 kver=$2
	mkdir -p "$root/lib/modules"
	cp -a "$VM_DIR/kernel/lib/modules/$kver" "$root/lib/modules/"
	depmod -b "$root" "$kver"
	echo director >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 director\n::1 localhost\n' >"$root/etc/hosts"
	echo '/dev/nvme0n1 / ext4 rw,noatime 0 0' >"$root/etc/fstab"
	# No password, no network: the console is only logged; the agent drives the guest.
	sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"
	# qemu-guest-agent starts when its port appears (its package's udev rule and unit).
	# Units a test bed does not need, masked to shorten the boot under TCG.
	for unit in systemd-timesyncd.service systemd-logind.service e2scrub_reap.service \
		e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer fstrim.timer man-db.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$unit"
	done
	# Debian's prometheus starts at boot with its own configuration; the checks write theirs
	# and start it, so it stays off until then (also keeps the boot short).
	rm -f "$root/etc/systemd/system/multi-user.target.wants/prometheus.service" \
		"$root/etc/systemd/system/multi-user.target.wants/prometheus-node-exporter.service"
	rm -f "$root/etc/systemd/system/multi-user.target.wants/keepalived.service"
	# Journal kept on disk, so that it survives the reboot check.
	mkdir -p "$root/var/log/journal"
}

build() {
	local kver key img=$GUEST_DIR/root.img t0 stage
	ensure_tools
	kver=$(kernel_version)
	# The key: what makes the image (the kernel, the packages, this function and configure).
	key=$({
		echo "$kver $INCLUDE"
		declare -f build configure
	} | sha256sum | cut -d' ' -f1)
	if [ -f "$img" ] && [ "$(cat "$GUEST_DIR/root.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	t0=$(now)
	mkdir -p "$GUEST_DIR"
	stage=$GUEST_DIR/root
	rm -rf "$stage" "$img" "$GUEST_DIR/root.key"
	log "building $img (mmdebstrap bookworm)"
	mmdebstrap --quiet --variant=minbase --include="$INCLUDE" bookworm "$GUEST_DIR/root.tar" >&2
	mkdir -p "$stage"
	tar -C "$stage" -xf "$GUEST_DIR/root.tar"
	rm -f "$GUEST_DIR/root.tar"
	configure "$stage" "$kver"
	mke2fs -q -t ext4 -L root -d "$stage" "$img.tmp" 3G
	rm -rf "$stage"
	mv "$img.tmp" "$img"
	echo "$key" >"$GUEST_DIR/root.key"
	log "built $img in $(elapsed "$t0" "$(now)") s ($(du -h "$img" | cut -f1) used)"
}

# locked_build: build under a lock of its own, so that a second build (the test command
# starts one early in the background; run.sh asks for the image too) waits for the first
# and then finds the image cached. Outside build() so that it stays out of the cache key.
locked_build() {
	local t0 waited
	mkdir -p "$GUEST_DIR"
	t0=$(now)
	exec 8>"$GUEST_DIR/build.lock"
	flock 8
	waited=$(elapsed "$t0" "$(now)")
	case $waited in 0.*) ;; *) log "waited $waited s for another build of the image" ;; esac
	build
	exec 8>&-
}

start() {
	local dir=$1 kver t0 pid
	locked_build
	kver=$(kernel_version)
	mkdir -p "$dir"
	rm -f "$dir/qga.sock" "$dir/qemu.pid"
	[ -f "$dir/disk.qcow2" ] ||
		qemu-img create -q -f qcow2 -F raw -b "$GUEST_DIR/root.img" "$dir/disk.qcow2"
	t0=$(now)
	qemu-system-x86_64 -accel tcg -m 2048 -smp 1 -nic none -display none -daemonize \
		-pidfile "$dir/qemu.pid" \
		-kernel "$VM_DIR/kernel/boot/vmlinuz-$kver" \
		-append "root=/dev/nvme0n1 rw console=ttyS0 quiet fsck.mode=skip systemd.show_status=0" \
		-drive "file=$dir/disk.qcow2,format=qcow2,if=none,id=root" \
		-device nvme,drive=root,serial=root \
		-chardev "file,id=console,path=$dir/console.log,append=on" -serial chardev:console \
		-chardev "socket,id=qga,path=$dir/qga.sock,server=on,wait=off" \
		-device virtio-serial -device virtserialport,chardev=qga,name=org.qemu.guest_agent.0
	pid=$(cat "$dir/qemu.pid")
	if ! python3 "$here/qga.py" "$dir/qga.sock" wait-boot --timeout 600 >"$dir/boot-id"; then
		log "the guest's agent did not answer within 600 s (console: $dir/console.log)"
		tail -20 "$dir/console.log" >&2 || true
		return 1
	fi
	log "guest up (agent answering) after $(elapsed "$t0" "$(now)") s, QEMU pid $pid"
}

wait_off() {
	local dir=$1 secs=$2 pid t0
	pid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 0
	t0=$(now)
	if ! timeout "$secs" tail --pid="$pid" -f /dev/null; then
		log "the guest did not power off within $secs s (console: $dir/console.log)"
		tail -20 "$dir/console.log" >&2 || true
		return 1
	fi
	rm -f "$dir/qemu.pid"
	log "guest powered off after $(elapsed "$t0" "$(now)") s"
}

stop() {
	local dir=$1 pid ticks
	pid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 0
	# What the guest cost the host: QEMU's CPU time (user and system), from its start.
	if ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null); then
		log "QEMU used $((ticks / $(getconf CLK_TCK))) s of CPU"
	fi
	kill "$pid" 2>/dev/null || true
	rm -f "$dir/qemu.pid"
}

case ${1:-} in
build) locked_build ;;
start) start "${2:?usage: guest.sh start DIR}" ;;
wait-off) wait_off "${2:?usage: guest.sh wait-off DIR SECONDS}" "${3:?usage: guest.sh wait-off DIR SECONDS}" ;;
stop) stop "${2:?usage: guest.sh stop DIR}" ;;
*)
	sed -n '2,/^set -eu/p' "$0" | sed '$d' >&2
	exit 2
	;;
esac
