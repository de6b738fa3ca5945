//! Codec for a real server (`IPVS_CMD_ATTR_DEST` nest), encode and decode side by side.
//!
//! Requests carry, in ipvsadm's order: ADDR_FAMILY, ADDR, PORT, FWD_METHOD, WEIGHT, TUN_TYPE,
//! TUN_PORT, TUN_FLAGS, U_THRESH, L_THRESH. The kernel's replies start with ADDR and add the
//! connection counts, the family and the counters.

use super::{Style, addr, stats};
use crate::consts::*;
use crate::error::Error;
use crate::model::{Dest, Family, Forward, TunnelFlags, TunnelType, UnknownAttr};
use crate::netlink::attr::{AttrWriter, Attrs};

/// Writes the destination nest in the given style.
pub fn encode(w: &mut AttrWriter<'_>, d: &Dest, style: Style) {
    let nest = style.begin(w, IPVS_CMD_ATTR_DEST);
    if style == Style::Request {
        w.u16(IPVS_DEST_ATTR_ADDR_FAMILY, d.family().raw());
    }
    w.fixed(IPVS_DEST_ATTR_ADDR, addr::encode(&d.addr));
    w.be16(IPVS_DEST_ATTR_PORT, d.port);
    w.u32(IPVS_DEST_ATTR_FWD_METHOD, d.forward.raw());
    w.u32(IPVS_DEST_ATTR_WEIGHT, d.weight as u32);
    w.u8(IPVS_DEST_ATTR_TUN_TYPE, d.tun_type.raw());
    w.be16(IPVS_DEST_ATTR_TUN_PORT, d.tun_port);
    w.u16(IPVS_DEST_ATTR_TUN_FLAGS, d.tun_flags.bits());
    w.u32(IPVS_DEST_ATTR_U_THRESH, d.u_threshold);
    w.u32(IPVS_DEST_ATTR_L_THRESH, d.l_threshold);
    if style == Style::Reply {
        w.u32(IPVS_DEST_ATTR_ACTIVE_CONNS, d.active_conns);
        w.u32(IPVS_DEST_ATTR_INACT_CONNS, d.inact_conns);
        w.u32(IPVS_DEST_ATTR_PERSIST_CONNS, d.persist_conns);
        w.u16(IPVS_DEST_ATTR_ADDR_FAMILY, d.family().raw());
        if let Some(s) = &d.stats {
            stats::encode(w, IPVS_DEST_ATTR_STATS, s, false);
            stats::encode(w, IPVS_DEST_ATTR_STATS64, s, true);
        }
    }
    for u in &d.unknown {
        w.bytes(u.kind, &u.payload);
    }
    w.end_nested(nest);
}

/// Reads a destination from the attributes inside an `IPVS_CMD_ATTR_DEST` nest. Kernels that
/// do not report the destination's own family imply the service's, `service_family`.
pub fn decode(payload: &[u8], service_family: Family) -> Result<Dest, Error> {
    decode_with(payload, service_family, true)
}

/// [`decode`], leaving the counters out (`None`) unless `counters`: decoding them is most
/// of the work, and a listing without counters has no use for them.
pub fn decode_with(payload: &[u8], service_family: Family, counters: bool) -> Result<Dest, Error> {
    let mut family = None;
    let mut raw_addr: Option<&[u8]> = None;
    let mut port = None;
    let mut fwd = None;
    let mut weight = None;
    let mut d = Dest::new(service_family.unspecified(), 0);
    let mut stats32 = None;
    let mut stats64 = None;
    for a in Attrs::new(payload) {
        let a = a?;
        match a.kind {
            IPVS_DEST_ATTR_ADDR_FAMILY => family = Family::from_raw(a.u16()?),
            IPVS_DEST_ATTR_ADDR => raw_addr = Some(a.payload),
            IPVS_DEST_ATTR_PORT => port = Some(a.be16()?),
            IPVS_DEST_ATTR_FWD_METHOD => fwd = Some(a.u32()? & IP_VS_CONN_F_FWD_MASK),
            IPVS_DEST_ATTR_WEIGHT => weight = Some(a.u32()? as i32),
            IPVS_DEST_ATTR_U_THRESH => d.u_threshold = a.u32()?,
            IPVS_DEST_ATTR_L_THRESH => d.l_threshold = a.u32()?,
            IPVS_DEST_ATTR_ACTIVE_CONNS => d.active_conns = a.u32()?,
            IPVS_DEST_ATTR_INACT_CONNS => d.inact_conns = a.u32()?,
            IPVS_DEST_ATTR_PERSIST_CONNS => d.persist_conns = a.u32()?,
            IPVS_DEST_ATTR_TUN_TYPE => d.tun_type = TunnelType::from_raw(a.u8()?),
            IPVS_DEST_ATTR_TUN_PORT => d.tun_port = a.be16()?,
            IPVS_DEST_ATTR_TUN_FLAGS => d.tun_flags = TunnelFlags::from_bits_retain(a.u16()?),
            // Decoded once, at the end: the 64-bit counters when the kernel sends both.
            IPVS_DEST_ATTR_STATS => stats32 = Some(a.payload),
            IPVS_DEST_ATTR_STATS64 => stats64 = Some(a.payload),
            kind => d.unknown.push(UnknownAttr {
                kind,
                payload: a.payload.to_vec(),
            }),
        }
    }
    let raw_addr = raw_addr.ok_or_else(Error::malformed("destination without address"))?;
    d.addr = addr::decode(family.unwrap_or(service_family), raw_addr)?;
    d.port = port.ok_or_else(Error::malformed("destination without port"))?;
    d.forward = Forward::from_raw(fwd.ok_or_else(Error::malformed("destination without method"))?);
    d.weight = weight.ok_or_else(Error::malformed("destination without weight"))?;
    if counters {
        d.stats = stats64.or(stats32).map(stats::decode).transpose()?;
    }
    Ok(d)
}
