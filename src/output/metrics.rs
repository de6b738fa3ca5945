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
//! An exposition is made as it is sent ([`Reading`], [`stream`]): from the tables read
//! (every watched namespace's), a piece of some 60 KiB at a time, never whole in memory,
//! and any number of times from one reading (the exporter's scrapes that share a read
//! each encode it at their own client's pace). Every family still comes out as one group,
//! as both formats require.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabel, EncodeLabelSet, EncodeMetric, LabelSetEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use linux_ipvs::{Daemon, Dest, Family, Service, ServiceKey, Stats};

use super::Snapshot;
use super::json::{service_flags, tunnel_flags, tunnel_word};
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

fn family_word(f: Family) -> &'static str {
    match f {
        Family::Inet => "inet",
        Family::Inet6 => "inet6",
    }
}

/// The identity label of a series of the whole namespace: the namespace (exporter).
struct Ids<'a> {
    netns: Option<&'a str>,
}

impl EncodeLabelSet for Ids<'_> {
    fn encode(&self, enc: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        if let Some(ns) = self.netns {
            ("netns", ns).encode(enc.encode_label())?;
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

/// Appends a label value as `prometheus-client` writes it: backslash, double quote and
/// newline escaped.
fn label_value(out: &mut String, s: &str) {
    if !s.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Appends `name="value"`, after a comma unless `out` ends the opening brace.
fn label(out: &mut String, name: &str, value: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push_str(name);
    out.push_str("=\"");
    label_value(out, value);
    out.push('"');
}

/// Appends a number as a label value.
fn label_num(out: &mut String, name: &str, value: u64) {
    label(out, name, itoa::Buffer::new().format(value));
}

/// An address as `IpAddr`'s `Display` writes it (IPv4 by hand: the same text, faster).
fn ip_text(out: &mut String, a: &std::net::IpAddr) {
    out.clear();
    match a {
        std::net::IpAddr::V4(v4) => {
            let mut number = itoa::Buffer::new();
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(number.format(octet));
            }
        }
        std::net::IpAddr::V6(_) => write!(out, "{a}").expect("a String takes it"),
    }
}

/// A table ready to encode: sorted as listings sort it, with the identity labels of every
/// service and real server written out once (each appears in some ten to twenty series).
#[derive(Debug)]
struct Prepared {
    table: Table,
    /// The label text, one after the other: each service's (`family="inet",...`), then
    /// its real servers' (`server_address="...",server_port="..."`).
    text: String,
    /// Where each label text ends in `text`, in that order.
    ends: Vec<u32>,
    /// The position in `ends` of each service's labels.
    firsts: Vec<u32>,
    /// Each real server, as the positions of its service and of itself in the table.
    servers: Vec<(u32, u32)>,
}

impl Prepared {
    fn new(mut table: Table) -> Prepared {
        sort_snapshot(&mut table.snapshot);
        let mut text = String::from("{");
        let mut ends = Vec::new();
        let mut firsts = Vec::new();
        let mut address = String::new();
        // Ends a label text; the brace after it makes the next label the first of its own.
        let end = |text: &mut String, ends: &mut Vec<u32>| {
            ends.push(text.len() as u32);
            text.push('{');
        };
        for (svc, dests) in &table.snapshot.services {
            firsts.push(ends.len() as u32);
            label(&mut text, "family", family_word(svc.key.family()));
            match &svc.key {
                ServiceKey::Addr {
                    protocol,
                    addr,
                    port,
                } => {
                    match protocol.name() {
                        Some(name) => label(&mut text, "protocol", name),
                        None => label_num(&mut text, "protocol", protocol.raw().into()),
                    }
                    ip_text(&mut address, addr);
                    label(&mut text, "address", &address);
                    label_num(&mut text, "port", (*port).into());
                }
                ServiceKey::Fwmark { mark, .. } => label_num(&mut text, "fwmark", (*mark).into()),
            }
            end(&mut text, &mut ends);
            for d in dests {
                ip_text(&mut address, &d.addr);
                label(&mut text, "server_address", &address);
                label_num(&mut text, "server_port", d.port.into());
                end(&mut text, &mut ends);
            }
        }
        let servers = table
            .snapshot
            .services
            .iter()
            .enumerate()
            .flat_map(|(i, (_, dests))| (0..dests.len()).map(move |k| (i as u32, k as u32)))
            .collect();
        Prepared {
            table,
            text,
            ends,
            firsts,
            servers,
        }
    }

    /// The label text `i`, without its brace.
    fn labels(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start + 1..self.ends[i] as usize]
    }

    /// Service `i`, with its labels.
    fn service(&self, i: usize) -> (&Service, &str) {
        (
            &self.table.snapshot.services[i].0,
            self.labels(self.firsts[i] as usize),
        )
    }
}

/// Whether a family has samples per service or per real server (some 400,000 samples at
/// 10,000 services x 4 with every family): those are written here line by line
/// ([`Lines`]), each line from labels written once per service and real server; the
/// others, and every descriptor, are encoded by `prometheus-client`. The bytes are those
/// `prometheus-client` writes (the golden tests hold them to it).
fn per_table(family: &FamilyDef) -> bool {
    matches!(
        family.source,
        Source::Service(_)
            | Source::ServiceInfo
            | Source::Server(_)
            | Source::ServerValue(_)
            | Source::ServerInfo
    )
}

/// The sample lines of a family per service or per real server, written straight into
/// the piece being made.
struct Lines {
    format: Format,
    family: &'static FamilyDef,
    /// The metric's name, with its prefix, unit and suffix.
    name: String,
    /// What every counter or gauge line of the family starts with: the name, the brace,
    /// and the namespace's label and a comma when there is one.
    head: String,
    /// `netns="..."`, or nothing.
    netns: String,
    /// The settings' labels of an `_info` line, reused from line to line.
    settings: String,
    /// What a real server's settings' labels in `settings` were made of (forwarding method,
    /// tunnel type, port and flags), while they are a real server's: the next server with
    /// the same settings (most of them) takes the same labels.
    server_settings: Option<(u32, u8, u16, u16)>,
}

impl Lines {
    fn new(format: Format, family: &'static FamilyDef, netns: Option<&str>) -> Lines {
        let mut name = format!("{PREFIX}_{}", family.name);
        if let Some(unit) = &family.unit {
            name.push('_');
            name.push_str(unit.as_str());
        }
        name.push_str(match family.kind {
            MetricType::Counter => "_total",
            MetricType::Info => "_info",
            _ => "",
        });
        let mut ns = String::from("{");
        if let Some(n) = netns {
            label(&mut ns, "netns", n);
        }
        let mut head = format!("{name}{{");
        if netns.is_some() {
            head.push_str(&ns[1..]);
            head.push(',');
        }
        Lines {
            format,
            family,
            name,
            head,
            netns: ns[1..].to_string(),
            settings: String::new(),
            server_settings: None,
        }
    }

    /// Writes a line: the name, the label texts `parts` (empty ones left out) in braces
    /// (no braces without any), then ` ` and the value.
    fn line(out: &mut String, name: &str, parts: &[&str], value: &str) {
        out.push_str(name);
        let mut open = false;
        for part in parts.iter().filter(|p| !p.is_empty()) {
            out.push(if open { ',' } else { '{' });
            open = true;
            out.push_str(part);
        }
        if open {
            out.push('}');
        }
        out.push(' ');
        out.push_str(value);
        out.push('\n');
    }

    /// A counter or gauge line (a 64-bit counter, or a gauge's signed value) of a service
    /// (`server` empty) or of one of its real servers: the bytes [`Lines::line`] writes,
    /// from the family's head, in one reservation.
    fn value(&self, out: &mut String, svc: &str, server: &str, v: impl itoa::Integer) {
        let mut number = itoa::Buffer::new();
        let v = number.format(v);
        out.reserve(self.head.len() + svc.len() + server.len() + v.len() + 4);
        out.push_str(&self.head);
        out.push_str(svc);
        if !server.is_empty() {
            out.push(',');
            out.push_str(server);
        }
        out.push_str("} ");
        out.push_str(v);
        out.push('\n');
    }

    /// An `_info` line: the identity labels and the settings (empty ones left out), in the
    /// order each format's encoder writes them (OpenMetrics' writes an info's own labels
    /// before the family's).
    fn info(&mut self, out: &mut String, ids: [&str; 2], settings: &[(&str, &str)]) {
        self.server_settings = None;
        let set = &mut self.settings;
        set.clear();
        set.push('{');
        for (name, value) in settings {
            if !value.is_empty() {
                label(set, name, value);
            }
        }
        self.info_again(out, ids);
    }

    /// An `_info` line with the settings' labels of the line before.
    fn info_again(&self, out: &mut String, ids: [&str; 2]) {
        let set = &self.settings[1..];
        let parts = match self.format {
            Format::Prometheus => [&self.netns[..], ids[0], ids[1], set],
            Format::OpenMetrics => [set, &self.netns[..], ids[0], ids[1]],
        };
        Lines::line(out, &self.name, &parts, "1");
    }

    /// Writes the lines of `p` from its item `from` (service or real server) until `out`
    /// holds `limit` bytes; returns the next item to write, `None` when all are written.
    /// Real servers are taken in order, service by service, each service's labels looked
    /// up once.
    fn write_from(
        &mut self,
        out: &mut String,
        p: &Prepared,
        from: usize,
        limit: usize,
    ) -> Option<usize> {
        let per_server = matches!(
            self.family.source,
            Source::Server(_) | Source::ServerValue(_) | Source::ServerInfo
        );
        if !per_server {
            for item in from..p.table.snapshot.services.len() {
                if out.len() >= limit {
                    return Some(item);
                }
                let (svc, ids) = p.service(item);
                self.write_service(out, svc, ids);
            }
            return None;
        }
        let mut item = from;
        while let Some(&(i, k)) = p.servers.get(item) {
            let i = i as usize;
            let first = p.firsts[i] as usize;
            let svc = p.labels(first);
            for (k, d) in p.table.snapshot.services[i]
                .1
                .iter()
                .enumerate()
                .skip(k as usize)
            {
                if out.len() >= limit {
                    return Some(item);
                }
                self.write_server(out, svc, d, p.labels(first + 1 + k));
                item += 1;
            }
        }
        None
    }

    /// Writes the line of one service, `ids` its labels.
    fn write_service(&mut self, out: &mut String, svc: &Service, ids: &str) {
        match self.family.source {
            Source::Service(field) => {
                let v = svc.stats.as_ref().map_or(0, |s| field.of(s));
                self.value(out, ids, "", v);
            }
            Source::ServiceInfo => {
                let flags = service_flags(svc).join(",");
                let scheduler = String::from_utf8_lossy(svc.scheduler.as_bytes());
                let pe = svc
                    .pe_name
                    .as_ref()
                    .map(|p| String::from_utf8_lossy(p.as_bytes()))
                    .unwrap_or_default();
                let settings = [
                    ("scheduler", &scheduler[..]),
                    ("flags", flags.as_str()),
                    ("persistence_engine", &pe[..]),
                ];
                self.info(out, [ids, ""], &settings);
            }
            _ => unreachable!("a family per service"),
        }
    }

    /// Writes the line of one real server `d`: `svc` its service's labels, `server` its
    /// own.
    fn write_server(&mut self, out: &mut String, svc: &str, d: &Dest, server: &str) {
        match self.family.source {
            Source::Server(field) => {
                let v = d.stats.as_ref().map_or(0, |s| field.of(s));
                self.value(out, svc, server, v);
            }
            Source::ServerValue(which) => {
                let v = match which {
                    ServerValue::Active => i64::from(d.active_conns),
                    ServerValue::Inactive => i64::from(d.inact_conns),
                    ServerValue::Persistent => i64::from(d.persist_conns),
                    ServerValue::Weight => i64::from(d.weight),
                };
                self.value(out, svc, server, v);
            }
            Source::ServerInfo => {
                let mut number = itoa::Buffer::new();
                let made_of = (
                    d.forward.raw(),
                    d.tun_type.raw(),
                    d.tun_port,
                    d.tun_flags.bits(),
                );
                if self.server_settings == Some(made_of) {
                    self.info_again(out, [svc, server]);
                    return;
                }
                let forward = match vocab::forward_word(d.forward) {
                    Some(w) => std::borrow::Cow::Borrowed(w),
                    None => std::borrow::Cow::Owned(d.forward.raw().to_string()),
                };
                // The tunnel's settings mean something only for tunnelling.
                let tunnel = d.forward == linux_ipvs::Forward::Tunnel;
                let (tun_type, tun_flags) = if tunnel {
                    (
                        tunnel_word(d.tun_type),
                        tunnel_flags(d.tun_flags.bits()).join(","),
                    )
                } else {
                    (String::new(), String::new())
                };
                let tun_port = if tunnel && d.tun_port != 0 {
                    number.format(d.tun_port)
                } else {
                    ""
                };
                let settings = [
                    ("forwarding_method", forward.as_ref()),
                    ("tunnel_type", tun_type.as_str()),
                    ("tunnel_port", tun_port),
                    ("tunnel_flags", tun_flags.as_str()),
                ];
                self.info(out, [svc, server], &settings);
                self.server_settings = Some(made_of);
            }
            _ => unreachable!("a family per real server"),
        }
    }
}

/// Encodes a family of one namespace's reading that is not per service or real server
/// (its descriptor, then its samples); a family of those, its descriptor alone.
#[derive(Debug)]
struct FamilyCollector {
    family: &'static FamilyDef,
    netns: Option<String>,
    /// `None`: the namespace could not be read.
    table: Option<Arc<Prepared>>,
}

impl FamilyCollector {
    fn ids(&self) -> Ids<'_> {
        Ids {
            netns: self.netns.as_deref(),
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
                ConstGauge::new(0i64).encode(m.encode_family(&self.ids())?)?;
            }
            return Ok(());
        };
        let t = &p.table;
        match f.source {
            Source::Up => ConstGauge::new(1i64).encode(m.encode_family(&self.ids())?)?,
            Source::Version => {
                let (major, minor, patch) = t.snapshot.info.version();
                let version = format!("{major}.{minor}.{patch}");
                m.encode_family(&self.ids())?
                    .encode_info(&Settings(&[("version", &version)]))?;
            }
            Source::ConnTableSize => ConstGauge::new(i64::from(t.snapshot.info.conn_tab_size))
                .encode(m.encode_family(&self.ids())?)?,
            Source::Totals(field) => {
                value(f.kind, field.of(&t.totals), m.encode_family(&self.ids())?)?
            }
            Source::DaemonRunning => {
                for (state, word) in vocab::DAEMON_STATES {
                    let running = t.daemons.iter().any(|d| d.state == state);
                    let role = [("role", word.word)];
                    let labels = Both(self.ids(), Settings(&role));
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
                    m.encode_family(&self.ids())?
                        .encode_info(&Settings(&settings))?;
                }
            }
            // Written line by line (`Lines`): the descriptor alone here.
            Source::Service(_)
            | Source::ServiceInfo
            | Source::Server(_)
            | Source::ServerValue(_)
            | Source::ServerInfo => {}
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

/// The readings of one scrape (each watched namespace's table, or that it could not be
/// read), ready to be encoded into an exposition any number of times, each by a
/// [`Cursor`] of its own, a piece at a time: the text is made as it is sent, never whole.
/// Every family comes out as one group (its samples of every namespace together), as both
/// formats require.
#[derive(Debug)]
pub struct Reading {
    format: Format,
    /// The families written.
    series: Series,
    /// Each namespace's label and table (`None`: it could not be read), in order.
    spaces: Vec<(Option<String>, Option<Arc<Prepared>>)>,
    /// Whole families of another source (the exporter's own), after the others.
    extra: String,
}

/// Where an encoding of a [`Reading`] is: the family, whether its descriptor is written,
/// the namespace, and the service or real server next.
#[derive(Debug, Default, Clone)]
pub struct Cursor {
    family: usize,
    described: bool,
    space: usize,
    item: usize,
}

impl Reading {
    /// No namespace yet, the families `series` names.
    pub fn new(format: Format, series: Series) -> Reading {
        Reading {
            format,
            series,
            spaces: Vec::new(),
            extra: String::new(),
        }
    }

    /// Adds one namespace's reading (`None`: it could not be read); `netns` labels its
    /// series. The table is sorted as listings sort it and its labels written once.
    pub fn add(&mut self, netns: Option<&str>, table: Option<Table>) {
        self.spaces.push((
            netns.map(str::to_string),
            table.map(|t| Arc::new(Prepared::new(t))),
        ));
    }

    /// Sets whole families of another source, written after the others.
    pub fn set_extra(&mut self, extra: String) {
        self.extra = extra;
    }

    /// Appends the next piece of the exposition from `cursor` to `out` (some 60 KiB, less
    /// at the end); `false` when there was nothing left.
    pub fn next(&self, cursor: &mut Cursor, out: &mut String) -> bool {
        let start = out.len();
        let limit = start + CHUNK - 4096;
        out.reserve(CHUNK);
        let n = FAMILIES.len();
        let c = cursor;
        while out.len() < limit {
            if c.family > n + 1 {
                break;
            }
            if c.family == n {
                out.push_str(&self.extra);
                c.family += 1;
                continue;
            }
            if c.family == n + 1 {
                if self.format == Format::OpenMetrics {
                    prometheus_client::encoding::text::encode_eof(out).expect("a String takes it");
                }
                c.family += 1;
                continue;
            }
            let family = &FAMILIES[c.family];
            if !self.series.has(family) || c.space >= self.spaces.len() {
                *c = Cursor {
                    family: c.family + 1,
                    ..Cursor::default()
                };
                continue;
            }
            let (netns, table) = &self.spaces[c.space];
            let netns = netns.as_deref();
            if per_table(family) {
                if !c.described {
                    encode(self.format, out, &registry(family, None, None))
                        .expect("a String takes it");
                    c.described = true;
                }
                if let Some(p) = table {
                    let mut lines = Lines::new(self.format, family, netns);
                    if let Some(next) = lines.write_from(out, p, c.item, limit) {
                        c.item = next;
                        continue;
                    }
                }
            } else {
                let registry = registry(family, netns, table.as_ref());
                if c.described {
                    let mut text = String::new();
                    encode(self.format, &mut text, &registry).expect("a String takes it");
                    out.push_str(samples(&text));
                } else {
                    encode(self.format, out, &registry).expect("a String takes it");
                    c.described = true;
                }
            }
            c.space += 1;
            c.item = 0;
        }
        out.len() > start
    }

    /// The whole exposition, in pieces (for tests and small tables).
    pub fn pieces(&self) -> Vec<String> {
        let mut cursor = Cursor::default();
        let mut pieces = Vec::new();
        loop {
            let mut piece = String::new();
            if !self.next(&mut cursor, &mut piece) {
                return pieces;
            }
            pieces.push(piece);
        }
    }
}

/// A registry of one family of one namespace's reading.
fn registry(
    family: &'static FamilyDef,
    netns: Option<&str>,
    table: Option<&Arc<Prepared>>,
) -> Registry {
    let mut registry = Registry::with_prefix(PREFIX);
    registry.register_collector(Box::new(FamilyCollector {
        family,
        netns: netns.map(str::to_string),
        table: table.cloned(),
    }));
    registry
}

/// The exposition of one namespace's reading (`None`: it could not be read), handed to
/// `sink` in pieces of some 60 KiB as it is encoded: the whole text is never in memory.
/// The sink returns whether it wants more: when it does not, encoding stops and this
/// returns [`fmt::Error`] (the text it had is incomplete). `extra` (whole families of
/// another source, such as the exporter's own) comes after the families, before the end
/// marker.
pub fn stream(
    format: Format,
    series: Series,
    netns: Option<&str>,
    table: Option<Table>,
    extra: &str,
    sink: &mut dyn FnMut(String) -> bool,
) -> Result<(), fmt::Error> {
    let mut reading = Reading::new(format, series);
    reading.add(netns, table);
    reading.set_extra(extra.to_string());
    let mut cursor = Cursor::default();
    loop {
        let mut piece = String::with_capacity(CHUNK);
        if !reading.next(&mut cursor, &mut piece) {
            return Ok(());
        }
        if !sink(piece) {
            return Err(fmt::Error);
        }
    }
}

/// The size of the pieces an exposition is handed out in: small enough to be reused by
/// the allocator (no fresh pages for each), large enough to be few.
const CHUNK: usize = 64 * 1024;

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
    use linux_ipvs::{DaemonState, Forward, Info, Name, Protocol, TunnelType};

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
        let mut e = Reading::new(format, all(up));
        for (ns, t) in readings {
            e.add(ns, t);
        }
        e.pieces().concat()
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

    /// A table large enough for many pieces, services of 0 to 6 real servers: a piece
    /// ends inside a service's list again and again, and the next one resumes there. Each
    /// real server's weight line is there once, in the listing's order, with a namespace
    /// label (the line's head) and its own value.
    #[test]
    fn pieces_resume_inside_a_services_real_servers() {
        let mut services = Vec::new();
        let mut want = String::new();
        for i in 0..3_000u32 {
            let addr = std::net::Ipv4Addr::from(0xC612_0000 + i);
            let svc = Service::new(ServiceKey::Addr {
                protocol: linux_ipvs::Protocol::Tcp,
                addr: addr.into(),
                port: 80,
            });
            let mut dests = Vec::new();
            for k in 0..i % 7 {
                let mut d = Dest::new(std::net::Ipv4Addr::new(203, 0, 113, k as u8).into(), 8080);
                d.weight = (i * 7 + k) as i32;
                want.push_str(&format!(
                    "ipvs_server_weight{{netns=\"blue\",family=\"inet\",protocol=\"tcp\",\
                     address=\"{addr}\",port=\"80\",server_address=\"203.0.113.{k}\",\
                     server_port=\"8080\"}} {}\n",
                    d.weight
                ));
                dests.push(d);
            }
            services.push((svc, dests));
        }
        let table = Table {
            snapshot: Snapshot {
                info: Info::new(0x010201, 4096),
                services,
            },
            daemons: Vec::new(),
            totals: Stats::default(),
        };
        let mut e = Reading::new(Format::Prometheus, Series::default_with(false));
        e.add(Some("blue"), Some(table));
        let pieces = e.pieces();
        assert!(pieces.len() > 20, "{} pieces", pieces.len());
        let got: String = pieces
            .concat()
            .lines()
            .filter(|l| l.starts_with("ipvs_server_weight{"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(got, want);
    }

    /// Without rates, the 15 families of per-second estimates are left out and nothing
    /// else; without servers, every family per real server; the values stay the same.
    #[test]
    fn the_rates_and_the_servers_can_be_left_out() {
        let families = |series: Series| {
            let mut e = Reading::new(Format::Prometheus, series);
            e.add(None, Some(sample()));
            e.pieces().concat()
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

    /// [`sample`] with a service and a real server whose settings JSON and Prometheus
    /// escape (quotes, backslashes, newlines), and an unknown protocol.
    fn odd_sample() -> Table {
        let mut t = sample();
        let mut svc = Service::new(ServiceKey::Addr {
            protocol: Protocol::Other(99),
            addr: "2001:db8::7".parse().unwrap(),
            port: 0,
        });
        svc.scheduler = Name::truncated(b"we\"i\\rd\n");
        svc.pe_name = Some(Name::truncated(b"p\"e"));
        svc.flags = linux_ipvs::ServiceFlags::from_bits_retain(0x3f);
        svc.stats = Some(stats(77));
        let mut d = Dest::new("198.51.100.3".parse().unwrap(), 65535);
        d.forward = Forward::Other(9);
        d.weight = -3;
        d.tun_type = TunnelType::Other(7);
        d.tun_flags = linux_ipvs::TunnelFlags::from_bits_retain(0xffff);
        let mut tun = Dest::new("203.0.113.9".parse().unwrap(), 1);
        tun.forward = Forward::Tunnel;
        tun.tun_type = TunnelType::Other(7);
        tun.tun_flags = linux_ipvs::TunnelFlags::from_bits_retain(0x8003);
        t.snapshot.services.push((svc, vec![d, tun]));
        t.daemons.push(Daemon::new(
            DaemonState::Backup,
            Name::truncated(b"e\"th\\1"),
            u32::MAX,
        ));
        t
    }

    /// The expositions of the sample tables, byte for byte as `prometheus-client` encoded
    /// every family when it encoded the samples too (files under `testdata/`, made by that
    /// build; `METRICS_GOLDEN=write` writes them again), whether streamed or gathered: one
    /// namespace without labels, several with `up` and one unreadable, each format, each
    /// choice of series.
    #[test]
    fn expositions_are_byte_for_byte_the_golden_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/output/testdata");
        let write = std::env::var("METRICS_GOLDEN").as_deref() == Ok("write");
        let choices = [
            ("all", all(true)),
            ("default", Series::default_with(true)),
            (
                "no-servers",
                Series {
                    servers: false,
                    ..Series::default_with(true)
                },
            ),
        ];
        for format in [Format::Prometheus, Format::OpenMetrics] {
            for (choice, series) in choices {
                // Each case: a file name's part, and its namespaces (name, table read).
                type Namespaces<'a> = Vec<(Option<&'a str>, Option<Table>)>;
                let cases: [(&str, Namespaces); 2] = [
                    ("one", vec![(None, Some(odd_sample()))]),
                    (
                        "three",
                        vec![
                            (Some("blue"), Some(sample())),
                            (Some("gone\"\\"), None),
                            (Some("red"), Some(odd_sample())),
                        ],
                    ),
                ];
                for (case, readings) in cases {
                    let series = Series {
                        up: case == "three",
                        ..series
                    };
                    let mut e = Reading::new(format, series);
                    let single = readings.len() == 1;
                    let mut streamed = Vec::new();
                    for (ns, t) in readings {
                        if single {
                            stream(format, series, ns, t.clone(), "", &mut |p| {
                                streamed.push(p);
                                true
                            })
                            .unwrap();
                        }
                        e.add(ns, t);
                    }
                    let got = e.pieces().concat();
                    let name = format!("metrics-{format:?}-{choice}-{case}.txt").to_lowercase();
                    if write {
                        std::fs::create_dir_all(&dir).unwrap();
                        std::fs::write(dir.join(&name), &got).unwrap();
                    }
                    let want = std::fs::read_to_string(dir.join(&name)).unwrap();
                    assert_eq!(got, want, "{name}");
                    if single {
                        assert_eq!(streamed.concat(), want, "{name}, streamed");
                    }
                }
            }
        }
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
