//! IPVS over generic netlink: kernel constants, the typed model, the codec for each kernel
//! object (encode and decode side by side), and the client that owns the socket.

pub mod addr;
pub mod client;
pub mod config;
pub mod consts;
pub mod daemon;
pub mod dest;
pub mod model;
pub mod service;
pub mod stats;

pub use client::{Change, Client};
pub use model::*;

use crate::netlink::attr::{AttrWriter, Nest};

/// Which side's conventions an encoder follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
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
