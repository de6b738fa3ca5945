//! The second stage of the command line: from the tokenizer's events to the low-level
//! arguments ([`Collected`]). It finds the command (the first option), then takes the
//! options left to right: each may be given once, and its value is checked where it stands,
//! so errors come out in the reference's order. Values whose meaning depends on another
//! option (the protocol for `-r host:http`, the family for `-M`) look that option up
//! wherever it is on the line, so the order of the options after the command does not
//! change their meaning (deviation D6 in the README).
//!
//! Where the reference's behaviour is order-dependent or unspecified:
//! - `-6` must follow `-f`, as in the reference (`-6 used before -f` otherwise): the
//!   reference reports this one explicitly, so it is kept.
//! - `-M` is read with the family the service ends up with (its `-t`/`-u`/`--sctp-service`
//!   address, or `-f` plus `-6`), and its error is still reported where `-M` stands. A
//!   service address that does not parse counts as IPv4 for that purpose.
//! - `-r` uses the service's protocol for service names and, without a port, the virtual
//!   port, wherever the service is given; fwmark services look names up as TCP.

use std::net::IpAddr;

use linux_ipvs::flags as consts;
use linux_ipvs::{DaemonState, Family, Forward, Protocol, TunnelType};

use super::catalogue::{self, Command, Opt, Role, TABLE, def};
use super::tokenize::{Event, Tokens};
use super::values::{self, Endpoint};
use super::{Action, CliError, ErrorKind, VERSION_LINE, help_text};
use crate::names::Names;
use crate::vocab;

/// What the first stages found: an answer already (help, version), or the arguments of a
/// command for the last stage.
pub(super) enum Collection<'v> {
    /// `-h` or `-v`.
    Answer(Action),
    /// A command and its options.
    Command(Collected<'v>),
}

/// The virtual service as given.
#[derive(Debug, Clone, Copy)]
pub(super) enum SvcSpec {
    Addr(Protocol, Endpoint),
    Fwmark(u32),
}

/// The raw values of a command line, checked one by one but not yet against each other.
#[derive(Debug)]
pub(super) struct Collected<'v> {
    pub cmd: Command,
    /// The state word of `--start-daemon`/`--stop-daemon`.
    pub daemon_state: Option<DaemonState>,
    /// The positional words (only `--set` takes any).
    pub positionals: &'v [&'v [u8]],
    /// One bit per legality row given (`1 << rank`).
    pub given: u64,
    pub svc: Option<SvcSpec>,
    pub ipv6: bool,
    pub scheduler: &'v [u8],
    pub persistent: Option<u32>,
    pub netmask: Option<u32>,
    pub pe: &'v [u8],
    pub sched_flags: &'v [u8],
    pub ops: bool,
    pub real: Option<Endpoint>,
    pub forward: Option<Forward>,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub tun_type: TunnelType,
    pub tun_port: u16,
    pub tun_flags: u16,
    pub mcast_ifn: &'v [u8],
    pub syncid: u32,
    pub sync_maxlen: Option<u16>,
    pub mcast_group: Option<IpAddr>,
    pub mcast_port: Option<u16>,
    pub mcast_ttl: Option<u8>,
    /// `--netns`: the namespace to work in.
    pub netns: Option<&'v [u8]>,
}

/// The options after the one being taken, for values whose meaning depends on an option
/// that may come later.
pub(super) struct Later<'a> {
    pub events: &'a [Event<'a>],
}

impl Later<'_> {
    fn opts(&self) -> impl Iterator<Item = (Opt, Option<&[u8]>)> {
        self.events.iter().filter_map(|e| match e {
            Event::Opt { opt, value, .. } => Some((*opt, value.as_deref())),
            Event::Error { .. } => None,
        })
    }
}

/// The protocol of a service option (`-t`, `-u`, `--sctp-service`).
fn service_protocol(opt: Opt) -> Option<Protocol> {
    match opt {
        Opt::TcpService => Some(Protocol::Tcp),
        Opt::UdpService => Some(Protocol::Udp),
        Opt::SctpService => Some(Protocol::Sctp),
        _ => None,
    }
}

