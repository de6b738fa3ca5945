//! Metrics for Prometheus (`ipvsadm --metrics`, `ipvsadm-exporter`): the service table, its
//! 64-bit counters and the kernel's rates, per virtual service and per real server, the
//! namespace's totals, and the sync daemons, encoded by the Prometheus project's client
//! library (`prometheus-client`) in either of its text formats.
//!
//! Value series carry only identity labels: the service (`family`, then `protocol`,
//! `address`, `port`, or `fwmark`), the real server (`server_address`, `server_port`), and
//! `netns` when an exporter watches named namespaces. Settings that change rarely
//! (scheduler, flags, forwarding method, tunnel) are the labels of one `_info` series per
//! service and per real server, to be joined in queries, so a change of scheduler does not
//! start new counter series.
//!
//! One namespace's exposition is streamed ([`stream`]): handed out in pieces as it is
//! encoded, never whole in memory. Several namespaces' are built one namespace at a time
//! ([`Exposition::add`]): each table is encoded family by family into that family's block
//! and dropped before the next namespace is read, so at most one table is in memory, and
//! every family still comes out as one group, as both formats require.

use std::fmt::{self, Write as _};
use std::net::IpAddr;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabel, EncodeLabelSet, EncodeLabelValue, EncodeMetric,
    LabelSetEncoder, LabelValueEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use linux_ipvs::{Daemon, Dest, Family, Protocol, Service, ServiceKey, Stats};

use super::Snapshot;
use super::json::{forward_word, service_flags, tunnel_flags, tunnel_word};
use super::sort::sort_snapshot;
use crate::vocab;

/// The prefix of every metric name.
pub const PREFIX: &str = "ipvs";

/// The text format of an exposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4: what every Prometheus server, `promtool
    /// check metrics` and node_exporter's textfile collector read.
    #[default]
    Prometheus,
    /// OpenMetrics text 1.0.0 (units declared, `# EOF` at the end).
    OpenMetrics,
}

impl Format {
    /// The HTTP `Content-Type` of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

impl From<bool> for Format {
    /// `--openmetrics` given or not.
    fn from(openmetrics: bool) -> Format {
        if openmetrics {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }
}

/// What one network namespace's IPVS holds at one moment: the service table (with the
/// version), the sync daemons, and the kernel's totals for the namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The services with their real servers, and the version.
    pub snapshot: Snapshot,
    /// The running sync daemons.
    pub daemons: Vec<Daemon>,
    /// The namespace's totals (`/proc/net/ip_vs_stats`).
    pub totals: Stats,
}

/// A counter or rate of [`Stats`].
#[derive(Debug, Clone, Copy)]
enum Field {
    Conns,
    InPkts,
    OutPkts,
    InBytes,
    OutBytes,
    Cps,
    InPps,
    OutPps,
    InBps,
    OutBps,
}

impl Field {
    /// Whether this is one of the kernel's per-second estimates (not a counter).
    fn is_rate(self) -> bool {
        matches!(
            self,
            Field::Cps | Field::InPps | Field::OutPps | Field::InBps | Field::OutBps
        )
    }

    fn of(self, s: &Stats) -> u64 {
        match self {
            Field::Conns => s.conns,
            Field::InPkts => s.inpkts,
            Field::OutPkts => s.outpkts,
            Field::InBytes => s.inbytes,
            Field::OutBytes => s.outbytes,
            Field::Cps => s.cps,
            Field::InPps => s.inpps,
            Field::OutPps => s.outpps,
            Field::InBps => s.inbps,
            Field::OutBps => s.outbps,
        }
    }
}

/// A value of a real server that is not in its [`Stats`].
#[derive(Debug, Clone, Copy)]
enum ServerValue {
    Active,
    Inactive,
    Persistent,
    Weight,
}

/// Where a family's samples come from.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// Whether the namespace could be read (exporter only).
    Up,
    /// The IPVS version, as a label.
    Version,
    /// The size of the connection hash table.
    ConnTableSize,
    /// The namespace's totals.
    Totals(Field),
    /// Per virtual service.
    Service(Field),
    /// Per virtual service: its settings as labels.
    ServiceInfo,
    /// Per real server.
    Server(Field),
    /// Per real server: connection counts and weight.
    ServerValue(ServerValue),
    /// Per real server: its settings as labels.
    ServerInfo,
    /// Per sync daemon role: whether it runs.
    DaemonRunning,
    /// Per running sync daemon: its settings as labels.
    DaemonInfo,
}

/// One metric family: its name (without the prefix and the unit), help, unit and type.
#[derive(Debug)]
struct FamilyDef {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    kind: MetricType,
    source: Source,
}

