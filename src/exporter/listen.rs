//! `--web.listen-address`: where the exporter listens, written as the Prometheus exporters
//! write it: `HOST:PORT` with a host name or an address (`[ADDRESS]:PORT` for IPv6), or
//! `:PORT` for every address of the host. A host name stands for every address it
//! resolves to.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// One `--web.listen-address`, parsed but not resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// `:PORT`: every address (IPv6 and IPv4, through one dual-stack socket).
    Any(u16),
    /// An address and port.
    Addr(SocketAddr),
    /// A host name and port, resolved when the exporter starts.
    Host(String, u16),
}

/// Why a listen address is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ListenError {
    /// No `:PORT` at the end.
    #[error("{0:?}: expected HOST:PORT, [ADDRESS]:PORT or :PORT")]
    Form(String),
    /// The port is not a number from 0 to 65535.
    #[error("{0:?}: the port is not a number from 0 to 65535")]
    Port(String),
}

impl std::str::FromStr for Listen {
    type Err = ListenError;

    fn from_str(s: &str) -> Result<Listen, ListenError> {
        let (host, port) = s
            .rsplit_once(':')
            .ok_or_else(|| ListenError::Form(s.into()))?;
        let port: u16 = port.parse().map_err(|_| ListenError::Port(s.into()))?;
        if host.is_empty() {
            return Ok(Listen::Any(port));
        }
        if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            let ip: Ipv6Addr = v6.parse().map_err(|_| ListenError::Form(s.into()))?;
            return Ok(Listen::Addr(SocketAddr::new(IpAddr::V6(ip), port)));
        }
        if host.contains(':') || host.contains('[') || host.contains(']') {
            // An IPv6 address must be bracketed: `::1:9617` is ambiguous.
            return Err(ListenError::Form(s.into()));
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => Ok(Listen::Addr(SocketAddr::new(ip, port))),
            Err(_) => Ok(Listen::Host(host.to_string(), port)),
        }
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Any(port) => write!(f, ":{port}"),
            Listen::Addr(a) => write!(f, "{a}"),
            Listen::Host(h, port) => write!(f, "{h}:{port}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_are_read_as_exporters_write_them() {
        let p = |s: &str| s.parse::<Listen>();
        assert_eq!(p(":9617"), Ok(Listen::Any(9617)));
        assert_eq!(
            p("127.0.0.1:80"),
            Ok(Listen::Addr("127.0.0.1:80".parse().unwrap()))
        );
        assert_eq!(
            p("[::1]:9617"),
            Ok(Listen::Addr("[::1]:9617".parse().unwrap()))
        );
        assert_eq!(
            p("localhost:9617"),
            Ok(Listen::Host("localhost".into(), 9617))
        );
        assert!(matches!(p("9617"), Err(ListenError::Form(_))));
        assert!(matches!(p("::1:9617"), Err(ListenError::Form(_))));
        assert!(matches!(p("[nope]:9617"), Err(ListenError::Form(_))));
        assert!(matches!(p("host:65536"), Err(ListenError::Port(_))));
        assert!(matches!(p("host:"), Err(ListenError::Port(_))));
        assert_eq!(p("[::1]:9617").unwrap().to_string(), "[::1]:9617");
        assert_eq!(p(":1").unwrap().to_string(), ":1");
    }
}
