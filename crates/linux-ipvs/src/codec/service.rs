//! Codec for a virtual service (`IPVS_CMD_ATTR_SERVICE` nest), encode and decode side by side.
//!
//! Emission order follows ipvsadm: AF, then FWMARK or PROTOCOL/ADDR/PORT, SCHED_NAME,
//! PE_NAME when set, FLAGS (with an all-ones mask), TIMEOUT, NETMASK.

use super::{Style, addr, stats};
use crate::consts::*;
use crate::error::Error;
use crate::model::{
    Family, Name, Netmask, Protocol, Service, ServiceFlags, ServiceKey, UnknownAttr,
};
use crate::netlink::attr::{AttrWriter, Attrs};

/// Writes the full service nest. [`Style::Request`] is what ipvsadm sends with add, edit,
/// delete, zero and destination changes; [`Style::Reply`] is what the kernel sends back
/// (no nested flag, counters as STATS then STATS64).
pub fn encode(w: &mut AttrWriter<'_>, svc: &Service, style: Style) {
    let nest = style.begin(w, IPVS_CMD_ATTR_SERVICE);
    encode_key(w, &svc.key);
    w.cstr(IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler.as_bytes());
    if let Some(pe) = &svc.pe_name {
        w.cstr(IPVS_SVC_ATTR_PE_NAME, pe.as_bytes());
    }
    let mut flags = [0u8; 8];
    flags[..4].copy_from_slice(&svc.flags.bits().to_ne_bytes());
    flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    w.fixed(IPVS_SVC_ATTR_FLAGS, flags);
    w.u32(IPVS_SVC_ATTR_TIMEOUT, svc.timeout);
    w.u32(IPVS_SVC_ATTR_NETMASK, svc.netmask.raw());
    if let (Style::Reply, Some(s)) = (style, &svc.stats) {
        stats::encode(w, IPVS_SVC_ATTR_STATS, s, false);
        stats::encode(w, IPVS_SVC_ATTR_STATS64, s, true);
    }
    for u in &svc.unknown {
        w.bytes(u.kind, &u.payload);
    }
    w.end_nested(nest);
}

/// Writes a nest holding only what identifies the service (for destination dumps).
pub fn encode_key_only(w: &mut AttrWriter<'_>, key: &ServiceKey) {
    let nest = w.begin_nested(IPVS_CMD_ATTR_SERVICE);
    encode_key(w, key);
    w.end_nested(nest);
}

fn encode_key(w: &mut AttrWriter<'_>, key: &ServiceKey) {
    w.u16(IPVS_SVC_ATTR_AF, key.family().raw());
    match key {
        ServiceKey::Fwmark { mark, .. } => {
            w.u32(IPVS_SVC_ATTR_FWMARK, *mark);
        }
        ServiceKey::Addr {
            protocol,
            addr: a,
            port,
        } => {
            w.u16(IPVS_SVC_ATTR_PROTOCOL, protocol.raw());
            w.fixed(IPVS_SVC_ATTR_ADDR, addr::encode(a));
            w.be16(IPVS_SVC_ATTR_PORT, *port);
        }
    }
}

/// Reads a service from the attributes inside an `IPVS_CMD_ATTR_SERVICE` nest.
pub fn decode(payload: &[u8]) -> Result<Service, Error> {
    decode_with(payload, true)
}

/// [`decode`] without the counters (`stats` is `None`): their nests are stepped over, not
/// read, for a read that would drop them (an index without counters). About a third of
/// the attributes of a service the kernel sends are counters.
pub fn decode_settings(payload: &[u8]) -> Result<Service, Error> {
    decode_with(payload, false)
}

