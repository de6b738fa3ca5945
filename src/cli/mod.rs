//! The `ipvsadm` command line: from argv to an [`Action`], or to the exact error text and
//! exit status of the reference tool.
//!
//! Parsing is pure (contract D1) and runs in two stages (contract D6). The first stage walks
//! the options left to right with popt semantics (module `popt`), checks duplicates and
//! validates each value in place, so errors come out in the reference's order. Values whose
//! meaning depends on another option (the protocol for `-r host:http`, the family for `-M`)
//! look that option up wherever it is on the line. The second stage builds the service, real
//! server or daemon in a fixed order from the collected values, after the legality checks
//! (module `matrix`) and the per-command checks. Restore lines in the two common shapes of
//! the save format take a shortcut into the second stage ([`RestoreLines`]).
//!
//! Decisions where the reference's behaviour is order-dependent or unspecified:
//! - `-6` must follow `-f`, as in the reference (`-6 used before -f` otherwise): the contract's
//!   D6 covers options whose meaning silently changed with their order, and this one is an
//!   explicit error in the reference, which we keep.
//! - `-M` is read with the family the service ends up with (its `-t`/`-u`/`--sctp-service`
//!   address, or `-f` plus `-6`), and its error is still reported where `-M` stands. A service
//!   address that does not parse counts as IPv4 for that purpose.
//! - `-r` uses the service's protocol for service names and, without a port, the virtual
//!   port, wherever the service is given; fwmark services look names up as TCP.
//! - A positional word before the command is a popt leftover (`ipvsadm foo -L` reports
//!   `unexpected argument foo`). popt's `!#:+` argument expansion and the `POSIXLY_CORRECT`
//!   environment switch are emulated (module `popt`).

mod help;
mod matrix;
mod popt;
mod restore;
mod values;

#[cfg(test)]
pub(crate) mod rng;
#[cfg(test)]
mod tests;

use std::net::IpAddr;

use crate::ipvs::consts;
use crate::ipvs::{
    Daemon, DaemonState, Dest, Family, Forward, Protocol, Service, ServiceKey, Timeouts,
    TunnelType, full_netmask,
};
use crate::names::Names;
use crate::output::{ListFormat, ListMode};

pub use help::{VERSION_LINE, help_text};
pub use restore::{RestoreLines, restore_words};

use restore::LineWords;

use matrix::{Command, slot};
use popt::{Event, Opt, Tokens};
use values::Endpoint;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this help text on stdout.
    Help(String),
    /// Print this version line (with its newline) on stdout.
    Version(String),
    /// `-A`.
    AddService(Service),
    /// `-E`.
    EditService(Service),
    /// `-D`.
    DeleteService(Service),
    /// `-C`.
    Flush,
    /// `-R`.
    Restore,
    /// `-S`.
    Save {
        /// `-n`.
        numeric: bool,
    },
    /// `-a`.
    AddDest(Service, Dest),
    /// `-e`.
    EditDest(Service, Dest),
    /// `-d`.
    DeleteDest(Service, Dest),
    /// `-L` / `-l` (and no arguments at all).
    List(ListRequest),
    /// `-Z`; `None` zeroes every service.
    Zero(Option<Service>),
    /// `--set`.
    SetTimeouts(Timeouts),
    /// `--start-daemon`.
    StartDaemon(Daemon),
    /// `--stop-daemon` (interface empty, syncid 0: only the state matters).
    StopDaemon(Daemon),
}

/// A listing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRequest {
    /// What to list.
    pub what: ListWhat,
    /// How to print it.
    pub format: ListFormat,
}

/// What a listing shows, chosen in this order: connections, one service, timeouts, daemons,
/// everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListWhat {
    /// The whole service table.
    All,
    /// One service.
    Service(ServiceKey),
    /// The connection table (`-c`).
    Connections,
    /// The protocol timeouts (`--timeout`).
    Timeouts,
    /// The sync daemons (`--daemon`).
    Daemons,
}

/// A command-line error: the exact stderr text and how the caller must react.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The class of error (decides the exit status and what restore does).
    pub kind: ErrorKind,
    /// The exact bytes for stderr, trailing newline(s) included.
    pub message: String,
}

