//! Host and service name lookups behind a trait, so parsing and formatting can be tested
//! with fixed tables while the binary uses the system's name service ([`SystemNames`]).

use std::net::{IpAddr, Ipv4Addr};

/// The lookups ipvsadm makes: forward IPv4 host lookups and service-name lookups while
/// parsing, reverse lookups while printing without `-n`.
pub trait Names {
    /// IPv4 address of a host name (first address), like `gethostbyname`.
    fn host_v4(&self, name: &str) -> Option<Ipv4Addr>;
    /// Canonical name of an address, like `gethostbyaddr`.
    fn host_name(&self, addr: &IpAddr) -> Option<String>;
    /// Port of a service name for a protocol (`tcp`, `udp`, `sctp`).
    fn port(&self, name: &str, proto: &str) -> Option<u16>;
    /// Service name of a port for a protocol.
    fn service_name(&self, port: u16, proto: &str) -> Option<String>;
}

/// The system's name service (NSS), through the C library.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemNames;

impl Names for SystemNames {
    fn host_v4(&self, name: &str) -> Option<Ipv4Addr> {
        crate::sys::host_by_name_v4(name)
    }
    fn host_name(&self, addr: &IpAddr) -> Option<String> {
        crate::sys::host_by_addr(addr)
    }
    fn port(&self, name: &str, proto: &str) -> Option<u16> {
        crate::sys::service_by_name(name, proto)
    }
    fn service_name(&self, port: u16, proto: &str) -> Option<String> {
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
    fn host_v4(&self, name: &str) -> Option<Ipv4Addr> {
        self.hosts.iter().find_map(|(a, n)| match a {
            IpAddr::V4(v4) if n.eq_ignore_ascii_case(name) => Some(*v4),
            _ => None,
        })
    }
    fn host_name(&self, addr: &IpAddr) -> Option<String> {
        self.hosts
            .iter()
            .find(|(a, _)| a == addr)
            .map(|(_, n)| n.clone())
    }
    fn port(&self, name: &str, proto: &str) -> Option<u16> {
        self.services
            .iter()
            .find(|(_, p, n)| p == proto && n == name)
            .map(|(port, _, _)| *port)
    }
    fn service_name(&self, port: u16, proto: &str) -> Option<String> {
        self.services
            .iter()
            .find(|(p, pr, _)| *p == port && pr == proto)
            .map(|(_, _, n)| n.clone())
    }
}
