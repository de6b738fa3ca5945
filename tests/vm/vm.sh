#!/usr/bin/env bash
# tests/vm/vm.sh: boot a throw-away QEMU (TCG) VM with Debian's cloud kernel, which has IPVS,
# and run a payload in it.  The development and CI machines run a kernel without IPVS, so
# every test that needs the real kernel goes through this script.
#
# Usage (as root, from anywhere; paths are relative to the current directory):
#
#   tests/vm/vm.sh setup
#       Install what is missing (apt-get: qemu-system-x86 busybox-static cpio iproute2
#       ipvsadm kmod netbase), download and unpack the current linux-image-*-cloud-amd64
#       into target/vm/kernel/, and build the base initramfs target/vm/base.cpio.gz.
#       Everything is cached; a second call costs about a second.
#
#   tests/vm/vm.sh run PAYLOAD-DIR [TIMEOUT-SECONDS]
#       Runs `setup` first, then boots the VM with PAYLOAD-DIR appended as a second cpio
#       archive and streams the serial console to stdout (and to target/vm/last-run.log,
#       CR removed).  Exits with the exit status of PAYLOAD-DIR/run.sh inside the VM, or
#       with 124 when the VM does not report one (timeout, crash, kernel panic).
#       Default timeout: 900 seconds.
#       Layout of PAYLOAD-DIR:
#         run.sh       executable, run by /init as `cd /payload && ./run.sh` (busybox sh)
#         _root/...    optional: copied to / in the VM (shared libraries at their
#                      absolute paths; see add-binary)
#         anything else: available under /payload/ in the VM.
#       Inside the VM: busybox applets in /bin (busybox sh prefers its applets over PATH,
#       so call iproute2 as /usr/sbin/ip), /usr/sbin/ip, the reference /usr/sbin/ipvsadm,
#       ip_vs loaded, proc/sys/devtmpfs mounted, tmpfs on /tmp and /run, lo up,
#       /etc/hosts with test names (see build_base below).  No network card.
#       Markers on the console: a line `@@VM-PAYLOAD-BEGIN uptime=<s>@@` before run.sh and
#       `@@VM-PAYLOAD-STATUS=<n>@@` after it.  Print binary data base64-encoded.
#       On stderr the script reports the wall time of the boot (until the begin marker) and
#       of the whole run.
#
#   tests/vm/vm.sh add-binary BINARY PAYLOAD-DIR [DEST]
#       Copy BINARY to PAYLOAD-DIR/DEST (default: bin/<basename>) and its shared libraries
#       (ldd) to PAYLOAD-DIR/_root/<their absolute path>, so the binary runs in the VM.
#
# Environment: VM_DIR (default target/vm) for the caches; VM_LOG (default
# $VM_DIR/last-run.log) for the console log of `run`; VM_QEMU_EXTRA for extra qemu
# arguments.  Setup holds a lock ($VM_DIR/.lock), so parallel runs share the caches safely.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/apt.sh
. "$repo/tests/apt.sh"
VM_DIR=${VM_DIR:-$repo/target/vm}
PACKAGES="qemu-system-x86 busybox-static cpio iproute2 ipvsadm kmod netbase"

die() { echo "vm.sh: error: $*" >&2; exit 2; }
log() { echo "vm.sh: $*" >&2; }

ensure_packages() {
	local missing="" p
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "packages missing:$missing (run as root to install them)"
	log "installing:$missing"
	# shellcheck disable=SC2086
	apt_install $missing || die "could not install:$missing"
}

# Prints the kernel version (e.g. 6.1.0-56-cloud-amd64) after making sure it is unpacked.
ensure_kernel() {
	local pkg ver kdir=$VM_DIR/kernel tmp
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		# No package lists yet (fresh machine): fetch them once.
		apt_locked update -qq >&2 || true
		pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n 1)
	fi
	[ -n "$pkg" ] || die "apt-cache depends linux-image-cloud-amd64 names no kernel package"
	ver=${pkg#linux-image-}
	if [ "$(cat "$kdir/.package" 2>/dev/null)" != "$pkg" ] ||
		[ ! -f "$kdir/boot/vmlinuz-$ver" ]; then
		log "downloading $pkg"
		rm -rf "$kdir"
		mkdir -p "$kdir"
		tmp=$(mktemp -d)
		chmod 755 "$tmp"
		(cd "$tmp" && apt-get download "$pkg" >&2 2>/dev/null) ||
			(cd "$tmp" && apt-get download "$pkg" >&2) || die "apt-get download $pkg failed"
		dpkg-deb -x "$tmp"/"$pkg"_*.deb "$kdir"
		rm -rf "$tmp"
		[ -f "$kdir/boot/vmlinuz-$ver" ] || die "no boot/vmlinuz-$ver in $pkg"
		echo "$pkg" >"$kdir/.package"
	fi
	echo "$ver"
}

