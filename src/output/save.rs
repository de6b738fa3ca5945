//! The save format (`-S`, `-S -n`): one `-A` line per service followed by one `-a` line
//! per real server, in listing order, so that `ipvsadm -R` rebuilds the table.
//!
//! Deliberate deviations from the reference (the README's compatibility table):
//! - D3: fwmarks are written unsigned (`-f 4294967295`).
//! - D5: real-server thresholds are written (` -x N`, ` -y N`, each only when non-zero, at
//!   the end of the `-a` line after the tunnel options), and `-b` is never empty: a
//!   scheduler flag bit that has no name for the service's scheduler (only `flag-3` with
//!   `sh`/`mh`) is written under its generic name `flag-N`, which the parser accepts with any
//!   scheduler. So `sh` with bits 0x10|0x20 saves as `-b sh-port,flag-3` (the reference:
//!   `-b sh-port`) and `sh` with only 0x20 as `-b flag-3` (the reference: `-b `). Bits that
//!   have a name keep the reference's spelling.

use super::Snapshot;
use super::sort::{dest_order, service_order};
use super::text::{endpoint, inum, num, w};
use crate::names::Names;
use crate::vocab::{self, Netmask, SCHED_FLAGS};
use linux_ipvs::flags::{IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_PERSISTENT};
use linux_ipvs::{Dest, Family, Forward, Protocol, Service, ServiceKey, TunnelType};

/// Appends the service selector: `-t <ep>`, `-f <mark>`, `-f <mark> -6`, ... (never cut,
/// except the 59-byte endpoint limit).
pub(super) fn selector(out: &mut Vec<u8>, key: &ServiceKey, numeric: bool, names: &dyn Names) {
    match *key {
        ServiceKey::Fwmark { family, mark } => {
            out.extend_from_slice(b"-f ");
            num(out, mark.into());
            if family == Family::Inet6 {
                out.extend_from_slice(b" -6");
            }
        }
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => {
            out.extend_from_slice(vocab::protocol_option(protocol).as_bytes());
            out.push(b' ');
            endpoint(out, &addr, port, protocol.name(), numeric, names);
        }
    }
}

/// Appends the `-A` line of a service.
pub(super) fn service_line(out: &mut Vec<u8>, svc: &Service, sel: &[u8]) {
    out.extend_from_slice(b"-A ");
    out.extend_from_slice(sel);
    out.extend_from_slice(b" -s ");
    out.extend_from_slice(svc.scheduler.as_bytes());
    if svc.flags.bits() & IP_VS_SVC_F_PERSISTENT != 0 {
        out.extend_from_slice(b" -p ");
        num(out, svc.timeout.into());
        if let Some(mask) = Netmask::of(svc) {
            w!(out, " -M {mask}");
        }
    }
    if let Some(pe) = svc.pe_name.filter(|p| !p.is_empty()) {
        out.extend_from_slice(b" --pe ");
        out.extend_from_slice(pe.as_bytes());
    }
    if svc.flags.bits() & IP_VS_SVC_F_ONEPACKET != 0 {
        out.extend_from_slice(b" -o");
    }
    if svc.flags.bits() & SCHED_FLAGS != 0 {
        out.extend_from_slice(b" -b ");
        vocab::write_sched_flags(out, svc.scheduler.as_bytes(), svc.flags.bits(), true);
    }
    out.push(b'\n');
}

/// Appends the `-a` line of a real server.
pub(super) fn dest_line(
    out: &mut Vec<u8>,
    d: &Dest,
    sel: &[u8],
    proto: Option<&str>,
    numeric: bool,
    names: &dyn Names,
) {
    out.extend_from_slice(b"-a ");
    out.extend_from_slice(sel);
    out.extend_from_slice(b" -r ");
    endpoint(out, &d.addr, d.port, proto, numeric, names);
    out.push(b' ');
    out.extend_from_slice(vocab::forward_option(d.forward).as_bytes());
    out.extend_from_slice(b" -w ");
    inum(out, d.weight.into());
    let word = vocab::tunnel_type_word(d.tun_type).filter(|_| d.forward == Forward::Tunnel);
    let csum = vocab::checksum(d.tun_flags.bits()).option;
    match (word, d.tun_type) {
        (None, _) => {}
        (Some(w), TunnelType::Gue) => w!(out, " --tun-type {w} --tun-port {} {csum}", d.tun_port),
        (Some(w), TunnelType::Gre) => w!(out, " --tun-type {w} {csum}"),
        (Some(w), _) => w!(out, " --tun-type {w}"),
    }
    if d.u_threshold != 0 {
        w!(out, " -x {}", d.u_threshold);
    }
    if d.l_threshold != 0 {
        w!(out, " -y {}", d.l_threshold);
    }
    out.push(b'\n');
}

/// Writes the save format (`-S`) a service at a time, for a table that is read one
/// service with its real servers at a time: call [`SaveStream::service`] for each service
/// in listing order (D2; the caller orders the services, each one's real servers are
/// sorted here).
pub struct SaveStream<'a> {
    numeric: bool,
    names: &'a dyn Names,
    /// The service selector, reused on the service's real-server lines.
    sel: Vec<u8>,
    /// The real servers' order, reused from service to service.
    order: Vec<usize>,
}

impl<'a> SaveStream<'a> {
    /// The save format; `numeric` for `-S -n`, names looked up through `names` otherwise.
    pub fn new(numeric: bool, names: &'a dyn Names) -> SaveStream<'a> {
        SaveStream {
            numeric,
            names,
            sel: Vec::with_capacity(80),
            order: Vec::new(),
        }
    }

    /// Appends a service's `-A` line and its real servers' `-a` lines.
    pub fn service(&mut self, out: &mut Vec<u8>, svc: &Service, dests: &[Dest]) {
        self.sel.clear();
        selector(&mut self.sel, &svc.key, self.numeric, self.names);
        service_line(out, svc, &self.sel);
        let proto = svc.key.protocol().and_then(Protocol::name);
        dest_order(dests, false, &mut self.order);
        for &j in &self.order {
            dest_line(out, &dests[j], &self.sel, proto, self.numeric, self.names);
        }
    }
}

/// The save format (`-S`; `numeric` for `-S -n`): services and real servers in listing
/// order (D2), no header.
pub fn write_save(out: &mut Vec<u8>, snap: &Snapshot, numeric: bool, names: &dyn Names) {
    let mut stream = SaveStream::new(numeric, names);
    for i in service_order(&snap.services, false) {
        let (svc, dests) = &snap.services[i];
        stream.service(out, svc, dests);
    }
}
