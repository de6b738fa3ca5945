#!/usr/bin/env bash
# Host-side checks of what we ship besides the binary: man pages, shell
# completions, the install layout and the boot helper. Needs no Rust build,
# no root and no IPVS; installs mandoc, groff, zsh and fish with apt-get
# when they are missing and it can.
# SPDX-License-Identifier: MIT OR Apache-2.0
#
# Usage: bash tests/ship/check.sh      (prints "N passed, N failed" last)
# shellcheck lints the shipped shell scripts when it is installed; SHELLCHECK=required
# (tests/run-all.sh, which installs it) makes its absence a failure instead of a note.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/apt.sh
. "$top/tests/apt.sh"
cd "$top" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. tests/ship/report.sh
# expect DESCRIPTION COMMAND...: passes when the command succeeds.
expect() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}
# silent DESCRIPTION COMMAND...: passes when the command prints nothing.
silent() {
    local desc=$1 out
    shift
    out=$("$@" 2>&1)
    if [ -z "$out" ]; then ok "$desc"; else not_ok "$desc" "$out"; fi
}
note() { echo "# $*"; }

# --- tools -------------------------------------------------------------------
missing=()
command -v mandoc >/dev/null || missing+=(mandoc)
command -v groff >/dev/null || missing+=(groff-base)
command -v zsh >/dev/null || missing+=(zsh)
command -v fish >/dev/null || missing+=(fish)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    note "installing ${missing[*]}"
    apt_install "${missing[@]}" >"$work/apt.log" 2>&1 || note "apt-get failed: $(tail -3 "$work/apt.log")"
fi

# --- (a) man pages -------------------------------------------------------------
pages=(man/ipvsadm.8 man/ipvsadm-save.8 man/ipvsadm-restore.8 man/ipvsadm-exporter.8)
for p in "${pages[@]}"; do
    if [ ! -f "$p" ]; then
        not_ok "$p exists"
        continue
    fi
    if command -v mandoc >/dev/null; then
        silent "$p: mandoc -Tlint is clean" mandoc -Tlint "$p"
    else
        not_ok "$p: mandoc is available"
    fi
    if command -v groff >/dev/null; then
        silent "$p: groff -man -ww -z is clean" groff -man -ww -z "$p"
    else
        not_ok "$p: groff is available"
    fi
done

# Rendered text of the main page, for content checks.
man_text=$work/ipvsadm.txt
if command -v mandoc >/dev/null; then
    mandoc -Tascii man/ipvsadm.8 | col -b >"$man_text"
else
    groff -man -Tascii -P-c man/ipvsadm.8 2>/dev/null | col -b >"$man_text"
fi
has_text() { grep -qF -- "$2" "$1"; }
for d in D1 D2 D3 D4 D5 D6 D7 D8 D9 D10 D11 D12; do
    expect "ipvsadm.8 documents deviation $d" grep -qE "^ +$d( |$)" "$man_text"
done
for f in /proc/net/ip_vs_conn /etc/sysconfig/ipvsadm /etc/sysconfig/ipvsadm-config \
    /etc/ipvsadm.rules /etc/default/ipvsadm; do
    expect "ipvsadm.8 names $f" has_text "$man_text" "$f"
done
expect "ipvsadm.8 has an EXIT STATUS section" grep -qx 'EXIT STATUS' "$man_text"
for s in 0 1 2 255; do
    expect "ipvsadm.8 explains exit status $s" \
        sh -c "sed -n '/^EXIT STATUS/,/^[A-Z]/p' '$man_text' | grep -qE '^ +$s( |$)'"
done
for l in 'ipvsadm -A -t 192.0.2.10:80 -s rr' \
    'ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.2:80 -m' \
    'ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.3:80 -m' \
    'net.ipv4.ip_forward=1'; do
    expect "ipvsadm.8 has the NAT example line: $l" has_text "$man_text" "$l"
done
for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh; do
    expect "ipvsadm.8 describes scheduler $s" grep -qE "^ +$s( |$)" "$man_text"
