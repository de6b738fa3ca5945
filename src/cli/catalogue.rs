//! The catalogue of options: every option ipvsadm knows, once, with its short and long
//! names, its argument, its row of the command-by-option legality table, its help line and
//! what a shell completes for its value. The tokenizer, the legality checks, the help text,
//! the three shell completions and the packaging tests' option list all read this table.
//!
//! Adding an option is a row here (and a variant of [`Opt`], in the same place) plus its
//! meaning: what the collecting stage stores for it and what the building stage makes of it.
//!
//! The legality table keeps the reference's layout: one row per option *name*
//! ("service-address", "forwarding-method", ...) with one column per command, and the rows'
//! order ([`Row::rank`]) is the order in which violations are reported. Options that share
//! a name (`-t`, `-u`, `--sctp-service` and `-f` are all "service-address") share the row.

use crate::vocab;

/// What an option is, independently of how it was spelled. The variants are in catalogue
/// order: `OPTIONS[opt as usize].opt == opt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    // Commands, and the two informational options.
    AddService,
    EditService,
    DeleteService,
    Clear,
    Restore,
    Save,
    AddServer,
    EditServer,
    DeleteServer,
    List,
    Zero,
    Set,
    StartDaemon,
    StopDaemon,
    Help,
    Version,
    // The virtual service.
    TcpService,
    UdpService,
    SctpService,
    FwmarkService,
    Ipv6,
    // Virtual service settings.
    Scheduler,
    Persistent,
    Netmask,
    Pe,
    SchedFlags,
    Ops,
    // Real server settings.
    RealServer,
    Gatewaying,
    Ipip,
    Masquerading,
    Weight,
    UThreshold,
    LThreshold,
    TunType,
    TunPort,
    TunNocsum,
    TunCsum,
    TunRemcsum,
    // Listing.
    Numeric,
    Connection,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    TunInfo,
    Exact,
    Nosort,
    Sort,
    // Sync daemon.
    McastInterface,
    Syncid,
    SyncMaxlen,
    McastGroup,
    McastPort,
    McastTtl,
    // Beyond ipvsadm 1.31: output as JSON, and the network namespace to work in.
    Json,
    Pretty,
    Netns,
    // Beyond ipvsadm 1.31: the table as metrics for Prometheus.
    Metrics,
    OpenMetrics,
}

/// The commands, in the column order of the legality table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    AddService,
    EditService,
    DeleteService,
    Flush,
    List,
    AddServer,
    DeleteServer,
    EditServer,
    Set,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
    Metrics,
}

/// Every command, in column order.
pub const COMMANDS: [Command; 15] = [
    Command::AddService,
    Command::EditService,
    Command::DeleteService,
    Command::Flush,
    Command::List,
    Command::AddServer,
    Command::DeleteServer,
    Command::EditServer,
    Command::Set,
    Command::StartDaemon,
    Command::StopDaemon,
    Command::Restore,
    Command::Save,
    Command::Zero,
    Command::Metrics,
];

impl Command {
    /// The command's column in [`Row::commands`].
    pub const fn column(self) -> usize {
        self as usize
    }

    /// The name the legality messages use (`'add-service' command`).
    pub const fn name(self) -> &'static str {
        match self {
            Command::AddService => "add-service",
            Command::EditService => "edit-service",
            Command::DeleteService => "delete-service",
            Command::Flush => "flush",
            Command::List => "list",
            Command::AddServer => "add-server",
            Command::DeleteServer => "delete-server",
            Command::EditServer => "edit-server",
            Command::Set => "set",
            Command::StartDaemon => "start-daemon",
            Command::StopDaemon => "stop-daemon",
            Command::Restore => "restore",
            Command::Save => "save",
            Command::Zero => "zero",
            Command::Metrics => "metrics",
        }
    }
}

/// Whether an option takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A flag.
    None,
    /// A mandatory value (taken even when it starts with `-`).
    Required,
    /// An optional value (taken from the next word only if it does not start with `-`).
    Optional,
}

