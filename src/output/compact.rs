//! Compact JSON (`--json`) of services and real servers, written straight from the model
//! into the output buffer: the keys are constants, numbers and addresses are written by
//! hand, and only text that comes from outside (scheduler and engine names, host and
//! service names) goes through serde_json's string escaping. The serde views of
//! [`super::json`] stay the definition of the document (pretty output and restore use
//! them); the tests hold these bytes to what serde_json writes of those views, for every
//! kind of field. A listing of 10,000 services with 4 real servers each spent most of its
//! time in serde_json escaping the keys and in one `String` per field before this.

use std::net::IpAddr;

use linux_ipvs::flags::{IP_VS_SVC_F_HASHED, IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_PERSISTENT};
use linux_ipvs::{Dest, Family, Name, Protocol, Service, ServiceKey, Stats};

use super::text::{inum, ntop, num};
use crate::names::Names;
use crate::vocab;

/// Appends `s` as a JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to a vector");
}

/// Appends bytes that need no escaping (words of our vocabulary, numbers, addresses) as a
/// JSON string.
fn plain(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(s);
    out.push(b'"');
}

/// Appends text of bytes (names need not be UTF-8) as [`super::json`] shows it: invalid
/// sequences replaced.
fn text(out: &mut Vec<u8>, b: &[u8]) {
    string(out, &String::from_utf8_lossy(b));
}

fn name(out: &mut Vec<u8>, n: &Name) {
    text(out, n.as_bytes());
}

/// An address as `IpAddr`'s `Display` writes it (which for IPv6 is not always glibc's
/// form, so only IPv4 is written by hand).
fn address(out: &mut Vec<u8>, a: &IpAddr) {
    out.push(b'"');
    match a {
        IpAddr::V4(_) => ntop(out, a),
        IpAddr::V6(v6) => {
            use std::io::Write as _;
            write!(out, "{v6}").expect("writing to a vector");
        }
    }
    out.push(b'"');
}

