//! The two read paths of `linux-ipvs`, compared: the table read with its real servers
//! (IPv4 services' through the kernel's socket options: `Client::service_index`, and
//! `Client::consistent_service_index` as `-S` reads it, each walked without counters) and
//! read through netlink alone (`Client::set_one_call(false)`), field by field. Run in the
//! test VM by tests/json/vm.sh on tables with every kind of service. Also checks that the
//! index reads with counters never take the real servers (they stay on netlink).
//!
//! Usage: `readpaths` prints `with-servers yes|no services N real-servers M`, then one line
//! per difference (`differs: ...`), and exits 1 if there is any. `no`: the real servers
//! were not read with the index (the socket options refused), and nothing is compared.

use std::ops::ControlFlow;

use linux_ipvs::{Client, Dest, Service, ServiceIndex};

type Table = Vec<(Service, Vec<Dest>)>;

fn walked(client: &mut Client, index: &ServiceIndex) -> anyhow::Result<Table> {
    let mut table = Vec::with_capacity(index.len());
    let _ = client.walk(index, false, |svc, dests| {
        table.push((svc.clone(), dests.to_vec()));
        ControlFlow::<()>::Continue(())
    })?;
    Ok(table)
}

/// Prints each difference between `fast` (read the way `how` says) and `netlink`; how many.
fn compare(how: &str, fast: &Table, netlink: &Table) -> usize {
    let mut differences = 0;
    if fast.len() != netlink.len() {
        println!(
            "differs: {how}: {} services against {}",
            fast.len(),
            netlink.len()
        );
        differences += 1;
    }
    for ((fs, fd), (ns, nd)) in fast.iter().zip(netlink) {
        if fs != ns {
            println!("differs: {how}: service {fs:?} against {ns:?}");
            differences += 1;
        }
        if fd.len() != nd.len() {
            println!(
                "differs: {how}: {:?} has {} real servers against {}",
                ns.key,
                fd.len(),
                nd.len()
            );
            differences += 1;
        }
        for (a, b) in fd.iter().zip(nd) {
            if a != b {
                println!(
                    "differs: {how}: {:?} real server {a:?} against {b:?}",
                    ns.key
                );
                differences += 1;
            }
        }
    }
    differences
}

fn main() -> anyhow::Result<()> {
    let mut client = Client::open()?;
    let plain = client.service_index()?;
    let checked = client.consistent_service_index(10)?;
    let with = plain.has_servers() && checked.has_servers();
    // The reads with counters stay on netlink alone (their walks read the real servers with
    // theirs there): they never take the real servers through the socket options.
    anyhow::ensure!(
        !client.service_index_with_counters()?.has_servers()
            && !client
                .consistent_service_index_with_counters(10)?
                .has_servers(),
        "an index read with counters read the real servers too"
    );
    client.set_one_call(false);
    let index = client.service_index()?;
    anyhow::ensure!(
        !index.has_servers(),
        "set_one_call(false) still read the real servers"
    );
    let netlink = walked(&mut client, &index)?;
    let servers: usize = netlink.iter().map(|(_, d)| d.len()).sum();
    println!(
        "with-servers {} services {} real-servers {servers}",
        if with { "yes" } else { "no" },
        netlink.len()
    );
    if !with {
        return Ok(());
    }
    let mut differences = compare("service_index", &walked(&mut client, &plain)?, &netlink);
    differences += compare(
        "consistent_service_index",
        &walked(&mut client, &checked)?,
        &netlink,
    );
    anyhow::ensure!(differences == 0, "{differences} differences");
    Ok(())
}
