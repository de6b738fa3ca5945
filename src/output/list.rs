//! Service listings (`-L`, `-L -t ...`): the version line, the title lines of each display
//! mode, service lines and real-server lines.
//!
//! Everything is appended to an output buffer; endpoints are rendered into a scratch buffer
//! reused across lines, so a listing allocates only for name lookups and the sort indices.
//! [`ListStream`] writes a listing a service at a time, for a table read that way.

use super::sort::{dest_order, service_order};
use super::text::{endpoint, largenum, num, num_left, pad, pad_right, w};
use super::{ListFormat, ListMode, Snapshot};
use crate::names::Names;
use crate::vocab::{self, Netmask, SCHED_FLAGS};
use linux_ipvs::flags::{IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_PERSISTENT};
use linux_ipvs::{Dest, Family, Forward, Info, Protocol, Service, ServiceKey, Stats, TunnelType};

/// Longest service name of an IPv4 service in listings.
const SVC_NAME_MAX: usize = 33;
/// Longest IPv4 real-server endpoint in listings.
const DEST_NAME_MAX: usize = 28;

/// Appends the service's name as listings show it: `TCP  host:port` (IPv4 services cut to
/// 33 bytes), `FWM  <mark>` or `FWM  <mark> IPv6`.
fn service_name(out: &mut Vec<u8>, svc: &Service, numeric: bool, names: &dyn Names) {
    match svc.key {
        ServiceKey::Fwmark { family, mark } => {
            out.extend_from_slice(b"FWM  ");
            num(out, mark.into());
            if family == Family::Inet6 {
                out.extend_from_slice(b" IPv6");
            }
        }
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            let start = out.len();
            pad_right(out, vocab::protocol_label(protocol).as_bytes(), 4);
            out.push(b' ');
            endpoint(out, &addr, port, protocol.name(), numeric, names);
            if !addr.is_ipv6() && out.len() - start > SVC_NAME_MAX {
                out.truncate(start + SVC_NAME_MAX);
            }
        }
    }
}