/// Classes of command-line errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The "Try ..." line (the first option is not a command): exit 255, restore aborts.
    Usage,
    /// A popt error after the command: exit 255, restore skips the line and continues.
    Popt,
    /// A validation error: exit 2, restore aborts.
    Invalid,
}

impl CliError {
    /// The process exit status for this error.
    pub fn status(&self) -> i32 {
        match self.kind {
            ErrorKind::Usage | ErrorKind::Popt => 255,
            ErrorKind::Invalid => 2,
        }
    }

    /// The "Try ..." error for a program name (also what restore reports for a nested `-R`).
    pub fn usage(prog: &str) -> CliError {
        CliError {
            kind: ErrorKind::Usage,
            message: format!("Try `{prog} -h' or '{prog} --help' for more information.\n"),
        }
    }

    fn invalid(msg: impl Into<String>) -> CliError {
        let mut message = msg.into();
        message.push('\n');
        CliError {
            kind: ErrorKind::Invalid,
            message,
        }
    }
}

impl std::fmt::Display for CliError {
    /// The stderr text, trailing newline(s) included.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Parses a command line; `argv[0]` is the program name as invoked.
pub fn parse<S: AsRef<str>>(argv: &[S], names: &dyn Names) -> Result<Action, CliError> {
    let words: Vec<&str> = argv.iter().map(AsRef::as_ref).collect();
    parse_words(&words, names)
}

/// [`parse`] for words that are already string slices (restore lines), without a copy.
pub fn parse_words(argv: &[&str], names: &dyn Names) -> Result<Action, CliError> {
    parse_words_into(argv, names, &mut Vec::with_capacity(argv.len()))
}

/// [`parse_words`] with the tokenizer's events stored in `events` (emptied first), which
/// is left there for the next line: restore parses many.
fn parse_words_into<'a>(
    argv: &[&'a str],
    names: &dyn Names,
    events: &mut Vec<Event<'a>>,
) -> Result<Action, CliError> {
    if argv.len() <= 1 {
        return Ok(Action::List(ListRequest {
            what: ListWhat::All,
            format: ListFormat::default(),
        }));
    }
    let tokens = popt::tokenize_into(&argv[1..], std::mem::take(events));
    let result = parse_tokens(argv[0], &tokens, names);
    *events = tokens.events;
    result
}

/// Restore's fast path, for the two line shapes `ipvsadm -S -n` writes for most rules:
/// `-A -t|-u ADDR:PORT -s SCHED` and `-a -t|-u ADDR:PORT -r ADDR:PORT -m|-g -w WEIGHT`
/// (the words of a line, without the program name). It skips popt's tokenizer and hands the
/// options straight to the same per-option handling as the general parser, as it reads
/// them; [`Canonical::finish`] then runs the same second stage. Anything else gives `None`
/// and is left to the general parser, which also words the errors of the first stage:
/// another shape, a value popt could treat specially (one starting with `-`, or holding the
/// `!#:+` of its argument expansion), or a value that does not parse.
fn parse_canonical<'v>(words: &mut LineWords<'v>, names: &dyn Names) -> Option<Canonical<'v>> {
    let add_service = match words.word()? {
        b"-A" => true,
        b"-a" => false,
        _ => return None,
    };
    let service = match words.word()? {
        b"-t" => Opt::TcpService,
        b"-u" => Opt::UdpService,
        _ => return None,
    };
    // The service comes first, so no value needs to look at later options.
    let later = &Later { events: &[] };
    // Each branch names its command, so that the inlined shared code is specialised to it.
    let canonical = if add_service {
        let mut c = Collected::new(Command::AddService);
        take_option(words, None, &mut c, service, later, names)?;
        take_option(words, Some(b"-s"), &mut c, Opt::Scheduler, later, names)?;
        Canonical::AddService(c)
    } else {
        let mut c = Collected::new(Command::AddServer);
        take_option(words, None, &mut c, service, later, names)?;
        take_option(words, Some(b"-r"), &mut c, Opt::RealServer, later, names)?;
        let forward = match words.word()? {
            b"-m" => Opt::Masquerading,
            b"-g" => Opt::Gatewaying,
            _ => return None,
        };
        c.option(forward, None, "", later, names).ok()?;
        take_option(words, Some(b"-w"), &mut c, Opt::Weight, later, names)?;
        Canonical::AddServer(c)
    };
    words.end().then_some(canonical)
}

