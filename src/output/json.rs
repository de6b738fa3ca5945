//! JSON output (`--json`, `--pretty`) and input (`ipvsadm-restore --json`), in the iproute2
//! style: a top-level array of objects, numbers raw and exact (64-bit counters, never
//! scaled), addresses and names as strings, flags as arrays of words, one object per
//! service with its real servers nested. Every field is there whatever the listing mode
//! (the modes only choose the columns of the text); names (`host`, `service`) follow `-n`
//! as the text does, and are `null` when not looked up or not found.
//!
//! The documents are serde views of the library's model, made with the same vocabulary as
//! the text; `docs/ipvsadm.schema.json` describes them (version 1), and the tests validate
//! what they produce against it. Save (`-S --json`) writes the same document as the listing,
//! and restore reads it back (counters and names are ignored on input).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::compact;
use super::conn::{self, ConnError};
use super::sort::{dest_order, service_order};
use super::{Json, ListFormat, Snapshot};
use crate::names::Names;
use crate::vocab;
use linux_ipvs::flags::{IP_VS_SVC_F_HASHED, IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_PERSISTENT};
use linux_ipvs::{
    Daemon, Dest, Family, Forward, Name, Protocol, Service, ServiceFlags, ServiceKey, Stats,
    Timeouts, TunnelFlags, TunnelType,
};

/// The counters of a service or real server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub inpkts: u64,
    /// Packets out.
    pub outpkts: u64,
    /// Bytes in.
    pub inbytes: u64,
    /// Bytes out.
    pub outbytes: u64,
}

/// The kernel's rate estimates of a service or real server, per second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    /// Connections per second.
    pub cps: u64,
    /// Packets in per second.
    pub inpps: u64,
    /// Packets out per second.
    pub outpps: u64,
    /// Bytes in per second.
    pub inbps: u64,
    /// Bytes out per second.
    pub outbps: u64,
}

fn counters(s: &Stats) -> Counters {
    Counters {
        conns: s.conns,
        inpkts: s.inpkts,
        outpkts: s.outpkts,
        inbytes: s.inbytes,
        outbytes: s.outbytes,
    }
}

fn rates(s: &Stats) -> Rates {
    Rates {
        cps: s.cps,
        inpps: s.inpps,
        outpps: s.outpps,
        inbps: s.inbps,
        outbps: s.outbps,
    }
}

/// A persistence netmask: a dotted mask for IPv4, a prefix length for IPv6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Netmask {
    /// IPv4.
    Mask(String),
    /// IPv6.
    Prefix(u32),
}

/// A virtual service with its real servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonService {
    /// `inet` or `inet6`.
    pub family: String,
    /// `tcp`, `udp`, `sctp` (another protocol: its number); `null` for a fwmark service.
    pub protocol: Option<String>,
    /// The virtual address; `null` for a fwmark service.
    pub address: Option<String>,
    /// The virtual port (0: any); `null` for a fwmark service.
    pub port: Option<u16>,
    /// The firewall mark; `null` for an address service.
    pub fwmark: Option<u32>,
    /// The address's name, when names are looked up and it has one.
    #[serde(default)]
    pub host: Option<String>,
    /// The port's service name, when names are looked up and it has one.
    #[serde(default)]
    pub service: Option<String>,
    /// The scheduler.
    pub scheduler: String,
    /// `persistent`, `ops`, `hashed` and the scheduler flags (`sh-port`, `flag-1`, ...).
    pub flags: Vec<String>,
    /// The persistence timeout in seconds (kept by the kernel even without `persistent`).
    pub timeout: u32,
    /// The persistence granularity.
    pub netmask: Netmask,
    /// The persistence engine, if any.
    pub pe: Option<String>,
    /// Counters.
    #[serde(default)]
    pub stats: Counters,
    /// Rates.
    #[serde(default)]
    pub rates: Rates,
    /// The real servers.
    pub real_servers: Vec<JsonDest>,
}

/// A real server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonDest {
    /// Its address.
    pub address: String,
    /// Its port.
    pub port: u16,
    /// The address's name, when names are looked up and it has one.
    #[serde(default)]
    pub host: Option<String>,
    /// The port's service name, when names are looked up and it has one.
    #[serde(default)]
    pub service: Option<String>,
    /// `masq`, `local`, `tunnel` or `route` (another value: its number).
    pub forward: String,
    /// Its weight.
    pub weight: i32,
    /// Upper connection threshold (0: none).
    pub u_threshold: u32,
    /// Lower connection threshold (0: none).
    pub l_threshold: u32,
    /// `ipip`, `gue` or `gre` (another value: its number).
    pub tun_type: String,
    /// The GUE port.
    pub tun_port: u16,
    /// `csum`, `remcsum` (no checksum: empty).
    pub tun_flags: Vec<String>,
    /// Active connections.
    #[serde(default)]
    pub active_conns: u32,
    /// Inactive connections.
    #[serde(default)]
    pub inactive_conns: u32,
    /// Persistence templates.
    #[serde(default)]
    pub persistent_conns: u32,
    /// Counters.
    #[serde(default)]
    pub stats: Counters,
    /// Rates.
    #[serde(default)]
    pub rates: Rates,
}