/// Appends the title lines of a display mode.
pub(crate) fn write_title(out: &mut Vec<u8>, mode: ListMode) {
    let t: &[u8] = match mode {
        ListMode::Stats => {
            b"Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n"
        }
        ListMode::Rate => {
            b"Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\n"
        }
        ListMode::Thresholds => {
            b"Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port\n"
        }
        ListMode::PersistentConn => {
            b"Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port\n"
        }
        ListMode::TunInfo => {
            b"Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
        }
        ListMode::Default => {
            b"Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        }
    };
    out.extend_from_slice(t);
}

/// Appends the version line of full listings.
fn write_version(out: &mut Vec<u8>, info: &Info) {
    let (major, minor, patch) = info.version();
    w!(
        out,
        "IP Virtual Server version {major}.{minor}.{patch} (size={})\n",
        info.conn_tab_size as i32
    );
}

/// Appends the service line (no newline).
fn write_service_line(out: &mut Vec<u8>, svc: &Service, fmt: &ListFormat, names: &dyn Names) {
    let start = out.len();
    service_name(out, svc, fmt.numeric, names);
    let s = svc.stats.unwrap_or_default();
    match fmt.mode {
        ListMode::Stats | ListMode::Rate => {
            pad(out, out.len() - start, SVC_NAME_MAX);
            let v = if fmt.mode == ListMode::Stats {
                [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes]
            } else {
                [s.cps, s.inpps, s.outpps, s.inbps, s.outbps]
            };
            for x in v {
                largenum(out, x, fmt.exact);
            }
        }
        _ => {
            out.push(b' ');
            out.extend_from_slice(svc.scheduler.as_bytes());
            if svc.flags.bits() & SCHED_FLAGS != 0 {
                out.extend_from_slice(b" (");
                vocab::write_sched_flags(out, svc.scheduler.as_bytes(), svc.flags.bits(), false);
                out.push(b')');
            }
            if svc.flags.bits() & IP_VS_SVC_F_PERSISTENT != 0 {
                out.extend_from_slice(b" persistent ");
                num(out, svc.timeout.into());
                if let Some(mask) = Netmask::of(svc) {
                    w!(out, " mask {mask}");
                }
                if let Some(pe) = svc.pe_name.filter(|p| !p.is_empty()) {
                    out.extend_from_slice(b" pe ");
                    out.extend_from_slice(pe.as_bytes());
                }
            }
            if svc.flags.bits() & IP_VS_SVC_F_ONEPACKET != 0 {
                out.extend_from_slice(b" ops");
            }
        }
    }
    out.push(b'\n');
}

/// A real server's counters as the reference shows them: it reads the kernel's 64-bit
/// connection, packet and rate counters of real servers with a 32-bit accessor, so only
/// their low 32 bits survive; the byte counters are read whole.
fn dest_stats(d: &Dest) -> Stats {
    let s = d.stats.unwrap_or_default();
    let lo = |v: u64| v & 0xffff_ffff;
    Stats::new(
        lo(s.conns),
        lo(s.inpkts),
        lo(s.outpkts),
        s.inbytes,
        s.outbytes,
    )
    .with_rates(
        lo(s.cps),
        lo(s.inpps),
        lo(s.outpps),
        lo(s.inbps),
        lo(s.outbps),
    )
}

/// Appends the tunnel-info column text (`n/a`, `ipip`, `gue:<port>:<f>`, `gre:<f>`) and
/// returns its length.
fn tun_info(out: &mut Vec<u8>, d: &Dest) -> usize {
    let start = out.len();
    let word = vocab::tunnel_type_word(d.tun_type).filter(|_| d.forward == Forward::Tunnel);
    let csum = vocab::checksum(d.tun_flags.bits()).label;
    match (word, d.tun_type) {
        (None, _) => out.extend_from_slice(b"n/a"),
        (Some(w), TunnelType::Gue) => w!(out, "{w}:{}:{csum}", d.tun_port),
        (Some(w), TunnelType::Gre) => w!(out, "{w}:{csum}"),
        (Some(w), _) => out.extend_from_slice(w.as_bytes()),
    }
    out.len() - start
}

/// Appends one real-server line.
fn write_dest_line(
    out: &mut Vec<u8>,
    d: &Dest,
    proto: Option<&str>,
    fmt: &ListFormat,
    names: &dyn Names,
) {
    out.extend_from_slice(b"  -> ");
    let start = out.len();
    endpoint(out, &d.addr, d.port, proto, fmt.numeric, names);
    if !d.addr.is_ipv6() && out.len() - start > DEST_NAME_MAX {
        out.truncate(start + DEST_NAME_MAX);
    }
    pad(out, out.len() - start, DEST_NAME_MAX);
    match fmt.mode {
        ListMode::Stats => {
            let s = dest_stats(d);
            for x in [s.conns, s.inpkts, s.outpkts, s.inbytes, s.outbytes] {
                largenum(out, x, fmt.exact);
            }
        }
        ListMode::Rate => {
            let s = dest_stats(d);
            w!(out, " {:>8} {:>8} {:>8}", s.cps, s.inpps, s.outpps);
            largenum(out, s.inbps, fmt.exact);
            largenum(out, s.outbps, fmt.exact);
        }
        ListMode::Thresholds => {
            for v in [d.u_threshold, d.l_threshold, d.active_conns, d.inact_conns] {
                out.push(b' ');
                num_left(out, v.into(), 10);
            }
        }
        // The reference prints the weight unsigned in this mode only.
        ListMode::PersistentConn => {
            out.push(b' ');
            num_left(out, (d.weight as u32).into(), 9);
            out.push(b' ');
            num_left(out, d.persist_conns.into(), 11);
            for v in [d.active_conns, d.inact_conns] {
                out.push(b' ');
                num_left(out, v.into(), 10);
            }
        }
        ListMode::TunInfo => {
            w!(out, " {:<7} ", vocab::forward_label(d.forward));
            let n = tun_info(out, d);
            pad(out, n, 13);
            w!(
                out,
                " {:<6} {:<10} {:<10}",
                d.weight,
                d.active_conns,
                d.inact_conns
            );
        }
        ListMode::Default => {
            out.push(b' ');
            pad_right(out, vocab::forward_label(d.forward).as_bytes(), 7);
            out.push(b' ');
            num_left(out, d.weight.into(), 6);
            for v in [d.active_conns, d.inact_conns] {
                out.push(b' ');
                num_left(out, v.into(), 10);
            }
        }
    }
    out.push(b'\n');
}

/// Writes a full listing (`-L`) a service at a time, for a table that is read one
/// service with its real servers at a time: [`ListStream::head`] first, then
/// [`ListStream::service`] for each service in listing order (the caller orders the
/// services; each one's real servers are sorted here unless `fmt.nosort`).
pub struct ListStream<'a> {
    fmt: &'a ListFormat,
    names: &'a dyn Names,
    /// The real servers' order, reused from service to service.
    order: Vec<usize>,
}

impl<'a> ListStream<'a> {
    /// A listing in format `fmt`, names looked up through `names`.
    pub fn new(fmt: &'a ListFormat, names: &'a dyn Names) -> ListStream<'a> {
        ListStream {
            fmt,
            names,
            order: Vec::new(),
        }
    }

    /// Appends the version line and the title lines.
    pub fn head(&self, out: &mut Vec<u8>, info: &Info) {
        write_version(out, info);
        write_title(out, self.fmt.mode);
    }

    /// Appends a service line and its real-server lines.
    pub fn service(&mut self, out: &mut Vec<u8>, svc: &Service, dests: &[Dest]) {
        dest_order(dests, self.fmt.nosort, &mut self.order);
        write_service_line(out, svc, self.fmt, self.names);
        let proto = svc.key.protocol().and_then(Protocol::name);
        for &i in &self.order {
            write_dest_line(out, &dests[i], proto, self.fmt, self.names);
        }
    }
}

/// The full listing (`-L`): version line, title lines, then every service with its real
/// servers. Sorted (D2) unless `fmt.nosort`; the snapshot itself is left untouched (the
/// order is computed on indices).
pub fn write_list(out: &mut Vec<u8>, snap: &Snapshot, fmt: &ListFormat, names: &dyn Names) {
    let mut stream = ListStream::new(fmt, names);
    stream.head(out, &snap.info);
    for i in service_order(&snap.services, fmt.nosort) {
        let (svc, dests) = &snap.services[i];
        stream.service(out, svc, dests);
    }
}

/// A single-service listing (`-L -t ...`): title lines, the service and its real servers
/// (sorted unless `fmt.nosort`); no version line.
pub fn write_service(
    out: &mut Vec<u8>,
    svc: &Service,
    dests: &[Dest],
    fmt: &ListFormat,
    names: &dyn Names,
) {
    write_title(out, fmt.mode);
    ListStream::new(fmt, names).service(out, svc, dests);
}