/// For [`parse_canonical`]: the word `flag` (when given; without one, the option's own word
/// has been read already), then a value, handed to the shared option handling as `opt`'s.
/// `None` when the line has something else there, or the value is refused.
#[inline(always)]
fn take_option<'v>(
    words: &mut LineWords<'v>,
    flag: Option<&[u8]>,
    c: &mut Collected<'v>,
    opt: Opt,
    later: &Later<'_>,
    names: &dyn Names,
) -> Option<()> {
    if let Some(flag) = flag {
        (words.word()? == flag).then_some(())?;
    }
    let value = Some(words.value()?);
    c.option(opt, value, "", later, names).ok()
}

/// A line in one of the shapes of [`parse_canonical`], its options taken.
enum Canonical<'v> {
    /// `-A -t|-u ADDR:PORT -s SCHED`.
    AddService(Collected<'v>),
    /// `-a -t|-u ADDR:PORT -r ADDR:PORT -m|-g -w WEIGHT`.
    AddServer(Collected<'v>),
}

impl Canonical<'_> {
    /// The second stage, as the general parser runs it after the same options (there are no
    /// positional words): its answer, error or not.
    #[inline(always)]
    fn finish(&self) -> Result<Action, CliError> {
        match self {
            Canonical::AddService(c) => c.finish(Command::AddService, Timeouts::default(), None),
            Canonical::AddServer(c) => c.finish(Command::AddServer, Timeouts::default(), None),
        }
    }
}

/// The two stages after tokenizing; `prog` is the program name as invoked.
fn parse_tokens(prog: &str, tokens: &Tokens, names: &dyn Names) -> Result<Action, CliError> {
    let mut events = tokens.events.iter();
    let Some(Event::Opt { opt, value, .. }) = events.next() else {
        return Err(CliError::usage(prog));
    };
    let mut daemon_state = None;
    let cmd = match opt {
        Opt::Help => return Ok(Action::Help(help_text(prog))),
        Opt::Version => return Ok(Action::Version(format!("{VERSION_LINE}\n"))),
        Opt::AddService => Command::AddService,
        Opt::EditService => Command::EditService,
        Opt::DeleteService => Command::DeleteService,
        Opt::Clear => Command::Flush,
        Opt::Restore => Command::Restore,
        Opt::Save => Command::Save,
        Opt::AddServer => Command::AddServer,
        Opt::EditServer => Command::EditServer,
        Opt::DeleteServer => Command::DeleteServer,
        Opt::List => Command::List,
        Opt::Zero => Command::Zero,
        Opt::Set => Command::Set,
        Opt::StartDaemon | Opt::StopDaemon => {
            daemon_state = match value.as_deref() {
                Some("master") => Some(DaemonState::Master),
                Some("backup") => Some(DaemonState::Backup),
                _ if *opt == Opt::StartDaemon => {
                    return Err(CliError::invalid(
                        "illegal start-daemon parameter specified",
                    ));
                }
                _ => return Err(CliError::invalid("illegal start_daemon specified")),
            };
            if *opt == Opt::StartDaemon {
                Command::StartDaemon
            } else {
                Command::StopDaemon
            }
        }
        _ => return Err(CliError::usage(prog)),
    };

    let rest: &[Event] = events.as_slice();
    let mut c = Collected::new(cmd);
    for (i, ev) in rest.iter().enumerate() {
        match ev {
            Event::Error { error, token } => {
                return Err(CliError {
                    kind: ErrorKind::Popt,
                    message: format!("{token}: {}\n", error.text()),
                });
            }
            Event::Opt { opt, value, token } => {
                let later = Later {
                    events: &rest[i + 1..],
                };
                c.option(*opt, value.as_deref(), token, &later, names)?;
            }
        }
    }

    let mut positionals = tokens.positionals.iter().copied();
    let mut timeouts = Timeouts::default();
    if cmd == Command::Set {
        let (Some(a), Some(b), Some(u)) =
            (positionals.next(), positionals.next(), positionals.next())
        else {
            return Err(CliError::invalid("--set option requires 3 timeout values"));
        };
        let t = |s: &str| {
            values::parse_range(s, 0, 2_678_400)
                .map(|v| v as u32)
                .ok_or_else(|| CliError::invalid(format!("invalid timeout value `{s}' specified")))
        };
        timeouts = Timeouts {
            tcp: t(a)?,
            tcp_fin: t(b)?,
            udp: t(u)?,
        };
    }
    if let Some(extra) = positionals.next() {
        return Err(CliError::invalid(format!("unexpected argument {extra}")));
    }

    c.finish(cmd, timeouts, daemon_state)
}