/// The protocol timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonTimeouts {
    /// Established TCP, seconds.
    pub tcp: u32,
    /// TCP after a FIN, seconds.
    pub tcp_fin: u32,
    /// UDP, seconds.
    pub udp: u32,
}

/// A sync daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonDaemon {
    /// `master` or `backup`.
    pub state: String,
    /// The interface of its traffic.
    pub mcast_interface: String,
    /// Its sync id.
    pub syncid: u32,
    /// Its largest message, if known.
    pub sync_maxlen: Option<u16>,
    /// Its multicast group, if known.
    pub mcast_group: Option<String>,
    /// Its multicast port, if known.
    pub mcast_port: Option<u16>,
    /// Its multicast TTL, if known.
    pub mcast_ttl: Option<u8>,
}

/// An endpoint of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonEndpoint {
    /// The address.
    pub address: String,
    /// The port.
    pub port: u16,
    /// The address's name, when names are looked up and it has one.
    pub host: Option<String>,
    /// The port's service name, when names are looked up and it has one.
    pub service: Option<String>,
}

/// An entry of the connection table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonConn {
    /// `tcp`, `udp`, `sctp` (another protocol: as the kernel writes it).
    pub protocol: String,
    /// The client.
    pub client: JsonEndpoint,
    /// The virtual service.
    pub virtual_service: JsonEndpoint,
    /// The real server.
    pub destination: JsonEndpoint,
    /// The protocol state (`ESTABLISHED`, `NONE`, ...).
    pub state: String,
    /// Seconds until it expires.
    pub expires: u32,
    /// The persistence engine's name, if the entry has one.
    pub pe_name: Option<String>,
    /// The persistence engine's data, if the entry has one.
    pub pe_data: Option<String>,
}

/// Text of bytes (names from NSS need not be UTF-8).
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn family_word(f: Family) -> String {
    match f {
        Family::Inet => "inet".into(),
        Family::Inet6 => "inet6".into(),
    }
}

/// The protocol's word, or its number.
fn protocol_word(p: Protocol) -> String {
    p.name().map_or_else(|| p.raw().to_string(), str::to_string)
}

pub(crate) fn forward_word(f: Forward) -> String {
    vocab::forward_word(f).map_or_else(|| f.raw().to_string(), str::to_string)
}

/// The words of tunnel flag bits (a bit without a word: its value).
pub(crate) fn tunnel_flags(flags: u16) -> Vec<String> {
    (0..16)
        .map(|i| 1u16 << i)
        .filter(|bit| flags & bit != 0)
        .map(|bit| {
            vocab::TUNNEL_FLAG_WORDS
                .iter()
                .find(|(b, _)| *b == bit)
                .map_or_else(|| bit.to_string(), |(_, w)| w.to_string())
        })
        .collect()
}

pub(crate) fn tunnel_word(t: TunnelType) -> String {
    vocab::tunnel_type_word(t).map_or_else(|| t.raw().to_string(), str::to_string)
}

/// The host and service names of an endpoint, as the text would show them (none with `-n`).
fn names_of(
    addr: &IpAddr,
    port: u16,
    proto: Option<&str>,
    numeric: bool,
    names: &dyn Names,
) -> (Option<String>, Option<String>) {
    if numeric {
        return (None, None);
    }
    let host = names.host_name(addr).map(|h| text(&h));
    let service = proto
        .and_then(|p| names.service_name(port, p))
        .map(|s| text(&s));
    (host, service)
}

/// The words of a service's flags.
pub(crate) fn service_flags(svc: &Service) -> Vec<String> {
    let mut words = Vec::new();
    for (bit, word) in [
        (IP_VS_SVC_F_PERSISTENT, "persistent"),
        (IP_VS_SVC_F_HASHED, "hashed"),
        (IP_VS_SVC_F_ONEPACKET, "ops"),
    ] {
        if svc.flags.bits() & bit != 0 {
            words.push(word.to_string());
        }
    }
    if svc.flags.bits() & vocab::SCHED_FLAGS != 0 {
        let mut list = Vec::new();
        vocab::write_sched_flags(&mut list, svc.scheduler.as_bytes(), svc.flags.bits(), true);
        words.extend(list.split(|&b| b == b',').map(text));
    }
    words
}

