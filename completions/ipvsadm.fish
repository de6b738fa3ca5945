# fish completion for ipvsadm, ipvsadm-save and ipvsadm-restore
# SPDX-License-Identifier: MIT OR Apache-2.0

# True while no command has been given yet (the first option must be one).
function __fish_ipvsadm_no_command
    set -l tokens (commandline -opc)
    test (count $tokens) -le 1
end

# True when the command given first is one of the arguments (A, E, a, L, ...).
function __fish_ipvsadm_command_is
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; or return 1
    set -l first (string replace -r '=.*' '' -- $tokens[2])
    switch $first
        case --add-service
            set first A
        case --edit-service
            set first E
        case --delete-service
            set first D
        case --clear
            set first C
        case --restore
            set first R
        case --save
            set first S
        case --add-server
            set first a
        case --edit-server
            set first e
        case --delete-server
            set first d
        case --list -l'*'
            set first L
        case --zero
            set first Z
        case --set --start-daemon --stop-daemon
            set first (string sub -s 3 -- $first)
        case '--*'
            return 1
        case '-?*'
            set first (string sub -s 2 -l 1 -- $first)
            test "$first" = l; and set first L
        case '*'
            return 1
    end
    contains -- $first $argv
end

# Scheduler flags that fit the scheduler given with -s (wlc when none is).
function __fish_ipvsadm_sched_flags
    set -l tokens (commandline -opc)
    set -l sched wlc
    set -l n (count $tokens)
    for i in (seq 2 $n)
        switch $tokens[$i]
            case -s --scheduler
                if test $i -lt $n
                    set sched $tokens[(math $i + 1)]
                end
            case '--scheduler=*'
                set sched (string replace -- '--scheduler=' '' $tokens[$i])
            case '-s?*'
                set sched (string replace -r -- '^-s=?' '' $tokens[$i])
        end
    end
    set -l flags flag-1 flag-2 flag-3
    switch $sched
        case sh
            set -a flags sh-fallback sh-port
        case mh
            set -a flags mh-fallback mh-port
    end
    # Complete the last item of a comma separated list.
    set -l cur (commandline -ct)
    set -l head (string replace -r '[^,]*$' '' -- $cur)
    set -l given (string split , -- $head)
    for f in $flags
        contains -- $f $given; or echo $head$f
    end
end

# True right after --start-daemon or --stop-daemon (their state comes next).
function __fish_ipvsadm_daemon_state
    set -l tokens (commandline -opc)
    test (count $tokens) -eq 2; and contains -- $tokens[2] --start-daemon --stop-daemon
end

# Live virtual services of one kind from "ipvsadm -Sn" (root only).
function __fish_ipvsadm_services
    fish_is_root_user; or return
    ipvsadm -Sn 2>/dev/null | while read -l cmd kind addr rest
        if test "$cmd" = -A; and test "$kind" = "$argv[1]"
            echo $addr
        end
    end
end

set -l first '__fish_ipvsadm_no_command'

# Commands (the first option).
complete -c ipvsadm -f
complete -c ipvsadm -n $first -s A -l add-service -d 'Add a virtual service'
complete -c ipvsadm -n $first -s E -l edit-service -d 'Replace the settings of a virtual service'
complete -c ipvsadm -n $first -s D -l delete-service -d 'Delete a virtual service'
complete -c ipvsadm -n $first -s C -l clear -d 'Delete all virtual services'
complete -c ipvsadm -n $first -s R -l restore -d 'Read commands from standard input'
complete -c ipvsadm -n $first -s S -l save -d 'Print the table as commands'
complete -c ipvsadm -n $first -s a -l add-server -d 'Add a real server'
complete -c ipvsadm -n $first -s e -l edit-server -d 'Replace the settings of a real server'
complete -c ipvsadm -n $first -s d -l delete-server -d 'Delete a real server'
complete -c ipvsadm -n $first -s L -l list -d 'List the table'
complete -c ipvsadm -n $first -s l -d 'List the table'
complete -c ipvsadm -n $first -s Z -l zero -d 'Zero the counters'
complete -c ipvsadm -n $first -l set -d 'Set the tcp, tcpfin and udp timeouts'
complete -c ipvsadm -n $first -l start-daemon -x -d 'Start the sync daemon'
complete -c ipvsadm -n $first -l stop-daemon -x -d 'Stop the sync daemon'
complete -c ipvsadm -n '__fish_ipvsadm_daemon_state' -x -a 'master\t"send connection state" backup\t"receive connection state"'
complete -c ipvsadm -n $first -s h -l help -d 'Show help'
complete -c ipvsadm -n $first -s v -l version -d 'Show the version'

# Virtual service (-A -E -D -a -e -d -L -Z).
set -l svc '__fish_ipvsadm_command_is A E D a e d L Z'
complete -c ipvsadm -n $svc -s t -l tcp-service -x -a '(__fish_ipvsadm_services -t)' -d 'TCP virtual service'
complete -c ipvsadm -n $svc -s u -l udp-service -x -a '(__fish_ipvsadm_services -u)' -d 'UDP virtual service'
complete -c ipvsadm -n $svc -l sctp-service -x -a '(__fish_ipvsadm_services --sctp-service)' -d 'SCTP virtual service'
complete -c ipvsadm -n $svc -s f -l fwmark-service -x -a '(__fish_ipvsadm_services -f)' -d 'Firewall-mark virtual service'
complete -c ipvsadm -n $svc -s 6 -l ipv6 -d 'The firewall-mark service is IPv6'