/// Finds the command and takes every option of a tokenized command line; `prog` is the
/// program name as invoked (for the "Try" message).
pub(super) fn collect<'v>(
    prog: &[u8],
    tokens: &'v Tokens<'v>,
    names: &dyn Names,
) -> Result<Collection<'v>, CliError> {
    let mut events = tokens.events.iter();
    let mut first = events.next();
    // `--netns` may come before the command, as `ip -n` does (the reference has no such
    // option, so no command line of its changes meaning).
    let leading = match first {
        Some(
            netns @ Event::Opt {
                opt: Opt::Netns, ..
            },
        ) => {
            first = events.next();
            Some(netns)
        }
        _ => None,
    };
    let Some(Event::Opt { opt, value, .. }) = first else {
        return Err(CliError::usage(prog));
    };
    let cmd = match def(*opt).role {
        Role::Command(cmd) => cmd,
        Role::Info if *opt == Opt::Help => {
            return Ok(Collection::Answer(Action::Help(help_text(prog))));
        }
        Role::Info => {
            return Ok(Collection::Answer(Action::Version(format!(
                "{VERSION_LINE}\n"
            ))));
        }
        _ => return Err(CliError::usage(prog)),
    };
    let mut c = Collected::new(cmd);
    if matches!(cmd, Command::StartDaemon | Command::StopDaemon) {
        c.daemon_state = match value.as_deref().and_then(vocab::parse_daemon_state) {
            Some(state) => Some(state),
            None if cmd == Command::StartDaemon => {
                return Err(CliError::invalid(
                    "illegal start-daemon parameter specified",
                ));
            }
            None => return Err(CliError::invalid("illegal start_daemon specified")),
        };
    }
    if let Some(Event::Opt { opt, value, token }) = leading {
        c.option(*opt, value.as_deref(), token, &Later { events: &[] }, names)?;
    }
    let rest: &[Event] = events.as_slice();
    for (i, ev) in rest.iter().enumerate() {
        match ev {
            Event::Error { error, token } => {
                return Err(CliError {
                    kind: ErrorKind::Popt,
                    message: [token, &b": "[..], error.text().as_bytes(), b"\n"].concat(),
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
    c.positionals = &tokens.positionals;
    Ok(Collection::Command(c))
}

impl<'v> Collected<'v> {
    /// Nothing given yet, for a command.
    pub fn new(cmd: Command) -> Collected<'v> {
        Collected {
            cmd,
            daemon_state: None,
            positionals: &[],
            given: 0,
            svc: None,
            ipv6: false,
            scheduler: b"",
            persistent: None,
            netmask: None,
            pe: b"",
            sched_flags: b"",
            ops: false,
            real: None,
            forward: None,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: TunnelType::Ipip,
            tun_port: 0,
            tun_flags: consts::IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM,
            mcast_ifn: b"",
            syncid: 0,
            sync_maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
            netns: None,
        }
    }

    /// Whether an option with a legality row was given.
    pub fn has(&self, opt: Opt) -> bool {
        catalogue::rank(opt).is_some_and(|r| self.given & (1 << r) != 0)
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
        let fwmark_family = || {
            if self.ipv6 || six_later() {
                Family::Inet6
            } else {
                Family::Inet
            }
        };
        match self.svc {
            Some(SvcSpec::Addr(_, ep)) => Family::of(&ep.addr),
            Some(SvcSpec::Fwmark(_)) => fwmark_family(),
            None => {
                let first = later
                    .opts()
                    .find(|(o, _)| *o == Opt::FwmarkService || service_protocol(*o).is_some());
                match first {
                    Some((Opt::FwmarkService, _)) => fwmark_family(),
                    Some((o, Some(v))) => values::parse_endpoint(v, service_protocol(o), names)
                        .map(|ep| Family::of(&ep.addr))
                        .unwrap_or(Family::Inet),
                    _ => Family::Inet,
                }
            }
        }
    }

    /// Takes one option after the command, checking its value. Inlined: restore's fast
    /// path calls it with a known option, which leaves only that option's arm.
    #[inline(always)]
    pub fn option(
        &mut self,
        opt: Opt,
        value: Option<&'v [u8]>,
        token: &[u8],
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
        let Some(rank) = catalogue::rank(opt) else {
            // A command or `-h`/`-v` after the command.
            return Err(CliError::invalid_of(&[b"invalid option `", token, b"'"]));
        };
        let bit = 1 << rank;
        if self.given & bit != 0 {
            return Err(CliError::invalid(format!(
                "multiple '{}' options specified",
                TABLE[usize::from(rank)].name
            )));
        }
        self.given |= bit;
        let v = value.unwrap_or(b"");
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
                    CliError::invalid_of(&[b"invalid fwmark value `", v, b"' specified"])
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
                        CliError::invalid_of(&[b"invalid timeout value `", v, b"' specified"])
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
                self.tun_type = vocab::parse_tunnel_type(v)
                    .ok_or_else(|| CliError::invalid("illegal tunnel type specified"))?;
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
            Opt::Netns => {
                if v.is_empty() {
                    return Err(CliError::invalid("illegal network namespace specified"));
                }
                self.netns = Some(v);
            }
            // Flags that only mark their row.
            _ => {}
        }
        Ok(())
    }
}