const fn family(
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    kind: MetricType,
    source: Source,
) -> FamilyDef {
    FamilyDef {
        name,
        help,
        unit,
        kind,
        source,
    }
}

use MetricType::{Counter as C, Gauge as G, Info as I};

const BYTES: Option<Unit> = Some(Unit::Bytes);

/// Every family, in the order of the exposition.
#[rustfmt::skip]
static FAMILIES: &[FamilyDef] = &[
    family("up", "Whether IPVS could be read in the network namespace (1) or not (0).", None, G, Source::Up),
    family("version", "The kernel's IPVS version.", None, I, Source::Version),
    family("connection_table_size", "Buckets of the kernel's IPVS connection hash table.", None, G, Source::ConnTableSize),
    family("connections", "Connections scheduled by IPVS in the network namespace.", None, C, Source::Totals(Field::Conns)),
    family("incoming_packets", "Packets from clients through IPVS in the network namespace.", None, C, Source::Totals(Field::InPkts)),
    family("outgoing_packets", "Packets to clients through IPVS in the network namespace.", None, C, Source::Totals(Field::OutPkts)),
    family("incoming", "Bytes from clients through IPVS in the network namespace.", BYTES, C, Source::Totals(Field::InBytes)),
    family("outgoing", "Bytes to clients through IPVS in the network namespace.", BYTES, C, Source::Totals(Field::OutBytes)),
    family("connections_per_second", "The kernel's estimate of new connections per second in the network namespace.", None, G, Source::Totals(Field::Cps)),
    family("incoming_packets_per_second", "The kernel's estimate of packets per second from clients in the network namespace.", None, G, Source::Totals(Field::InPps)),
    family("outgoing_packets_per_second", "The kernel's estimate of packets per second to clients in the network namespace.", None, G, Source::Totals(Field::OutPps)),
    family("incoming_bytes_per_second", "The kernel's estimate of bytes per second from clients in the network namespace.", None, G, Source::Totals(Field::InBps)),
    family("outgoing_bytes_per_second", "The kernel's estimate of bytes per second to clients in the network namespace.", None, G, Source::Totals(Field::OutBps)),
    family("service", "A virtual service's settings: scheduler, flags, persistence engine.", None, I, Source::ServiceInfo),
    family("service_connections", "Connections scheduled by the virtual service.", None, C, Source::Service(Field::Conns)),
    family("service_incoming_packets", "Packets from clients to the virtual service.", None, C, Source::Service(Field::InPkts)),
    family("service_outgoing_packets", "Packets to clients from the virtual service.", None, C, Source::Service(Field::OutPkts)),
    family("service_incoming", "Bytes from clients to the virtual service.", BYTES, C, Source::Service(Field::InBytes)),
    family("service_outgoing", "Bytes to clients from the virtual service.", BYTES, C, Source::Service(Field::OutBytes)),
    family("service_connections_per_second", "The kernel's estimate of new connections per second to the virtual service.", None, G, Source::Service(Field::Cps)),
    family("service_incoming_packets_per_second", "The kernel's estimate of packets per second from clients to the virtual service.", None, G, Source::Service(Field::InPps)),
    family("service_outgoing_packets_per_second", "The kernel's estimate of packets per second to clients from the virtual service.", None, G, Source::Service(Field::OutPps)),
    family("service_incoming_bytes_per_second", "The kernel's estimate of bytes per second from clients to the virtual service.", None, G, Source::Service(Field::InBps)),
    family("service_outgoing_bytes_per_second", "The kernel's estimate of bytes per second to clients from the virtual service.", None, G, Source::Service(Field::OutBps)),
    family("server", "A real server's settings: forwarding method and tunnel.", None, I, Source::ServerInfo),
    family("server_weight", "The real server's scheduling weight.", None, G, Source::ServerValue(ServerValue::Weight)),
    family("server_active_connections", "Active connections to the real server.", None, G, Source::ServerValue(ServerValue::Active)),
    family("server_inactive_connections", "Inactive connections to the real server.", None, G, Source::ServerValue(ServerValue::Inactive)),
    family("server_persistent_connections", "Persistence templates pointing to the real server.", None, G, Source::ServerValue(ServerValue::Persistent)),
    family("server_connections", "Connections scheduled to the real server.", None, C, Source::Server(Field::Conns)),
    family("server_incoming_packets", "Packets from clients forwarded to the real server.", None, C, Source::Server(Field::InPkts)),
    family("server_outgoing_packets", "Packets from the real server to clients.", None, C, Source::Server(Field::OutPkts)),
    family("server_incoming", "Bytes from clients forwarded to the real server.", BYTES, C, Source::Server(Field::InBytes)),
    family("server_outgoing", "Bytes from the real server to clients.", BYTES, C, Source::Server(Field::OutBytes)),
    family("server_connections_per_second", "The kernel's estimate of new connections per second to the real server.", None, G, Source::Server(Field::Cps)),
    family("server_incoming_packets_per_second", "The kernel's estimate of packets per second from clients to the real server.", None, G, Source::Server(Field::InPps)),
    family("server_outgoing_packets_per_second", "The kernel's estimate of packets per second from the real server to clients.", None, G, Source::Server(Field::OutPps)),
    family("server_incoming_bytes_per_second", "The kernel's estimate of bytes per second from clients to the real server.", None, G, Source::Server(Field::InBps)),
    family("server_outgoing_bytes_per_second", "The kernel's estimate of bytes per second from the real server to clients.", None, G, Source::Server(Field::OutBps)),
    family("sync_daemon_running", "Whether the connection synchronisation daemon of this role runs (1) or not (0).", None, G, Source::DaemonRunning),
    family("sync_daemon", "A running connection synchronisation daemon's settings.", None, I, Source::DaemonInfo),
];