# add_binary BINARY ROOT DEST: copy BINARY to ROOT/DEST and its libraries to ROOT/<path>
# (LIBROOT, default ROOT, receives the libraries).
copy_libs() {
	local bin=$1 libroot=$2 lib
	# ldd prints "name => /path (addr)" or "/path (addr)"; static binaries print no paths.
	for lib in $(ldd "$bin" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
		mkdir -p "$libroot$(dirname "$lib")"
		cp -L "$lib" "$libroot$lib"
	done
}

add_binary() {
	local bin=$1 dir=$2 dest=${3:-}
	[ -f "$bin" ] || die "add-binary: no such file: $bin"
	[ -d "$dir" ] || die "add-binary: no such directory: $dir"
	[ -n "$dest" ] || dest=bin/$(basename "$bin")
	mkdir -p "$(dirname "$dir/$dest")"
	cp -L "$bin" "$dir/$dest"
	chmod 755 "$dir/$dest"
	copy_libs "$bin" "$dir/_root"
}

write_init() {
	cat >"$1" <<'EOF'
#!/bin/sh
# /init of the test VM (generated by tests/vm/vm.sh)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# Keep kernel messages off the console: the payload's output is parsed.
echo 1 >/proc/sys/kernel/printk
/usr/sbin/ip link set lo up
depmod -a
modprobe ip_vs || echo "init: modprobe ip_vs failed"
# Load every scheduler and persistence engine now, so no test depends on loading one on
# demand: once, the first `-E ... -s lblcr` of the differential suite stalled until the 60 s
# line limit killed it. Likely cause (not traced): the module is requested while the command
# holds IPVS's mutex, and its init waits for the namespace lock that the teardown of the
# previous case's namespace holds while it waits for IPVS's mutex.
# (ip_vs_ftp is an application helper, not a scheduler: it stays unloaded.)
for m in /lib/modules/*/kernel/net/netfilter/ipvs/ip_vs_*.ko*; do
	m=${m##*/}
	m=${m%%.ko*}
	[ "$m" = ip_vs_ftp ] || modprobe "$m" 2>/dev/null
done
echo
echo "@@VM-PAYLOAD-BEGIN uptime=$(cut -d' ' -f1 /proc/uptime)@@"
if [ -x /payload/run.sh ]; then
	(cd /payload && ./run.sh)
	rc=$?
else
	echo "init: /payload/run.sh missing or not executable"
	rc=127
fi
sync
echo "@@VM-PAYLOAD-STATUS=$rc@@"
poweroff -f
EOF
	chmod 755 "$1"
}

write_etc() {
	local etc=$1
	mkdir -p "$etc"
	cp /etc/services /etc/protocols "$etc/"
	cat >"$etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files
networks: files
protocols: files
services: files
EOF
	# Test names: documentation ranges only.  The long name is 54 characters.
	cat >"$etc/hosts" <<'EOF'
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
192.0.2.1 vip1.example.com
192.0.2.2 vip2.example.com
198.51.100.1 rs1.example.com
198.51.100.2 rs2.example.com
198.51.100.3 averyveryveryverylonghostname-number-three.example.com
2001:db8::2 rs6.example.com
2001:db8:1::1 vip6.example.com
EOF
	echo "root:x:0:0:root:/root:/bin/sh" >"$etc/passwd"
	echo "root:x:0:" >"$etc/group"
}

