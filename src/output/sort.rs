//! Listing order (deviation D2 in the README): the reference's sort keys compared as unsigned numbers.
//!
//! Services are ordered by (fwmark, family, protocol, address, port) and real servers by
//! (family, address, port); fwmark services have protocol 0, no address and port 0, so the
//! non-fwmark services (fwmark 0) come first. Families compare by their kernel numbers
//! (`AF_INET` 2 before `AF_INET6` 10) and addresses as big-endian unsigned integers, so the
//! order is numeric even for values 2^31 or more apart, where the reference's
//! wrapping-subtraction comparator goes backwards (deliberately not reproduced). The sorts
//! are stable: equal keys keep the kernel's order.

use std::net::IpAddr;

use super::Snapshot;
use linux_ipvs::{Dest, Service, ServiceKey};

/// An address as one unsigned number (IPv4 and IPv6 never compare with each other, because
/// the family is compared first).
fn addr_key(a: &IpAddr) -> u128 {
    match a {
        IpAddr::V4(v4) => u128::from(u32::from(*v4)),
        IpAddr::V6(v6) => u128::from(*v6),
    }
}

/// The sort key of a service, from its key: what a service index is ordered by
/// ([`linux_ipvs::ServiceIndex::sort_by_key`]).
pub fn service_key(key: &ServiceKey) -> (u32, u16, u16, u128, u16) {
    match *key {
        ServiceKey::Addr {
            protocol,
            addr,
            port,
        } => (0, key.family().raw(), protocol.raw(), addr_key(&addr), port),
        ServiceKey::Fwmark { family, mark } => (mark, family.raw(), 0, 0, 0),
    }
}

/// The sort key of a real server.
pub(crate) fn dest_key(d: &Dest) -> (u16, u128, u16) {
    (d.family().raw(), addr_key(&d.addr), d.port)
}

/// Sorts the snapshot in place: services, and each service's real servers (D2 order).
pub fn sort_snapshot(snap: &mut Snapshot) {
    snap.services.sort_by_key(|(s, _)| service_key(&s.key));
    for (_, dests) in &mut snap.services {
        dests.sort_by_key(dest_key);
    }
}

/// Indices of `services` in listing order (kernel order when `nosort`).
pub(crate) fn service_order(services: &[(Service, Vec<Dest>)], nosort: bool) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..services.len()).collect();
    if !nosort {
        idx.sort_by_key(|&i| service_key(&services[i].0.key));
    }
    idx
}

/// Fills `idx` with the indices of `dests` in listing order (kernel order when `nosort`).
pub(crate) fn dest_order(dests: &[Dest], nosort: bool, idx: &mut Vec<usize>) {
    idx.clear();
    idx.extend(0..dests.len());
    if !nosort {
        idx.sort_by_key(|&i| dest_key(&dests[i]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_ipvs::{Family, Info, Protocol};

    fn tcp(a: &str, port: u16) -> Service {
        Service::new(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: a.parse().unwrap(),
            port,
        })
    }
    fn proto(p: Protocol, a: &str, port: u16) -> Service {
        Service::new(ServiceKey::Addr {
            protocol: p,
            addr: a.parse().unwrap(),
            port,
        })
    }
    fn fwm(family: Family, mark: u32) -> Service {
        Service::new(ServiceKey::Fwmark { family, mark })
    }
    fn label(s: &Service) -> String {
        match s.key {
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            } => format!("{protocol:?} {addr} {port}"),
            ServiceKey::Fwmark { family, mark } => format!("FWM {mark} {family:?}"),
        }
    }

    #[test]
    fn services_numeric_order() {
        let services = vec![
            fwm(Family::Inet, 4_294_967_295),
            fwm(Family::Inet, 3),
            fwm(Family::Inet6, 2),
            fwm(Family::Inet, 2),
            fwm(Family::Inet, 2_147_483_648),
            fwm(Family::Inet, 2_147_483_647),
            tcp("200.1.1.1", 80),
            proto(Protocol::Sctp, "1.1.1.1", 80),
            tcp("2001:db8::2", 80),
            tcp("8.8.8.8", 80),
            proto(Protocol::Udp, "1.1.1.1", 80),
            tcp("255.255.255.254", 80),
            tcp("10.0.0.1", 81),
            tcp("10.0.0.1", 80),
            tcp("2001:db8:ffff::1", 80),
            tcp("1.1.1.1", 65535),
            proto(Protocol::Other(255), "0.0.0.1", 1),
        ];
        let mut snap = Snapshot {
            info: Info::new(0x010201, 4096),
            services: services.into_iter().map(|s| (s, Vec::new())).collect(),
        };
        sort_snapshot(&mut snap);
        let got: Vec<String> = snap.services.iter().map(|(s, _)| label(s)).collect();
        assert_eq!(
            got,
            [
                "Tcp 1.1.1.1 65535",
                "Tcp 8.8.8.8 80",
                "Tcp 10.0.0.1 80",
                "Tcp 10.0.0.1 81",
                "Tcp 200.1.1.1 80",
                "Tcp 255.255.255.254 80",
                "Udp 1.1.1.1 80",
                "Sctp 1.1.1.1 80",
                "Other(255) 0.0.0.1 1",
                "Tcp 2001:db8::2 80",
                "Tcp 2001:db8:ffff::1 80",
                "FWM 2 Inet",
                "FWM 2 Inet6",
                "FWM 3 Inet",
                "FWM 2147483647 Inet",
                "FWM 2147483648 Inet",
                "FWM 4294967295 Inet",
            ]
        );
    }

    #[test]
    fn dests_numeric_order_and_stable() {
        let mk = |a: &str, p: u16, w: i32| {
            let mut d = Dest::new(a.parse().unwrap(), p);
            d.weight = w;
            d
        };
        let mut dests = vec![
            mk("2001:db8::4", 80, 0),
            mk("200.1.1.1", 80, 0),
            mk("127.0.0.1", 8000, 0),
            mk("2001:db8::2", 80, 0),
            mk("192.168.2.1", 81, 0),
            mk("1.1.1.1", 80, 0),
            mk("192.168.2.1", 79, 0),
            mk("192.168.2.1", 80, 1),
            mk("192.168.2.1", 80, 2),
            mk("::ffff:1.1.1.1", 80, 0),
        ];
        let mut idx = Vec::new();
        dest_order(&dests, true, &mut idx);
        assert_eq!(idx, (0..dests.len()).collect::<Vec<_>>());
        dest_order(&dests, false, &mut idx);
        let sorted: Vec<String> = idx
            .iter()
            .map(|&i| format!("{}:{}/{}", dests[i].addr, dests[i].port, dests[i].weight))
            .collect();
        assert_eq!(
            sorted,
            [
                "1.1.1.1:80/0",
                "127.0.0.1:8000/0",
                "192.168.2.1:79/0",
                "192.168.2.1:80/1",
                "192.168.2.1:80/2",
                "192.168.2.1:81/0",
                "200.1.1.1:80/0",
                "::ffff:1.1.1.1:80/0",
                "2001:db8::2:80/0",
                "2001:db8::4:80/0",
            ]
        );
        dests.sort_by_key(dest_key);
        let direct: Vec<String> = dests
            .iter()
            .map(|d| format!("{}:{}/{}", d.addr, d.port, d.weight))
            .collect();
        assert_eq!(direct, sorted);
    }
}
