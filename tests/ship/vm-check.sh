#!/usr/bin/env bash
# tests/ship/vm-check.sh: the shipped commands against the real kernel, in one VM boot.
#
#   tests/ship/vm-check.sh [--bin-dir DIR]      (default DIR: tests/release-dir.sh)
#
# In the VM, with our ipvsadm, ipvsadm-save and ipvsadm-restore:
#   - ipvsadm-restore replaces the table (flush first), --noflush adds to it, --test
#     reports bad lines with their numbers and changes nothing;
#   - ipvsadm-save writes what ipvsadm -S writes;
#   - the SysV init script (packaging/ipvsadm.init, through packaging/ipvsadm-boot) under
#     both conventions: start restores a rule set, stop saves and clears it, a second start
#     brings the same table back, reload applies an edited rules file without a flush
#     (ipvsadm-restore --apply), and a master and a backup sync daemon start together
#     when configured (DAEMON="master backup") and stop at stop;
#   - with IPVS_APPLY_SCOPE, beside another tool's service: start, stop (with its save),
#     restart and clear touch only the scope's services, and a rule outside the scope
#     fails start without a change.
# Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$("$repo/tests/release-dir.sh")
[ "${1:-}" = --bin-dir ] && bin=$2
for b in ipvsadm ipvsadm-save ipvsadm-restore; do
	[ -x "$bin/$b" ] || { echo "vm-check.sh: $bin/$b missing (cargo build --release)" >&2; exit 2; }
done

vm=$repo/tests/vm/vm.sh
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
for b in ipvsadm ipvsadm-save ipvsadm-restore; do
	"$vm" add-binary "$bin/$b" "$payload" "_root/sbin/$b"
done
mkdir -p "$payload/_root/usr/libexec/ipvsadm"
cp "$repo/packaging/ipvsadm-boot" "$payload/_root/usr/libexec/ipvsadm/"
cp "$repo/packaging/ipvsadm.init" "$payload/"

cat >"$payload/run.sh" <<'EOF'
#!/bin/sh
# Runs under busybox sh in the VM. /sbin/ipvsadm* are ours.
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; shift; for l in "$@"; do echo "    $l"; done; }
check() { # check NAME EXPECTED-FILE ACTUAL-FILE
	if cmp -s "$2" "$3"; then ok "$1"; else bad "$1" "$(diff -u "$2" "$3" | head -20)"; fi
}
IP=/usr/sbin/ip
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
cd /tmp

cat >rules <<'R'
-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:80 -m -w 3
-A -u 192.0.2.53:53 -s wlc -o
-a -u 192.0.2.53:53 -r 198.51.100.4:53 -m -w 1
R
# What ipvsadm -Sn prints for it (sorted, schedulers written out).
cat >saved <<'R'
-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:80 -m -w 3
-A -u 192.0.2.53:53 -s wlc -o
-a -u 192.0.2.53:53 -r 198.51.100.4:53 -m -w 1
R

# ipvsadm-restore replaces the table; comments are skipped.
ipvsadm -A -t 203.0.113.1:80
{ echo "# saved rules"; cat rules; } | ipvsadm-restore; st=$?
ipvsadm -Sn >got
[ $st = 0 ] && ok "ipvsadm-restore exits 0" || bad "ipvsadm-restore exits 0" "status $st"
check "ipvsadm-restore replaces the table" saved got

# ipvsadm-save is ipvsadm -S.
ipvsadm-save -n >got-save
check "ipvsadm-save -n equals ipvsadm -Sn" got got-save
ipvsadm -S >want-names; ipvsadm-save >got-names
check "ipvsadm-save equals ipvsadm -S" want-names got-names

# --noflush adds.
echo "-A -t 203.0.113.1:80 -s wlc" | ipvsadm-restore --noflush
# Listed in order: TCP services by address, then UDP.
{ head -3 saved; echo "-A -t 203.0.113.1:80 -s wlc"; tail -2 saved; } >want-noflush
ipvsadm -Sn >got-noflush
check "ipvsadm-restore --noflush adds to the table" want-noflush got-noflush

# --test changes nothing and names the bad lines.
printf '%s\n' "-A -t 198.18.0.1:80 -s rr" "-A -t 198.18.0.2 -s rr" "-a -t 198.18.0.1:80 -r 198.51.100.9 -w x" \
	| ipvsadm-restore --test 2>test-err; st=$?