/// A protocol as a label value: its name, or its number.
struct ProtocolLabel(Protocol);

impl EncodeLabelValue for ProtocolLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), fmt::Error> {
        match self.0.name() {
            Some(name) => EncodeLabelValue::encode(&name, encoder),
            None => EncodeLabelValue::encode(&self.0.raw(), encoder),
        }
    }
}

fn family_word(f: Family) -> &'static str {
    match f {
        Family::Inet => "inet",
        Family::Inet6 => "inet6",
    }
}

/// The identity labels of a series: the namespace (exporter), the service (with its address
/// as text), the real server (its address as text, its port).
struct Ids<'a> {
    netns: Option<&'a str>,
    service: Option<(&'a ServiceKey, &'a str)>,
    server: Option<(&'a str, u16)>,
}

impl EncodeLabelSet for Ids<'_> {
    fn encode(&self, enc: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        if let Some(ns) = self.netns {
            ("netns", ns).encode(enc.encode_label())?;
        }
        if let Some((key, address)) = self.service {
            ("family", family_word(key.family())).encode(enc.encode_label())?;
            match key {
                ServiceKey::Addr { protocol, port, .. } => {
                    ("protocol", ProtocolLabel(*protocol)).encode(enc.encode_label())?;
                    ("address", address).encode(enc.encode_label())?;
                    ("port", *port).encode(enc.encode_label())?;
                }
                ServiceKey::Fwmark { mark, .. } => {
                    ("fwmark", *mark).encode(enc.encode_label())?;
                }
            }
        }
        if let Some((address, port)) = self.server {
            ("server_address", address).encode(enc.encode_label())?;
            ("server_port", port).encode(enc.encode_label())?;
        }
        Ok(())
    }
}

/// Labels of an `_info` series: name and value pairs, empty values left out.
struct Settings<'a>(&'a [(&'static str, &'a str)]);

impl EncodeLabelSet for Settings<'_> {
    fn encode(&self, enc: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        for (name, value) in self.0 {
            if !value.is_empty() {
                (*name, *value).encode(enc.encode_label())?;
            }
        }
        Ok(())
    }
}

/// Two label sets, one after the other.
struct Both<'a>(Ids<'a>, Settings<'a>);

impl EncodeLabelSet for Both<'_> {
    fn encode(&self, enc: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        self.0.encode(enc)?;
        self.1.encode(enc)
    }
}

/// A table ready to encode: sorted as listings sort it, with every address written out
/// once (each appears in some twenty series).
#[derive(Debug)]
struct Prepared {
    table: Table,
    /// The addresses, one after the other: each service's, then its real servers'.
    text: String,
    /// Where each address ends in `text`, in that order.
    ends: Vec<u32>,
    /// The position in `ends` of each service's address.
    firsts: Vec<u32>,
}

impl Prepared {
    fn new(mut table: Table) -> Prepared {
        sort_snapshot(&mut table.snapshot);
        let mut text = String::new();
        let mut ends = Vec::new();
        let mut firsts = Vec::new();
        let add = |text: &mut String, ends: &mut Vec<u32>, a: Option<&IpAddr>| {
            if let Some(a) = a {
                write!(text, "{a}").expect("a String takes it");
            }
            ends.push(text.len() as u32);
        };
        for (svc, dests) in &table.snapshot.services {
            firsts.push(ends.len() as u32);
            let addr = match &svc.key {
                ServiceKey::Addr { addr, .. } => Some(addr),
                ServiceKey::Fwmark { .. } => None,
            };
            add(&mut text, &mut ends, addr);
            for d in dests {
                add(&mut text, &mut ends, Some(&d.addr));
            }
        }
        Prepared {
            table,
            text,
            ends,
            firsts,
        }
    }

