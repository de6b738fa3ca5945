//! Watches one real server's counters: every two seconds (the kernel's own clock for the
//! rates), prints its connection counts and rates. Needs root (CAP_NET_ADMIN) and the
//! ip_vs module.
//!
//!     cargo run -p linux-ipvs --example watch -- 192.0.2.10:80 198.51.100.2:8080

use std::net::SocketAddr;
use std::time::Duration;

use linux_ipvs::{Client, Protocol, ServiceKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [service, server] = args.as_slice() else {
        return Err("usage: watch SERVICE-ADDR:PORT SERVER-ADDR:PORT (a TCP service)".into());
    };
    let service: SocketAddr = service.parse()?;
    let server: SocketAddr = server.parse()?;
    let key = ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: service.ip(),
        port: service.port(),
    };
    let mut ipvs = Client::open()?;
    loop {
        let dests = match ipvs.dests(&key) {
            Err(e) if e.is_not_found() => return Err(format!("no service {service}").into()),
            other => other?,
        };
        let Some(d) = dests
            .iter()
            .find(|d| SocketAddr::new(d.addr, d.port) == server)
        else {
            return Err(format!("{server} is not a real server of {service}").into());
        };
        let s = d.stats.unwrap_or_default();
        println!(
            "active {} inactive {} conns {} ({}/s) in {} B/s out {} B/s",
            d.active_conns, d.inact_conns, s.conns, s.cps, s.inbps, s.outbps
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}
