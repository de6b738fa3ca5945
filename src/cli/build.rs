//! The last stage of the command line: from the collected arguments to the typed
//! [`Action`]. It reads `--set`'s positional words, checks the scheduler flags against the
//! scheduler, the options against the command (the legality table), then makes the
//! per-command checks and builds the service, real server, daemon or listing request, in a
//! fixed order whatever the order of the options was.

use linux_ipvs::{
    Change, Daemon, Dest, DestKey, Family, Forward, Name, Netmask, Protocol, Service, ServiceFlags,
    ServiceKey, Timeouts, TunnelFlags,
};

use super::catalogue::{Command, Opt, row_of};
use super::collect::{Collected, SvcSpec};
use super::legality::{self, bit};
use super::values;
use super::{Action, CliError, ListRequest, ListWhat};
use crate::output::{Json, ListFormat, ListMode};
use crate::vocab;

/// The bits of the tunnel options (`--tun-type` and those the tunnel table checks).
const TUNNEL_OPTIONS: u64 = {
    let opts = [
        Opt::TunType,
        Opt::TunPort,
        Opt::TunNocsum,
        Opt::TunCsum,
        Opt::TunRemcsum,
    ];
    let mut bits = 0;
    let mut i = 0;
    while i < opts.len() {
        if let Some(r) = row_of(opts[i]) {
            bits |= bit(r);
        }
        i += 1;
    }
    bits
};

/// Builds the action of a collected command line: its positional words, the scheduler
/// flags, the legality checks, then [`Collected::action`].
#[inline(always)]
pub(super) fn build(c: &Collected) -> Result<Action, CliError> {
    let mut positionals = c.positionals.iter().copied();
    let mut timeouts = Timeouts::default();
    if c.cmd == Command::Set {
        let (Some(a), Some(b), Some(u)) =
            (positionals.next(), positionals.next(), positionals.next())
        else {
            return Err(CliError::invalid("--set option requires 3 timeout values"));
        };
        let t = |s: &[u8]| {
            values::parse_range(s, 0, 2_678_400)
                .map(|v| v as u32)
                .ok_or_else(|| {
                    CliError::invalid_of(&[b"invalid timeout value `", s, b"' specified"])
                })
        };
        timeouts = Timeouts::new(t(a)?, t(b)?, t(u)?);
    }
    if let Some(extra) = positionals.next() {
        return Err(CliError::invalid_of(&[b"unexpected argument ", extra]));
    }
    c.finish(c.cmd, timeouts)
}

