//! The real servers of a one-call read ([`crate::sockopt`]), kept beside the service index
//! so that a walk hands them out without asking the kernel again: 32 bytes per real server
//! read through the socket options, and the rare lists completed through netlink (tunnel
//! or other-family real servers) as they came. IPv6 services' lists are not kept: the walk
//! reads them through netlink, one at a time, as it always did.

use std::net::{IpAddr, Ipv4Addr};

use crate::model::{Dest, Forward};

/// One IPv4 real server without tunnel settings or counters: what the socket options say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Server {
    addr: [u8; 4],
    port: u16,
    forward: u8,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
    active: u32,
    inact: u32,
    persist: u32,
}

/// Every service's real servers, by the service's position in the read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Servers {
    /// Where each service's compact list starts in `compact`; one more entry at the end.
    starts: Vec<u32>,
    compact: Vec<Server>,
    /// Lists read through netlink instead, by position, in position order.
    full: Vec<(u32, Vec<Dest>)>,
    /// Positions whose lists are left to the walk, in position order.
    later: Vec<u32>,
}

impl Servers {
    pub(crate) fn new() -> Servers {
        Servers {
            starts: vec![0],
            ..Servers::default()
        }
    }

    /// The next service's real servers, read through the socket options: only IPv4 ones
    /// without tunnel forwarding, counters or attributes (the caller has checked).
    pub(crate) fn push_compact(&mut self, dests: &[Dest]) {
        for d in dests {
            let IpAddr::V4(v4) = d.addr else {
                unreachable!("the socket options read IPv4 real servers only")
            };
            self.compact.push(Server {
                addr: v4.octets(),
                port: d.port,
                forward: d.forward.raw() as u8,
                weight: d.weight,
                u_threshold: d.u_threshold,
                l_threshold: d.l_threshold,
                active: d.active_conns,
                inact: d.inact_conns,
                persist: d.persist_conns,
            });
        }
        self.starts.push(self.compact.len() as u32);
    }

    /// The next service's real servers, as netlink gave them.
    pub(crate) fn push_full(&mut self, dests: Vec<Dest>) {
        self.full.push((self.starts.len() as u32 - 1, dests));
        self.starts.push(self.compact.len() as u32);
    }

    /// The next service, whose real servers are left to the walk (an IPv6 service's).
    pub(crate) fn push_later(&mut self) {
        self.later.push(self.starts.len() as u32 - 1);
        self.starts.push(self.compact.len() as u32);
    }

    /// Fills `out` with the real servers of the service at position `pos`; `false` (and
    /// `out` untouched) when they are left to the walk.
    pub(crate) fn fill(&self, pos: u32, out: &mut Vec<Dest>) -> bool {
        if self.later.binary_search(&pos).is_ok() {
            return false;
        }
        out.clear();
        if let Ok(i) = self.full.binary_search_by_key(&pos, |(p, _)| *p) {
            out.extend(self.full[i].1.iter().cloned());
            return true;
        }
        let (from, to) = (self.starts[pos as usize], self.starts[pos as usize + 1]);
        out.extend(self.compact[from as usize..to as usize].iter().map(|s| {
            let mut d = Dest::new(Ipv4Addr::from(s.addr).into(), s.port);
            d.forward = Forward::from_raw(s.forward.into());
            d.weight = s.weight;
            d.u_threshold = s.u_threshold;
            d.l_threshold = s.l_threshold;
            d.active_conns = s.active;
            d.inact_conns = s.inact;
            d.persist_conns = s.persist;
            d
        }));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_gets_its_own_list_back() {
        let mut a = Dest::new([198, 51, 100, 1].into(), 80);
        a.forward = Forward::Masq;
        a.weight = -3;
        a.u_threshold = 7;
        a.persist_conns = 9;
        let b = Dest::new([198, 51, 100, 2].into(), 0);
        let mut t = Dest::new("2001:db8::1".parse().unwrap(), 80);
        t.forward = Forward::Tunnel;
        let mut s = Servers::new();
        s.push_compact(&[a.clone(), b.clone()]);
        s.push_full(vec![t.clone()]);
        s.push_compact(&[]);
        s.push_later();
        s.push_compact(std::slice::from_ref(&b));
        let mut out = Vec::new();
        for (pos, want) in [
            (0, vec![a, b.clone()]),
            (1, vec![t]),
            (2, vec![]),
            (4, vec![b]),
        ] {
            assert!(s.fill(pos, &mut out));
            assert_eq!(out, want, "service {pos}");
        }
        assert!(!s.fill(3, &mut out), "left to the walk");
        assert_eq!(std::mem::size_of::<Server>(), 32);
    }
}
