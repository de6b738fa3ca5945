//! The cost of formatting a table, without the kernel: builds a table of N services with K
//! real servers each in memory (as the benchmark's restore makes it: VIPs from
//! 198.18.0.0/15, NAT real servers from 203.0.113.0/24, counters set) and formats it as
//! `-Ln` text, `-Sn`, `-Ln --json` or the exporter's default exposition, the output thrown away
//! piece by piece as the commands write it. Meant to be run under
//! `valgrind --tool=callgrind`, whose instruction counts do not depend on the host's load:
//! the count of `build` is the table's construction alone, to subtract from the others.
//!
//! ```sh
//! cargo build --release --example outputcost
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/outputcost json 10000 4
//! ```

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use anyhow::{Context, bail};
use ipvsadm::names::StaticNames;
use ipvsadm::output::json::JsonStream;
use ipvsadm::output::metrics::{self, Format, Series, Table};
use ipvsadm::output::{Json, ListFormat, ListStream, SaveStream, Snapshot, service_key};
use linux_ipvs::{Dest, Forward, Info, Protocol, Service, ServiceKey, Stats};

/// The table of the benchmark's restore: service `i` at 198.18.x.y:80, real server `j` at
/// 203.0.113.(j+1):(8000 + i % 1000), masquerading, counters that differ everywhere.
fn table(n: u32, k: u32) -> Table {
    let stats = |base: u64| {
        Stats::new(base, base * 3, base * 2, base * 1000, base * 700).with_rates(1, 2, 3, 4, 5)
    };
    let services = (0..n)
        .map(|i| {
            let vip = Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 18, 0, 1)) + i);
            let mut svc = Service::new(ServiceKey::Addr {
                protocol: Protocol::Tcp,
                addr: IpAddr::V4(vip),
                port: 80,
            });
            svc.stats = Some(stats(u64::from(i) * 17 + 5));
            let dests = (0..k)
                .map(|j| {
                    let addr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, (j % 250 + 1) as u8));
                    let mut d = Dest::new(addr, 8000 + (i % 1000) as u16);
                    d.forward = Forward::Masq;
                    d.weight = 1 + j as i32;
                    d.active_conns = i % 7;
                    d.inact_conns = j;
                    d.stats = Some(stats(u64::from(i * k + j) * 13 + 1));
                    d
                })
                .collect();
            (svc, dests)
        })
        .collect();
    Table {
        snapshot: Snapshot {
            info: Info::new(0x010201, 4096),
            services,
        },
        daemons: Vec::new(),
        totals: stats(12345),
    }
}

/// Throws a piece of output away as a write to standard output would take it.
fn sink(bytes: &[u8], total: &mut usize) {
    *total += black_box(bytes).len();
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [what, n, k] = &args[..] else {
        bail!("usage: outputcost build|text|save|json|metrics SERVICES SERVERS");
    };
    let n: u32 = n.parse().context("SERVICES")?;
    let k: u32 = k.parse().context("SERVERS")?;
    let mut t = table(n, k);
    let names = StaticNames::default();
    let mut total = 0;
    let mut out = Vec::with_capacity(64 * 1024);
    match what.as_str() {
        "build" => total = black_box(&t).snapshot.services.len(),
        "save" => {
            // `-S -n`, as `ipvsadm -Sn` walks the table.
            t.snapshot
                .services
                .sort_by_key(|(s, _)| service_key(&s.key));
            let mut save = SaveStream::new(true, &names);
            for (svc, dests) in &t.snapshot.services {
                save.service(&mut out, svc, dests);
                if out.len() >= 32 * 1024 {
                    sink(&out, &mut total);
                    out.clear();
                }
            }
            sink(&out, &mut total);
        }
        "text" | "json" => {
            // As the commands walk the table: services in listing order (sorted keys),
            // each written into a buffer flushed every 32 KiB.
            t.snapshot
                .services
                .sort_by_key(|(s, _)| service_key(&s.key));
            let json = what == "json";
            let fmt = ListFormat {
                numeric: true,
                json: if json { Json::Compact } else { Json::Off },
                ..ListFormat::default()
            };
            let mut list = ListStream::new(&fmt, &names);
            let mut doc = JsonStream::new(&fmt, &names);
            if !json {
                list.head(&mut out, &t.snapshot.info);
            }
            for (svc, dests) in &t.snapshot.services {
                if json {
                    doc.service(&mut out, svc, dests);
                } else {
                    list.service(&mut out, svc, dests);
                }
                if out.len() >= 32 * 1024 {
                    sink(&out, &mut total);
                    out.clear();
                }
            }
            if json {
                doc.finish(&mut out);
            }
            sink(&out, &mut total);
        }
        "metrics" => {
            metrics::stream(
                Format::Prometheus,
                Series::default_with(true),
                None,
                Some(t),
                "",
                &mut |piece| {
                    sink(piece.as_bytes(), &mut total);
                    true
                },
            )
            .context("encoding")?;
        }
        other => bail!("unknown output `{other}'"),
    }
    eprintln!("{what}: {total} bytes");
    Ok(())
}