# Virtual service options (-A -E).
set -l svcopt '__fish_ipvsadm_command_is A E'
complete -c ipvsadm -n $svcopt -s s -l scheduler -x -d Scheduler -a '
    rr\t"round robin" wrr\t"weighted round robin" lc\t"least connection"
    wlc\t"weighted least connection" lblc\t"locality-based least connection"
    lblcr\t"locality-based least connection with replication"
    dh\t"destination hashing" sh\t"source hashing" sed\t"shortest expected delay"
    nq\t"never queue" fo\t"weighted failover" ovf\t"weighted overflow"
    mh\t"maglev hashing"'
complete -c ipvsadm -n $svcopt -s p -l persistent -d 'Persistence, optional timeout'
complete -c ipvsadm -n $svcopt -s M -l netmask -x -d 'Persistence netmask'
complete -c ipvsadm -n $svcopt -l pe -x -a 'sip' -d 'Persistence engine'
complete -c ipvsadm -n $svcopt -s b -l sched-flags -x -a '(__fish_ipvsadm_sched_flags)' -d 'Scheduler flags'
complete -c ipvsadm -n $svcopt -s o -l ops -d 'One-packet scheduling'

# Real server options (-a -e -d).
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e d' -s r -l real-server -x -a '(__fish_print_hostnames)' -d 'Real server address'
set -l rsopt '__fish_ipvsadm_command_is a e'
complete -c ipvsadm -n $rsopt -s g -l gatewaying -d 'Direct routing'
complete -c ipvsadm -n $rsopt -s i -l ipip -d 'IP tunnelling'
complete -c ipvsadm -n $rsopt -s m -l masquerading -d 'Masquerading (NAT)'
complete -c ipvsadm -n $rsopt -s w -l weight -x -d Weight
complete -c ipvsadm -n $rsopt -s x -l u-threshold -x -d 'Upper connection threshold'
complete -c ipvsadm -n $rsopt -s y -l l-threshold -x -d 'Lower connection threshold'
complete -c ipvsadm -n $rsopt -l tun-type -x -a 'ipip gue gre' -d 'Tunnel type'
complete -c ipvsadm -n $rsopt -l tun-port -x -d 'Tunnel port'
complete -c ipvsadm -n $rsopt -l tun-nocsum -d 'No tunnel checksum'
complete -c ipvsadm -n $rsopt -l tun-csum -d 'Tunnel checksum'
complete -c ipvsadm -n $rsopt -l tun-remcsum -d 'Remote tunnel checksum offload'

# Listing options (-L, and -n for -S).
complete -c ipvsadm -n '__fish_ipvsadm_command_is L S' -s n -l numeric -d 'Numeric output'
set -l list '__fish_ipvsadm_command_is L'
complete -c ipvsadm -n $list -s c -l connection -d 'List connections'
complete -c ipvsadm -n $list -l timeout -d 'List the timeouts'
complete -c ipvsadm -n $list -l daemon -d 'List the sync daemons'
complete -c ipvsadm -n $list -l stats -d 'Show counters'
complete -c ipvsadm -n $list -l rate -d 'Show rates'
complete -c ipvsadm -n $list -l thresholds -d 'Show thresholds'
complete -c ipvsadm -n $list -l persistent-conn -d 'Show persistent connections'
complete -c ipvsadm -n $list -l tun-info -d 'Show tunnel settings'
complete -c ipvsadm -n $list -s X -l exact -d 'Exact numbers'
complete -c ipvsadm -n $list -l nosort -d 'Keep the kernel order'
complete -c ipvsadm -n 'not __fish_ipvsadm_no_command' -l sort -d 'Sort (the default)'

# Sync daemon options.
complete -c ipvsadm -n '__fish_ipvsadm_command_is L start-daemon stop-daemon' -l syncid -x -d 'Sync id'
set -l daemon '__fish_ipvsadm_command_is start-daemon'
complete -c ipvsadm -n $daemon -l mcast-interface -x -a '(__fish_print_interfaces)' -d 'Sync interface'
complete -c ipvsadm -n $daemon -l sync-maxlen -x -d 'Largest sync message'
complete -c ipvsadm -n $daemon -l mcast-group -x -d 'Sync multicast group'
complete -c ipvsadm -n $daemon -l mcast-port -x -d 'Sync port'
complete -c ipvsadm -n $daemon -l mcast-ttl -x -d 'Sync multicast TTL'

# ipvsadm-save and ipvsadm-restore.
complete -c ipvsadm-save -f
complete -c ipvsadm-save -s n -d 'Print addresses and ports as numbers'
complete -c ipvsadm-restore -f
complete -c ipvsadm-restore -l noflush -d 'Add to the current table instead of replacing it'
complete -c ipvsadm-restore -l test -d 'Only check the input, change nothing'
complete -c ipvsadm-restore -s h -l help -d 'Print help'
complete -c ipvsadm-restore -s V -l version -d 'Print the version'