    fn addr(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Each service, with its address.
    fn services(&self) -> impl Iterator<Item = (&Service, &str)> {
        self.table
            .snapshot
            .services
            .iter()
            .zip(&self.firsts)
            .map(|((svc, _), &i)| (svc, self.addr(i as usize)))
    }

    /// Each real server with its service, and both addresses.
    fn servers(&self) -> impl Iterator<Item = ((&Service, &str), (&Dest, &str))> {
        self.table
            .snapshot
            .services
            .iter()
            .zip(&self.firsts)
            .flat_map(move |((svc, dests), &i)| {
                let i = i as usize;
                dests
                    .iter()
                    .enumerate()
                    .map(move |(k, d)| ((svc, self.addr(i)), (d, self.addr(i + 1 + k))))
            })
    }
}

/// Encodes one family of one namespace's reading (its descriptor, then its samples).
#[derive(Debug)]
struct FamilyCollector {
    family: &'static FamilyDef,
    netns: Option<String>,
    /// `None`: the namespace could not be read.
    table: Option<Arc<Prepared>>,
}

impl FamilyCollector {
    fn ids<'a>(
        &'a self,
        service: Option<(&'a Service, &'a str)>,
        server: Option<(&'a Dest, &'a str)>,
    ) -> Ids<'a> {
        Ids {
            netns: self.netns.as_deref(),
            service: service.map(|(s, a)| (&s.key, a)),
            server: server.map(|(d, a)| (a, d.port)),
        }
    }
}

fn value(kind: MetricType, v: u64, enc: prometheus_client::encoding::MetricEncoder) -> fmt::Result {
    if kind == MetricType::Counter {
        ConstCounter::new(v).encode(enc)
    } else {
        ConstGauge::new(v).encode(enc)
    }
}

impl Collector for FamilyCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let f = self.family;
        let mut m = encoder.encode_descriptor(f.name, f.help, f.unit.as_ref(), f.kind)?;
        let Some(p) = self.table.as_deref() else {
            if let Source::Up = f.source {
                ConstGauge::new(0i64).encode(m.encode_family(&self.ids(None, None))?)?;
            }
            return Ok(());
        };
        let t = &p.table;
        match f.source {
            Source::Up => ConstGauge::new(1i64).encode(m.encode_family(&self.ids(None, None))?)?,
            Source::Version => {
                let (major, minor, patch) = t.snapshot.info.version();
                let version = format!("{major}.{minor}.{patch}");
                m.encode_family(&self.ids(None, None))?
                    .encode_info(&Settings(&[("version", &version)]))?;
            }
            Source::ConnTableSize => ConstGauge::new(i64::from(t.snapshot.info.conn_tab_size))
                .encode(m.encode_family(&self.ids(None, None))?)?,
            Source::Totals(field) => value(
                f.kind,
                field.of(&t.totals),
                m.encode_family(&self.ids(None, None))?,
            )?,
            Source::Service(field) => {
                for svc in p.services() {
                    let stats = svc.0.stats.unwrap_or_default();
                    let ids = self.ids(Some(svc), None);
                    value(f.kind, field.of(&stats), m.encode_family(&ids)?)?;
                }
            }
            Source::ServiceInfo => {
                for (svc, addr) in p.services() {
                    let flags = service_flags(svc).join(",");
                    let scheduler = svc.scheduler.to_string();
                    let pe = svc.pe_name.map(|p| p.to_string()).unwrap_or_default();
                    let settings = [
                        ("scheduler", scheduler.as_str()),
                        ("flags", flags.as_str()),
                        ("persistence_engine", pe.as_str()),
                    ];
                    m.encode_family(&self.ids(Some((svc, addr)), None))?
                        .encode_info(&Settings(&settings))?;
                }
            }
            Source::Server(field) => {
                for (svc, server) in p.servers() {
                    let stats = server.0.stats.unwrap_or_default();
                    let ids = self.ids(Some(svc), Some(server));
                    value(f.kind, field.of(&stats), m.encode_family(&ids)?)?;
                }
            }
            Source::ServerValue(which) => {
                for (svc, server) in p.servers() {
                    let d = server.0;
                    let ids = self.ids(Some(svc), Some(server));
                    let v = match which {
                        ServerValue::Active => i64::from(d.active_conns),
                        ServerValue::Inactive => i64::from(d.inact_conns),
                        ServerValue::Persistent => i64::from(d.persist_conns),
                        ServerValue::Weight => i64::from(d.weight),
                    };
                    ConstGauge::new(v).encode(m.encode_family(&ids)?)?;
                }
            }
            Source::ServerInfo => {
                for (svc, server) in p.servers() {
                    {
                        let d = server.0;
                        let forward = forward_word(d.forward);
                        // The tunnel's settings mean something only for tunnelling.
                        let tunnel = d.forward == linux_ipvs::Forward::Tunnel;
                        let tun_type = if tunnel {
                            tunnel_word(d.tun_type)
                        } else {
                            String::new()
                        };
                        let tun_port = if tunnel && d.tun_port != 0 {
                            d.tun_port.to_string()
                        } else {
                            String::new()
                        };
                        let tun_flags = if tunnel {
                            tunnel_flags(d.tun_flags.bits()).join(",")
                        } else {
                            String::new()
                        };
                        let settings = [
                            ("forwarding_method", forward.as_str()),
                            ("tunnel_type", tun_type.as_str()),
                            ("tunnel_port", tun_port.as_str()),
                            ("tunnel_flags", tun_flags.as_str()),
                        ];
                        m.encode_family(&self.ids(Some(svc), Some(server)))?
                            .encode_info(&Settings(&settings))?;
                    }
                }
            }
            Source::DaemonRunning => {
                for (state, word) in vocab::DAEMON_STATES {
                    let running = t.daemons.iter().any(|d| d.state == state);
                    let ids = self.ids(None, None);
                    let role = [("role", word.word)];
                    let labels = Both(ids, Settings(&role));
                    ConstGauge::new(i64::from(running)).encode(m.encode_family(&labels)?)?;
                }
            }
            Source::DaemonInfo => {
                for d in &t.daemons {
                    let syncid = d.syncid.to_string();
                    let ifn = d.mcast_ifn.to_string();
                    let group = d.mcast_group.map(|g| g.to_string()).unwrap_or_default();
                    let port = d.mcast_port.map(|p| p.to_string()).unwrap_or_default();
                    let settings = [
                        ("role", vocab::daemon_state_word(d.state)),
                        ("interface", ifn.as_str()),
                        ("syncid", syncid.as_str()),
                        ("mcast_group", group.as_str()),
                        ("mcast_port", port.as_str()),
                    ];
                    m.encode_family(&self.ids(None, None))?
                        .encode_info(&Settings(&settings))?;
                }
            }
        }
        Ok(())
    }
}

