//! The sockopt floor for listing benchmarks: the kernel's own cost of reading a whole IPv4
//! table through its socket options alone (`Client::count_ipv4_table`: `IP_VS_SO_GET_INFO`,
//! one `IP_VS_SO_GET_SERVICES`, one `IP_VS_SO_GET_DESTS` per service), with nothing
//! formatted or printed; beside examples/listfloor.rs, the netlink floor. Also the read a
//! listing makes (`Client::service_index`: the service dump, then the real servers through
//! the socket options), timed.
//!
//! Usage: `sockfloor` prints `sockopt-seconds S index-seconds I services N real-servers M`.

use std::ops::ControlFlow;
use std::time::Instant;

use linux_ipvs::Client;

fn main() -> anyhow::Result<()> {
    let mut client = Client::open()?;
    let start = Instant::now();
    let (services, servers) = client.count_ipv4_table()?;
    let sockopt = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let index = client.service_index()?;
    let mut walked = 0;
    let _ = client.walk(&index, false, |_, dests| {
        walked += dests.len();
        ControlFlow::<()>::Continue(())
    })?;
    let read = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        index.has_servers() && (index.len(), walked) == (services, servers),
        "the listing's read ({} services, {walked} real servers) is not the table's",
        index.len()
    );
    println!(
        "sockopt-seconds {sockopt:.3} index-seconds {read:.3} services {services} real-servers {servers}"
    );
    Ok(())
}