fn decode_with(payload: &[u8], counters: bool) -> Result<Service, Error> {
    let mut af = None;
    let mut protocol = None;
    let mut raw_addr: Option<&[u8]> = None;
    let mut port = None;
    let mut fwmark = None;
    let mut scheduler = None;
    let mut pe_name = None;
    let mut flags = None;
    let mut timeout = None;
    let mut netmask = None;
    let mut stats32 = None;
    let mut stats64 = None;
    let mut unknown = Vec::new();
    for a in Attrs::new(payload) {
        let a = a?;
        match a.kind {
            IPVS_SVC_ATTR_AF => af = Some(a.u16()?),
            IPVS_SVC_ATTR_PROTOCOL => protocol = Some(a.u16()?),
            IPVS_SVC_ATTR_ADDR => raw_addr = Some(a.payload),
            IPVS_SVC_ATTR_PORT => port = Some(a.be16()?),
            IPVS_SVC_ATTR_FWMARK => fwmark = Some(a.u32()?),
            IPVS_SVC_ATTR_SCHED_NAME => scheduler = Some(Name::truncated(a.cstr())),
            IPVS_SVC_ATTR_PE_NAME => {
                pe_name = Some(Name::truncated(a.cstr())).filter(|s| !s.is_empty())
            }
            IPVS_SVC_ATTR_FLAGS => {
                let b = a.payload;
                if b.len() < 8 {
                    return Err(Error::Malformed("short service flags"));
                }
                let f = u32::from_ne_bytes(b[..4].try_into().unwrap_or_default());
                let m = u32::from_ne_bytes(b[4..8].try_into().unwrap_or_default());
                flags = Some(f & m);
            }
            IPVS_SVC_ATTR_TIMEOUT => timeout = Some(a.u32()?),
            IPVS_SVC_ATTR_NETMASK => netmask = Some(a.u32()?),
            // Decoded once, at the end: the 64-bit counters when the kernel sends both.
            IPVS_SVC_ATTR_STATS => stats32 = Some(a.payload),
            IPVS_SVC_ATTR_STATS64 => stats64 = Some(a.payload),
            kind => unknown.push(UnknownAttr {
                kind,
                payload: a.payload.to_vec(),
            }),
        }
    }
    let family = af
        .and_then(Family::from_raw)
        .ok_or_else(Error::malformed("service without a known address family"))?;
    let key = match (fwmark, protocol, raw_addr, port) {
        (Some(mark), _, _, _) if mark != 0 => ServiceKey::Fwmark { family, mark },
        (_, Some(p), Some(a), Some(port)) => ServiceKey::Addr {
            protocol: Protocol::from_raw(p),
            addr: addr::decode(family, a)?,
            port,
        },
        (Some(mark), _, _, _) => ServiceKey::Fwmark { family, mark },
        _ => return Err(Error::Malformed("service without fwmark or address")),
    };
    Ok(Service {
        key,
        scheduler: scheduler.unwrap_or_default(),
        pe_name,
        flags: ServiceFlags::from_bits_retain(flags.unwrap_or(0)),
        timeout: timeout.unwrap_or(0),
        netmask: Netmask::from_raw(netmask.unwrap_or(0)),
        stats: match counters {
            true => stats64.or(stats32).map(stats::decode).transpose()?,
            false => None,
        },
        unknown,
    })
}

/// Decodes a service nest that may hold only the identifying attributes (as in destination
/// dump requests); the flag tells whether it was a full service (it had a scheduler name).
#[cfg(test)]
pub fn decode_key_or_full(payload: &[u8]) -> Result<(Service, bool), Error> {
    let full = Attrs::new(payload)
        .filter_map(Result::ok)
        .any(|a| a.kind == IPVS_SVC_ATTR_SCHED_NAME);
    Ok((decode(payload)?, full))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Stats;

    #[test]
    fn settings_alone_are_the_whole_service_but_its_counters() {
        let mut svc = Service::new(ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: [192, 0, 2, 7].into(),
            port: 53,
        });
        svc.pe_name = Some(Name::truncated(b"sip"));
        svc.timeout = 600;
        svc.stats = Some(Stats::new(1, 2, 3, 4, 5));
        let mut buf = Vec::new();
        encode(&mut AttrWriter::new(&mut buf), &svc, Style::Reply);
        let nest = Attrs::new(&buf)
            .next()
            .expect("one nest")
            .expect("well formed");
        assert_eq!(decode(nest.payload).expect("decodes"), svc);
        let settings = decode_settings(nest.payload).expect("decodes");
        assert_eq!(settings.stats, None);
        assert_eq!(
            Service {
                stats: svc.stats,
                ..settings
            },
            svc
        );
    }
}