/// A row of the command-by-option legality table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Position in the table: violations are reported in this order, and the option's bit
    /// in a set of given options is `1 << rank`.
    pub rank: u8,
    /// The name in messages (`multiple 'weight' options specified`).
    pub name: &'static str,
    /// One character per command, in [`COMMANDS`] order: `+` required, `.` allowed,
    /// `1` allowed but at most one of the `1` options, `x` illegal.
    pub commands: &'static str,
    /// For a tunnel option, the same for the tunnel types ipip, gue and gre.
    pub tunnels: Option<&'static str>,
}

/// How the legality checks see an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A command: the first option of a command line.
    Command(Command),
    /// `-h` or `-v`: answered as soon as it is seen first.
    Info,
    /// An option with its row of the legality table.
    Checked(Row),
    /// An option the table does not check (`-6`, `--sort`); `offered` says, like a row's
    /// commands, where completion offers it.
    Unchecked {
        /// Where it is offered, one character per command (`.` offered, `x` not).
        offered: &'static str,
    },
}

/// What a shell completes for an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// No value (a flag).
    None,
    /// A value the shell cannot guess (a number, a mask, an address).
    Free,
    /// One of these words.
    Words(vocab::Words),
    /// A comma-separated list of the scheduler flags that suit the `-s` given.
    SchedFlags,
    /// A virtual service of the live table, of the kind the save format writes with this
    /// option (`-t`, `-u`, `--sctp-service`, `-f`).
    LiveService(&'static str),
    /// A host name.
    Host,
    /// A network interface.
    Interface,
    /// A network namespace of `ip netns` (or a path).
    Netns,
}

/// Where an option's help line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Commands.
    Command,
    /// The ways to name a virtual service.
    Service,
    /// Everything else but the daemon's settings.
    Option,
    /// The sync daemon's settings.
    Daemon,
}

/// One option.
#[derive(Debug, Clone, Copy)]
pub struct OptDef {
    /// Which option.
    pub opt: Opt,
    /// Its short letters (`-L` and `-l` are one option).
    pub shorts: &'static str,
    /// Its long name, without the dashes.
    pub long: &'static str,
    /// Whether it takes a value.
    pub arg: ArgKind,
    /// What the help shows after the option (the value's name; for a command, the words it
    /// takes).
    pub value_name: &'static str,
    /// Its part in the legality checks.
    pub role: Role,
    /// Where the help lists it.
    pub section: Section,
    /// The help line (our own words); for a command, also its synopsis below.
    pub help: &'static str,
    /// For a command: what follows it in the help's synopsis.
    pub usage: &'static str,
    /// What a shell completes for its value.
    pub value: Value,
}

const fn row(rank: u8, name: &'static str, commands: &'static str) -> Role {
    Role::Checked(Row {
        rank,
        name,
        commands,
        tunnels: None,
    })
}

const fn tunnel_row(rank: u8, name: &'static str, tunnels: &'static str) -> Role {
    Role::Checked(Row {
        rank,
        name,
        commands: "xxxxx.x.xxxxxxx",
        tunnels: Some(tunnels),
    })
}

/// The row shared by the four ways to name a virtual service.
const SERVICE_ADDRESS: Role = row(2, "service-address", "+++x1+++xxxxx.x");
/// The row shared by the three forwarding methods.
const FORWARDING_METHOD: Role = row(7, "forwarding-method", "xxxxx.x.xxxxxxx");

use ArgKind::{None as N, Optional as P, Required as R};

const fn command(
    opt: Opt,
    shorts: &'static str,
    long: &'static str,
    cmd: Command,
    help: &'static str,
    usage: &'static str,
) -> OptDef {
    OptDef {
        opt,
        shorts,
        long,
        arg: N,
        value_name: "",
        role: Role::Command(cmd),
        section: Section::Command,
        help,
        usage,
        value: Value::None,
    }
}