/// The JSON view of a real server.
pub fn dest_view(d: &Dest, proto: Option<&str>, numeric: bool, names: &dyn Names) -> JsonDest {
    let (host, service) = names_of(&d.addr, d.port, proto, numeric, names);
    let s = d.stats.unwrap_or_default();
    JsonDest {
        address: d.addr.to_string(),
        port: d.port,
        host,
        service,
        forward: forward_word(d.forward),
        weight: d.weight,
        u_threshold: d.u_threshold,
        l_threshold: d.l_threshold,
        tun_type: tunnel_word(d.tun_type),
        tun_port: d.tun_port,
        tun_flags: tunnel_flags(d.tun_flags.bits()),
        active_conns: d.active_conns,
        inactive_conns: d.inact_conns,
        persistent_conns: d.persist_conns,
        stats: counters(&s),
        rates: rates(&s),
    }
}

/// The JSON view of a service with its real servers (in `order`).
pub fn service_view(
    svc: &Service,
    dests: &[Dest],
    order: &[usize],
    numeric: bool,
    names: &dyn Names,
) -> JsonService {
    let proto = svc.key.protocol().and_then(Protocol::name);
    let (protocol, address, port, fwmark, host, service) = match svc.key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            let (host, service) = names_of(&addr, port, proto, numeric, names);
            (
                Some(protocol_word(protocol)),
                Some(addr.to_string()),
                Some(port),
                None,
                host,
                service,
            )
        }
        ServiceKey::Fwmark { mark, .. } => (None, None, None, Some(mark), None, None),
    };
    let netmask = match svc.key.family() {
        Family::Inet => Netmask::Mask(vocab::Netmask(Family::Inet, svc.netmask.raw()).to_string()),
        Family::Inet6 => Netmask::Prefix(svc.netmask.raw()),
    };
    let s = svc.stats.unwrap_or_default();
    JsonService {
        family: family_word(svc.key.family()),
        protocol,
        address,
        port,
        fwmark,
        host,
        service,
        scheduler: svc.scheduler.to_string(),
        flags: service_flags(svc),
        timeout: svc.timeout,
        netmask,
        pe: svc.pe_name.map(|p| p.to_string()),
        stats: counters(&s),
        rates: rates(&s),
        real_servers: order
            .iter()
            .map(|&i| dest_view(&dests[i], proto, numeric, names))
            .collect(),
    }
}

/// Serialises a document (one value) compactly or indented, with a final newline.
fn write_document<T: Serialize>(out: &mut Vec<u8>, style: Json, value: &T) {
    let written = match style {
        Json::Pretty => serde_json::to_writer_pretty(&mut *out, value),
        _ => serde_json::to_writer(&mut *out, value),
    };
    // Writing to a vector fails only for values serde cannot express, which these are not.
    written.expect("serialising a JSON view");
    out.push(b'\n');
}

/// The service table as JSON (listing and save): every service with its real servers, in
/// listing order (the kernel's with `nosort`).
pub fn write_table(out: &mut Vec<u8>, snap: &Snapshot, fmt: &ListFormat, names: &dyn Names) {
    if fmt.json != Json::Pretty {
        let mut stream = JsonStream::new(fmt, names);
        for i in service_order(&snap.services, fmt.nosort) {
            let (svc, dests) = &snap.services[i];
            stream.service(out, svc, dests);
        }
        stream.finish(out);
        return;
    }
    let mut order = Vec::new();
    let services: Vec<JsonService> = service_order(&snap.services, fmt.nosort)
        .into_iter()
        .map(|i| {
            let (svc, dests) = &snap.services[i];
            dest_order(dests, fmt.nosort, &mut order);
            service_view(svc, dests, &order, fmt.numeric, names)
        })
        .collect();
    write_document(out, fmt.json, &services);
}

/// The service table as JSON written a service at a time, for a table walked one service
/// at a time: [`JsonStream::service`] for each service in listing order (the caller orders
/// the services; each one's real servers are sorted here unless `nosort`), then
/// [`JsonStream::finish`]. The bytes are those [`write_table`] writes for the same table.
pub struct JsonStream<'a> {
    fmt: &'a ListFormat,
    names: &'a dyn Names,
    /// The real servers' order, reused from service to service.
    order: Vec<usize>,
    /// Services written so far.
    written: usize,
    /// One pretty-printed service, before it is indented into the array.
    scratch: Vec<u8>,
}

