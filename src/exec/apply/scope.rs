//! The scope of `ipvsadm-restore --apply` (`--scope TERM`, repeatable): the services it may
//! add, edit or remove. A director often shares its IPVS table with keepalived, kube-proxy
//! or another team's rules; a scope keeps `--apply` to its own services. A term is a
//! comma-separated list of criteria that a service must all meet:
//!
//! - `addr=PREFIX` (an address or a prefix, IPv4 or IPv6, e.g. `192.0.2.0/24`,
//!   `2001:db8::/32`),
//! - `port=N` or `port=N-M`,
//! - `proto=tcp|udp|sctp`,
//! - `fwmark=N` or `fwmark=N-M` (firewall-mark services, either family; not with the others).
//!
//! A service is in the scope when it meets any one term. No term at all is the whole table.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use linux_ipvs::{Protocol, ServiceKey};

/// One `--scope` term: criteria that all hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Term {
    addr: Option<IpNet>,
    ports: Option<(u16, u16)>,
    proto: Option<Protocol>,
    fwmarks: Option<(u32, u32)>,
}

/// The services `--apply` may touch: those that meet any of its terms; all without one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    terms: Vec<Term>,
}

impl Scope {
    /// The scope of these terms (none: the whole table).
    pub const fn new(terms: Vec<Term>) -> Scope {
        Scope { terms }
    }

    /// Whether it is the whole table (no `--scope`).
    pub fn is_whole(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether the service of this key is in the scope.
    pub fn covers(&self, key: &ServiceKey) -> bool {
        self.is_whole() || self.terms.iter().any(|t| t.covers(key))
    }
}

impl Term {
    fn covers(&self, key: &ServiceKey) -> bool {
        match *key {
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            } => {
                self.fwmarks.is_none()
                    && self.addr.is_none_or(|net| net.contains(&addr))
                    && self.ports.is_none_or(|(lo, hi)| (lo..=hi).contains(&port))
                    && self.proto.is_none_or(|p| p == protocol)
            }
            ServiceKey::Fwmark { mark, .. } => self
                .fwmarks
                .is_some_and(|(lo, hi)| (lo..=hi).contains(&mark)),
        }
    }
}

impl FromStr for Term {
    type Err = String;

    fn from_str(s: &str) -> Result<Term, String> {
        let mut t = Term::default();
        for criterion in s.split(',') {
            let (name, value) = criterion.split_once('=').ok_or_else(|| {
                format!("'{criterion}' is not NAME=VALUE (addr=, port=, proto= or fwmark=)")
            })?;
            let twice = || format!("{name}= is given twice in one term");
            match name {
                "addr" => {
                    let net = value
                        .parse::<IpNet>()
                        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
                        .map_err(|_| format!("addr={value}: not an address or a prefix"))?;
                    t.addr.replace(net).map_or(Ok(()), |_| Err(twice()))?;
                }
                "port" => {
                    let r = range::<u16>(value).ok_or_else(|| {
                        format!("port={value}: not a port or a range of ports (N or N-M)")
                    })?;
                    t.ports.replace(r).map_or(Ok(()), |_| Err(twice()))?;
                }
                "proto" => {
                    let p = match value.to_ascii_lowercase().as_str() {
                        "tcp" => Protocol::Tcp,
                        "udp" => Protocol::Udp,
                        "sctp" => Protocol::Sctp,
                        _ => return Err(format!("proto={value}: not tcp, udp or sctp")),
                    };
                    t.proto.replace(p).map_or(Ok(()), |_| Err(twice()))?;
                }
                "fwmark" => {
                    let r = range::<u32>(value).ok_or_else(|| {
                        format!("fwmark={value}: not a mark or a range of marks (N or N-M)")
                    })?;
                    t.fwmarks.replace(r).map_or(Ok(()), |_| Err(twice()))?;
                }
                _ => {
                    return Err(format!(
                        "{name}=: unknown (addr=, port=, proto= or fwmark=)"
                    ));
                }
            }
        }
        if t.fwmarks.is_some() && (t.addr.is_some() || t.ports.is_some() || t.proto.is_some()) {
            return Err(
                "fwmark= cannot be combined with addr=, port= or proto= (a firewall-mark service has none)"
                    .to_string(),
            );
        }
        Ok(t)
    }
}

/// `N` or `N-M` (N <= M), decimal.
fn range<T: FromStr + Ord + Copy>(s: &str) -> Option<(T, T)> {
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let v = s.parse().ok()?;
            (v, v)
        }
    };
    (lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_ipvs::Family;

    fn key(proto: Protocol, addr: &str, port: u16) -> ServiceKey {
        ServiceKey::Addr {
            protocol: proto,
            addr: addr.parse().unwrap(),
            port,
        }
    }

    fn scope(terms: &[&str]) -> Scope {
        Scope::new(terms.iter().map(|t| t.parse().unwrap()).collect())
    }

    #[test]
    fn terms_match_all_their_criteria_and_any_term_will_do() {
        let s = scope(&[
            "addr=192.0.2.0/24,port=80-89,proto=tcp",
            "addr=2001:db8::/32",
            "fwmark=100-199",
        ]);
        assert!(s.covers(&key(Protocol::Tcp, "192.0.2.7", 80)));
        assert!(s.covers(&key(Protocol::Tcp, "192.0.2.7", 89)));
        assert!(!s.covers(&key(Protocol::Tcp, "192.0.2.7", 90)));
        assert!(!s.covers(&key(Protocol::Udp, "192.0.2.7", 80)));
        assert!(!s.covers(&key(Protocol::Tcp, "198.51.100.7", 80)));
        assert!(s.covers(&key(Protocol::Udp, "2001:db8:1::5", 53)));
        assert!(!s.covers(&key(Protocol::Udp, "2001:db9::5", 53)));
        let mark = |m| ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: m,
        };
        assert!(s.covers(&mark(150)));
        assert!(!s.covers(&mark(200)));
        assert!(!scope(&["addr=0.0.0.0/0"]).covers(&mark(1)));
        assert!(scope(&["addr=192.0.2.5"]).covers(&key(Protocol::Sctp, "192.0.2.5", 0)));
        assert!(!scope(&["addr=192.0.2.5"]).covers(&key(Protocol::Sctp, "192.0.2.6", 0)));
        assert!(Scope::default().covers(&mark(1)));
    }

    #[test]
    fn bad_terms_are_refused() {
        for bad in [
            "",
            "addr",
            "addr=192.0.2.0/33",
            "port=90-80",
            "port=70000",
            "proto=icmp",
            "fwmark=1,addr=192.0.2.0/24",
            "host=x",
            "port=80,port=81",
        ] {
            assert!(bad.parse::<Term>().is_err(), "{bad}");
        }
    }
}