/// The options after the one being processed, for values whose meaning depends on an
/// option that may come later (contract D6).
struct Later<'a> {
    events: &'a [Event<'a>],
}

impl Later<'_> {
    fn opts(&self) -> impl Iterator<Item = (Opt, Option<&str>)> {
        self.events.iter().filter_map(|e| match e {
            Event::Opt { opt, value, .. } => Some((*opt, value.as_deref())),
            Event::Error { .. } => None,
        })
    }
}

/// The virtual service as given.
#[derive(Debug, Clone, Copy)]
enum SvcSpec {
    Addr(Protocol, Endpoint),
    Fwmark(u32),
}

fn service_protocol(opt: Opt) -> Option<Protocol> {
    match opt {
        Opt::TcpService => Some(Protocol::Tcp),
        Opt::UdpService => Some(Protocol::Udp),
        Opt::SctpService => Some(Protocol::Sctp),
        _ => None,
    }
}

/// The option slot of an option (None for commands, `-6` and `--sort`).
#[inline]
fn slot_of(opt: Opt) -> Option<usize> {
    Some(match opt {
        Opt::Numeric => slot::NUMERIC,
        Opt::Connection => slot::CONNECTION,
        Opt::TcpService | Opt::UdpService | Opt::SctpService | Opt::FwmarkService => slot::SERVICE,
        Opt::Scheduler => slot::SCHEDULER,
        Opt::Persistent => slot::PERSISTENT,
        Opt::Netmask => slot::NETMASK,
        Opt::RealServer => slot::REAL_SERVER,
        Opt::Gatewaying | Opt::Ipip | Opt::Masquerading => slot::FORWARD,
        Opt::Weight => slot::WEIGHT,
        Opt::UThreshold => slot::U_THRESHOLD,
        Opt::LThreshold => slot::L_THRESHOLD,
        Opt::McastInterface => slot::MCAST_IFN,
        Opt::Timeout => slot::TIMEOUT,
        Opt::Daemon => slot::DAEMON,
        Opt::Stats => slot::STATS,
        Opt::Rate => slot::RATE,
        Opt::Thresholds => slot::THRESHOLDS,
        Opt::PersistentConn => slot::PERSISTENT_CONN,
        Opt::Nosort => slot::NOSORT,
        Opt::Syncid => slot::SYNCID,
        Opt::Exact => slot::EXACT,
        Opt::Ops => slot::OPS,
        Opt::Pe => slot::PE,
        Opt::SchedFlags => slot::SCHED_FLAGS,
        Opt::McastGroup => slot::MCAST_GROUP,
        Opt::McastPort => slot::MCAST_PORT,
        Opt::McastTtl => slot::MCAST_TTL,
        Opt::SyncMaxlen => slot::SYNC_MAXLEN,
        Opt::TunInfo => slot::TUN_INFO,
        Opt::TunType => slot::TUN_TYPE,
        Opt::TunPort => slot::TUN_PORT,
        Opt::TunNocsum => slot::TUN_NOCSUM,
        Opt::TunCsum => slot::TUN_CSUM,
        Opt::TunRemcsum => slot::TUN_REMCSUM,
        _ => return None,
    })
}

const TUNNEL_SLOTS: u64 = (1 << slot::TUN_TYPE)
    | (1 << slot::TUN_PORT)
    | (1 << slot::TUN_NOCSUM)
    | (1 << slot::TUN_CSUM)
    | (1 << slot::TUN_REMCSUM);

/// The raw values collected by the first stage.
#[derive(Debug)]
struct Collected<'v> {
    cmd: Command,
    /// One bit per option slot given.
    given: u64,
    svc: Option<SvcSpec>,
    ipv6: bool,
    scheduler: &'v str,
    persistent: Option<u32>,
    netmask: Option<u32>,
    pe: &'v str,
    sched_flags: &'v str,
    ops: bool,
    real: Option<Endpoint>,
    forward: Option<Forward>,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
    tun_type: TunnelType,
    tun_port: u16,
    tun_flags: u16,
    mcast_ifn: &'v str,
    syncid: u32,
    sync_maxlen: Option<u16>,
    mcast_group: Option<IpAddr>,
    mcast_port: Option<u16>,
    mcast_ttl: Option<u8>,
}

