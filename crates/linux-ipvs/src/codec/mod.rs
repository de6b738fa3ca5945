//! The codec: one module per kernel object (service, real server, counters, sync daemon,
//! global configuration), each turning the typed model into netlink attributes and back,
//! encode and decode side by side. Attributes a module does not know are kept, not dropped.
//! Requests are written as ipvsadm writes them and replies as the kernel does, so both
//! directions can be checked against captured traffic (the golden tests beside this module).

pub(crate) mod addr;
pub(crate) mod config;
pub(crate) mod daemon;
pub(crate) mod dest;
pub(crate) mod service;
pub(crate) mod stats;

#[cfg(test)]
mod golden;

use crate::netlink::attr::{AttrWriter, Nest};

/// Which side's conventions an encoder follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// As ipvsadm sends requests: nests flagged `NLA_F_NESTED`, no counters.
    Request,
    /// As the kernel replies: plain nests, counters and connection counts included.
    Reply,
}

impl Style {
    fn begin(self, w: &mut AttrWriter<'_>, kind: u16) -> Nest {
        match self {
            Style::Request => w.begin_nested(kind),
            Style::Reply => w.begin_plain_nest(kind),
        }
    }
}