/// Which families an exposition has, beyond those it always has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    /// The `up` family (the exporter's; a command fails instead).
    pub up: bool,
    /// The kernel's per-second estimates (15 families, which `rate()` of the counters
    /// gives as well): off unless asked for.
    pub rates: bool,
    /// The families per real server (10 series each, 15 with the rates).
    pub servers: bool,
}

impl Series {
    /// What the exporter and `--metrics` show unless told otherwise: no rates.
    pub const fn default_with(up: bool) -> Series {
        Series {
            up,
            rates: false,
            servers: true,
        }
    }

    fn has(self, family: &FamilyDef) -> bool {
        match family.source {
            Source::Up => self.up,
            Source::Totals(f) | Source::Service(f) => self.rates || !f.is_rate(),
            Source::Server(f) => self.servers && (self.rates || !f.is_rate()),
            Source::ServerValue(_) | Source::ServerInfo => self.servers,
            _ => true,
        }
    }
}

/// An exposition being built, one namespace's reading at a time: the text of each family,
/// its descriptor first.
#[derive(Debug)]
pub struct Exposition {
    format: Format,
    /// The families written.
    series: Series,
    blocks: Vec<String>,
    /// Where later namespaces' text is encoded before its descriptor is cut off.
    scratch: String,
}

impl Exposition {
    /// An empty exposition of the families `series` names.
    pub fn new(format: Format, series: Series) -> Exposition {
        Exposition {
            format,
            series,
            blocks: vec![String::new(); FAMILIES.len()],
            scratch: String::new(),
        }
    }

    /// Adds one namespace's reading (`None`: it could not be read); `netns` labels its
    /// series. The table is sorted as listings sort it, then encoded and dropped.
    pub fn add(&mut self, netns: Option<&str>, table: Option<Table>) -> Result<(), fmt::Error> {
        let table = table.map(|t| Arc::new(Prepared::new(t)));
        for (i, family) in families(self.series) {
            let registry = registry(family, netns, &table);
            let block = &mut self.blocks[i];
            if block.is_empty() {
                encode(self.format, block, &registry)?;
            } else {
                // The descriptor is there already: only the samples are added.
                self.scratch.clear();
                encode(self.format, &mut self.scratch, &registry)?;
                block.push_str(samples(&self.scratch));
            }
        }
        Ok(())
    }

    /// The exposition's text, in pieces to be written in order: the families, `extra`
    /// (whole families of another source, such as the exporter's own), the end marker.
    pub fn finish(mut self, extra: String) -> Vec<String> {
        self.blocks.push(extra);
        if self.format == Format::OpenMetrics {
            let mut eof = String::new();
            prometheus_client::encoding::text::encode_eof(&mut eof).expect("a String takes it");
            self.blocks.push(eof);
        }
        self.blocks.retain(|b| !b.is_empty());
        self.blocks
    }
}

