//! The floor for listing benchmarks: the kernel's own cost of reading a table the way
//! `ipvsadm -L` read it through netlink alone (the one-call socket options turned off:
//! examples/sockfloor.rs is their floor), with nothing formatted or printed. One service dump (the index),
//! timed on its own, then one dump of real servers per service (the walk). The kernel
//! resumes a service dump from its first service for every datagram it fills, so the
//! index's time grows with the square of the number of services while the walk's grows
//! linearly: the figures at 1,000, 10,000 and 100,000 services show which part of a
//! listing's cost per service is the kernel's.
//!
//! Usage: `listfloor [--consistent MAX-READS] [--counters]` prints
//! `index-seconds A walk-seconds B services N real-servers M reads R`. With
//! `--consistent`, the index is read as `ipvsadm -S` reads it (D12): until two reads
//! agree, at most MAX-READS times (then it fails); `reads` says how many it took. With
//! `--counters`, the walk reads the counters too, as `-Ln --stats` and the machine
//! outputs do.

use std::ops::ControlFlow;
use std::time::Instant;

use linux_ipvs::Client;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut consistent = None;
    let mut counters = false;
    let mut words = args.iter();
    while let Some(w) = words.next() {
        match (w.as_str(), words.as_slice().first()) {
            ("--consistent", Some(n)) => {
                consistent = Some(n.parse::<usize>()?);
                words.next();
            }
            ("--counters", _) => counters = true,
            _ => anyhow::bail!("usage: listfloor [--consistent MAX-READS] [--counters]"),
        }
    }
    let mut client = Client::open()?;
    client.set_one_call(false);
    let start = Instant::now();
    let index = match consistent {
        Some(max) => client.consistent_service_index(max)?,
        None => client.service_index()?,
    };
    let indexed = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut servers = 0;
    let _ = client.walk(&index, counters, |_, dests| {
        servers += dests.len();
        ControlFlow::<()>::Continue(())
    })?;
    let walked = start.elapsed().as_secs_f64();
    println!(
        "index-seconds {indexed:.3} walk-seconds {walked:.3} services {} real-servers {servers} reads {}",
        index.len(),
        index.reads()
    );
    Ok(())
}