// One argument per column of the table.
#[allow(clippy::too_many_arguments)]
const fn option(
    opt: Opt,
    shorts: &'static str,
    long: &'static str,
    arg: ArgKind,
    value_name: &'static str,
    role: Role,
    section: Section,
    help: &'static str,
    value: Value,
) -> OptDef {
    OptDef {
        opt,
        shorts,
        long,
        arg,
        value_name,
        role,
        section,
        help,
        usage: "",
        value,
    }
}

use Section::{Daemon as D, Option as O, Service as S};
use Value::{Free, None as Flag};

/// The catalogue, in [`Opt`] order.
#[rustfmt::skip]
pub const OPTIONS: &[OptDef] = &[
    command(Opt::AddService, "A", "add-service", Command::AddService,
        "add a virtual service with its settings",
        "virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe engine] [-b flags]"),
    command(Opt::EditService, "E", "edit-service", Command::EditService,
        "replace the settings of a virtual service",
        "virtual-service [the settings of -A]"),
    command(Opt::DeleteService, "D", "delete-service", Command::DeleteService,
        "remove a virtual service and its real servers",
        "virtual-service"),
    command(Opt::Clear, "C", "clear", Command::Flush, "remove every virtual service", ""),
    command(Opt::Restore, "R", "restore", Command::Restore,
        "read commands, one per line, from standard input", ""),
    command(Opt::Save, "S", "save", Command::Save,
        "print the table as commands that --restore reads back", "[-n]"),
    command(Opt::AddServer, "a", "add-server", Command::AddServer,
        "add a real server to a virtual service",
        "virtual-service -r server-address [-g|-i|-m] [-w weight] [server options]"),
    command(Opt::EditServer, "e", "edit-server", Command::EditServer,
        "replace the settings of a real server",
        "virtual-service -r server-address [the settings of -a]"),
    command(Opt::DeleteServer, "d", "delete-server", Command::DeleteServer,
        "remove a real server from a virtual service",
        "virtual-service -r server-address"),
    command(Opt::List, "Ll", "list", Command::List,
        "show the virtual services (all, or the one given)",
        "[virtual-service] [listing options]"),
    command(Opt::Zero, "Z", "zero", Command::Zero,
        "reset the counters of one or all virtual services", "[virtual-service]"),
    OptDef {
        value_name: "tcp tcpfin udp",
        ..command(Opt::Set, "", "set", Command::Set,
            "set the connection timeouts in seconds (0 keeps a value)", "tcp tcpfin udp")
    },
    OptDef {
        arg: R,
        value_name: "master|backup",
        value: Value::Words(vocab::Words::DaemonStates),
        ..command(Opt::StartDaemon, "", "start-daemon", Command::StartDaemon,
            "start the connection synchronisation daemon",
            "master|backup [daemon options]")
    },
    OptDef {
        arg: R,
        value_name: "master|backup",
        value: Value::Words(vocab::Words::DaemonStates),
        ..command(Opt::StopDaemon, "", "stop-daemon", Command::StopDaemon,
            "stop the connection synchronisation daemon", "master|backup")
    },
    OptDef {
        role: Role::Info,
        ..command(Opt::Help, "h", "help", Command::List, "show this text", "")
    },
    OptDef {
        role: Role::Info,
        ..command(Opt::Version, "v", "version", Command::List, "show the version", "")
    },
    option(Opt::TcpService, "t", "tcp-service", R, "address", SERVICE_ADDRESS, S,
        "TCP service at host[:port]", Value::LiveService("-t")),
    option(Opt::UdpService, "u", "udp-service", R, "address", SERVICE_ADDRESS, S,
        "UDP service at host[:port]", Value::LiveService("-u")),
    option(Opt::SctpService, "", "sctp-service", R, "address", SERVICE_ADDRESS, S,
        "SCTP service at host[:port]", Value::LiveService("--sctp-service")),
    option(Opt::FwmarkService, "f", "fwmark-service", R, "fwmark", SERVICE_ADDRESS, S,
        "packets carrying a firewall mark (1..4294967295)", Value::LiveService("-f")),
    option(Opt::Ipv6, "6", "ipv6", N, "", Role::Unchecked { offered: "+++x1+++xxxxx.x" }, S,
        "the firewall-mark service is IPv6 (after -f)", Flag),
    option(Opt::Scheduler, "s", "scheduler", R, "scheduler", row(3, "scheduler", "..xxxxxxxxxxxxx"), O,
        "the scheduling algorithm (wlc when not given)", Value::Words(vocab::Words::Schedulers)),
    option(Opt::Persistent, "p", "persistent", P, "[timeout]", row(4, "persistent", "..xxxxxxxxxxxxx"), O,
        "keep clients on one server (timeout in seconds, 360 if omitted)", Free),
    option(Opt::Netmask, "M", "netmask", R, "netmask", row(5, "netmask", "..xxxxxxxxxxxxx"), O,
        "granularity of persistence (IPv4 mask or IPv6 prefix length)", Free),
    option(Opt::Pe, "", "pe", R, "engine", row(22, "pe", "..xxxxxxxxxxxxx"), O,
        "persistence engine", Value::Words(vocab::Words::Engines)),
    option(Opt::SchedFlags, "b", "sched-flags", R, "flags", row(23, "sched-flags", "..xxxxxxxxxxxxx"), O,
        "comma-separated scheduler flags", Value::SchedFlags),
    option(Opt::Ops, "o", "ops", N, "", row(21, "ops", "..xxxxxxxxxxxxx"), O,
        "one-packet scheduling (UDP services)", Flag),
    option(Opt::RealServer, "r", "real-server", R, "server-address", row(6, "real-server", "xxxxx+++xxxxxxx"), O,
        "real server as host[:port]", Value::Host),
    option(Opt::Gatewaying, "g", "gatewaying", N, "", FORWARDING_METHOD, O,
        "forward by direct routing (the default)", Flag),
    option(Opt::Ipip, "i", "ipip", N, "", FORWARDING_METHOD, O,
        "forward by tunnelling", Flag),
    option(Opt::Masquerading, "m", "masquerading", N, "", FORWARDING_METHOD, O,
        "forward by NAT (masquerading)", Flag),
    option(Opt::Weight, "w", "weight", R, "weight", row(8, "weight", "xxxxx.x.xxxxxxx"), O,
        "capacity of the real server (0..2147483647)", Free),
    option(Opt::UThreshold, "x", "u-threshold", R, "uthreshold", row(9, "u-threshold", "xxxxx.x.xxxxxxx"), O,
        "upper connection limit of the real server", Free),
    option(Opt::LThreshold, "y", "l-threshold", R, "lthreshold", row(10, "l-threshold", "xxxxx.x.xxxxxxx"), O,
        "lower connection limit of the real server", Free),
    option(Opt::TunType, "", "tun-type", R, "type", row(29, "tun-type", "xxxxx.x.xxxxxxx"), O,
        "tunnel type", Value::Words(vocab::Words::TunnelTypes)),
    option(Opt::TunPort, "", "tun-port", R, "port", tunnel_row(30, "tun-port", "x+x"), O,
        "GUE tunnel destination port", Free),
    option(Opt::TunNocsum, "", "tun-nocsum", N, "", tunnel_row(31, "tun-nocsum", "x11"), O,
        "no checksum in the tunnel", Flag),
    option(Opt::TunCsum, "", "tun-csum", N, "", tunnel_row(32, "tun-csum", "x11"), O,
        "checksum in the tunnel", Flag),
    option(Opt::TunRemcsum, "", "tun-remcsum", N, "", tunnel_row(33, "tun-remcsum", "x1x"), O,
        "remote checksum offload in the tunnel", Flag),
    option(Opt::Numeric, "n", "numeric", N, "", row(0, "numeric", "xxxx.xxxxxxx.xx"), O,
        "show addresses and ports as numbers", Flag),
    option(Opt::Connection, "c", "connection", N, "", row(1, "connection", "xxxx1xxxxxxxxxx"), O,
        "list the connection table", Flag),
    option(Opt::Timeout, "", "timeout", N, "", row(12, "timeout", "xxxx1xxxxxxxxxx"), O,
        "list the timeouts", Flag),
    option(Opt::Daemon, "", "daemon", N, "", row(13, "daemon", "xxxx1xxxxxxxxxx"), O,
        "list the synchronisation daemons", Flag),
    option(Opt::Stats, "", "stats", N, "", row(14, "stats", "xxxx.xxxxxxxxxx"), O,
        "list with counters", Flag),
    option(Opt::Rate, "", "rate", N, "", row(15, "rate", "xxxx.xxxxxxxxx."), O,
        "list with rates", Flag),
    option(Opt::Thresholds, "", "thresholds", N, "", row(16, "thresholds", "xxxx.xxxxxxxxxx"), O,
        "list with thresholds", Flag),
    option(Opt::PersistentConn, "", "persistent-conn", N, "", row(17, "persistent-conn", "xxxx.xxxxxxxxxx"), O,
        "list with persistent connection counts", Flag),
    option(Opt::TunInfo, "", "tun-info", N, "", row(28, "tun-info", "xxxx.xxxxxxxxxx"), O,
        "list with tunnel details", Flag),
    option(Opt::Exact, "X", "exact", N, "", row(20, "exact", "xxxx.xxxxxxxxxx"), O,
        "show counters without K/M/G/T scaling", Flag),
    option(Opt::Nosort, "", "nosort", N, "", row(18, "nosort", "xxxx.xxxxxxxxxx"), O,
        "list in the kernel's order", Flag),
    option(Opt::Sort, "", "sort", N, "", Role::Unchecked { offered: "..............x" }, O,
        "accepted for compatibility; sorting is the default", Flag),
    option(Opt::McastInterface, "", "mcast-interface", R, "interface", row(11, "mcast-interface", "xxxxxxxxx.xxxxx"), D,
        "interface for synchronisation traffic (default eth0)", Value::Interface),
    option(Opt::Syncid, "", "syncid", R, "sid", row(19, "syncid", "xxxx.xxxx..xxxx"), D,
        "synchronisation id (0..255, default 0)", Free),
    option(Opt::SyncMaxlen, "", "sync-maxlen", R, "length", row(27, "sync-maxlen", "xxxxxxxxx.xxxxx"), D,
        "largest synchronisation message (default 1472)", Free),
    option(Opt::McastGroup, "", "mcast-group", R, "address", row(24, "mcast-group", "xxxxxxxxx.xxxxx"), D,
        "multicast group (IPv4 or IPv6)", Free),
    option(Opt::McastPort, "", "mcast-port", R, "port", row(25, "mcast-port", "xxxxxxxxx.xxxxx"), D,
        "multicast UDP port", Free),
    option(Opt::McastTtl, "", "mcast-ttl", R, "ttl", row(26, "mcast-ttl", "xxxxxxxxx.xxxxx"), D,
        "multicast TTL (1..255)", Free),
    option(Opt::Json, "j", "json", N, "", row(34, "json", "xxxx.xxxxxxx.xx"), O,
        "list or save as JSON (one array of objects; numbers exact)", Flag),
    option(Opt::Pretty, "", "pretty", N, "", row(35, "pretty", "xxxx.xxxxxxx.xx"), O,
        "with --json: indented, for people", Flag),
    option(Opt::Netns, "", "netns", R, "name", row(36, "netns", "..............."), O,
        "work in this network namespace (ip netns name, or a path)", Value::Netns),
    command(Opt::Metrics, "", "metrics", Command::Metrics,
        "print the table, counters and daemons as Prometheus metrics",
        "[--openmetrics] [--rate]"),
    option(Opt::OpenMetrics, "", "openmetrics", N, "", row(37, "openmetrics", "xxxxxxxxxxxxxx."), O,
        "with --metrics: OpenMetrics text, not Prometheus text 0.0.4", Flag),
];