/// The families of an exposition, with their positions.
fn families(series: Series) -> impl Iterator<Item = (usize, &'static FamilyDef)> {
    FAMILIES
        .iter()
        .enumerate()
        .filter(move |(_, f)| series.has(f))
}

/// A registry of one family of one namespace's reading.
fn registry(
    family: &'static FamilyDef,
    netns: Option<&str>,
    table: &Option<Arc<Prepared>>,
) -> Registry {
    let mut registry = Registry::with_prefix(PREFIX);
    registry.register_collector(Box::new(FamilyCollector {
        family,
        netns: netns.map(str::to_string),
        table: table.clone(),
    }));
    registry
}

/// The exposition of one namespace's reading (`None`: it could not be read), handed to
/// `sink` in pieces of some 64 KiB as it is encoded: the whole text is never in memory
/// (for one namespace the families need no gathering, unlike [`Exposition`]). The sink
/// returns whether it wants more: when it does not, encoding stops and this returns
/// [`fmt::Error`] (the text it had is incomplete). `extra` (whole families of another
/// source, such as the exporter's own) comes after the families, before the end marker.
pub fn stream(
    format: Format,
    series: Series,
    netns: Option<&str>,
    table: Option<Table>,
    extra: &str,
    sink: &mut dyn FnMut(String) -> bool,
) -> Result<(), fmt::Error> {
    let table = table.map(|t| Arc::new(Prepared::new(t)));
    let mut chunks = Chunks {
        text: String::with_capacity(CHUNK),
        sink,
    };
    for (_, family) in families(series) {
        encode(format, &mut chunks, &registry(family, netns, &table))?;
    }
    chunks.write_str(extra)?;
    if format == Format::OpenMetrics {
        prometheus_client::encoding::text::encode_eof(&mut chunks)?;
    }
    if !chunks.text.is_empty() && !(chunks.sink)(chunks.text) {
        return Err(fmt::Error);
    }
    Ok(())
}

/// The size of the pieces a stream hands out: small enough to be reused by the allocator
/// (no fresh pages for each), large enough to be few.
const CHUNK: usize = 64 * 1024;

/// Text in pieces of about [`CHUNK`] bytes, each handed to a sink when full; a sink that
/// wants no more makes the next write fail.
struct Chunks<'s> {
    text: String,
    sink: &'s mut dyn FnMut(String) -> bool,
}

impl fmt::Write for Chunks<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.text.push_str(s);
        if self.text.len() >= CHUNK - 4096 {
            let full = std::mem::replace(&mut self.text, String::with_capacity(CHUNK));
            if !(self.sink)(full) {
                return Err(fmt::Error);
            }
        }
        Ok(())
    }
}

/// Encodes a registry in a format (without OpenMetrics' end marker).
fn encode(
    format: Format,
    out: &mut impl fmt::Write,
    registry: &Registry,
) -> Result<(), fmt::Error> {
    match format {
        Format::Prometheus => prometheus_client::encoding::prometheus_text::encode(out, registry),
        Format::OpenMetrics => prometheus_client::encoding::text::encode_registry(out, registry),
    }
}