/// `null`, or the value written by `f`.
fn opt<T>(out: &mut Vec<u8>, v: Option<T>, f: impl FnOnce(&mut Vec<u8>, T)) {
    match v {
        Some(v) => f(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

/// A word, or the number when there is none.
fn word_or_number(out: &mut Vec<u8>, word: Option<&str>, n: u64) {
    out.push(b'"');
    match word {
        Some(w) => out.extend_from_slice(w.as_bytes()),
        None => num(out, n),
    }
    out.push(b'"');
}

/// The `host` and `service` members of an endpoint (both `null` with `-n`).
fn names_of(
    out: &mut Vec<u8>,
    addr: &IpAddr,
    port: u16,
    proto: Option<&str>,
    numeric: bool,
    names: &dyn Names,
) {
    let (host, service) = if numeric {
        (None, None)
    } else {
        (
            names.host_name(addr),
            proto.and_then(|p| names.service_name(port, p)),
        )
    };
    out.extend_from_slice(b",\"host\":");
    opt(out, host.as_deref(), text);
    out.extend_from_slice(b",\"service\":");
    opt(out, service.as_deref(), text);
}

/// The `stats` and `rates` members: each counter's text before it (key, and the opening
/// of its object for the first of each), in the order of [`counters`].
const STATS_KEYS: [&[u8]; 10] = [
    b",\"stats\":{\"conns\":",
    b",\"inpkts\":",
    b",\"outpkts\":",
    b",\"inbytes\":",
    b",\"outbytes\":",
    b"},\"rates\":{\"cps\":",
    b",\"inpps\":",
    b",\"outpps\":",
    b",\"inbps\":",
    b",\"outbps\":",
];

/// The counters of `s`, in the order of [`STATS_KEYS`].
fn counters(s: &Stats) -> [u64; 10] {
    [
        s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes, s.cps, s.inpps, s.outpps, s.inbps,
        s.outbps,
    ]
}

/// The `stats` and `rates` members.
fn stats(out: &mut Vec<u8>, s: &Stats) {
    for (key, v) in STATS_KEYS.into_iter().zip(counters(s)) {
        out.extend_from_slice(key);
        num(out, v);
    }
    out.push(b'}');
}

/// A real server as [`super::json::dest_view`] makes it, serialised compactly.
pub(crate) fn dest(
    out: &mut Vec<u8>,
    d: &Dest,
    proto: Option<&str>,
    numeric: bool,
    names: &dyn Names,
) {
    out.extend_from_slice(b"{\"address\":");
    address(out, &d.addr);
    out.extend_from_slice(b",\"port\":");
    num(out, d.port.into());
    names_of(out, &d.addr, d.port, proto, numeric, names);
    out.extend_from_slice(b",\"forward\":");
    word_or_number(out, vocab::forward_word(d.forward), d.forward.raw().into());
    out.extend_from_slice(b",\"weight\":");
    inum(out, d.weight.into());
    out.extend_from_slice(b",\"u_threshold\":");
    num(out, d.u_threshold.into());
    out.extend_from_slice(b",\"l_threshold\":");
    num(out, d.l_threshold.into());
    out.extend_from_slice(b",\"tun_type\":");
    word_or_number(
        out,
        vocab::tunnel_type_word(d.tun_type),
        d.tun_type.raw().into(),
    );
    out.extend_from_slice(b",\"tun_port\":");
    num(out, d.tun_port.into());
    out.extend_from_slice(b",\"tun_flags\":[");
    let mut first = true;
    for bit in (0..16)
        .map(|i| 1u16 << i)
        .filter(|bit| d.tun_flags.bits() & bit != 0)
    {
        if !first {
            out.push(b',');
        }
        first = false;
        let word = vocab::TUNNEL_FLAG_WORDS
            .iter()
            .find(|(b, _)| *b == bit)
            .map(|(_, w)| *w);
        word_or_number(out, word, bit.into());
    }
    out.extend_from_slice(b"],\"active_conns\":");
    num(out, d.active_conns.into());
    out.extend_from_slice(b",\"inactive_conns\":");
    num(out, d.inact_conns.into());
    out.extend_from_slice(b",\"persistent_conns\":");
    num(out, d.persist_conns.into());
    stats(out, &d.stats.unwrap_or_default());
    out.push(b'}');
}

/// A service with its real servers (in `order`) as [`super::json::service_view`] makes
/// it, serialised compactly.
pub(crate) fn service(
    out: &mut Vec<u8>,
    svc: &Service,
    dests: &[Dest],
    order: &[usize],
    numeric: bool,
    names: &dyn Names,
) {
    let family = svc.key.family();
    out.extend_from_slice(match family {
        Family::Inet => b"{\"family\":\"inet\"",
        Family::Inet6 => b"{\"family\":\"inet6\"",
    });
    let proto = svc.key.protocol().and_then(Protocol::name);
    match svc.key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            out.extend_from_slice(b",\"protocol\":");
            word_or_number(out, protocol.name(), protocol.raw().into());
            out.extend_from_slice(b",\"address\":");
            address(out, &addr);
            out.extend_from_slice(b",\"port\":");
            num(out, port.into());
            out.extend_from_slice(b",\"fwmark\":null");
            names_of(out, &addr, port, proto, numeric, names);
        }
        ServiceKey::Fwmark { mark, .. } => {
            out.extend_from_slice(b",\"protocol\":null,\"address\":null,\"port\":null,\"fwmark\":");
            num(out, mark.into());
            out.extend_from_slice(b",\"host\":null,\"service\":null");
        }
    }
    out.extend_from_slice(b",\"scheduler\":");
    name(out, &svc.scheduler);
    out.extend_from_slice(b",\"flags\":[");
    let mut first = true;
    for (bit, word) in [
        (IP_VS_SVC_F_PERSISTENT, "persistent"),
        (IP_VS_SVC_F_HASHED, "hashed"),
        (IP_VS_SVC_F_ONEPACKET, "ops"),
    ] {
        if svc.flags.bits() & bit != 0 {
            if !first {
                out.push(b',');
            }
            first = false;
            plain(out, word.as_bytes());
        }
    }
    if svc.flags.bits() & vocab::SCHED_FLAGS != 0 {
        let mut list = Vec::new();
        vocab::write_sched_flags(&mut list, svc.scheduler.as_bytes(), svc.flags.bits(), true);
        for word in list.split(|&b| b == b',') {
            if !first {
                out.push(b',');
            }
            first = false;
            text(out, word);
        }
    }
    out.extend_from_slice(b"],\"timeout\":");
    num(out, svc.timeout.into());
    out.extend_from_slice(b",\"netmask\":");
    match family {
        Family::Inet => {
            let mask = IpAddr::from(svc.netmask.raw().to_ne_bytes());
            address(out, &mask);
        }
        Family::Inet6 => num(out, svc.netmask.raw().into()),
    }
    out.extend_from_slice(b",\"pe\":");
    opt(out, svc.pe_name.as_ref(), name);
    stats(out, &svc.stats.unwrap_or_default());
    out.extend_from_slice(b",\"real_servers\":[");
    for (k, &i) in order.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        dest(out, &dests[i], proto, numeric, names);
    }
    out.extend_from_slice(b"]}");
}