/// The catalogue row of an option.
#[inline]
pub const fn def(opt: Opt) -> &'static OptDef {
    &OPTIONS[opt as usize]
}

/// The legality row of an option, if the table checks it.
#[inline]
pub const fn row_of(opt: Opt) -> Option<Row> {
    match def(opt).role {
        Role::Checked(r) => Some(r),
        _ => None,
    }
}

/// No legality row (in [`RANKS`]).
const NO_RANK: u8 = u8::MAX;

/// The rank of each option's legality row, by `Opt as usize` ([`NO_RANK`] for none): the
/// parser looks up every option of every line, so this is one byte per option.
const RANKS: [u8; OPTIONS.len()] = {
    let mut ranks = [NO_RANK; OPTIONS.len()];
    let mut i = 0;
    while i < OPTIONS.len() {
        if let Role::Checked(r) = OPTIONS[i].role {
            ranks[i] = r.rank;
        }
        i += 1;
    }
    ranks
};

/// The rank of an option's legality row, if the table checks it.
#[inline]
pub fn rank(opt: Opt) -> Option<u8> {
    let r = RANKS[opt as usize];
    (r != NO_RANK).then_some(r)
}

/// How many rows the legality table has.
pub const ROWS: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < OPTIONS.len() {
        if let Role::Checked(r) = OPTIONS[i].role
            && r.rank as usize + 1 > n
        {
            n = r.rank as usize + 1;
        }
        i += 1;
    }
    n
};