printf '%s\n' "line 2: Zero port specified for non-persistent service" "line 3: illegal weight specified" >want-test
check "ipvsadm-restore --test reports bad lines" want-test test-err
[ $st = 2 ] && ok "ipvsadm-restore --test exits 2 on bad input" || bad "ipvsadm-restore --test exits 2" "status $st"
ipvsadm -Sn >after-test
check "ipvsadm-restore --test changes nothing" want-noflush after-test
ipvsadm -C

# The init script, under both conventions, with files under a scratch root.
for style in debian redhat; do
	root=/tmp/etc-$style
	mkdir -p $root/default $root/sysconfig
	if [ $style = debian ]; then
		rulesf=$root/ipvsadm.rules cfg=$root/default/ipvsadm
		printf 'AUTO=true\nDAEMON="master backup"\nIFACE=lo\nSYNCID=7\nBACKUP_SYNCID=8\n' >$cfg
	else
		rulesf=$root/sysconfig/ipvsadm cfg=$root/sysconfig/ipvsadm-config
		rmdir $root/default
		printf 'IPVS_SAVE_ON_STOP=yes\n' >$cfg
	fi
	cp rules $rulesf
	export IPVSADM=/sbin/ipvsadm IPVSADM_SYSCONFDIR=$root IPVSADM_STYLE=$style
	sh /payload/ipvsadm.init start >init-out 2>&1; st=$?
	[ $st = 0 ] && ok "$style: init start exits 0" || bad "$style: init start exits 0" "status $st" "$(cat init-out)"
	ipvsadm -Sn >got-start
	check "$style: start restores the rules" saved got-start
	if [ $style = debian ]; then
		ipvsadm -L --daemon >got-daemon
		grep -q "^master sync daemon (mcast=lo, syncid=7" got-daemon && ok "$style: start starts the sync daemon" \
			|| bad "$style: start starts the sync daemon" "$(cat got-daemon)"
		grep -q "^backup sync daemon (mcast=lo, syncid=8" got-daemon && ok "$style: DAEMON=\"master backup\" starts a backup daemon beside the master (BACKUP_SYNCID)" \
			|| bad "$style: DAEMON=\"master backup\" starts a backup daemon beside the master" "$(cat got-daemon)"
		printf 'AUTO=true\nDAEMON="master backup"\nIFACE=lo\nSYNCID=7\nBACKUP_SYNCID=8\nIPVS_SAVE_ON_STOP=yes\n' >$cfg
	fi
	ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.5:80 -m -w 2
	ipvsadm -Sn >want-stop
	sh /payload/ipvsadm.init stop >init-out 2>&1; st=$?
	[ $st = 0 ] && ok "$style: init stop exits 0" || bad "$style: init stop exits 0" "status $st" "$(cat init-out)"
	check "$style: stop saves the table" want-stop $rulesf
	if [ $style = debian ]; then
		ipvsadm -L --daemon >got-daemon
		[ ! -s got-daemon ] && ok "$style: stop stops both daemons" || bad "$style: stop stops both daemons" "$(cat got-daemon)"
	fi
	ipvsadm -Sn >got-stopped
	[ ! -s got-stopped ] && ok "$style: stop clears the table" || bad "$style: stop clears the table" "$(cat got-stopped)"
	sh /payload/ipvsadm.init start >init-out 2>&1
	ipvsadm -Sn >got-again
	check "$style: a second start brings the same table back" want-stop got-again
	# reload applies the edited rules file in place: what the file says, by --apply.
	sed -e 's/-r 198.51.100.3:80 -m -w 3/-r 198.51.100.3:80 -m -w 5/' -e '/198.51.100.5/d' want-stop >$rulesf
	sh /payload/ipvsadm.init reload >init-out 2>&1; st=$?
	[ $st = 0 ] && ok "$style: init reload exits 0" || bad "$style: init reload exits 0" "status $st" "$(cat init-out)"
	grep -q "applied $rulesf" init-out && ok "$style: reload applies the rules (ipvsadm-restore --apply)" \
		|| bad "$style: reload applies the rules" "$(cat init-out)"
	ipvsadm -Sn >got-reload
	check "$style: after reload the table is the rules file's" $rulesf got-reload
	sh /payload/ipvsadm.init stop >/dev/null 2>&1
	ipvsadm -C
	ipvsadm --stop-daemon master >/dev/null 2>&1
	ipvsadm --stop-daemon backup >/dev/null 2>&1
done