/// The samples of one encoded family: what follows its descriptor's comment lines.
fn samples(text: &str) -> &str {
    let mut rest = text;
    while rest.starts_with('#') {
        rest = rest.split_once('\n').map_or("", |(_, after)| after);
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_ipvs::flags::{IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_SCHED_SH_PORT};
    use linux_ipvs::{DaemonState, Forward, Info, Name, TunnelType};

    fn stats(base: u64) -> Stats {
        Stats::new(base, base + 1, base + 2, base + 3, base + 4).with_rates(
            base + 5,
            base + 6,
            base + 7,
            base + 8,
            base + 9,
        )
    }

    /// Two services (an address one with two real servers, an IPv6 fwmark one with one),
    /// counters past 32 bits, a master daemon.
    pub(crate) fn sample() -> Table {
        let mut tcp = Service::new(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "192.0.2.1".parse().unwrap(),
            port: 80,
        });
        tcp.scheduler = Name::truncated(b"sh");
        tcp.flags = linux_ipvs::ServiceFlags::from_bits_retain(
            IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED_SH_PORT,
        );
        tcp.stats = Some(stats(5_000_000_000));
        let mut masq = Dest::new("203.0.113.11".parse().unwrap(), 8080);
        masq.forward = Forward::Masq;
        masq.weight = 3;
        masq.active_conns = 7;
        masq.inact_conns = 2;
        masq.stats = Some(stats(1 << 33));
        let mut gue = Dest::new("2001:db8::5".parse().unwrap(), 80);
        gue.forward = Forward::Tunnel;
        gue.tun_type = TunnelType::Gue;
        gue.tun_port = 6080;
        gue.stats = Some(stats(10));
        let mut mark = Service::new(ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 4_294_967_295,
        });
        mark.stats = Some(stats(0));
        let route = Dest::new("2001:db8::9".parse().unwrap(), 0);
        Table {
            snapshot: Snapshot {
                info: Info::new(0x010201, 4096),
                services: vec![(mark, vec![route]), (tcp, vec![masq, gue])],
            },
            daemons: vec![Daemon::new(
                DaemonState::Master,
                Name::truncated(b"eth0"),
                9,
            )],
            totals: stats(u64::MAX - 9),
        }
    }

    /// Every family (`up` when asked for).
    fn all(up: bool) -> Series {
        Series {
            up,
            rates: true,
            servers: true,
        }
    }

    fn text(format: Format, readings: Vec<(Option<&str>, Option<Table>)>, up: bool) -> String {
        let mut e = Exposition::new(format, all(up));
        for (ns, t) in readings {
            e.add(ns, t).unwrap();
        }
        e.finish(String::new()).concat()
    }

    #[test]
    fn prometheus_text_of_a_table() {
        let out = text(Format::Prometheus, vec![(None, Some(sample()))], false);
        for line in [
            "# HELP ipvs_service_connections_total Connections scheduled by the virtual service.",
            "# TYPE ipvs_service_connections_total counter",
            r#"ipvs_service_connections_total{family="inet",protocol="tcp",address="192.0.2.1",port="80"} 5000000000"#,
            r#"ipvs_service_connections_total{family="inet6",fwmark="4294967295"} 0"#,
            "# TYPE ipvs_server_incoming_bytes_total counter",
            r#"ipvs_server_incoming_bytes_total{family="inet",protocol="tcp",address="192.0.2.1",port="80",server_address="203.0.113.11",server_port="8080"} 8589934595"#,
            r#"ipvs_server_connections_total{family="inet",protocol="tcp",address="192.0.2.1",port="80",server_address="203.0.113.11",server_port="8080"} 8589934592"#,
            r#"ipvs_server_outgoing_bytes_per_second{family="inet",protocol="tcp",address="192.0.2.1",port="80",server_address="2001:db8::5",server_port="80"} 19"#,
            r#"ipvs_server_active_connections{family="inet",protocol="tcp",address="192.0.2.1",port="80",server_address="203.0.113.11",server_port="8080"} 7"#,
            r#"ipvs_server_weight{family="inet6",fwmark="4294967295",server_address="2001:db8::9",server_port="0"} 1"#,
            "# TYPE ipvs_service_info gauge",
            r#"ipvs_service_info{family="inet",protocol="tcp",address="192.0.2.1",port="80",scheduler="sh",flags="persistent,sh-port"} 1"#,
            r#"ipvs_service_info{family="inet6",fwmark="4294967295",scheduler="wlc"} 1"#,
            r#"ipvs_server_info{family="inet",protocol="tcp",address="192.0.2.1",port="80",server_address="2001:db8::5",server_port="80",forwarding_method="tunnel",tunnel_type="gue",tunnel_port="6080"} 1"#,
            r#"ipvs_server_info{family="inet",protocol="tcp",address="192.0.2.1",port="80",server_address="203.0.113.11",server_port="8080",forwarding_method="masq"} 1"#,
            "ipvs_connections_total 18446744073709551606",
            "ipvs_outgoing_bytes_per_second 18446744073709551615",
            r#"ipvs_version_info{version="1.2.1"} 1"#,
            "ipvs_connection_table_size 4096",
            r#"ipvs_sync_daemon_running{role="master"} 1"#,
            r#"ipvs_sync_daemon_running{role="backup"} 0"#,
            r#"ipvs_sync_daemon_info{role="master",interface="eth0",syncid="9"} 1"#,
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line}\n{out}");
        }
        // No `up` from a command, no namespace label, no end marker.
        assert!(!out.contains("ipvs_up") && !out.contains("netns") && !out.contains("EOF"));
        // Services in listing order: the address service before the fwmark one.
        let tcp = out
            .find(r#"ipvs_service_connections_total{family="inet","#)
            .unwrap();
        let mark = out
            .find(r#"ipvs_service_connections_total{family="inet6""#)
            .unwrap();
        assert!(tcp < mark);
    }

    #[test]
    fn a_stream_is_the_exposition_of_one_namespace() {
        for format in [Format::Prometheus, Format::OpenMetrics] {
            for (ns, table, up) in [
                (None, Some(sample()), false),
                (Some("blue"), Some(sample()), true),
                (Some("gone"), None, true),
            ] {
                let whole = text(format, vec![(ns, table.clone())], up);
                let mut pieces = Vec::new();
                stream(format, all(up), ns, table, "", &mut |p| {
                    pieces.push(p);
                    true
                })
                .unwrap();
                assert_eq!(pieces.concat(), whole);
                assert!(pieces.iter().all(|p| !p.is_empty() && p.len() <= CHUNK));
            }
        }
    }

    /// Without rates, the 15 families of per-second estimates are left out and nothing
    /// else; without servers, every family per real server; the values stay the same.
    #[test]
    fn the_rates_and_the_servers_can_be_left_out() {
        let families = |series: Series| {
            let mut e = Exposition::new(Format::Prometheus, series);
            e.add(None, Some(sample())).unwrap();
            e.finish(String::new()).concat()
        };
        let everything = families(all(false));
        let no_rates = families(Series::default_with(false));
        let types = |t: &str| t.lines().filter(|l| l.starts_with("# TYPE")).count();
        assert_eq!(types(&everything) - types(&no_rates), 15);
        assert!(!no_rates.contains("_per_second"), "{no_rates}");
        let rest: Vec<&str> = everything
            .lines()
            .filter(|l| !l.contains("_per_second"))
            .collect();
        assert_eq!(rest, no_rates.lines().collect::<Vec<_>>());
        let no_servers = families(Series {
            servers: false,
            ..Series::default_with(false)
        });
        assert!(!no_servers.contains("ipvs_server"), "{no_servers}");
        assert!(no_servers.contains("ipvs_service_connections_total{"));
        // Series per real server: 15 with the rates, 10 without.
        let per_server = |t: &str| {
            t.lines()
                .filter(|l| {
                    l.starts_with("ipvs_server") && l.contains("server_address=\"203.0.113.11\"")
                })
                .count()
        };
        assert_eq!(per_server(&everything), 15);
        assert_eq!(per_server(&no_rates), 10);
    }

    /// A sink that wants no more stops the encoding at once.
    #[test]
    fn a_stream_stops_when_its_sink_wants_no_more() {
        let mut big = sample();
        let template = big.snapshot.services[0].clone();
        for i in 0..2000u16 {
            let mut s = template.clone();
            if let ServiceKey::Addr { port, .. } = &mut s.0.key {
                *port = 1000 + i;
            }
            big.snapshot.services.push(s);
        }
        let mut pieces = 0;
        let stopped = stream(
            Format::Prometheus,
            all(true),
            None,
            Some(big),
            "",
            &mut |_| {
                pieces += 1;
                false
            },
        );
        assert!(stopped.is_err());
        assert_eq!(pieces, 1);
    }

    #[test]
    fn openmetrics_text_declares_units_and_ends() {
        let out = text(Format::OpenMetrics, vec![(None, Some(sample()))], false);
        assert!(out.contains(
            "# TYPE ipvs_service_incoming_bytes counter\n# UNIT ipvs_service_incoming_bytes bytes\n"
        ));
        assert!(out.contains("# TYPE ipvs_service info\n"));
        assert!(out.contains(
            r#"ipvs_service_incoming_bytes_total{family="inet6",fwmark="4294967295"} 3"#
        ));
        assert!(out.ends_with("\n# EOF\n"), "{out}");
    }

    /// Every family is one group (its descriptor once, its samples together) whatever the
    /// number of namespaces, and every namespace has its `up`.
    #[test]
    fn namespaces_share_each_family() {
        for format in [Format::Prometheus, Format::OpenMetrics] {
            let out = text(
                format,
                vec![
                    (Some("blue"), Some(sample())),
                    (Some("gone"), None),
                    (Some("red"), Some(sample())),
                ],
                true,
            );
            let mut seen = std::collections::HashSet::new();
            let mut current = "";
            for line in out.lines() {
                if let Some(rest) = line.strip_prefix("# TYPE ") {
                    let name = rest.split(' ').next().unwrap();
                    assert!(seen.insert(name.to_string()), "{name} twice");
                    current = name;
                } else if !line.starts_with('#') {
                    assert!(line.starts_with(current), "{line} outside {current}");
                }
            }
            assert_eq!(seen.len(), FAMILIES.len());
            for (ns, up) in [("blue", 1), ("gone", 0), ("red", 1)] {
                assert!(
                    out.contains(&format!("ipvs_up{{netns=\"{ns}\"}} {up}\n")),
                    "{out}"
                );
            }
            let per_ns = |ns: &str| out.matches(&format!("{{netns=\"{ns}\",family=")).count();
            assert_eq!(per_ns("blue"), per_ns("red"));
            assert_eq!(per_ns("gone"), 0);
            assert!(per_ns("blue") > 0);
        }
    }
}
