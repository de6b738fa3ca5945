# fish completion for ipvsadm, ipvsadm-save and ipvsadm-restore
# SPDX-License-Identifier: MIT OR Apache-2.0
# Generated from src/cli/catalogue.rs (make generate); do not edit.

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
        case --list
            set first L
        case --add-server
            set first a
        case --delete-server
            set first d
        case --edit-server
            set first e
        case --set
            set first set
        case --start-daemon
            set first start-daemon
        case --stop-daemon
            set first stop-daemon
        case --restore
            set first R
        case --save
            set first S
        case --zero
            set first Z
        case --metrics
            set first metrics
        case '--*'
            return 1
        case '-?*'
            switch (string sub -s 2 -l 1 -- $first)
                case A
                    set first A
                case E
                    set first E
                case D
                    set first D
                case C
                    set first C
                case L l
                    set first L
                case a
                    set first a
                case d
                    set first d
                case e
                    set first e
                case R
                    set first R
                case S
                    set first S
                case Z
                    set first Z
                case '*'
                    return 1
            end
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

# True right after a command that takes a value (--start-daemon, --stop-daemon).
function __fish_ipvsadm_command_value
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
complete -c ipvsadm -n $first -s A -l add-service -d 'Add a virtual service with its settings'
complete -c ipvsadm -n $first -s E -l edit-service -d 'Replace the settings of a virtual service'
complete -c ipvsadm -n $first -s D -l delete-service -d 'Remove a virtual service and its real servers'
complete -c ipvsadm -n $first -s C -l clear -d 'Remove every virtual service'
complete -c ipvsadm -n $first -s R -l restore -d 'Read commands, one per line, from standard input'
complete -c ipvsadm -n $first -s S -l save -d 'Print the table as commands that --restore reads back'
complete -c ipvsadm -n $first -s a -l add-server -d 'Add a real server to a virtual service'
complete -c ipvsadm -n $first -s e -l edit-server -d 'Replace the settings of a real server'
complete -c ipvsadm -n $first -s d -l delete-server -d 'Remove a real server from a virtual service'
complete -c ipvsadm -n $first -s L -l list -d 'Show the virtual services (all, or the one given)'
complete -c ipvsadm -n $first -s l -d 'Show the virtual services (all, or the one given)'
complete -c ipvsadm -n $first -s Z -l zero -d 'Reset the counters of one or all virtual services'
complete -c ipvsadm -n $first -l set -d 'Set the connection timeouts in seconds (0 keeps a value)'
complete -c ipvsadm -n $first -l start-daemon -x -d 'Start the connection synchronisation daemon'
complete -c ipvsadm -n '__fish_ipvsadm_command_value; and contains -- (commandline -opc)[2] --start-daemon' -x -a 'master\t"send connection state" backup\t"receive connection state"'
complete -c ipvsadm -n $first -l stop-daemon -x -d 'Stop the connection synchronisation daemon'
complete -c ipvsadm -n '__fish_ipvsadm_command_value; and contains -- (commandline -opc)[2] --stop-daemon' -x -a 'master\t"send connection state" backup\t"receive connection state"'
complete -c ipvsadm -n $first -s h -l help -d 'Show this text'
complete -c ipvsadm -n $first -s v -l version -d 'Show the version'
complete -c ipvsadm -n $first -l metrics -d 'Print the table, counters and daemons as Prometheus metrics'