done
# Examples use documentation ranges only (RFC 5737, RFC 3849, example.com).
private=$(grep -nE '(^|[^0-9.])(10\.[0-9]+\.[0-9]+\.[0-9]+|192\.168\.[0-9]+\.[0-9]+|172\.(1[6-9]|2[0-9]|3[01])\.[0-9]+\.[0-9]+)' \
    "${pages[@]}" INSTALL.md packaging/* 2>/dev/null)
if [ -z "$private" ]; then ok "man pages and docs use documentation addresses only"; else not_ok "man pages and docs use documentation addresses only" "$private"; fi

# --- option list against completions and man page --------------------------------
# The list is generated from the option catalogue (its first lines are comments).
opts=$work/options.txt
grep -v '^#' tests/ship/options.txt >"$opts"
count=$(grep -c . "$opts")
dups=$(sort "$opts" | uniq -d)
if [ "$count" -ge 90 ] && [ -z "$dups" ]; then ok "options.txt lists $count distinct options"; else not_ok "options.txt lists the catalogue without duplicates" "count=$count dups=$dups"; fi
word_in() { # word_in WORD FILE: WORD appears, not as part of a longer option
    # (option names hold no regular expression characters)
    grep -qE -- "(^|[^[:alnum:]_-])$1([^[:alnum:]_-]|$)" "$2"
}
for f in completions/ipvsadm.bash completions/_ipvsadm man_text completions/ipvsadm.fish; do
    missing_opts=()
    while IFS= read -r o; do
        [ -n "$o" ] || continue
        case $f in
        man_text) word_in "$o" "$man_text" || missing_opts+=("$o") ;;
        *.fish)
            case $o in
            --*) grep -qE -- "-l ${o#--}( |$)" "$f" || missing_opts+=("$o") ;;
            *) grep -qE -- "-s ${o#-}( |$)" "$f" || missing_opts+=("$o") ;;
            esac
            ;;
        *) word_in "$o" "$f" || missing_opts+=("$o") ;;
        esac
    done <"$opts"
    name=$f
    [ "$f" = man_text ] && name=man/ipvsadm.8
    if [ ${#missing_opts[@]} -eq 0 ]; then ok "$name names every option of options.txt"; else not_ok "$name names every option of options.txt" "missing: ${missing_opts[*]}"; fi
done

# --- (b) bash completion ----------------------------------------------------------
# complete_bash WORD...: the candidates offered for the last word.
complete_bash() {
    bash --norc --noprofile -c '
        source completions/ipvsadm.bash || exit 1
        # Stands in for "ipvsadm -Sn" for the live-service completion.
        ipvsadm() {
            printf "%s\n" "-A -t 192.0.2.10:80 -s rr" \
                "-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1" \
                "-A -u 192.0.2.53:53 -s wlc" "-A -t [2001:db8::10]:443 -s wlc" \
                "-A -f 7 -s wlc"
        }
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        case $1 in
        ipvsadm-save) _ipvsadm_save ;;
        ipvsadm-restore) _ipvsadm_restore ;;
        *) _ipvsadm ;;
        esac
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$@"
}
# bash_offers "DESC" "EXPECTED WORDS" "UNWANTED WORDS" WORD...
bash_offers() {
    local desc=$1 want=$2 unwanted=$3 got w bad=''
    shift 3
    got=$(complete_bash "$@")
    for w in $want; do grep -qxF -- "$w" <<<"$got" || bad+=" missing:$w"; done
    for w in $unwanted; do grep -qxF -- "$w" <<<"$got" && bad+=" unwanted:$w"; done
    if [ -z "$bad" ]; then ok "bash: $desc"; else not_ok "bash: $desc" "$bad
offered: $(echo $got)"; fi
}
bash_exactly() {
    local desc=$1 want=$2 got
    shift 2
    got=$(complete_bash "$@" | tr '\n' ' ' | sed 's/ $//')
    want=$(printf '%s\n' $want | sort | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" = "$want" ]; then ok "bash: $desc"; else not_ok "bash: $desc" "want: $want
got:  $got"; fi
}
got=$(bash -c 'source completions/ipvsadm-exporter.bash; COMP_WORDS=(ipvsadm-exporter --); COMP_CWORD=1
    _ipvsadm_exporter; printf "%s\n" "${COMPREPLY[@]}"' | sort | tr '\n' ' ')
[ "$got" = "--all-netns --help --listen --netns --no-servers --rates --version --web.config.file --web.listen-address --web.max-requests --web.telemetry-path --web.write-timeout " ] && ok "bash: ipvsadm-exporter's options" ||
    not_ok "bash: ipvsadm-exporter's options" "got: $got"
schedulers='rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh'
bash_offers "commands first" "-A --add-service -E -D -C -R -S -a -e -d -L -l --list -Z --set --start-daemon --stop-daemon -h -v --version" "-t -s -n" ipvsadm ''
bash_exactly "the 13 schedulers after -s" "$schedulers" ipvsadm -A -t 192.0.2.10:80 -s ''
bash_exactly "the schedulers after --scheduler=" "$schedulers" ipvsadm -A -t x --scheduler = ''
bash_exactly "generic flags after -b without -s" "flag-1 flag-2 flag-3" ipvsadm -A -t x -b ''
bash_exactly "generic flags after -s rr -b" "flag-1 flag-2 flag-3" ipvsadm -A -t x -s rr -b ''
bash_exactly "sh flags after -s sh -b" "flag-1 flag-2 flag-3 sh-fallback sh-port" ipvsadm -A -t x -s sh -b ''
bash_exactly "mh flags after --scheduler mh --sched-flags" "flag-1 flag-2 flag-3 mh-fallback mh-port" ipvsadm -E -t x --scheduler mh --sched-flags ''
bash_exactly "the rest of a flag list" "sh-port,flag-1 sh-port,flag-2 sh-port,flag-3 sh-port,sh-fallback" ipvsadm -A -t x -s sh -b sh-port,
bash_exactly "tunnel types after --tun-type" "ipip gue gre" ipvsadm -a -t x -r y -i --tun-type ''
bash_exactly "persistence engines after --pe" "sip" ipvsadm -A -t x --pe ''
bash_exactly "daemon states after --start-daemon" "master backup" ipvsadm --start-daemon ''
bash_exactly "daemon states after --stop-daemon" "master backup" ipvsadm --stop-daemon ''
bash_offers "service options after -A" "-t --tcp-service -u --udp-service --sctp-service -f --fwmark-service -s --scheduler -p --persistent -M --netmask --pe -b --sched-flags -o --ops" "-r -w -m -A -n" ipvsadm -A -
bash_offers "server options after -a" "-t -r --real-server -g -i -m --masquerading -w -x -y --tun-type --tun-port --tun-csum" "-s -p -A" ipvsadm -a -t 192.0.2.10:80 -
bash_offers "list options after -L" "-n -c --connection --timeout --daemon --stats --rate --thresholds --persistent-conn --tun-info -X --exact --nosort" "-s -r -A" ipvsadm -L -
bash_offers "list options after a -Ln cluster" "--stats --rate" "-s" ipvsadm -Ln --
bash_exactly "daemon options after --start-daemon master" "--mcast-interface --syncid --sync-maxlen --mcast-group --mcast-port --mcast-ttl --sort --netns" ipvsadm --start-daemon master --
bash_exactly "numeric and JSON after -S" "-n --numeric -j --json --pretty --sort --netns" ipvsadm -S -
bash_exactly "nothing for --set values" "" ipvsadm --set ''
bash_exactly "ipvsadm-save offers its options" "-n --json --pretty --netns --scope" ipvsadm-save ''
bash_exactly "ipvsadm-save: nothing for --scope's term" "" ipvsadm-save --scope ''
bash_exactly "ipvsadm-restore offers its options" "--allow-empty --apply --drain --dry-run --help --json --netns --noflush --scope --test --version --wait" ipvsadm-restore ''
bash_exactly "ipvsadm-restore: the options of --apply" "--drain --dry-run" ipvsadm-restore --apply --d
bash_exactly "ipvsadm-restore: nothing for --drain's seconds" "" ipvsadm-restore --apply --drain ''
if [ "$(id -u)" -eq 0 ]; then
    bash_exactly "live TCP services after -t" "192.0.2.10:80 [2001:db8::10]:443" ipvsadm -a -t ''
    bash_exactly "live UDP services after -u" "192.0.2.53:53" ipvsadm -D -u ''
    bash_exactly "live fwmark services after -f" "7" ipvsadm -L -f ''
    bash_exactly "the port of a live service after a colon" "80" ipvsadm -a -t 192.0.2.10 : ''
else
    note "not root: live service completion not checked"
fi

# --- (d) zsh and fish completions -------------------------------------------------
if command -v zsh >/dev/null; then
    expect "zsh -n completions/_ipvsadm" zsh -n completions/_ipvsadm
    expect "zsh -n completions/_ipvsadm-exporter" zsh -n completions/_ipvsadm-exporter
    expect "zsh completion names ipvsadm, ipvsadm-save and ipvsadm-restore" \
        grep -qx '#compdef ipvsadm ipvsadm-save ipvsadm-restore' completions/_ipvsadm
    mkdir -p "$work/zsh"
    cp completions/_ipvsadm "$work/zsh/"
    zsh_cases=('ipvsadm -A -t x -s sh -b ' 'ipvsadm -A -t x -s ' 'ipvsadm -a --tun-type ' 'ipvsadm -A -t x --p')
    timeout 60 zsh -f tests/ship/zsh-complete.zsh "$work/zsh" "${zsh_cases[@]}" >"$work/zsh/out" 2>&1
    zsh_offers() { # zsh_offers DESC "WANT" LINE
        local got w bad=''
        got=$(awk -v h="== $3" '$0 == h { on = 1; next } /^== / { on = 0 } on' "$work/zsh/out")
        for w in $2; do grep -qE -- "(^|[[:space:]])$w([[:space:]]|$)" <<<"$got" || bad+=" missing:$w"; done
        if [ -z "$bad" ]; then ok "zsh: $1"; else not_ok "zsh: $1" "$bad
offered: $got"; fi
    }
    zsh_offers "sh flags after -s sh -b" "flag-1 flag-2 flag-3 sh-fallback sh-port" "${zsh_cases[0]}"
    zsh_offers "schedulers after -s" "$schedulers" "${zsh_cases[1]}"
    zsh_offers "tunnel types after --tun-type" "ipip gue gre" "${zsh_cases[2]}"
    zsh_offers "option names after -A" "--pe --persistent" "${zsh_cases[3]}"
else
    note "zsh not available: zsh completion not parsed"
fi
if command -v fish >/dev/null; then
    expect "fish -n completions/ipvsadm.fish" fish -n completions/ipvsadm.fish
    expect "fish -n completions/ipvsadm-exporter.fish" fish -n completions/ipvsadm-exporter.fish
    fish_offers() { # fish_offers DESC "WANT" "UNWANTED" LINE
        local got w bad=''
        got=$(HOME=$work fish --no-config -c "source completions/ipvsadm.fish
            complete -C'$4' | cut -f1" 2>&1)
        for w in $2; do grep -qxF -- "$w" <<<"$got" || bad+=" missing:$w"; done
        for w in $3; do grep -qxF -- "$w" <<<"$got" && bad+=" unwanted:$w"; done
        if [ -z "$bad" ]; then ok "fish: $1"; else not_ok "fish: $1" "$bad
offered: $(echo $got)"; fi
    }
    fish_offers "commands first" "-A --add-service --start-daemon -L" "-t -s" "ipvsadm -"
    fish_offers "schedulers after -s" "$schedulers" "" "ipvsadm -A -t x -s "
    fish_offers "sh flags after -s sh -b" "flag-1 flag-2 flag-3 sh-fallback sh-port" "mh-port" "ipvsadm -A -t x -s sh -b "
    fish_offers "generic flags only without -s" "flag-1 flag-2 flag-3" "sh-port mh-port" "ipvsadm -A -t x -b "
    fish_offers "tunnel types" "ipip gue gre" "" "ipvsadm -a --tun-type "
    fish_offers "daemon states" "master backup" "" "ipvsadm --start-daemon "
    fish_offers "service options after -A" "--scheduler --persistent --sched-flags" "--real-server --weight" "ipvsadm -A -t x --"
    fish_offers "ipvsadm-save -n" "-n" "" "ipvsadm-save -"
else
    note "fish not available: fish completion not parsed"
fi

# --- (c) make install -------------------------------------------------------------
fake=$work/release
mkdir -p "$fake"
for b in ipvsadm ipvsadm-save ipvsadm-restore ipvsadm-exporter; do printf '#!/bin/sh\necho %s\n' "$b" >"$fake/$b"; done
dest=$work/destdir
if out=$(make -s install DESTDIR="$dest" RELEASEDIR="$fake" 2>&1); then ok "make install with the defaults"; else not_ok "make install with the defaults" "$out"; fi
layout_ok=1 bad=''
for f in sbin/ipvsadm sbin/ipvsadm-save sbin/ipvsadm-restore sbin/ipvsadm-exporter \
    share/man/man8/ipvsadm.8 share/man/man8/ipvsadm-save.8 share/man/man8/ipvsadm-restore.8 \
    share/man/man8/ipvsadm-exporter.8 lib/systemd/system/ipvsadm-exporter.service \
    share/bash-completion/completions/ipvsadm-exporter share/zsh/site-functions/_ipvsadm-exporter \
    share/fish/vendor_completions.d/ipvsadm-exporter.fish \
    lib/systemd/system/ipvsadm-metrics.service lib/systemd/system/ipvsadm-metrics.timer \
    share/bash-completion/completions/ipvsadm share/bash-completion/completions/ipvsadm-save \
    share/bash-completion/completions/ipvsadm-restore share/zsh/site-functions/_ipvsadm \
    share/fish/vendor_completions.d/ipvsadm.fish share/fish/vendor_completions.d/ipvsadm-save.fish \
    share/fish/vendor_completions.d/ipvsadm-restore.fish \
    lib/systemd/system/ipvsadm.service lib/modules-load.d/ipvsadm.conf \
    libexec/ipvsadm/ipvsadm-boot share/doc/ipvsadm/examples/ipvsadm.default \
    lib/sysusers.d/ipvsadm-exporter.conf share/doc/ipvsadm/examples/ipvsadm-exporter-netns.conf \
    share/ipvsadm/prometheus/ipvsadm-alerts.yml share/ipvsadm/prometheus/ipvsadm-node-names.yml \
    share/ipvsadm/grafana/ipvsadm-dashboard.json \
    share/doc/ipvsadm/examples/ipvsadm-config; do
    [ -e "$dest/usr/local/$f" ] || { layout_ok=0; bad+=" /usr/local/$f"; }
done
[ -x "$dest/etc/init.d/ipvsadm" ] || { layout_ok=0; bad+=" /etc/init.d/ipvsadm"; }
if [ $layout_ok = 1 ]; then ok "default layout under /usr/local (init script in /etc)"; else not_ok "default layout under /usr/local" "missing:$bad"; fi
mode=$(stat -c %a "$dest/usr/local/sbin/ipvsadm" 2>/dev/null)
[ "$mode" = 755 ] && ok "binaries installed 0755" || not_ok "binaries installed 0755" "mode $mode"
mode=$(stat -c %a "$dest/usr/local/share/man/man8/ipvsadm.8" 2>/dev/null)
[ "$mode" = 644 ] && ok "man pages installed 0644" || not_ok "man pages installed 0644" "mode $mode"
expect "unit runs the installed helper" grep -qx 'ExecStart=/usr/local/libexec/ipvsadm/ipvsadm-boot start' "$dest/usr/local/lib/systemd/system/ipvsadm.service"
expect "helper calls the installed ipvsadm" grep -qx 'default_ipvsadm=/usr/local/sbin/ipvsadm' "$dest/usr/local/libexec/ipvsadm/ipvsadm-boot"
expect "helper calls the installed ipvsadm-restore" grep -qx 'default_ipvsadm_restore=/usr/local/sbin/ipvsadm-restore' "$dest/usr/local/libexec/ipvsadm/ipvsadm-boot"
expect "helper calls the installed ipvsadm-save" grep -qx 'default_ipvsadm_save=/usr/local/sbin/ipvsadm-save' "$dest/usr/local/libexec/ipvsadm/ipvsadm-boot"
expect "unit reload applies the rules" grep -qx 'ExecReload=/usr/local/libexec/ipvsadm/ipvsadm-boot reload' "$dest/usr/local/lib/systemd/system/ipvsadm.service"
expect "init script calls the installed helper" grep -qx 'boot=/usr/local/libexec/ipvsadm/ipvsadm-boot' "$dest/etc/init.d/ipvsadm"
expect "modules-load file loads ip_vs" grep -qx 'ip_vs' "$dest/usr/local/lib/modules-load.d/ipvsadm.conf"
expect "exporter unit runs the installed exporter" grep -q '^ExecStart=/usr/local/sbin/ipvsadm-exporter ' "$dest/usr/local/lib/systemd/system/ipvsadm-exporter.service"
expect "textfile unit runs the installed ipvsadm" grep -q '^ExecStart=.* /usr/local/sbin/ipvsadm --metrics ' "$dest/usr/local/lib/systemd/system/ipvsadm-metrics.service"
if command -v systemd-analyze >/dev/null; then
    sed "s|/usr/local/libexec|$dest/usr/local/libexec|" "$dest/usr/local/lib/systemd/system/ipvsadm.service" >"$work/ipvsadm.service"
    silent "systemd-analyze verify accepts the unit" env MANPATH="$dest/usr/local/share/man" systemd-analyze verify "$work/ipvsadm.service"
    for u in ipvsadm-exporter.service ipvsadm-metrics.service ipvsadm-metrics.timer; do
        sed "s|/usr/local/sbin|$dest/usr/local/sbin|" "$dest/usr/local/lib/systemd/system/$u" >"$work/$u"
    done
    silent "systemd-analyze verify accepts the metrics units" env MANPATH="$dest/usr/local/share/man" \
        systemd-analyze verify "$work/ipvsadm-exporter.service" "$work/ipvsadm-metrics.service" "$work/ipvsadm-metrics.timer"
    # The exporter's sandbox: systemd's exposure score (0 best, 10 worst) of the unit as
    # installed, and with the drop-in for other namespaces; the plain unit's is 2.5 or less.
    mkdir -p "$work/netns"
    cat "$work/ipvsadm-exporter.service" packaging/ipvsadm-exporter-netns.conf \
        >"$work/netns/ipvsadm-exporter.service"
    exposure() { systemd-analyze security --offline=yes "$1" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p'; }
    plain=$(exposure "$work/ipvsadm-exporter.service") netns=$(exposure "$work/netns/ipvsadm-exporter.service")
    echo "systemd-analyze security --offline=yes: ipvsadm-exporter.service exposure $plain; with the netns drop-in $netns"
    if [ -n "$plain" ] && awk -v e="$plain" 'BEGIN { exit !(e <= 2.5) }'; then
        ok "the exporter unit's exposure is $plain (2.5 or less)"
    else
        not_ok "the exporter unit's exposure is 2.5 or less" "$(systemd-analyze security --offline=yes "$work/ipvsadm-exporter.service" 2>&1 | tail -n 30)"
    fi
    u=$work/ipvsadm-exporter.service
    expect "the exporter unit runs as its own user with CAP_NET_ADMIN only" sh -c "grep -qx 'User=ipvsadm-exporter' '$u' &&
        grep -qx 'AmbientCapabilities=CAP_NET_ADMIN' '$u' && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN' '$u'"
else
    note "systemd-analyze not available: unit not verified"
fi
if out=$(make -s uninstall DESTDIR="$dest" RELEASEDIR="$fake" 2>&1) && [ -z "$(find "$dest" -type f -o -type l)" ]; then
    ok "make uninstall removes every installed file"
else
    not_ok "make uninstall removes every installed file" "$out $(find "$dest" -type f -o -type l)"
fi

# A distribution layout with every directory variable set.
dest2=$work/destdir2
if out=$(make -s install DESTDIR="$dest2" RELEASEDIR="$fake" PREFIX=/usr SBINDIR=/usr/sbin \
    MANDIR=/usr/share/man BASHCOMPDIR=/usr/share/bash-completion/completions \
    ZSHCOMPDIR=/usr/share/zsh/vendor-completions FISHCOMPDIR=/usr/share/fish/completions \
    SYSTEMDUNITDIR=/lib/systemd/system SYSCONFDIR=/opt/etc LIBEXECDIR=/usr/lib 2>&1); then
    bad=''
    for f in /usr/sbin/ipvsadm /usr/sbin/ipvsadm-save /usr/sbin/ipvsadm-restore \
        /usr/share/man/man8/ipvsadm.8 /usr/share/bash-completion/completions/ipvsadm \
        /usr/share/zsh/vendor-completions/_ipvsadm /usr/share/fish/completions/ipvsadm.fish \
        /lib/systemd/system/ipvsadm.service /opt/etc/init.d/ipvsadm /usr/lib/ipvsadm/ipvsadm-boot \
        /usr/lib/modules-load.d/ipvsadm.conf; do
        [ -e "$dest2$f" ] || bad+=" $f"
    done
    grep -qx 'default_sysconfdir=/opt/etc' "$dest2/usr/lib/ipvsadm/ipvsadm-boot" || bad+=" SYSCONFDIR-not-substituted"
    grep -qx 'ExecStop=/usr/lib/ipvsadm/ipvsadm-boot stop' "$dest2/lib/systemd/system/ipvsadm.service" || bad+=" unit-not-substituted"
    if [ -z "$bad" ]; then ok "make install honours PREFIX and the directory variables"; else not_ok "make install honours PREFIX and the directory variables" "missing:$bad"; fi
else
    not_ok "make install honours PREFIX and the directory variables" "$out"
fi
# A distribution's init script (one without ipvsadm-boot) is outside the prefix: make install
# leaves it, and says so, unless OVERWRITE=yes; make uninstall leaves it too.
dest4=$work/destdir4
mkdir -p "$dest4/etc/init.d"
printf '#!/bin/sh\n# the distribution ipvsadm init script\n' >"$dest4/etc/init.d/ipvsadm"
cp "$dest4/etc/init.d/ipvsadm" "$work/distro-init"
out=$(make -s install DESTDIR="$dest4" RELEASEDIR="$fake" 2>&1)
if cmp -s "$work/distro-init" "$dest4/etc/init.d/ipvsadm" && grep -q 'OVERWRITE=yes' <<<"$out" &&
    [ -x "$dest4/usr/local/sbin/ipvsadm" ]; then
    ok "make install leaves a distribution's init script alone and says so"
else
    not_ok "make install leaves a distribution's init script alone and says so" "$out"
fi
make -s uninstall DESTDIR="$dest4" RELEASEDIR="$fake" >/dev/null 2>&1
cmp -s "$work/distro-init" "$dest4/etc/init.d/ipvsadm" && ok "make uninstall leaves a distribution's init script" ||
    not_ok "make uninstall leaves a distribution's init script"
if out=$(make -s install DESTDIR="$dest4" RELEASEDIR="$fake" OVERWRITE=yes 2>&1) &&
    grep -q 'ipvsadm-boot' "$dest4/etc/init.d/ipvsadm"; then
    ok "make install OVERWRITE=yes replaces it"
else
    not_ok "make install OVERWRITE=yes replaces it" "$out"
fi
if out=$(make -s install DESTDIR="$work/destdir3" RELEASEDIR="$work/nowhere" 2>&1); then
    not_ok "make install refuses to run without the binaries"
else
    grep -q 'cargo build --release' <<<"$out" && ok "make install refuses to run without the binaries" ||
        not_ok "make install refuses to run without the binaries" "$out"
fi

# --- (e) boot helper ---------------------------------------------------------------
stub=$work/stub
mkdir -p "$stub"
# A fake ipvsadm: logs its arguments, keeps the "table" in a file, records
# the restore input, and fails a restore line that contains "bad".
cat >"$stub/ipvsadm" <<'EOF'
#!/bin/sh
d=$STUB_DIR
echo "$*" >>"$d/log"
case $1 in
-C) : >"$d/table" ;;
-R)
    cat >"$d/stdin"
    st=0
    while IFS= read -r line; do
        case $line in
        *bad*) echo "Service already exists" >&2; st=255 ;;
        *) printf '%s\n' "$line" >>"$d/table" ;;
        esac
    done <"$d/stdin"
    exit $st
    ;;
-S) cat "$d/table" ;;
-L) cat "$d/table" ;;
esac
exit 0
EOF
# A fake ipvsadm-restore: logs its arguments and, for --apply, takes the rules file as
# the table (without its comments), as a converged apply leaves it.
cat >"$stub/ipvsadm-restore" <<'EOF'
#!/bin/sh
d=$STUB_DIR
echo "restore $*" >>"$d/log"
# The rules file: the word that is neither an option nor an option's value.
file='' prev=''
for a; do
    case $prev in --scope | --drain) ;; *) case $a in -*) ;; *) file=$a ;; esac ;; esac
    prev=$a
done
case " $* " in
*" --apply "*) grep -v '^[[:space:]]*#' "$file" >"$d/table" ;;
*" --numbered "*)
    # Clears, loads what loads, and fails each line that contains "bad", with its number.
    cat >"$d/stdin"
    : >"$d/table"
    st=0 n=0
    while IFS= read -r line; do
        n=$((n + 1))
        case $line in
        '#'*) ;;
        *bad*) echo "line $n: Service already exists" >&2; st=2 ;;
        *) printf '%s\n' "$line" >>"$d/table" ;;
        esac
    done <"$d/stdin"
    exit $st
    ;;
esac
exit 0
EOF
cat >"$stub/modprobe" <<'EOF'
#!/bin/sh
echo "modprobe $*" >>"$STUB_DIR/log"
EOF
# A fake ipvsadm-save: logs its arguments and writes the table.
cat >"$stub/ipvsadm-save" <<'EOF'
#!/bin/sh
echo "save $*" >>"$STUB_DIR/log"
cat "$STUB_DIR/table"
EOF
chmod +x "$stub/ipvsadm" "$stub/ipvsadm-restore" "$stub/ipvsadm-save" "$stub/modprobe"

rules_text='-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 1
-a -t 192.0.2.10:80 -r 198.51.100.3:80 -m -w 1
-A -f 7 -s wlc -p 360'

# boot CONVENTION-ROOT ACTION: run the helper against a fake /etc.
boot() {
    STUB_DIR=$stub IPVSADM=$stub/ipvsadm IPVSADM_RESTORE=$stub/ipvsadm-restore IPVSADM_SAVE=$stub/ipvsadm-save IPVSADM_SYSCONFDIR=$1 \
        IPVSADM_MODPROBE=$stub/modprobe IPVSADM_PROC_MODULES=$1/proc-modules \
        sh packaging/ipvsadm-boot "$2" 2>"$stub/stderr"
}
reset_stub() { : >"$stub/log"; : >"$stub/table"; rm -f "$stub/stdin"; }
same() { # same DESC FILE TEXT
    if [ "$(cat "$2" 2>/dev/null)" = "$3" ]; then ok "$1"; else not_ok "$1" "want: $3
got:  $(cat "$2" 2>/dev/null)"; fi
}
logged() { grep -qxF -- "$2" "$stub/log" && ok "$1" || not_ok "$1" "log: $(cat "$stub/log")"; }
not_logged() { grep -qF -- "$2" "$stub/log" && not_ok "$1" "log: $(cat "$stub/log")" || ok "$1"; }

for conv in redhat debian; do
    etc=$work/etc-$conv
    mkdir -p "$etc"
    if [ $conv = redhat ]; then
        mkdir -p "$etc/sysconfig"
        rules=$etc/sysconfig/ipvsadm settings=$etc/sysconfig/ipvsadm-config
        printf '%s\n' 'IPVS_SAVE_ON_STOP="yes"' 'IPVS_MODULES_UNLOAD="yes"' >"$settings"
        printf '%s\n' 'ip_vs_rr 16384 1 - Live 0x0' 'ip_vs 184320 3 ip_vs_rr, Live 0x0' >"$etc/proc-modules"
    else
        mkdir -p "$etc/default" "$etc/sysconfig" # a sysconfig dir must not confuse detection
        rules=$etc/ipvsadm.rules settings=$etc/default/ipvsadm
        printf '%s\n' 'AUTO="true"' 'DAEMON="master"' 'IFACE="eth1"' 'SYNCID="7"' \
            'IPVS_SAVE_ON_STOP="yes"' >"$settings"
    fi
    { echo '# saved by hand'; printf '%s\n' "$rules_text"; } >"$rules"

    reset_stub
    if boot "$etc" start; then ok "$conv: start succeeds"; else not_ok "$conv: start succeeds" "$(cat "$stub/stderr")"; fi
    logged "$conv: start restores with ipvsadm-restore --numbered (it clears first and skips comments)" "restore --numbered"
    same "$conv: start feeds $rules to it" "$stub/stdin" "# saved by hand
$rules_text"
    same "$conv: start loads the rules" "$stub/table" "$rules_text"
    same "$conv: the table holds the saved rules after start" "$stub/table" "$rules_text"
    if [ $conv = debian ]; then
        logged "$conv: start runs the configured sync daemon" "--start-daemon master --mcast-interface eth1 --syncid 7"
    else
        not_logged "$conv: no sync daemon unless configured" "--start-daemon"
    fi

    echo '-A -u 192.0.2.53:53 -s wlc' >>"$stub/table"
    : >"$stub/log"
    if boot "$etc" save; then ok "$conv: save succeeds"; else not_ok "$conv: save succeeds" "$(cat "$stub/stderr")"; fi
    logged "$conv: save runs ipvsadm -S -n" "-S -n"
    same "$conv: save writes the table to $rules" "$rules" "$rules_text
-A -u 192.0.2.53:53 -s wlc"
    mode=$(stat -c %a "$rules")
    [ "$mode" = 600 ] && ok "$conv: the rules file is private" || not_ok "$conv: the rules file is private" "mode $mode"

    : >"$stub/log"
    if boot "$etc" stop; then ok "$conv: stop succeeds"; else not_ok "$conv: stop succeeds" "$(cat "$stub/stderr")"; fi
    same "$conv: stop (save on stop) keeps the table in $rules" "$rules" "$rules_text
-A -u 192.0.2.53:53 -s wlc"
    same "$conv: stop clears the table" "$stub/table" ""
    if [ $conv = debian ]; then
        logged "$conv: stop stops the sync daemon" "--stop-daemon master"
    else
        logged "$conv: stop unloads the schedulers first" "modprobe -r ip_vs_rr"
        logged "$conv: then ip_vs" "modprobe -r ip_vs"
    fi

    reset_stub
    boot "$etc" start
    same "$conv: start after stop brings the same table back" "$stub/table" "$rules_text
-A -u 192.0.2.53:53 -s wlc"

    reset_stub
    echo '-A -t 192.0.2.99:80 -s bad' >>"$rules"
    if boot "$etc" restore; then not_ok "$conv: a failed restore line fails restore"; else ok "$conv: a failed restore line fails restore"; fi
    grep -q "^line [0-9]*: Service already exists" "$stub/stderr" && ok "$conv: restore logs the failing line with its number" ||
        not_ok "$conv: restore logs the failing line with its number" "$(cat "$stub/stderr")"
    # start too: the sync daemons' step after the restore must not hide its failure (the
    # unit would look started with a table missing lines). (Not restart here: with
    # IPVS_SAVE_ON_STOP=yes its stop saves the live table over the bad file first.)
    reset_stub
    if boot "$etc" start; then not_ok "$conv: a failed restore line fails start"; else ok "$conv: a failed restore line fails start"; fi

    # reload applies the rules file: no clearing, no restore.
    reset_stub
    if boot "$etc" reload; then ok "$conv: reload succeeds"; else not_ok "$conv: reload succeeds" "$(cat "$stub/stderr")"; fi
    logged "$conv: reload runs ipvsadm-restore --apply on $rules" "restore --apply $rules"
    not_logged "$conv: reload does not clear the table" "-C"
    not_logged "$conv: reload does not restore" "--numbered"
    reset_stub
    echo 'IPVS_RELOAD_DRAIN="30"' >>"$settings"
    boot "$etc" force-reload
    logged "$conv: IPVS_RELOAD_DRAIN drains on reload" "restore --apply --drain 30 $rules"
    reset_stub
    echo 'IPVS_RELOAD_ALLOW_EMPTY="yes"' >>"$settings"
    boot "$etc" reload
    logged "$conv: IPVS_RELOAD_ALLOW_EMPTY lets reload apply a file without services" "restore --apply --drain 30 --allow-empty $rules"
    reset_stub
    echo 'IPVS_APPLY_SCOPE="addr=192.0.2.0/24,proto=tcp fwmark=100-199"' >>"$settings"
    boot "$etc" reload
    logged "$conv: IPVS_APPLY_SCOPE gives reload its --scope terms" "restore --apply --drain 30 --allow-empty $rules --scope addr=192.0.2.0/24,proto=tcp --scope fwmark=100-199"
    # With a scope the table is shared: nothing clears it, and the modules stay loaded.
    terms="--scope addr=192.0.2.0/24,proto=tcp --scope fwmark=100-199"
    reset_stub
    if boot "$etc" start; then ok "$conv: scoped start succeeds"; else not_ok "$conv: scoped start succeeds" "$(cat "$stub/stderr")"; fi
    logged "$conv: scoped start applies the rules file with the terms (no drain)" "restore --apply --allow-empty $rules $terms"
    not_logged "$conv: scoped start does not clear the table" "-C"
    not_logged "$conv: scoped start does not restore" "--numbered"
    : >"$stub/log"
    if boot "$etc" stop; then ok "$conv: scoped stop succeeds"; else not_ok "$conv: scoped stop succeeds" "$(cat "$stub/stderr")"; fi
    logged "$conv: scoped stop saves only the scope (ipvsadm-save --scope)" "save -n $terms"
    logged "$conv: scoped stop removes only the scope's services" "restore --apply --allow-empty /dev/null $terms"
    not_logged "$conv: scoped stop does not clear the table" "-C"
    not_logged "$conv: scoped stop does not unload the modules" "modprobe"
    reset_stub
    boot "$etc" clear
    logged "$conv: scoped clear removes only the scope's services" "restore --apply --allow-empty /dev/null $terms"
    not_logged "$conv: scoped clear does not clear the table" "-C"
    reset_stub
    printf '%s\n' "$rules_text" >"$stub/table"
    boot "$etc" save
    logged "$conv: scoped save runs ipvsadm-save --scope" "save -n $terms"
    not_logged "$conv: scoped save does not run ipvsadm -S" "-S -n"
    # None of the scope's services left: the save must not empty the rules file.
    cp "$rules" "$work/rules.kept"
    reset_stub
    if boot "$etc" save; then not_ok "$conv: a save without any service fails when the rules file has some"; else ok "$conv: a save without any service fails when the rules file has some"; fi
    if cmp -s "$rules" "$work/rules.kept"; then ok "$conv: ... and keeps the rules file"; else not_ok "$conv: ... and keeps the rules file" "$(cat "$rules")"; fi
    grep -q "holds no service: not replacing" "$stub/stderr" && ok "$conv: ... and says why" || not_ok "$conv: ... and says why" "$(cat "$stub/stderr")"
    sed -i '/^IPVS_APPLY_SCOPE=/d' "$settings"
done

# Debian AUTO=false: start leaves the table alone.
etc=$work/etc-debian
sed -i 's/^AUTO=.*/AUTO="false"/' "$etc/default/ipvsadm"
reset_stub
boot "$etc" start
not_logged "debian: AUTO=false skips the restore at start" "--numbered"
# A master and a backup daemon together, each with settings of its own over the shared ones.
printf '%s\n' 'DAEMON="master backup"' 'BACKUP_SYNCID="8"' 'BACKUP_MCAST_PORT="8850"' 'MCAST_TTL="2"' >>"$etc/default/ipvsadm"
reset_stub
if boot "$etc" start; then ok "debian: start with DAEMON=\"master backup\" succeeds"; else not_ok "debian: start with DAEMON=\"master backup\" succeeds" "$(cat "$stub/stderr")"; fi
logged "debian: DAEMON=\"master backup\" starts the master with the shared settings" "--start-daemon master --mcast-interface eth1 --syncid 7 --mcast-ttl 2"
logged "debian: ... and the backup with its own BACKUP_ settings" "--start-daemon backup --mcast-interface eth1 --syncid 8 --mcast-port 8850 --mcast-ttl 2"
reset_stub
boot "$etc" stop
logged "debian: stop stops the master" "--stop-daemon master"
logged "debian: ... and the backup" "--stop-daemon backup"
echo 'DAEMON="master slave"' >>"$etc/default/ipvsadm"
reset_stub
if boot "$etc" start; then not_ok "debian: an unknown daemon role fails start"; else ok "debian: an unknown daemon role fails start"; fi
not_logged "debian: ... and starts no daemon" "--start-daemon"
# Explicit paths from the environment win over the convention.
reset_stub
printf '%s\n' "$rules_text" >"$work/other.rules"
STUB_DIR=$stub IPVSADM=$stub/ipvsadm IPVSADM_RESTORE=$stub/ipvsadm-restore IPVSADM_RULES=$work/other.rules IPVSADM_CONFIG=/dev/null \
    IPVSADM_SYSCONFDIR=$work/empty sh packaging/ipvsadm-boot start 2>/dev/null
same "IPVSADM_RULES and IPVSADM_CONFIG override the convention" "$stub/table" "$rules_text"
# Without any file: nothing to restore, and success.
reset_stub
mkdir -p "$work/bare"
if boot "$work/bare" start; then ok "start without saved rules succeeds"; else not_ok "start without saved rules succeeds" "$(cat "$stub/stderr")"; fi
not_logged "start without saved rules does not restore" "--numbered"
if boot "$work/bare" bogus; then not_ok "an unknown action is refused"; else ok "an unknown action is refused"; fi

# The SysV script passes its action to the helper.
sed "s|^boot=.*|boot=$top/packaging/ipvsadm-boot|" packaging/ipvsadm.init >"$work/ipvsadm.init"
reset_stub
STUB_DIR=$stub IPVSADM=$stub/ipvsadm IPVSADM_SYSCONFDIR=$work/etc-redhat sh "$work/ipvsadm.init" status >/dev/null 2>&1
logged "init script status lists the table" "-L -n"
reset_stub
STUB_DIR=$stub IPVSADM=$stub/ipvsadm IPVSADM_SYSCONFDIR=$work/etc-redhat sh "$work/ipvsadm.init" clear >/dev/null 2>&1
logged "init script clear clears the table" "-C"
if sh "$work/ipvsadm.init" bogus >/dev/null 2>&1; then not_ok "init script refuses an unknown action"; else ok "init script refuses an unknown action"; fi
expect "init script has LSB headers" grep -q '^### BEGIN INIT INFO' packaging/ipvsadm.init
if command -v shellcheck >/dev/null; then
    expect "shellcheck packaging scripts" shellcheck -s sh packaging/ipvsadm-boot packaging/ipvsadm.init
    expect "shellcheck bash completion" shellcheck -s bash completions/ipvsadm.bash
    expect "shellcheck exporter bash completion" shellcheck -s bash completions/ipvsadm-exporter.bash
elif [ "${SHELLCHECK:-}" = required ]; then
    not_ok "shellcheck packaging scripts and completions" "shellcheck is not installed (SHELLCHECK=required)"
else
    note "shellcheck not available: scripts not linted"
fi

report_done