impl<'a> JsonStream<'a> {
    /// A stream in the style of `fmt.json`.
    pub fn new(fmt: &'a ListFormat, names: &'a dyn Names) -> JsonStream<'a> {
        JsonStream {
            fmt,
            names,
            order: Vec::new(),
            written: 0,
            scratch: Vec::new(),
        }
    }

    /// Appends one service with its real servers.
    pub fn service(&mut self, out: &mut Vec<u8>, svc: &Service, dests: &[Dest]) {
        dest_order(dests, self.fmt.nosort, &mut self.order);
        let first = self.written == 0;
        self.written += 1;
        if self.fmt.json != Json::Pretty {
            out.push(if first { b'[' } else { b',' });
            compact::service(out, svc, dests, &self.order, self.fmt.numeric, self.names);
            return;
        }
        let view = service_view(svc, dests, &self.order, self.fmt.numeric, self.names);
        // As serde_json indents an array's elements: each line two spaces in (a JSON
        // string never holds a raw newline, so every newline is between tokens).
        out.extend_from_slice(if first { b"[\n  " } else { b",\n  " });
        self.scratch.clear();
        serde_json::to_writer_pretty(&mut self.scratch, &view).expect("serialising a JSON view");
        for (i, line) in self.scratch.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\n  ");
            }
            out.extend_from_slice(line);
        }
    }

    /// Closes the array (an empty one when no service was written) and the document.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match (self.written, self.fmt.json == Json::Pretty) {
            (0, _) => out.extend_from_slice(b"[]\n"),
            (_, true) => out.extend_from_slice(b"\n]\n"),
            (_, false) => out.extend_from_slice(b"]\n"),
        }
    }
}

/// One service as JSON (`-L -t ... --json`): an array of one.
pub fn write_service(
    out: &mut Vec<u8>,
    svc: &Service,
    dests: &[Dest],
    fmt: &ListFormat,
    names: &dyn Names,
) {
    let mut stream = JsonStream::new(fmt, names);
    stream.service(out, svc, dests);
    stream.finish(out);
}

/// The timeouts as JSON: an array of one.
pub fn write_timeouts(out: &mut Vec<u8>, t: &Timeouts, style: Json) {
    let view = JsonTimeouts {
        tcp: t.tcp,
        tcp_fin: t.tcp_fin,
        udp: t.udp,
    };
    write_document(out, style, &[view]);
}

/// The sync daemons as JSON, masters first (as the text lists them).
pub fn write_daemons(out: &mut Vec<u8>, daemons: &[Daemon], style: Json) {
    let mut views = Vec::new();
    for (state, word) in vocab::DAEMON_STATES {
        for d in daemons.iter().filter(|d| d.state == state) {
            views.push(JsonDaemon {
                state: word.word.to_string(),
                mcast_interface: d.mcast_ifn.to_string(),
                syncid: d.syncid,
                sync_maxlen: d.sync_maxlen,
                mcast_group: d.mcast_group.map(|g| g.to_string()),
                mcast_port: d.mcast_port,
                mcast_ttl: d.mcast_ttl,
            });
        }
    }
    write_document(out, style, &views);
}

/// The connection table as JSON, from the contents of `/proc/net/ip_vs_conn`.
pub fn write_connections(
    out: &mut Vec<u8>,
    proc_text: &[u8],
    fmt: &ListFormat,
    names: &dyn Names,
) -> Result<(), ConnError> {
    let endpoint = |(addr, port): (IpAddr, u16), proto| {
        let (host, service) = names_of(&addr, port, proto, fmt.numeric, names);
        JsonEndpoint {
            address: addr.to_string(),
            port,
            host,
            service,
        }
    };
    let views: Vec<JsonConn> = conn::entries(proc_text)?
        .map(|c| JsonConn {
            protocol: c.proto.map_or_else(|| text(c.label), str::to_string),
            client: endpoint(c.client, c.proto),
            virtual_service: endpoint(c.virt, c.proto),
            destination: endpoint(c.dest, c.proto),
            state: text(c.state),
            expires: c.expires,
            pe_name: c.pe.map(|(n, _)| text(n)),
            pe_data: c.pe.map(|(_, d)| text(d)),
        })
        .collect();
    write_document(out, fmt.json, &views);
    Ok(())
}

/// Reads a table written by `-S --json` (or `-L --json`): the services with their real
/// servers, as changes would make them. Counters, rates, connection counts and names are
/// ignored. The error says what is wrong and where.
pub fn read_table(json: &[u8]) -> Result<Vec<(Service, Vec<Dest>)>, String> {
    let doc: Vec<JsonService> = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    doc.iter()
        .enumerate()
        .map(|(i, s)| table_entry(s).map_err(|e| format!("service {}: {e}", i + 1)))
        .collect()
}