# Options, after the commands that allow them.
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E D L a d e Z' -s t -l tcp-service -x -a '(__fish_ipvsadm_services -t)' -d 'TCP service at host[:port]'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E D L a d e Z' -s u -l udp-service -x -a '(__fish_ipvsadm_services -u)' -d 'UDP service at host[:port]'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E D L a d e Z' -l sctp-service -x -a '(__fish_ipvsadm_services --sctp-service)' -d 'SCTP service at host[:port]'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E D L a d e Z' -s f -l fwmark-service -x -a '(__fish_ipvsadm_services -f)' -d 'Packets carrying a firewall mark (1..4294967295)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E D L a d e Z' -s 6 -l ipv6 -d 'The firewall-mark service is IPv6 (after -f)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E' -s s -l scheduler -x -a 'rr\t"round robin" wrr\t"weighted round robin" lc\t"least connection" wlc\t"weighted least connection (the default)" lblc\t"locality-based least connection" lblcr\t"locality-based least connection with replication" dh\t"destination hashing" sh\t"source hashing" sed\t"shortest expected delay" nq\t"never queue" fo\t"weighted failover" ovf\t"weighted overflow" mh\t"maglev hashing"' -d 'The scheduling algorithm (wlc when not given)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E' -s p -l persistent -d 'Keep clients on one server (timeout in seconds, 360 if omitted)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E' -s M -l netmask -x -d 'Granularity of persistence (IPv4 mask or IPv6 prefix length)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E' -l pe -x -a 'sip\t"SIP Call-ID persistence"' -d 'Persistence engine'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E' -s b -l sched-flags -x -a '(__fish_ipvsadm_sched_flags)' -d 'Comma-separated scheduler flags'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E' -s o -l ops -d 'One-packet scheduling (UDP services)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a d e' -s r -l real-server -x -a '(__fish_print_hostnames)' -d 'Real server as host[:port]'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -s g -l gatewaying -d 'Forward by direct routing (the default)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -s i -l ipip -d 'Forward by tunnelling'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -s m -l masquerading -d 'Forward by NAT (masquerading)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -s w -l weight -x -d 'Capacity of the real server (0..2147483647)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -s x -l u-threshold -x -d 'Upper connection limit of the real server'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -s y -l l-threshold -x -d 'Lower connection limit of the real server'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -l tun-type -x -a 'ipip\t"IP in IP (the default)" gue\t"generic UDP encapsulation" gre\t"GRE"' -d 'Tunnel type'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -l tun-port -x -d 'GUE tunnel destination port'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -l tun-nocsum -d 'No checksum in the tunnel'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -l tun-csum -d 'Checksum in the tunnel'
complete -c ipvsadm -n '__fish_ipvsadm_command_is a e' -l tun-remcsum -d 'Remote checksum offload in the tunnel'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L S' -s n -l numeric -d 'Show addresses and ports as numbers'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -s c -l connection -d 'List the connection table'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -l timeout -d 'List the timeouts'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -l daemon -d 'List the synchronisation daemons'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -l stats -d 'List with counters'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L metrics' -l rate -d 'List with rates'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -l thresholds -d 'List with thresholds'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -l persistent-conn -d 'List with persistent connection counts'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -l tun-info -d 'List with tunnel details'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -s X -l exact -d 'Show counters without K/M/G/T scaling'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L' -l nosort -d 'List in the kernel'\''s order'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E D C L a d e set start-daemon stop-daemon R S Z' -l sort -d 'Accepted for compatibility; sorting is the default'
complete -c ipvsadm -n '__fish_ipvsadm_command_is start-daemon' -l mcast-interface -x -a '(__fish_print_interfaces)' -d 'Interface for synchronisation traffic (default eth0)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L start-daemon stop-daemon' -l syncid -x -d 'Synchronisation id (0..255, default 0)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is start-daemon' -l sync-maxlen -x -d 'Largest synchronisation message (default 1472)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is start-daemon' -l mcast-group -x -d 'Multicast group (IPv4 or IPv6)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is start-daemon' -l mcast-port -x -d 'Multicast UDP port'
complete -c ipvsadm -n '__fish_ipvsadm_command_is start-daemon' -l mcast-ttl -x -d 'Multicast TTL (1..255)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L S' -s j -l json -d 'List or save as JSON (one array of objects; numbers exact)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is L S' -l pretty -d 'With --json: indented, for people'
complete -c ipvsadm -n '__fish_ipvsadm_command_is A E D C L a d e set start-daemon stop-daemon R S Z metrics' -l netns -x -a '(command ls /run/netns 2>/dev/null)' -d 'Work in this network namespace (ip netns name, or a path)'
complete -c ipvsadm -n '__fish_ipvsadm_command_is metrics' -l openmetrics -d 'With --metrics: OpenMetrics text, not Prometheus text 0.0.4'

# ipvsadm-save and ipvsadm-restore.
complete -c ipvsadm-save -f
complete -c ipvsadm-save -s n -d 'Print addresses and ports as numbers'
complete -c ipvsadm-save -l json -d 'Write the table as JSON'
complete -c ipvsadm-save -l pretty -d 'With --json: indented'
complete -c ipvsadm-save -l netns -x -a '(command ls /run/netns 2>/dev/null)' -d 'The network namespace'
complete -c ipvsadm-save -l scope -x -d 'Only the services of this term (as ipvsadm-restore --apply --scope)'
complete -c ipvsadm-restore -f
complete -c ipvsadm-restore -l noflush -d 'Add to the current table instead of replacing it'
complete -c ipvsadm-restore -l test -d 'Only check the input, change nothing'
complete -c ipvsadm-restore -l json -d 'The input is JSON, as ipvsadm -S --json writes it'
complete -c ipvsadm-restore -l netns -x -a '(command ls /run/netns 2>/dev/null)' -d 'The network namespace'
complete -c ipvsadm-restore -l apply -d 'Change only what differs from the rules, without a flush'
complete -c ipvsadm-restore -l dry-run -d 'With --apply: print the changes, make none'
complete -c ipvsadm-restore -l drain -x -d 'With --apply: drain removed real servers for at most SECONDS'
complete -c ipvsadm-restore -l scope -x -d 'With --apply: touch only the services of this term'
complete -c ipvsadm-restore -l wait -x -d 'With --apply: wait at most SECONDS for another apply'
complete -c ipvsadm-restore -l allow-empty -d 'With --apply: accept rules without any service'
complete -c ipvsadm-restore -n '__fish_contains_opt apply; or __fish_contains_opt test' -F
complete -c ipvsadm-restore -s h -l help -d 'Print help'
complete -c ipvsadm-restore -s V -l version -d 'Print the version'