/// The legality table's rows in rank order (each option name once).
pub const TABLE: [Row; ROWS] = {
    let mut rows = [Row {
        rank: 0,
        name: "",
        commands: "",
        tunnels: None,
    }; ROWS];
    let mut i = 0;
    while i < OPTIONS.len() {
        if let Role::Checked(r) = OPTIONS[i].role {
            rows[r.rank as usize] = r;
        }
        i += 1;
    }
    rows
};

/// Every option spelling the parser accepts (`-A`, `--add-service`, ...), in catalogue
/// order: what completions and the manual must offer.
pub fn spellings() -> Vec<String> {
    let mut out = Vec::new();
    for d in OPTIONS {
        out.extend(d.shorts.chars().map(|c| format!("-{c}")));
        out.push(format!("--{}", d.long));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_opt_order_and_every_option_is_there_once() {
        for (i, d) in OPTIONS.iter().enumerate() {
            assert_eq!(d.opt as usize, i, "{:?}", d.opt);
        }
        assert_eq!(OPTIONS.len(), Opt::OpenMetrics as usize + 1);
        let spellings = spellings();
        let mut sorted = spellings.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), spellings.len(), "a spelling used twice");
    }

    #[test]
    fn the_legality_table_is_whole_and_consistent() {
        assert_eq!(ROWS, 38);
        for (rank, r) in TABLE.iter().enumerate() {
            assert_eq!(r.rank as usize, rank, "a rank without a row");
            assert_eq!(r.commands.len(), COMMANDS.len(), "{}", r.name);
            assert!(
                r.commands.bytes().all(|b| b"+.1x".contains(&b)),
                "{}",
                r.name
            );
            if let Some(t) = r.tunnels {
                assert_eq!(t.len(), vocab::TUNNEL_TYPES.len(), "{}", r.name);
            }
        }
        // Options sharing a name share the whole row.
        for d in OPTIONS {
            if let Role::Checked(r) = d.role {
                assert_eq!(TABLE[r.rank as usize], r, "{}", d.long);
            }
        }
        for (i, c) in COMMANDS.iter().enumerate() {
            assert_eq!(c.column(), i);
        }
    }

    #[test]
    fn commands_are_the_command_rows() {
        for c in COMMANDS {
            let rows: Vec<_> = OPTIONS
                .iter()
                .filter(|d| d.role == Role::Command(c))
                .collect();
            assert_eq!(rows.len(), 1, "{c:?}");
            assert_eq!(rows[0].section, Section::Command);
        }
    }
}