/// The service and real servers of one JSON service.
fn table_entry(s: &JsonService) -> Result<(Service, Vec<Dest>), String> {
    let family = match s.family.as_str() {
        "inet" => Family::Inet,
        "inet6" => Family::Inet6,
        other => return Err(format!("unknown family `{other}'")),
    };
    let key = match (&s.fwmark, &s.protocol, &s.address, s.port) {
        (Some(mark), None, None, None) if *mark != 0 => ServiceKey::Fwmark {
            family,
            mark: *mark,
        },
        (None, Some(p), Some(a), Some(port)) => {
            let protocol = match p.as_str() {
                "tcp" => Protocol::Tcp,
                "udp" => Protocol::Udp,
                "sctp" => Protocol::Sctp,
                other => Protocol::Other(
                    other
                        .parse()
                        .map_err(|_| format!("unknown protocol `{other}'"))?,
                ),
            };
            let addr: IpAddr = a.parse().map_err(|_| format!("bad address `{a}'"))?;
            if Family::of(&addr) != family {
                return Err(format!("address `{a}' is not of family {}", s.family));
            }
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            }
        }
        _ => {
            return Err(
                "a service has either a fwmark, or a protocol, an address and a port".into(),
            );
        }
    };
    // A name the kernel cannot keep whole is refused, not cut.
    let name =
        |what: &str, n: &str| Name::new(n.as_bytes()).map_err(|e| format!("{what} `{n}': {e}"));
    let mut svc = Service::with_scheduler(key, name("scheduler", &s.scheduler)?);
    svc.timeout = s.timeout;
    svc.pe_name =
        s.pe.as_deref()
            .map(|p| name("persistence engine", p))
            .transpose()?;
    svc.netmask = match (&s.netmask, family) {
        (Netmask::Mask(m), Family::Inet) => {
            let mask: std::net::Ipv4Addr = m.parse().map_err(|_| format!("bad netmask `{m}'"))?;
            linux_ipvs::Netmask::ipv4(mask)
        }
        (Netmask::Prefix(p), Family::Inet6) if (1..=128).contains(p) => {
            linux_ipvs::Netmask::from_raw(*p)
        }
        _ => return Err("the netmask does not fit the family".into()),
    };
    for word in &s.flags {
        svc.flags |= ServiceFlags::from_bits_retain(match word.as_str() {
            "persistent" => IP_VS_SVC_F_PERSISTENT,
            "ops" => IP_VS_SVC_F_ONEPACKET,
            // Set by the kernel on every service it holds; not a setting.
            "hashed" => 0,
            other => vocab::parse_sched_flags(other.as_bytes(), svc.scheduler.as_bytes())
                .map_err(|e| text(&e))?,
        });
    }
    let mut dests = Vec::with_capacity(s.real_servers.len());
    for (j, d) in s.real_servers.iter().enumerate() {
        dests.push(dest_entry(d).map_err(|e| format!("real server {}: {e}", j + 1))?);
    }
    Ok((svc, dests))
}

fn dest_entry(d: &JsonDest) -> Result<Dest, String> {
    let addr: IpAddr = d
        .address
        .parse()
        .map_err(|_| format!("bad address `{}'", d.address))?;
    let mut dest = Dest::new(addr, d.port);
    dest.forward = match vocab::parse_forward_word(&d.forward) {
        Some(f) => f,
        None => Forward::Other(
            d.forward
                .parse()
                .map_err(|_| format!("unknown forwarding method `{}'", d.forward))?,
        ),
    };
    dest.weight = d.weight;
    dest.u_threshold = d.u_threshold;
    dest.l_threshold = d.l_threshold;
    dest.tun_type = match vocab::parse_tunnel_type(d.tun_type.as_bytes()) {
        Some(t) => t,
        None => TunnelType::Other(
            d.tun_type
                .parse()
                .map_err(|_| format!("unknown tunnel type `{}'", d.tun_type))?,
        ),
    };
    dest.tun_port = d.tun_port;
    for word in &d.tun_flags {
        dest.tun_flags |= TunnelFlags::from_bits_retain(
            match vocab::TUNNEL_FLAG_WORDS.iter().find(|(_, w)| w == word) {
                Some((bit, _)) => *bit,
                None => word
                    .parse::<u16>()
                    .ok()
                    .filter(|b| b.is_power_of_two())
                    .ok_or_else(|| format!("unknown tunnel flag `{word}'"))?,
            },
        );
    }
    Ok(dest)
}
