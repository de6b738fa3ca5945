//! Codec for a connection-synchronisation daemon (`IPVS_CMD_ATTR_DAEMON` nest).
//!
//! Start requests carry STATE, MCAST_IFN, SYNC_ID, then only the optional settings that were
//! given: SYNC_MAXLEN, MCAST_PORT (host order), MCAST_TTL, MCAST_GROUP or MCAST_GROUP6.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Style;
use crate::consts::*;
use crate::error::Error;
use crate::model::{Daemon, DaemonState, Name, UnknownAttr};
use crate::netlink::attr::{AttrWriter, Attrs};

/// Writes the daemon nest.
pub fn encode(w: &mut AttrWriter<'_>, d: &Daemon, style: Style) {
    let nest = style.begin(w, IPVS_CMD_ATTR_DAEMON);
    w.u32(IPVS_DAEMON_ATTR_STATE, d.state.raw());
    w.cstr(IPVS_DAEMON_ATTR_MCAST_IFN, d.mcast_ifn.as_bytes());
    w.u32(IPVS_DAEMON_ATTR_SYNC_ID, d.syncid);
    if let Some(v) = d.sync_maxlen {
        w.u16(IPVS_DAEMON_ATTR_SYNC_MAXLEN, v);
    }
    if let Some(v) = d.mcast_port {
        w.u16(IPVS_DAEMON_ATTR_MCAST_PORT, v);
    }
    if let Some(v) = d.mcast_ttl {
        w.u8(IPVS_DAEMON_ATTR_MCAST_TTL, v);
    }
    match d.mcast_group {
        Some(IpAddr::V4(g)) => {
            w.fixed(IPVS_DAEMON_ATTR_MCAST_GROUP, g.octets());
        }
        Some(IpAddr::V6(g)) => {
            w.fixed(IPVS_DAEMON_ATTR_MCAST_GROUP6, g.octets());
        }
        None => {}
    }
    for u in &d.unknown {
        w.bytes(u.kind, &u.payload);
    }
    w.end_nested(nest);
}

/// Reads a daemon from the attributes inside an `IPVS_CMD_ATTR_DAEMON` nest.
pub fn decode(payload: &[u8]) -> Result<Daemon, Error> {
    let mut state = None;
    let mut ifn = None;
    let mut syncid = None;
    let mut d = Daemon::new(DaemonState::Master, Name::EMPTY, 0);
    for a in Attrs::new(payload) {
        let a = a?;
        match a.kind {
            IPVS_DAEMON_ATTR_STATE => {
                state = match a.u32()? {
                    IP_VS_STATE_MASTER => Some(DaemonState::Master),
                    IP_VS_STATE_BACKUP => Some(DaemonState::Backup),
                    _ => return Err(Error::Malformed("unknown daemon state")),
                }
            }
            IPVS_DAEMON_ATTR_MCAST_IFN => ifn = Some(Name::truncated(a.cstr())),
            IPVS_DAEMON_ATTR_SYNC_ID => syncid = Some(a.u32()?),
            IPVS_DAEMON_ATTR_SYNC_MAXLEN => d.sync_maxlen = Some(a.u16()?),
            IPVS_DAEMON_ATTR_MCAST_PORT => d.mcast_port = Some(a.u16()?),
            IPVS_DAEMON_ATTR_MCAST_TTL => d.mcast_ttl = Some(a.u8()?),
            IPVS_DAEMON_ATTR_MCAST_GROUP => {
                let b: [u8; 4] = a
                    .payload
                    .get(..4)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(Error::malformed("short multicast group"))?;
                d.mcast_group = Some(IpAddr::V4(Ipv4Addr::from(b)));
            }
            IPVS_DAEMON_ATTR_MCAST_GROUP6 => {
                let b: [u8; 16] = a
                    .payload
                    .get(..16)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(Error::malformed("short multicast group"))?;
                d.mcast_group = Some(IpAddr::V6(Ipv6Addr::from(b)));
            }
            kind => d.unknown.push(UnknownAttr {
                kind,
                payload: a.payload.to_vec(),
            }),
        }
    }
    d.state = state.ok_or_else(Error::malformed("daemon without state"))?;
    d.mcast_ifn = ifn.ok_or_else(Error::malformed("daemon without interface"))?;
    d.syncid = syncid.ok_or_else(Error::malformed("daemon without sync id"))?;
    Ok(d)
}
