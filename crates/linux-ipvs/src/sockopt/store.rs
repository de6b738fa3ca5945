//! The real servers of a one-call read ([`crate::sockopt`]), kept beside the service index
//! so that a walk hands them out without asking the kernel again: 32 bytes per real server
//! read through the socket options, and the rare lists completed through netlink (tunnel
//! or other-family real servers) as they came. IPv6 services' lists are not kept: the walk
//! reads them through netlink, one at a time, as it always did.

use super::abi::RawDest;
use crate::model::Dest;

/// Every service's real servers, by the service's position in the read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Servers {
    /// Where each service's compact list starts in `compact`; one more entry at the end.
    starts: Vec<u32>,
    compact: Vec<RawDest>,
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

    /// The next service's real servers, read through the socket options (the caller has
    /// checked that none tunnels).
    pub(crate) fn push_compact(&mut self, dests: &[RawDest]) {
        self.compact.extend_from_slice(dests);
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
        out.extend(
            self.compact[from as usize..to as usize]
                .iter()
                .map(|s| s.to_dest()),
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_gets_its_own_list_back() {
        use crate::model::Forward;
        let raw_a = RawDest {
            addr: [198, 51, 100, 1],
            port: 80,
            forward: Forward::Masq.raw() as u8,
            weight: -3,
            u_threshold: 7,
            l_threshold: 2,
            active: 4,
            inact: 5,
            persist: 9,
        };
        let mut a = Dest::new([198, 51, 100, 1].into(), 80);
        a.forward = Forward::Masq;
        a.weight = -3;
        a.u_threshold = 7;
        a.l_threshold = 2;
        a.active_conns = 4;
        a.inact_conns = 5;
        a.persist_conns = 9;
        let raw_b = RawDest {
            addr: [198, 51, 100, 2],
            port: 0,
            forward: Forward::Route.raw() as u8,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            active: 0,
            inact: 0,
            persist: 0,
        };
        let b = Dest::new([198, 51, 100, 2].into(), 0);
        let mut t = Dest::new("2001:db8::1".parse().unwrap(), 80);
        t.forward = Forward::Tunnel;
        let mut s = Servers::new();
        s.push_compact(&[raw_a, raw_b]);
        s.push_full(vec![t.clone()]);
        s.push_compact(&[]);
        s.push_later();
        s.push_compact(&[raw_b]);
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
        assert_eq!(std::mem::size_of::<RawDest>(), 32);
    }
}
