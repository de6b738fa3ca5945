//! The two read paths of `linux-ipvs`, compared: the table read with its real servers
//! (IPv4 services' through the kernel's socket options, `Client::service_index`, walked
//! without counters) and read through netlink alone (`Client::set_one_call(false)`), field
//! by field. Run in the test VM by tests/json/vm.sh on tables with every kind of service.
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

fn main() -> anyhow::Result<()> {
    let mut client = Client::open()?;
    let with = client.service_index()?;
    let one_call = with.has_servers().then_some(with);
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
        if one_call.is_some() { "yes" } else { "no" },
        netlink.len()
    );
    let Some(one_index) = one_call else {
        return Ok(());
    };
    let fast = walked(&mut client, &one_index)?;
    let mut differences = 0;
    if fast.len() != netlink.len() {
        println!("differs: {} services against {}", fast.len(), netlink.len());
        differences += 1;
    }
    for ((fs, fd), (ns, nd)) in fast.iter().zip(&netlink) {
        if fs != ns {
            println!("differs: service {fs:?} against {ns:?}");
            differences += 1;
        }
        if fd.len() != nd.len() {
            println!(
                "differs: {:?} has {} real servers against {}",
                ns.key,
                fd.len(),
                nd.len()
            );
            differences += 1;
        }
        for (a, b) in fd.iter().zip(nd) {
            if a != b {
                println!("differs: {:?} real server {a:?} against {b:?}", ns.key);
                differences += 1;
            }
        }
    }
    anyhow::ensure!(differences == 0, "{differences} differences");
    Ok(())
}