impl Collected<'_> {
    /// After the positional words: the scheduler flags, the legality checks, then
    /// [`Collected::action`]. `cmd` is the collected command, given apart so that a caller
    /// that knows it (restore's fast path) gets code specialised to it.
    #[inline(always)]
    pub(super) fn finish(&self, cmd: Command, timeouts: Timeouts) -> Result<Action, CliError> {
        debug_assert_eq!(cmd, self.cmd);
        let sched_bits = vocab::parse_sched_flags(self.sched_flags, self.scheduler)
            .map_err(CliError::invalid)?;
        legality::check_command(cmd, self.given).map_err(CliError::invalid)?;
        if self.has(Opt::Pretty) && !self.has(Opt::Json) {
            return Err(CliError::invalid("--pretty goes with --json"));
        }
        self.action(cmd, sched_bits, timeouts)
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
    fn service(&self, cmd: Command, sched_bits: u32) -> Option<Service> {
        let key = self.key()?;
        let add_edit = matches!(cmd, Command::AddService | Command::EditService);
        let scheduler = if !add_edit {
            Name::EMPTY
        } else if self.scheduler.is_empty() {
            Name::truncated(b"wlc")
        } else {
            Name::truncated(self.scheduler)
        };
        let mut s = Service::with_scheduler(key, scheduler);
        s.pe_name = (!self.pe.is_empty()).then(|| Name::truncated(self.pe));
        s.netmask = self
            .netmask
            .map_or(Netmask::full(key.family()), Netmask::from_raw);
        if let Some(t) = self.persistent {
            s.flags |= ServiceFlags::PERSISTENT;
            s.timeout = t;
        }
        if self.ops {
            s.flags |= ServiceFlags::ONEPACKET;
        }
        s.flags |= ServiceFlags::from_bits_retain(sched_bits);
        Some(s)
    }

    fn list_format(&self) -> ListFormat {
        let mode = if self.has(Opt::Stats) {
            ListMode::Stats
        } else if self.has(Opt::Rate) {
            ListMode::Rate
        } else if self.has(Opt::Thresholds) {
            ListMode::Thresholds
        } else if self.has(Opt::PersistentConn) {
            ListMode::PersistentConn
        } else if self.has(Opt::TunInfo) {
            ListMode::TunInfo
        } else {
            ListMode::Default
        };
        ListFormat {
            numeric: self.has(Opt::Numeric),
            exact: self.has(Opt::Exact),
            nosort: self.has(Opt::Nosort),
            persistent_conn: self.has(Opt::PersistentConn),
            mode,
            json: self.json(),
        }
    }

    /// `--json` and `--pretty`.
    fn json(&self) -> Json {
        match (self.has(Opt::Json), self.has(Opt::Pretty)) {
            (false, _) => Json::Off,
            (true, false) => Json::Compact,
            (true, true) => Json::Pretty,
        }
    }

    /// The real server for `-a`/`-e`, after the per-command checks: the port follows the
    /// virtual port for direct routing and tunnelling, a family of its own only for
    /// tunnelling, tunnel options only with tunnelling and as the tunnel type allows.
    #[inline(always)]
    fn dest_for_add_edit(&self, svc: &Service) -> Result<Dest, CliError> {
        let ep = self
            .real
            .expect("real server required by the legality table");
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
        if self.given & TUNNEL_OPTIONS != 0 && forward != Forward::Tunnel {
            return Err(CliError::invalid(
                "Tunnel options conflict with forward method",
            ));
        }
        legality::check_tunnel(vocab::tunnel_type_column(self.tun_type), self.given)
            .map_err(CliError::invalid)?;
        let mut d = Dest::new(ep.addr, port);
        d.forward = forward;
        d.weight = self.weight;
        d.u_threshold = self.u_threshold;
        d.l_threshold = self.l_threshold;
        d.tun_type = self.tun_type;
        d.tun_port = self.tun_port;
        d.tun_flags = TunnelFlags::from_bits_retain(self.tun_flags);
        Ok(d)
    }

    /// The per-command checks and the action. Each arm builds its action where it is
    /// returned (a change is some 400 bytes: building it aside would copy it).
    #[inline(always)]
    fn action(
        &self,
        cmd: Command,
        sched_bits: u32,
        timeouts: Timeouts,
    ) -> Result<Action, CliError> {
        let svc = self.service(cmd, sched_bits);
        let required = "service required by the legality table";
        let change = |c| Ok(Action::Change(c));
        match cmd {
            Command::AddService | Command::EditService => {
                let s = svc.expect(required);
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
                    change(Change::AddService(s))
                } else {
                    change(Change::EditService(s))
                }
            }
            Command::DeleteService => change(Change::DeleteService(svc.expect(required).key)),
            Command::Flush => change(Change::Flush),
            Command::AddServer | Command::EditServer => {
                let s = svc.expect(required);
                let d = self.dest_for_add_edit(&s)?;
                if cmd == Command::AddServer {
                    change(Change::AddDest(s.key, d))
                } else {
                    change(Change::EditDest(s.key, d))
                }
            }
            Command::DeleteServer => {
                let s = svc.expect(required);
                let ep = self
                    .real
                    .expect("real server required by the legality table");
                let d = DestKey {
                    addr: ep.addr,
                    port: ep.port.unwrap_or(s.key.port()),
                };
                change(Change::DeleteDest(s.key, d))
            }
            Command::Zero => change(Change::Zero(
                svc.map(|s| s.key).filter(|k| !zeroes_everything(k)),
            )),
            Command::Set => change(Change::SetTimeouts(timeouts)),
            Command::StartDaemon => {
                let state = self
                    .daemon_state
                    .expect("daemon state read with the command");
                let ifn = if self.mcast_ifn.is_empty() {
                    Name::truncated(b"eth0")
                } else {
                    Name::truncated(self.mcast_ifn)
                };
                let mut d = Daemon::new(state, ifn, self.syncid);
                d.sync_maxlen = self.sync_maxlen;
                d.mcast_group = self.mcast_group;
                d.mcast_port = self.mcast_port;
                d.mcast_ttl = self.mcast_ttl;
                change(Change::StartDaemon(d))
            }
            Command::StopDaemon => {
                let state = self
                    .daemon_state
                    .expect("daemon state read with the command");
                change(Change::StopDaemon(Daemon::new(state, Name::EMPTY, 0)))
            }
            Command::Restore => Ok(Action::Restore),
            Command::Save => Ok(Action::Save {
                numeric: self.has(Opt::Numeric),
                json: self.json(),
            }),
            Command::List => self.list().map(Action::List),
            Command::Metrics => Ok(Action::Metrics {
                openmetrics: self.has(Opt::OpenMetrics),
                rates: self.has(Opt::Rate),
            }),
        }
    }

    /// The listing request of `-L`, after its own checks.
    fn list(&self) -> Result<ListRequest, CliError> {
        let conflicting_mode =
            self.has(Opt::Stats) || self.has(Opt::Rate) || self.has(Opt::Thresholds);
        let other_table =
            self.has(Opt::Connection) || self.has(Opt::Timeout) || self.has(Opt::Daemon);
        let not_services = self.has(Opt::Timeout) || self.has(Opt::Daemon);
        if (other_table && conflicting_mode) || (not_services && self.has(Opt::PersistentConn)) {
            return Err(CliError::invalid("options conflicts in the list command"));
        }
        let what = if self.has(Opt::Connection) {
            ListWhat::Connections
        } else if let Some(key) = self.key() {
            ListWhat::Service(key)
        } else if self.has(Opt::Timeout) {
            ListWhat::Timeouts
        } else if self.has(Opt::Daemon) {
            ListWhat::Daemons
        } else {
            ListWhat::All
        };
        Ok(ListRequest {
            what,
            format: self.list_format(),
        })
    }
}

/// `-Z` with a service whose address and port are all zero zeroes every service, like no
/// service at all. (A fwmark service always has a mark: 0 is refused where it is read.)
fn zeroes_everything(key: &ServiceKey) -> bool {
    match key {
        ServiceKey::Addr { addr, port, .. } => *port == 0 && addr.is_unspecified(),
        ServiceKey::Fwmark { .. } => false,
    }
}
