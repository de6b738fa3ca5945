//! Host and service name lookups behind a trait, so parsing and formatting can be tested
//! with fixed tables while the binary uses the system's name service ([`SystemNames`]).

use std::net::{IpAddr, Ipv4Addr};

/// The lookups ipvsadm makes: forward IPv4 host lookups and service-name lookups while
/// parsing, reverse lookups while printing without `-n`. Names are bytes, as the C library
/// hands them over (they need not be UTF-8).
pub trait Names {
    /// IPv4 address of a host name (first address), like `gethostbyname`.
    fn host_v4(&self, name: &[u8]) -> Option<Ipv4Addr>;
    /// Canonical name of an address, like `gethostbyaddr`.
    fn host_name(&self, addr: &IpAddr) -> Option<Vec<u8>>;
    /// Port of a service name for a protocol (`tcp`, `udp`, `sctp`).
    fn port(&self, name: &[u8], proto: &str) -> Option<u16>;
    /// Service name of a port for a protocol.
    fn service_name(&self, port: u16, proto: &str) -> Option<Vec<u8>>;
}

/// The system's name service (NSS), through the C library.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemNames;

impl Names for SystemNames {
    fn host_v4(&self, name: &[u8]) -> Option<Ipv4Addr> {
        crate::sys::host_by_name_v4(name)
    }
    fn host_name(&self, addr: &IpAddr) -> Option<Vec<u8>> {
        crate::sys::host_by_addr(addr)
    }
    fn port(&self, name: &[u8], proto: &str) -> Option<u16> {
        crate::sys::service_by_name(name, proto)
    }
    fn service_name(&self, port: u16, proto: &str) -> Option<Vec<u8>> {
        crate::sys::service_by_port(port, proto)
    }
}

/// A fixed table of names, for tests and for callers that must not touch NSS.
#[derive(Debug, Default, Clone)]
pub struct StaticNames {
    /// (address, canonical name) pairs; the first pair with an address or name wins.
    pub hosts: Vec<(IpAddr, String)>,
    /// (port, protocol, name) triples.
    pub services: Vec<(u16, String, String)>,
}

impl Names for StaticNames {
    fn host_v4(&self, name: &[u8]) -> Option<Ipv4Addr> {
        self.hosts.iter().find_map(|(a, n)| match a {
            IpAddr::V4(v4) if n.as_bytes().eq_ignore_ascii_case(name) => Some(*v4),
            _ => None,
        })
    }
    fn host_name(&self, addr: &IpAddr) -> Option<Vec<u8>> {
        self.hosts
            .iter()
            .find(|(a, _)| a == addr)
            .map(|(_, n)| n.as_bytes().to_vec())
    }
    fn port(&self, name: &[u8], proto: &str) -> Option<u16> {
        self.services
            .iter()
            .find(|(_, p, n)| p == proto && n.as_bytes() == name)
            .map(|(port, _, _)| *port)
    }
    fn service_name(&self, port: u16, proto: &str) -> Option<Vec<u8>> {
        self.services
            .iter()
            .find(|(p, pr, _)| *p == port && pr == proto)
            .map(|(_, _, n)| n.as_bytes().to_vec())
    }
}
