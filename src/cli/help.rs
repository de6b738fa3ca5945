//! The `-h` help text (our own wording of the same commands and options) and the `-v`
//! version line (contract D8: it starts with `ipvsadm v1.31` and names this implementation).

/// The version line printed by `-v` (without the trailing newline).
pub const VERSION_LINE: &str = concat!(
    "ipvsadm v1.31 2019/12/24 (ipvsadm-rs ",
    env!("CARGO_PKG_VERSION"),
    ", generic netlink)"
);

/// The help text for a program name, ending in a newline.
pub fn help_text(prog: &str) -> String {
    let usage = [
        "-A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]",
        "-D virtual-service",
        "-C",
        "-R",
        "-S [-n]",
        "-a|e virtual-service -r server-address [options]",
        "-d virtual-service -r server-address",
        "-L|l [virtual-service] [options]",
        "-Z [virtual-service]",
        "--set tcp tcpfin udp",
        "--start-daemon {master|backup} [daemon-options]",
        "--stop-daemon {master|backup}",
        "-h",
    ];
    let mut s = String::new();
    s.push_str(VERSION_LINE);
    s.push('\n');
    s.push_str("Usage:\n");
    for u in usage {
        s.push_str(&format!("  {prog} {u}\n"));
    }
    s.push_str(BODY);
    s
}

const BODY: &str = "
\
Commands (give exactly one, as the first option):
  --add-service     -A        add a virtual service with its settings
  --edit-service    -E        replace the settings of a virtual service
  --delete-service  -D        remove a virtual service and its real servers
  --clear           -C        remove every virtual service
  --restore         -R        read commands, one per line, from standard input
  --save            -S        print the table as commands that --restore reads back
  --add-server      -a        add a real server to a virtual service
  --edit-server     -e        replace the settings of a real server
  --delete-server   -d        remove a real server from a virtual service
  --list            -L|-l     show the virtual services (all, or the one given)
  --zero            -Z        reset the counters of one or all virtual services
  --set tcp tcpfin udp        set the connection timeouts in seconds (0 keeps a value)
  --start-daemon              start the connection synchronisation daemon
  --stop-daemon               stop the connection synchronisation daemon
  --help            -h        show this text
  --version         -v        show the version

virtual-service is one of:
  --tcp-service|-t  address   TCP service at host[:port]
  --udp-service|-u  address   UDP service at host[:port]
  --sctp-service    address   SCTP service at host[:port]
  --fwmark-service|-f fwmark  packets carrying a firewall mark (1..4294967295)
  (an IPv6 address is written in brackets when a port follows: [2001:db8::1]:80)

Options:
  --ipv6         -6                   the fwmark service is IPv6 (after -f)
  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                      wlc when not given
  --pe            engine              persistence engine, e.g. sip
  --persistent   -p [timeout]         keep clients on one server (timeout in seconds, 360 if omitted)
  --netmask      -M netmask           granularity of persistence (IPv4 mask or IPv6 prefix length)
  --real-server  -r server-address    real server as host[:port]
  --gatewaying   -g                   forward by direct routing (the default)
  --ipip         -i                   forward by tunnelling
  --masquerading -m                   forward by NAT
  --tun-type      type                tunnel type: ipip|gue|gre
  --tun-port      port                GUE tunnel destination port
  --tun-nocsum                        no checksum in the tunnel
  --tun-csum                          checksum in the tunnel
  --tun-remcsum                       remote checksum offload in the tunnel
  --weight       -w weight            capacity of the real server (0..2147483647)
  --u-threshold  -x uthreshold        upper connection limit of the real server
  --l-threshold  -y lthreshold        lower connection limit of the real server
  --connection   -c                   list the connection table
  --timeout                           list the timeouts
  --daemon                            list the synchronisation daemons
  --stats                             list with counters
  --rate                              list with rates
  --thresholds                        list with thresholds
  --persistent-conn                   list with persistent connection counts
  --tun-info                          list with tunnel details
  --nosort                            list in the kernel's order
  --sort                              accepted for compatibility; sorting is the default
  --numeric      -n                   show addresses and ports as numbers
  --exact        -X                   show counters without K/M/G/T scaling
  --ops          -o                   one-packet scheduling (UDP services)
  --sched-flags  -b flags             comma-separated scheduler flags
Daemon Options:
  --syncid sid                        synchronisation id (0..255, default 0)
  --sync-maxlen length                largest synchronisation message (default 1472)
  --mcast-interface interface         interface for synchronisation traffic (default eth0)
  --mcast-group address               multicast group (IPv4 or IPv6)
  --mcast-port port                   multicast UDP port
  --mcast-ttl ttl                     multicast TTL (1..255)
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_line() {
        assert!(VERSION_LINE.starts_with("ipvsadm v1.31 2019/12/24 (ipvsadm-rs "));
    }

    #[test]
    fn help_uses_prog() {
        let h = help_text("/usr/sbin/ipvsadm");
        assert!(h.starts_with(VERSION_LINE));
        assert!(h.contains("\n  /usr/sbin/ipvsadm -C\n"));
        assert!(h.ends_with("(1..255)\n"));
        assert!(!h.ends_with("\n\n"));
        assert!(h.contains("  /usr/sbin/ipvsadm -h\n\nCommands"));
        assert!(h.contains("\n\nvirtual-service"));
        assert!(h.contains("\n\nOptions:\n"));
        assert!(h.contains("flags\nDaemon Options:\n"));
    }
}
