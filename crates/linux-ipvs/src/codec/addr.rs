//! Addresses on the IPVS wire: a 16-byte `union nf_inet_addr`, IPv4 in its first four bytes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::Error;
use crate::model::Family;

/// The 16-byte wire form of an address.
pub fn encode(addr: &IpAddr) -> [u8; 16] {
    let mut b = [0u8; 16];
    match addr {
        IpAddr::V4(a) => b[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => b = a.octets(),
    }
    b
}

/// Reads an address of the given family from its wire form (4 or 16 bytes).
pub fn decode(family: Family, payload: &[u8]) -> Result<IpAddr, Error> {
    match family {
        Family::Inet => {
            let b: [u8; 4] = payload
                .get(..4)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(Error::malformed("short IPv4 address"))?;
            Ok(IpAddr::V4(Ipv4Addr::from(b)))
        }
        Family::Inet6 => {
            let b: [u8; 16] = payload
                .get(..16)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(Error::malformed("short IPv6 address"))?;
            Ok(IpAddr::V6(Ipv6Addr::from(b)))
        }
    }
}
