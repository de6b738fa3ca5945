//! Converges the kernel's IPVS table on a desired one without a flush: reads the table,
//! computes the changes with `plan` (services edited in place, only what differs added or
//! removed, real servers drained rather than cut), prints them, and applies them unless
//! `--dry-run` is given. Needs root (CAP_NET_ADMIN) and the ip_vs module.
//!
//!     cargo run -p linux-ipvs --example converge -- [--dry-run]
//!
//! The desired table here is fixed: one TCP service on 192.0.2.10:80 with round robin and
//! two real servers, NAT-forwarded. A controller would build it from its own source of truth.

use linux_ipvs::{Client, Dest, Forward, Name, Protocol, Removal, Service, ServiceKey, plan};

/// Services with their real servers, as `plan` takes them.
type Table = Vec<(Service, Vec<Dest>)>;

fn desired() -> Result<Table, Box<dyn std::error::Error>> {
    let mut web = Service::new(ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: "192.0.2.10".parse()?,
        port: 80,
    });
    web.scheduler = Name::new(b"rr")?;
    let mut servers = Vec::new();
    for addr in ["198.51.100.2", "198.51.100.3"] {
        let mut d = Dest::new(addr.parse()?, 8080);
        d.forward = Forward::Masq;
        servers.push(d);
    }
    Ok(vec![(web, servers)])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dry_run = std::env::args().any(|a| a == "--dry-run");
    let mut ipvs = Client::open()?;
    let current = ipvs.consistent_snapshot(10, false)?.entries;
    let todo = plan(&current, &desired()?, Removal::Drain);
    for change in &todo.changes {
        println!("{:?}", change.kind());
    }
    println!(
        "{} added, {} edited, {} removed, {} draining",
        todo.counts.added,
        todo.counts.edited,
        todo.counts.removed,
        todo.draining.len()
    );
    if !dry_run {
        for (change, outcome) in todo.changes.iter().zip(todo.apply(&mut ipvs)?) {
            if let Err(e) = outcome {
                eprintln!("{:?}: {e}", change.kind());
            }
        }
    }
    Ok(())
}
