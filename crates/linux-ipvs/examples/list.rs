//! Lists the kernel's IPVS table: every service with its real servers and their counters,
//! from a read no concurrent change tore. Needs root (CAP_NET_ADMIN) and the ip_vs module.
//!
//!     cargo run -p linux-ipvs --example list

use linux_ipvs::{Client, ServiceKey};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ipvs = Client::open()?;
    let table = ipvs.consistent_snapshot(10, true)?;
    for (svc, dests) in &table.entries {
        let name = match svc.key {
            ServiceKey::Addr {
                protocol,
                addr,
                port,
            } => format!("{} {addr}:{port}", protocol.name().unwrap_or("proto")),
            ServiceKey::Fwmark { family, mark } => format!("fwmark {mark} ({family:?})"),
        };
        let conns = svc.stats.map_or(0, |s| s.conns);
        println!("{name} {} ({conns} connections)", svc.scheduler);
        for d in dests {
            println!(
                "  -> {}:{} {:?} weight {} active {} inactive {}",
                d.addr, d.port, d.forward, d.weight, d.active_conns, d.inact_conns
            );
        }
    }
    Ok(())
}
