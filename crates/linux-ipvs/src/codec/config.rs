//! Codec for the global objects carried as top-level attributes: protocol timeouts
//! (`IPVS_CMD_SET_CONFIG`/`GET_CONFIG`) and version information (`IPVS_CMD_GET_INFO`).

use crate::consts::*;
use crate::error::Error;
use crate::model::{Info, Timeouts};
use crate::netlink::attr::{AttrWriter, Attrs};

/// Writes the three timeout attributes (always all three, 0 meaning "keep").
pub fn encode_timeouts(w: &mut AttrWriter<'_>, t: &Timeouts) {
    w.u32(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
    w.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin);
    w.u32(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
}

/// Reads the timeouts from a `GET_CONFIG` reply's attributes.
pub fn decode_timeouts(attrs: &[u8]) -> Result<Timeouts, Error> {
    let mut t = Timeouts::default();
    for a in Attrs::new(attrs) {
        let a = a?;
        match a.kind {
            IPVS_CMD_ATTR_TIMEOUT_TCP => t.tcp = a.u32()?,
            IPVS_CMD_ATTR_TIMEOUT_TCP_FIN => t.tcp_fin = a.u32()?,
            IPVS_CMD_ATTR_TIMEOUT_UDP => t.udp = a.u32()?,
            _ => {}
        }
    }
    Ok(t)
}

/// Writes the info attributes as the kernel does in its `GET_INFO` reply.
#[cfg(any(test, feature = "fuzzing"))]
pub fn encode_info(w: &mut AttrWriter<'_>, i: &Info) {
    w.u32(IPVS_INFO_ATTR_VERSION, i.version);
    w.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE, i.conn_tab_size);
}

/// Reads a `GET_INFO` reply's attributes.
pub fn decode_info(attrs: &[u8]) -> Result<Info, Error> {
    let mut version = None;
    let mut size = None;
    for a in Attrs::new(attrs) {
        let a = a?;
        match a.kind {
            IPVS_INFO_ATTR_VERSION => version = Some(a.u32()?),
            IPVS_INFO_ATTR_CONN_TAB_SIZE => size = Some(a.u32()?),
            _ => {}
        }
    }
    Ok(Info {
        version: version.ok_or_else(Error::malformed("info without version"))?,
        conn_tab_size: size.ok_or_else(Error::malformed("info without table size"))?,
    })
}
