//! Codec for the counters nest (`IPVS_*_ATTR_STATS`, 32-bit packet counters, and
//! `IPVS_*_ATTR_STATS64`, all 64-bit). Replies only: nothing sends stats to the kernel,
//! but [`encode`] exists so tests can check both directions.

use crate::consts::*;
use crate::error::Error;
use crate::model::Stats;
use crate::netlink::attr::{AttrWriter, Attrs};

/// Decodes a stats nest; each counter is read as 32 or 64 bits according to its length.
pub fn decode(payload: &[u8]) -> Result<Stats, Error> {
    let mut s = Stats::default();
    for a in Attrs::new(payload) {
        let a = a?;
        let v = match a.payload.len() {
            4 => u64::from(a.u32()?),
            8 => a.u64()?,
            _ => continue, // PAD, or something new
        };
        match a.kind {
            IPVS_STATS_ATTR_CONNS => s.conns = v,
            IPVS_STATS_ATTR_INPKTS => s.inpkts = v,
            IPVS_STATS_ATTR_OUTPKTS => s.outpkts = v,
            IPVS_STATS_ATTR_INBYTES => s.inbytes = v,
            IPVS_STATS_ATTR_OUTBYTES => s.outbytes = v,
            IPVS_STATS_ATTR_CPS => s.cps = v,
            IPVS_STATS_ATTR_INPPS => s.inpps = v,
            IPVS_STATS_ATTR_OUTPPS => s.outpps = v,
            IPVS_STATS_ATTR_INBPS => s.inbps = v,
            IPVS_STATS_ATTR_OUTBPS => s.outbps = v,
            _ => {}
        }
    }
    Ok(s)
}

/// Encodes a stats nest the way the kernel does: `wide` selects STATS64 (all u64) over
/// STATS (u32 except the byte counters).
pub fn encode(w: &mut AttrWriter<'_>, kind: u16, s: &Stats, wide: bool) {
    let nest = super::Style::Reply.begin(w, kind);
    let put = |w: &mut AttrWriter<'_>, k: u16, v: u64, always64: bool| {
        if wide || always64 {
            w.u64(k, v);
        } else {
            w.u32(k, v as u32);
        }
    };
    put(w, IPVS_STATS_ATTR_CONNS, s.conns, false);
    put(w, IPVS_STATS_ATTR_INPKTS, s.inpkts, false);
    put(w, IPVS_STATS_ATTR_OUTPKTS, s.outpkts, false);
    put(w, IPVS_STATS_ATTR_INBYTES, s.inbytes, true);
    put(w, IPVS_STATS_ATTR_OUTBYTES, s.outbytes, true);
    put(w, IPVS_STATS_ATTR_CPS, s.cps, false);
    put(w, IPVS_STATS_ATTR_INPPS, s.inpps, false);
    put(w, IPVS_STATS_ATTR_OUTPPS, s.outpps, false);
    put(w, IPVS_STATS_ATTR_INBPS, s.inbps, false);
    put(w, IPVS_STATS_ATTR_OUTBPS, s.outbps, false);
    w.end_nested(nest);
}