# A table shared with another tool (keepalived's 203.0.113.1:80 here): with IPVS_APPLY_SCOPE,
# every action of the init script keeps to the scope's services (ours: 192.0.2.0/24), and
# the other service's lines of ipvsadm -Sn stay byte for byte.
root=/tmp/etc-scoped
mkdir -p $root/default
rulesf=$root/ipvsadm.rules cfg=$root/default/ipvsadm
printf 'IPVS_APPLY_SCOPE="addr=192.0.2.0/24"\nIPVS_SAVE_ON_STOP=yes\nIPVS_MODULES_UNLOAD=yes\n' >$cfg
cp rules $rulesf
export IPVSADM=/sbin/ipvsadm IPVSADM_SYSCONFDIR=$root IPVSADM_STYLE=debian
ipvsadm -C
ipvsadm -A -t 203.0.113.1:80 -s wlc
ipvsadm -a -t 203.0.113.1:80 -r 198.18.0.2:80 -m -w 5
ipvsadm -a -t 203.0.113.1:80 -r 198.18.0.3:80 -m -w 0
theirs() { ipvsadm -Sn | grep -e ' 203\.0\.113\.1:80 ' -e ' 203\.0\.113\.1:80$' ; }
ours() { ipvsadm -Sn | grep -v ' 203\.0\.113\.1:80'; }
theirs >theirs-before
sh /payload/ipvsadm.init start >init-out 2>&1; st=$?
[ $st = 0 ] && ok "scoped: init start exits 0" || bad "scoped: init start exits 0" "status $st" "$(cat init-out)"
ours >got-start
check "scoped: start applies the rules file to the scope's services" saved got-start
theirs >theirs-now
check "scoped: start leaves the other service" theirs-before theirs-now
ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.5:80 -m -w 2
ours >want-stop
sh /payload/ipvsadm.init stop >init-out 2>&1; st=$?
[ $st = 0 ] && ok "scoped: init stop exits 0" || bad "scoped: init stop exits 0" "status $st" "$(cat init-out)"
check "scoped: stop saves the scope's services only" want-stop $rulesf
ours >got-stopped
[ ! -s got-stopped ] && ok "scoped: stop removes the scope's services" || bad "scoped: stop removes the scope's services" "$(cat got-stopped)"
theirs >theirs-now
check "scoped: stop leaves the other service (and the modules loaded)" theirs-before theirs-now
grep -q "not unloading the ip_vs modules" init-out && ok "scoped: stop says why the modules stay" \
	|| bad "scoped: stop says why the modules stay" "$(cat init-out)"
# A second stop has no service of the scope to save: it must not empty the rules file.
sh /payload/ipvsadm.init stop >init-out 2>&1; st=$?
[ $st != 0 ] && ok "scoped: a stop with none of the scope's services left fails its save" \
	|| bad "scoped: a stop with none of the scope's services left fails its save" "$(cat init-out)"
check "scoped: ... and keeps the rules file" want-stop $rulesf
sh /payload/ipvsadm.init start >init-out 2>&1; st=$?
[ $st = 0 ] && ok "scoped: start after stop exits 0" || bad "scoped: start after stop exits 0" "status $st" "$(cat init-out)"
sh /payload/ipvsadm.init restart >init-out 2>&1; st=$?
[ $st = 0 ] && ok "scoped: init restart exits 0" || bad "scoped: init restart exits 0" "status $st" "$(cat init-out)"
ours >got-again
check "scoped: restart brings the scope's services back" want-stop got-again
theirs >theirs-now
check "scoped: restart leaves the other service" theirs-before theirs-now
echo '-A -t 203.0.113.9:80 -s rr' >>$rulesf
sh /payload/ipvsadm.init start >init-out 2>&1; st=$?
[ $st != 0 ] && ok "scoped: a rule outside the scope fails start" || bad "scoped: a rule outside the scope fails start" "$(cat init-out)"
ours >got-refused
check "scoped: ... and changes nothing" want-stop got-refused
sh /usr/libexec/ipvsadm/ipvsadm-boot clear >init-out 2>&1
ours >got-cleared
[ ! -s got-cleared ] && ok "scoped: clear removes the scope's services" || bad "scoped: clear removes the scope's services" "$(cat got-cleared)"
theirs >theirs-now
check "scoped: clear leaves the other service" theirs-before theirs-now
ipvsadm -C
echo "$pass passed, $fail failed"
[ $fail = 0 ]
EOF
chmod +x "$payload/run.sh"
"$vm" run "$payload" 1800