build_base() {
	local ver=$1 out=$VM_DIR/base.cpio.gz key stage kmod=$VM_DIR/kernel/lib/modules/$1 m
	key=$({
		echo "$ver"
		sha256sum "$0" /bin/busybox /usr/sbin/ip /usr/sbin/ipvsadm /etc/services /etc/protocols
	} | sha256sum | cut -d' ' -f1)
	if [ -f "$out" ] && [ "$(cat "$VM_DIR/base.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	log "building $out"
	stage=$VM_DIR/base-root
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,payload,var/run,etc}
	cp /bin/busybox "$stage/bin/busybox"
	for m in $("$stage/bin/busybox" --list); do
		[ "$m" = busybox ] || ln -s busybox "$stage/bin/$m"
	done
	ln -sf ../bin/busybox "$stage/sbin/modprobe"
	cp /usr/sbin/ip "$stage/usr/sbin/ip"
	cp /usr/sbin/ipvsadm "$stage/usr/sbin/ipvsadm"
	copy_libs /usr/sbin/ip "$stage"
	copy_libs /usr/sbin/ipvsadm "$stage"
	mkdir -p "$stage/lib64"
	[ -f "$stage/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
	write_etc "$stage/etc"
	write_init "$stage/init"
	# Modules: all of net, lib, crypto and the few drivers the tests use.
	mkdir -p "$stage/lib/modules/$ver/kernel/drivers/net"
	cp -a "$kmod/kernel/net" "$kmod/kernel/lib" "$kmod/kernel/crypto" "$stage/lib/modules/$ver/kernel/"
	for m in veth dummy nlmon; do
		cp "$kmod/kernel/drivers/net/$m.ko" "$stage/lib/modules/$ver/kernel/drivers/net/"
	done
	cp "$kmod"/modules.order "$kmod"/modules.builtin* "$stage/lib/modules/$ver/" 2>/dev/null || true
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -6 >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "$key" >"$VM_DIR/base.key"
	rm -rf "$stage"
	log "base initramfs: $(du -h "$out" | cut -f1)"
}

setup() {
	ensure_packages
	mkdir -p "$VM_DIR"
	exec 9>"$VM_DIR/.lock"
	flock 9
	KVER=$(ensure_kernel)
	build_base "$KVER"
	exec 9>&-
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

run() {
	local dir=$1 timeout=${2:-900} initrd logf t0 t1 rc status boot
	[ -d "$dir" ] || die "run: no such payload directory: $dir"
	[ -x "$dir/run.sh" ] || die "run: $dir/run.sh missing or not executable"
	setup
	stage=$(mktemp -d) # global: the EXIT trap needs it
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/root"
	cp -a "$dir" "$stage/root/payload"
	if [ -d "$stage/root/payload/_root" ]; then
		cp -a "$stage/root/payload/_root/." "$stage/root/"
		rm -rf "$stage/root/payload/_root"
	fi
	initrd=$stage/initrd.img
	(cd "$stage/root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$stage/payload.cpio.gz"
	cat "$VM_DIR/base.cpio.gz" "$stage/payload.cpio.gz" >"$initrd"
	logf=${VM_LOG:-$VM_DIR/last-run.log}
	: >"$logf"
	t0=$(now)
	set +e
	# shellcheck disable=SC2086
	timeout -k 5 "$timeout" qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nic none \
		-nographic -no-reboot -kernel "$VM_DIR/kernel/boot/vmlinuz-$KVER" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1" ${VM_QEMU_EXTRA:-} </dev/null 2>&1 |
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line%$'\r'}
			case $line in
			*"@@VM-PAYLOAD-BEGIN"*) echo "$(now)" >"$stage/boot-done" ;;
			esac
			printf '%s\n' "$line"
			printf '%s\n' "$line" >>"$logf"
		done
	rc=${PIPESTATUS[0]}
	set -e
	t1=$(now)
	boot=?
	[ -f "$stage/boot-done" ] && boot=$(elapsed "$t0" "$(cat "$stage/boot-done")")
	status=$(sed -n 's/^.*@@VM-PAYLOAD-STATUS=\([0-9]*\)@@.*$/\1/p' "$logf" | tail -n 1)
	log "boot ${boot}s, whole run $(elapsed "$t0" "$t1")s (log: $logf)"
	if [ -z "$status" ]; then
		[ "$rc" = 124 ] && log "timeout after ${timeout}s"
		log "the VM reported no payload status (qemu status $rc)"
		return 124
	fi
	return "$status"
}

cmd=${1:-}
case $cmd in
setup) setup ;;
run)
	[ $# -ge 2 ] || die "usage: vm.sh run PAYLOAD-DIR [TIMEOUT-SECONDS]"
	run "$2" "${3:-900}"
	;;
add-binary)
	[ $# -ge 3 ] || die "usage: vm.sh add-binary BINARY PAYLOAD-DIR [DEST]"
	add_binary "$2" "$3" "${4:-}"
	;;
*)
	sed -n '2,/^set -eu/p' "$0" | sed '$d' >&2
	exit 2
	;;
esac