impl<'v> Collected<'v> {
    fn new(cmd: Command) -> Collected<'v> {
        Collected {
            cmd,
            given: 0,
            svc: None,
            ipv6: false,
            scheduler: "",
            persistent: None,
            netmask: None,
            pe: "",
            sched_flags: "",
            ops: false,
            real: None,
            forward: None,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: TunnelType::Ipip,
            tun_port: 0,
            tun_flags: consts::IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
            mcast_ifn: "",
            syncid: 0,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        }
    }

    fn has(&self, slot: usize) -> bool {
        self.given & (1 << slot) != 0
    }

    /// The protocol used for service-name ports of `-r`: the service's, wherever it is
    /// given (fwmark services look names up as TCP, like the reference).
    fn protocol_for_real(&self, later: &Later) -> Option<Protocol> {
        match self.svc {
            Some(SvcSpec::Addr(p, _)) => Some(p),
            Some(SvcSpec::Fwmark(_)) => Some(Protocol::Tcp),
            None => later.opts().find_map(|(o, _)| match o {
                Opt::FwmarkService => Some(Protocol::Tcp),
                o => service_protocol(o),
            }),
        }
    }

    /// The service's family, wherever the service (and `-6`) are given. A service address
    /// that does not parse counts as IPv4 (its own error is reported where it stands).
    fn family_for_mask(&self, later: &Later, names: &dyn Names) -> Family {
        let six_later = || later.opts().any(|(o, _)| o == Opt::Ipv6);
        match self.svc {
            Some(SvcSpec::Addr(_, ep)) => Family::of(&ep.addr),
            Some(SvcSpec::Fwmark(_)) => {
                if self.ipv6 || six_later() {
                    Family::Inet6
                } else {
                    Family::Inet
                }
            }
            None => {
                let first = later
                    .opts()
                    .find(|(o, _)| *o == Opt::FwmarkService || service_protocol(*o).is_some());
                match first {
                    Some((Opt::FwmarkService, _)) => {
                        if self.ipv6 || six_later() {
                            Family::Inet6
                        } else {
                            Family::Inet
                        }
                    }
                    Some((o, Some(v))) => values::parse_endpoint(v, service_protocol(o), names)
                        .map(|ep| Family::of(&ep.addr))
                        .unwrap_or(Family::Inet),
                    _ => Family::Inet,
                }
            }
        }
    }

    /// Processes one option after the command, validating its value. Inlined: restore's
    /// fast path calls it with a known option, which leaves only that option's arm.
    #[inline(always)]
    fn option(
        &mut self,
        opt: Opt,
        value: Option<&'v str>,
        token: &str,
        later: &Later,
        names: &dyn Names,
    ) -> Result<(), CliError> {
        match opt {
            Opt::Sort => return Ok(()),
            Opt::Ipv6 => {
                // As the reference: `-6` is only meaningful once `-f` has been seen.
                if !matches!(self.svc, Some(SvcSpec::Fwmark(_))) {
                    return Err(CliError::invalid("-6 used before -f\n"));
                }
                self.ipv6 = true;
                return Ok(());
            }
            _ => {}
        }
        let Some(slot) = slot_of(opt) else {
            return Err(CliError::invalid(format!("invalid option `{token}'")));
        };
        if self.has(slot) {
            return Err(CliError::invalid(format!(
                "multiple '{}' options specified",
                matrix::OPT_NAMES[slot]
            )));
        }
        self.given |= 1 << slot;
        let v = value.unwrap_or("");
        let int = |min: i64, max: i64, msg: &str| {
            values::parse_range(v, min, max).ok_or_else(|| CliError::invalid(msg))
        };
        match opt {
            Opt::TcpService | Opt::UdpService | Opt::SctpService => {
                let proto = service_protocol(opt).expect("service option");
                let ep = values::parse_endpoint(v, Some(proto), names).ok_or_else(|| {
                    CliError::invalid("illegal virtual server address[:port] specified")
                })?;
                self.svc = Some(SvcSpec::Addr(proto, ep));
            }
            Opt::FwmarkService => {
                let mark = values::parse_fwmark(v).ok_or_else(|| {
                    CliError::invalid(format!("invalid fwmark value `{v}' specified"))
                })?;
                self.svc = Some(SvcSpec::Fwmark(mark));
            }
            Opt::Scheduler => {
                self.scheduler = values::truncate(v, consts::IP_VS_SCHEDNAME_MAXLEN - 1);
            }
            Opt::Persistent => {
                self.persistent = Some(match value {
                    None => 360,
                    Some(v) => values::parse_range(v, 1, 2_678_400).ok_or_else(|| {
                        CliError::invalid(format!("invalid timeout value `{v}' specified"))
                    })? as u32,
                });
            }
            Opt::Netmask => {
                let family = self.family_for_mask(later, names);
                self.netmask =
                    Some(values::parse_netmask(v, family, names).map_err(CliError::invalid)?);
            }
            Opt::Pe => self.pe = values::truncate(v, consts::IP_VS_PENAME_MAXLEN),
            Opt::SchedFlags => self.sched_flags = values::truncate(v, 127),
            Opt::Ops => self.ops = true,
            Opt::RealServer => {
                let proto = self.protocol_for_real(later);
                self.real = Some(values::parse_endpoint(v, proto, names).ok_or_else(|| {
                    CliError::invalid("illegal real server address[:port] specified")
                })?);
            }
            Opt::Gatewaying => self.forward = Some(Forward::Route),
            Opt::Ipip => self.forward = Some(Forward::Tunnel),
            Opt::Masquerading => self.forward = Some(Forward::Masq),
            Opt::Weight => {
                self.weight = int(0, i32::MAX.into(), "illegal weight specified")? as i32;
            }
            Opt::UThreshold => {
                self.u_threshold = int(0, i32::MAX.into(), "illegal u_threshold specified")? as u32;
            }
            Opt::LThreshold => {
                self.l_threshold = int(0, i32::MAX.into(), "illegal l_threshold specified")? as u32;
            }
            Opt::TunType => {
                self.tun_type = match v {
                    "ipip" => TunnelType::Ipip,
                    "gue" => TunnelType::Gue,
                    "gre" => TunnelType::Gre,
                    _ => return Err(CliError::invalid("illegal tunnel type specified")),
                };
            }
            Opt::TunPort => {
                self.tun_port = int(1, 65535, "illegal tunnel port specified")? as u16;
            }
            Opt::TunNocsum => self.tun_flags = consts::IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
            Opt::TunCsum => self.tun_flags = consts::IP_VS_TUNNEL_ENCAP_FLAG_CSUM,
            Opt::TunRemcsum => self.tun_flags = consts::IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM,
            Opt::McastInterface => {
                self.mcast_ifn = values::truncate(v, consts::IP_VS_IFNAME_MAXLEN - 1);
            }
            Opt::Syncid => self.syncid = int(0, 255, "illegal syncid specified")? as u32,
            Opt::SyncMaxlen => {
                self.sync_maxlen = Some(int(1, 65507, "illegal sync-maxlen specified")? as u16);
            }
            Opt::McastGroup => {
                self.mcast_group = Some(values::parse_mcast_group(v).map_err(CliError::invalid)?);
            }
            Opt::McastPort => {
                self.mcast_port = Some(int(1, 65535, "illegal mcast-port specified")? as u16);
            }
            Opt::McastTtl => {
                self.mcast_ttl = Some(int(1, 255, "illegal mcast-ttl specified")? as u8);
            }
            // Flags that only mark their slot.
            _ => {}
        }
        Ok(())
    }

    fn family(&self) -> Family {
        match self.svc {
            Some(SvcSpec::Addr(_, ep)) => Family::of(&ep.addr),
            Some(SvcSpec::Fwmark(_)) if self.ipv6 => Family::Inet6,
            _ => Family::Inet,
        }
    }

    fn key(&self) -> Option<ServiceKey> {
        Some(match self.svc? {
            SvcSpec::Addr(protocol, ep) => ServiceKey::Addr {
                protocol,
                addr: ep.addr,
                port: ep.port.unwrap_or(0),
            },
            SvcSpec::Fwmark(mark) => ServiceKey::Fwmark {
                family: self.family(),
                mark,
            },
        })
    }

    /// The service sent for a command. Only `-A`/`-E` carry a scheduler.
    #[inline(always)]
    fn service(&self, sched_bits: u32) -> Option<Service> {
        let key = self.key()?;
        let add_edit = matches!(self.cmd, Command::AddService | Command::EditService);
        let scheduler = if !add_edit {
            String::new()
        } else if self.scheduler.is_empty() {
            "wlc".to_string()
        } else {
            self.scheduler.to_string()
        };
        let mut s = Service::with_scheduler(key, scheduler);
        s.pe_name = (!self.pe.is_empty()).then(|| self.pe.to_string());
        s.netmask = self.netmask.unwrap_or(full_netmask(key.family()));
        if let Some(t) = self.persistent {
            s.flags |= consts::IP_VS_SVC_F_PERSISTENT;
            s.timeout = t;
        }
        if self.ops {
            s.flags |= consts::IP_VS_SVC_F_ONEPACKET;
        }
        s.flags |= sched_bits;
        Some(s)
    }

    fn list_format(&self) -> ListFormat {
        let mode = if self.has(slot::STATS) {
            ListMode::Stats
        } else if self.has(slot::RATE) {
            ListMode::Rate
        } else if self.has(slot::THRESHOLDS) {
            ListMode::Thresholds
        } else if self.has(slot::PERSISTENT_CONN) {
            ListMode::PersistentConn
        } else if self.has(slot::TUN_INFO) {
            ListMode::TunInfo
        } else {
            ListMode::Default
        };
        ListFormat {
            numeric: self.has(slot::NUMERIC),
            exact: self.has(slot::EXACT),
            nosort: self.has(slot::NOSORT),
            persistent_conn: self.has(slot::PERSISTENT_CONN),
            mode,
        }
    }

    /// The real server for `-a`/`-e`, after the per-command checks (spec 8.1).
    #[inline(always)]
    fn dest_for_add_edit(&self, svc: &Service) -> Result<Dest, CliError> {
        let ep = self.real.expect("real server required by the matrix");
        let forward = self.forward.unwrap_or(Forward::Route);
        let vport = svc.key.port();
        let mut port = ep.port.unwrap_or(vport);
        if svc.key.fwmark().is_none() && matches!(forward, Forward::Route | Forward::Tunnel) {
            port = vport;
        }
        if Family::of(&ep.addr) != svc.key.family() && forward != Forward::Tunnel {
            return Err(CliError::invalid(
                "Different address family is allowed only for tunneling servers",
            ));
        }
        if self.given & TUNNEL_SLOTS != 0 && forward != Forward::Tunnel {
            return Err(CliError::invalid(
                "Tunnel options conflict with forward method",
            ));
        }
        let column = match self.tun_type {
            TunnelType::Gue => 1,
            TunnelType::Gre => 2,
            _ => 0,
        };
        matrix::check_tunnel(column, self.given).map_err(CliError::invalid)?;
        let mut d = Dest::new(ep.addr, port);
        d.forward = forward;
        d.weight = self.weight;
        d.u_threshold = self.u_threshold;
        d.l_threshold = self.l_threshold;
        d.tun_type = self.tun_type;
        d.tun_port = self.tun_port;
        d.tun_flags = self.tun_flags;
        Ok(d)
    }

    /// After the options: the scheduler flags, the legality checks, then [`Collected::build`].
    #[inline(always)]
    fn finish(
        &self,
        cmd: Command,
        timeouts: Timeouts,
        daemon_state: Option<DaemonState>,
    ) -> Result<Action, CliError> {
        let sched_bits = values::parse_sched_flags(self.sched_flags, self.scheduler)
            .map_err(CliError::invalid)?;
        matrix::check_command(cmd, self.given).map_err(CliError::invalid)?;
        self.build(cmd, sched_bits, timeouts, daemon_state)
    }

    /// The second stage: per-command checks and the action.
    #[inline(always)]
    fn build(
        &self,
        cmd: Command,
        sched_bits: u32,
        timeouts: Timeouts,
        daemon_state: Option<DaemonState>,
    ) -> Result<Action, CliError> {
        let svc = self.service(sched_bits);
        Ok(match cmd {
            Command::AddService | Command::EditService => {
                let s = svc.expect("service required by the matrix");
                if let ServiceKey::Addr { protocol, port, .. } = s.key {
                    if port == 0 && self.persistent.is_none() {
                        return Err(CliError::invalid(
                            "Zero port specified for non-persistent service",
                        ));
                    }
                    if self.ops && protocol != Protocol::Udp {
                        return Err(CliError::invalid(
                            "One-Packet Scheduling is only for UDP virtual services",
                        ));
                    }
                }
                if cmd == Command::AddService {
                    Action::AddService(s)
                } else {
                    Action::EditService(s)
                }
            }
            Command::DeleteService => {
                Action::DeleteService(svc.expect("service required by the matrix"))
            }
            Command::Flush => Action::Flush,
            Command::Restore => Action::Restore,
            Command::Save => Action::Save {
                numeric: self.has(slot::NUMERIC),
            },
            Command::AddServer | Command::EditServer => {
                let s = svc.expect("service required by the matrix");
                let d = self.dest_for_add_edit(&s)?;
                if cmd == Command::AddServer {
                    Action::AddDest(s, d)
                } else {
                    Action::EditDest(s, d)
                }
            }
            Command::DeleteServer => {
                let s = svc.expect("service required by the matrix");
                let ep = self.real.expect("real server required by the matrix");
                let d = Dest::new(ep.addr, ep.port.unwrap_or(s.key.port()));
                Action::DeleteDest(s, d)
            }
            Command::List => {
                let conflicting_mode =
                    self.has(slot::STATS) || self.has(slot::RATE) || self.has(slot::THRESHOLDS);
                let other_table =
                    self.has(slot::CONNECTION) || self.has(slot::TIMEOUT) || self.has(slot::DAEMON);
                let not_services = self.has(slot::TIMEOUT) || self.has(slot::DAEMON);
                if (other_table && conflicting_mode)
                    || (not_services && self.has(slot::PERSISTENT_CONN))
                {
                    return Err(CliError::invalid("options conflicts in the list command"));
                }
                let what = if self.has(slot::CONNECTION) {
                    ListWhat::Connections
                } else if let Some(key) = self.key() {
                    ListWhat::Service(key)
                } else if self.has(slot::TIMEOUT) {
                    ListWhat::Timeouts
                } else if self.has(slot::DAEMON) {
                    ListWhat::Daemons
                } else {
                    ListWhat::All
                };
                Action::List(ListRequest {
                    what,
                    format: self.list_format(),
                })
            }
            Command::Zero => Action::Zero(svc.filter(|s| !zeroes_everything(&s.key))),
            Command::Set => Action::SetTimeouts(timeouts),
            Command::StartDaemon => {
                let state = daemon_state.expect("daemon state parsed with the command");
                let ifn = if self.mcast_ifn.is_empty() {
                    "eth0"
                } else {
                    self.mcast_ifn
                };
                let mut d = Daemon::new(state, ifn, self.syncid);
                d.sync_maxlen = self.sync_maxlen;
                d.mcast_group = self.mcast_group;
                d.mcast_port = self.mcast_port;
                d.mcast_ttl = self.mcast_ttl;
                Action::StartDaemon(d)
            }
            Command::StopDaemon => {
                let state = daemon_state.expect("daemon state parsed with the command");
                Action::StopDaemon(Daemon::new(state, "", 0))
            }
        })
    }
}

/// `-Z` with a service whose address and port are all zero zeroes everything, like no
/// service at all.
fn zeroes_everything(key: &ServiceKey) -> bool {
    match key {
        ServiceKey::Addr { addr, port, .. } => *port == 0 && addr.is_unspecified(),
        ServiceKey::Fwmark { .. } => false,
    }
}

/// Every option spelling the parser accepts (`-A`, `--add-service`, ...), in catalogue
/// order: what completions and the manual must offer.
pub fn option_spellings() -> Vec<String> {
    let mut out = Vec::new();
    for spec in popt::OPTIONS {
        if let Some(c) = spec.short {
            out.push(format!("-{c}"));
        }
        let long = format!("--{}", spec.long);
        if !out.contains(&long) {
            out.push(long);
        }
    }
    out
}
